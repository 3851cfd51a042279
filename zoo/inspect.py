"""Looking inside trained recurrent models."""

import numpy as np
import tensorflow as tf

from zoo.models.recurrent_model import check_output_targets
from zoo.tbptt import states_kept
from zoo.validation import check_finite

_SUPPORTED = (
    "zoo.inspect.gradient_through_time supports models on real-valued feature sequences: one "
    "float input of shape (batch, T, features), as a factory builds with input_shape=(T, "
    "features)"
)


def _given(x):
    """What the user passed as `x`, in words: its shape and dtype."""
    if isinstance(x, dict):
        return f"a dict with keys {sorted(x)}"
    if not hasattr(x, "shape"):
        try:
            x = np.asarray(x)
        except ValueError:  # ragged lists
            return f"a {type(x).__name__}"
    dtype = getattr(x.dtype, "name", x.dtype)
    return f"x of shape {tuple(x.shape)} and dtype {dtype}"


def _takes(model):
    """What `model` takes when it is not one `(batch, T, features)` float input, or `None`."""
    inputs = getattr(model, "inputs", None)
    if not isinstance(inputs, list | tuple) or not inputs:
        return f"inputs of its own (a {type(model).__name__}, with no single input tensor)"
    if len(inputs) > 1:
        return f"{len(inputs)} inputs ({', '.join(repr(i.name) for i in inputs)})"
    spec = inputs[0]
    names = ["batch" if i == 0 else "T" if d is None else str(d) for i, d in enumerate(spec.shape)]
    shape = "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"
    if "int" in str(spec.dtype):
        return f"token ids ({spec.dtype} of shape {shape}), which are discrete: no gradient"
    if "float" not in str(spec.dtype):
        return f"{spec.dtype} inputs of shape {shape} (raw text), which have no gradient"
    if len(spec.shape) != 3:
        return f"{spec.name!r} inputs of shape {shape}, not (batch, T, features)"
    return None


def _check_model(model, x):
    """Raises unless `model` has a gradient with respect to each step of its input `x`."""
    takes = _takes(model)
    if takes is not None:
        raise TypeError(f"{_SUPPORTED}; model {model.name!r} takes {takes}. Got {_given(x)}.")
    if getattr(model, "readout_fitted", True) is False:  # an Echo State Network
        raise ValueError(
            f"model {model.name!r} has no fitted readout yet: it starts at all zeros, so every "
            "gradient would be 0. Call model.fit_readout(x, y) (or fit) first."
        )
    if not getattr(model, "compiled", False) or getattr(model, "loss", None) is None:
        raise ValueError(
            f"model {model.name!r} is not compiled with a loss: gradient_through_time "
            "differentiates the compiled loss; compile it with one first."
        )


def _check_x_shape(model, x):
    """Raises unless `x`'s batch, steps and features are those the model was built with."""
    if x.ndim != 3:
        hint = ": for one sequence pass x[None]" if x.ndim == 2 else ""
        raise ValueError(
            f"x must be (batch, T, features) for model {model.name!r}, got shape {x.shape}{hint}."
        )
    batch, steps, features = model.inputs[0].shape
    if batch is not None and x.shape[0] != batch:
        raise ValueError(
            f"x has a batch of {x.shape[0]} series but model {model.name!r} is stateful, built "
            f"with batch_size={batch} (one state per batch row): pass exactly {batch} series, or "
            "look at zoo.tbptt.stateless_copy(model), which takes any batch."
        )
    if (steps is not None and x.shape[1] != steps) or x.shape[2] != features:
        raise ValueError(
            f"x must be (batch, {'T' if steps is None else steps}, {features}) for model "
            f"{model.name!r}, got shape {x.shape}."
        )


def _checked_pair(model, x, y):
    """NumPy `(x, y)` checked as the model's `fit` checks them, `y` in the shape it gives.

    A zoo model's own check (`_check_pair`) where it has one; else finite features and
    targets that suit the output and the compiled loss (`zoo.validation.check_targets`).
    """
    y = np.asarray(y)
    check = getattr(model, "_check_pair", None)
    if callable(check):
        return check(x, y, "x", "y")
    check_finite("x", x)
    if not getattr(model, "outputs", None):
        return x, y
    return x, check_output_targets(model, y, x.shape[1])


def gradient_through_time(model, x, y):
    """Returns `‖∂L/∂x_t‖` for every time step t: backpropagation through time made visible.

    The loss is the model's compiled loss on `(x, y)`; the norm is taken over the features of
    each step and averaged over the batch. `x` and `y` are checked as the model's `fit` checks
    them: finite, and targets that suit its loss (binary labels in [0, 1], whole class ids in
    range), so that a bad target is named rather than read as another (0.5 as class 0) or
    turned into a gradient of NaN. A vanishing gradient shows as norms that fall by orders
    of magnitude from the last steps back to the first.

    A stateful model (`stateful=True`) starts from its states as they stand, so that `x` is
    looked at as the next window of its series, and gets them back afterwards
    (`zoo.tbptt.states_kept`): the call changes neither a second call nor later predictions.
    Reset them first (`zoo.tbptt.reset_states`) to look at `x` as the start of a series.

    Supported: models on real-valued feature sequences, one float input `(batch, T, features)`
    (the factories' `input_shape=(T, features)`; an Echo State Network once its readout is
    fitted). Token ids and text have no gradient (they are discrete), and whole waveforms,
    `char_lm`, `seq2seq` and `ctc_speech` take other inputs: these are refused by name.

    Args:
        model: a compiled model on real-valued sequences.
        x: `(batch, T, features)` inputs.
        y: the targets.

    Returns:
        A float64 array of shape `(T,)`.

    Example:
        >>> import numpy as np, zoo
        >>> m = zoo.models.simple_rnn(input_shape=(10, 2), task="regression", units=4)
        >>> x = np.random.rand(3, 10, 2).astype("float32")
        >>> gradient_through_time(m, x, np.ones((3, 1), "float32")).shape
        (10,)
    """
    _check_model(model, x)
    x = np.asarray(x)
    if x.dtype.kind not in "biuf":
        raise TypeError(f"x must hold real-valued features (numbers), got dtype {x.dtype}.")
    x = x.astype("float32")
    _check_x_shape(model, x)
    features, y_shape = tf.convert_to_tensor(x), np.shape(y)
    with states_kept(model), tf.GradientTape() as tape:
        tape.watch(features)
        y_pred = model(features, training=False)
        # The loss broadcasts what it can: (2, 7) targets against (2, 1) outputs gave numbers.
        expected = tuple(y_pred.shape)
        if y_shape not in (expected, expected[:-1], expected[:-1] + (1,)):  # or class ids
            raise ValueError(
                f"y must be the targets of x: model {model.name!r} gives outputs of shape "
                f"{expected} for x of shape {x.shape}, got y of shape {y_shape}."
            )
        _, y = _checked_pair(model, x, y)
        loss = model.compute_loss(x=features, y=y, y_pred=y_pred)
    grads = tape.gradient(loss, features)
    return tf.reduce_mean(tf.norm(grads, axis=-1), axis=0).numpy().astype("float64")
