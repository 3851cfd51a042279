"""The input checks of `zoo.models.speech` (private helpers of `SpeechRecognizer`).

What `fit`, `evaluate`, `predict`, `transcribe` and `decode_logits` check before any work:
waveform dicts and datasets (shapes, dtypes, lengths within the padding, finite samples),
audio given as something other than samples (a path, a number, text), logits, beam widths
and lexicons; and the training examples `fit` scans (`check_examples`: labels that are
character ids, each with the output frames it needs). Each raises `TypeError`/`ValueError`
naming the argument, the value and what is allowed.
"""

import collections.abc
import numbers
import os

import keras
import numpy as np
import tensorflow as tf

from zoo.data.speech import EXAMPLE_CHECKS
from zoo.validation import (
    check_finite,
    check_positive_int,
    check_strings,
    naming_failed_checks,
)

# The widest beam `decode_logits` searches: the prefix beam search's tables grow with the
# square of the width (10**6 would ask for about 1 TB), and beams past a few dozen gain nothing.
MAX_BEAM_WIDTH = 1024


_INT_PCM = "scale integer PCM with zoo.data.audio.waveform_to_float"
_MAX_FLOAT = 4.0  # float samples beyond it are integer PCM held as floats, not a loud clip


def _check_samples(name, value, batch=False):
    """Refuses `value` as audio when it is no samples at all: None, a path, a number, text.

    With `batch`, `value` is the `waveforms` argument (one utterance or a list of them).
    """
    what = "a 1-D array of samples" + (" (one utterance) or a list of them" if batch else "")
    if value is None:
        raise TypeError(f"{name} must be {what}, got None.")
    if isinstance(value, bytes | bytearray) and not os.path.exists(os.fsdecode(value)):
        raise TypeError(
            f"{name} must be {what}, got {len(value)} bytes: for a WAV file's bytes, read them "
            "first (rate, samples = scipy.io.wavfile.read(io.BytesIO(data))); for raw 16-bit "
            "PCM, np.frombuffer(data, dtype='int16')."
        )
    if isinstance(value, str | bytes | os.PathLike):
        raise TypeError(
            f"{name} must be {what}, got the path {os.fsdecode(value)!r}: read the file "
            "first (rate, samples = scipy.io.wavfile.read(path), then transcribe(samples, "
            "sample_rate=rate)), or run `rnnzoo transcribe MODEL FILE...`."
        )
    if isinstance(value, numbers.Number) or (
        isinstance(value, np.ndarray | np.generic | tf.Tensor) and value.ndim == 0
    ):
        array = isinstance(value, np.ndarray | np.generic | tf.Tensor)
        number = np.asarray(value).item() if array else value
        raise TypeError(f"{name} must be {what}, got the single number {number!r}.")
    if isinstance(value, np.ndarray | tf.Tensor):
        dtype = value.dtype
        if not (
            dtype.is_integer or dtype.is_floating if tf.is_tensor(value) else dtype.kind in "iuf"
        ):
            raise TypeError(
                f"{name} must hold int16, int32, int64 (16-bit PCM), uint8 or float samples, "
                f"got dtype {dtype.name}."
            )


def _as_list(pair):
    return None if pair is None else list(pair)


def _width(x):
    """The padded samples of the waveforms in `x` (a dict), or `None` when it has none."""
    if isinstance(x, dict) and "waveform" in x:
        return np.shape(x["waveform"])[-1]
    return None


def _check_length_range(lengths, width, offset=0):
    """Raises `ValueError` for the first length outside `[0, width]` (the padded samples).

    Args:
        lengths: `(batch,)` real samples of each utterance.
        width: the padded waveforms' samples (`None`: unknown, only negative lengths fail).
        offset: the index of the first utterance, for the message.
    """
    lengths = np.asarray(lengths)
    outside = np.flatnonzero((lengths < 0) | (lengths > (np.inf if width is None else width)))
    if outside.size:
        i = outside[0]
        raise ValueError(
            f"example {offset + i} has length {lengths[i]}, outside [0, {width}] (the "
            "padded waveforms' samples): length is each utterance's real samples."
        )


