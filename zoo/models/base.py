"""The network every RNN factory shares: inputs, a stack of recurrent layers, a task head.

`simple_rnn`, `lstm`, `gru`, `bidirectional` and `stacked` are thin front doors to `build_rnn`,
which validates every argument before building anything and returns one of the model classes of
`zoo.models.recurrent_model`. `compile_model` serves every family.

The model's input is one of: real-valued sequences `(batch, T, features)`, token ids
`(batch, T)`, raw strings `(batch,)` (`text=True`), or float waveforms `(batch, samples)`
(`sample_rate=...`: a `zoo.layers.LogMel` front end inside the model turns each whole clip into
`(frames, num_mels)` features, so the saved model classifies raw audio).
"""

import numbers
import os
import sys
import warnings

import keras
import numpy as np

from zoo import activations, heads
from zoo.data.audio import check_mel_bands, frame_settings
from zoo.layers.audio import LogMel
from zoo.layers.pooling import LastUnmaskedStep
from zoo.layers.text import AtLeastOneStep
from zoo.models.recurrent_model import (
    RecurrentModel,
    StatefulModel,
    TextModel,
    WaveformLengths,
    WaveformModel,
    as_strings,
    text_vectorizer,
)
from zoo.validation import (
    MAX_WEIGHT_ENTRIES,
    check_bool,
    check_choice,
    check_fraction,
    check_positive_float,
    check_positive_int,
    check_seed,
    check_weight_size,
    suggest,
)

CELLS = {"simple_rnn": keras.layers.SimpleRNN, "lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
MERGE_MODES = ("concat", "sum", "mul", "ave")
GATES = {"simple_rnn": 1, "lstm": 4, "gru": 3}  # a cell's recurrent kernel is (units, G units)
MAX_LAYERS = 1000
_warned = set()
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__))) + os.sep


def warn_once(key, message):
    """Issues `message` as a `UserWarning` the first time `key` is seen in this process.

    The warning points at the first caller outside the `zoo` package (the user's line), however
    deep the call came from (`zoo.build` -> factory -> `build_rnn` -> here).

    Example:
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     warn_once(("example", object()), "said once")  # a key new to this process
        ...     key = ("example", "twice")
        ...     warn_once(key, "said once per key")
        ...     warn_once(key, "said once per key")
        >>> [str(w.message) for w in caught]
        ['said once', 'said once per key']
    """
    if key not in _warned:
        _warned.add(key)
        frame, level = sys._getframe(0), 1
        while frame.f_back is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
            frame, level = frame.f_back, level + 1
        warnings.warn(message, UserWarning, stacklevel=level)


def _has_gpu():
    """Whether TensorFlow sees a GPU (where the fused cuDNN kernel could run)."""
    import tensorflow as tf

    return bool(tf.config.list_physical_devices("GPU"))


def _check_cudnn_path(cell, activation, recurrent_activation, recurrent_dropout):
    """Warns once, on a machine with a GPU, when the arguments keep TF off the cuDNN kernel."""
    if cell == "simple_rnn" or not _has_gpu():
        # SimpleRNN has no cuDNN kernel, and without a GPU no layer has: no fast path to leave.
        return
    reasons = []
    if activations.name_of(activation) != "tanh":
        reasons.append(f"activation={activations.name_of(activation)!r} (needs 'tanh')")
    if activations.name_of(recurrent_activation) != "sigmoid":
        reasons.append(
            f"recurrent_activation={activations.name_of(recurrent_activation)!r} (needs 'sigmoid')"
        )
    if recurrent_dropout:
        reasons.append(f"recurrent_dropout={recurrent_dropout} (needs 0)")
    if reasons:
        warn_once(
            (cell, tuple(reasons)),
            f"{cell}: {', '.join(reasons)} leaves the fast cuDNN kernel; on a GPU this layer "
            "runs the generic (several times slower) loop.",
        )


def check_input_shape(input_shape):
    """Checks `(timesteps or None, features)` and returns it as a tuple.

    Example:
        >>> check_input_shape([None, 3])
        (None, 3)
        >>> check_input_shape((3,))
        Traceback (most recent call last):
        ...
        ValueError: input_shape must be (timesteps or None, features), a tuple of rank 2, got (3,).
    """
    if not isinstance(input_shape, tuple | list) or len(input_shape) != 2:
        raise ValueError(
            "input_shape must be (timesteps or None, features), a tuple of rank 2, "
            f"got {input_shape!r}."
        )
    timesteps, features = input_shape
    timesteps = check_positive_int("input_shape[0] (timesteps)", timesteps, allow_none=True)
    features = check_positive_int("input_shape[1] (features)", features)
    return (timesteps, features)


