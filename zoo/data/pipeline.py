"""From a TFDS split of `(x, y)` pairs to padded, shuffled, prefetched batches."""

import tensorflow as tf


def batches(ds, batch_size, shuffle=False, seed=None, buffer_size=10_000, cache=True):
    """Batches `(x, y)` examples, padding variable-length sequences with zeros.

    Zero padding matches the models' masks (`mask_zero` for token ids, `mask_value=0.0` for
    real-valued sequences); fixed-length examples are unaffected.

    Args:
        ds: a `tf.data.Dataset` of `(x, y)` pairs.
        batch_size: examples per batch.
        shuffle: shuffle examples (training), reshuffled every epoch.
        seed: the shuffle's seed.
        buffer_size: the shuffle buffer.
        cache: keep the decoded examples in memory after the first epoch.

    Returns:
        A batched, prefetched `tf.data.Dataset`.

    Example:
        >>> import tensorflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices(([[1.0], [2.0], [3.0]], [0, 1, 0]))
        >>> [tuple(x.shape) for x, _ in batches(ds, 2)]
        [(2, 1), (1, 1)]
    """
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)
    return ds.padded_batch(batch_size).prefetch(tf.data.AUTOTUNE)
