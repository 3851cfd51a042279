"""Pooling over time that respects the mask: each sequence's last real step."""

import keras


@keras.saving.register_keras_serializable(package="zoo")
class LastUnmaskedStep(keras.layers.Layer):
    """`(batch, timesteps, D)` to `(batch, D)`: each sequence's last step that is not masked.

    Without a mask, the last step. A sequence with every step masked gives its first step.

    Example:
        >>> import keras, numpy as np
        >>> x = np.arange(6.0).reshape(1, 3, 2)
        >>> mask = np.array([[True, True, False]])
        >>> keras.ops.convert_to_numpy(LastUnmaskedStep()(x, mask=mask)).tolist()
        [[2.0, 3.0]]
    """

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.supports_masking = True

    def call(self, inputs, mask=None):
        """Gathers the last unmasked step of each sequence."""
        if mask is None:
            return inputs[:, -1, :]
        steps = keras.ops.shape(inputs)[1]
        positions = keras.ops.arange(steps, dtype="int32")[None, :]
        last = keras.ops.max(keras.ops.where(mask, positions, 0), axis=1)
        index = keras.ops.expand_dims(keras.ops.expand_dims(last, -1), -1)
        return keras.ops.take_along_axis(inputs, index, axis=1)[:, 0, :]

    def compute_mask(self, inputs, mask=None):
        """The pooled output has no time axis, hence no mask."""
        return None

    def compute_output_shape(self, input_shape):
        """`(batch, D)`."""
        return (input_shape[0], input_shape[2])