def check_waveform_shape(input_shape, sample_rate):
    """Checks `(samples or None,)` for waveforms at `sample_rate` and returns it as a tuple.

    Example:
        >>> check_waveform_shape([16000], 16000)
        (16000,)
    """
    if input_shape is None:
        return (None,)
    if not isinstance(input_shape, tuple | list) or len(input_shape) != 1:
        raise ValueError(
            f"with sample_rate={sample_rate} the model takes waveforms: input_shape must be "
            f"(samples,) or (None,), a tuple of rank 1, got {input_shape!r}."
        )
    samples = check_positive_int("input_shape[0] (samples)", input_shape[0], allow_none=True)
    span = frame_settings(sample_rate)[2]
    if samples is not None and samples < span:
        raise ValueError(
            f"input_shape[0] (samples) must be at least {span} (one analysis frame at "
            f"sample_rate={sample_rate}), got {samples}."
        )
    return (samples,)


def check_cell_size(cell, units, inputs=None, given_inputs=None):
    """Raises unless a `cell` layer of `units` has kernels TensorFlow can hold.

    Args:
        cell: `"simple_rnn"`, `"lstm"` or `"gru"`.
        units: the layer's units.
        inputs: its input features, for the input kernel `(inputs, gates * units)`.
        given_inputs: the argument that sets `inputs`, as the message names it.

    Example:
        >>> check_cell_size("lstm", 512, 64, "embedding_dim=64")
    """
    width = GATES[cell] * units
    check_weight_size(f"{cell}({units})'s recurrent kernel", units, width, f"units={units}")
    if inputs is not None:
        what = f"{cell}({units})'s input kernel"
        check_weight_size(what, inputs, width, f"{given_inputs} and units={units}")


def check_stack_size(cell, layer_units, directions=1):
    """Raises unless a stack's recurrent kernels hold at most `MAX_WEIGHT_ENTRIES` in all.

    Args:
        cell: `"simple_rnn"`, `"lstm"` or `"gru"`.
        layer_units: the units of each layer.
        directions: 2 for a bidirectional stack.

    Example:
        >>> check_stack_size("lstm", [4096] * 40)
        Traceback (most recent call last):
        ...
        ValueError: 40 layers of units [4096, 4096, ...] give lstm recurrent kernels of ...
    """
    total = directions * sum(GATES[cell] * u * u for u in layer_units)
    if total > MAX_WEIGHT_ENTRIES:
        shown = ", ".join(map(str, layer_units[:2])) + (", ..." if len(layer_units) > 2 else "")
        raise ValueError(
            f"{len(layer_units)} layers of units [{shown}] give {cell} recurrent kernels of "
            f"{total:,} entries in all ({total * 4 / 2**30:,.0f} GiB in float32), more than the "
            f"{MAX_WEIGHT_ENTRIES:,} rnn-zoo allows (8 GiB): make it smaller."
        )


def check_num_layers(num_layers):
    """Returns `num_layers` checked: an int in `[1, MAX_LAYERS]`.

    Example:
        >>> check_num_layers(3)
        3
    """
    num_layers = check_positive_int("num_layers", num_layers)
    if num_layers > MAX_LAYERS:
        raise ValueError(
            f"num_layers must be an int in [1, {MAX_LAYERS}] (rnn-zoo's limit on the depth of a "
            f"recurrent stack), got {num_layers}."
        )
    return num_layers


def check_uniform_stack(cell, units, num_layers, inputs=None, given_inputs=None, directions=1):
    """Checks the sizes of `num_layers` layers of `units` each; returns `num_layers`.

    The depth (`check_num_layers`), the first layer's kernels (`check_cell_size`, `inputs`
    features in) and all recurrent kernels together (`check_stack_size`).

    Example:
        >>> check_uniform_stack("gru", 128, 3, 64, "embedding_dim=64", directions=2)
        3
    """
    num_layers = check_num_layers(num_layers)
    check_cell_size(cell, units, inputs, given_inputs)
    check_stack_size(cell, [units] * num_layers, directions)
    return num_layers