def _one_length_per_waveform(waveforms, lengths):
    """`lengths`, after a check that it holds one entry per row of `waveforms`.

    In TensorFlow ops, so that an exported model's endpoints check it too (a single length
    was broadcast over the batch); called eagerly, a `ValueError`.
    """
    if tf.executing_eagerly():
        rows, given = np.shape(waveforms)[0], np.shape(lengths)[0] if np.ndim(lengths) else None
        if given != rows:
            raise ValueError(
                f"lengths must hold one length per waveform: {rows} waveforms, got lengths of "
                f"shape {np.shape(lengths)}."
            )
        return lengths
    tf.debugging.assert_equal(
        tf.shape(lengths)[0],
        tf.shape(waveforms)[0],
        message="length must hold one length per waveform (row of waveform)",
    )
    return lengths


def _check_decoding(beam_width, lexicon):
    """Checks `decode_logits`'s `beam_width` and `lexicon`; returns them (the lexicon a list)."""
    if beam_width is not None:
        beam_width = check_positive_int("beam_width", beam_width)
        if beam_width > MAX_BEAM_WIDTH:
            raise ValueError(
                f"beam_width must be at most MAX_BEAM_WIDTH = {MAX_BEAM_WIDTH} (hypotheses kept "
                f"per frame; 16 to 64 is usual), got {beam_width}."
            )
    if lexicon is None:
        return beam_width, None
    if isinstance(lexicon, str):
        raise TypeError(
            f"lexicon must be a list of words, got one string {lexicon!r}: pass "
            f"{lexicon.split()!r}."
        )
    if isinstance(lexicon, set | frozenset):
        lexicon = list(lexicon)
    if not isinstance(lexicon, list | tuple):
        raise TypeError(f"lexicon must be a list of words, got {_describe(lexicon)}: {lexicon!r}.")
    check_strings("lexicon", lexicon)
    if not lexicon:
        raise ValueError("lexicon must hold at least one word (or be None), got an empty list.")
    return beam_width, list(lexicon)


def _check_logits(logits, classes):
    """Refuses `logits` unless a list of 2-D numeric arrays of `classes` columns; returns it."""
    what = (
        f"a list of 2-D arrays (frames_i, {classes}), one per utterance: logits over the blank "
        f"and the vocabulary's {classes - 1} characters"
    )
    if isinstance(logits, np.ndarray | tf.Tensor):
        raise TypeError(
            f"logits must be {what}, got an array of shape {tuple(logits.shape)}: cut a padded "
            "batch to each utterance's frames, [lg[:n] for lg, n in zip(logits, "
            "model.output_lengths(lengths))]."
        )
    if not isinstance(logits, list | tuple):
        raise TypeError(f"logits must be {what}, got {_describe(logits)}: {logits!r}.")
    out = []
    for i, lg in enumerate(logits):
        if isinstance(lg, str | bytes) or lg is None:
            raise TypeError(f"logits must be {what}, got logits[{i}] = {lg!r}.")
        try:
            a = np.asarray(lg)
        except ValueError:  # ragged nested lists
            raise TypeError(f"logits must be {what}, got a ragged logits[{i}].") from None
        if a.dtype.kind not in "iuf":
            raise TypeError(f"logits must be {what}, got logits[{i}] of dtype {a.dtype}.")
        if a.ndim != 2:
            raise ValueError(f"logits must be {what}, got logits[{i}] of shape {a.shape}.")
        if a.shape[1] != classes:
            raise ValueError(
                f"logits must be {what}, got logits[{i}] of shape {a.shape} ({a.shape[1]} "
                "classes): the logits of a model of another vocabulary?"
            )
        if np.isnan(a).any():  # (greedy decoding would read NaN as a class, the beam refuse it)
            frame = int(np.argwhere(np.isnan(a))[0][0])
            raise ValueError(f"logits[{i}] holds NaN (frame {frame}): the model's output broke.")
        out.append(a)
    return out


