"""Audio features and waveform augmentation shared by the audio models (speech CTC, spoken digits).

Frames are cut without centre padding, as `keras.ops.stft(..., center=False)` cuts them: frame `i`
spans the FFT's samples `[i·hop, i·hop + fft_length)`, its Hann window of `frame_ms` centred in
them, so an utterance of `n` real samples has exactly `1 + (n - fft_length) // hop` frames
(`num_frames(n, fft_length, hop)`), whatever zero padding follows it in a batch, and its frames
never see that padding. The features of the
frames past an utterance's end are set to zero (`normalize_frames`), so that a padded batch gives
every utterance the same features as it gets alone.

The feature functions are written in `keras.ops` (they run inside models, e.g.
`zoo.layers.LogMel`); the augmentations are `tf.data` maps for training pipelines.
"""

import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo.validation import (
    check_choice,
    check_finite,
    check_nonnegative_float,
    check_positive_float,
    check_positive_int,
    check_range,
)

LOG_FLOOR = 1e-6  # added to the mel power before the log: digital silence stays finite
NORMALIZE_SCALES = ("band", "utterance")  # normalize_frames' scales


def frame_settings(sample_rate, frame_ms=25.0, hop_ms=10.0):
    """The analysis window, hop and FFT length in samples for a sample rate.

    Args:
        sample_rate: samples per second, a positive int.
        frame_ms: window length in milliseconds.
        hop_ms: hop between frames in milliseconds.

    Returns:
        `(window, hop, fft_length)`, `fft_length` the smallest power of two ≥ the window.

    Example:
        >>> frame_settings(8000)
        (200, 80, 256)
    """
    check_positive_int("sample_rate", sample_rate)
    check_positive_float("frame_ms", frame_ms)
    check_positive_float("hop_ms", hop_ms)
    window = int(round(sample_rate * frame_ms / 1000))
    hop = int(round(sample_rate * hop_ms / 1000))
    if window < 2 or hop < 1:
        raise ValueError(
            f"frame_ms={frame_ms} and hop_ms={hop_ms} at sample_rate={sample_rate} give a "
            f"window of {window} and a hop of {hop} samples; the window needs ≥ 2 samples."
        )
    return window, hop, 1 << (window - 1).bit_length()


