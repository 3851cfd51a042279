"""Input pipelines: padding, and batching by length."""

import numpy as np
import pytest
import tensorflow as tf

from zoo.data import batches, bucket_by_length, quantile_boundaries, sequence_length


def _ragged(lengths, seed=0):
    rng = np.random.default_rng(seed)
    seqs = [rng.integers(1, 50, n).tolist() for n in lengths]
    ds = tf.data.Dataset.from_tensor_slices(tf.ragged.constant(seqs))
    return ds.map(lambda x: (x, tf.size(x))), seqs


def test_quantile_boundaries_split_the_data_evenly():
    lengths = np.random.default_rng(0).lognormal(5.2, 0.76, 10_000).astype(int) + 1
    bounds = quantile_boundaries(lengths, num_buckets=10)
    assert bounds == sorted(set(bounds)) and len(bounds) == 9
    counts = np.bincount(np.searchsorted(bounds, lengths, side="right"))
    assert counts.min() > 0.07 * len(lengths) and counts.max() < 0.13 * len(lengths)
    assert quantile_boundaries([5] * 10, 4) == []  # one length: one bucket
    with pytest.raises(ValueError, match="num_buckets must be a positive int, got 0"):
        quantile_boundaries(lengths, 0)
    with pytest.raises(ValueError, match="lengths must hold at least one length"):
        quantile_boundaries([], 4)


@pytest.mark.parametrize(
    "lengths, error, match",
    [
        ([1, np.nan, 3], ValueError, r"lengths holds NaN or inf \(first at index \(1,\): nan\)"),
        (["a", "b"], TypeError, r"lengths must hold sequence lengths, whole numbers >= 0, got an "
         r"array of dtype <U1"),
        ([-3, 1, 2], ValueError, r"lengths must hold .*whole numbers >= 0, got -3 at index 0"),
        ([1.5, 2.7, 3.9], ValueError, r"whole numbers >= 0, got 1.5 at index 0"),
        ([[1, 2], [3, 40]], ValueError, r"lengths must be 1-D, one length per sequence, got "
         r"shape \(2, 2\)"),
        ([True, False], TypeError, "got an array of dtype bool"),
    ],
)  # fmt: skip
def test_quantile_boundaries_names_lengths_that_are_not_sequence_lengths(lengths, error, match):
    # NaN gave "cannot convert float NaN to integer", strings "invalid literal for int()";
    # negative, non-integer and 2-D lengths gave boundaries.
    with pytest.raises(error, match=match):
        quantile_boundaries(lengths, 2)
    assert quantile_boundaries([0, 0, 3.0, 5], 4) == [1, 4]  # whole floats, empty sequences


def test_quantile_boundaries_takes_more_buckets_than_lengths_as_one_per_length():
    # num_buckets=10**9 ran for 10+ minutes in 8 GB (its quantiles); 10**12 ran out of memory.
    lengths = np.random.default_rng(1).integers(0, 60, 40)
    one_each = sorted(set(lengths.tolist()))[:-1]
    assert quantile_boundaries(lengths, 40) == [n + 1 for n in one_each]
    assert quantile_boundaries(lengths, 1000) == quantile_boundaries(lengths, 40)
    assert quantile_boundaries([1, 2, 3], num_buckets=10**12) == [2, 3]


@pytest.mark.parametrize(
    "boundaries, error, match",
    [
        ([1.7], TypeError, r"boundaries must be a list of ints >= 1 .*got 1.7 in \[1.7\]"),
        ("23", TypeError, r"boundaries must be a list of ints >= 1 .*got '23'"),
        ([2, 0], ValueError, r"got 0 in \[2, 0\]"),
        ([True], TypeError, "got True"),
    ],
)
def test_bucket_by_length_names_boundaries_that_are_not_ints(boundaries, error, match):
    # [1.7] was cut to [1] (length 1 no longer alone); "23" was read as [2, 3].
    ds, _ = _ragged([1, 3, 2])
    with pytest.raises(error, match=match):
        bucket_by_length(ds, 2, boundaries)
    with pytest.raises(error, match=match):
        batches(ds, 2, boundaries=boundaries)
    accepted = ([3, 2, 2], (2, 3), np.array([3, 2]), [2.0, 3.0], range(2, 4), tf.constant([2, 3]))
    for given in accepted:  # order, repeats, whole floats, a range or a tensor
        assert sorted(int(x.shape[1]) for x, _ in bucket_by_length(ds, 2, given)) == [1, 2, 3]


