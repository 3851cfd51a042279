"""From a TFDS split of `(x, y)` pairs to shuffled, padded or length-bucketed batches."""

import inspect

import tensorflow as tf

from zoo.data.bucketing import bucket_by_length
from zoo.validation import check_positive_int


def batches(
    ds,
    batch_size,
    shuffle=False,
    seed=None,
    buffer_size=10_000,
    cache=True,
    boundaries=None,
    augment=None,
):
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
        boundaries: bucket boundaries (`zoo.data.bucketing.quantile_boundaries`): batch
            examples of similar length together, each batch padded to its own longest only.
        augment: a map `(x, y) -> (x, y)` applied after caching and shuffling, so that every
            epoch draws new perturbations (training only). If it takes a `seed` keyword (as
            `zoo.data.audio.augment_waveform`'s map does) and `seed` is given, every example
            gets its own `[2]` seed from a seeded stream that changes each epoch: the same
            draws on every run, though examples are mapped in parallel.

    Returns:
        A batched, prefetched `tf.data.Dataset`; its `batch_size` attribute is `batch_size`,
        for a recipe's `fit` hook that batches what it cuts from these examples itself (the
        windows of one long series) as the run was asked to.

    Example:
        >>> import tensorflow as tf
        >>> ds = tf.data.Dataset.from_tensor_slices(([[1.0], [2.0], [3.0]], [0, 1, 0]))
        >>> [tuple(x.shape) for x, _ in batches(ds, 2)]
        [(2, 1), (1, 1)]
    """
    check_positive_int("batch_size", batch_size)
    if cache:
        ds = ds.cache()
    if shuffle:
        ds = ds.shuffle(buffer_size, seed=seed, reshuffle_each_iteration=True)
    if augment is not None and seed is not None and _takes_seed(augment):
        seeds = tf.data.Dataset.random(seed=seed, rerandomize_each_iteration=True).batch(2)
        ds = tf.data.Dataset.zip((ds, seeds)).map(
            lambda xy, s: augment(*xy, seed=s), num_parallel_calls=tf.data.AUTOTUNE
        )
    elif augment is not None:
        ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    if boundaries:
        ds = bucket_by_length(ds, batch_size, boundaries)
    else:
        ds = ds.padded_batch(batch_size)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    ds.batch_size = batch_size
    return ds


def _takes_seed(fn):
    """Whether the map `fn` takes a `seed` keyword."""
    try:
        return "seed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin or a callable without a signature
        return False
