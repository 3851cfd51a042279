"""From a TFDS split of `(x, y)` pairs to shuffled, padded or length-bucketed batches."""

import inspect

import tensorflow as tf

from zoo.data.bucketing import bucket_by_length, check_boundaries
from zoo.validation import check_nonnegative_int, check_positive_int, check_seed


def batches(
    ds,
    batch_size,
    shuffle=False,
    seed=None,
    buffer_size=10_000,
    cache=True,
    boundaries=None,
    augment=None,
    first_epoch=0,
):
    """Batches `(x, y)` examples, padding variable-length sequences with zeros.

    Zero padding matches the models' masks (`mask_zero` for token ids, `mask_value=0.0` for
    real-valued sequences); fixed-length examples are unaffected.

    Args:
        ds: a `tf.data.Dataset` of `(x, y)` pairs.
        batch_size: examples per batch.
        shuffle: shuffle examples (training), reshuffled every epoch.
        seed: the shuffle's seed, an int >= 0 or `None`. With a seed, epoch `e`'s order
            (and its augmentation draws) depends on `(seed, e)` only, not on how many epochs
            this process has iterated: a run resumed at epoch `e` in a new process sees what
            an uninterrupted run saw. Each iteration is the next epoch, from `first_epoch`;
            the returned dataset's `epoch` (a `tf.Variable`, the epoch the next iteration
            draws) may be set instead, as `zoo.training` does at the start of every epoch.
        buffer_size: the shuffle buffer, a positive int (examples).
        cache: keep the decoded examples in memory after the first epoch.
        boundaries: bucket boundaries, ints >= 1 (`zoo.data.bucketing.quantile_boundaries`):
            batch examples of similar length together, each batch padded to its own longest
            only.
        augment: a map `(x, y) -> (x, y)` applied after caching and shuffling, so that every
            epoch draws new perturbations (training only). If it takes a `seed` keyword (as
            `zoo.data.audio.augment_waveform`'s map does) and `seed` is given, every example
            gets its own `[2]` seed from a seeded stream that changes each epoch: the same
            draws on every run, though examples are mapped in parallel.
        first_epoch: the epoch of the first iteration (with `seed`): the epoch a resumed
            training starts from.

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
    seed = check_seed(seed)
    check_positive_int("buffer_size", buffer_size)
    if boundaries is not None:
        boundaries = check_boundaries(boundaries)
    if cache:
        ds = ds.cache()
    seeded_augment = augment is not None and seed is not None and _takes_seed(augment)
    epoch = None
    if seed is not None and (shuffle or seeded_augment):
        epoch = tf.Variable(
            check_nonnegative_int("first_epoch", first_epoch), dtype=tf.int64, trainable=False
        )
        ds = _per_epoch(ds, epoch, seed, buffer_size if shuffle else None, seeded_augment)
    elif shuffle:  # unseeded: a new order every epoch, reproducible by nothing
        ds = ds.shuffle(buffer_size, reshuffle_each_iteration=True)
    if seeded_augment:
        ds = ds.map(lambda xy, s: augment(*xy, seed=s), num_parallel_calls=tf.data.AUTOTUNE)
    elif augment is not None:
        ds = ds.map(augment, num_parallel_calls=tf.data.AUTOTUNE)
    if boundaries:
        ds = bucket_by_length(ds, batch_size, boundaries)
    else:
        ds = ds.padded_batch(batch_size)
    ds = ds.prefetch(tf.data.AUTOTUNE)
    ds.batch_size, ds.epoch = batch_size, epoch
    return ds


def _per_epoch(ds, epoch, seed, buffer_size, seeded_augment):
    """One epoch of `ds` per iteration, its seeds drawn from `(seed, epoch)` alone.

    Each iteration reads the `epoch` variable and counts it up; `ds` is shuffled (unless
    `buffer_size` is `None`) and, with `seeded_augment`, each example is paired with its `[2]`
    augmentation seed from that epoch's stream.
    """

    def one_epoch(_):
        # The traced function's own graph-level seed (not the process's): TF cannot combine a
        # tensor op seed with a global seed of 0 (it compares the tensor as a bool), and a
        # constant keeps the order a function of (seed, epoch) whatever the global seed is.
        tf.random.set_seed(1)
        e = epoch.assign_add(1) - 1
        draws = tf.random.stateless_uniform(
            [2], tf.stack([tf.constant(seed, tf.int64), e]), 0, 2**62, dtype=tf.int64
        )
        examples = ds if buffer_size is None else ds.shuffle(buffer_size, seed=draws[0])
        if not seeded_augment:
            return examples
        return tf.data.Dataset.zip((examples, tf.data.Dataset.random(seed=draws[1]).batch(2)))

    epochs = tf.data.Dataset.from_tensors(0).flat_map(one_epoch)
    count = int(ds.cardinality())
    if count >= 0:  # known: Keras counts the steps (flat_map's result has unknown cardinality)
        epochs = epochs.apply(tf.data.experimental.assert_cardinality(count))
    return epochs


def _takes_seed(fn):
    """Whether the map `fn` takes a `seed` keyword."""
    try:
        return "seed" in inspect.signature(fn).parameters
    except (TypeError, ValueError):  # a builtin or a callable without a signature
        return False
