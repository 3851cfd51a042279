"""Metrics of the sequence models: token accuracy over real tokens, bits per character, perplexity.

Each is a stateful `keras.metrics.Metric` that ignores padding (target id `pad_id`), so padding a
batch to another length changes none of them.
"""

import math

import keras
from keras import ops


class _MaskedTokenMetric(keras.metrics.Metric):
    """Accumulates a per-token quantity over the real tokens of every batch."""

    def __init__(self, pad_id=0, from_logits=True, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if isinstance(pad_id, bool) or not isinstance(pad_id, int) or pad_id < 0:
            raise ValueError(f"pad_id must be a non-negative int, got {pad_id!r}.")
        self.pad_id = pad_id
        self.from_logits = from_logits
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def per_token(self, y_true, y_pred):
        """The quantity to average, one value per token."""
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch: `y_true` ids `(batch, T)`, `y_pred` scores `(batch, T, vocab)`."""
        y_true = ops.cast(y_true, "int32")
        mask = ops.cast(ops.not_equal(y_true, self.pad_id), "float32")
        if sample_weight is not None:
            mask = mask * ops.cast(sample_weight, "float32")
        values = ops.cast(self.per_token(y_true, y_pred), "float32")
        self.total.assign_add(ops.sum(values * mask))
        self.count.assign_add(ops.sum(mask))

    def mean(self):
        """The average over every real token seen."""
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        """Forgets every batch seen."""
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        """The constructor arguments."""
        return {"pad_id": self.pad_id, "from_logits": self.from_logits, "name": self.name}


@keras.saving.register_keras_serializable(package="zoo")
class MaskedTokenAccuracy(_MaskedTokenMetric):
    """The share of real target tokens whose highest-scoring prediction is right.

    Args:
        pad_id: the padding target id, left out.
        from_logits: unused by the arg-max; kept for symmetry with the losses.
        name: the metric's name.

    Example:
        >>> import numpy as np
        >>> m = MaskedTokenAccuracy()
        >>> m.update_state(np.array([[1, 2, 0]]), np.eye(3)[[[1, 0, 2]]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, pad_id=0, from_logits=True, name="token_accuracy", dtype=None):
        super().__init__(pad_id=pad_id, from_logits=from_logits, name=name, dtype=dtype)

    def per_token(self, y_true, y_pred):
        """1 where the arg-max is the target."""
        return ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), y_true)

    def result(self):
        """The token accuracy."""
        return self.mean()


@keras.saving.register_keras_serializable(package="zoo")
class BitsPerCharacter(_MaskedTokenMetric):
    """Cross-entropy in bits per real token (per character for a character model).

    Args:
        pad_id: the padding target id, left out.
        from_logits: whether predictions are logits.
        name: the metric's name.

    Example:
        >>> import numpy as np
        >>> m = BitsPerCharacter()
        >>> m.update_state(np.array([[1, 2]]), np.zeros((1, 2, 4), "float32"))
        >>> float(m.result())  # uniform over 4 symbols: 2 bits
        2.0
    """

    def __init__(self, pad_id=0, from_logits=True, name="bits_per_character", dtype=None):
        super().__init__(pad_id=pad_id, from_logits=from_logits, name=name, dtype=dtype)

    def per_token(self, y_true, y_pred):
        """Cross-entropy in nats."""
        return keras.losses.sparse_categorical_crossentropy(
            y_true, y_pred, from_logits=self.from_logits
        )

    def result(self):
        """Mean cross-entropy divided by ln 2."""
        return self.mean() / math.log(2.0)


@keras.saving.register_keras_serializable(package="zoo")
class Perplexity(BitsPerCharacter):
    """Perplexity over the real tokens: `exp` of the mean cross-entropy in nats.

    Args:
        pad_id: the padding target id, left out.
        from_logits: whether predictions are logits.
        name: the metric's name.

    Example:
        >>> import numpy as np
        >>> m = Perplexity()
        >>> m.update_state(np.array([[1, 2]]), np.zeros((1, 2, 4), "float32"))
        >>> round(float(m.result()), 4)  # uniform over 4 symbols
        4.0
    """

    def __init__(self, pad_id=0, from_logits=True, name="perplexity", dtype=None):
        super().__init__(pad_id=pad_id, from_logits=from_logits, name=name, dtype=dtype)

    def result(self):
        """`exp(mean cross-entropy)`."""
        return ops.exp(self.mean())
