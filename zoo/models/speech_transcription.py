"""From text and audio to transcripts: `SpeechRecognizer`'s labels, transcription and scores.

`Transcription` is a mixin of `zoo.models.speech.SpeechRecognizer` (import the model from
there): the character ids of transcripts and back (`encode_texts`, `decode_ids`), raw audio
made ready for the network (`prepare_waveforms`), transcription (`transcribe`, with greedy or
beam-search decoding of the logits, `decode_logits`; `greedy_strings`, in TensorFlow ops, what
an exported model serves) and corpus-level error rates (`error_rates`, and the `ErrorRates`
callback that logs them every epoch).
"""

import numbers

import keras
import numpy as np
import tensorflow as tf

from zoo import decoding
from zoo.data.waveforms import (
    check_audio_rate,
    check_float_samples,
    is_digital_silence,
    resample,
    shorten_pauses,
    standardize_edges,
    waveform_to_float,
)
from zoo.models.speech_inputs import (
    _check_batches,
    _check_decoding,
    _check_length_range,
    _check_logits,
    _check_samples,
    _describe,
    _one_length_per_waveform,
)
from zoo.validation import check_bool, check_positive_int


class Transcription:
    """`SpeechRecognizer`'s methods from text and audio to transcripts (a mixin).

    They read the model's `vocabulary`, `sample_rate`, `front_end` and `output_lengths`, and
    call the model on `{"waveform", "length"}` batches.
    """

    def encode_texts(self, texts):
        """Character ids of `texts`, padded with 0: an int32 array `(N, longest)`.

        Example:
            >>> from zoo.models.speech import SpeechRecognizer
            >>> m = SpeechRecognizer(units=4, num_layers=1, conv_filters=2, seed=0)
            >>> m.encode_texts(["ab", "c"]).tolist()
            [[1, 2], [3, 0]]
        """
        if isinstance(texts, str):
            raise TypeError(
                f"texts must be a list of strings, got one string {texts!r}: pass [{texts!r}]."
            )
        if not isinstance(texts, list | tuple):
            raise TypeError(f"texts must be a list of strings, got {_describe(texts)}: {texts!r}.")
        index = {c: i + 1 for i, c in enumerate(self.vocabulary)}
        rows = []
        for i, text in enumerate(texts):
            if not isinstance(text, str) or not text:
                raise ValueError(f"texts[{i}] must be a non-empty string, got {text!r}.")
            unknown = sorted(set(text) - set(index))
            if unknown:
                lower = (
                    "" if set(text.lower()) - set(index) else f"; lowercase it: {text.lower()!r}"
                )
                raise ValueError(
                    f"texts[{i}] = {text!r} holds characters outside the vocabulary: {unknown!r} "
                    f"(the vocabulary is {self.vocabulary!r}){lower}."
                )
            rows.append([index[c] for c in text])
        out = np.zeros((len(rows), max(map(len, rows), default=1)), dtype="int32")
        for i, row in enumerate(rows):
            out[i, : len(row)] = row
        return out

    def decode_ids(self, ids):
        """The string of one utterance's character ids (blank and padding ids 0 are skipped).

        Args:
            ids: a 1-D sequence (list, array or tensor) of int ids in `[0, vocabulary size]`:
                0 the blank, `i + 1` the vocabulary's character `i`; one row of
                `encode_texts`. Whole floats (`2.0`) are read as their ints.

        Raises:
            TypeError: `ids` is not a 1-D sequence of int ids (`None`, a string, a 2-D batch:
                decode it row by row, fractional ids).
            ValueError: an id is outside `[0, vocabulary size]`.

        Example:
            >>> from zoo.models.speech import SpeechRecognizer
            >>> m = SpeechRecognizer(units=4, num_layers=1, conv_filters=2, seed=0)
            >>> m.decode_ids([1, 0, 2, 3])
            'abc'
        """
        what = "a 1-D sequence of int character ids (one utterance: a row of encode_texts)"
        if isinstance(ids, str | bytes):
            raise TypeError(f"ids must be {what}, got the string {ids!r}.")
        try:
            array = np.asarray(ids)
        except ValueError:  # ragged nested lists
            array = np.asarray(ids, dtype=object)
        if array.ndim != 1 or array.dtype.kind not in "iuf":
            hint = (
                ": decode a batch row by row, [model.decode_ids(row) for row in ids]"
                if array.ndim == 2 and array.dtype.kind in "iuf"
                else ""
            )
            raise TypeError(f"ids must be {what}, got {_describe(ids)}: {ids!r}{hint}.")
        if array.dtype.kind == "f":
            fractional = array[~(np.isfinite(array) & (array == np.round(array)))]
            if fractional.size:
                raise TypeError(f"ids must be {what}, got the id {fractional[0].item()!r}.")
        size = len(self.vocabulary)
        ids = array.astype("int64").tolist()
        bad = [i for i in ids if not 0 <= i <= size]
        if bad:
            raise ValueError(
                f"ids must be in [0, {size}] (0 the blank, then 1 + a character's index in the "
                f"vocabulary of {size}), got {bad[0]}."
            )
        return "".join(self.vocabulary[i - 1] for i in ids if i > 0)

    def prepare_waveforms(self, waveforms, sample_rate=None):
        """Checks, scales and resamples `waveforms` to float32 arrays at the model's rate.

        Args:
            waveforms: a 1-D array (one utterance) or a list of them: int16 (or int32, uint8)
                PCM, or floats in [-1, 1] (floats beyond it, such as int16 values held as
                floats, are refused).
            sample_rate: their sample rate (default: the model's); others are resampled.

        Returns:
            A list of 1-D float32 arrays.

        Raises:
            TypeError: no audio samples (`None`, a file path, a number, text).
            ValueError: a waveform is not mono, shorter than one frame of the front end, holds NaN
                or inf, or holds floats beyond [-1, 1].

        Example:
            >>> import numpy as np
            >>> from zoo.models.speech import SpeechRecognizer
            >>> m = SpeechRecognizer(units=4, num_layers=1, conv_filters=2, seed=0)
            >>> m.prepare_waveforms(np.array([0, 16384, -32768] * 100, "int16"))[0][:3].tolist()
            [0.0, 0.5, -1.0]
            >>> waves = [np.zeros(1600, "float32"), np.zeros(800, "float32")]
            >>> [len(w) for w in m.prepare_waveforms(waves, sample_rate=16000)]  # to 8 kHz
            [800, 400]
        """
        sample_rate = self.sample_rate if sample_rate is None else sample_rate
        sample_rate = check_audio_rate("sample_rate", sample_rate)
        _check_samples("waveforms", waveforms, batch=True)
        if isinstance(waveforms, np.ndarray | tf.Tensor) and waveforms.ndim == 1:
            waveforms = [waveforms]
        elif (
            isinstance(waveforms, list | tuple)
            and waveforms
            and all(isinstance(v, numbers.Real) for v in waveforms)
        ):
            waveforms = [np.asarray(waveforms)]  # one utterance as a list of samples
        if isinstance(waveforms, np.ndarray | tf.Tensor) and waveforms.ndim == 2:
            raise ValueError(
                f"waveforms must be a list of 1-D arrays (mono, any lengths), got a 2-D array of "
                f"shape {tuple(waveforms.shape)}: pass list(array) for a batch of utterances, or "
                "mix multi-channel audio to mono first."
            )
        out = []
        window = self.front_end.span * sample_rate / self.sample_rate
        for i, w in enumerate(waveforms):
            if tf.is_tensor(w) and w.dtype == tf.int32:
                try:
                    waveform_to_float(w)  # refuses it: 16 or 32 bits cannot be told apart
                except TypeError as e:
                    raise TypeError(f"waveforms[{i}]: {e}") from None
            _check_samples(f"waveforms[{i}]", w)
            a = np.asarray(w)
            if a.ndim != 1:
                raise ValueError(
                    f"waveforms[{i}] must be mono (1-D), got shape {a.shape}: mix multi-channel "
                    "audio to mono first (e.g. a.mean(axis=1).astype(a.dtype), keeping its "
                    "sample type)."
                )
            if a.size < window:
                raise ValueError(
                    f"waveforms[{i}] has {a.size} samples, shorter than one frame of the front end "
                    f"({int(np.ceil(window))} samples at {sample_rate} Hz)."
                )
            try:
                a = waveform_to_float(a)
            except (TypeError, ValueError) as e:
                raise type(e)(f"waveforms[{i}]: {e}") from None
            check_float_samples(f"waveforms[{i}]", a)  # integer PCM is within it once scaled
            if sample_rate != self.sample_rate:
                a = resample(a, sample_rate, self.sample_rate)
            out.append(a)
        return out

    def _infer_fn(self):
        """The inference function, traced once for any batch and length."""
        if getattr(self, "_infer", None) is None:
            self._infer = tf.function(
                lambda w, n: self({"waveform": w, "length": n}, training=False),
                input_signature=[
                    tf.TensorSpec((None, None), "float32"),
                    tf.TensorSpec((None,), "int32"),
                ],
            )
        return self._infer

    def greedy_strings(self, waveforms, lengths):
        """Greedy (best path) transcripts in TensorFlow ops: what the exported model serves.

        Args:
            waveforms: `(batch, samples)` float32 waveforms at the model's sample rate, zero
                padded.
            lengths: `(batch,)` int32, each utterance's real samples.

        Returns:
            A `(batch,)` string tensor. It equals `transcribe(..., trim_silence=False)` on
            float waveforms at the model's rate (`transcribe` also scales integer PCM,
            resamples, gives `""` for digital silence and, by default, standardises the
            silence around each recording).

        Raises:
            ValueError: (called eagerly) a length is negative or beyond the padded samples, or
                `lengths` is not one length per waveform (in the exported model, an
                `InvalidArgumentError`).

        Example:
            >>> import numpy as np
            >>> from zoo.models.speech import SpeechRecognizer
            >>> m = SpeechRecognizer(units=4, num_layers=1, conv_filters=2, seed=0)
            >>> waves = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 4000)).astype("float32")
            >>> texts = m.greedy_strings(waves, np.array([4000, 3000], "int32"))
            >>> texts.dtype, texts.shape
            (tf.string, TensorShape([2]))
            >>> same = m.transcribe([waves[0], waves[1, :3000]], trim_silence=False)
            >>> [t.decode() for t in texts.numpy()] == same
            True
        """
        lengths = _one_length_per_waveform(waveforms, lengths)
        if tf.executing_eagerly():  # concrete values (not the exported endpoint's trace)
            _check_length_range(np.asarray(lengths), np.shape(waveforms)[-1])
        logits = self({"waveform": waveforms, "length": lengths}, training=False)
        ids = tf.argmax(logits, axis=-1, output_type=tf.int32)
        frames = self.output_lengths(tf.cast(lengths, "int32"))
        previous = tf.pad(ids[:, :-1], [[0, 0], [1, 0]], constant_values=-1)
        keep = tf.sequence_mask(frames, tf.shape(ids)[1]) & (ids != previous) & (ids > 0)
        characters = tf.constant(list(self.vocabulary))
        kept = tf.ragged.boolean_mask(ids, keep) - 1
        return tf.strings.reduce_join(tf.gather(characters, kept), axis=1)

    def _logits(self, waveforms, batch_size):
        """Per-utterance logits of float waveforms, batched by similar lengths."""
        order = np.argsort([len(w) for w in waveforms])  # similar lengths share a batch
        results = [None] * len(waveforms)
        for start in range(0, len(order), batch_size):
            idx = order[start : start + batch_size]
            lengths = np.array([len(waveforms[i]) for i in idx], dtype="int32")
            batch = np.zeros((len(idx), lengths.max()), dtype="float32")
            for row, i in enumerate(idx):
                batch[row, : lengths[row]] = waveforms[i]
            logits = np.asarray(self._infer_fn()(batch, lengths))
            frames = self.output_lengths(lengths.astype("int64"))
            for row, i in enumerate(idx):
                results[i] = logits[row, : frames[row]]
        return results

    def transcribe(
        self, waveforms, sample_rate=None, beam_width=None, lexicon=None, batch_size=32,
        trim_silence=True,
    ):  # fmt: skip
        """Transcribes waveforms into strings.

        Args:
            waveforms: a 1-D array (one utterance) or a list of them, any lengths: int16 (or
                int32, uint8) PCM, or floats in [-1, 1] (checked: `prepare_waveforms`).
            sample_rate: their sample rate (default: the model's); others are resampled.
            beam_width: `None` for greedy decoding, else a CTC prefix beam search this wide
                (an int in `[1, MAX_BEAM_WIDTH]`, 1024).
            lexicon: a list of the words the transcripts may use (beam search restricted to
                them; a beam of 16 is used if `beam_width` is `None`).
            batch_size: utterances run at once.
            trim_silence: give each recording the short noise-filled pauses and edges the
                training utterances have (`zoo.data.audio.shorten_pauses`: pauses over 300 ms
                shortened, digital silence filled with the recording's noise;
                `standardize_edges`: leading and trailing quiet cut, 100 ms of noise added
                each side), so that recordings trimmed to the speech or with long silences
                read alike; `False` feeds them as they are.

        Returns:
            A list of strings, one per waveform: `""` for digital silence (no sample reaching
            half an int16 step), which a network trained on speech would fill with words.

        Example:
            >>> import numpy as np
            >>> from zoo.models.speech import ctc_speech
            >>> m = ctc_speech(units=8, num_layers=1, conv_filters=4, seed=0)
            >>> out = m.transcribe([np.zeros(4000, "int16"), np.zeros(9000, "int16")])
            >>> len(out), type(out[0]).__name__
            (2, 'str')
        """
        check_positive_int("batch_size", batch_size)
        check_bool("trim_silence", trim_silence)
        _check_decoding(beam_width, lexicon)  # before the network runs
        waveforms = self.prepare_waveforms(waveforms, sample_rate)
        silent = [is_digital_silence(w) for w in waveforms]
        heard = [w for w, quiet in zip(waveforms, silent, strict=True) if not quiet]
        if trim_silence:
            heard = [
                shorten_pauses(standardize_edges(w, self.sample_rate), self.sample_rate)
                for w in heard
            ]
        texts = iter(self.decode_logits(self._logits(heard, batch_size), beam_width, lexicon))
        return ["" if quiet else next(texts) for quiet in silent]

    def decode_logits(self, logits, beam_width=None, lexicon=None):
        """Strings from per-utterance logits `[(frames_i, vocabulary + 1), ...]`.

        Greedy (best path) when `beam_width` and `lexicon` are `None`; else a CTC prefix beam
        search (`zoo.decoding.ctc_beam_search`), restricted to the words of `lexicon` if given.

        Args:
            logits: a list of 2-D arrays (or tensors), one per utterance, each
                `(frames_i, vocabulary + 1)` and cut to the utterance's real frames
                (`output_lengths`); class 0 is the blank. A padded 3-D batch is refused:
                `[lg[:n] for lg, n in zip(logits, model.output_lengths(lengths))]` cuts it.
            beam_width: `None` for greedy decoding, else the beam's width, an int in
                `[1, MAX_BEAM_WIDTH]` (1024; the search holds `beam_width` hypotheses per
                frame).
            lexicon: `None`, or a list of the words the transcripts may use (a beam of 16 if
                `beam_width` is `None`).

        Returns:
            A list of strings, one per utterance.

        Raises:
            TypeError: `logits` is not a list of 2-D numeric arrays, `beam_width` not an int,
                `lexicon` not a list of words.
            ValueError: an array's classes are not the vocabulary's plus the blank,
                `beam_width` is outside `[1, MAX_BEAM_WIDTH]`, `lexicon` is empty.

        Example:
            >>> import numpy as np
            >>> from zoo.models.speech import SpeechRecognizer
            >>> m = SpeechRecognizer(vocabulary="ab", units=4, num_layers=1, conv_filters=2)
            >>> logits = np.log(np.eye(3)[[1, 1, 0, 1, 2]] + 1e-3)  # a a blank a b
            >>> m.decode_logits([logits, logits[:2]])
            ['aab', 'a']
            >>> m.decode_logits([logits], beam_width=4)
            ['aab']
        """
        beam_width, lexicon = _check_decoding(beam_width, lexicon)
        logits = _check_logits(logits, len(self.vocabulary) + 1)
        if not logits:
            return []
        if beam_width is None and lexicon is None:
            lengths = np.array([len(lg) for lg in logits])
            ids = decoding.ctc_greedy_decode(_stack(logits), lengths, blank=0)
            return [self.decode_ids(row) for row in ids]
        # No pruning under a lexicon: the letters a lexicon word needs are often the unlikely
        # ones ("shree" -> "three" needs a 't' the network gave 1e-7), and the trie keeps the
        # candidates few anyway.
        prune = 1e-3 if lexicon is None else 0.0
        return [
            decoding.ctc_beam_search(
                lg[None], np.array([len(lg)]), self.vocabulary, beam_width=beam_width or 16,
                blank=0, lexicon=lexicon, prune=prune,
            )[0]
            for lg in logits
        ]  # fmt: skip

    def error_rates(self, dataset, beam_width=None, lexicon=None):
        """Corpus-level character and word error rates on a dataset of `(x, labels)` batches.

        Args:
            dataset: a batched `tf.data.Dataset` of `(x, labels)` as the model trains on
                them (the recipes' batches): `x` a dict with `"waveform"` `(batch, samples)`
                and `"length"` `(batch,)`, `labels` `(batch, characters)` ids, 0-padded.
            beam_width: see `decode_logits`.
            lexicon: see `decode_logits`.

        Returns:
            `{"cer": float, "wer": float}` (edit distances from jiwer, `zoo.metrics`).

        Raises:
            TypeError: `dataset` is not a `tf.data.Dataset` of `(x, labels)` pairs.
            ValueError: it is not batched.

        Example:
            >>> import numpy as np, tensorflow as tf
            >>> from zoo.models.speech import SpeechRecognizer
            >>> m = SpeechRecognizer(units=4, num_layers=1, conv_filters=2, seed=0)
            >>> x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array([4000, 3000])}
            >>> val = tf.data.Dataset.from_tensors((x, m.encode_texts(["ab", "a"])))
            >>> rates = m.error_rates(val)  # an untrained model: high rates
            >>> sorted(rates), all(isinstance(r, float) for r in rates.values())
            (['cer', 'wer'], True)
        """
        from zoo.metrics import character_error_rate, word_error_rate

        _check_batches("dataset", dataset)
        beam_width, lexicon = _check_decoding(beam_width, lexicon)

        refs, hyps = [], []
        for x, y, *_ in dataset:
            lengths = np.asarray(x["length"], dtype="int32")
            if not lengths.size:  # an empty batch (a filter's leftover): nothing to score
                continue
            logits = np.asarray(self._infer_fn()(tf.cast(x["waveform"], "float32"), lengths))
            frames = self.output_lengths(lengths.astype("int64"))
            hyps += self.decode_logits(
                [lg[:n] for lg, n in zip(logits, frames, strict=True)], beam_width, lexicon
            )
            refs += [self.decode_ids(row) for row in np.asarray(y)]
        return {
            "cer": character_error_rate(refs, hyps),
            "wer": word_error_rate(refs, hyps),
        }