def test_bucketing_pads_each_batch_to_its_own_longest_and_keeps_every_example():
    lengths = [3, 40, 5, 38, 4, 41, 6, 39] * 4
    ds, seqs = _ragged(lengths)
    plain = list(batches(ds, 4))
    bucketed = list(bucket_by_length(ds, 4, quantile_boundaries(lengths, 2)))
    processed = lambda bs: sum(int(tf.size(x)) for x, _ in bs)  # noqa: E731
    assert processed(bucketed) < 0.6 * processed(plain)
    for x, n in bucketed:  # every batch is padded to its own longest, no further
        assert x.shape[1] == int(tf.reduce_max(n))
    rows = [(row, int(k)) for x, n in bucketed for row, k in zip(x, n, strict=True)]
    got = sorted(tuple(int(v) for v in row[:k]) for row, k in rows)
    assert got == sorted(tuple(s) for s in seqs)


def test_batches_with_boundaries_and_string_lengths():
    ds = tf.data.Dataset.from_tensor_slices(
        (["a b", "a b c d e f", "a", "a b c d e"], [0, 1, 0, 1])
    )
    assert int(sequence_length(tf.constant("a great film"))) == 3
    out = list(batches(ds, 2, shuffle=True, seed=1, boundaries=[3]))
    assert sorted(len(x) for x, _ in out) == [2, 2]
    for x, _ in out:  # short and long texts are not mixed
        n = [len(s.split()) for s in x.numpy().astype(str)]
        assert max(n) < 3 or min(n) >= 3


def _epochs(pipeline, n=2):
    """Each epoch's batches, as arrays."""
    return [[(xb["waveform"].numpy(), yb.numpy()) for xb, yb in pipeline] for _ in range(n)]


def test_seeded_augmentation_draws_the_same_every_run_though_mapped_in_parallel():
    from zoo.data.augmentation import augment_waveform

    waves = tf.random.stateless_normal([48, 800], [1, 2])
    ds = tf.data.Dataset.from_tensor_slices(({"waveform": waves, "length": tf.fill([48], 800)},
                                             tf.range(48)))  # fmt: skip
    augment = augment_waveform(speed=(0.8, 1.2), eq_db=(-6.0, 6.0), edge_ms=(0.0, 20.0))

    def run(seed):
        return _epochs(batches(ds, 8, shuffle=True, seed=seed, augment=augment))

    first, again, other = run(0), run(0), run(1)
    for epoch_a, epoch_b in zip(first, again, strict=True):
        for (wa, ya), (wb, yb) in zip(epoch_a, epoch_b, strict=True):
            np.testing.assert_array_equal(wa, wb)
            np.testing.assert_array_equal(ya, yb)
    # New draws every epoch, and another seed draws others.
    assert not np.array_equal(first[0][0][0], first[1][0][0])
    assert not np.array_equal(first[0][0][0], other[0][0][0])
    # A map without a seed keyword is applied as it is.
    plain = batches(ds, 8, seed=0, augment=lambda x, y: ({**x, "waveform": -x["waveform"]}, y))
    np.testing.assert_array_equal(next(iter(plain))[0]["waveform"].numpy(), -waves[:8].numpy())


def test_batches_names_a_bad_batch_size_and_records_a_good_one():
    ds = tf.data.Dataset.from_tensor_slices(([[1.0]], [0]))
    assert batches(ds, 3).batch_size == batches(ds, 3, boundaries=[2]).batch_size == 3
    with pytest.raises(ValueError, match="batch_size must be a positive int, got 0"):
        batches(ds, 0)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"seed": 1.5}, ValueError, "seed must be a non-negative int or None, got 1.5"),
        ({"seed": "1"}, ValueError, "seed must be a non-negative int or None, got '1'"),
        ({"seed": -1}, ValueError, "seed must be a non-negative int or None, got -1"),
        ({"buffer_size": 0}, ValueError, "buffer_size must be a positive int, got 0"),
        ({"buffer_size": 2.5}, TypeError, r"buffer_size must be a positive int, got 2.5 \(float\)"),
    ],
)
def test_batches_names_a_bad_seed_or_buffer_size(kwargs, error, match):
    # seed=1.5 or "1" gave TensorFlow's TypeError from inside the pipeline, buffer_size=0 an
    # InvalidArgumentError from ShuffleDatasetV3, both at iteration.
    ds = tf.data.Dataset.range(4).map(lambda v: (v, v))
    with pytest.raises(error, match=match):
        batches(ds, 2, shuffle=True, **kwargs)
    shuffled = batches(ds, 2, shuffle=True, seed=np.int64(3), buffer_size=4)  # NumPy ints too
    assert sorted(np.concatenate([y.numpy() for _, y in shuffled]).tolist()) == [0, 1, 2, 3]
    bucketed = batches(
        ds.map(lambda x, y: (tf.fill([x + 1], x), y)), 4, boundaries=np.array([2, 3])
    )
    assert sorted(int(x.shape[1]) for x, _ in bucketed) == [1, 2, 4]  # an array of boundaries


