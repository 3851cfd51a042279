"""A pretrained speech front end: Google's speech embedding over padded waveforms.

`SpeechEmbedding` turns waveforms into 96-dimensional embeddings from Google's `speech_embedding`
model (TF Hub, Apache-2.0; Lin et al. 2020, "Training keyword spotters with limited and
synthesized speech data", arXiv:2002.01322), a stack of small convolutions trained on about 200
million clips of speech from many speakers. Its features carry what was said more than who said
it, which is what a recogniser trained on a few voices lacks. The weights ship with rnn-zoo
(`zoo/layers/speech_embedding.npz`, converted by `tools/convert_speech_embedding.py` from the
ONNX copies in the openWakeWord 0.4.0 wheel); the layer re-implements both graphs (log-mel front
end and embedding network) in `keras.ops`, frozen (non-trainable) unless the user unfreezes it.

Front end, as the model was trained: 32 mel bands (60 Hz - 3.8 kHz) of a 25 ms Hann window with a
10 ms hop, power in int16 units, `10·log10`, clipped 80 dB under the utterance's loudest frame,
then `x / 10 + 2`. The network sees 76 frames (0.76 s) and gives one embedding per 8 frames;
`stride` (1, 2, 4 or 8 frames) runs it at `8 / stride` offsets and interleaves them, so the output
has one embedding every `stride × 10` ms, centred on frame `stride·i` of the utterance. Frames
before the start and past the end of an utterance are silence (the clipping floor), so a padded
batch gives every utterance the same embeddings as it gets alone. `level` takes the features
from inside the network instead: after its third pooling (`level=3`: 288 values every 40 ms,
0.24 s receptive field) or fourth (`level=4`: 192 values every 40 ms, 0.40 s); both tell speakers
apart more than the embedding does (a linear probe of pooled features naming isolated FSDD
digits of a speaker left out: 85-99% against 94-100% for the embedding).
"""

from pathlib import Path

import keras
import numpy as np
from keras import ops

from zoo.data.audio import frame_mask, frame_settings, strided_frames
from zoo.data.audio import num_frames as _num_frames
from zoo.validation import check_choice

WEIGHTS = Path(__file__).with_name("speech_embedding.npz")
# 16 kHz as trained; 8 kHz as its lower half (the bands end at 3.8 kHz).
SAMPLE_RATES = (8000, 16000)
STRIDES = (1, 2, 4, 8)
# Convolutions (index into the weights) followed by a max pooling of (time, freq).
POOL_AFTER = {2: (2, 2), 6: (1, 2), 10: (2, 2), 14: (1, 2), 18: (2, 2)}
NUM_CONVS = 20
LEVELS = (3, 4, 5)  # features after this many poolings; 5: the embedding itself


def _geometry(level):
    """`(convs, receptive field, step, dim)` of the features after `level` poolings."""
    convs = NUM_CONVS if level == 5 else sorted(POOL_AFTER)[level - 1] + 1
    field, step, freq = 1, 1, 32
    for i in range(convs):
        if i == 0 or i % 2 == 0 or i == NUM_CONVS - 1:  # the time kernels (3 frames)
            field += 2 * step
        if i in POOL_AFTER:
            pool_t, pool_f = POOL_AFTER[i]
            field += (pool_t - 1) * step
            step, freq = step * pool_t, freq // pool_f
    channels = {3: 72, 4: 96, 5: 96}[level]
    return convs, field, step, channels * (1 if level == 5 else freq)


# 10·log10 of the power ratio between a 16 kHz frame (512-point FFT) and the same sound's 8 kHz
# frame (256-point FFT): twice the samples under the window, four times the power.
_POWER_OFFSET_DB = {16000: 0.0, 8000: 10 * np.log10(4.0)}


def load_weights():
    """The converted weights (`dict` of NumPy arrays); see the module docstring.

    Example:
        >>> weights = load_weights()
        >>> len(weights), weights["mel_filters"].shape, weights["kernel_0"].shape
        (41, (257, 32), (3, 3, 1, 24))
    """
    with np.load(WEIGHTS) as data:
        return {k: data[k] for k in data.files if k != "source_sha256"}