def num_frames(num_samples, span, hop):
    """Frames of utterances of `num_samples` real samples (0 when shorter than one span).

    Args:
        num_samples: an int, a NumPy array or a tensor of lengths.
        span: samples under one frame (the FFT length, see the module docstring).
        hop: samples between frames.

    Example:
        >>> import numpy as np
        >>> int(num_frames(8000, 256, 80))
        97
        >>> num_frames(np.array([255, 256, 336]), 256, 80).tolist()
        [0, 1, 2]
    """
    if isinstance(num_samples, int | np.integer | np.ndarray):
        return np.maximum(0, (np.asarray(num_samples) - span) // hop + 1)
    n = ops.convert_to_tensor(num_samples)
    return ops.maximum(0, ops.floor_divide(n - span, hop) + 1)


def strided_frames(frames, stride):
    """Frames kept when every `stride`-th is: `ceil(frames / stride)` (ints, arrays or tensors).

    Example:
        >>> import numpy as np
        >>> strided_frames(np.array([0, 1, 4, 5]), 4).tolist()
        [0, 1, 1, 2]
    """
    if isinstance(frames, int | np.integer | np.ndarray):
        return (np.asarray(frames) + stride - 1) // stride
    return ops.floor_divide(frames + stride - 1, stride)


def mel_band_edges(num_mels, sample_rate, fmin, fmax):
    """The `num_mels + 2` band edges (Hz) of HTK mel triangles from `fmin` to `fmax`.

    Triangle `m` rises from edge `m` to edge `m + 1` and falls to edge `m + 2`; `fmax=None` is
    the Nyquist frequency. Raises `ValueError` unless `0 <= fmin < fmax <= sample_rate / 2`.

    Example:
        >>> [round(float(f)) for f in mel_band_edges(2, 8000, 300.0, 3400.0)]
        [300, 901, 1862, 3400]
    """
    check_positive_int("num_mels", num_mels)
    for name, value in (("fmin", fmin), ("fmax", fmax)):
        if (value is None and name == "fmin") or (
            value is not None and (isinstance(value, bool) or not isinstance(value, int | float))
        ):
            raise ValueError(f"{name} must be a frequency in Hz (a number), got {value!r}.")
    fmax = sample_rate / 2 if fmax is None else fmax
    if not 0 <= fmin < fmax <= sample_rate / 2:
        raise ValueError(
            f"need 0 <= fmin < fmax <= sample_rate / 2 = {sample_rate / 2}, "
            f"got fmin={fmin}, fmax={fmax}."
        )

    def mel(f):
        return 2595.0 * np.log10(1.0 + np.asarray(f) / 700.0)

    def hz(m):
        return 700.0 * (10.0 ** (np.asarray(m) / 2595.0) - 1.0)

    return hz(np.linspace(mel(fmin), mel(fmax), num_mels + 2)).astype("float32")


def _bin_frequencies(fft_length, sample_rate):
    """The frequencies (Hz) of the `fft_length // 2 + 1` bins of a real FFT."""
    return np.linspace(0, sample_rate / 2, fft_length // 2 + 1, dtype="float32")


def _triangles(freqs, edges, xp):
    """Weights `(..., bins, mels)` of the mel triangles on `edges` at frequencies `freqs`."""
    lower, centre, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (freqs[..., None] - lower) / (centre - lower)
    falling = (upper - freqs[..., None]) / (upper - centre)
    return xp.maximum(0.0, xp.minimum(rising, falling))


def mel_filterbank(num_mels, fft_length, sample_rate, fmin=20.0, fmax=None):
    """Triangular filters on the HTK mel scale: a `(fft_length // 2 + 1, num_mels)` matrix.

    Example:
        >>> mel_filterbank(40, 256, 8000).shape
        (129, 40)
    """
    edges = mel_band_edges(num_mels, sample_rate, fmin, fmax)
    return _triangles(_bin_frequencies(fft_length, sample_rate), edges, np).astype("float32")


def check_mel_bands(num_mels, fft_length, sample_rate, fmin=20.0, fmax=None):
    """Raises `ValueError` when a mel triangle falls between two FFT bins (a constant band).

    Such a band weighs no bin, so its log-mel is the same for every input; the message gives
    the most bands these settings resolve.

    Example:
        >>> check_mel_bands(40, 256, 8000)
        >>> check_mel_bands(128, 256, 8000)  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: num_mels=128 at sample_rate=8000 (FFT of 256, ...) leaves 4 bands ...
    """

    def empty(n):
        return int((mel_filterbank(n, fft_length, sample_rate, fmin, fmax).max(axis=0) == 0).sum())

    count = empty(num_mels)
    if count:
        most = next((n for n in range(num_mels - 1, 0, -1) if not empty(n)), 0)
        top = sample_rate / 2 if fmax is None else fmax
        fix = f"use num_mels <= {most}, a wider" if most else "use a wider"
        raise ValueError(
            f"num_mels={num_mels} at sample_rate={sample_rate} (FFT of {fft_length}, bins "
            f"{sample_rate / fft_length:.1f} Hz apart, mel filters from {fmin} to {top} Hz) "
            f"leaves {count} bands between two bins, constant whatever the input: {fix} "
            "fmin-fmax range or a longer frame_ms."
        )


def vtlp_warp(freqs, alpha, sample_rate, boundary=0.8):
    """Vocal tract length perturbation's frequency warp (Jaitly and Hinton, 2013).

    Frequencies are scaled by `alpha` up to a cut-off, then mapped linearly so that the Nyquist
    frequency stays put: `f·alpha` below `boundary·nyquist·min(alpha, 1)/alpha`, and the line to
    `(nyquist, nyquist)` above it. The warp is continuous and monotonic for any `alpha > 0`.

    Args:
        freqs: frequencies in Hz (any shape; a tensor or array).
        alpha: warp factors, broadcast against `freqs` (e.g. `(batch, 1)` with `(1, bins)`).
        sample_rate: sample rate in Hz.
        boundary: where the linear scaling ends, as a fraction of the Nyquist frequency.

    Example:
        >>> import numpy as np
        >>> [round(float(f)) for f in vtlp_warp(np.array([0.0, 1000.0, 4000.0]), 1.1, 8000)]
        [0, 1100, 4000]
    """
    nyquist = sample_rate / 2
    freqs = ops.convert_to_tensor(freqs, "float32")
    alpha = ops.convert_to_tensor(alpha, "float32")
    anchor = boundary * nyquist * ops.minimum(alpha, 1.0)  # where the cut-off lands
    cutoff = anchor / alpha
    above = nyquist - (nyquist - anchor) / (nyquist - cutoff) * (nyquist - freqs)
    return ops.where(freqs <= cutoff, freqs * alpha, above)


def log_mel_spectrogram(
    waveforms, sample_rate, num_mels=40, frame_ms=25.0, hop_ms=10.0, fmin=20.0, fmax=None,
    warp=None, preemphasis=0.0,
):  # fmt: skip
    """Log-mel spectrogram `(batch, frames, num_mels)` of float waveforms `(batch, samples)`.

    A single waveform `(samples,)` gives `(frames, num_mels)`.

    A Hann window of `frame_ms`, hop `hop_ms`, no centre padding (see the module docstring), power
    spectrum through `mel_filterbank`, then `log(power + 1e-6)`. With `preemphasis` `a > 0`
    the waveform is first filtered by `y[t] = x[t] - a·x[t-1]` (the first sample kept): a first-
    order high-pass that removes a DC offset and lifts the treble by about 6 dB per octave, as
    most speech front ends do. With `warp` (one factor per
    utterance, `(batch,)`), each utterance's spectrum is first warped by `vtlp_warp`: the
    spectral envelope of a shorter (`warp > 1`) or longer vocal tract, with the tempo unchanged.

    Raises:
        ValueError: `waveforms` is not 1-D or 2-D, or `preemphasis` is outside [0, 1). Mel
            bands that fall between two FFT bins (too many for the frame length, see
            `check_mel_bands`) only warn: their log-mels are the same for every input.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(2, 8000)).astype("float32")
        >>> tuple(log_mel_spectrogram(x, 8000).shape)
        (2, 97, 40)
        >>> tuple(log_mel_spectrogram(x, 8000, warp=np.array([0.9, 1.1])).shape)
        (2, 97, 40)
    """
    preemphasis = check_preemphasis(preemphasis)
    dtype = getattr(waveforms, "dtype", None)
    if dtype is not None and not (
        dtype.is_floating if isinstance(dtype, tf.DType) else np.dtype(dtype).kind == "f"
    ):  # (cast as they are, int16 samples would read 32768 times too loud)
        raise TypeError(
            f"waveforms must hold float samples in [-1, 1], got {tf.as_dtype(dtype).name}: "
            "scale integer PCM with waveform_to_float first."
        )
    x = ops.convert_to_tensor(waveforms, dtype="float32")
    if len(x.shape) not in (1, 2):
        raise ValueError(
            f"waveforms must be 2-D (batch, samples) or 1-D (samples,), got shape {tuple(x.shape)}."
        )
    if warp is not None:
        shape = tuple(getattr(warp, "shape", np.shape(warp)))
        expected = () if len(x.shape) == 1 else (x.shape[0],)
        if None not in expected and shape not in (expected, ()):
            raise ValueError(
                f"warp must hold one factor per utterance, shape {expected}, got shape {shape}."
            )
    _, _, fft_length = frame_settings(sample_rate, frame_ms, hop_ms)
    check_positive_int("num_mels", num_mels)
    mel_band_edges(num_mels, sample_rate, fmin, fmax)  # checks fmin and fmax
    try:  # LogMel warns, too, rather than refuse: see check_mel_bands
        check_mel_bands(num_mels, fft_length, sample_rate, fmin, fmax)
    except ValueError as e:
        warnings.warn(str(e), UserWarning, stacklevel=2)
    single = len(x.shape) == 1
    features = _log_mel_spectrogram(
        x[None] if single else x, sample_rate, num_mels, frame_ms, hop_ms, fmin, fmax, warp,
        preemphasis,
    )  # fmt: skip
    return features[0] if single else features


def _log_mel_spectrogram(
    waveforms, sample_rate, num_mels, frame_ms, hop_ms, fmin, fmax, warp, preemphasis
):
    """`log_mel_spectrogram` of checked arguments (`LogMel` checks them once, when built)."""
    window, hop, fft_length = frame_settings(sample_rate, frame_ms, hop_ms)
    x = ops.convert_to_tensor(waveforms, dtype="float32")
    if preemphasis:
        x = ops.concatenate([x[:, :1], x[:, 1:] - preemphasis * x[:, :-1]], axis=1)
    real, imag = ops.stft(x, window, hop, fft_length, window="hann", center=False)
    power = real * real + imag * imag
    if warp is None:
        fb = ops.convert_to_tensor(mel_filterbank(num_mels, fft_length, sample_rate, fmin, fmax))
        return ops.log(ops.matmul(power, fb) + LOG_FLOOR)
    # The power at frequency f moves to vtlp_warp(f): filter m of the warped spectrum weighs
    # each original bin by the triangle at the bin's warped frequency.
    edges = ops.convert_to_tensor(mel_band_edges(num_mels, sample_rate, fmin, fmax))
    bins = _bin_frequencies(fft_length, sample_rate)[None, :]
    warp = ops.reshape(ops.convert_to_tensor(warp, "float32"), (-1, 1))
    fb = _triangles(vtlp_warp(bins, warp, sample_rate), edges, ops)
    return ops.log(ops.einsum("btk,bkm->btm", power, fb) + LOG_FLOOR)


def check_preemphasis(preemphasis):
    """`preemphasis` of `log_mel_spectrogram` and `LogMel`: a float in [0, 1); returned as a float.

    Example:
        >>> check_preemphasis(0.97)
        0.97
    """
    if (
        isinstance(preemphasis, bool)
        or not isinstance(preemphasis, int | float | np.floating | np.integer)
        or not 0 <= preemphasis < 1
    ):
        raise ValueError(f"preemphasis must be a number in [0, 1), e.g. 0.97; got {preemphasis!r}.")
    return float(preemphasis)


def dct_matrix(num_mels, num_coefficients):
    """The orthonormal DCT-II matrix `(num_mels, num_coefficients)` turning log-mels into MFCCs.

    Example:
        >>> import numpy as np
        >>> m = dct_matrix(40, 40)
        >>> bool(np.allclose(m.T @ m, np.eye(40), atol=1e-5))
        True
    """
    check_positive_int("num_coefficients", num_coefficients)
    if num_coefficients > num_mels:
        raise ValueError(
            f"num_coefficients must be <= num_mels={num_mels}, got {num_coefficients}."
        )
    n = np.arange(num_mels)[:, None]
    k = np.arange(num_coefficients)[None, :]
    m = np.cos(np.pi / num_mels * (n + 0.5) * k) * np.sqrt(2.0 / num_mels)
    m[:, 0] /= np.sqrt(2.0)
    return m.astype("float32")


def mfcc(waveforms, sample_rate, num_coefficients=13, num_mels=40, frame_ms=25.0, hop_ms=10.0):
    """MFCCs `(batch, frames, num_coefficients)`: the DCT of `log_mel_spectrogram`.

    Example:
        >>> import numpy as np
        >>> x = np.random.default_rng(0).normal(size=(1, 4000)).astype("float32")
        >>> tuple(mfcc(x, 8000).shape)
        (1, 47, 13)
    """
    log_mel = log_mel_spectrogram(waveforms, sample_rate, num_mels, frame_ms, hop_ms)
    return ops.matmul(log_mel, ops.convert_to_tensor(dct_matrix(num_mels, num_coefficients)))


def frame_mask(frame_lengths, max_frames):
    """`(batch, max_frames)` booleans: True on each utterance's real frames.

    Example:
        >>> import numpy as np
        >>> np.asarray(frame_mask(np.array([1, 3]), 3)).tolist()
        [[True, False, False], [True, True, True]]
    """
    lengths = ops.cast(frame_lengths, "int32")
    return ops.expand_dims(ops.arange(max_frames, dtype="int32"), 0) < ops.expand_dims(lengths, 1)


def normalize_frames(features, frame_lengths, epsilon=1e-5, scale="band"):
    """Per-utterance mean and variance normalisation over real frames only.

    Each feature (band) loses its own mean over the utterance's real frames; `scale="band"`
    then divides each band by its own standard deviation, `scale="utterance"` all bands by one
    (the root-mean-square of the centred features): bands that hold only noise in a recording
    stay small instead of being raised to the variance of the bands that carry speech. Padded
    frames (past each utterance's `frame_lengths`) neither count in the statistics nor keep a
    value: they come out as zeros.

    Args:
        features: `(batch, frames, bands)` features.
        frame_lengths: `(batch,)` real frames of each utterance, whole numbers >= 0 (a count
            past `frames` keeps all of them).
        epsilon: added to the variance before the square root.
        scale: `"band"` or `"utterance"`, as above.

    Raises:
        ValueError: `frame_lengths` is not one count per utterance, shape `(batch,)` (a single
            count would be broadcast to every utterance), or, when its values are concrete
            (eagerly), holds a count below 0 (which would zero the whole utterance) or one not
            a whole number. In a graph (inside a model's `fit` or `predict`) only its shape is
            checked, where known: the values go unchecked, as an assertion would run on every
            step; the callers in rnn-zoo pass counts clipped at 0, one per utterance.

    Example:
        >>> import numpy as np
        >>> f = np.array([[[1.0], [3.0], [99.0]]], dtype="float32")
        >>> np.round(np.asarray(normalize_frames(f, np.array([2]))), 3)[0, :, 0].tolist()
        [-1.0, 1.0, 0.0]
        >>> g = np.array([[[1.0, 10.0], [3.0, 10.0]]], dtype="float32")  # band 2 is flat
        >>> out = normalize_frames(g, np.array([2]), scale="utterance")
        >>> np.round(np.asarray(out, "float64"), 2)[0].tolist()
        [[-1.41, 0.0], [1.41, 0.0]]
    """
    check_choice("scale", scale, NORMALIZE_SCALES)
    features = ops.convert_to_tensor(features)
    _check_frame_lengths(frame_lengths, features.shape[0])
    mask = ops.cast(frame_mask(frame_lengths, ops.shape(features)[1]), features.dtype)[..., None]
    count = ops.maximum(ops.sum(mask, axis=1, keepdims=True), 1.0)
    mean = ops.sum(features * mask, axis=1, keepdims=True) / count
    var = ops.sum(ops.square(features - mean) * mask, axis=1, keepdims=True) / count
    if scale == "utterance":
        var = ops.mean(var, axis=2, keepdims=True)
    return (features - mean) * ops.rsqrt(var + epsilon) * mask


def _check_frame_lengths(frame_lengths, batch):
    """Raises unless `frame_lengths` holds one frame count >= 0 per utterance of `batch`.

    Its shape is checked wherever it is known (in a graph too, at no cost); its values only
    when they are concrete (eagerly): in a model's graph an assertion would run every step.
    """
    shape = tuple(getattr(frame_lengths, "shape", np.shape(frame_lengths)))
    expected = "(batch,)" if batch is None else f"({batch},)"
    if len(shape) != 1 or None not in (batch, shape[0]) and shape[0] != batch:
        raise ValueError(
            f"frame_lengths must hold one frame count per utterance, shape {expected}, got "
            f"shape {shape}."
        )
    if not tf.executing_eagerly() or isinstance(frame_lengths, keras.KerasTensor):
        return
    lengths = np.asarray(frame_lengths)
    if lengths.dtype.kind not in "iuf":
        raise TypeError(
            f"frame_lengths must hold frame counts (whole numbers >= 0), got an array of dtype "
            f"{lengths.dtype}."
        )
    check_finite("frame_lengths", lengths)
    bad = (lengths < 0) | (lengths != np.round(lengths))
    if bad.any():
        i = int(np.argmax(bad))
        raise ValueError(
            f"frame_lengths must hold frame counts (whole numbers >= 0), got "
            f"{lengths[i].item()!r} at index {i}."
        )


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
