"""The model registry: one explicit table from a model's name to its factory and search space.

Adding a model family means adding rows here; nothing registers itself on import.
"""

import dataclasses
from collections.abc import Callable

from zoo.models.bidirectional import bidirectional
from zoo.models.bidirectional import search_space as bidirectional_space
from zoo.models.char_lm import char_lm
from zoo.models.char_lm import search_space as char_lm_space
from zoo.models.esn import TASKS as ESN_TASKS
from zoo.models.esn import esn
from zoo.models.esn import search_space as esn_space
from zoo.models.recurrent import gru, lstm, simple_rnn
from zoo.models.recurrent import search_space as recurrent_space
from zoo.models.seq2seq import search_space as seq2seq_space
from zoo.models.seq2seq import seq2seq
from zoo.models.speech import ctc_speech
from zoo.models.speech import search_space as ctc_speech_space
from zoo.models.stacked import search_space as stacked_space
from zoo.models.stacked import stacked
from zoo.validation import check_choice

RECURRENT_TASKS = (
    "binary",
    "classification",
    "regression",
    "forecast",
    "tagging",
    "sequence_regression",
)


@dataclasses.dataclass(frozen=True)
class ModelSpec:
    """One row of the registry.

    Attributes:
        name: the model's name, also its factory's name.
        factory: builds the model from keyword arguments.
        tasks: the tasks the factory accepts.
        description: one line for `zoo.list_models()` and `rnnzoo info`.
        search_space: maps a keras-tuner `hp` to factory keyword arguments.

    Example:
        >>> spec = get("gru")
        >>> spec.description, "forecast" in spec.tasks
        ('Gated recurrent unit (cuDNN-eligible by default)', True)
        >>> spec.factory(input_shape=(None, 2), task="regression", units=4).output_shape
        (None, 1)
    """

    name: str
    factory: Callable
    tasks: tuple
    description: str
    search_space: Callable


# Models whose readout is fitted in closed form (`fit_readout`: the ESN's ridge regression), in
# one pass over the data: no epochs, and a result that does not depend on the batch size.
CLOSED_FORM = ("esn",)

# fmt: off
MODELS = (
    ModelSpec("simple_rnn", simple_rnn, RECURRENT_TASKS,
              "Elman RNN: the baseline whose gradients vanish", recurrent_space),
    ModelSpec("lstm", lstm, RECURRENT_TASKS,
              "Long short-term memory (cuDNN-eligible by default)", recurrent_space),
    ModelSpec("gru", gru, RECURRENT_TASKS,
              "Gated recurrent unit (cuDNN-eligible by default)", recurrent_space),
    ModelSpec("bidirectional", bidirectional, RECURRENT_TASKS,
              "Forward and backward RNN per layer, merged", bidirectional_space),
    ModelSpec("stacked", stacked, RECURRENT_TASKS,
              "Deep RNN with optional residual links and layer norm", stacked_space),
    ModelSpec("esn", esn, ESN_TASKS,
              "Echo State Network: fixed reservoir, closed-form ridge readout", esn_space),
    ModelSpec("seq2seq", seq2seq, ("seq2seq",),
              "Encoder-decoder with Bahdanau/Luong attention; translates strings", seq2seq_space),
    ModelSpec("char_lm", char_lm, ("language_model",),
              "Stacked LSTM/GRU character language model; generates text", char_lm_space),
    ModelSpec("ctc_speech", ctc_speech, ("ctc",),
              "Waveform-to-text CTC: log-mel or pretrained speech embedding, BiGRU/BiLSTM",
              ctc_speech_space),
)
# fmt: on
_BY_NAME = {spec.name: spec for spec in MODELS}


def get(name):
    """Returns the registry row of model `name`, suggesting close names when unknown.

    Example:
        >>> get("gru").name
        'gru'
    """
    check_choice("model name", name, tuple(_BY_NAME))
    return _BY_NAME[name]


def list_models():
    """Returns every registry row (`ModelSpec`), in table order.

    Example:
        >>> import zoo
        >>> [m.name for m in zoo.list_models()][:3]
        ['simple_rnn', 'lstm', 'gru']
    """
    return list(MODELS)


def registered_name(name, kwargs, caller):
    """The registry's model name a call got: first, or (alone) as `name=` among `kwargs`.

    Given first, a `name=` in `kwargs` stays there: it is the factory's (the Keras model's
    name). Given only as `name=`, it is popped from `kwargs` and is the registry's.

    Example:
        >>> kwargs = {"units": 4, "name": "gru"}
        >>> registered_name(None, kwargs, "build"), kwargs
        ('gru', {'units': 4})
    """
    if name is None:  # e.g. zoo.build(name="gru", ...): the registry's name by keyword
        name = kwargs.pop("name", None)
        if name is None:
            raise TypeError(f"{caller} needs a registered model name first: {caller}('gru', ...).")
    return name


def build(name=None, /, **kwargs):
    """Builds model `name` from the registry with the factory's keyword arguments.

    Args:
        name: a registered model name (see `list_models()`). Given first, a `name=` among
            `kwargs` is the factory's (the Keras model's name); alone, `name=` is this one.
        **kwargs: the factory's arguments.

    Returns:
        The factory's model.

    Example:
        >>> import zoo
        >>> model = zoo.build("lstm", input_shape=(None, 8), task="classification", num_classes=5)
        >>> model.output_shape
        (None, 5)
        >>> zoo.build("gru", input_shape=(None, 2), task="regression", name="my_gru").name
        'my_gru'
    """
    name = registered_name(name, kwargs, "build")
    spec = get(name)
    if "task" in kwargs:
        check_choice(f"task (for model {name!r})", kwargs["task"], spec.tasks)
    return spec.factory(**kwargs)
