"""`seq2seq`: an LSTM/GRU encoder-decoder with attention, trained with teacher forcing.

The encoder reads the source ids; its final states start the decoder, which reads the target
shifted right (`[START] y1 y2 ...`, teacher forcing) and predicts `y1 y2 ... [END]`. With
attention, each decoder output queries the encoder outputs (Keras's `AdditiveAttention` for
Bahdanau's additive score, `Attention` for Luong's dot score) and the context joins the decoder
output in a `tanh` layer before the logits (Luong et al. 2015's attentional hidden state). The
loss is `zoo.losses.MaskedSequenceCrossentropy`: padding is ignored and tokens are averaged.

The source and target vocabularies are part of the model's config, so a saved model translates
strings by itself: `model.translate(["535+61"])` with greedy or beam search (`zoo.decoding`).
"""

import contextlib
import warnings

import keras
import numpy as np
import tensorflow as tf

from zoo import decoding, heads
from zoo.losses import MaskedSequenceCrossentropy
from zoo.metrics import MaskedTokenAccuracy
from zoo.models.base import check_uniform_stack, compile_model, seeded, warn_once
from zoo.models.recurrent_model import check_validation_data
from zoo.models.vocabulary import PAD, UNK, Vocabulary
from zoo.validation import (
    check_bool,
    check_choice,
    check_fraction,
    check_ids,
    check_positive_float,
    check_positive_int,
    check_seed,
    check_strings,
    check_targets,
    check_weight_size,
    failed_check_message,
)

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}
ATTENTIONS = ("bahdanau", "luong", None)
TARGET_SPECIALS = ("[START]", "[END]")
START, END = 2, 3
_INPUT_KEYS = ("source", "target_in")
_INPUTS = "{'source': (batch, S) ids, 'target_in': (batch, T) ids}"
_FIT_STRINGS = (
    "t_in, t_out = model.encode_targets(targets), then x = {'source': "
    "model.encode_sources(sources), 'target_in': t_in} and y = t_out (or make_seq2seq_examples "
    "in tf.data)."
)
_PREDICT_STRINGS = (
    "to translate strings, model.translate(sources); for the teacher-forced logits, x = "
    "{'source': model.encode_sources(sources), 'target_in': model.encode_targets(targets)[0]}."
)
_TOO_LONG = "tokens, more than max_target_length="  # in make_seq2seq_examples's check


@contextlib.contextmanager
def _naming_example_errors():
    """Raises a failed `make_seq2seq_examples` check in a dataset as a `ValueError`.

    In a tf.data map the check is an assertion, which TensorFlow reports as an
    `InvalidArgumentError` with the message buried in its own; this gives the message alone.
    """
    try:
        yield
    except tf.errors.InvalidArgumentError as e:
        text = failed_check_message(e.message)
        if text is None or _TOO_LONG not in text:
            raise
        raise ValueError(text) from None


def _rnn(cell, units, dropout, activation, seed, name):
    return CELLS[cell](
        units,
        activation=activation,
        dropout=dropout,
        return_sequences=True,
        return_state=True,
        seed=seeded(seed, 2),
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(seed, 0)),
        recurrent_initializer=keras.initializers.Orthogonal(seed=seeded(seed, 1)),
        name=name,
    )


def _check_args(a):
    """Validates the constructor arguments (a dict) and returns the two vocabularies."""
    check_choice("split", a["split"], ("char", "whitespace"))
    source = Vocabulary(a["source_vocabulary"], split=a["split"], name="source_vocabulary")
    target = Vocabulary(
        a["target_vocabulary"], TARGET_SPECIALS, split=a["split"], name="target_vocabulary"
    )
    check_choice("cell", a["cell"], tuple(CELLS))
    for key in ("units", "num_layers", "embedding_dim", "max_target_length"):
        a[key] = check_positive_int(key, a[key])  # NumPy ints become ints
    given = f"embedding_dim={a['embedding_dim']}"
    directions = 2 if a["bidirectional_encoder"] is True else 1  # the encoder's
    a["num_layers"] = check_uniform_stack(
        a["cell"], a["units"], a["num_layers"], a["embedding_dim"], given, directions
    )
    for name, vocab in (("source", source), ("target", target)):
        check_weight_size(f"the {name} embedding", vocab.size, a["embedding_dim"], given)
    check_bool("bidirectional_encoder", a["bidirectional_encoder"])
    check_choice("attention", a["attention"], ATTENTIONS)
    check_fraction("dropout", a["dropout"])
    if a["activation"] != "tanh":
        check_choice("activation", a["activation"], ("tanh", "relu", "softsign", "sigmoid"))
        warn_once(
            ("seq2seq", a["activation"]),
            f"seq2seq: activation={a['activation']!r} leaves the fast cuDNN kernel (needs 'tanh').",
        )
    a["seed"] = check_seed(a["seed"])
    return source, target


