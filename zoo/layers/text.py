"""Text inputs: token ids padded to at least one step, so that empty texts read as padding."""

import keras


@keras.saving.register_keras_serializable(package="zoo")
class AtLeastOneStep(keras.layers.Layer):
    """`(batch, T)` token ids to `(batch, max(T, 1))`: a batch of no tokens gets one pad id 0.

    A `TextVectorization` without `output_sequence_length` pads each batch to its longest text,
    so a batch whose texts all have no tokens (`""`, `"!!!"`) came out `(batch, 0)` and the
    recurrent layer over no steps failed ("Tried to stack list which only contains
    uninitialized tensors"), while the same empty text next to a longer one read as padding.
    With the step added, an empty text is a fully masked sequence in every batch.

    Example:
        >>> import numpy as np
        >>> AtLeastOneStep()(np.zeros((2, 0), "int64")).shape
        TensorShape([2, 1])
        >>> keras.ops.convert_to_numpy(AtLeastOneStep()(np.array([[4, 2]]))).tolist()
        [[4, 2]]
    """

    def call(self, inputs):
        """Pads the time axis with id 0 up to one step."""
        missing = keras.ops.maximum(1 - keras.ops.shape(inputs)[1], 0)
        return keras.ops.pad(inputs, [[0, 0], [0, missing]])

    def compute_output_shape(self, input_shape):
        """The input's shape, at least one step where the steps are known."""
        steps = input_shape[1]
        return (input_shape[0], None if steps is None else max(steps, 1))
