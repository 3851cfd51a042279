"""`ctc_speech`: a CTC speech recogniser that owns its whole pipeline, from waveform to text.

`SpeechRecognizer` takes raw mono waveforms with their real lengths (`{"waveform": (batch,
samples) float, "length": (batch,) int}`), so that zero padding is never mistaken for silence:

    waveform ─ LogMel (25 ms / 10 ms, normalised over real frames) ─ SpecAugment (training)
             ─ 2 × Conv2D (time stride `time_stride`) ─ Dense projection
             ─ [per-utterance instance norm, `instance_norm=True`]
             ─ num_layers × Bidirectional GRU/LSTM ─ Dense → logits over [blank] + vocabulary
                               └─ [gradient reversal ─ speaker classifier, training only,
                                   `speaker_adversary > 0`]

or, with `frontend="speech_embedding"`, a pretrained front end instead of the log-mels and
convolutions (`zoo.layers.SpeechEmbedding`: Google's speech embedding, frozen, trained on about
200 million clips of many speakers, so that a recogniser trained on a few voices hears new
ones; one 96-dimensional embedding every `time_stride` × 10 ms):

    waveform ─ SpeechEmbedding (frozen) ─ LayerNormalization ─ SpecAugment (training)
             ─ Dense projection ─ [per-utterance instance norm, `instance_norm=True`]
             ─ num_layers × Bidirectional GRU/LSTM ─ Dense → logits over [blank] + vocabulary
                               └─ [gradient reversal ─ speaker classifier, training only,
                                   `speaker_adversary > 0`]

The CTC loss (`zoo.losses.ctc_loss` on logits: `keras.ops.ctc_loss`'s value, faster on a CPU)
uses every utterance's own frame count, computed from its real length exactly as the front end
frames it (`output_lengths`), and its own label length, so any batch size and any padding train
alike. One `.keras` file transcribes audio:
`keras.models.load_model(path, safe_mode=True).transcribe([wave], sample_rate=8000)`.

Labels are character ids: 0 is the CTC blank (and the labels' padding), character `i` of the
vocabulary is id `i + 1`.
"""

import inspect
import threading

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from zoo import activations
from zoo.data.audio import (
    check_mel_bands,
    frame_mask,
    frame_settings,
    normalize_frames,
    strided_frames,
)
from zoo.data.speech import (  # make_speech_examples: importable here as before
    VOCABULARY,
    check_vocabulary,
    make_speech_examples,  # noqa: F401
)
from zoo.layers.audio import LogMel, SpecAugment, check_normalize, check_preemphasis
from zoo.layers.speech_embedding import SAMPLE_RATES, STRIDES, SpeechEmbedding
from zoo.losses import ctc_loss, global_mean
from zoo.models.base import _check_cudnn_path, check_uniform_stack, compile_model, seeded
from zoo.models.recurrent_model import (
    check_validation_data,
    check_weight_values,
    checked_weights,
)
from zoo.models.speech_inputs import (  # MAX_BEAM_WIDTH: importable here as before
    _INPUTS,
    MAX_BEAM_WIDTH,  # noqa: F401
    _as_list,
    _check_examples,
    _check_inputs,
    _describe,
    _one_length_per_waveform,
)
from zoo.models.speech_transcription import (  # ErrorRates: importable here as before
    ErrorRates,  # noqa: F401
    Transcription,
)
from zoo.validation import (
    check_bool,
    check_choice,
    check_fraction,
    check_nonnegative_float,
    check_positive_float,
    check_positive_int,
    check_range,
    check_seed,
    is_int,
    naming_arguments,
)

CELLS = {"gru": keras.layers.GRU, "lstm": keras.layers.LSTM}
MERGE_MODES = ("concat", "sum", "mul", "ave")
# "log_mel": learnt from scratch; "speech_embedding": Google's pretrained, frozen embedding.
FRONTENDS = ("log_mel", "speech_embedding")


def _check_adversary(speaker_adversary, num_speakers, adversary_layer, num_layers):
    """Checks the speaker adversary's arguments; returns their config items."""
    speaker_adversary = check_nonnegative_float("speaker_adversary", speaker_adversary)
    # Checked even while the adversary is off: a recipe gives them so that `--set
    # speaker_adversary=1.0` alone turns it on.
    if (speaker_adversary or num_speakers is not None) and (
        not is_int(num_speakers) or num_speakers < 2
    ):
        raise ValueError(
            "num_speakers must be an int >= 2 (the training speakers the adversary tells "
            f"apart) when speaker_adversary > 0, or None; got {num_speakers!r}."
        )
    if not is_int(adversary_layer) or not 0 <= adversary_layer < num_layers:
        raise ValueError(
            f"adversary_layer must be an int in [0, num_layers={num_layers}) (the recurrent "
            f"layer whose outputs hide the speaker), got {adversary_layer!r}."
        )
    return (
        ("speaker_adversary", speaker_adversary),
        ("num_speakers", None if num_speakers is None else int(num_speakers)),
        ("adversary_layer", int(adversary_layer)),
    )