@keras.saving.register_keras_serializable(package="zoo")
class Seq2Seq(keras.Model):
    """An encoder-decoder on token ids that also translates strings (see `zoo.models.seq2seq`).

    Inputs: `{"source": (batch, S) ids, "target_in": (batch, T) ids}` (0 is padding); output:
    `(batch, T, target vocabulary size)` logits. `make_seq2seq_examples` turns string pairs into
    such inputs in tf.data. The constructor's arguments are the factory's.

    Example:
        >>> m = Seq2Seq("ab", "ab", units=4, seed=0)
        >>> Seq2Seq.from_config(m.get_config()).target_vocab.tokens
        ['a', 'b']
    """

    def __init__(
        self,
        source_vocabulary,
        target_vocabulary,
        split="char",
        cell="lstm",
        units=64,
        num_layers=1,
        embedding_dim=32,
        bidirectional_encoder=False,
        attention="luong",
        dropout=0.0,
        activation="tanh",
        max_target_length=32,
        seed=None,
        name="seq2seq",
        **kwargs,
    ):
        args = dict(
            source_vocabulary=source_vocabulary,
            target_vocabulary=target_vocabulary,
            split=split,
            cell=cell,
            units=units,
            num_layers=num_layers,
            embedding_dim=embedding_dim,
            bidirectional_encoder=bidirectional_encoder,
            attention=attention,
            dropout=dropout,
            activation=activation,
            max_target_length=max_target_length,
            seed=seed,
        )
        src_vocab, tgt_vocab = _check_args(args)
        args["source_vocabulary"] = list(src_vocab.tokens)
        args["target_vocabulary"] = list(tgt_vocab.tokens)
        inputs, outputs = self._graph(src_vocab, tgt_vocab, args)
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self._config_items = tuple(args.items())
        self.source_vocab, self.target_vocab = src_vocab, tgt_vocab
        self.max_target_length = args["max_target_length"]

    @staticmethod
    def _graph(src_vocab, tgt_vocab, a):
        """Builds the teacher-forced training graph; inference reuses its layers by name."""
        seed, units = a["seed"], a["units"]
        uniform = keras.initializers.RandomUniform(-0.05, 0.05, seed=seeded(seed, 3))
        source = keras.Input((None,), dtype="int32", name="source")
        target_in = keras.Input((None,), dtype="int32", name="target_in")
        x = keras.layers.Embedding(
            src_vocab.size, a["embedding_dim"], mask_zero=True,
            embeddings_initializer=uniform, name="source_embedding",
        )(source)  # fmt: skip
        encoder_states = []
        for i in range(a["num_layers"]):
            rnn = _rnn(a["cell"], units, a["dropout"], a["activation"], seeded(seed, 10 * i + 10),
                       f"encoder_{i}")  # fmt: skip
            if a["bidirectional_encoder"]:
                backward = _rnn(a["cell"], units, a["dropout"], a["activation"],
                                seeded(seed, 10 * i + 15), f"encoder_{i}_backward")  # fmt: skip
                backward.go_backwards = True
                outs = keras.layers.Bidirectional(
                    rnn, backward_layer=backward, name=f"bidirectional_encoder_{i}"
                )(x)
                x, states = outs[0], outs[1:]
                half = len(states) // 2
                states = [
                    keras.layers.Dense(
                        units, activation="tanh", name=f"bridge_{i}_{j}",
                        kernel_initializer=keras.initializers.GlorotUniform(
                            seed=seeded(seed, 600 + 10 * i + j)
                        ),
                    )(keras.layers.Concatenate()([states[j], states[j + half]]))
                    for j in range(half)
                ]  # fmt: skip
            else:
                x, *states = rnn(x)
            encoder_states.append(states)
        memory = x
        if a["bidirectional_encoder"] and a["attention"]:
            memory = keras.layers.Dense(
                units, use_bias=False, name="memory",
                kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(seed, 800)),
            )(memory)  # fmt: skip
        y = keras.layers.Embedding(
            tgt_vocab.size, a["embedding_dim"], mask_zero=True,
            embeddings_initializer=uniform, name="target_embedding",
        )(target_in)  # fmt: skip
        for i in range(a["num_layers"]):
            rnn = _rnn(a["cell"], units, a["dropout"], a["activation"], seeded(seed, 10 * i + 500),
                       f"decoder_{i}")  # fmt: skip
            y, *_ = rnn(y, initial_state=encoder_states[i])
        if a["attention"]:
            attend = (
                keras.layers.AdditiveAttention(name="attention")
                if a["attention"] == "bahdanau"
                else keras.layers.Attention(name="attention")
            )
            context = attend([y, memory])
            if a["attention"] == "bahdanau" and seed is not None:
                # AdditiveAttention takes no initializer for its scale: draw it seeded here.
                init = keras.initializers.GlorotUniform(seed=seeded(seed, 950))
                attend.scale.assign(init(attend.scale.shape, attend.scale.dtype))
            y = keras.layers.Concatenate(name="attention_concat")([y, context])
            y = keras.layers.Dense(
                units, activation="tanh", name="attention_hidden",
                kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(seed, 900)),
            )(y)  # fmt: skip
        logits = keras.layers.Dense(
            tgt_vocab.size, dtype="float32", name="logits",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(seed, 999)),
        )(y)  # fmt: skip
        return {"source": source, "target_in": target_in}, logits

    def get_config(self):
        """The constructor arguments (vocabularies included), enough to rebuild the model."""
        config = {k: list(v) if isinstance(v, tuple | list) else v for k, v in self._config_items}
        return {**config, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Rebuilds the model from `get_config()`."""
        return cls(**config)

    # ---- inference: the training graph's layers, run one target token at a time ----

    def _args(self):
        return dict(self._config_items)

    def _check_x(self, x, name, strings_hint=_FIT_STRINGS):
        """`x` as given, after a check for strings, keys other than the inputs' and bad ids.

        NumPy ids must be `(batch, steps)` arrays of ids in their vocabulary; tensors and
        datasets pass (reading them would consume them).
        """
        strings = (
            isinstance(x, str)
            or (isinstance(x, list | tuple) and len(x) and isinstance(x[0], str | bytes))
            or (isinstance(x, np.ndarray) and x.dtype.kind in "USO" and x.size > 0
                and isinstance(x.flat[0], str | bytes | np.str_ | np.bytes_))
        )  # fmt: skip
        if strings:
            raise TypeError(f"{name} must be {_INPUTS}, got strings: {strings_hint}")
        if isinstance(x, dict):
            missing, unknown = set(_INPUT_KEYS) - set(x), set(x) - set(_INPUT_KEYS)
            if missing or unknown:
                why = [f"missing {sorted(missing)!r}"] * bool(missing)
                why += [f"unknown {sorted(map(str, unknown))!r}"] * bool(unknown)
                raise TypeError(
                    f"{name} must be a dict with 'source' and 'target_in' ids (those keys only), "
                    f"got keys {sorted(map(str, x))!r} ({'; '.join(why)})."
                )
            x = dict(x)
            for key, vocab in (("source", self.source_vocab), ("target_in", self.target_vocab)):
                if isinstance(x[key], list | tuple):  # nested lists of ids: Keras takes arrays
                    try:
                        x[key] = np.asarray(x[key])
                    except ValueError:
                        raise ValueError(
                            f"{name}[{key!r}] is a ragged list of id lists; pad them to one "
                            "length (0 pads), e.g. with model.encode_sources / encode_targets."
                        ) from None
                if isinstance(x[key], np.ndarray):
                    check_ids(f"{name}[{key!r}]", x[key], vocab.size, "token ids")
                    if x[key].ndim != 2:
                        raise ValueError(
                            f"{name}[{key!r}] must be ids of shape (batch, steps), got shape "
                            f"{x[key].shape}."
                        )
        return x

    def _check_pair(self, x, y, x_name, y_name):
        """`(x, y)` checked (`_check_x`, then NumPy `y` against `x` and the loss).

        `y` is checked as target ids when the compiled loss reads ids (the factory's masked
        cross-entropy, a sparse one), its `ignore_class` allowed, and must have a step per step
        of `target_in`; under another loss (a user's recompile on one-hot rows, say) it passes.
        """
        x = self._check_x(x, x_name)
        if y is None and (isinstance(x, dict) or hasattr(x, "shape")):
            raise ValueError(
                f"{y_name} is needed with {x_name} of arrays: target_out ids (batch, T), as "
                "t_in, t_out = model.encode_targets(targets) gives them (y = t_out); only a "
                "dataset of (inputs, target_out) pairs (make_seq2seq_examples) goes without y."
            )
        if isinstance(y, np.ndarray) and heads.target_kind(self.loss) == "class_ids":
            ignore = getattr(self.loss, "ignore_class", None)
            check_ids(y_name, y, self.target_vocab.size, "target token ids", ignore)
            t_in = x.get("target_in") if isinstance(x, dict) else None
            shape = getattr(t_in, "shape", ())
            steps = int(shape[1]) if len(shape) == 2 and shape[1] is not None else None
            try:  # the shape: its ids were checked above
                y = check_targets(
                    y_name, y, "class_ids", (None, steps, self.target_vocab.size), ignore
                )
            except ValueError as e:
                raise ValueError(
                    f"{e} {y_name} is target_out, one id per step of {x_name}['target_in']: "
                    "t_in, t_out = model.encode_targets(targets) gives both."
                ) from None
        return x, y

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, naming strings, unknown keys, bad ids and targets given as arrays.

        A `make_seq2seq_examples` check that fails in a dataset (a target past its
        `max_target_length`) is raised as a `ValueError` with the check's message.

        Example:
            >>> m = seq2seq("0123456789+", "0123456789", units=4)
            >>> m.fit(["1+2"], ["3"])
            Traceback (most recent call last):
            ...
            TypeError: x must be {'source': (batch, S) ids, 'target_in': (batch, T) ids}, got ...
        """
        x, y = self._check_pair(x, y, "x", "y")
        kwargs = check_validation_data(kwargs, self._check_pair)
        with _naming_example_errors():
            return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.evaluate`, with the checks of `fit`."""
        x, y = self._check_pair(x, y, "x", "y")
        with _naming_example_errors():
            return super().evaluate(x, y, *args, **kwargs)

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict` (teacher-forced logits), with the input checks of `fit`.

        Example:
            >>> m = seq2seq("0123456789+", "0123456789", units=4)
            >>> x = {"source": m.encode_sources(["1+2"]), "target_in": m.encode_targets(["3"])[0]}
            >>> m.predict(x, verbose=0).shape
            (1, 2, 14)
            >>> m.predict({**x, "source": x["source"] - 4})
            Traceback (most recent call last):
            ...
            ValueError: x['source'] must hold token ids in [0, 13), got -1 at index (0, 0) ...
        """
        x = self._check_x(x, "x", _PREDICT_STRINGS)
        with _naming_example_errors():
            return super().predict(x, *args, **kwargs)

    def predict_on_batch(self, x):
        """`keras.Model.predict_on_batch`, with the input checks of `predict`."""
        return super().predict_on_batch(self._check_x(x, "x", _PREDICT_STRINGS))

    def encode_sources(self, sources):
        """Pads the id lists of `sources` (strings) into an int32 array `(N, S)`.

        Example:
            >>> m = seq2seq("0123456789+", "0123456789", units=4)
            >>> m.encode_sources(["1+2", "10"])
            array([[ 3, 12,  4],
                   [ 3,  2,  0]], dtype=int32)
        """
        check_strings("sources", sources)
        # An empty source is a fully padded (masked) row, as tf.data pads it in training.
        ids = [self.source_vocab.encode(s) for s in sources]
        out = np.zeros((len(ids), max(1, max(map(len, ids), default=0))), dtype="int32")
        for i, row in enumerate(ids):
            out[i, : len(row)] = row
        return out

    @staticmethod
    def _check_known(name, texts, vocab, by_id="translate_ids(model.encode_sources(sources))"):
        """Raises unless every token of the strings `texts` is in `vocab`.

        `by_id` is the call that reads unknown source tokens as the unknown id instead.
        """
        check_strings(name, texts)
        for i, text in enumerate(texts):
            unknown = vocab.unknown(text)
            if unknown:
                which = "source" if name == "sources" else "target"
                listed = (
                    f"the vocabulary is {''.join(vocab.tokens)!r}"
                    if vocab.split == "char"
                    else f"model.{which}_vocab.tokens lists its {len(vocab.tokens)} words"
                )
                hint = (
                    f" To read them as the unknown id, as tf.data does in training: {by_id}."
                    if which == "source"
                    else ""
                )
                raise ValueError(
                    f"{name}[{i}] holds tokens outside the model's {which} vocabulary: "
                    f"{unknown[:10]!r} in {text!r} ({listed}).{hint}"
                )

    def encode_targets(self, targets):
        """Teacher-forcing arrays `(target_in, target_out)` for `targets` (strings).

        Raises `ValueError` for a target of more than `max_target_length` tokens. Tokens
        outside the target vocabulary are the unknown id, as in tf.data (`make_seq2seq_examples`).

        Example:
            >>> m = seq2seq("0123456789+", "0123456789", units=4)
            >>> [a.tolist() for a in m.encode_targets(["12"])]
            [[[2, 5, 6]], [[5, 6, 3]]]
        """
        check_strings("targets", targets)
        ids = [self.target_vocab.encode(t) for t in targets]
        for t, row in zip(targets, ids, strict=True):
            if len(row) > self.max_target_length:
                raise ValueError(
                    f"target {t!r} has {len(row)} tokens, more than the decoder's "
                    f"max_target_length={self.max_target_length}."
                )
        width = max(map(len, ids), default=0) + 1
        t_in, t_out = np.zeros((2, len(ids), width), dtype="int32")
        for i, row in enumerate(ids):
            t_in[i, : len(row) + 1] = [START, *row]
            t_out[i, : len(row) + 1] = [*row, END]
        return t_in, t_out

    def _encode(self, source_ids):
        """Runs the encoder: the decoder's initial state and the attention memory."""
        a = self._args()
        src = tf.constant(source_ids, dtype="int32")
        mask = tf.not_equal(src, PAD)
        x = self.get_layer("source_embedding")(src)
        states = []
        for i in range(a["num_layers"]):
            if a["bidirectional_encoder"]:
                outs = self.get_layer(f"bidirectional_encoder_{i}")(x, mask=mask)
                x, s = outs[0], outs[1:]
                half = len(s) // 2
                s = [
                    self.get_layer(f"bridge_{i}_{j}")(tf.concat([s[j], s[j + half]], -1))
                    for j in range(half)
                ]
            else:
                x, *s = self.get_layer(f"encoder_{i}")(x, mask=mask)
            states.append([np.asarray(t) for t in s])
        memory = x
        if a["bidirectional_encoder"] and a["attention"]:
            memory = self.get_layer("memory")(memory)
        return {"states": states, "memory": np.asarray(memory), "mask": np.asarray(mask)}

    def _decode(self, target_in, state):
        """Runs `target_in` `(N, T)` through the decoder from `state`.

        Returns `(logits (N, T, V), attention scores (N, T, S) or None, new decoder states)`.
        """
        a = self._args()
        y = self.get_layer("target_embedding")(tf.constant(target_in, dtype="int32"))
        new_states = []
        for i in range(a["num_layers"]):
            y, *s = self.get_layer(f"decoder_{i}")(y, initial_state=state["states"][i])
            new_states.append([np.asarray(t) for t in s])
        scores = None
        if a["attention"]:
            with warnings.catch_warnings():
                # A one-step memory (a one-token source) makes Keras warn of a softmax over an
                # axis of size 1, which is what attention over one step is.
                warnings.filterwarnings("ignore", message="You are using a softmax over axis")
                context, scores = self.get_layer("attention")(
                    [y, state["memory"]],
                    mask=[None, tf.constant(state["mask"])],
                    return_attention_scores=True,
                )
            y = self.get_layer("attention_concat")([y, context])
            y = self.get_layer("attention_hidden")(y)
            scores = np.asarray(scores)
        return np.asarray(self.get_layer("logits")(y)), scores, new_states

    def _step(self, tokens, state):
        """One decoding step for `zoo.decoding`: next-token log-probabilities and the new state."""
        logits, _, new_states = self._decode(np.asarray(tokens)[:, None], state)
        logits = logits[:, 0].astype("float64")
        logits[:, [PAD, UNK, START]] = -np.inf  # never generated
        logits -= logits.max(axis=-1, keepdims=True)
        log_probs = logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        return log_probs, {**state, "states": new_states}

    def _check_source_ids(self, source_ids):
        """`source_ids` as an int32 `(N, S >= 1)` array of ids in the source vocabulary."""
        try:
            ids = np.asarray(source_ids)
        except ValueError:  # rows of different lengths
            raise ValueError(
                "source_ids must be an (N, S) array of ids, rows padded with 0 to one length "
                "(encode_sources(sources) pads them), got rows of different lengths."
            ) from None
        if ids.ndim != 2:
            raise ValueError(f"source_ids must be an (N, S) array of ids, got shape {ids.shape}.")
        if ids.size and ids.dtype.kind not in "iu":
            raise TypeError(f"source_ids must hold integer ids, got dtype {ids.dtype}.")
        size = self.source_vocab.size
        bad = ids[(ids < 0) | (ids >= size)]
        if bad.size:
            raise ValueError(
                f"source_ids must be ids in [0, {size}) (the source vocabulary's), got {bad[0]}."
            )
        if ids.shape[1] == 0:  # every source empty: one padded (masked) step
            ids = np.zeros((len(ids), 1), dtype="int32")
        return ids.astype("int32")

    def translate_ids(self, source_ids, max_length=None, beam_width=1, length_penalty=0.0):
        """Decodes source id arrays `(N, S)` into lists of target ids (no end token).

        Args:
            source_ids: int array of padded source ids.
            max_length: the most target tokens per sequence (default `max_target_length`).
            beam_width: 1 for greedy search, more for beam search.
            length_penalty: beam search's length normalisation exponent.

        Example:
            >>> m = seq2seq("ab", "ab", units=4, max_target_length=3, seed=0)
            >>> len(m.translate_ids(m.encode_sources(["ab", "b"])))
            2
        """
        max_length = check_positive_int(
            "max_length", self.max_target_length if max_length is None else max_length
        )
        check_positive_int("beam_width", beam_width)
        source_ids = self._check_source_ids(source_ids)
        if len(source_ids) == 0:
            return []
        state = self._encode(source_ids)
        if beam_width == 1:
            return decoding.greedy_search(self._step, state, START, END, max_length)
        return decoding.beam_search(
            self._step, state, START, END, max_length, beam_width, length_penalty
        )

    def translate(self, sources, max_length=None, beam_width=1, batch_size=256, length_penalty=0.0):
        """Translates a list of strings with greedy (`beam_width=1`) or beam search.

        Args:
            sources: a list of source strings, every token in the source vocabulary (to read
                unknown tokens as the unknown id, as tf.data does in training, decode
                `encode_sources(sources)` with `translate_ids`).
            max_length: the most target tokens per translation (default `max_target_length`).
            beam_width: hypotheses kept per sentence; 1 is greedy search.
            batch_size: sentences decoded together.
            length_penalty: beam search's length normalisation exponent, in [0, 10] (see
                `zoo.decoding.beam_search`).

        Returns:
            A list of target strings.

        Raises:
            ValueError: a source holds tokens outside the source vocabulary.

        Example:
            >>> m = seq2seq("0123456789+", "0123456789", units=8, seed=0)
            >>> len(m.translate(["1+2", "30+4"], max_length=4, beam_width=2))
            2
            >>> m.translate(["1-2"])
            Traceback (most recent call last):
            ...
            ValueError: sources[0] holds tokens outside the model's source vocabulary: ['-'] ...
        """
        max_length = check_positive_int(
            "max_length", self.max_target_length if max_length is None else max_length
        )
        check_positive_int("beam_width", beam_width)
        check_positive_int("batch_size", batch_size)
        length_penalty = decoding.check_length_penalty(length_penalty)
        self._check_known("sources", sources, self.source_vocab)
        ids = self.encode_sources(sources)
        out = []
        for i in range(0, len(ids), batch_size):
            out += self.translate_ids(
                ids[i : i + batch_size], max_length, beam_width, length_penalty
            )
        return [self.target_vocab.decode(t) for t in out]

    def attention_scores(self, sources, targets):
        """The attention weights `(T + 1, S)` of each source/target pair, under teacher forcing.

        Row `t` says where the decoder looked when predicting target token `t` (the last row:
        the end token). Needs a model built with attention.

        Args:
            sources: source strings, every token in the source vocabulary, or source ids
                `(batch, S)` padded with 0 as an int NumPy array or tensor (what the model
                read, unknown tokens included: `encode_sources(sources)`).
            targets: target strings, one per source, every token in the target vocabulary.

        Example:
            >>> m = seq2seq("0123456789+", "0123456789", units=4, seed=0)
            >>> m.attention_scores(["1+2"], ["3"])[0].shape
            (2, 3)
        """
        if not self._args()["attention"]:
            raise ValueError("attention_scores needs a model built with attention, got None.")
        self._check_known("targets", targets, self.target_vocab)
        if tf.is_tensor(sources) and sources.dtype.is_integer:
            sources = sources.numpy()
        if not isinstance(sources, np.ndarray):
            by_id = "attention_scores(model.encode_sources(sources), targets)"
            self._check_known("sources", sources, self.source_vocab, by_id)
        if len(sources) != len(targets):
            raise ValueError(
                f"sources and targets must pair up one to one, got {len(sources)} sources and "
                f"{len(targets)} targets."
            )
        t_in, _ = self.encode_targets(targets)
        if isinstance(sources, np.ndarray) and np.issubdtype(sources.dtype, np.integer):
            src = self._check_source_ids(sources)
            source_lengths = [int(np.count_nonzero(row)) for row in src]
        else:
            src = self.encode_sources(sources)
            source_lengths = [len(self.source_vocab.encode(s)) for s in sources]
        _, scores, _ = self._decode(t_in, self._encode(src))
        out = []
        for i, (n_s, t) in enumerate(zip(source_lengths, targets, strict=True)):
            n_s = max(n_s, 1)
            n_t = len(self.target_vocab.encode(t)) + 1
            out.append(scores[i, :n_t, :n_s])
        return out

    @staticmethod
    def _longest_target(target_out):
        """The most tokens (the end token not counted) of a row of `target_out` ids."""
        target_out = np.asarray(target_out)
        lengths = np.count_nonzero((target_out != PAD) & (target_out != END), axis=-1)
        return int(lengths.max(initial=0))

    @staticmethod
    def _check_longest(longest, limit, name):
        if longest > limit:
            raise ValueError(
                f"the data holds a target of {longest} tokens, more than {name}={limit}: "
                f"decoding stops after {limit} tokens, so that target could never be produced. "
                f"Build the model with max_target_length={longest} or more (a recipe: "
                f"--set max_target_length={longest})."
            )

    @staticmethod
    def _batches(dataset, name):
        """Yields `(inputs, target_out)` of `dataset`, each checked to be a batch of id rows."""
        if not isinstance(dataset, tf.data.Dataset):
            raise TypeError(
                f"{name} takes a tf.data.Dataset of batches of ({{'source', 'target_in'}}, "
                f"target_out) ids (make_seq2seq_examples, then .batch), got {dataset!r:.80}."
            )
        with _naming_example_errors():
            yield from Seq2Seq._checked_batches(dataset, name)

    @staticmethod
    def _checked_batches(dataset, name):
        for element in dataset:
            if not isinstance(element, tuple) or len(element) != 2:
                raise ValueError(
                    f"{name} takes batches of (inputs, target_out) ids (make_seq2seq_examples), "
                    f"got elements of {len(element) if isinstance(element, tuple) else 1} parts."
                )
            x, y = element
            if len(y.shape) != 2:
                raise ValueError(
                    f"{name} takes batches of target_out rows (N, T), got shape {tuple(y.shape)}"
                    + (": batch the dataset (.batch(n))." if len(y.shape) == 1 else ".")
                )
            yield x, y

    def check_target_lengths(self, dataset):
        """Raises `ValueError` unless every target in `dataset` fits `max_target_length`.

        Call it before training on data whose targets the model's `max_target_length` may not
        cover: a longer target trains under teacher forcing but is never produced by decoding.
        Targets holding tokens outside the target vocabulary (the unknown id, never produced
        either) get a warning: with a vocabulary cut to its frequent tokens they are expected.

        Args:
            dataset: batches of `(inputs, target_out)` id tensors (as `make_seq2seq_examples`
                and `zoo.data.batches` make them).

        Example:
            >>> import tensorflow as tf
            >>> m = seq2seq("0123456789+", "0123456789", units=4, max_target_length=3)
            >>> fn = make_seq2seq_examples("0123456789+", "0123456789")
            >>> ds = tf.data.Dataset.from_tensor_slices((["99+1"], ["100"])).map(fn).batch(1)
            >>> m.check_target_lengths(ds)
            >>> ds = tf.data.Dataset.from_tensor_slices((["999+1"], ["1000"])).map(fn).batch(1)
            >>> m.check_target_lengths(ds)
            Traceback (most recent call last):
            ...
            ValueError: the data holds a target of 4 tokens, more than max_target_length=3: ...
        """
        longest = unknown = total = 0
        for _, y in self._batches(dataset, "check_target_lengths"):
            longest = max(longest, self._longest_target(y))
            unknown += int(np.any(np.asarray(y) == UNK, axis=-1).sum())
            total += len(y)
        self._check_longest(longest, self.max_target_length, "max_target_length")
        if unknown:
            warnings.warn(
                f"{unknown} of {total} targets hold tokens outside the target vocabulary (the "
                "unknown id 1): they train, but decoding never produces that id, so they can "
                "never be translated exactly (exact_match counts them as misses). Drop them, "
                "or build the model with a target vocabulary holding their tokens.",
                stacklevel=2,
            )

    def exact_match(self, dataset, max_length=None):
        """The share of examples whose greedy translation equals the target exactly.

        Measured by decoding (`translate_ids`), not under teacher forcing. A target longer than
        the decoding limit is refused (it could never match); one holding the unknown id (a
        token outside the target vocabulary, never produced either) counts as a miss, with a
        warning giving their count.

        Args:
            dataset: batches of `({"source", "target_in"}, target_out)` id tensors (as
                `make_seq2seq_examples` and `zoo.data.batches` make them).
            max_length: the most target tokens per translation (default `max_target_length`).

        Returns:
            `{"exact_match": share, "examples": count}`.

        Example:
            >>> import tensorflow as tf
            >>> m = seq2seq("0123456789+", "0123456789", units=4, seed=0)
            >>> fn = make_seq2seq_examples("0123456789+", "0123456789")
            >>> ds = tf.data.Dataset.from_tensor_slices((["1+2"], ["3"])).map(fn).batch(1)
            >>> m.exact_match(ds)["examples"]
            1
        """
        limit = self.max_target_length if max_length is None else max_length
        limit = check_positive_int("max_length", limit)
        name = "max_target_length" if max_length is None else "max_length"
        right = total = 0
        unknown, first = 0, None
        for b, (x, y) in enumerate(self._batches(dataset, "exact_match")):
            # A reference longer than the decoding limit could never match: refuse to score it.
            self._check_longest(self._longest_target(y), limit, name)
            holding = np.flatnonzero(np.any(np.asarray(y) == UNK, axis=-1))
            if holding.size and first is None:
                target = self.target_vocab.decode(np.asarray(y)[holding[0]], unknown="?")
                first = f"example {int(holding[0])} of batch {b}, target {target!r}"
            unknown += holding.size
            hyps = self.translate_ids(np.asarray(x["source"]), max_length)
            for hyp, ref in zip(hyps, np.asarray(y), strict=True):
                ref = [int(t) for t in ref if t not in (PAD, END)]
                right += hyp == ref
                total += 1
        if unknown:  # (a warning, not an error: a run's other scores are kept)
            warnings.warn(
                f"exact_match: {unknown} of {total} targets hold tokens outside the target "
                f"vocabulary (first: {first}, ? unknown), which decoding never produces: they "
                "count as misses. Drop such pairs, or build the model with a target vocabulary "
                "holding their tokens.",
                stacklevel=2,
            )
        return {"exact_match": right / max(total, 1), "examples": total}


def _check_target_length(ids, source, target, limit):
    """`ids`, after checking that `target` has at most `limit` tokens.

    Eagerly a `ValueError`; in a tf.data map (a graph) an assertion with the same message,
    which `Seq2Seq.fit` and the scoring methods raise as that `ValueError` again.
    """
    ok = tf.size(ids) <= limit
    tail = f" {_TOO_LONG}{limit}: drop longer pairs first (ds.filter) or raise the limit."
    if tf.executing_eagerly():
        if not bool(ok):
            text = lambda t: t.numpy().decode("utf-8", "replace")  # noqa: E731
            raise ValueError(
                f"target '{text(target)}' (of source '{text(source)}') has {int(tf.size(ids))}"
                + tail
            )
        return ids
    message = tf.strings.join(
        ["target '", target, "' (of source '", source, "') has ",
         tf.strings.as_string(tf.size(ids)), tail]
    )  # fmt: skip
    check = tf.debugging.Assert(ok, [message])
    with tf.control_dependencies([check]):
        return tf.identity(ids)


def make_seq2seq_examples(
    source_vocabulary, target_vocabulary, split="char", max_target_length=None
):
    """Returns a tf.data map from `(source, target)` strings to the model's `(inputs, targets)`.

    Ids follow the model's vocabularies (0 padding, 1 unknown; the target adds `[START]` and
    `[END]`), so `ds.map(fn)` then `zoo.data.batches(ds, 64)` feeds `fit`, `evaluate` and
    `Seq2Seq.exact_match`.

    Args:
        source_vocabulary: the model's source tokens.
        target_vocabulary: the model's target tokens.
        split: `"char"` or `"whitespace"`, as the model's.
        max_target_length: when given, a target of more tokens fails the pipeline with an
            error naming the target, its source and the limit (a `ValueError` when called
            eagerly or from `Seq2Seq.fit`, `evaluate` and the scoring methods; TensorFlow's
            `InvalidArgumentError` elsewhere).

    Example:
        >>> import tensorflow as tf
        >>> fn = make_seq2seq_examples("0123456789+", "0123456789")
        >>> x, y = fn(tf.constant("1+2"), tf.constant("3"))
        >>> x["source"].numpy().tolist(), x["target_in"].numpy().tolist(), y.numpy().tolist()
        ([3, 12, 4], [2, 7], [7, 3])
    """
    src = Vocabulary(source_vocabulary, split=split, name="source_vocabulary")
    tgt = Vocabulary(target_vocabulary, TARGET_SPECIALS, split=split, name="target_vocabulary")
    check_positive_int("max_target_length", max_target_length, allow_none=True)
    src_lookup, tgt_lookup = src.lookup(), tgt.lookup()

    def fn(source, target):
        s = tf.cast(src_lookup(src.tf_split(source)), tf.int32)
        t = tf.cast(tgt_lookup(tgt.tf_split(target)), tf.int32)
        if max_target_length is not None:
            t = _check_target_length(t, source, target, max_target_length)
        t_in = tf.concat([[START], t], 0)
        t_out = tf.concat([t, [END]], 0)
        return {"source": s, "target_in": t_in}, t_out

    return fn


def seq2seq(
    source_vocabulary=None,
    target_vocabulary=None,
    *,
    task="seq2seq",
    split="char",
    cell="lstm",
    units=64,
    num_layers=1,
    embedding_dim=32,
    bidirectional_encoder=False,
    attention="luong",
    dropout=0.0,
    activation="tanh",
    max_target_length=32,
    optimizer="adam",
    learning_rate=1e-3,
    clipnorm=1.0,
    compile=True,
    seed=None,
):
    """Builds an LSTM/GRU encoder-decoder with attention (Bahdanau et al. 2015, Luong et al. 2015).

    Args:
        source_vocabulary: the source tokens: a string of characters or a list of tokens.
        target_vocabulary: the target tokens, likewise.
        task: `"seq2seq"` (the only task).
        split: `"char"` (character-level) or `"whitespace"` (words).
        cell: `"lstm"` or `"gru"`.
        units: units of every encoder and decoder layer.
        num_layers: layers of the encoder and of the decoder; decoder layer `i` starts from
            encoder layer `i`'s final state.
        embedding_dim: size of the token embeddings.
        bidirectional_encoder: read the source both ways; each layer's two final states are
            joined by a `tanh` layer (the "bridge") into the decoder's initial state.
        attention: `"bahdanau"` (additive), `"luong"` (dot product) or `None`.
        dropout: dropout on each recurrent layer's inputs, in [0, 1).
        activation: cell activation (`tanh` keeps the cuDNN kernel).
        max_target_length: the most tokens of a target (the end token not counted), checked
            when targets are encoded, and `translate`'s default `max_length`.
        optimizer: optimizer name or instance.
        learning_rate: a float or a learning-rate schedule.
        clipnorm: gradient-norm clipping (`None` turns it off).
        compile: `False` returns the model uncompiled.
        seed: seed of every initialiser and dropout mask.

    Returns:
        A `Seq2Seq` model, compiled with `MaskedSequenceCrossentropy` and `MaskedTokenAccuracy`
        unless `compile=False`.

    Example:
        >>> import zoo
        >>> model = zoo.models.seq2seq("0123456789+", "0123456789", units=16, seed=0)
        >>> model.output_shape
        (None, None, 14)
        >>> len(model.translate(["12+7"], max_length=3))
        1
    """
    check_choice("task", task, ("seq2seq",))
    if source_vocabulary is None or target_vocabulary is None:
        raise ValueError(
            "seq2seq needs source_vocabulary and target_vocabulary (lists of tokens, or strings "
            f"of characters), got {source_vocabulary!r} and {target_vocabulary!r}."
        )
    check_bool("compile", compile)
    if clipnorm is not None:
        check_positive_float("clipnorm", clipnorm)
    model = Seq2Seq(
        source_vocabulary,
        target_vocabulary,
        split=split,
        cell=cell,
        units=units,
        num_layers=num_layers,
        embedding_dim=embedding_dim,
        bidirectional_encoder=bidirectional_encoder,
        attention=attention,
        dropout=dropout,
        activation=activation,
        max_target_length=max_target_length,
        seed=seed,
    )
    if compile:
        compile_model(
            model,
            MaskedSequenceCrossentropy(),
            [MaskedTokenAccuracy()],
            optimizer,
            learning_rate,
            clipnorm,
        )
    return model


def search_space(hp):
    """The tunable hyperparameters of `seq2seq` (a keras-tuner `hp` in, factory kwargs out).

    Example:
        >>> import keras_tuner
        >>> sorted(search_space(keras_tuner.HyperParameters()))[:3]
        ['attention', 'bidirectional_encoder', 'cell']
    """
    return {
        "cell": hp.Choice("cell", ["lstm", "gru"]),
        "units": hp.Choice("units", [64, 128, 256]),
        "num_layers": hp.Int("num_layers", 1, 2),
        "attention": hp.Choice("attention", ["luong", "bahdanau"]),
        "bidirectional_encoder": hp.Boolean("bidirectional_encoder"),
        "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1),
        "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"),
    }