def check_units(units, num_layers):
    """Returns a list of per-layer units from an int or a list of ints.

    Example:
        >>> check_units(4, num_layers=3), check_units([8, 4], num_layers=2)
        ([4, 4, 4], [8, 4])
    """
    check_num_layers(num_layers)
    if isinstance(units, list | tuple):
        if not units:
            raise ValueError(
                f"units must be a positive int or a list of one per layer (num_layers="
                f"{num_layers}), got an empty list."
            )
        if len(units) != num_layers:
            raise ValueError(
                f"units as a list needs one entry per layer (num_layers={num_layers}), "
                f"got {list(units)!r}: give num_layers={len(units)} with it (on the command "
                f"line --set num_layers={len(units)}), or units as one int."
            )
        return [check_positive_int(f"units[{i}]", u) for i, u in enumerate(units)]
    return [check_positive_int("units", units)] * num_layers


def _inputs(
    input_shape,
    vocab_size,
    embedding_dim,
    mask_zero,
    mask_value,
    text,
    vectorizer,
    sequence_length,
    stateful,
    batch_size,
    seed,
    sample_rate=None,
    num_mels=40,
):
    """Builds the model's input and the layers that turn it into a `(batch, T, features)` tensor."""
    if sample_rate is not None:
        check_mel_bands(num_mels, frame_settings(sample_rate)[2], sample_rate)
        inputs = keras.Input(shape=input_shape, name="waveform")
        # float32 whatever the dtype policy: the STFT and the log need it (mixed precision too).
        lengths = WaveformLengths(name="waveform_lengths", dtype="float32")(inputs)
        log_mel = LogMel(sample_rate, num_mels, name="log_mel", dtype="float32")
        return inputs, log_mel([inputs, lengths])
    if text or vectorizer is not None:
        if vectorizer is None:
            vectorizer = keras.layers.TextVectorization(
                max_tokens=vocab_size,
                output_mode="int",
                output_sequence_length=sequence_length,
                name="vectorizer",
            )
        inputs = keras.Input(shape=(), dtype="string", name="text")
        x = vectorizer(inputs)
        if x.shape[1] is None:  # (padded to the longest text: a batch of empty ones, no steps)
            x = AtLeastOneStep(name="at_least_one_step")(x)
        x = keras.layers.Embedding(
            vocab_size,
            embedding_dim,
            mask_zero=True,
            embeddings_initializer=keras.initializers.RandomUniform(
                -0.05, 0.05, seed=seeded(seed, 3)
            ),
            name="embedding",
        )(x)
        return inputs, x
    batch_shape = (batch_size,) if stateful else (None,)
    if vocab_size is not None:
        timesteps = input_shape[0] if input_shape is not None else None
        inputs = keras.Input(batch_shape=batch_shape + (timesteps,), dtype="int32", name="tokens")
        x = keras.layers.Embedding(
            vocab_size,
            embedding_dim,
            mask_zero=mask_zero,
            embeddings_initializer=keras.initializers.RandomUniform(
                -0.05, 0.05, seed=seeded(seed, 3)
            ),
            name="embedding",
        )(inputs)
        return inputs, x
    inputs = keras.Input(batch_shape=batch_shape + tuple(input_shape), name="sequence")
    x = inputs
    if mask_value is not None:
        x = keras.layers.Masking(mask_value=mask_value, name="masking")(x)
    return inputs, x