@pytest.mark.parametrize(
    "call, match",
    [
        (lambda a: a.standardize_edges(np.ones(800), 8000, pad_ms=-10), "pad_ms"),
        (lambda a: a.standardize_edges(np.ones(800), 0), "sample_rate must be a positive int"),
        (lambda a: a.standardize_edges(np.ones(800), 8000, margin_ms=-50), "margin_ms"),
        (lambda a: a.shorten_pauses(np.ones(800), 8000, max_pause_ms=-10), "max_pause_ms"),
        (lambda a: a.resample(np.ones((2, 100)), 16000, 8000), r"one mono recording .*\(2, 100\)"),
        (lambda a: a.augment_waveform(noise_probability=None), "noise_probability must be in"),
    ],
)
def test_audio_helpers_name_bad_arguments(call, match):
    from zoo.data import audio

    with pytest.raises((ValueError, TypeError), match=match):
        call(audio)


def _orders(pipeline, epochs):
    """The order of the examples (their `y`) in each of `epochs` iterations of `pipeline`."""
    return [np.concatenate([y.numpy() for _, y in pipeline]).tolist() for _ in range(epochs)]


@pytest.mark.parametrize("augment", [None, "seeded"])
def test_epoch_k_of_a_pipeline_started_at_k_is_epoch_k_of_one_run_from_0(augment):
    def noisy(x, y, seed):  # a seeded augmentation: its draws belong to the epoch too
        return x + tf.random.stateless_uniform(tf.shape(x), seed), y

    ds = tf.data.Dataset.from_tensor_slices((np.zeros((40, 1), "float32"), np.arange(40)))
    fn = noisy if augment else None

    def epochs(n, **kwargs):
        pipeline = batches(ds, 8, shuffle=True, seed=5, buffer_size=16, augment=fn, **kwargs)
        return [[(x.numpy(), y.numpy()) for x, y in pipeline] for _ in range(n)]

    uninterrupted = epochs(4)
    orders = [np.concatenate([y for _, y in epoch]).tolist() for epoch in uninterrupted]
    assert len({tuple(order) for order in orders}) == 4  # a new order every epoch
    for k in (1, 3):  # a new process resuming at epoch k (a new pipeline) sees epoch k's order
        resumed = epochs(4 - k, first_epoch=k)
        for got, want in zip(resumed, uninterrupted[k:], strict=True):
            for (xa, ya), (xb, yb) in zip(got, want, strict=True):
                np.testing.assert_array_equal(ya, yb)
                np.testing.assert_array_equal(xa, xb)
    pipeline = batches(ds, 8, shuffle=True, seed=5, buffer_size=16, augment=fn)
    pipeline.epoch.assign(2)  # what zoo.training sets at each epoch's start
    assert _orders(pipeline, 1) == orders[2:3]
    # another seed, another order
    assert _orders(batches(ds, 8, shuffle=True, seed=6, buffer_size=16), 1) != orders[:1]
    with pytest.raises(ValueError, match="first_epoch must be an int >= 0, got -1"):
        batches(ds, 8, shuffle=True, seed=5, first_epoch=-1)
    assert int(batches(ds, 8, shuffle=True, seed=5).cardinality()) == 5  # Keras counts steps


# zoo.data.audio.log_mel_spectrogram


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"preemphasis": 1.5}, r"preemphasis must be a number in \[0, 1\), e.g. 0.97; got 1.5"),
        ({"preemphasis": -3}, r"preemphasis must be a number in \[0, 1\).*got -3"),
        ({"preemphasis": "0.97"}, r"preemphasis must be a number.*got '0.97'"),
        ({"num_mels": 0}, "num_mels must be a positive int, got 0"),
    ],
)
def test_log_mel_spectrogram_names_bad_arguments(kwargs, match):
    from zoo.data.audio import log_mel_spectrogram

    x = np.zeros((1, 800), "float32")
    with pytest.raises(ValueError, match=match):
        log_mel_spectrogram(x, 8000, **kwargs)


def test_log_mel_spectrogram_takes_one_or_a_batch_of_waveforms_and_names_other_shapes():
    from zoo.data.audio import log_mel_spectrogram

    x = np.random.default_rng(0).normal(size=(2, 800)).astype("float32")
    batch = np.asarray(log_mel_spectrogram(x, 8000, 20, preemphasis=0.97))
    one = np.asarray(log_mel_spectrogram(x[1], 8000, 20, preemphasis=0.97))
    assert batch.shape == (2, 7, 20) and one.shape == (7, 20)
    np.testing.assert_allclose(one, batch[1], rtol=1e-5, atol=1e-5)
    with pytest.raises(
        ValueError, match=r"waveforms must be 2-D \(batch, samples\).*\(1, 2, 800\)"
    ):
        log_mel_spectrogram(x[None], 8000)


