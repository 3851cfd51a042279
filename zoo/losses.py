"""Losses of the zoo's models: token cross-entropy, CTC, per-step error, the heads' losses.

The heads' losses are Keras's, averaged over every replica's examples under `tf.distribute`.
"""

import keras
from keras import ops

from zoo.validation import check_bool, check_choice, check_positive_float, is_int


def replica_share(loss):
    """Divides a replica's loss by the number of replicas training in sync (1: unchanged).

    Under `tf.distribute` every replica's gradients are summed, and Keras multiplies the loss it
    reports by the replica count; Keras's own reductions divide by it (`"sum_over_batch_size"`),
    so must a loss that does its own averaging (`reduction="sum"`, a model's `compute_loss`),
    or a two-replica run would train with twice the gradient and report twice the loss.

    Example:
        >>> float(replica_share(ops.convert_to_tensor(3.0)))  # no strategy: one replica
        3.0
    """
    import tensorflow as tf

    replicas = tf.distribute.get_strategy().num_replicas_in_sync
    return loss if replicas == 1 else loss / replicas


def _synced_replica():
    """The replica context of a step that more than one replica runs in sync, else `None`."""
    import tensorflow as tf

    context = tf.distribute.get_replica_context()  # (None in a cross-replica context)
    if context is None or context.num_replicas_in_sync == 1:
        return None
    return context


def global_mean(total, count, floor=1.0):
    """`total / count` summed over every replica's examples, as this replica's share of it.

    On one device (or outside a replica's step) that is `replica_share(total / max(count,
    floor))`. In a step that several replicas run in sync, each replica's own mean would weigh
    a replica of few real tokens (or examples) as much as one of many: the counts are summed
    over the replicas instead, so that the replicas' summed gradients are the one-device
    gradient of the whole batch; the value each replica returns is the whole batch's mean over
    the replica count, which Keras's loss tracker (each replica's loss times the replica count,
    weighed by its examples) turns into the one-device loss, even for a batch split unevenly.

    Args:
        total: this replica's summed (weighted) losses.
        count: this replica's number of real values the mean is over.
        floor: the least divisor (a batch without real values has loss 0).

    Example:
        >>> float(global_mean(ops.convert_to_tensor(6.0), ops.convert_to_tensor(4.0)))
        1.5
    """
    import tensorflow as tf

    context = _synced_replica()
    if context is None:
        return replica_share(total / ops.maximum(count, floor))
    count = context.all_reduce(tf.distribute.ReduceOp.SUM, ops.stop_gradient(count))
    share = total / ops.maximum(count, floor)
    mean = context.all_reduce(tf.distribute.ReduceOp.SUM, ops.stop_gradient(share))
    value = mean / context.num_replicas_in_sync
    return share + ops.stop_gradient(value - share)


class _RealValues(keras.losses.Loss):
    """Counts a loss's real values (`reduction="sum"`): one per prediction step, mask applied."""

    def __init__(self, ignore_class=None, **kwargs):
        super().__init__(**kwargs)
        self.ignore_class = ignore_class

    def call(self, y_true, y_pred):
        ones = ops.ones_like(y_pred[..., 0])
        if self.ignore_class is None:
            return ones
        ids = ops.reshape(ops.cast(y_true, "int32"), ops.shape(ones))
        return ones * ops.cast(ops.not_equal(ids, self.ignore_class), ones.dtype)


def global_average(loss, y_true, y_pred, sample_weight=None):
    """`loss(y_true, y_pred, sample_weight)`, averaged over every replica's real values.

    For a loss of `"sum_over_batch_size"` (or `"mean"`) reduction whose values have one entry
    per prediction step (`y_pred` less its last axis): Keras's reduction averages over each
    replica's own values (its real steps, with a mask on the predictions), so replicas holding
    unequal numbers of real steps were weighed alike. Here the loss is summed with
    `reduction="sum"` and divided through `global_mean` (on one device, the same mean).

    Example:
        >>> import numpy as np
        >>> loss = PerStepError()
        >>> float(global_average(loss, np.ones((2, 3)), np.zeros((2, 3, 1), "float32")))
        1.0
    """
    summed = type(loss).from_config({**loss.get_config(), "reduction": "sum"})
    total = summed(y_true, y_pred, sample_weight)
    count = _RealValues(ignored_class(loss), reduction="sum", dtype=loss.dtype)(y_true, y_pred)
    return global_mean(total, count)