def _check_batches(name, dataset):
    """Raises unless `dataset` is a batched `tf.data.Dataset` of `(x dict, labels)` pairs."""
    what = (
        "a batched tf.data.Dataset of (x, labels), x a dict {'waveform': (batch, samples), "
        "'length': (batch,)} and labels (batch, characters) ids, as the recipes batch them"
    )
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(
            f"{name} must be {what}; got {_describe(dataset)}: for arrays, "
            "tf.data.Dataset.from_tensor_slices((x, labels)).batch(32)."
        )
    spec = dataset.element_spec
    if not (
        isinstance(spec, tuple)
        and len(spec) in (2, 3)  # (a sample weight, as fit takes it, is left unread)
        and isinstance(spec[0], dict)
        and {"waveform", "length"} <= set(spec[0])
    ):
        raise TypeError(f"{name} must be {what}; its elements are {spec!r}.")
    waveform, labels = spec[0]["waveform"], spec[1]
    if waveform.shape.rank == 1:
        raise ValueError(
            f"{name} must be {what}; it is not batched (waveforms of shape "
            f"{waveform.shape}): call dataset.padded_batch(n)."
        )
    if labels.shape.rank == 1 or not labels.dtype.is_integer:
        raise ValueError(
            f"{name} must be {what}; its labels are {labels.dtype.name} of shape "
            f"{labels.shape}: transcripts as character ids (batch, characters), e.g. from "
            "make_speech_examples(vocabulary=model.vocabulary) or model.encode_texts(texts)."
        )
    if not waveform.dtype.is_floating:  # (cast unscaled, they gave other hypotheses)
        raise TypeError(
            f"{name}'s waveforms must hold float samples in [-1, 1], got {waveform.dtype.name}: "
            f"{_INT_PCM} (dataset.map)."
        )


_INPUTS = (
    "a dict {'waveform': (batch, samples) float32, 'length': (batch,) int}: the waveforms at "
    "the model's sample rate, zero padded, and each one's real samples (transcribe(waveforms) "
    "takes raw audio)"
)


def _describe(value):
    """`value`'s type, and its shape when it has one, for a message."""
    shape = getattr(value, "shape", None)
    return type(value).__name__ + ("" if shape is None else f" of shape {tuple(shape)}")


def _check_inputs(x, caller, min_samples=None):
    """Raises unless `x` is the model's input dict, or a dataset whose elements hold one.

    A dict's arrays are checked too: `waveform` 2-D float samples (not integer PCM, not integer
    PCM held as floats) at least `min_samples` wide, `length` 1-D ints, one per waveform, each
    in `[0, samples]`. A dataset's waveforms must be floats. Generators and
    `keras.utils.PyDataset`s pass unread.

    Args:
        x: the `x` given to `caller`.
        caller: `"fit"`, `"evaluate"`, `"predict"` or `"error_rates"`, for the message.
        min_samples: the front end's window: narrower waveforms have no frame.
    """
    if isinstance(x, tf.data.Dataset):
        spec = x.element_spec
        inputs = spec[0] if isinstance(spec, tuple) and spec else spec
        if not (isinstance(inputs, dict) and {"waveform", "length"} <= set(inputs)):
            raise TypeError(
                f"{caller}: the dataset's x must be {_INPUTS}; its elements are {spec!r}."
            )
        dtype = getattr(inputs["waveform"], "dtype", tf.float32)
        if not dtype.is_floating:  # (Keras would cast them unscaled: other features)
            raise TypeError(
                f"{caller}: the dataset's waveforms must hold float samples in [-1, 1], got "
                f"{dtype.name}: {_INT_PCM} (dataset.map)."
            )
        return
    if isinstance(x, keras.utils.PyDataset | collections.abc.Iterator):
        return
    if not isinstance(x, dict):
        raise TypeError(f"{caller}: x must be {_INPUTS}; got {_describe(x)}.")
    missing = [k for k in ("waveform", "length") if k not in x]
    if missing:
        raise TypeError(
            f"{caller}: x must be {_INPUTS}; got a dict without {' or '.join(map(repr, missing))}"
            f" (its keys: {sorted(map(str, x))!r})."
        )
    try:
        waveform, length = np.asarray(x["waveform"]), np.asarray(x["length"])
    except ValueError:  # a ragged nested list
        raise TypeError(f"{caller}: x must be {_INPUTS}; its arrays are ragged.") from None
    if waveform.ndim != 2 or length.ndim != 1:
        raise ValueError(
            f"{caller}: x must be {_INPUTS}; got x['waveform'] of shape {waveform.shape} and "
            f"x['length'] of shape {length.shape}."
        )
    if length.dtype.kind not in "iu":
        raise TypeError(
            f"{caller}: x['length'] must hold ints (each waveform's real samples), got dtype "
            f"{length.dtype}."
        )
    if len(waveform) != len(length):
        raise ValueError(
            f"{caller}: x holds {len(waveform)} waveforms but {len(length)} lengths: give one "
            "length per waveform."
        )
    _check_length_range(length, waveform.shape[1])
    if waveform.dtype.kind != "f":
        raise TypeError(
            f"{caller}: x['waveform'] must hold float samples in [-1, 1], got dtype "
            f"{waveform.dtype}: {_INT_PCM}(w)."
        )
    check_finite(f"{caller}: x['waveform']", waveform)  # beyond 1: gain may pass full scale
    peak = float(np.abs(waveform).max()) if waveform.size else 0.0
    if peak > _MAX_FLOAT:
        raise ValueError(
            f"{caller}: x['waveform'] holds float samples up to |x| = {peak:.4g}, far outside "
            f"[-1, 1] (integer PCM held as floats?): {_INT_PCM}, or divide by 32768."
        )
    if min_samples is not None and waveform.shape[1] < min_samples:
        raise ValueError(
            f"{caller}: x['waveform'] holds {waveform.shape[1]} samples per row, fewer than one "
            f"window of the front end ({int(np.ceil(min_samples))} samples): no frame to read. "
            "Pad the batch to at least that width."
        )