# Arguments of the log-mel front end and its convolutions, which the pretrained one has not.
LOG_MEL_ONLY = (
    "num_mels", "frame_ms", "hop_ms", "conv_filters", "fmin", "fmax", "vtlp", "normalize",
    "preemphasis", "num_ceps",
)  # fmt: skip


def _check_frontend(frontend, sample_rate, time_stride, given, defaults):
    """Checks `frontend`, and refuses the log-mel arguments `given` that `frontend` ignores."""
    check_choice("frontend", frontend, FRONTENDS)
    if frontend == "log_mel":
        return frontend
    check_choice("sample_rate", sample_rate, SAMPLE_RATES)
    check_choice("time_stride", time_stride, STRIDES)
    moot = [f"{k}={given[k]!r}" for k in LOG_MEL_ONLY if given[k] != defaults[k]]
    if moot:
        raise ValueError(
            f"{', '.join(moot)} cannot be set with frontend={frontend!r}: the speech "
            "embedding's front end is fixed (32 mel bands, 25 ms windows, 10 ms hop, whatever "
            "these arguments say); leave them out."
        )
    return frontend


@keras.saving.register_keras_serializable(package="zoo")
class SpeechRecognizer(Transcription, keras.Model):
    """A waveform-to-text CTC model (see `zoo.models.speech`); build it with `ctc_speech`.

    Example:
        >>> import numpy as np
        >>> m = SpeechRecognizer(units=8, num_layers=1, conv_filters=4, seed=0)
        >>> m.output_lengths(np.array([8000, 4000])).tolist()  # 97 and 47 frames, stride 2
        [49, 24]
    """

    def __init__(
        self,
        vocabulary=VOCABULARY,
        sample_rate=8000,
        num_mels=40,
        frame_ms=25.0,
        hop_ms=10.0,
        time_stride=2,
        conv_filters=32,
        cell="gru",
        units=128,
        num_layers=3,
        merge_mode="concat",
        dropout=0.1,
        activation="tanh",
        spec_augment=True,
        fmin=20.0,
        fmax=None,
        vtlp=None,
        normalize="band",
        preemphasis=0.0,
        num_ceps=None,
        instance_norm=False,
        speaker_adversary=0.0,
        num_speakers=None,
        adversary_layer=0,
        frontend="log_mel",
        seed=None,
        name="speech_recognizer",
        **kwargs,
    ):
        super().__init__(name=name, **kwargs)
        self.vocabulary = check_vocabulary(vocabulary)
        check_choice("cell", cell, tuple(CELLS))
        check_uniform_stack(cell, check_positive_int("units", units), num_layers, directions=2)
        check_choice("merge_mode", merge_mode, MERGE_MODES)
        self._config_items = (
            ("vocabulary", self.vocabulary),
            ("sample_rate", check_positive_int("sample_rate", sample_rate)),
            ("num_mels", check_positive_int("num_mels", num_mels)),
            ("frame_ms", check_positive_float("frame_ms", frame_ms)),
            ("hop_ms", check_positive_float("hop_ms", hop_ms)),
            ("time_stride", check_positive_int("time_stride", time_stride)),
            ("conv_filters", check_positive_int("conv_filters", conv_filters)),
            ("cell", cell),
            ("units", check_positive_int("units", units)),
            ("num_layers", check_positive_int("num_layers", num_layers)),
            ("merge_mode", merge_mode),
            ("dropout", check_fraction("dropout", dropout)),
            ("activation", check_choice("activation", activation, activations.ACTIVATIONS)),
            ("spec_augment", check_bool("spec_augment", spec_augment)),
            ("fmin", fmin),
            ("fmax", fmax),
            ("vtlp", _as_list(check_range("vtlp", vtlp, positive=True, example=(0.9, 1.1)))),
            ("normalize", check_normalize(normalize)),
            ("preemphasis", check_preemphasis(preemphasis)),
            ("num_ceps", num_ceps),
            ("instance_norm", check_bool("instance_norm", instance_norm)),
            *_check_adversary(speaker_adversary, num_speakers, adversary_layer, num_layers),
            ("frontend", _check_frontend(frontend, sample_rate, time_stride, locals(), _DEFAULTS)),
            ("seed", check_seed(seed)),
        )
        self.sample_rate, self.time_stride = sample_rate, time_stride
        self.instance_norm = instance_norm
        config = dict(self._config_items)
        self.speaker_adversary = config["speaker_adversary"]
        self.num_speakers = config["num_speakers"]
        self._fitting = False  # inside `fit`, whose validation calls `evaluate` every epoch
        self.adversary_layer = config["adversary_layer"]
        _check_cudnn_path(cell, activation, "sigmoid", 0.0)
        self.pretrained = frontend == "speech_embedding"
        # float32 whatever the dtype policy: the STFT and the log need it (mixed precision too).
        if self.pretrained:  # Google's frozen speech embedding, one frame every time_stride
            self.front_end = SpeechEmbedding(
                sample_rate, stride=time_stride, name="speech_embedding", dtype="float32"
            )
        else:
            self.front_end = LogMel(
                sample_rate, num_mels, frame_ms, hop_ms, normalize=normalize, fmin=fmin,
                fmax=fmax, vtlp=vtlp, preemphasis=preemphasis, num_ceps=num_ceps,
                seed=seeded(seed, 2), name="log_mel", dtype="float32",
            )  # fmt: skip
        self.spec_augment = SpecAugment(
            # up to a fifth of the bands (or coefficients, or embedding dimensions) per mask
            freq_width=max(1, round(self.front_end.num_features / 5)),
            seed=seeded(seed, 1), name="spec_augment", dtype="float32",
        )  # fmt: skip
        self.use_spec_augment = spec_augment
        if not spec_augment:  # never called: built here, so the model holds no unbuilt layer
            self.spec_augment.build(None)
        self.convs = [
            keras.layers.Conv2D(
                conv_filters, 3, strides=(time_stride if i == 0 else 1, 2), activation="relu",
                kernel_initializer=keras.initializers.HeUniform(seed=seeded(seed, 10 + i)),
                name=f"conv_{i}",
            )
            for i in range(0 if self.pretrained else 2)
        ]  # fmt: skip
        # The embeddings' dimensions sit at means up to ±50, spreads of 5-15: scaled per frame.
        self.embedding_norm = (
            keras.layers.LayerNormalization(name="embedding_norm") if self.pretrained else None
        )
        self.projection = keras.layers.Dense(
            units, name="projection",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(seed, 20)),
        )  # fmt: skip
        self.rnns = []
        for i in range(num_layers):
            s = seeded(seed, 100 + 10 * i)

            def make(k, s=s, i=i):
                return CELLS[cell](
                    units, return_sequences=True, dropout=dropout, seed=seeded(s, 9),
                    activation=activations.get(activation),
                    kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(s, k)),
                    recurrent_initializer=keras.initializers.Orthogonal(seed=seeded(s, k + 1)),
                    name=f"{cell}_{i}_{'backward' if k else 'forward'}", go_backwards=bool(k),
                )  # fmt: skip

            self.rnns.append(
                keras.layers.Bidirectional(
                    make(0), backward_layer=make(2), merge_mode=merge_mode, name=f"bi{cell}_{i}"
                )
            )
        self.logits = keras.layers.Dense(
            len(vocabulary) + 1, dtype="float32", name="logits",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(seed, 30)),
        )  # fmt: skip
        self.adversary = []
        # The adversary's loss of the last training call, per thread: Keras's add_loss list is
        # the model's, which MirroredStrategy's replicas (one thread each) share, so one
        # replica's call cleared or read another's (2 replicas failed: "Values to regroup had
        # different lengths", one replica's step without the adversary's gradients).
        self._adversary_loss = threading.local()
        if self.speaker_adversary:  # a speaker classifier on one recurrent layer's frames
            self.adversary = [
                keras.layers.Dense(
                    units, activation="relu", name="adversary_hidden",
                    kernel_initializer=keras.initializers.HeUniform(seed=seeded(seed, 40)),
                ),
                keras.layers.Dense(
                    config["num_speakers"], dtype="float32", name="adversary_logits",
                    kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(seed, 41)),
                ),
            ]  # fmt: skip
            width = units * 2 if merge_mode == "concat" else units
            self.adversary[0].build((None, None, width))
            self.adversary[1].build((None, None, units))
        # Create every weight now, so that a loaded model has them before its weights are read.
        n = self.front_end.span * 4
        self({"waveform": np.zeros((1, n), "float32"), "length": np.array([n])})

    # ---- shapes and lengths -------------------------------------------------------------------

    @property
    def output_shape(self):
        """`(batch, output frames, vocabulary + 1)`: logits, class 0 the CTC blank."""
        return (None, None, len(self.vocabulary) + 1)

    def output_lengths(self, lengths):
        """Output frames (after subsampling) of utterances of `lengths` real samples.

        The front end cuts `1 + (n - fft_length) // hop` frames (none past the real samples), and
        the first convolution's time stride `s` keeps `ceil(frames / s)` of them.

        Example:
            >>> import numpy as np
            >>> m = SpeechRecognizer(units=4, num_layers=1, conv_filters=2, seed=0)
            >>> m.output_lengths(np.array([8000, 4000, 200])).tolist()  # 200: under one window
            [49, 24, 0]
        """
        frames = self.front_end.num_frames(lengths)
        if self.pretrained:  # the embedding's own stride
            return frames
        return strided_frames(frames, self.time_stride)

    def _mask(self, x, lengths):
        keep = ops.arange(ops.shape(x)[1])[None, :] < lengths[:, None]
        return keep, x * ops.cast(keep, x.dtype)[:, :, None, None]

    def call(self, inputs, training=False):
        """Logits `(batch, output frames, vocabulary + 1)` of `{"waveform", "length"}`."""
        if not (isinstance(inputs, dict) and {"waveform", "length"} <= set(inputs)):
            raise TypeError(f"inputs must be {_INPUTS}; got {_describe(inputs)}.")
        self._adversary_loss.value = None
        waveform, length = inputs["waveform"], ops.cast(inputs["length"], "int32")
        # Within [0, samples]: what `fit` and `predict` check, a served model cannot (a length
        # past the padding failed in the pretrained front end's ConcatOp).
        length = ops.minimum(ops.maximum(length, 0), ops.shape(waveform)[1])
        features = self.front_end([waveform, length], training=training)
        # At least one (masked) frame: a recurrent layer over no time steps fails in a graph
        # (a served batch of empty utterances, or of rows narrower than one window).
        missing = ops.maximum(1 - ops.shape(features)[1], 0)
        features = ops.pad(features, [[0, 0], [0, missing], [0, 0]])
        frames = self.front_end.num_frames(length)
        out_lengths = self.output_lengths(length)
        if self.pretrained:
            keep = frame_mask(out_lengths, ops.shape(features)[1])
            # scaled per frame, zeros past each utterance
            features = self.embedding_norm(features)  # (in the compute dtype: bfloat16 too)
            features = features * ops.cast(keep, features.dtype)[:, :, None]
        if self.use_spec_augment:
            features = self.spec_augment([features, frames], training=training)
        if self.pretrained:
            x = features
        else:
            x = features[..., None]
            # Explicit one-frame padding, so a frame's neighbourhood never depends on the
            # batch's padded length ("same" padding of a strided convolution would shift).
            x = self.convs[0](ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]))
            keep, x = self._mask(x, out_lengths)
            x = self.convs[1](ops.pad(x, [[0, 0], [1, 1], [1, 1], [0, 0]]))
            keep, x = self._mask(x, out_lengths)
            shape = ops.shape(x)
            x = ops.reshape(x, (shape[0], shape[1], x.shape[2] * x.shape[3]))
        x = self.projection(x)
        if self.instance_norm:  # each channel over the utterance's real frames
            x = normalize_frames(x, out_lengths, epsilon=1e-3)
        for i, rnn in enumerate(self.rnns):
            x = rnn(x, mask=keep, training=training)
            if i == self.adversary_layer and self.adversary and training and "speaker" in inputs:
                self._adversary_loss.value = self.adversary_loss(x, inputs["speaker"], keep)
        return self.logits(x)

    @property
    def losses(self):
        """Keras's losses, and the speaker adversary's of this thread's last training call."""
        adversary = getattr(self._adversary_loss, "value", None)
        return super().losses + ([] if adversary is None else [adversary])

    def adversary_loss(self, frames, speakers, keep):
        """Speaker cross-entropy of the adversary on `frames`, through a gradient reversal.

        The adversary (two Dense layers) learns to name each frame's speaker; the gradient that
        reaches `frames`, and so the encoder below them, is that of the cross-entropy times
        `-speaker_adversary`: the encoder learns to hide the speaker (domain-adversarial
        training, Ganin & Lempitsky 2015). Speakers < 0 (unknown) and padded frames do not count.

        Args:
            frames: `(batch, frames, width)` outputs of recurrent layer `adversary_layer`.
            speakers: `(batch,)` int speaker ids in `[0, num_speakers)`, or -1.
            keep: `(batch, frames)` bool, the real frames.

        Returns:
            The mean cross-entropy over known speakers' real frames (0 when there are none);
            over several replicas in sync, the mean over the whole batch's such frames, as
            this replica's share of it (`zoo.losses.global_mean`), as on one device.

        Example:
            >>> import numpy as np
            >>> m = SpeechRecognizer(units=4, num_layers=1, conv_filters=2, seed=0,
            ...                      speaker_adversary=1.0, num_speakers=2)
            >>> frames = np.zeros((2, 3, 8), "float32")  # (batch, frames, 2 directions × 4)
            >>> keep = np.array([[True, True, True], [True, True, False]])
            >>> round(float(m.adversary_loss(frames, np.array([0, -1]), keep)), 4)  # ln 2
            0.6931
            >>> float(m.adversary_loss(frames, np.array([-1, -1]), keep))  # no known speaker
            0.0
        """
        lam = self.speaker_adversary
        # The value of `frames`, with the gradient -lam (a gradient reversal layer in keras.ops).
        reversed_ = ops.stop_gradient(frames) * (1.0 + lam) - frames * lam
        logits = self.adversary[1](self.adversary[0](reversed_))
        speakers = ops.cast(ops.reshape(speakers, (-1,)), "int32")
        labels = ops.broadcast_to(ops.maximum(speakers, 0)[:, None], ops.shape(keep))
        ce = keras.losses.sparse_categorical_crossentropy(labels, logits, from_logits=True)
        weight = ops.cast(ops.logical_and(keep, (speakers >= 0)[:, None]), ce.dtype)
        return global_mean(ops.sum(ce * weight), ops.sum(weight))

    # ---- training -----------------------------------------------------------------------------

    def compute_loss(self, x=None, y=None, y_pred=None, sample_weight=None, training=True):
        """Mean CTC loss with each utterance's own frame and label lengths (blank = id 0).

        An utterance with fewer output frames than its label needs (one per character plus a
        blank between repeated ones) has no alignment and an infinite loss. `fit` refuses such
        examples before training, but augmentation can still shorten one (speed perturbation
        of a fast speaker's string): its loss then counts as 0 and it leaves the mean, as
        PyTorch's `CTCLoss(zero_infinity=True)` does, instead of making the epoch's loss
        infinite and `TerminateOnNaN` end the run.
        """
        labels = ops.cast(y, "int32")
        frame_lengths = ops.cast(self.output_lengths(ops.cast(x["length"], "int32")), "int32")
        real = labels != 0
        repeats = ops.logical_and(labels[:, 1:] == labels[:, :-1], real[:, 1:])
        needed = ops.sum(ops.cast(real, "int32"), axis=1) + ops.sum(ops.cast(repeats, "int32"), 1)
        aligned = frame_lengths >= needed
        # TensorFlow's kernel raises for a label longer than the frames (and gives inf when only
        # the repeats make it too long): an unaligned utterance is scored on its first
        # character alone, then that finite loss is weighed 0.
        first = ops.cast(ops.arange(ops.shape(labels)[1]) == 0, "int32")[None, :]
        labels = ops.where(aligned[:, None], labels, labels * first)
        losses = ctc_loss(labels, y_pred, ops.maximum(frame_lengths, 1))
        w = ops.cast(aligned, losses.dtype)
        if sample_weight is not None:
            w = w * ops.cast(ops.reshape(sample_weight, (-1,)), losses.dtype)
        # The mean over every replica's aligned utterances (one device's, however they split)
        loss = global_mean(ops.sum(losses * w), ops.sum(w), 1e-12)
        if training and self.losses:  # (the adversary's: this replica's share, global_mean)
            loss = loss + ops.sum(self.losses)
        return loss

    def fit(self, x=None, y=None, *args, check=True, **kwargs):
        """`keras.Model.fit`, after checking that every utterance has frames for its label.

        Args:
            check: scan the training data and `validation_data` first (a finite
                `tf.data.Dataset` is iterated once) and raise a `ValueError` naming the first
                utterance whose output frames cannot hold its label, instead of training to an
                infinite loss (or validating on a loss that leaves it out), the first batch
                holding NaN or inf samples (a finite loss that means nothing), a speaker id the
                adversary cannot read, or the first example `make_speech_examples` refused (a
                transcript with characters outside the vocabulary, float audio beyond
                [-1, 1]). A bool.
        """
        check_bool("check", check)
        _refuse_class_weight(kwargs.get("class_weight"))
        _check_inputs(x, "fit", self.front_end.span)
        if check:
            self.check_examples(x, y)
            val = kwargs.get("validation_data")
            if isinstance(val, tuple | list) and len(val) in (2, 3):
                with naming_arguments({"x": "validation_data[0]"}, count=1):
                    _check_inputs(val[0], "fit", self.front_end.span)
                _naming("validation_data", self.check_examples, val[0], val[1])
            elif isinstance(val, tf.data.Dataset):
                with naming_arguments({"x": "validation_data"}, count=1):
                    _check_inputs(val, "fit", self.front_end.span)
                _naming("validation_data", self.check_examples, val)
        kwargs = checked_weights(kwargs, x, check_weight_values)
        kwargs = check_validation_data(
            kwargs, lambda x, y, *_: (x, y), check_weights=check_weight_values
        )
        self._fitting = True  # (its validation `evaluate` calls: their data were checked)
        try:
            return super().fit(x, y, *args, **kwargs)
        finally:
            self._fitting = False

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """`keras.Model.train_on_batch`, refusing a `class_weight` as `fit` does."""
        _refuse_class_weight(class_weight)
        return super().train_on_batch(x, y, sample_weight, return_dict=return_dict)

    def evaluate(self, x=None, y=None, *args, check=True, **kwargs):
        """`keras.Model.evaluate`, after checking that `x` is the model's inputs (see `predict`).

        Args:
            check: scan the examples first, as `fit` does: an utterance whose output frames
                cannot hold its label has no CTC alignment and would leave the mean loss
                unsaid (a batch of only such utterances would score 0), so it is refused,
                named, with a `ValueError`. A bool.
        """
        check_bool("check", check)
        _check_inputs(x, "evaluate", self.front_end.span)
        # (fit's own validation calls this every epoch: its data were checked once, up front)
        if check and not self._fitting:
            _naming("evaluate", self.check_examples, x, y)
        return super().evaluate(x, y, *args, **checked_weights(kwargs, x, check_weight_values))

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`: the logits `(batch, output frames, vocabulary + 1)` of `x`.

        `x` is `{"waveform": (batch, samples) float32, "length": (batch,) int}` (zero-padded
        waveforms at the model's sample rate and each one's real samples, at most the padded
        width), or a dataset of such dicts; `transcribe` takes raw audio and gives text.

        Frames past an utterance's `output_lengths` are padding. (The pretrained front end
        gives each batch the frames of its longest utterance: batches of other widths are
        padded with zero logits to the widest, so that the result is one array.)

        Raises:
            TypeError: `x` is not such a dict (a bare array of waveforms, say).
            ValueError: a length is negative or beyond the padded waveforms' samples.
        """
        _check_inputs(x, "predict", self.front_end.span)
        logits = super().predict(x, *args, **kwargs)
        if isinstance(logits, tf.RaggedTensor):  # (Keras's join of batches of other widths)
            logits = logits.to_tensor().numpy()
        return logits

    def check_examples(self, x, y=None):
        """Raises `ValueError` for the first example whose frames are too few for its label.

        The message names the example by its transcript and length (a shuffled, augmented
        example's index finds nothing).

        CTC needs one frame per label character plus one blank between repeated characters
        ("ll" in "hello"). `x` is a `{"waveform", "length"}` dict with labels `y`, or a dataset
        of `(x, y)` batches or examples.

        Example:
            >>> import numpy as np
            >>> m = SpeechRecognizer(units=4, num_layers=1, conv_filters=2, seed=0)
            >>> m.check_examples({"length": np.array([800])}, np.array([[1, 2, 2, 3]]))
            Traceback (most recent call last):
            ...
            ValueError: example 0 (transcript 'abbc', 800 samples = 0.10 s at 8000 Hz) has 4 ...
        """
        _check_examples(self, x, y)

    # ---- serving ------------------------------------------------------------------------------

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kw):
        """Exports a SavedModel for TF Serving: any batch, any length.

        Two endpoints, each taking `waveform` `(batch, samples)` float32 at the model's sample
        rate (zero padded) and `length` `(batch,)` int32: `serve` gives the logits
        `(batch, frames, vocabulary + 1)` (class 0 the blank), `transcribe` the greedy
        transcripts (`greedy_strings`). Another `format` or an explicit `input_signature`
        goes to `keras.Model.export` as it is.

        Example:
            >>> import tempfile, numpy as np, tensorflow as tf
            >>> m = ctc_speech(sample_rate=8000, units=4, num_layers=1, seed=0)
            >>> path = tempfile.mkdtemp() + "/export"
            >>> m.export(path, verbose=False)
            >>> served = tf.saved_model.load(path)
            >>> waves, lengths = np.zeros((2, 4000), "float32"), np.array([4000, 2000], "int32")
            >>> served.transcribe(waves, lengths).shape
            TensorShape([2])
        """
        if format != "tf_saved_model" or input_signature is not None:
            return super().export(
                filepath, format=format, verbose=verbose, input_signature=input_signature, **kw
            )
        spec = [
            tf.TensorSpec((None, None), "float32", name="waveform"),
            tf.TensorSpec((None,), "int32", name="length"),
        ]
        archive = keras.export.ExportArchive()
        archive.track(self)
        archive.add_endpoint(
            "serve",
            lambda waveform, length: self(
                {"waveform": waveform, "length": _one_length_per_waveform(waveform, length)}
            ),
            input_signature=spec,
        )
        archive.add_endpoint("transcribe", self.greedy_strings, input_signature=spec)
        archive.write_out(filepath, verbose=True if verbose is None else bool(verbose), **kw)

    def get_config(self):
        """The constructor arguments (the vocabulary included)."""
        return {**dict(self._config_items), "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Rebuilds the model from `get_config()`."""
        return cls(**config)


_DEFAULTS = {
    k: p.default for k, p in inspect.signature(SpeechRecognizer.__init__).parameters.items()
}


def _naming(where, check, *args):
    """Runs `check(*args)`, its `ValueError` prefixed by `where` (`validation_data: ...`)."""
    try:
        check(*args)
    except ValueError as e:
        raise ValueError(f"{where}: {e}") from None


def _refuse_class_weight(class_weight):
    """Raises for a `class_weight`: Keras would weigh each utterance by one id of its label."""
    if class_weight is not None:
        raise ValueError(
            "class_weight does not apply to CTC: its targets are character sequences, not "
            "classes; weigh utterances with sample_weight."
        )


def ctc_speech(
    vocabulary=VOCABULARY,
    *,
    task="ctc",
    sample_rate=8000,
    num_mels=40,
    frame_ms=25.0,
    hop_ms=10.0,
    time_stride=2,
    conv_filters=32,
    cell="gru",
    units=128,
    num_layers=3,
    merge_mode="concat",
    dropout=0.1,
    activation="tanh",
    spec_augment=True,
    fmin=20.0,
    fmax=None,
    vtlp=None,
    normalize="band",
    preemphasis=0.0,
    num_ceps=None,
    instance_norm=False,
    speaker_adversary=0.0,
    num_speakers=None,
    adversary_layer=0,
    frontend="log_mel",
    optimizer="adam",
    learning_rate=1e-3,
    clipnorm=1.0,
    compile=True,
    seed=None,
    name=None,
):
    """Builds a CTC speech recogniser: waveforms and their lengths in, character logits out.

    Args:
        vocabulary: the characters it writes (the CTC blank is added as id 0).
        task: `"ctc"` (the only task).
        sample_rate: the waveforms' sample rate in Hz (`transcribe` resamples others).
        num_mels: mel bands of the log-mel front end.
        frame_ms: analysis window in milliseconds.
        hop_ms: hop between frames in milliseconds.
        time_stride: time subsampling of the convolutional front (output frame every
            `time_stride * hop_ms` ms).
        conv_filters: filters of each of the two convolutions.
        cell: `"gru"` or `"lstm"`.
        units: units per direction of each recurrent layer.
        num_layers: bidirectional recurrent layers.
        merge_mode: how the two directions merge: concat, sum, mul or ave.
        dropout: dropout on each recurrent layer's inputs, in [0, 1).
        activation: the recurrent cells' activation: `"tanh"` (keeps the cuDNN kernel on a
            GPU), `"sigmoid"`, `"relu"`, `"leaky_relu"`, `"hard_sigmoid"` or `"softsign"`.
        spec_augment: SpecAugment time and frequency masks during training.
        fmin: the lowest frequency of the mel filters in Hz.
        fmax: the highest, in Hz (`None`: the Nyquist frequency).
        vtlp: `(low, high)` warp factors of vocal tract length perturbation during training
            (each utterance's spectrum warped, tempo unchanged; e.g. `(0.9, 1.1)`), or `None`.
        normalize: per-utterance normalisation of the log-mels over real frames: `"band"`
            (each band to zero mean and unit variance), `"utterance"` (each band centred, all
            scaled by one factor, so bands holding only noise stay small) or `False`.
        preemphasis: pre-emphasis coefficient in [0, 1) (`x[t] - a·x[t-1]`, removing a DC
            offset and tilting the spectrum up); 0 turns it off.
        num_ceps: `None` (default) feeds the log-mels to the convolutions; an int <= `num_mels`
            feeds that many MFCCs (the DCT of the log-mels) instead.
        instance_norm: normalise the convolutions' projected features per utterance (each
            channel to zero mean, unit variance over the utterance's real frames:
            `zoo.data.audio.normalize_frames`) before the recurrent layers, removing what stays
            constant over an utterance, such as much of a speaker's voice.
        speaker_adversary: weight of a speaker adversary's reversed gradient (0, the default,
            turns it off): in training, a small classifier learns to name the speaker of each
            frame of recurrent layer `adversary_layer` while that layer and those below learn
            to hide it (`SpeechRecognizer.adversary_loss`). Needs `x["speaker"]`, an int id per
            utterance (-1: unknown, ignored); without it the adversary does nothing.
        num_speakers: the speaker ids the adversary tells apart (needed when it is on).
        adversary_layer: the recurrent layer (0 = the first) whose outputs the adversary reads.
        frontend: `"log_mel"` (log-mels and two convolutions, learnt from scratch) or
            `"speech_embedding"` (`zoo.layers.SpeechEmbedding`, Google's pretrained speech
            embedding, frozen: speakers never heard in training are transcribed far better, see
            the README; `sample_rate` 8000 or 16000, `time_stride` 1, 2, 4 or 8, and the
            log-mel arguments `num_mels`, `frame_ms`, `hop_ms`, `conv_filters`, `fmin`, `fmax`,
            `vtlp`, `normalize`, `preemphasis`, `num_ceps` left at their defaults).
        optimizer: optimizer name or instance.
        learning_rate: a float or a learning-rate schedule.
        clipnorm: gradient-norm clipping (`None` turns it off).
        compile: `False` returns the model uncompiled.
        seed: seed of every initialiser, dropout and SpecAugment mask.
        name: the Keras model's name (`None`: the class's default).

    Returns:
        A `SpeechRecognizer`, compiled with its CTC loss unless `compile=False`.

    Example:
        >>> import numpy as np, zoo
        >>> model = zoo.models.ctc_speech(units=16, num_layers=1, seed=0)
        >>> x = {"waveform": np.zeros((2, 8000), "float32"), "length": np.array([8000, 6000])}
        >>> tuple(model(x).shape)  # 49 frames of logits over blank + 28 characters
        (2, 49, 29)
    """
    check_choice("task", task, ("ctc",))
    check_bool("compile", compile)
    # Here, not in LogMel: a model saved before this check still loads (with a warning).
    # (frame_settings checks sample_rate, frame_ms and hop_ms; check_mel_bands, through the
    # filterbank, num_mels, fmin and fmax, with the messages the model's own checks give.)
    span = frame_settings(sample_rate, frame_ms, hop_ms)[2]
    check_mel_bands(num_mels, span, sample_rate, fmin, fmax)
    model = SpeechRecognizer(
        vocabulary=vocabulary,
        sample_rate=sample_rate,
        num_mels=num_mels,
        frame_ms=frame_ms,
        hop_ms=hop_ms,
        time_stride=time_stride,
        conv_filters=conv_filters,
        cell=cell,
        units=units,
        num_layers=num_layers,
        merge_mode=merge_mode,
        dropout=dropout,
        activation=activation,
        spec_augment=spec_augment,
        fmin=fmin,
        fmax=fmax,
        vtlp=vtlp,
        normalize=normalize,
        preemphasis=preemphasis,
        num_ceps=num_ceps,
        instance_norm=instance_norm,
        speaker_adversary=speaker_adversary,
        num_speakers=num_speakers,
        adversary_layer=adversary_layer,
        frontend=frontend,
        seed=seed,
        **({} if name is None else {"name": name}),
    )
    if compile:
        if clipnorm is not None:
            check_positive_float("clipnorm", clipnorm)
        compile_model(model, None, [], optimizer, learning_rate, clipnorm)
    return model


def search_space(hp):
    """The tunable hyperparameters of `ctc_speech` (a keras-tuner `hp` in, factory kwargs out).

    Example:
        >>> import keras_tuner
        >>> sorted(search_space(keras_tuner.HyperParameters()))[:3]
        ['cell', 'dropout', 'frontend']
    """
    return {
        "frontend": hp.Choice("frontend", list(FRONTENDS)),
        "cell": hp.Choice("cell", ["gru", "lstm"]),
        "units": hp.Choice("units", [64, 128, 192]),
        "num_layers": hp.Int("num_layers", 1, 3),
        "time_stride": hp.Choice("time_stride", [2, 4]),  # both front ends take these
        "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1),
        "learning_rate": hp.Float("learning_rate", 3e-4, 3e-3, sampling="log"),
    }
