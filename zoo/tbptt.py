"""Truncated backpropagation through time with stateful models.

A stateful model (`stateful=True, batch_size=B`) carries each layer's state from one call to the
next, so a long series can be fed in consecutive windows: gradients flow back at most one window,
the state flows through the whole series. States are reset at the start of every epoch and of
every prediction pass.
"""

import contextlib

import keras
import numpy as np

from zoo.validation import check_positive_int


def reset_states(model):
    """Resets the state of every stateful recurrent layer of `model` to zeros.

    Example:
        >>> import zoo
        >>> m = zoo.models.lstm(input_shape=(None, 1), task="sequence_regression",
        ...                     units=4, stateful=True, batch_size=2)
        >>> reset_states(m)
    """
    for layer in _stateful_layers(model):
        layer.reset_states()


@contextlib.contextmanager
def states_kept(model):
    """Restores the state of every stateful recurrent layer of `model` on leaving the block.

    What runs inside (a look at the model mid-series, a gradient) starts from the states as
    they stand and leaves no trace in them: the series goes on as if it had not run.

    Example:
        >>> import numpy as np, zoo
        >>> m = zoo.models.gru(input_shape=(None, 1), task="sequence_regression",
        ...                    units=4, stateful=True, batch_size=2)
        >>> x = np.ones((2, 3, 1), "float32")
        >>> with states_kept(m):
        ...     _ = m(x)
        >>> float(np.abs(m.get_layer("gru_0").states[0]).max())  # still the zero state
        0.0
    """
    saved = [
        (v, keras.ops.convert_to_numpy(v.value))
        for layer in _stateful_layers(model)
        for v in keras.tree.flatten(layer.states or [])
    ]
    try:
        yield model
    finally:
        for v, value in saved:
            v.assign(value)


def stateless_copy(model):
    """A copy of the stateful `model`, with its weights, that starts every call from a zero state.

    The copy takes any batch size and sees each call's sequences whole, as `predict` here does
    with a fresh series: `model.export(path)` of a stateful zoo model serves this copy, so that
    one request's state never leaks into the next. The copy is not compiled.

    Args:
        model: a functional model (any model: layers that carry no state are copied as they are).

    Returns:
        A new `keras.Model` (a `zoo.models.recurrent_model.RecurrentModel` for a zoo model).

    Example:
        >>> import numpy as np, zoo
        >>> m = zoo.models.lstm(input_shape=(None, 1), task="sequence_regression",
        ...                     units=4, stateful=True, batch_size=2)
        >>> copy = stateless_copy(m)
        >>> copy.input_shape, copy(np.zeros((5, 3, 1), "float32")).shape
        ((None, None, 1), TensorShape([5, 3, 1]))
        >>> type(copy).__name__
        'RecurrentModel'
    """
    if not isinstance(model, keras.Model) or not hasattr(model, "get_config"):
        raise TypeError(f"model must be a keras.Model, got {model!r}.")
    from zoo.models.recurrent_model import RecurrentModel, StatefulModel  # (imports this module)

    # A zoo model's copy keeps checking (and converting) the data it is given.
    cls = type(model) if isinstance(model, RecurrentModel) else keras.Model
    cls = RecurrentModel if issubclass(cls, StatefulModel) else cls
    copy = cls.from_config(_stateless_config(model.get_config()))
    copy.set_weights(model.get_weights())
    return copy


def _stateless_config(config):
    """`config` with `stateful=False` everywhere and the batch axis of every input free."""
    if isinstance(config, list | tuple):
        return [_stateless_config(c) for c in config]
    if not isinstance(config, dict):
        return config
    config = {k: _stateless_config(v) for k, v in config.items()}
    if config.get("stateful") is True:
        config["stateful"] = False
    if isinstance(config.get("batch_shape"), list | tuple) and config["batch_shape"]:
        config["batch_shape"] = [None, *config["batch_shape"][1:]]
    return config


def _stateful_layers(model):
    """The recurrent layers of `model` that carry their state (`stateful=True`)."""
    return [
        layer
        for layer in model._flatten_layers(include_self=False)
        if isinstance(layer, keras.layers.RNN) and layer.stateful
    ]


def _check_stateful(model):
    """Raises unless some recurrent layer of `model` carries its state (`stateful=True`)."""
    if not _stateful_layers(model):
        raise ValueError(
            f"model {model.name!r} has no stateful recurrent layer: windows would each start "
            "from a zero state. Build it with stateful=True and batch_size=..."
        )


