"""`simple_rnn`, `lstm` and `gru`: one cell type each, one or more layers, any task head."""

import functools
import inspect

from zoo.models.base import build_rnn
from zoo.validation import check_keywords

COMMON_ARGS = """
        input_shape: `(timesteps or None, features)` for real-valued sequences; with
            `sample_rate`, `(samples,)` or `(None,)` (the default) for waveforms.
        vocab_size: number of token ids for integer inputs (id 0 is padding, masked when
            `mask_zero`), or the vectorizer's `max_tokens` with `text=True`.
        embedding_dim: size of the token embedding (token ids and text; default 64).
        mask_zero: mask token id 0 (padding).
        mask_value: for real-valued inputs, time steps whose features all equal this value are
            padding and are skipped (`keras.layers.Masking`).
        text: take raw strings: a `TextVectorization` layer inside the model (adapt it with
            `zoo.models.adapt_text(model, texts)`), so the saved model predicts on strings.
        vectorizer: a `keras.layers.TextVectorization` to use instead of a new one.
        sequence_length: with `text=True`, pad or cut every text to this many tokens
            (default: the longest in the batch). A per-step task (`tagging`,
            `sequence_regression`) needs it, so that labels and tokens line up.
        sample_rate: take raw float waveforms `(batch, samples)` at this rate in Hz (whole
            clips, in [-1, 1]): a `zoo.layers.LogMel` front end inside the model (25 ms windows,
            10 ms hop, normalised per clip) feeds the recurrent layers, so the saved model
            predicts on audio. `None` (the default) takes features, token ids or text.
        num_mels: mel bands of the front end with `sample_rate` (default 40).
        task: one of `binary`, `classification`, `regression`, `forecast`, `tagging`,
            `sequence_regression` (see `zoo.heads`).
        num_classes: classes for `classification` and `tagging`.
        output_dim: values per prediction for the real-valued tasks.
        horizon: steps ahead for `forecast`.
        units: units per layer (an int, or a list with one int per layer).
        num_layers: number of recurrent layers; every layer but the last returns sequences
            (the last too for per-step tasks).
        dropout: dropout on each layer's inputs, in [0, 1).
        recurrent_dropout: dropout on the recurrent state, in [0, 1) (leaves cuDNN).
        activation: cell activation: `tanh`, `sigmoid`, `relu`, `leaky_relu`, `hard_sigmoid`,
            `softsign`, or a `zoo.activations.LeakyReLU(slope)`.
        recurrent_activation: gate activation of LSTM/GRU, same choices.
        residual: add each layer's input to its output from the second layer on (step by
            step; a sequence-level model's last layer adds its input's last real step).
        layer_norm: layer normalisation between layers.
        stateful: carry the state from one batch to the next (truncated BPTT, see
            `zoo.tbptt`); needs `batch_size`.
        batch_size: the fixed batch size of a stateful model.
        optimizer: optimizer name or instance.
        learning_rate: a float or a learning-rate schedule.
        clipnorm: gradient-norm clipping (`None` turns it off).
        loss: `None` for the task's natural loss, `"mse"` or `"mae"` for real-valued tasks, or a
            `keras.losses.Loss`.
        compile: `False` returns the model uncompiled.
        seed: seed of every initialiser and dropout mask (same seed, same model).
        name: the Keras model's name (`None`: the factory's name).

    Returns:
        A `keras.Model`, compiled with the task's loss and metrics unless `compile=False`."""


