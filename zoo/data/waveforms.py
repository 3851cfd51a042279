"""Recordings for the audio models: PCM scaling, sample rates, resampling, silence and pauses.

`waveform_to_float` scales integer PCM to floats in [-1, 1] and `check_float_samples` checks
floats; `resample` changes a recording's rate; `standardize_edges` and `shorten_pauses` trim and
fill its quiet the way the training strings have it. The features computed from waveforms are in
`zoo.data.audio`, their augmentation in `zoo.data.augmentation`.
"""

import warnings

import numpy as np
import tensorflow as tf

from zoo.validation import check_finite, check_nonnegative_float, check_positive_int

# Float samples a hair over full scale (float32 rounding, dither: 0.01 dB) are let through.
FULL_SCALE = 1.0 + 1e-3


def check_float_samples(name, samples):
    """Raises `ValueError` unless float `samples` are finite and within [-1, 1]; returns them.

    Floats beyond full scale are most often int16 values held as floats, which a model would
    read as audio 32768 times too loud; the message says how to scale them.

    Example:
        >>> import numpy as np
        >>> check_float_samples("x", np.array([0.5, -1.0])).tolist()
        [0.5, -1.0]
    """
    a = check_finite(name, np.asarray(samples))
    peak = float(np.abs(a).max()) if a.size else 0.0
    if peak > FULL_SCALE:
        raise ValueError(
            f"{name} has float samples up to |x| = {peak:.6g}, outside [-1, 1] (floats are read "
            "with full scale at 1.0): "
            + (
                "int16 values held as floats? Scale them by 1/32768 (w / 32768) or pass the "
                "int16 array."
                if peak > 2.0
                else "clip them (np.clip(w, -1, 1)) or scale them by 1 / max |w|."
            )
        )
    return samples


def waveform_to_float(audio):
    """Scales integer PCM to float32 in [-1, 1) (`int16 / 32768`); floats pass through.

    int16 is 16-bit PCM, int32 32-bit PCM (`/ 2**31`), uint8 8-bit offset binary. int64 is
    16-bit PCM held in a wider type, as TFDS's `Audio` feature gives it by default (and as a
    Python list of ints becomes in NumPy): `/ 32768`; int64 samples outside the int16 range are
    refused (a tensor's eagerly; in a graph they go unchecked: `make_speech_examples` checks
    them in its `tf.data` map). An int32 tensor is refused (TensorFlow makes Python ints int32,
    so 16 and 32 bits cannot be told apart).

    Args:
        audio: a NumPy array of int16, int32, int64, uint8 or float samples, or a tensor of
            int16, int64, uint8 or float samples.

    Example:
        >>> import numpy as np
        >>> waveform_to_float(np.array([-32768, 16384], dtype="int16")).tolist()
        [-1.0, 0.5]
        >>> waveform_to_float(np.array([16384], dtype="int64")).tolist()
        [0.5]
    """
    if tf.is_tensor(audio):
        if audio.dtype == tf.int64 and tf.executing_eagerly():
            _check_int64_pcm(audio.numpy())
        if audio.dtype in (tf.int16, tf.int64):
            return tf.cast(audio, tf.float32) / 32768.0
        if audio.dtype == tf.int32:  # Python ints become int32 tensors: 16 or 32 bits?
            raise TypeError(
                "audio as an int32 tensor is ambiguous (TensorFlow makes Python ints int32): "
                "cast 16-bit samples to int16 or int64, 32-bit ones to float (x / 2**31)."
            )
        if audio.dtype == tf.uint8:
            return (tf.cast(audio, tf.float32) - 128.0) / 128.0
        if audio.dtype.is_floating:
            return tf.cast(audio, tf.float32)
        raise TypeError(
            f"audio must be int16, int64, uint8 or float samples, got a {audio.dtype.name} tensor."
        )
    a = np.asarray(audio)
    if a.dtype == np.int16:
        return a.astype("float32") / 32768.0
    if a.dtype == np.int32:
        if a.size and np.abs(a).max() <= 32768 and a.any():
            warnings.warn(
                "int32 audio is read as 32-bit PCM (/ 2**31), but every sample is within the "
                "16-bit range: at -96 dBFS or below, it reads as silence. 16-bit PCM held as "
                "int32? cast it to int16.",
                stacklevel=2,
            )
        return (a / 2147483648.0).astype("float32")
    if a.dtype == np.int64:
        _check_int64_pcm(a)
        return a.astype("float32") / 32768.0
    if a.dtype == np.uint8:
        return (a.astype("float32") - 128.0) / 128.0
    if np.issubdtype(a.dtype, np.floating):
        return a.astype("float32")
    raise TypeError(
        "audio must hold int16, int32, int64 (16-bit PCM), uint8 or float samples, got dtype "
        f"{a.dtype}."
    )