def _vectorizer_vocab_size(vectorizer, vocab_size):
    """The embedding rows for the ids of `vectorizer`: `vocab_size`, checked, or its own size.

    Every id the vectorizer can give needs a row: ids run below its `max_tokens` (however it is
    adapted later), or below its vocabulary's size when it has no `max_tokens`. Too few rows
    only show at predict time, as an index out of range.

    Example:
        >>> import keras
        >>> v = keras.layers.TextVectorization(max_tokens=100)
        >>> _vectorizer_vocab_size(v, None), _vectorizer_vocab_size(v, 120)
        (100, 120)
    """
    if not isinstance(vectorizer, keras.layers.TextVectorization):
        raise TypeError(f"vectorizer must be a keras.layers.TextVectorization, got {vectorizer!r}.")
    config = vectorizer.get_config()
    if config.get("output_mode") != "int":
        raise ValueError(
            f"vectorizer must give token ids (output_mode='int') for the embedding, got "
            f"output_mode={config.get('output_mode')!r}."
        )
    max_tokens = config.get("max_tokens")
    size = vectorizer.vocabulary_size()
    adapted = size > 2  # an empty vectorizer still counts the padding and [UNK]
    needed = max_tokens if max_tokens is not None else size if adapted else None
    if vocab_size is None:
        if needed is None:
            raise ValueError(
                "vectorizer has max_tokens=None and no vocabulary yet, so the embedding's size "
                "is unknown: give vocab_size=... (at least the size of the vocabulary it will "
                "be adapted to), or build the vectorizer with max_tokens=... or adapt it first."
            )
        return needed
    vocab_size = check_positive_int("vocab_size", vocab_size)
    if needed is not None and vocab_size < needed:
        what = (
            f"max_tokens={max_tokens}"
            if max_tokens is not None
            else f"vocabulary of {size} tokens (max_tokens=None)"
        )
        raise ValueError(
            f"vocab_size={vocab_size} is smaller than the vectorizer's {what}: ids up to "
            f"{needed - 1} would have no embedding row. Give vocab_size >= {needed}, or leave "
            "it out (it defaults to the vectorizer's size)."
        )
    return vocab_size


def seeded(seed, k):
    """The `k`-th seed derived from `seed` (`None` stays `None`: unseeded draws).

    A hash of `(seed, k)` (NumPy's `SeedSequence`), so that models of different seeds share
    no initialiser, derived seeds of derived seeds included: with `seed + k`, seed 0's
    backward layer was seed 5's forward one, and runs over seeds 0-9 were not independent.

    Example:
        >>> seeded(0, 5) == seeded(5, 0), seeded(None, 2)
        (False, None)
    """
    if seed is None:
        return None
    return int(np.random.SeedSequence([seed, k]).generate_state(1)[0] >> 1)


def _rnn_layer(cell, units, return_sequences, go_backwards, i, opts, seed):
    """One recurrent layer with its own seeds (a Bidirectional's two halves must differ)."""
    kwargs = dict(
        units=units,
        activation=opts["activation"],
        dropout=opts["dropout"],
        return_sequences=return_sequences,
        go_backwards=go_backwards,
        stateful=opts["stateful"],
        seed=seeded(seed, 2),
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(seed, 0)),
        recurrent_initializer=keras.initializers.Orthogonal(seed=seeded(seed, 1)),
        name=f"{cell}_{i}" + ("_backward" if go_backwards else ""),
    )
    if cell != "simple_rnn":
        kwargs["recurrent_activation"] = opts["recurrent_activation"]
    kwargs["recurrent_dropout"] = opts["recurrent_dropout"]
    return CELLS[cell](**kwargs)


