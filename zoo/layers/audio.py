"""Audio front-end layers: a log-mel spectrogram of padded waveforms, and SpecAugment.

Both know each utterance's real length, so that zero padding is never mistaken for silence: the
features of padded frames are zeros and SpecAugment masks only real frames.
"""

import warnings

import keras
from keras import ops

from zoo.data.audio import (
    NORMALIZE_SCALES,
    _log_mel_spectrogram,
    check_mel_bands,
    check_preemphasis,
    dct_matrix,
    frame_mask,
    frame_settings,
    mel_band_edges,
    normalize_frames,
)
from zoo.data.audio import num_frames as _num_frames
from zoo.validation import check_fraction, check_positive_int, check_range, check_seed


def check_normalize(normalize):
    """`normalize` of `LogMel`: `True`, `False`, `"band"` or `"utterance"`; returned as given.

    Example:
        >>> check_normalize("utterance")
        'utterance'
        >>> check_normalize("mean")
        Traceback (most recent call last):
        ...
        ValueError: normalize must be True, False or one of ['band', 'utterance'], got 'mean'.
    """
    if normalize is True or normalize is False or normalize in NORMALIZE_SCALES:
        return normalize
    raise ValueError(
        f"normalize must be True, False or one of {list(NORMALIZE_SCALES)}, got {normalize!r}."
    )