def _check_int64_pcm(a):
    """Raises unless the int64 array `a` holds 16-bit samples (int64 is read as 16-bit PCM)."""
    if a.size and (a.min() < -32768 or a.max() > 32767):
        raise ValueError(
            f"int64 audio is read as 16-bit PCM (TFDS's Audio feature), but it holds "
            f"values from {a.min()} to {a.max()}, outside [-32768, 32767]: pass int16, "
            "int32 (32-bit PCM) or floats in [-1, 1]."
        )


AUDIO_RATES = (4000, 768000)


def check_audio_rate(name, rate):
    """Raises unless `rate` is an int number of Hz a speech recording can have; returns it.

    Below 4 kHz a recording holds nothing above 2 kHz, too little of speech to transcribe (and
    a rate of 1 would stretch one second of samples to hours); 768 kHz is the highest rate
    audio hardware records at.

    Example:
        >>> check_audio_rate("sample_rate", 44100)
        44100
    """
    rate = check_positive_int(name, rate)
    if not AUDIO_RATES[0] <= rate <= AUDIO_RATES[1]:
        raise ValueError(
            f"{name} must be an audio sample rate in Hz, {AUDIO_RATES[0]} to {AUDIO_RATES[1]}, "
            f"got {rate}."
        )
    return rate