def _check_examples(model, x, y=None):
    """`SpeechRecognizer.check_examples`: the examples `fit` scans before training."""
    if isinstance(x, tf.data.Dataset):
        if x.cardinality() == tf.data.INFINITE_CARDINALITY:
            return
        index = 0
        with naming_failed_checks(only=EXAMPLE_CHECKS):  # make_speech_examples's
            for element in x.as_numpy_iterator():
                if not isinstance(element, tuple | list) or len(element) < 2:
                    raise ValueError(
                        "a dataset of examples must yield (x, y) or (x, y, sample_weight), got "
                        f"an element of type {type(element).__name__}."
                    )
                xb, yb = element[0], element[1]
                lengths, labels = np.atleast_1d(xb["length"]), np.asarray(yb)
                labels = labels[None] if labels.ndim == 1 else labels  # (one example)
                _check_lengths(model, lengths, labels, offset=index, width=_width(xb))
                _check_speakers(model, xb.get("speaker"), len(lengths), offset=index)
                wave = xb.get("waveform")
                # Finite only: gain augmentation may lift a loud clip past full scale.
                if wave is not None and not np.isfinite(wave).all():
                    last = index + len(lengths) - 1
                    raise ValueError(
                        f"the batch of examples {index}-{last} holds NaN or inf samples."
                    )
                index += len(lengths)
        return
    if x is None or y is None:
        return
    lengths = np.atleast_1d(np.asarray(x["length"]))
    _check_lengths(model, lengths, np.atleast_2d(np.asarray(y)), offset=0, width=_width(x))
    _check_speakers(model, x.get("speaker"), len(lengths), offset=0)