@keras.saving.register_keras_serializable(package="zoo")
class LogMel(keras.layers.Layer):
    """Log-mel features of padded waveforms, normalised per utterance over its real frames.

    Call it on `[waveforms (batch, samples) float, lengths (batch,) or (batch, 1) int]`; it returns
    `(batch, frames, num_mels)` features (zeros past each utterance's frames, see
    `zoo.data.audio`) and `num_frames(lengths)` gives each utterance's frame count.

    Args:
        sample_rate: the waveforms' sample rate in Hz.
        num_mels: mel bands.
        frame_ms: analysis window in milliseconds (25 by default).
        hop_ms: hop in milliseconds (10 by default).
        normalize: per-utterance normalisation over real frames (`zoo.data.audio.
            normalize_frames`): `"band"` (or `True`) centres each band and scales it to unit
            variance, `"utterance"` centres each band and scales all bands by one factor, `False`
            leaves the log-mels as they are.
        preemphasis: the coefficient `a` of the pre-emphasis filter `x[t] - a·x[t-1]` applied
            to the waveform first, in [0, 1) (0, the default, turns it off; 0.97 is usual).
        num_ceps: `None` (default) returns the log-mels; an int <= `num_mels` returns that many
            MFCCs instead (the orthonormal DCT of the log-mels, `zoo.data.audio.dct_matrix`,
            taken before the normalisation): the smooth spectral envelope, without the pitch
            harmonics that finer coefficients resolve.
        fmin: the lowest frequency of the mel filters in Hz.
        fmax: the highest, in Hz (`None`: the Nyquist frequency).
        vtlp: `(low, high)`: in training, vocal tract length perturbation, each utterance's
            spectrum warped by a factor drawn from this range (`zoo.data.audio.vtlp_warp`, e.g.
            `(0.9, 1.1)`); `None` (default) turns it off. At inference it is off.
        seed: seed of the warp factors.

    Example:
        >>> import numpy as np
        >>> layer = LogMel(8000)
        >>> x = np.zeros((2, 8000), "float32")
        >>> tuple(layer([x, np.array([8000, 4000])]).shape), layer.num_frames(4000).item()
        ((2, 97, 40), 47)
    """

    def __init__(
        self, sample_rate, num_mels=40, frame_ms=25.0, hop_ms=10.0, normalize=True, fmin=20.0,
        fmax=None, vtlp=None, preemphasis=0.0, num_ceps=None, seed=None, **kwargs,
    ):  # fmt: skip
        super().__init__(**kwargs)
        self.window, self.hop, self.span = frame_settings(sample_rate, frame_ms, hop_ms)
        self.sample_rate = check_positive_int("sample_rate", sample_rate)
        self.num_mels = check_positive_int("num_mels", num_mels)
        self.frame_ms, self.hop_ms = frame_ms, hop_ms
        self.normalize = check_normalize(normalize)
        self.preemphasis = check_preemphasis(preemphasis)
        if num_ceps is not None:
            if check_positive_int("num_ceps", num_ceps) > self.num_mels:
                raise ValueError(
                    f"num_ceps must be None or an int <= num_mels={self.num_mels}, "
                    f"got {num_ceps!r}."
                )
            self.dct = dct_matrix(self.num_mels, num_ceps)
        self.num_ceps = num_ceps
        self.num_features = self.num_mels if num_ceps is None else num_ceps
        mel_band_edges(self.num_mels, self.sample_rate, fmin, fmax)  # checks fmin and fmax
        try:  # the factories refuse such settings; a layer loaded from a file only warns
            check_mel_bands(self.num_mels, self.span, self.sample_rate, fmin, fmax)
        except ValueError as e:
            warnings.warn(str(e), UserWarning, stacklevel=2)
        self.fmin, self.fmax = fmin, fmax
        vtlp = check_range("vtlp", vtlp, positive=True, example=(0.9, 1.1))
        self.vtlp = vtlp
        self.seed = check_seed(seed)
        if vtlp is not None:
            self.seed_generator = keras.random.SeedGenerator(seed)

    def num_frames(self, lengths):
        """Frames of utterances of `lengths` real samples.

        Example:
            >>> import numpy as np
            >>> layer = LogMel(8000)  # 25 ms windows (FFT of 256 samples), 10 ms hop (80)
            >>> layer.num_frames(np.array([8000, 4000, 200])).tolist()  # 200: under one window
            [97, 47, 0]
        """
        return _num_frames(lengths, self.span, self.hop)

    def call(self, inputs, training=False):
        """Features `(batch, frames, num_mels)` of `[waveforms, lengths]`."""
        waveforms, lengths = inputs
        if len(ops.shape(waveforms)) != 2:
            raise ValueError(
                f"LogMel's waveforms must be 2-D (batch, samples), got shape "
                f"{tuple(ops.shape(waveforms))}."
            )
        lengths_shape = tuple(ops.shape(lengths))
        if len(lengths_shape) == 2 and lengths_shape[1] == 1:
            lengths = ops.squeeze(lengths, axis=1)
        elif len(lengths_shape) != 1:
            raise ValueError(
                f"LogMel's lengths must be (batch,) or (batch, 1), one per waveform, got shape "
                f"{lengths_shape}."
            )
        rows, given = waveforms.shape[0], lengths.shape[0]
        if rows is not None and given is not None and rows != given:  # (a broadcast otherwise)
            raise ValueError(
                f"LogMel's lengths must hold one length per waveform: {rows} waveforms, got "
                f"{given} lengths."
            )
        warp = None
        if training and self.vtlp is not None:
            low, high = self.vtlp
            warp = keras.random.uniform(
                ops.shape(waveforms)[:1], low, high, seed=self.seed_generator
            )
        features = _log_mel_spectrogram(
            waveforms, self.sample_rate, self.num_mels, self.frame_ms, self.hop_ms,
            self.fmin, self.fmax, warp, self.preemphasis,
        )  # fmt: skip
        if self.num_ceps is not None:
            features = ops.matmul(features, ops.convert_to_tensor(self.dct))
        frames = self.num_frames(ops.cast(lengths, "int32"))
        if self.normalize:
            scale = "band" if self.normalize is True else self.normalize
            return normalize_frames(features, frames, scale=scale)
        mask = ops.cast(frame_mask(frames, ops.shape(features)[1]), features.dtype)
        return features * mask[..., None]

    def compute_output_shape(self, input_shape):
        """`(batch, frames, num_mels or num_ceps)`."""
        samples = input_shape[0][1]
        frames = None if samples is None else max(0, (samples - self.span) // self.hop + 1)
        return (input_shape[0][0], frames, self.num_features)

    def get_config(self):
        """The constructor arguments."""
        return {
            **super().get_config(),
            "sample_rate": self.sample_rate,
            "num_mels": self.num_mels,
            "frame_ms": self.frame_ms,
            "hop_ms": self.hop_ms,
            "normalize": self.normalize,
            "fmin": self.fmin,
            "fmax": self.fmax,
            "vtlp": self.vtlp,
            "preemphasis": self.preemphasis,
            "num_ceps": self.num_ceps,
            "seed": self.seed,
        }


@keras.saving.register_keras_serializable(package="zoo")
class SpecAugment(keras.layers.Layer):
    """SpecAugment (Park et al. 2019) frequency and time masks, in training only.

    Call it on `[features (batch, frames, bins), frame_lengths (batch,)]`. Each utterance gets
    `freq_masks` bands of up to `freq_width` bins and `time_masks` spans of up to `time_width`
    (a fraction) of its own real frames set to zero (the per-utterance mean after
    normalisation). At inference it is the identity.

    Args:
        freq_masks: frequency masks per utterance.
        freq_width: the widest frequency mask, in bins.
        time_masks: time masks per utterance.
        time_width: the widest time mask, as a fraction of the utterance's frames, in [0, 1).
        seed: seed of the masks.

    Example:
        >>> import numpy as np
        >>> x = np.ones((1, 50, 40), "float32")
        >>> aug = SpecAugment(seed=0)
        >>> bool((np.asarray(aug([x, np.array([50])], training=False)) == x).all())
        True
        >>> float(np.asarray(aug([x, np.array([50])], training=True)).mean()) < 1.0
        True
    """

    def __init__(
        self, freq_masks=2, freq_width=8, time_masks=2, time_width=0.1, seed=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.freq_masks = check_positive_int("freq_masks", freq_masks) if freq_masks else 0
        self.freq_width = check_positive_int("freq_width", freq_width)
        self.time_masks = check_positive_int("time_masks", time_masks) if time_masks else 0
        self.time_width = check_fraction("time_width", time_width)
        self.seed = check_seed(seed)
        self.seed_generator = keras.random.SeedGenerator(seed)

    def _bands(self, batch, size, max_width, count):
        """`(batch, size)` booleans: `count` random bands of width < `max_width + 1` each."""
        positions = ops.arange(size)[None, :]
        keep = ops.ones((batch, size), dtype="bool")
        size_f = ops.cast(size, "float32")
        for _ in range(count):
            width = ops.floor(
                keras.random.uniform((batch, 1), seed=self.seed_generator) * (max_width + 1)
            )
            width = ops.minimum(width, size_f)
            start = ops.floor(
                keras.random.uniform((batch, 1), seed=self.seed_generator) * (size_f - width + 1)
            )
            p = ops.cast(positions, "float32")
            keep = ops.logical_and(keep, ops.logical_or(p < start, p >= start + width))
        return keep

    def call(self, inputs, training=False):
        """Masked `features` of `[features, frame_lengths]` in training, else `features`."""
        features, lengths = inputs
        if not training:
            return features
        shape = ops.shape(features)
        batch, frames, bins = shape[0], shape[1], shape[2]
        keep = ops.ones_like(features, dtype="bool")
        if self.freq_masks:
            f_keep = self._bands(batch, bins, self.freq_width, self.freq_masks)
            keep = ops.logical_and(keep, f_keep[:, None, :])
        if self.time_masks and self.time_width > 0:
            real = ops.cast(ops.maximum(lengths, 1), "float32")[:, None]
            positions = ops.cast(ops.arange(frames), "float32")[None, :]
            t_keep = ops.ones((batch, frames), dtype="bool")
            for _ in range(self.time_masks):
                u = keras.random.uniform((batch, 1), seed=self.seed_generator)
                width = ops.floor(u * (self.time_width * real + 1))
                v = keras.random.uniform((batch, 1), seed=self.seed_generator)
                start = ops.floor(v * (real - width + 1))
                outside = ops.logical_or(positions < start, positions >= start + width)
                t_keep = ops.logical_and(t_keep, outside)
            keep = ops.logical_and(keep, t_keep[:, :, None])
        return ops.where(keep, features, ops.zeros_like(features))

    def compute_output_shape(self, input_shape):
        """The features' shape."""
        return input_shape[0]

    def get_config(self):
        """The constructor arguments."""
        return {
            **super().get_config(),
            "freq_masks": self.freq_masks,
            "freq_width": self.freq_width,
            "time_masks": self.time_masks,
            "time_width": self.time_width,
            "seed": self.seed,
        }
