"""Batching variable-length sequences by length, so that a batch pads only to its own longest.

Random batches of a long-tailed length distribution pad most sequences to a few long ones: on
IMDB-like lengths they process about 3.8× the real tokens. Grouping sequences of similar length
(`tf.data`'s `bucket_by_sequence_length`) with bucket boundaries at the data's length quantiles
brings that close to 1× (see `benchmarks/bucketing.py`).
"""

import numpy as np
import tensorflow as tf

from zoo.validation import check_finite, check_positive_int, is_int


def quantile_boundaries(lengths, num_buckets=16):
    """Bucket boundaries at the length quantiles, so that every bucket holds about as many examples.

    Args:
        lengths: the sequence lengths of (a sample of) the data: a 1-D list or array of whole
            numbers >= 0.
        num_buckets: the number of buckets wanted (duplicated boundaries collapse into one).
            More buckets than lengths are taken as `len(lengths)`: that already gives every
            distinct length a bucket of its own, so the boundaries are the same.

    Returns:
        A sorted list of distinct int boundaries for `bucket_by_sequence_length` (a sequence of
        length L falls in the first bucket whose boundary is > L).

    Raises:
        ValueError: `lengths` is empty, not 1-D, or holds a length below 0, one not a whole
            number, NaN or inf; `num_buckets` is below 1.
        TypeError: `lengths` holds anything but numbers; `num_buckets` is not an int.

    Example:
        >>> quantile_boundaries([1, 2, 3, 4, 5, 6, 7, 8], num_buckets=4)
        [3, 5, 7]
    """
    check_positive_int("num_buckets", num_buckets)
    lengths = _check_lengths(lengths)
    num_buckets = min(num_buckets, lengths.size)  # (10**9 buckets: 8 GB of quantiles)
    qs = np.quantile(lengths, np.linspace(0, 1, num_buckets + 1)[1:-1], method="lower")
    return sorted({int(q) + 1 for q in qs if int(q) + 1 <= lengths.max()})


def _check_lengths(lengths):
    """`lengths` as a 1-D NumPy array, after checking it holds whole numbers >= 0."""
    what = "sequence lengths, whole numbers >= 0"
    try:
        a = np.asarray(lengths)
    except ValueError:  # ragged nesting
        raise ValueError(f"lengths must be a 1-D list of {what}, got {lengths!r}.") from None
    if a.dtype.kind not in "iuf":
        raise TypeError(f"lengths must hold {what}, got an array of dtype {a.dtype}.")
    if a.ndim != 1:
        raise ValueError(
            f"lengths must be 1-D, one length per sequence, got shape {a.shape}: flatten it, "
            "or give each sequence's length."
        )
    if a.size == 0:
        raise ValueError("lengths must hold at least one length, got an empty sequence.")
    check_finite("lengths", a)
    bad = (a < 0) | (a != np.round(a))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(f"lengths must hold {what}, got {a[i].item()!r} at index {i}.")
    return a


def check_boundaries(boundaries):
    """Returns bucket `boundaries` as a sorted list of distinct ints, after checking them.

    They must be a list (or tuple, or 1-D array) of ints >= 1: a sequence of length L falls
    in the first bucket whose boundary is > L, so a boundary below 1 would hold nothing.

    Example:
        >>> check_boundaries([40, 10, 20, 10])
        [10, 20, 40]
    """
    allowed = "a list of ints >= 1 (bucket boundaries, e.g. [10, 20, 40])"
    items = boundaries.numpy() if tf.is_tensor(boundaries) else boundaries
    if isinstance(items, np.ndarray) and items.ndim == 1 or isinstance(items, range):
        items = list(items)
    if not isinstance(items, list | tuple):
        raise TypeError(f"boundaries must be {allowed}, got {boundaries!r}.")
    items = [
        int(b) if isinstance(b, float | np.floating) and float(b).is_integer() else b for b in items
    ]  # (whole numbers held as floats, as np.quantile gives them, are taken)
    for b in items:
        if not is_int(b):
            raise TypeError(f"boundaries must be {allowed}, got {b!r} in {boundaries!r}.")
        if b < 1:
            raise ValueError(f"boundaries must be {allowed}, got {b!r} in {boundaries!r}.")
    return sorted({int(b) for b in items})


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
        boundaries: bucket boundaries, a list of ints >= 1 (see `quantile_boundaries`);
            their order and repeats do not matter.
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
    boundaries = check_boundaries(boundaries)
    return ds.bucket_by_sequence_length(
        element_length_func=length_fn,
        bucket_boundaries=boundaries,
        bucket_batch_sizes=[batch_size] * (len(boundaries) + 1),
        pad_to_bucket_boundary=False,
    )