class _ReplicaAverage:
    """A mixin for a Keras loss of mean reduction: over replicas in sync, `global_average`.

    On one device (or with another reduction) the loss is Keras's own, bit for bit.
    """

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The loss, averaged over the real values of every replica."""
        if _synced_replica() is None or self.reduction not in ("sum_over_batch_size", "mean"):
            return super().__call__(y_true, y_pred, sample_weight)
        return global_average(self, y_true, y_pred, sample_weight)


def per_sequence(sample_weight, y_true=None):
    """A `(batch,)` weight as `(batch, 1)`, so that it weighs every step of its sequence.

    Keras would broadcast it against the `(batch, T)` per-token values along time instead.
    Other shapes (`(batch, T)` per-token weights) pass unchanged. In a step Keras traced for
    weights of either rank (after fits with weights of both), the rank is unknown: the weights
    are then reshaped to `(batch, -1)`, the batch read from `y_true`.

    Example:
        >>> import numpy as np
        >>> tuple(per_sequence(np.array([1.0, 0.5])).shape)
        (2, 1)
        >>> tuple(per_sequence(np.ones((2, 5))).shape), per_sequence(None)
        ((2, 5), None)
    """
    if sample_weight is None:
        return None
    sample_weight = ops.convert_to_tensor(sample_weight)
    rank = ops.ndim(sample_weight)
    if rank == 1:
        return ops.expand_dims(sample_weight, -1)
    if rank is None and y_true is not None:
        return ops.reshape(sample_weight, (ops.shape(y_true)[0], -1))
    return sample_weight


def ignored_class(loss):
    """The target class id `loss` skips, or `None`.

    A Keras loss's `ignore_class` (`SparseCategoricalCrossentropy(ignore_class=-1)`), or
    `MaskedSequenceCrossentropy`'s `pad_id`: the metrics and scores of a model compiled with it
    skip that class too.

    Example:
        >>> ignored_class(keras.losses.SparseCategoricalCrossentropy(ignore_class=-1))
        -1
        >>> print(ignored_class("sparse_categorical_crossentropy"))
        None
    """
    if isinstance(loss, MaskedSequenceCrossentropy):
        return loss.pad_id
    return getattr(loss, "ignore_class", None)


class _KeepsDtype:
    """A mixin for a Keras loss whose config leaves its `dtype` out: kept in the config.

    Without it a float64 model's loss came back float32 from a `.keras` file and scored a fit
    of errors below float32's resolution as worse than it is (the ESN's, e.g. 9.3e-12 read as
    2.1e-11).
    """

    def get_config(self):
        """Keras's config and the dtype."""
        return {**super().get_config(), "dtype": self.dtype}


@keras.saving.register_keras_serializable(package="zoo")
class MeanSquaredError(_ReplicaAverage, _KeepsDtype, keras.losses.MeanSquaredError):
    """Keras's `MeanSquaredError`, its `dtype` kept, averaged over every replica's examples.

    The same value as Keras's on one device. In a step that several replicas run in sync the
    mean is over the whole batch's values (`global_average`), where Keras's own averages each
    replica's and weighs the replicas alike: a last batch split unevenly (3 examples and 2)
    gave neither the one-device loss nor its step. The `regression` and `forecast` heads'
    loss (`loss="mse"`, the default).

    Example:
        >>> loss = MeanSquaredError(dtype="float64")
        >>> MeanSquaredError.from_config(loss.get_config()).dtype
        'float64'
        >>> float(MeanSquaredError()([[1.0], [3.0]], [[0.0], [0.0]]))
        5.0
    """


@keras.saving.register_keras_serializable(package="zoo")
class MeanAbsoluteError(_ReplicaAverage, _KeepsDtype, keras.losses.MeanAbsoluteError):
    """Keras's `MeanAbsoluteError`, its `dtype` kept, averaged over every replica's examples.

    As `MeanSquaredError`: the `regression` and `forecast` heads' `loss="mae"`.

    Example:
        >>> float(MeanAbsoluteError()([[1.0], [3.0]], [[0.0], [0.0]]))
        2.0
    """


@keras.saving.register_keras_serializable(package="zoo")
class BinaryCrossentropy(_ReplicaAverage, _KeepsDtype, keras.losses.BinaryCrossentropy):
    """Keras's `BinaryCrossentropy`, its `dtype` kept, averaged over every replica's examples.

    As `MeanSquaredError`: the `binary` head's loss (on its sigmoid probabilities).

    Example:
        >>> round(float(BinaryCrossentropy()([[1.0], [0.0]], [[0.5], [0.5]])), 4)  # log(2)
        0.6931
    """


