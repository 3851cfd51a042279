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

import warnings

import keras
import numpy as np
import tensorflow as tf

from zoo import activations, decoding
from zoo.losses import MaskedSequenceCrossentropy
from zoo.metrics import MaskedTokenAccuracy
from zoo.models.base import compile_model, seeded
from zoo.models.recurrent_model import (
    BatchChecks,
    check_validation_data,
    check_weight_values,
    checked_weights,
)
from zoo.models.seq2seq_inputs import (  # ATTENTIONS: part of this module's public names
    _PREDICT_STRINGS,
    ATTENTIONS,  # noqa: F401
    END,
    START,
    TARGET_SPECIALS,
    _batches,
    _check_args,
    _check_encoded_lengths,
    _check_factory_args,
    _check_known,
    _check_longest,
    _check_max_length,
    _check_pair,
    _check_scored_pairs,
    _check_source_ids,
    _check_target_length,
    _check_x,
    _longest_target,
    _naming_example_errors,
)
from zoo.models.vocabulary import PAD, UNK, Vocabulary
from zoo.validation import check_positive_int, check_strings

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


def _rnn(cell, units, dropout, activation, seed, name):
    return CELLS[cell](
        units,
        activation=activations.get(activation),
        dropout=dropout,
        return_sequences=True,
        return_state=True,
        seed=seeded(seed, 2),
        kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(seed, 0)),
        recurrent_initializer=keras.initializers.Orthogonal(seed=seeded(seed, 1)),
        name=name,
    )


@keras.saving.register_keras_serializable(package="zoo")
class Seq2Seq(BatchChecks, keras.Model):
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
        src_vocab, tgt_vocab = _check_args(args, CELLS)
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

    def _vocabs(self):
        return self.source_vocab, self.target_vocab

    def _check_pair(self, x, y, x_name, y_name):
        """`seq2seq_inputs._check_pair` (a module function) on the vocabularies and the loss."""
        return _check_pair(x, y, x_name, y_name, self._vocabs(), self.loss)

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
        kwargs = checked_weights(kwargs, x, check_weight_values)
        kwargs = check_validation_data(kwargs, self._check_pair, check_weights=check_weight_values)
        x, kwargs = self._class_weights(x, y, kwargs)
        with _naming_example_errors():
            return super().fit(x, y, *args, **kwargs)

    @property
    def _target_classes(self):
        """The target ids a `class_weight` weighs (each target token by its own)."""
        return self.target_vocab.size

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.evaluate`, with the checks of `fit`."""
        x, y = self._check_pair(x, y, "x", "y")
        kwargs = checked_weights(kwargs, x, check_weight_values)
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
        x = _check_x(x, "x", self._vocabs(), _PREDICT_STRINGS)
        with _naming_example_errors():
            return super().predict(x, *args, **kwargs)

    def predict_on_batch(self, x):
        """`keras.Model.predict_on_batch`, with the input checks of `predict`."""
        return super().predict_on_batch(_check_x(x, "x", self._vocabs(), _PREDICT_STRINGS))

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
        _check_encoded_lengths(targets, ids, self.max_target_length)
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
        max_length = _check_max_length(max_length, self.max_target_length)
        check_positive_int("beam_width", beam_width)
        source_ids = _check_source_ids(source_ids, self.source_vocab.size)
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
        max_length = _check_max_length(max_length, self.max_target_length)
        check_positive_int("beam_width", beam_width)
        check_positive_int("batch_size", batch_size)
        length_penalty = decoding.check_length_penalty(length_penalty)
        _check_known("sources", sources, self.source_vocab)
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
        sources = _check_scored_pairs(sources, targets, self._vocabs())
        t_in, _ = self.encode_targets(targets)
        if isinstance(sources, np.ndarray) and sources.dtype.kind in "biuf":  # ids
            src = _check_source_ids(sources, self.source_vocab.size, "sources")
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
        for _, y in _batches(dataset, "check_target_lengths"):
            longest = max(longest, _longest_target(y))
            unknown += int(np.any(np.asarray(y) == UNK, axis=-1).sum())
            total += len(y)
        _check_longest(longest, self.max_target_length, "max_target_length")
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

        Raises:
            ValueError: the dataset holds no examples, or a target longer than the limit.

        Example:
            >>> import tensorflow as tf
            >>> m = seq2seq("0123456789+", "0123456789", units=4, seed=0)
            >>> fn = make_seq2seq_examples("0123456789+", "0123456789")
            >>> ds = tf.data.Dataset.from_tensor_slices((["1+2"], ["3"])).map(fn).batch(1)
            >>> m.exact_match(ds)["examples"]
            1
        """
        limit = _check_max_length(max_length, self.max_target_length)
        name = "max_target_length" if max_length is None else "max_length"
        right = total = 0
        unknown, first = 0, None
        for b, (x, y) in enumerate(_batches(dataset, "exact_match")):
            # A reference longer than the decoding limit could never match: refuse to score it.
            _check_longest(_longest_target(y), limit, name)
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
        if not total:  # a share of 0 would read as a model that never matches
            raise ValueError("exact_match: the dataset holds no examples; nothing to score.")
        if unknown:  # (a warning, not an error: a run's other scores are kept)
            warnings.warn(
                f"exact_match: {unknown} of {total} targets hold tokens outside the target "
                f"vocabulary (first: {first}, ? unknown), which decoding never produces: they "
                "count as misses. Drop such pairs, or build the model with a target vocabulary "
                "holding their tokens.",
                stacklevel=2,
            )
        return {"exact_match": right / total, "examples": total}


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
    name=None,
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
        activation: cell activation: `"tanh"` (keeps the cuDNN kernel), `"sigmoid"`, `"relu"`,
            `"leaky_relu"`, `"hard_sigmoid"` or `"softsign"` (`zoo.activations.ACTIVATIONS`).
        max_target_length: the most tokens of a target (the end token not counted), checked
            when targets are encoded, and `translate`'s default `max_length`.
        optimizer: optimizer name or instance.
        learning_rate: a float or a learning-rate schedule.
        clipnorm: gradient-norm clipping (`None` turns it off).
        compile: `False` returns the model uncompiled.
        seed: seed of every initialiser and dropout mask.
        name: the Keras model's name (`None`: the class's default).

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
    _check_factory_args(task, source_vocabulary, target_vocabulary, compile, clipnorm)
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
        **({} if name is None else {"name": name}),
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
