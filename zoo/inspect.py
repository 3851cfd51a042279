"""Looking inside trained recurrent models."""

import numpy as np
import tensorflow as tf

from zoo import heads
from zoo.tbptt import states_kept
from zoo.validation import check_finite, check_targets


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
    shape = tuple(model.outputs[0].shape) if getattr(model, "outputs", None) else None
    if shape is None:
        return x, y
    if len(shape) == 3 and shape[1] is None:
        shape = (None, x.shape[1], shape[2])
    ignore = getattr(model.loss, "ignore_class", None)
    return x, check_targets("y", y, heads.target_kind(model.loss), shape, ignore)


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
    x = np.asarray(x, dtype="float32")
    if x.ndim != 3:
        raise ValueError(f"x must be (batch, T, features), got shape {x.shape}.")
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