def with_common_args(fn):
    """Writes the shared arguments into a factory's docstring and signature, and checks them.

    The factories pass `**kwargs` on to `build_rnn`; `help()`, IDEs and `inspect.signature` should
    still show every keyword with its default, so the signature is `build_rnn`'s. A keyword
    outside that signature (a misspelt `unit=8`, or `build_rnn`'s own `cell` given to `lstm`)
    raises a `TypeError` naming the factory and the closest valid keyword, not `build_rnn`.

    Example:
        >>> def tiny_gru(**kwargs):
        ...     "A GRU network. Args: {common_args}"
        ...     return build_rnn(cell="gru", bidirectional=False, name="tiny_gru", **kwargs)
        >>> tiny_gru = with_common_args(tiny_gru)
        >>> "units=64" in str(inspect.signature(tiny_gru)), "vocab_size:" in tiny_gru.__doc__
        (True, True)
        >>> tiny_gru(input_shape=(5, 2), task="binary", units=4).output_shape
        (None, 1)
        >>> tiny_gru(input_shape=(5, 2), task="binary", unit=4)
        Traceback (most recent call last):
        ...
        TypeError: tiny_gru() got an unexpected keyword argument 'unit' (= 4). Did you mean ...
    """
    fn.__doc__ = fn.__doc__.replace("{common_args}", COMMON_ARGS.strip("\n").lstrip())
    own = [
        p
        for p in inspect.signature(fn).parameters.values()
        if p.kind is not inspect.Parameter.VAR_KEYWORD
    ]
    taken = {p.name for p in own} | {"cell", "bidirectional", "name"}
    shared = [p for p in inspect.signature(build_rnn).parameters.values() if p.name not in taken]
    named = inspect.Parameter("name", inspect.Parameter.KEYWORD_ONLY, default=None)
    signature = inspect.Signature(own + shared + [named])
    keywords = [p.name for p in signature.parameters.values()]

    @functools.wraps(fn)
    def factory(*args, **kwargs):
        check_keywords(fn.__name__, kwargs, keywords)
        return fn(*args, **kwargs)

    factory.__signature__ = signature
    return factory


def named(kwargs, default):
    """`kwargs` with its `name` set to `default` when not given (or `None`).

    Example:
        >>> named({"units": 4, "name": None}, "gru")
        {'units': 4, 'name': 'gru'}
    """
    return {**kwargs, "name": default if kwargs.get("name") is None else kwargs["name"]}


@with_common_args
def simple_rnn(**kwargs):
    """Builds a fully connected (Elman) recurrent network.

    Args:
        {common_args}

    Example:
        >>> import zoo
        >>> model = zoo.models.simple_rnn(input_shape=(None, 2), task="regression", units=8)
        >>> model.output_shape
        (None, 1)
    """
    return build_rnn(cell="simple_rnn", bidirectional=False, **named(kwargs, "simple_rnn"))


@with_common_args
def lstm(**kwargs):
    """Builds a long short-term memory network (Hochreiter & Schmidhuber 1997).

    Args:
        {common_args}

    Example:
        >>> import zoo
        >>> model = zoo.models.lstm(input_shape=(None, 8), task="classification", num_classes=5)
        >>> model.output_shape
        (None, 5)
    """
    return build_rnn(cell="lstm", bidirectional=False, **named(kwargs, "lstm"))


@with_common_args
def gru(**kwargs):
    """Builds a gated recurrent unit network (Cho et al. 2014), `reset_after` as cuDNN wants.

    Args:
        {common_args}

    Example:
        >>> import zoo
        >>> model = zoo.models.gru(vocab_size=200, task="binary", units=16, num_layers=2)
        >>> model.output_shape
        (None, 1)
        >>> audio = zoo.models.gru(sample_rate=16000, task="classification", num_classes=12)
        >>> audio.input_shape  # float waveforms, any length: log-mels inside the model
        (None, None)
    """
    return build_rnn(cell="gru", bidirectional=False, **named(kwargs, "gru"))


def search_space(hp, num_layers=(1, 3)):
    """The tunable hyperparameters of `simple_rnn`, `lstm` and `gru` (a keras-tuner `hp` in).

    Args:
        hp: a `keras_tuner.HyperParameters`.
        num_layers: `(min, max)` of the `num_layers` range. A family that tunes other depths
            passes its own range here: keras-tuner keeps the first definition of a name, so
            redefining `num_layers` afterwards would be silently ignored.

    Example:
        >>> import keras_tuner
        >>> sorted(search_space(keras_tuner.HyperParameters()))[:2]
        ['activation', 'dropout']
    """
    return {
        "units": hp.Choice("units", [32, 64, 128, 256]),
        "num_layers": hp.Int("num_layers", *num_layers),
        "dropout": hp.Float("dropout", 0.0, 0.5, step=0.1),
        "activation": hp.Choice("activation", ["tanh", "relu", "softsign"]),
        "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"),
    }
