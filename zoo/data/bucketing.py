"""Batching variable-length sequences by length, so that a batch pads only to its own longest.

Random batches of a long-tailed length distribution pad most sequences to a few long ones: on
IMDB-like lengths they process about 3.8× the real tokens. Grouping sequences of similar length
(`tf.data`'s `bucket_by_sequence_length`) with bucket boundaries at the data's length quantiles
brings that close to 1× (see `benchmarks/bucketing.py`).
"""

import numpy as np
import tensorflow as tf

from zoo.validation import check_positive_int


def quantile_boundaries(lengths, num_buckets=16):
    """Bucket boundaries at the length quantiles, so that every bucket holds about as many examples.

    Args:
        lengths: the sequence lengths of (a sample of) the data.
        num_buckets: the number of buckets wanted (duplicated boundaries collapse into one).

    Returns:
        A sorted list of distinct int boundaries for `bucket_by_sequence_length` (a sequence of
        length L falls in the first bucket whose boundary is > L).

    Example:
        >>> quantile_boundaries([1, 2, 3, 4, 5, 6, 7, 8], num_buckets=4)
        [3, 5, 7]
    """
    check_positive_int("num_buckets", num_buckets)
    lengths = np.asarray(lengths)
    if lengths.size == 0:
        raise ValueError("lengths must hold at least one length, got an empty sequence.")
    qs = np.quantile(lengths, np.linspace(0, 1, num_buckets + 1)[1:-1], method="lower")
    return sorted({int(q) + 1 for q in qs if int(q) + 1 <= lengths.max()})


def sequence_length(x, y=None):
    """The length of one example's input: time steps of a tensor, or words of a string.

    A dict input is measured by its `"length"` entry when it has one (e.g. a waveform's real
    samples), else by its first entry.

    Example:
        >>> import tensorflow as tf
        >>> int(sequence_length(tf.constant("a great film")))
        3
        >>> int(sequence_length({"waveform": tf.zeros([80]), "length": tf.constant(80)}))
        80
    """
    if isinstance(x, dict):
        if "length" in x:
            return tf.cast(x["length"], tf.int32)
        x = next(iter(x.values()))
    if x.dtype == tf.string:
        return tf.size(tf.strings.split(x))
    return tf.shape(x)[0]


def bucket_by_length(ds, batch_size, boundaries, length_fn=sequence_length):
    """Batches `(x, y)` examples by length: each batch is padded only to its own longest sequence.

    Args:
        ds: a `tf.data.Dataset` of `(x, y)` pairs (shuffle it first for training).
        batch_size: examples per batch.
        boundaries: bucket boundaries (see `quantile_boundaries`).
        length_fn: `f(x, y)` giving an example's length.

    Returns:
        A batched `tf.data.Dataset`.

    Example:
        >>> import tensorflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices(tf.ragged.constant([[1], [1, 2, 3], [1, 2]]))
        >>> ds = ds.map(lambda x: (x, 0))
        >>> sorted(b[0].shape[1] for b in bucket_by_length(ds, 2, [2]))
        [1, 3]
    """
    check_positive_int("batch_size", batch_size)
    boundaries = sorted(int(b) for b in boundaries)
    return ds.bucket_by_sequence_length(
        element_length_func=length_fn,
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        pad_to_bucket_boundary=False,
    )