def _check_speakers(model, speakers, count, offset):
    """Raises unless `speakers` (`x["speaker"]`, or `None`) are ids the adversary can read.

    Only a model with a speaker adversary reads them: one int per utterance in
    `[0, num_speakers)`, or -1 for an unknown speaker.
    """
    n = getattr(model, "num_speakers", None)
    if speakers is None or not model.speaker_adversary or n is None:
        return
    ids = np.asarray(speakers)
    what = f"one int per utterance in [0, {n}) (num_speakers={n}), or -1 for unknown"
    if ids.dtype.kind not in "iuf":
        raise TypeError(f"x['speaker'] must hold {what}; got dtype {ids.dtype}.")
    if ids.size != count:  # (the adversary reads them flattened: (batch,) or (batch, 1))
        raise ValueError(
            f"x['speaker'] must hold {what}; got shape {ids.shape} for {count} utterances "
            f"(from example {offset})."
        )
    ids = ids.reshape(-1)
    if ids.dtype.kind == "f" and not np.all(ids == np.round(ids)):  # (it casts whole floats)
        i = int(np.flatnonzero(ids != np.round(ids))[0])
        raise ValueError(
            f"example {offset + i} has speaker id {ids[i]}: x['speaker'] must hold {what}."
        )
    bad = np.flatnonzero((ids < -1) | (ids >= n))
    if bad.size:
        raise ValueError(
            f"example {offset + bad[0]} has speaker id {ids[bad[0]]}: x['speaker'] must hold "
            f"{what}."
        )


def _check_lengths(model, lengths, labels, offset, width=None):
    """Raises `ValueError` for the first of these labels `model` cannot train on.

    Labels that are not integer ids (transcripts as strings), one row per utterance missing,
    a length outside `[0, width]`, an id outside the vocabulary, an empty transcript, or too
    few output frames for a label; `offset` is the index of the first example, for messages.
    """
    if labels.dtype.kind not in "biu":  # (transcripts as strings first: their count is moot)
        if labels.dtype.kind != "f" or np.any(labels != np.round(labels)):
            what = "strings" if labels.dtype.kind in "USO" else f"dtype {labels.dtype}"
            raise ValueError(
                f"labels must be integer character ids, got {what} (from example "
                f"{offset}): use model.encode_texts(texts)."
            )
        labels = labels.astype("int64")  # whole floats: the ids they hold
    if labels.ndim != 2:
        raise ValueError(
            f"labels must be (batch, characters) character ids, got shape {labels.shape} (from "
            f"example {offset}): use model.encode_texts(texts)."
        )
    if len(lengths) != len(labels):
        raise ValueError(
            f"x holds {len(lengths)} utterances but y holds {len(labels)} labels (from "
            f"example {offset}): give one label row per utterance."
        )
    _check_length_range(lengths, width, offset)
    size = len(model.vocabulary)
    bad = np.argwhere((labels < 0) | (labels > size))
    if bad.size:
        i, j = bad[0]
        raise ValueError(
            f"example {offset + i} has label id {labels[i, j]} at position {j}, outside "
            f"[0, {size}]: ids are 1 + a character's index in the vocabulary of {size} "
            "(0 pads); use model.encode_texts(texts)."
        )
    inner = np.argwhere((labels[:, :-1] == 0) & (labels[:, 1:] > 0))
    if inner.size:
        i, j = inner[0]
        raise ValueError(
            f"example {offset + i} has id 0 at position {j}, before character ids: 0 is CTC's "
            "blank and pads a label's end only; use model.encode_texts(texts)."
        )
    frames = model.output_lengths(lengths.astype("int64"))
    nonzero = labels > 0
    label_lengths = nonzero.sum(axis=1)
    repeats = ((labels[:, 1:] == labels[:, :-1]) & nonzero[:, 1:]).sum(axis=1)
    needed = label_lengths + repeats
    empty = np.flatnonzero(label_lengths == 0)
    if empty.size:
        raise ValueError(f"example {offset + empty[0]} has an empty transcript.")
    short = np.flatnonzero(frames < needed)
    if short.size:
        i = short[0]
        # The index of a shuffled, augmented example finds nothing: its transcript does.
        text, seconds = model.decode_ids(labels[i]), lengths[i] / model.sample_rate
        raise ValueError(
            f"example {offset + i} (transcript {text!r}, {lengths[i]} samples = "
            f"{seconds:.2f} s at {model.sample_rate} Hz) has {frames[i]} output frames but "
            f"its label of {label_lengths[i]} characters needs {needed[i]} (one per "
            f"character, plus a blank between each of its {repeats[i]} repeated pairs): "
            f"{needed[i] - frames[i]} frames short. Lower time_stride, or drop the example."
        )