def build_rnn(
    *,
    cell,
    bidirectional,
    name,
    input_shape=None,
    vocab_size=None,
    embedding_dim=None,
    mask_zero=True,
    mask_value=None,
    text=False,
    vectorizer=None,
    sequence_length=None,
    sample_rate=None,
    num_mels=None,
    task="classification",
    num_classes=None,
    output_dim=1,
    horizon=None,
    units=64,
    num_layers=1,
    dropout=0.0,
    recurrent_dropout=0.0,
    activation="tanh",
    recurrent_activation="sigmoid",
    merge_mode="concat",
    residual=False,
    layer_norm=False,
    stateful=False,
    batch_size=None,
    optimizer="adam",
    learning_rate=1e-3,
    clipnorm=1.0,
    loss=None,
    compile=True,
    seed=None,
):
    """Validates every argument, then builds (and by default compiles) the recurrent model.

    The arguments are documented on the public factories (`zoo.models.lstm` and friends).

    Example:
        >>> m = build_rnn(cell="gru", bidirectional=True, name="tiny", input_shape=(5, 2),
        ...               task="classification", num_classes=3, units=4, seed=0)
        >>> type(m).__name__, m.output_shape, [layer.name for layer in m.layers]
        ('RecurrentModel', (None, 3), ['sequence', 'bidirectional_0', 'head'])
    """
    check_choice("cell", cell, tuple(CELLS))
    task_ = heads.get_task(task)
    num_classes, output_dim, horizon = heads.validate(task_, num_classes, output_dim, horizon, loss)
    layer_units = check_units(units, num_layers)
    check_fraction("dropout", dropout)
    check_fraction("recurrent_dropout", recurrent_dropout)
    activation = activations.get(activation, "activation")
    recurrent_activation = activations.get(recurrent_activation, "recurrent_activation")
    check_bool("bidirectional", bidirectional)
    check_choice("merge_mode", merge_mode, MERGE_MODES)
    if not bidirectional and merge_mode != "concat":
        raise ValueError(
            f"merge_mode={merge_mode!r} combines the two directions of a bidirectional model; "
            "this one is unidirectional (bidirectional=False): leave merge_mode as 'concat'."
        )
    if cell == "simple_rnn" and recurrent_activation != "sigmoid":
        raise ValueError(
            f"recurrent_activation is the gate activation of LSTM and GRU; simple_rnn has no "
            f"gates. Got recurrent_activation={recurrent_activation!r}: leave it 'sigmoid'."
        )
    for flag in ("residual", "layer_norm", "stateful", "text", "mask_zero", "compile"):
        check_bool(flag, locals()[flag])
    if residual and len(set(layer_units)) > 1:
        raise ValueError(f"residual=True needs the same units in every layer, got {units!r}.")
    seed = check_seed(seed)
    text = text or vectorizer is not None
    if sample_rate is not None:
        sample_rate = check_positive_int("sample_rate", sample_rate)
        given = {
            "vocab_size": vocab_size,
            "text": text or None,
            "vectorizer": vectorizer,
            "mask_value": mask_value,
            "stateful": stateful or None,
        }
        clash = [f"{k}={v!r}" for k, v in given.items() if v is not None]
        if clash:
            raise ValueError(
                f"sample_rate={sample_rate} makes the model take raw waveforms; it cannot be "
                f"combined with {', '.join(clash)}: give sample_rate for audio, vocab_size for "
                "token ids or text=True for strings, not several."
            )
        input_shape = check_waveform_shape(input_shape, sample_rate)
    elif text or vocab_size is not None:
        if vectorizer is not None:
            vocab_size = _vectorizer_vocab_size(vectorizer, vocab_size)
        if vocab_size is None:
            raise ValueError("text=True needs vocab_size (the vectorizer's max_tokens), got None.")
        vocab_size = check_positive_int("vocab_size", vocab_size)
        if text and vectorizer is None and vocab_size < 3:
            raise ValueError(
                f"text=True needs vocab_size >= 3 (padding, [UNK] and at least one token), got "
                f"{vocab_size}."
            )
        if mask_value is not None:
            raise ValueError(
                f"mask_value marks padded steps of real-valued inputs; token ids are padded "
                f"with id 0 (mask_zero). Got mask_value={mask_value!r} with vocab_size="
                f"{vocab_size}: leave it None."
            )
        if text and (input_shape is not None or not mask_zero):
            given = f"input_shape={input_shape!r}" if input_shape is not None else "mask_zero=False"
            raise ValueError(
                f"text=True takes raw strings, one per example, which the vectorizer turns into "
                f"ids padded with 0 (always masked): {given} does not apply, leave it out "
                "(sequence_length=N pads or cuts the text to N tokens)."
            )
        if input_shape is not None and not text:
            if not isinstance(input_shape, tuple | list) or len(input_shape) != 1:
                raise ValueError(
                    f"with vocab_size (token ids) input_shape is (timesteps or None,), got "
                    f"{input_shape!r}: token ids have no feature axis."
                )
            input_shape = (
                check_positive_int("input_shape[0] (timesteps)", input_shape[0], allow_none=True),
            )
    elif input_shape is None:
        raise ValueError(
            "give input_shape=(timesteps or None, features) for real-valued sequences, "
            "vocab_size=... for token ids, text=True for raw strings, or sample_rate=... for "
            "raw waveforms; got none of them."
        )
    else:
        input_shape = check_input_shape(input_shape)
    inputs_kind = (
        "raw waveforms"
        if sample_rate
        else "token ids or text"
        if text or vocab_size
        else "features"
    )
    if num_mels is not None and inputs_kind != "raw waveforms":
        raise ValueError(
            f"num_mels sets the mel bands of the waveform front end (sample_rate=...); got "
            f"num_mels={num_mels!r} for a model on {inputs_kind}: leave it out."
        )
    if embedding_dim is not None and inputs_kind != "token ids or text":
        raise ValueError(
            f"embedding_dim sets the token embedding (vocab_size=... or text=True); got "
            f"embedding_dim={embedding_dim!r} for a model on {inputs_kind}: leave it out."
        )
    num_mels = check_positive_int("num_mels", 40 if num_mels is None else num_mels)
    embedding_dim = check_positive_int(
        "embedding_dim", 64 if embedding_dim is None else embedding_dim
    )
    if inputs_kind == "token ids or text":
        given = f"vocab_size={vocab_size} and embedding_dim={embedding_dim}"
        check_weight_size("the embedding", vocab_size, embedding_dim, given)
    # Each layer's kernels (the first reads the features, embeddings or mel bands, the others
    # the layer below), then all the recurrent kernels together.
    if inputs_kind == "features":
        inputs, given = input_shape[-1], f"input_shape={tuple(input_shape)}"
    elif inputs_kind == "raw waveforms":
        inputs, given = num_mels, f"num_mels={num_mels}"
    else:
        inputs, given = embedding_dim, f"embedding_dim={embedding_dim}"
    widen = 2 if bidirectional and merge_mode == "concat" else 1
    for n in layer_units:
        check_cell_size(cell, n, inputs, given)
        inputs, given = widen * n, f"the layer below's {widen * n} features"
    check_stack_size(cell, layer_units, 2 if bidirectional else 1)
    if mask_value is not None:
        if isinstance(mask_value, bool) or not isinstance(mask_value, numbers.Real):
            raise TypeError(f"mask_value must be a finite number or None, got {mask_value!r}.")
        if not np.isfinite(mask_value):
            raise ValueError(
                f"mask_value must be a finite number or None, got {mask_value!r} (a NaN never "
                "equals itself, so NaN padding would never be masked)."
            )
    sequence_length = check_positive_int("sequence_length", sequence_length, allow_none=True)
    if sequence_length is not None and not text:
        raise ValueError(
            f"sequence_length pads or cuts raw text (text=True); got sequence_length="
            f"{sequence_length} without text=True: give input_shape=(timesteps, ...) instead."
        )
    if sequence_length is not None and vectorizer is not None:
        raise ValueError(
            f"sequence_length sets the length of the TextVectorization text=True builds; got "
            f"sequence_length={sequence_length} with vectorizer=..., which brings its own "
            "(output_sequence_length): leave sequence_length out, or build the vectorizer with "
            f"output_sequence_length={sequence_length}."
        )
    if text and task_.per_step:
        given = vectorizer.get_config() if vectorizer is not None else {}
        if given.get("output_sequence_length", sequence_length) is None:
            fix = (
                "give a vectorizer built with output_sequence_length=N"
                if vectorizer is not None
                else "give sequence_length=N"
            )
            raise ValueError(
                f"task={task!r} gives one output per token, so its targets hold one per token: "
                "a text model needs a fixed number of tokens (else each batch is padded to its "
                f"own longest text, which the targets' length matches only by chance): {fix} "
                "(each text padded or cut to N tokens, the targets' length)."
            )
    if stateful:
        if bidirectional:
            raise ValueError(
                "stateful=True needs a unidirectional model (a backward pass cannot carry "
                "state from one window to the next), got bidirectional=True."
            )
        if batch_size is None:
            raise ValueError("stateful=True needs batch_size (the fixed batch size), got None.")
        batch_size = check_positive_int("batch_size", batch_size)
        if text:
            raise ValueError("stateful=True takes sequences or token ids, not text=True.")
    elif batch_size is not None:
        raise ValueError(
            f"batch_size fixes the batch of a stateful model (stateful=True); got batch_size="
            f"{batch_size!r} without it: leave it out (fit and predict take any batch size)."
        )
    if clipnorm is not None:
        check_positive_float("clipnorm", clipnorm)
    _check_cudnn_path(cell, activation, recurrent_activation, recurrent_dropout)

    inputs, x = _inputs(
        input_shape,
        vocab_size,
        embedding_dim,
        mask_zero,
        mask_value,
        text,
        vectorizer,
        sequence_length,
        stateful,
        batch_size,
        seed,
        sample_rate,
        num_mels,
    )
    opts = dict(
        activation=activation,
        recurrent_activation=recurrent_activation,
        dropout=dropout,
        recurrent_dropout=recurrent_dropout,
        stateful=stateful,
    )
    for i, n in enumerate(layer_units):
        # A sequence-level model's last layer returns one vector: its residual link adds the
        # last real step of its input (a bidirectional layer's backward half has read the
        # whole sequence by then, as without the link).
        pool = residual and i > 0 and i == num_layers - 1 and not task_.per_step
        seq = task_.per_step or i < num_layers - 1
        layer_seed = seeded(seed, 10 * (i + 1))
        layer = _rnn_layer(cell, n, seq, False, i, opts, layer_seed)
        if bidirectional:
            backward = _rnn_layer(cell, n, seq, True, i, opts, seeded(seed, 10 * (i + 1) + 5))
            layer = keras.layers.Bidirectional(
                layer, backward_layer=backward, merge_mode=merge_mode, name=f"bidirectional_{i}"
            )
        y = layer(x)
        if residual and i > 0:
            skip = LastUnmaskedStep(name=f"last_step_{i}")(x) if pool else x
            y = keras.layers.Add(name=f"residual_{i}")([skip, y])
        if layer_norm and i < num_layers - 1:
            y = keras.layers.LayerNormalization(name=f"layer_norm_{i}")(y)
        x = y
    outputs = heads.output(x, task_, num_classes, output_dim, horizon, seed=seeded(seed, 999))
    model_class = RecurrentModel
    if text or sample_rate or stateful:  # never two of them: checked above
        model_class = TextModel if text else WaveformModel if sample_rate else StatefulModel
    model = model_class(inputs, outputs, name=name)
    if compile:
        loss_, metrics = heads.compile_args(task_, loss)
        compile_model(model, loss_, metrics, optimizer, learning_rate, clipnorm)
    return model


