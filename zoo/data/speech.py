"""Speech examples for CTC: `(audio, transcript)` pairs into a recogniser's `(x, labels)`.

`make_speech_examples` is the `tf.data` map every speech recipe reads its data through: mono PCM
or float audio into `{"waveform", "length"}`, each transcript into character ids (0 is the CTC
blank, character `i` of the vocabulary is id `i + 1`). It checks what a CTC model cannot learn
from (characters outside the vocabulary, float audio beyond full scale), naming the transcript.
"""

import numpy as np
import tensorflow as tf

from zoo.data.waveforms import FULL_SCALE, waveform_to_float
from zoo.validation import check_bool

VOCABULARY = "abcdefghijklmnopqrstuvwxyz' "  # the default: lowercase letters, apostrophe, space


def check_vocabulary(vocabulary):
    """Returns `vocabulary` (a speech model's characters) after checking it.

    It must be a non-empty string in which no character repeats (a character's id is its index).

    Example:
        >>> check_vocabulary("ab ")
        'ab '
        >>> check_vocabulary("aba")
        Traceback (most recent call last):
        ...
        ValueError: vocabulary repeats characters ['a']: each must appear once.
    """
    if not isinstance(vocabulary, str) or not vocabulary:
        raise ValueError(
            f"vocabulary must be a non-empty string of characters, got {vocabulary!r}."
        )
    repeated = sorted({c for c in vocabulary if vocabulary.count(c) > 1})
    if repeated:
        raise ValueError(f"vocabulary repeats characters {repeated!r}: each must appear once.")
    return vocabulary


_UNKNOWN = "holds characters outside the vocabulary"
_BEYOND_FULL_SCALE = "has float samples outside [-1, 1]"
_BEYOND_16_BITS = "has int64 samples outside the 16-bit range [-32768, 32767]"
# What make_speech_examples's checks say: a failed one holds one of these phrases.
EXAMPLE_CHECKS = (_UNKNOWN, _BEYOND_FULL_SCALE, _BEYOND_16_BITS)


def _check_transcript(ids, chars, transcript, vocabulary, lowercase):
    """`ids`, after checking that every character of `transcript` is in the vocabulary.

    Eagerly a `ValueError`; in a `tf.data` map (a graph) an assertion with the same message,
    which TensorFlow raises as `tf.errors.InvalidArgumentError` (`SpeechRecognizer.fit` turns
    it back into the `ValueError`).
    """
    unknown = ids < 0
    suffix = f" (the vocabulary is {vocabulary!r}{', after lowercasing' if lowercase else ''})."
    if tf.executing_eagerly():
        if bool(tf.reduce_any(unknown)):
            bad = dict.fromkeys(chr(c) for c in chars[unknown].numpy())  # first-seen order
            text = transcript.numpy().decode("utf-8", "replace")
            raise ValueError(f"transcript {text!r} {_UNKNOWN}: {list(bad)!r}" + suffix)
        return ids
    bad = tf.strings.unicode_encode(tf.expand_dims(tf.unique(chars[unknown]).y, 1), "UTF-8")
    message = tf.strings.join(
        ["transcript '", transcript, f"' {_UNKNOWN}: ['",
         tf.strings.reduce_join(bad, separator="', '"), "']" + suffix]
    )  # fmt: skip
    check = tf.debugging.Assert(tf.logical_not(tf.reduce_any(unknown)), [message])
    with tf.control_dependencies([check]):
        return tf.identity(ids)


def _checked_audio(audio, transcript, ok, phrase, measured, hint):
    """`audio`, after a check of it: eagerly a `ValueError`, in a `tf.data` map an assertion.

    Both say "the audio of transcript '...' {phrase} ({measured}{hint}", `measured` being
    strings and scalar string tensors (the values found), as `_check_transcript` does.
    """
    if tf.executing_eagerly():
        if not bool(ok):
            text = transcript.numpy().decode("utf-8", "replace")
            shown = "".join(m if isinstance(m, str) else m.numpy().decode() for m in measured)
            raise ValueError(f"the audio of transcript {text!r} {phrase} ({shown}{hint}")
        return audio
    message = tf.strings.join(
        ["the audio of transcript '", transcript, f"' {phrase} (", *measured, hint]
    )
    check = tf.debugging.Assert(ok, [message])
    with tf.control_dependencies([check]):
        return tf.identity(audio)


def _check_full_scale(wave, transcript):
    """`wave`, after checking that its float samples lie in [-1, 1] (NaN fails too)."""
    peak = tf.reduce_max(tf.abs(wave))
    hint = (
        "; floats are read with full scale at 1.0): int16 values held as floats? Scale them "
        "by 1/32768 or pass the int16 samples; else clip them to [-1, 1]."
    )
    ok = tf.reduce_all(tf.abs(wave) <= FULL_SCALE)
    measured = ["|x| up to ", tf.strings.as_string(peak, shortest=True)]
    return _checked_audio(wave, transcript, ok, _BEYOND_FULL_SCALE, measured, hint)


