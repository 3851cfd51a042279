"""Audio features (log-mel, MFCC) shared by the audio models (speech CTC, spoken digits).

Frames are cut without centre padding, as `keras.ops.stft(..., center=False)` cuts them: frame `i`
spans the FFT's samples `[i·hop, i·hop + fft_length)`, its Hann window of `frame_ms` centred in
them, so an utterance of `n` real samples has exactly `1 + (n - fft_length) // hop` frames
(`num_frames(n, fft_length, hop)`), whatever zero padding follows it in a batch, and its frames
never see that padding. The features of the
frames past an utterance's end are set to zero (`normalize_frames`), so that a padded batch gives
every utterance the same features as it gets alone.

The feature functions are written in `keras.ops` (they run inside models, e.g.
`zoo.layers.LogMel`). The waveform utilities (PCM scaling, resampling, silence) are in
`zoo.data.waveforms`, `augment_waveform` in `zoo.data.augmentation`; both importable from here as
before.
"""

import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo.data.augmentation import augment_waveform  # noqa: F401  (re-exported, as below)
from zoo.data.waveforms import (  # noqa: F401  (re-exported: importable here as before)
    AUDIO_RATES,
    FULL_SCALE,
    check_audio_rate,
    check_float_samples,
    is_digital_silence,
    resample,
    shorten_pauses,
    standardize_edges,
    waveform_to_float,
)
from zoo.validation import (
    check_choice,
    check_finite,
    check_positive_float,
    check_positive_int,
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