class ErrorRates(keras.callbacks.Callback):
    """Adds corpus-level `val_cer` and `val_wer` (greedy decoding) to the logs of every epoch.

    Put it before the callbacks that read the logs (checkpoints, CSV logs, early stopping).

    Args:
        validation_data: a dataset of `(x, labels)` batches.
        prefix: the prefix of the log keys.

    Example:
        >>> import numpy as np, tensorflow as tf
        >>> from zoo.models.speech import ctc_speech
        >>> m = ctc_speech(units=4, num_layers=1, conv_filters=2, seed=0)
        >>> x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array([4000, 3000])}
        >>> val = tf.data.Dataset.from_tensors((x, m.encode_texts(["ab", "a"])))
        >>> callback = ErrorRates(val)  # as in m.fit(train, callbacks=[callback, ...])
        >>> callback.set_model(m)
        >>> logs = {"loss": 1.0}
        >>> callback.on_epoch_end(0, logs)
        >>> sorted(logs)
        ['loss', 'val_cer', 'val_wer']
    """

    def __init__(self, validation_data, prefix="val_"):
        super().__init__()
        self.validation_data, self.prefix = validation_data, prefix
        self.reports = (f"{prefix}cer", f"{prefix}wer")  # what it adds to the logs

    def on_epoch_end(self, epoch, logs=None):
        """Decodes the validation data and writes the rates into `logs`."""
        if logs is not None:
            for name, value in self.model.error_rates(self.validation_data).items():
                logs[self.prefix + name] = value


def _stack(arrays):
    """Pads `(T_i, V)` arrays into one `(N, max T, V)` array."""
    out = np.zeros((len(arrays), max(len(a) for a in arrays), arrays[0].shape[-1]), "float32")
    for i, a in enumerate(arrays):
        out[i, : len(a)] = a
    return out