def resample(wave, rate_in, rate_out):
    """Resamples a 1-D waveform from `rate_in` to `rate_out` Hz.

    Uses soxr (the `[speech]` extra: a maintained, high-quality resampler) when installed, else
    SciPy's polyphase filter (`scipy.signal.resample_poly`).

    Args:
        wave: a 1-D float array.
        rate_in: its sample rate, a positive int.
        rate_out: the wanted sample rate, a positive int.

    Returns:
        A float32 array of about `len(wave) * rate_out / rate_in` samples.

    Example:
        >>> import numpy as np
        >>> resample(np.zeros(16000, "float32"), 16000, 8000).shape
        (8000,)
    """
    rate_in = check_positive_int("rate_in", rate_in)
    rate_out = check_positive_int("rate_out", rate_out)
    wave = _one_dimensional(wave)
    try:
        import soxr

        return soxr.resample(wave, rate_in, rate_out).astype("float32")
    except ImportError:
        from math import gcd

        from scipy.signal import resample_poly

        g = gcd(rate_in, rate_out)
        return resample_poly(wave, rate_out // g, rate_in // g).astype("float32")


_HALF_STEP = 0.5 / 32768.0  # under half an int16 step: digital silence


def _one_dimensional(wave):
    """`wave` as a float32 array, refused unless 1-D (one mono recording)."""
    wave = np.asarray(wave, dtype="float32")
    if wave.ndim != 1:
        raise ValueError(
            f"wave must be one mono recording (a 1-D array), got shape {wave.shape}: pass one "
            "recording at a time, mixed to mono."
        )
    return wave


def is_digital_silence(wave):
    """Whether no sample of the float waveform `wave` reaches half an int16 step.

    Example:
        >>> import numpy as np
        >>> is_digital_silence(np.zeros(800)), is_digital_silence(np.full(800, 1e-3))
        (True, False)
    """
    return not np.any(np.abs(np.asarray(wave)) >= _HALF_STEP)


_ONE_STEP = 1.0 / 32768.0


def _frame_levels(wave, hop, threshold_db):
    """RMS of each `hop`-sample frame (DC removed), the background and the sound threshold.

    The background is the 10th percentile of the RMS of the frames not digitally silent; a
    frame is sound above both three times the background and `threshold_db` below the loudest.
    """
    n = len(wave) // hop
    frames = wave[: n * hop].reshape(n, hop)
    rms = np.sqrt(np.mean(np.square(frames - frames.mean(axis=1, keepdims=True)), axis=1))
    heard = rms[rms > _HALF_STEP]
    background = float(np.percentile(heard, 10)) if heard.size else 0.0
    threshold = max(3.0 * background, rms.max() * 10.0 ** (-threshold_db / 20.0))
    return rms, background, threshold


def standardize_edges(wave, sample_rate, pad_ms=100.0, margin_ms=100.0, threshold_db=40.0):
    """Trims a recording's leading and trailing quiet, then pads it with its own noise.

    Speech models trained on utterances that open and close with a short pause (the
    `spoken_digit_strings` strings: 0-150 ms of the recording's noise) misread recordings
    trimmed to the speech or framed by long silences or exact zeros. This gives every
    recording similar edges: digital silence (samples under half an int16 step) at either end is
    dropped; then frames of 10 ms louder than both three times the background (the 10th
    percentile of the RMS of the frames not digitally silent) and `threshold_db` below the
    loudest frame count as sound,
    and what lies more than `margin_ms` before the first or after the last is cut (the margin
    keeps weak onsets such as the "f" of "four"); finally `pad_ms` of Gaussian noise at the
    background's level (at least one int16 step) is added before and after. The noise is
    seeded, so a recording always gives the same result. A silent recording is returned as is.

    Args:
        wave: a 1-D float waveform (in [-1, 1]).
        sample_rate: its sample rate in Hz.
        pad_ms: noise added before and after, in ms.
        margin_ms: quiet kept before the first and after the last sounding frame, in ms.
        threshold_db: how far below the loudest frame a frame still counts as sound, in dB.

    Returns:
        The float32 waveform with standard edges.

    Example:
        >>> import numpy as np
        >>> tone = np.cos(np.arange(4000) * 0.3).astype("float32") * 0.5
        >>> framed = np.concatenate([np.zeros(8000, "float32"), tone, np.zeros(8000, "float32")])
        >>> len(standardize_edges(framed, 8000))  # the zeros go; 2 × 100 ms of noise come
        5600
    """
    wave = _one_dimensional(wave)
    check_positive_int("sample_rate", sample_rate)
    for name, value in (
        ("pad_ms", pad_ms),
        ("margin_ms", margin_ms),
        ("threshold_db", threshold_db),
    ):
        check_nonnegative_float(name, value)
    sound = np.flatnonzero(np.abs(wave) > _HALF_STEP)
    if sound.size == 0:
        return wave
    wave = wave[sound[0] : sound[-1] + 1]
    hop = max(1, round(sample_rate / 100))
    background = 0.0
    if len(wave) // hop >= 2:
        rms, background, threshold = _frame_levels(wave, hop, threshold_db)
        loud = np.flatnonzero(rms > threshold)
        if loud.size:
            margin = round(margin_ms * sample_rate / 1000)
            start = max(0, loud[0] * hop - margin)
            wave = wave[start : min(len(wave), (loud[-1] + 1) * hop + margin)]
    pad = round(pad_ms * sample_rate / 1000)
    rng = np.random.default_rng(0)
    std = max(background, _ONE_STEP)
    edges = [rng.normal(0.0, std, pad).astype("float32") for _ in range(2)]
    return np.concatenate([edges[0], wave, edges[1]])


def shorten_pauses(wave, sample_rate, max_pause_ms=300.0, threshold_db=40.0):
    """Shortens long quiet stretches inside a recording and fills digital silence with noise.

    The companion of `standardize_edges` for what lies between the words: the training strings
    of `spoken_digit_strings` pause 50-300 ms between digits, filled with the recording's
    noise, and a model trained on them misreads a second of silence, worse of exact zeros.
    Frames of 10 ms are quiet when no louder than both three times the background (the 10th
    percentile of the frames' RMS, digital silence left out) and `threshold_db` below the
    loudest frame (a frame within 20 dB of the loudest is always sound); of a quiet stretch
    longer than `max_pause_ms` between two sounds, the middle is cut so that `max_pause_ms`
    remains (half after the first sound, half before the next). Then every run of digital
    silence (samples under half an int16 step) of 10 ms or more gets seeded Gaussian noise at
    the background's level (at least one int16 step).

    Args:
        wave: a 1-D float waveform (in [-1, 1]).
        sample_rate: its sample rate in Hz.
        max_pause_ms: the longest pause kept, in ms.
        threshold_db: how far below the loudest frame a frame still counts as sound, in dB.

    Returns:
        The float32 waveform, no longer than `wave`.

    Example:
        >>> import numpy as np
        >>> word = np.cos(np.arange(2400) * 0.3).astype("float32") * 0.5
        >>> gap = np.zeros(16000, "float32")  # two seconds of zeros between two words
        >>> len(shorten_pauses(np.concatenate([word, gap, word]), 8000))  # 300 ms remain
        7200
    """
    wave = _one_dimensional(wave).copy()
    check_positive_int("sample_rate", sample_rate)
    check_nonnegative_float("max_pause_ms", max_pause_ms)
    check_nonnegative_float("threshold_db", threshold_db)
    hop = max(1, round(sample_rate / 100))
    silent = np.abs(wave) < _HALF_STEP
    if len(wave) // hop < 2 or silent.all():
        return wave
    rms, background, threshold = _frame_levels(wave, hop, threshold_db)
    threshold = min(threshold, rms.max() * 0.1)  # within 20 dB of the loudest is always sound
    loud = np.flatnonzero(rms > threshold)
    keep = np.ones(len(wave), bool)
    half = round(max_pause_ms * sample_rate / 2000)
    for a, b in zip(loud[:-1], loud[1:], strict=True):
        if b - a > 1:  # quiet frames a+1 .. b-1, samples (a+1)*hop .. b*hop
            start, end = (a + 1) * hop, b * hop
            if end - start > 2 * half:
                keep[start + half : end - half] = False
    wave, silent = wave[keep], silent[keep]
    # runs of digital silence of 10 ms or more (not a lone zero crossing)
    edges = np.flatnonzero(np.diff(np.concatenate([[0], silent.astype(np.int8), [0]])))
    std = max(background, _ONE_STEP)
    rng = np.random.default_rng(0)
    for start, end in zip(edges[::2], edges[1::2], strict=True):
        if end - start >= hop:
            wave[start:end] = rng.normal(0.0, std, end - start).astype("float32")
    return wave