def _check_16_bits(audio, transcript):
    """`audio` (int64 samples), after checking that they lie in the 16-bit range.

    int64 is read as 16-bit PCM (TFDS's `Audio` feature gives it so): a wider value (32-bit
    PCM held as int64, say) would read as audio up to 65536 times full scale.
    """
    hint = (
        "; int64 is read as 16-bit PCM, as TFDS's Audio feature gives it): 32-bit PCM? Pass it "
        "as floats in [-1, 1] (x / 2**31); 16-bit samples cannot hold these values."
    )
    ok = tf.reduce_all((audio >= -32768) & (audio <= 32767))  # (an empty one passes)
    low, high = (tf.strings.as_string(f(audio)) for f in (tf.reduce_min, tf.reduce_max))
    measured = ["values from ", low, " to ", high]
    return _checked_audio(audio, transcript, ok, _BEYOND_16_BITS, measured, hint)


def make_speech_examples(vocabulary=VOCABULARY, lowercase=True, speakers=None):
    """A `tf.data` map from `(audio, text)` pairs to the model's `(x, labels)`.

    `audio` is mono PCM (int16 or uint8; int64 holding 16-bit samples, as TFDS's `Audio`
    feature gives them by default) or float in [-1, 1]; `x` is
    `{"waveform": float32, "length": int32}` and the labels are character ids (1 + the
    character's index in `vocabulary`), of the text lowercased if `lowercase` (a bool). A
    character outside the vocabulary, float audio beyond [-1, 1] (int16 values held as floats,
    say) or NaN, or int64 audio outside [-32768, 32767] (32-bit PCM held as int64, say), stops
    the pipeline with an error naming it and its transcript: a
    `ValueError` when the map is called eagerly, a `tf.errors.InvalidArgumentError` from a
    `tf.data` pipeline (which `SpeechRecognizer.fit` re-raises as the `ValueError`). With
    `speakers` (a list of names), the map takes `(audio, text, speaker)` and adds
    `x["speaker"]`: the speaker's index in `speakers`, or -1 for a speaker not in it (the ids a
    `speaker_adversary` learns from). The map's `vocabulary` and `lowercase` attributes say how
    it spells the labels: a model trained on them must write the same vocabulary.

    Example:
        >>> import tensorflow as tf
        >>> fn = make_speech_examples("ab ")
        >>> x, y = fn(tf.constant([0, 16384], tf.int16), tf.constant("Ab a"))
        >>> x["waveform"].numpy().tolist(), int(x["length"]), y.numpy().tolist()
        ([0.0, 0.5], 2, [1, 2, 3, 1])
        >>> fn = make_speech_examples("ab ", speakers=["ann", "bob"])
        >>> [int(fn(tf.constant([1], tf.int16), tf.constant("a"), tf.constant(s))[0]["speaker"])
        ...  for s in ("bob", "eve")]
        [1, -1]
    """
    check_vocabulary(vocabulary)
    check_bool("lowercase", lowercase)
    codes = tf.constant([ord(c) for c in vocabulary], tf.int32)
    table = tf.lookup.StaticHashTable(
        tf.lookup.KeyValueTensorInitializer(codes, tf.range(1, len(vocabulary) + 1)), -1
    )
    if speakers is not None:
        if isinstance(speakers, str) or not speakers or not all(
            isinstance(n, str) and n for n in speakers
        ) or len(set(speakers)) != len(speakers):  # fmt: skip
            raise ValueError(
                f"speakers must be a list of distinct speaker names, got {speakers!r}."
            )
        speaker_ids = tf.lookup.StaticHashTable(
            tf.lookup.KeyValueTensorInitializer(
                tf.constant(list(speakers)), tf.range(len(speakers), dtype=tf.int32)
            ),
            -1,
        )

    def fn(audio, text, speaker=None):
        if isinstance(audio, list | tuple):
            audio = np.asarray(audio)  # Python ints as int64 (16-bit PCM), as in NumPy
        audio = tf.convert_to_tensor(audio)
        if audio.shape.rank is not None and audio.shape.rank != 1:
            raise ValueError(
                f"audio must be mono, one sample per step (rank 1), got shape {audio.shape}: "
                "mix multi-channel audio to mono first (e.g. tf.reduce_mean(audio, axis=-1))."
            )
        text = transcript = tf.convert_to_tensor(text, tf.string)
        if audio.dtype == tf.int64:  # (int16 cannot leave its range; int32 is refused)
            audio = _check_16_bits(audio, transcript)
        wave = waveform_to_float(audio)
        if audio.dtype.is_floating:  # integer PCM is scaled into [-1, 1]
            wave = _check_full_scale(wave, transcript)
        if lowercase:
            text = tf.strings.lower(text, encoding="utf-8")
        chars = tf.strings.unicode_decode(text, "UTF-8")
        ids = table.lookup(chars)
        ids = _check_transcript(ids, chars, transcript, vocabulary, lowercase)
        x = {"waveform": wave, "length": tf.shape(wave)[0]}
        if speakers is not None:
            if speaker is None:
                raise ValueError(
                    "make_speech_examples(speakers=...) maps (audio, text, speaker) triples; "
                    "it got no speaker (load the dataset's speaker feature too)."
                )
            x["speaker"] = speaker_ids.lookup(speaker)
        return x, ids

    fn.vocabulary, fn.lowercase = vocabulary, lowercase  # how its labels are spelt
    return fn