@keras.saving.register_keras_serializable(package="zoo")
class Huber(_ReplicaAverage, _KeepsDtype, keras.losses.Huber):
    """Keras's `Huber`, its `delta` (and dtype) kept, averaged over every replica's examples.

    Keras 3.15's `Huber` leaves `delta` out of its config, so a model compiled with
    `Huber(delta=0.1)` came back from a `.keras` file with `delta=1.0` and evaluated to another
    loss (keras-team/keras#23286, fixed after 3.15.1). The zoo's factories compile a Keras
    `Huber` given as `loss` as this one.

    Args:
        delta: where the loss turns from quadratic to linear, > 0.
        reduction: a Keras loss reduction.
        name: the loss's name.
        dtype: the loss's dtype.

    Example:
        >>> loss = Huber(delta=0.1)
        >>> Huber.from_config(loss.get_config()).delta
        0.1
        >>> round(float(loss([[0.0]], [[2.0]])), 4)  # 0.1 * (2 - 0.1 / 2)
        0.195
    """

    def __init__(self, delta=1.0, reduction="sum_over_batch_size", name="huber_loss", dtype=None):
        self.delta = check_positive_float("delta", delta)
        super().__init__(delta=self.delta, reduction=reduction, name=name, dtype=dtype)

    def get_config(self):
        """Keras's config, the dtype and `delta`."""
        return {**super().get_config(), "delta": self.delta}