@keras.saving.register_keras_serializable(package="zoo")
class SpeechEmbedding(keras.layers.Layer):
    """Google's pretrained speech embedding of padded waveforms (see `zoo.layers.speech_embedding`).

    Call it on `[waveforms (batch, samples) float in [-1, 1], lengths (batch,) int]`; it returns
    `(batch, frames, 96)` embeddings (zeros past each utterance's frames) and
    `num_frames(lengths)` gives each utterance's count, `ceil(f / stride)` of its `f` 10 ms
    frames. Frozen by default: set `trainable = True` to fine-tune it.

    Args:
        sample_rate: 16000 (as trained) or 8000 Hz.
        stride: 10 ms frames between embeddings, 1, 2, 4 or 8 (each halving costs one more pass
            of the network); at most 4 for `level` 3 or 4.
        level: 5 (the embedding), or 3 or 4 (the network's inner features, see the module).

    Example:
        >>> import numpy as np
        >>> layer = SpeechEmbedding(sample_rate=8000, stride=4)
        >>> x = np.random.default_rng(0).normal(0, 0.1, (2, 8000)).astype("float32")
        >>> tuple(layer([x, np.array([8000, 4000])]).shape)
        (2, 25, 96)
        >>> layer.num_frames(np.array([8000, 4000])).tolist()
        [25, 12]
    """

    def __init__(self, sample_rate=16000, stride=4, level=5, **kwargs):
        kwargs.setdefault("trainable", False)
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)
        self.sample_rate = check_choice("sample_rate", sample_rate, SAMPLE_RATES)
        self.level = check_choice("level", level, LEVELS)
        # `span` (samples per frame) and `num_features` as `LogMel` names them, for the model.
        self.convs, self.field, self.step, self.num_features = _geometry(level)
        self.stride = check_choice("stride", stride, tuple(s for s in STRIDES if s <= self.step))
        self.window, self.hop, self.span = frame_settings(sample_rate, 25.0, 10.0)

    def build(self, input_shape=None):
        """Creates the weights (non-trainable unless the layer is), with the shipped values."""
        values = load_weights()
        bins = self.span // 2 + 1
        values["mel_filters"] = values["mel_filters"][:bins]
        for name in sorted(values):
            # The values come from the initializer: a build inside Keras's symbolic scope (a
            # model's first call) would drop an `assign`.
            weight = self.add_weight(
                name=name, shape=values[name].shape, trainable=True,
                initializer=lambda shape, dtype=None, v=values[name]: ops.cast(v, dtype),
            )  # fmt: skip
            setattr(self, f"_{name}", weight)
        self.built = True

    def num_frames(self, lengths):
        """Embeddings of utterances of `lengths` real samples: `ceil(frames / stride)`.

        Example:
            >>> import numpy as np
            >>> layer = SpeechEmbedding(sample_rate=8000, stride=4)
            >>> layer.num_frames(np.array([8000, 4000, 200])).tolist()  # of 97, 47, 0 frames
            [25, 12, 0]
        """
        return strided_frames(_num_frames(lengths, self.span, self.hop), self.stride)

    def features(self, waveforms, lengths):
        """The network's input `(batch, frames, 32)`, the frame counts and each utterance's floor.

        Frames past an utterance's end hold its floor (silence: 80 dB under its loudest frame).

        Example:
            >>> import numpy as np
            >>> layer = SpeechEmbedding(sample_rate=8000)
            >>> layer.build()  # its weights (calling the layer builds it too)
            >>> x = np.random.default_rng(0).normal(0, 0.1, (2, 8000)).astype("float32")
            >>> feats, frames, floor = layer.features(x, np.array([8000, 4000]))
            >>> tuple(feats.shape), np.asarray(frames).tolist()
            ((2, 97, 32), [97, 47])
            >>> bool(np.allclose(np.asarray(feats)[1, 47:], np.asarray(floor)[1]))  # past its end
            True
        """
        x = ops.convert_to_tensor(waveforms, "float32") * 32768.0
        real, imag = ops.stft(x, self.window, self.hop, self.span, "hann", center=False)
        mel = ops.matmul(real * real + imag * imag, self._mel_filters)
        db = 10.0 * ops.log(ops.maximum(mel, 1e-10)) / np.log(10.0)
        db = db + _POWER_OFFSET_DB[self.sample_rate]
        frames = _num_frames(ops.cast(lengths, "int32"), self.span, self.hop)
        keep = frame_mask(frames, ops.shape(db)[1])[:, :, None]
        top = ops.max(ops.where(keep, db, -np.inf), axis=(1, 2))
        top = ops.where(ops.isfinite(top), top, 0.0)[:, None, None]
        db = ops.where(keep, ops.maximum(db, top - 80.0), top - 80.0)
        return db / 10.0 + 2.0, frames, top[:, 0, 0] / 10.0 - 6.0

    def _network(self, x):
        """Features `(n, (t - field) // step + 1, dim)` of inputs `(n, t, 32)`.

        `t - field` is a multiple of `step`, so that every pooling divides its input exactly.
        """
        x = ops.pad(x[..., None], [[0, 0], [0, 0], [1, 1], [0, 0]])
        for i in range(self.convs):
            kernel = getattr(self, f"_kernel_{i}")
            padding = "same" if kernel.shape[0] == 1 else "valid"  # frequency kernels keep bands
            x = ops.conv(x, kernel, padding=padding)
            if i == 0:
                x = ops.relu(x) * self._bn_scale + self._bn_offset
            elif i < NUM_CONVS - 1:
                x = x + getattr(self, f"_bias_{i}")
            if i < NUM_CONVS - 1:
                x = ops.maximum(ops.leaky_relu(x, 0.2), -0.4)
            if i in POOL_AFTER:
                x = ops.max_pool(x, POOL_AFTER[i], POOL_AFTER[i])
        shape = ops.shape(x)
        return ops.reshape(x, (shape[0], shape[1], self.num_features))

    def call(self, inputs):
        """Embeddings `(batch, frames, dim)` of `[waveforms, lengths]` (zeros past the end)."""
        waveforms, lengths = inputs
        feats, frames, floor = self.features(waveforms, lengths)
        passes = self.step // self.stride
        out_lengths = strided_frames(frames, self.stride)
        n_out = ops.max(out_lengths)
        per_pass = ops.maximum(ops.floor_divide(n_out + passes - 1, passes), 1)
        length = self.step * (per_pass - 1) + self.field
        # Silence (the floor, as past the end) before the first frame, for half a receptive
        # field, and after the last.
        half, floor = self.field // 2, floor[:, None, None]
        x = ops.pad(feats - floor, [[0, 0], [half, self.step + self.field - half], [0, 0]]) + floor
        batch = ops.shape(x)[0]
        windows = [x[:, q * self.stride : q * self.stride + length] for q in range(passes)]
        emb = self._network(ops.concatenate(windows, axis=0))  # (passes·batch, per_pass, dim)
        emb = ops.reshape(emb, (passes, batch, per_pass, self.num_features))
        emb = ops.reshape(
            ops.transpose(emb, (1, 2, 0, 3)), (batch, per_pass * passes, self.num_features)
        )
        emb = emb[:, :n_out]
        return emb * ops.cast(frame_mask(out_lengths, n_out), emb.dtype)[:, :, None]

    def compute_output_shape(self, input_shape):
        """`(batch, None, dim)`."""
        return (input_shape[0][0], None, self.num_features)

    def get_config(self):
        """The constructor arguments."""
        return {
            **super().get_config(), "sample_rate": self.sample_rate, "stride": self.stride,
            "level": self.level,
        }  # fmt: skip