def optimizer_names():
    """The names `compile_model` takes for an optimizer: Keras's optimizers, lower-cased.

    Example:
        >>> {"adam", "adamw", "rmsprop", "sgd"} <= set(optimizer_names())
        True
    """
    names = []
    for attr in dir(keras.optimizers):
        cls = getattr(keras.optimizers, attr)
        if not (isinstance(cls, type) and issubclass(cls, keras.optimizers.Optimizer)):
            continue
        try:  # (one Keras cannot build by name, e.g. LossScaleOptimizer, is left out)
            keras.optimizers.get({"class_name": attr.lower(), "config": {}})
        except Exception:
            continue
        names.append(attr.lower())
    return sorted(set(names))


def compile_model(
    model,
    loss,
    metrics,
    optimizer="adam",
    learning_rate=1e-3,
    clipnorm=1.0,
    *,
    defaults=(1e-3, 1.0),
):
    """Compiles `model` with an optimizer given by name or instance.

    Args:
        model: a `keras.Model`.
        loss: the loss.
        metrics: a list of metrics.
        optimizer: a Keras optimizer name (`"adam"`, `"sgd"`, `"rmsprop"`, ...) or instance;
            an instance is used as it is, with its own learning rate and clipping (then
            `learning_rate` and `clipnorm` must be left at their defaults).
        learning_rate: a float or a `keras.optimizers.schedules.LearningRateSchedule`.
        clipnorm: gradient norm clipping (on by default: exploding gradients are the classic
            RNN failure); `None` turns it off.
        defaults: the calling factory's defaults of `(learning_rate, clipnorm)`: with an
            optimizer instance, a value other than these was given and cannot apply.

    Example:
        >>> import keras
        >>> m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(1)])
        >>> compile_model(m, "mse", ["mae"], optimizer="sgd", learning_rate=0.01)
    """
    if isinstance(optimizer, str):
        if not isinstance(learning_rate, keras.optimizers.schedules.LearningRateSchedule):
            learning_rate = check_positive_float("learning_rate", learning_rate)
        config = {"learning_rate": learning_rate}
        if clipnorm is not None:
            config["clipnorm"] = clipnorm
        try:
            optimizer = keras.optimizers.get({"class_name": optimizer, "config": config})
        except (ValueError, TypeError) as e:
            names = optimizer_names()
            if optimizer.lower() in names:  # a known name that refused these settings
                raise ValueError(f"optimizer {optimizer!r}: {e}") from None
            raise ValueError(
                f"optimizer must be a Keras optimizer name ({', '.join(names)}) or instance, "
                f"got {optimizer!r}." + suggest(optimizer.lower(), names)
            ) from None
    elif not isinstance(optimizer, keras.optimizers.Optimizer):
        raise TypeError(
            f"optimizer must be a name or a keras.optimizers.Optimizer, got {optimizer!r}."
        )
    else:
        given = [
            f"{name}={value!r}"
            for name, value, default in zip(
                ("learning_rate", "clipnorm"), (learning_rate, clipnorm), defaults, strict=True
            )
            if not _same_number(value, default)
        ]
        if given:
            name = type(optimizer).__name__
            raise ValueError(
                f"{' and '.join(given)} cannot apply to the optimizer instance {name}: an "
                f"instance is used as it is. Set them on it (keras.optimizers.{name}("
                "learning_rate=..., clipnorm=...)) or pass the optimizer by name."
            )
    model.compile(optimizer=optimizer, loss=loss, metrics=metrics)
    optimizer = model.optimizer  # under mixed precision, the LossScaleOptimizer around it
    if model.built and not optimizer.built:
        # Built now, a model saved before any fit (an ESN fitted in closed form, say) loads
        # without Keras's warning that the saved optimizer has fewer variables than the
        # rebuilt one.
        optimizer.build(model.trainable_variables)