@keras.saving.register_keras_serializable(package="zoo")
class MaskedSequenceCrossentropy(keras.losses.Loss):
    """Sparse cross-entropy per token, averaged over the real (non-padding) tokens of the batch.

    Target id `pad_id` marks padding: those positions add nothing to the loss and do not count
    in the average, so the same batch padded to two different lengths gives the same loss. The
    average is over all real tokens of the batch (a long sequence weighs more than a short one),
    as in sequence-to-sequence training.

    Args:
        pad_id: the padding target id (0 in every zoo vocabulary).
        from_logits: whether predictions are logits (the zoo's sequence models output logits).
        name: the loss's name.

    Example:
        >>> import numpy as np
        >>> loss = MaskedSequenceCrossentropy()
        >>> logits = np.zeros((1, 3, 4), "float32")
        >>> round(float(loss(np.array([[2, 3, 0]]), logits)), 4)  # log(4), padding ignored
        1.3863
    """

    def __init__(self, pad_id=0, from_logits=True, name="masked_sequence_crossentropy"):
        # "sum": the token average is computed in `__call__`; Keras's own mask handling (from
        # a mask on the predictions) then only multiplies by the same 0/1 mask again.
        super().__init__(name=name, reduction="sum")
        if not is_int(pad_id) or pad_id < 0:
            raise ValueError(f"pad_id must be a non-negative int, got {pad_id!r}.")
        self.pad_id = int(pad_id)
        self.from_logits = check_bool("from_logits", from_logits)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The loss; a `(batch,)` `sample_weight` weighs each sequence's tokens alike."""
        total = super().__call__(y_true, y_pred, per_sequence(sample_weight, y_true))
        # the mean over the real tokens (of every replica, over several)
        real = ops.not_equal(ops.cast(y_true, "int32"), self.pad_id)
        return global_mean(total, ops.sum(ops.cast(real, total.dtype)))

    def call(self, y_true, y_pred):
        """Per-token losses, 0 at padding (`__call__` sums and averages them)."""
        y_true = ops.cast(y_true, "int32")
        per_token = keras.losses.sparse_categorical_crossentropy(
            y_true, y_pred, from_logits=self.from_logits
        )
        return per_token * ops.cast(ops.not_equal(y_true, self.pad_id), per_token.dtype)

    def get_config(self):
        """The constructor arguments."""
        return {"pad_id": self.pad_id, "from_logits": self.from_logits, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Rebuilds the loss from `get_config()`."""
        config = {k: v for k, v in config.items() if k in ("pad_id", "from_logits", "name")}
        return cls(**config)


@keras.saving.register_keras_serializable(package="zoo")
class SparseCategoricalCrossentropy(_ReplicaAverage, keras.losses.SparseCategoricalCrossentropy):
    """Keras's `SparseCategoricalCrossentropy`, averaged over every replica's real steps.

    The same value on one device; in a step that several replicas run in sync the mean is over
    the real (unmasked, not ignored) values of the whole batch (`global_average`), where
    Keras's own averages each replica's and weighs the replicas alike.

    Example:
        >>> import numpy as np
        >>> probs = np.full((1, 2, 4), 0.25, "float32")
        >>> round(float(SparseCategoricalCrossentropy()(np.array([[1, 2]]), probs)), 4)
        1.3863
    """


ERRORS = ("mse", "mae")


@keras.saving.register_keras_serializable(package="zoo")
def per_step_error(y_true, y_pred, error="mse"):
    """The mean squared (`"mse"`) or absolute (`"mae"`) error of each step: `(batch, T)` values.

    Predictions are `(batch, T, output_dim)`; targets the same, or `(batch, T)` with one value
    per step when `output_dim` is 1 (Keras's own `"mse"` would squeeze the predictions to the
    targets' rank instead, and then average over time: a `(batch,)` loss that a per-step mask
    cannot weigh).

    Example:
        >>> import numpy as np
        >>> per_step_error(np.ones((1, 3)), np.zeros((1, 3, 1), "float32")).shape
        TensorShape([1, 3])
    """
    check_choice("error", error, ERRORS)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    if len(y_true.shape) == len(y_pred.shape) - 1:
        if y_pred.shape[-1] != 1:
            raise ValueError(
                f"per-step targets must be (batch, T, output_dim={y_pred.shape[-1]}) like the "
                f"predictions {tuple(y_pred.shape)}, got shape {tuple(y_true.shape)} ((batch, "
                "T) targets, one value per step, fit only output_dim=1)."
            )
        y_true = ops.expand_dims(y_true, -1)
    diff = y_pred - y_true
    return ops.mean(ops.square(diff) if error == "mse" else ops.abs(diff), axis=-1)


@keras.saving.register_keras_serializable(package="zoo")
class PerStepError(_ReplicaAverage, keras.losses.Loss):
    """The `sequence_regression` loss: `per_step_error` averaged over the (real) steps.

    The same value as Keras's `"mse"` (or `"mae"`) on `(batch, T, output_dim)` targets, padded
    steps (a mask on the predictions) left out of the average; `(batch, T)` targets also work
    when `output_dim` is 1.

    Args:
        error: `"mse"` or `"mae"`.
        reduction: a Keras loss reduction.
        name: the loss's name.

    Example:
        >>> import numpy as np
        >>> float(PerStepError("mae")(np.ones((2, 3)), np.zeros((2, 3, 1), "float32")))
        1.0
    """

    def __init__(self, error="mse", reduction="sum_over_batch_size", name=None):
        self.error = check_choice("error", error, ERRORS)
        super().__init__(name=name or f"per_step_{error}", reduction=reduction)

    def __call__(self, y_true, y_pred, sample_weight=None):
        """The loss; a `(batch,)` `sample_weight` weighs each sequence's steps alike.

        Over several replicas the average is over the real steps of every replica
        (`global_average`), as on one device.
        """
        return super().__call__(y_true, y_pred, per_sequence(sample_weight, y_true))

    def call(self, y_true, y_pred):
        """`(batch, T)` per-step errors."""
        return per_step_error(y_true, y_pred, self.error)

    def get_config(self):
        """The constructor arguments."""
        return {"error": self.error, "reduction": self.reduction, "name": self.name}


def per_step_metric(error="mae"):
    """A metric named `error` (`"mae"` or `"mse"`), `per_step_error` averaged over real steps.

    Example:
        >>> import numpy as np
        >>> metric = per_step_metric("mae")
        >>> metric.update_state(np.ones((2, 3)), np.zeros((2, 3, 1), "float32"))
        >>> metric.name, float(metric.result())
        ('mae', 1.0)
    """
    check_choice("error", error, ERRORS)
    return keras.metrics.MeanMetricWrapper(per_step_error, name=error, error=error)


def ctc_loss(labels, logits, logit_lengths):
    """CTC negative log-likelihood of each utterance, with its own frame and label lengths.

    The same value as `keras.ops.ctc_loss(labels, logits, label_lengths, logit_lengths)` (tested),
    through TensorFlow's native CTC kernel with sparse labels: on a CPU the dense-label path that
    `keras.ops.ctc_loss` takes runs as a graph loop over frames, about 6 times slower for an
    utterance of 80 frames and 20 labels.

    Args:
        labels: `(batch, max_label_length)` int ids, 1 and up; 0 is the blank and the padding.
        logits: `(batch, frames, classes)` unnormalised scores, class 0 the blank.
        logit_lengths: `(batch,)` real frames of each utterance.

    Returns:
        `(batch,)` losses.

    Example:
        >>> import numpy as np
        >>> logits = np.log(np.array([[[0.5, 0.5], [0.5, 0.5]]], "float32"))
        >>> round(float(ctc_loss(np.array([[1]]), logits, np.array([2]))[0]), 4)  # -log(3/4)
        0.2877
    """
    import tensorflow as tf

    labels = tf.cast(labels, tf.int32)
    return tf.nn.ctc_loss(
        labels=tf.sparse.from_dense(labels),
        logits=tf.cast(logits, tf.float32),
        label_length=None,
        logit_length=tf.cast(logit_lengths, tf.int32),
        logits_time_major=False,
        blank_index=0,
    )
