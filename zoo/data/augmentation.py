"""Waveform augmentation: a `tf.data` map perturbing training waveforms, as another recording would.

`augment_waveform` draws a speed, an equaliser curve, a gain, white noise and silent edges per
utterance (seeded per example when the pipeline gives it a seed); a recipe passes it as its
`augment`.
"""

import tensorflow as tf

from zoo.validation import check_positive_int, check_range


def _equalize(wave, gains_db):
    """`wave` (1-D float) filtered by the curve through `gains_db`, evenly spaced in frequency."""
    n = tf.shape(wave)[0]
    spectrum = tf.signal.rfft(wave)
    bins = tf.shape(spectrum)[0]
    pos = tf.linspace(0.0, tf.cast(tf.size(gains_db) - 1, tf.float32), bins)
    lo = tf.minimum(tf.cast(tf.math.floor(pos), tf.int32), tf.size(gains_db) - 2)
    frac = pos - tf.cast(lo, tf.float32)
    curve_db = tf.gather(gains_db, lo) * (1.0 - frac) + tf.gather(gains_db, lo + 1) * frac
    gain = tf.complex(10.0 ** (curve_db / 20.0), 0.0)
    return tf.signal.irfft(spectrum * gain, fft_length=[n])


def augment_waveform(
    speed=(0.9, 1.1),
    gain_db=(-6.0, 6.0),
    noise_snr_db=(15.0, 40.0),
    noise_probability=0.5,
    eq_db=None,
    eq_bands=8,
    edge_ms=None,
    sample_rate=8000,
):
    """A `tf.data` map `(x, y) -> (x, y)` perturbing `x["waveform"]` (float) and `x["length"]`.

    Speed perturbation resamples the real samples by a factor drawn from `speed` (tempo and
    pitch move together, like a shorter or longer vocal tract), with linear interpolation; a
    random equaliser (`eq_db`) multiplies the spectrum by a smooth curve through `eq_bands`
    gains drawn in decibels, evenly spaced from 0 Hz to the Nyquist frequency (another
    microphone or room: per-utterance normalisation cancels a filter, but not the bands it
    pushes under the noise, which is added after it); gain scales by a factor drawn in
    decibels; white noise is added at a signal-to-noise ratio drawn from `noise_snr_db`, to a
    `noise_probability` share of the utterances. `edge_ms` pads each utterance with a digital
    silence (zeros) of its own random length before and after the speech, which the noise, when
    drawn, then fills: recordings that start and end with long pauses, or with exact zeros, are
    common outside a trimmed corpus. The noise's level is set by the speech alone (the padding
    does not lower it). An empty utterance (`length` 0) is returned unchanged.

    The map takes an optional `seed` (a `[2]` integer tensor): its draws are then stateless
    functions of that seed, so a pipeline that gives every example its own seed (as
    `zoo.data.batches` does when seeded) draws the same perturbations on every run however many
    examples are mapped in parallel. Without it, the draws come from TensorFlow's global
    generator (parallel calls share it, so their order varies from run to run).

    Args:
        speed: `(low, high)` resampling factors (> 0); `None` turns it off.
        gain_db: `(low, high)` gain in dB; `None` turns it off.
        noise_snr_db: `(low, high)` SNR in dB; `None` turns noise off.
        noise_probability: the share of utterances that get noise, in [0, 1].
        eq_db: `(low, high)` gain in dB of each equaliser band; `None` (default) turns it off.
        eq_bands: the equaliser's control points (>= 2).
        edge_ms: `(low, high)` milliseconds of silence added before and after the speech, each
            drawn on its own; `None` (default) adds none.
        sample_rate: the waveforms' sample rate in Hz (to convert `edge_ms` to samples).

    Example:
        >>> import tensorflow as tf
        >>> x = {"waveform": tf.ones([8000]), "length": tf.constant(8000)}
        >>> (out, y) = augment_waveform(speed=(1.25, 1.25), gain_db=None, noise_snr_db=None)(x, 0)
        >>> int(out["length"]), int(tf.shape(out["waveform"])[0])
        (6400, 6400)
        >>> noisy = augment_waveform()
        >>> a, b = (noisy(x, 0, seed=tf.constant([1, 2]))[0]["waveform"] for _ in range(2))
        >>> bool(tf.reduce_all(a == b))
        True
    """
    speed = check_range("speed", speed, positive=True, example=(0.9, 1.1))
    gain_db = check_range("gain_db", gain_db)
    noise_snr_db = check_range("noise_snr_db", noise_snr_db)
    eq_db = check_range("eq_db", eq_db)
    if (
        isinstance(noise_probability, bool)
        or not isinstance(noise_probability, int | float)
        or not 0 <= noise_probability <= 1
    ):
        raise ValueError(f"noise_probability must be in [0, 1], got {noise_probability!r}.")
    if isinstance(eq_bands, bool) or not isinstance(eq_bands, int) or eq_bands < 2:
        raise ValueError(f"eq_bands must be an int >= 2, got {eq_bands!r}.")
    edge_ms = check_range("edge_ms", edge_ms, example=(0.0, 1000.0))
    if edge_ms is not None and edge_ms[0] < 0:
        raise ValueError(f"edge_ms must not be negative, got {edge_ms!r}.")
    check_positive_int("sample_rate", sample_rate)
    if edge_ms is not None:
        edges = [round(ms * sample_rate / 1000) for ms in edge_ms]

    def fn(x, y, seed=None):
        if seed is None:

            def uniform(shape, low, high, dtype=tf.float32):
                return tf.random.uniform(shape, low, high, dtype=dtype)

            def normal(shape, stddev):
                return tf.random.normal(shape, stddev=stddev)
        else:  # one stateless stream per draw, split from the example's seed
            streams = iter(tf.unstack(tf.random.experimental.stateless_split(seed, 8)))

            def uniform(shape, low, high, dtype=tf.float32):
                return tf.random.stateless_uniform(shape, next(streams), low, high, dtype=dtype)

            def normal(shape, stddev):
                return tf.random.stateless_normal(shape, next(streams), stddev=stddev)

        samples = x["waveform"]
        if not samples.dtype.is_floating:
            raise TypeError(
                f"augment_waveform perturbs float waveforms in [-1, 1], got {samples.dtype.name}: "
                "map waveform_to_float over the samples first."
            )
        if samples.shape.rank not in (None, 1):
            raise ValueError(
                f"augment_waveform maps single examples (a waveform of shape (samples,)), got "
                f"shape {samples.shape}: map it before batching."
            )
        length = tf.cast(x["length"], tf.int32)
        check = tf.debugging.assert_less_equal(
            length,
            tf.shape(samples)[0],
            message="augment_waveform: x['length'] is more than the waveform's samples",
        )
        with tf.control_dependencies([check]):
            wave = samples[:length]

        def perturb(wave, length):
            if speed is not None:
                factor = uniform([], speed[0], speed[1])
                new_length = tf.maximum(
                    1,
                    tf.cast(tf.math.floor(tf.cast(length - 1, tf.float32) / factor), tf.int32) + 1,
                )
                pos = tf.cast(tf.range(new_length), tf.float32) * factor
                lo = tf.minimum(tf.cast(tf.math.floor(pos), tf.int32), length - 1)
                hi = tf.minimum(lo + 1, length - 1)
                frac = pos - tf.cast(lo, tf.float32)
                wave = tf.gather(wave, lo) * (1.0 - frac) + tf.gather(wave, hi) * frac
                length = new_length
            if eq_db is not None:
                wave = _equalize(wave, uniform([eq_bands], eq_db[0], eq_db[1]))
            if gain_db is not None:
                wave = wave * 10.0 ** (uniform([], gain_db[0], gain_db[1]) / 20.0)
            power = tf.reduce_mean(tf.square(wave)) + 1e-12  # of the speech, before any padding
            if edge_ms is not None:
                lead = uniform([], edges[0], edges[1] + 1, dtype=tf.int32)
                tail = uniform([], edges[0], edges[1] + 1, dtype=tf.int32)
                wave = tf.concat(
                    [tf.zeros([lead], wave.dtype), wave, tf.zeros([tail], wave.dtype)], 0
                )
                length = length + lead + tail
            if noise_snr_db is not None:
                snr = uniform([], noise_snr_db[0], noise_snr_db[1])
                std = tf.sqrt(power / 10.0 ** (snr / 10.0))
                use = tf.cast(uniform([], 0.0, 1.0) < noise_probability, tf.float32)
                wave = wave + use * normal(tf.shape(wave), std)
            return wave, length

        # An empty utterance (length 0) has nothing to resample or scale: it is left as it is.
        wave, length = tf.cond(length > 0, lambda: perturb(wave, length), lambda: (wave, length))
        return {**x, "waveform": wave, "length": length}, y

    return fn
