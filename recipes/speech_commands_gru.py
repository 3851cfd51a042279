"""Keyword spotting on Speech Commands (v0.02) with a stacked GRU over log-mel features.

`speech_commands` (Warden 2018, downloaded by TFDS, about 2.4 GB): one-second 16 kHz clips in 12
classes, the ten words "down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes",
plus `_silence_` (background noise) and `_unknown_` (the other 25 words). TFDS's splits follow
the dataset's own lists: about 85,000 training, 10,000 validation and the canonical 4,890-clip
test set (Warden's "top-one accuracy" benchmark). `_unknown_` makes up most of the training
clips and is not rebalanced here. TFDS decodes the WAV files with pydub when it prepares the
dataset: `pip install pydub` first.

Each clip is padded (with zeros) or cut to one second, as Warden's baseline does, and scaled to
float in [-1, 1] (`clip`); that is all the input pipeline does. The model owns its front end
(`sample_rate=16000`): a `zoo.layers.LogMel` layer turns each clip into 97 frames of 40 log-mel
bands (25 ms windows, 10 ms hop), normalised per clip, and two stacked GRU layers read the
frames; the last state is classified. The saved model therefore classifies raw audio:
`model.predict(clip(int16_audio)[None])`, or any `(batch, 16000)` float batch.
"""

import tensorflow as tf

from zoo.data.audio import frame_settings, num_frames, waveform_to_float
from zoo.training import Recipe, main

LABELS = ["down", "go", "left", "no", "off", "on", "right", "stop", "up", "yes"]
LABELS += ["_silence_", "_unknown_"]
SAMPLE_RATE = 16000
CLIP_SAMPLES = SAMPLE_RATE  # one second
NUM_MELS = 40
_, _HOP, _SPAN = frame_settings(SAMPLE_RATE)
FRAMES = int(num_frames(CLIP_SAMPLES, _SPAN, _HOP))  # log-mel frames per clip, inside the model


def clip(audio):
    """One clip as the model takes it: float32 `(CLIP_SAMPLES,)`, padded or cut to one second.

    Args:
        audio: `(samples,)` int16 (or float in [-1, 1]) audio at 16 kHz.

    Returns:
        The waveform scaled to [-1, 1] (`zoo.data.audio.waveform_to_float`), zero-padded or cut.

    Example:
        >>> x = clip(tf.constant([0, 16384, -32768], tf.int16))
        >>> tuple(x.shape), x.dtype.name, x[:3].numpy().tolist()
        ((16000,), 'float32', [0.0, 0.5, -1.0])
    """
    wave = waveform_to_float(tf.convert_to_tensor(audio))[:CLIP_SAMPLES]
    return tf.pad(wave, [[0, CLIP_SAMPLES - tf.shape(wave)[0]]])


def preprocess(audio, label):
    """The recipe's `preprocess`: `(audio, label)` to `(clip(audio), label)`."""
    return clip(audio), label


RECIPE = Recipe(
    name="speech_commands_gru",
    model="stacked",
    dataset="speech_commands",
    task="classification",
    model_kwargs=dict(
        cell="gru",
        sample_rate=SAMPLE_RATE,
        num_mels=NUM_MELS,
        input_shape=(CLIP_SAMPLES,),
        num_classes=len(LABELS),
        units=128,
        num_layers=2,
        dropout=0.1,
    ),
    description="Speech Commands, 12 keywords: 40 log-mels per 10 ms, 2-layer GRU: accuracy",
    preprocess=preprocess,
    epochs=15,
    batch_size=128,
    monitor="val_accuracy",
)

if __name__ == "__main__":
    main(RECIPE)