def _dataset_texts(dataset, batch_size):
    """The strings of a dataset of texts or of `(text, label, ...)` tuples, batched."""
    spec = dataset.element_spec
    if isinstance(spec, tuple) and spec:
        dataset, spec = dataset.map(lambda text, *_: text), spec[0]
    if getattr(spec, "dtype", None) is None or spec.dtype.name != "string":
        raise TypeError(
            "texts must be a tf.data.Dataset of strings or of (text, label) tuples, got a "
            f"dataset of {dataset.element_spec}."
        )
    return dataset.batch(batch_size) if spec.shape.rank == 0 else dataset


def _same_number(value, default):
    """Whether `value` is `default` (`None`, a schedule) or a number equal to it."""
    numeric = isinstance(value, numbers.Real) and isinstance(default, numbers.Real)
    return value is default or (numeric and value == default)


def adapt_text(model, texts, batch_size=256):
    """Adapts the model's `TextVectorization` layer to `texts` (strings or a dataset of strings).

    Args:
        model: a model built with `text=True`.
        texts: a list/array of strings, or a `tf.data.Dataset` yielding strings or
            `(text, label, ...)` tuples (a training split as it is: its texts are adapted to).
        batch_size: batch size used to adapt on a list or on a dataset of single examples.

    Example:
        >>> import zoo
        >>> m = zoo.models.lstm(text=True, vocab_size=50, task="binary", units=4)
        >>> adapt_text(m, ["a great film", "a dull film"])
        >>> import tensorflow as tf
        >>> train = tf.data.Dataset.from_tensor_slices((["a great film", "a dull film"], [1, 0]))
        >>> adapt_text(m, train)
        >>> m.get_layer("vectorizer").vocabulary_size()  # padding, [UNK] and 4 words
        6
    """
    vectorizer = text_vectorizer(model)
    if vectorizer is None:
        raise ValueError(
            f"model {model.name!r} has no TextVectorization layer: build it with text=True."
        )
    batch_size = check_positive_int("batch_size", batch_size)
    if hasattr(texts, "element_spec"):  # a tf.data.Dataset
        texts = _dataset_texts(texts, batch_size)
    else:
        texts = as_strings(texts)
        if not isinstance(texts, np.ndarray) or texts.dtype != object:
            raise TypeError(
                f"texts must be a list or array of strings or a tf.data.Dataset of strings, got "
                f"{texts!r:.80}."
            )
    vectorizer.adapt(texts, batch_size=batch_size)
    size = vectorizer.vocabulary_size()
    if size <= 2:  # padding and [UNK] only
        raise ValueError(
            f"texts gave model {model.name!r}'s vectorizer no token to learn ("
            + (
                f"{len(texts)} texts, e.g. {list(texts[:3])}"
                if isinstance(texts, np.ndarray)
                else "a dataset of texts"
            )
            + ", each empty after its standardization): adapt it to texts with words."
        )
    rows = [la.input_dim for la in model.layers if isinstance(la, keras.layers.Embedding)]
    if rows and size > rows[0]:
        # Only a vectorizer without max_tokens grows past the embedding it was built with.
        raise ValueError(
            f"adapting gave a vocabulary of {size} tokens but model {model.name!r} embeds only "
            f"{rows[0]} ids (its vocab_size): ids from {rows[0]} up would be out of range. "
            f"Build the model with vocab_size >= {size}, or give the vectorizer max_tokens="
            f"{rows[0]}."
        )
