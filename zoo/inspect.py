"""Looking inside trained recurrent models."""

import numpy as np
import tensorflow as tf

from zoo.tbptt import states_kept


def gradient_through_time(model, x, y):
    """Returns `‖∂L/∂x_t‖` for every time step t: backpropagation through time made visible.

    The loss is the model's compiled loss on `(x, y)`; the norm is taken over the features of
    each step and averaged over the batch. A vanishing gradient shows as norms that fall by orders
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
    x = tf.convert_to_tensor(np.asarray(x, dtype="float32"))
    if x.shape.rank != 3:
        raise ValueError(f"x must be (batch, T, features), got shape {tuple(x.shape)}.")
    y_shape = np.shape(y)
    with states_kept(model), tf.GradientTape() as tape:
        tape.watch(x)
        y_pred = model(x, training=False)
        # The loss broadcasts what it can: (2, 7) targets against (2, 1) outputs gave numbers.
        expected = tuple(y_pred.shape)
        if y_shape not in (expected, expected[:-1], expected[:-1] + (1,)):  # or class ids
            raise ValueError(
                f"y must be the targets of x: model {model.name!r} gives outputs of shape "
                f"{expected} for x of shape {tuple(x.shape)}, got y of shape {y_shape}."
            )
        loss = model.compute_loss(x=x, y=y, y_pred=y_pred)
    grads = tape.gradient(loss, x)
    return tf.reduce_mean(tf.norm(grads, axis=-1), axis=0).numpy().astype("float64")