def test_log_mel_spectrogram_warns_of_bands_constant_whatever_the_input():
    from zoo.data.audio import log_mel_spectrogram

    x = np.zeros((1, 800), "float32")
    with pytest.warns(UserWarning, match="num_mels=128 at sample_rate=8000.*constant"):
        log_mel_spectrogram(x, 8000, 128)


# zoo.data.audio.normalize_frames


def test_normalize_frames_names_frame_lengths_not_one_count_per_utterance():
    # One length for a batch of 2 was broadcast (zeroing utterance 2's real frames 3-4); a
    # negative one zeroed the whole utterance; neither raised.
    from zoo.data.audio import normalize_frames

    f = np.random.default_rng(0).normal(size=(2, 5, 3)).astype("float32")
    with pytest.raises(ValueError, match=r"one frame count per utterance, shape \(2,\), got "
                       r"shape \(1,\)"):  # fmt: skip
        normalize_frames(f, np.array([3]))
    with pytest.raises(ValueError, match=r"shape \(2,\), got shape \(2, 1\)"):
        normalize_frames(f, tf.constant([[3], [5]]))
    for lengths, bad in (([-4, 5], "-4 at index 0"), ([5, 2.5], "2.5 at index 1")):
        with pytest.raises(ValueError, match=r"frame counts \(whole numbers >= 0\), got " + bad):
            normalize_frames(f, np.array(lengths))
    with pytest.raises(ValueError, match="frame_lengths holds NaN"):
        normalize_frames(f, np.array([np.nan, 5.0]))
    # Counts of 0, or past the frames, are the callers' (clipped at 0) and stay allowed.
    out = np.asarray(normalize_frames(f, tf.constant([0, 9])))
    assert not out[0].any() and np.abs(out[1].mean(0)).max() < 1e-5

    @tf.function(input_signature=[tf.TensorSpec([None, 5, 3]), tf.TensorSpec([None], tf.int32)])
    def in_a_graph(x, lengths):  # values unchecked (documented), shapes as far as known
        return normalize_frames(x, lengths)

    assert in_a_graph(f, tf.constant([5, 5])).shape == (2, 5, 3)


# zoo.data.audio.augment_waveform


@pytest.mark.parametrize("seed", [None, tf.constant([1, 2])])
def test_augment_waveform_leaves_an_empty_utterance_as_it_is(seed):
    from zoo.data.augmentation import augment_waveform

    augment = augment_waveform(eq_db=(-6.0, 6.0), edge_ms=(10.0, 20.0))
    x = {"waveform": tf.zeros([0]), "length": tf.constant(0)}
    out, y = augment(x, 7, seed=seed)
    assert int(out["length"]) == 0 and out["waveform"].shape == (0,) and y == 7
    ds = tf.data.Dataset.from_tensors(x).map(lambda e: augment(e, 0)[0])  # in a graph too
    assert [int(e["length"]) for e in ds] == [0]
    full = {"waveform": tf.ones([800]), "length": tf.constant(800)}
    assert int(augment(full, 0, seed=seed)[0]["length"]) > 800  # others are still perturbed


def test_augment_waveform_names_inputs_it_cannot_perturb():
    # int16 samples failed in a Mul, a batch in a slice, a length past the samples in a Gather.
    import tensorflow as tf

    from zoo.data.augmentation import augment_waveform

    perturb = augment_waveform()
    with pytest.raises(TypeError, match=r"float waveforms in \[-1, 1\], got int16: map"):
        perturb({"waveform": tf.ones([100], tf.int16), "length": tf.constant(100)}, 0)
    with pytest.raises(ValueError, match=r"maps single examples .*got shape \(2, 100\)"):
        perturb({"waveform": tf.ones([2, 100]), "length": tf.constant([100, 100])}, 0)
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"x\['length'\] is more than"):
        perturb({"waveform": tf.ones([100]), "length": tf.constant(102)}, 0)


def test_log_mel_spectrogram_names_integer_samples_and_a_warp_per_other_batch():
    # int16 samples were read in int16 units; warp of 3 factors for 2 utterances failed in an
    # Einsum ("Expected dimension 2 ... got 3").
    from zoo.data.audio import log_mel_spectrogram

    x = np.zeros((2, 8000), "float32")
    with pytest.raises(TypeError, match=r"float samples in \[-1, 1\], got int16: scale"):
        log_mel_spectrogram((x * 32767).astype("int16"), 8000)
    with pytest.raises(ValueError, match=r"warp must hold one factor per utterance, shape \(2,\)"):
        log_mel_spectrogram(x, 8000, warp=[1.0, 1.0, 1.0])