def _check_batch(model, x):
    """Raises unless `x`'s batch and features are the ones the stateful model was built with."""
    shape = tuple(model.inputs[0].shape) if model.inputs else ()
    batch = shape[0] if shape else None
    if batch is not None and x.shape[0] != batch:
        raise ValueError(
            f"x has a batch of {x.shape[0]} series but model {model.name!r} was built with "
            f"batch_size={batch}: a stateful model carries one state per batch row, so feed "
            f"exactly {batch} series (pad with copies, or build the model with "
            f"batch_size={x.shape[0]})."
        )
    features = shape[2:]
    if len(shape) > 2 and (
        x.ndim != len(shape)
        or any(n is not None and n != m for n, m in zip(features, x.shape[2:], strict=False))
    ):
        raise ValueError(
            f"x must be (batch_size, T, {', '.join(map(str, features))}) for model "
            f"{model.name!r}, got shape {x.shape}."
        )


def _per_step(model):
    """Whether `model` predicts one output per input step (not a forecast's horizon)."""
    shape = model.output_shape
    return (
        isinstance(shape, tuple)
        and len(shape) >= 3
        and not any(layer.name == "forecast" for layer in model.layers)
    )


def _windows(x, window):
    check_positive_int("window", window)
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x must be (batch, time, ...), got shape {x.shape}.")
    if x.shape[1] == 0:
        raise ValueError(f"x has no time steps (shape {x.shape}): give at least one.")
    return [slice(t, t + window) for t in range(0, x.shape[1], window)]


def fit(model, x, y, window, epochs=1, verbose=0):
    """Trains a stateful per-step model on long series `x` in consecutive windows of `window` steps.

    Args:
        model: a model built with `stateful=True` and a per-step task.
        x: `(batch_size, T, ...)` inputs; `batch_size` must be the model's.
        y: `(batch_size, T, ...)` per-step targets.
        window: steps per window (the truncation length of BPTT).
        epochs: passes over the series; states are reset before each.
        verbose: print the mean loss of each epoch.

    Returns:
        The mean training loss of each epoch, a list.

    Example:
        >>> import numpy as np, zoo
        >>> m = zoo.models.gru(input_shape=(None, 1), task="sequence_regression",
        ...                    units=4, stateful=True, batch_size=2)
        >>> x = np.random.rand(2, 20, 1).astype("float32")
        >>> len(fit(m, x, x, window=5, epochs=2))
        2
    """
    _check_stateful(model)
    if not _per_step(model):
        raise ValueError(
            f"fit trains per-step models (tagging, sequence_regression) window by window; model "
            f"{model.name!r} gives one output per sequence (output shape {model.output_shape})."
        )
    x, y = np.asarray(x), np.asarray(y)
    if x.ndim < 2 or y.ndim < 2 or x.shape[:2] != y.shape[:2]:
        raise ValueError(
            f"x and y must be (batch_size, T, ...) with the same batch and steps, got x of shape "
            f"{x.shape} and y of shape {y.shape}."
        )
    _check_batch(model, x)
    check = getattr(model, "_check_pair", None)  # a zoo model's checks, as its `fit` makes them
    if check is not None:  # (finite values, ids and class ids in range, targets' shape)
        x, y = check(x, y, "x", "y")
    losses = []
    for epoch in range(check_positive_int("epochs", epochs)):
        reset_states(model)
        logs = [  # (Keras's own step: the whole series were checked above, not each window)
            keras.Model.train_on_batch(model, x[:, s], y[:, s], return_dict=True)["loss"]
            for s in _windows(x, window)
        ]
        losses.append(float(np.mean(logs)))
        if verbose:
            print(f"epoch {epoch + 1}/{epochs}: loss {losses[-1]:.4f}")
    reset_states(model)
    return losses


def predict(model, x, window):
    """Predicts on long series `x` window by window, carrying the state across windows.

    For a per-step model this equals one pass over the whole series.

    Args:
        model: a stateful model.
        x: `(batch_size, T, ...)` inputs.
        window: steps per window.

    Returns:
        The per-window predictions concatenated along time (per-step tasks), or the prediction
        after the last window (sequence-level tasks).

    Example:
        >>> import numpy as np, zoo
        >>> m = zoo.models.lstm(input_shape=(None, 1), task="sequence_regression",
        ...                     units=4, stateful=True, batch_size=2)
        >>> predict(m, np.zeros((2, 12, 1), "float32"), window=4).shape
        (2, 12, 1)
    """
    _check_stateful(model)
    x = np.asarray(x)
    if x.ndim < 2:
        raise ValueError(f"x must be (batch_size, T, ...), got shape {x.shape}.")
    _check_batch(model, x)
    check = getattr(model, "_check_x", None)
    if check is not None:
        x = check(x, "x")
    reset_states(model)
    outs = [keras.ops.convert_to_numpy(model(x[:, s], training=False)) for s in _windows(x, window)]
    reset_states(model)
    if _per_step(model):
        return np.concatenate(outs, axis=1)
    return outs[-1]
