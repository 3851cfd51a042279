"""`char_lm`: a stacked LSTM/GRU character (or word) language model that generates text.

The model reads token ids and predicts the next token at every step (logits), trained with
`zoo.losses.MaskedSequenceCrossentropy` and reporting bits per character and perplexity
(`zoo.metrics`). Its vocabulary is part of its config, so a saved model generates from a prompt
by itself: `model.generate("ROMEO:", 200, temperature=0.8, top_k=20, seed=0)`. Generation runs the
prompt once, then feeds one sampled token at a time, carrying the recurrent state forward.
"""

import keras
import numpy as np
import tensorflow as tf

from zoo import activations, decoding
from zoo.losses import MaskedSequenceCrossentropy
from zoo.metrics import BitsPerCharacter, MaskedTokenAccuracy, Perplexity
from zoo.models.base import _check_cudnn_path, check_uniform_stack, compile_model, seeded
from zoo.models.recurrent_model import (
    BatchChecks,
    check_validation_data,
    check_weight_values,
    checked_weights,
)
from zoo.models.vocabulary import PAD, UNK, Vocabulary, split_words
from zoo.validation import (
    check_batch_shape,
    check_bool,
    check_choice,
    check_fraction,
    check_positive_float,
    check_positive_int,
    check_seed,
    check_strings,
    check_weight_size,
)

CELLS = {"lstm": keras.layers.LSTM, "gru": keras.layers.GRU}


@keras.saving.register_keras_serializable(package="zoo")
class CharLM(BatchChecks, keras.Model):
    """A next-token language model on ids that also generates strings (see `zoo.models.char_lm`).

    Input: `(batch, T)` token ids (0 is padding); output: `(batch, T, vocabulary size)` logits
    of the next token. `make_char_lm_examples` turns strings into `(ids[:-1], ids[1:])` pairs.

    Example:
        >>> m = CharLM("abc", units=4, num_layers=1, seed=0)
        >>> CharLM.from_config(m.get_config()).vocab.tokens
        ['a', 'b', 'c']
    """

    def __init__(
        self,
        vocabulary,
        split="char",
        cell="lstm",
        units=64,
        num_layers=2,
        embedding_dim=32,
        dropout=0.0,
        activation="tanh",
        seed=None,
        name="char_lm",
        **kwargs,
    ):
        vocab = Vocabulary(vocabulary, split=split, name="vocabulary")
        check_choice("cell", cell, tuple(CELLS))
        units = check_positive_int("units", units)
        embedding_dim = check_positive_int("embedding_dim", embedding_dim)
        given = f"embedding_dim={embedding_dim}"
        num_layers = check_uniform_stack(cell, units, num_layers, embedding_dim, given)
        check_weight_size("the embedding", vocab.size, embedding_dim,
                          f"embedding_dim={embedding_dim}")  # fmt: skip
        check_fraction("dropout", dropout)
        check_choice("activation", activation, activations.ACTIVATIONS)
        _check_cudnn_path(cell, activation, "sigmoid", 0.0)
        seed = check_seed(seed)
        tokens = keras.Input((None,), dtype="int32", name="tokens")
        x = keras.layers.Embedding(
            vocab.size, embedding_dim, mask_zero=True, name="embedding",
            embeddings_initializer=keras.initializers.RandomUniform(
                -0.05, 0.05, seed=seeded(seed, 3)
            ),
        )(tokens)  # fmt: skip
        for i in range(num_layers):
            s = seeded(seed, 10 * i + 10)
            x, *_ = CELLS[cell](
                units, activation=activations.get(activation), dropout=dropout,
                return_sequences=True,
                return_state=True, seed=seeded(s, 2), name=f"{cell}_{i}",
                kernel_initializer=keras.initializers.GlorotUniform(seed=s),
                recurrent_initializer=keras.initializers.Orthogonal(seed=seeded(s, 1)),
            )(x)  # fmt: skip
        logits = keras.layers.Dense(
            vocab.size, dtype="float32", name="logits",
            kernel_initializer=keras.initializers.GlorotUniform(seed=seeded(seed, 999)),
        )(x)  # fmt: skip
        super().__init__(inputs=tokens, outputs=logits, name=name, **kwargs)
        self.vocab = vocab
        self._config_items = (
            ("vocabulary", tuple(vocab.tokens)),
            ("split", split),
            ("cell", cell),
            ("units", units),
            ("num_layers", num_layers),
            ("embedding_dim", embedding_dim),
            ("dropout", dropout),
            ("activation", activation),
            ("seed", seed),
        )

    def get_config(self):
        """The constructor arguments (the vocabulary included)."""
        config = {k: list(v) if isinstance(v, tuple) else v for k, v in self._config_items}
        return {**config, "name": self.name}

    @classmethod
    def from_config(cls, config):
        """Rebuilds the model from `get_config()`."""
        return cls(**config)

    def _check_ids(self, name, ids):
        """Raises unless `ids` (when an array or list) are integer token ids of the vocabulary."""
        if not isinstance(ids, list | tuple | np.ndarray):  # datasets, tensors: Keras's
            return
        a = np.asarray(ids)
        if a.dtype.kind in "USO":
            raise TypeError(
                f"{name} must be token ids (batch, T), got strings: encode texts with "
                "model.encode(texts) (x = ids[:, :-1], y = ids[:, 1:]) or, in tf.data, "
                "make_char_lm_examples(model.vocab.tokens)."
            )
        if a.size and a.dtype.kind not in "iu":
            raise TypeError(f"{name} must hold integer token ids, got dtype {a.dtype}.")
        size = self.vocab.size
        bad = a[(a < 0) | (a >= size)] if a.size else a
        if bad.size:
            raise ValueError(f"{name} must be ids in [0, {size}) (the vocabulary's), got {bad[0]}.")
        if a.ndim != 2:
            raise ValueError(f"{name} must be token ids (batch, T), got shape {a.shape}.")
        check_batch_shape(name, a.shape, (None, None), "token ids")  # no example, no step

    def _check_pair(self, x, y, x_name, y_name):
        """`(x, y)` unchanged, after `_check_ids` on each and a check that their shapes agree."""
        arrays = list | tuple | np.ndarray
        self._check_ids(x_name, x)
        if y is None and isinstance(x, arrays):
            raise ValueError(
                f"{y_name} is needed with {x_name} of ids: the next token of every step, "
                "y = ids[:, 1:] for x = ids[:, :-1] (ids = model.encode(texts)); only a dataset "
                "of (x, y) pairs (make_char_lm_examples) goes without y."
            )
        self._check_ids(y_name, y)
        if isinstance(x, arrays) and isinstance(y, arrays) and np.shape(x) != np.shape(y):
            raise ValueError(
                f"{y_name} must have {x_name}'s shape (one next token per step), got {x_name} "
                f"{np.shape(x)} and {y_name} {np.shape(y)}: y = ids[:, 1:] for x = ids[:, :-1]."
            )
        return x, y

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, naming bad arrays: texts, ids outside the vocabulary, missing `y`.

        `y` must have `x`'s shape; `validation_data` of arrays is checked the same way.
        """
        x, y = self._check_pair(x, y, "x", "y")
        kwargs = checked_weights(kwargs, x, check_weight_values)
        kwargs = check_validation_data(kwargs, self._check_pair, check_weights=check_weight_values)
        x, kwargs = self._class_weights(x, y, kwargs)
        return super().fit(x, y, *args, **kwargs)

    @property
    def _target_classes(self):
        """The token ids a `class_weight` weighs (each target token by its own)."""
        return self.vocab.size

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.evaluate`, naming texts or ids outside the vocabulary given as arrays."""
        x, y = self._check_pair(x, y, "x", "y")
        return super().evaluate(x, y, *args, **checked_weights(kwargs, x, check_weight_values))

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`, naming texts or ids outside the vocabulary given as arrays.

        Example:
            >>> import numpy as np
            >>> m = char_lm("ab", units=4)
            >>> m.predict(m.encode(["ab", "ba"]), verbose=0).shape  # next-token logits
            (2, 2, 4)
            >>> m.predict(np.array([[1, 9]]))
            Traceback (most recent call last):
            ...
            ValueError: x must be ids in [0, 4) (the vocabulary's), got 9.
        """
        self._check_ids("x", x)
        return super().predict(x, *args, **kwargs)

    def predict_on_batch(self, x):
        """`keras.Model.predict_on_batch`, with the checks of `predict`."""
        self._check_ids("x", x)
        return super().predict_on_batch(x)

    def encode(self, texts):
        """Pads the ids of `texts` into an int32 array `(N, T)`; unknown tokens get id 1.

        Example:
            >>> char_lm("abc", units=4).encode(["ab", "c?"]).tolist()
            [[2, 3], [4, 1]]
        """
        check_strings("texts", texts)
        ids = [self.vocab.encode(t) for t in texts]
        out = np.zeros((len(ids), max(map(len, ids), default=1)), dtype="int32")
        for i, row in enumerate(ids):
            out[i, : len(row)] = row
        return out

    def _run(self, ids, states):
        """Runs ids `(N, T)` from `states` (or zeros): last-step logits and the new states."""
        args = dict(self._config_items)
        x = self.get_layer("embedding")(tf.constant(ids, dtype="int32"))
        new_states = []
        for i in range(args["num_layers"]):
            layer = self.get_layer(f"{args['cell']}_{i}")
            initial = None if states is None else states[i]
            x, *s = layer(x, initial_state=initial)
            new_states.append(s)
        return np.asarray(self.get_layer("logits")(x[:, -1])), new_states

    def generate(self, prompt, length, temperature=1.0, top_k=None, seed=None):
        """Continues `prompt` by `length` sampled tokens, carrying the recurrent state.

        The prompt runs through the network once; then each sampled token is fed alone with the
        state from the step before (nothing is re-run). The same `seed` gives the same text.

        Args:
            prompt: a non-empty string of tokens in the vocabulary.
            length: how many tokens to generate (an int >= 1).
            temperature: > 0; below 1 is more conservative, above 1 more varied.
            top_k: sample among the `top_k` likeliest tokens only, or `None` for all.
            seed: seed of the sampling (`None`: a fresh draw every call).

        Returns:
            The prompt followed by the generated text.

        Example:
            >>> m = char_lm("abc ", units=8, seed=0)
            >>> text = m.generate("ab", 5, temperature=0.5, seed=1)
            >>> text == m.generate("ab", 5, temperature=0.5, seed=1), len(text)
            (True, 7)
        """
        if not isinstance(prompt, str):
            raise TypeError(f"prompt must be a string, got {prompt!r}.")
        if not self.vocab.split_text(prompt):
            raise ValueError(f"prompt must hold at least one token, got {prompt!r}.")
        unknown = self.vocab.unknown(prompt)
        if unknown:
            raise ValueError(
                f"prompt holds tokens outside the model's vocabulary: {unknown!r} (the vocabulary "
                f"is {''.join(self.vocab.tokens)!r})."
                if self.vocab.split == "char"
                else f"prompt holds tokens outside the model's vocabulary: {unknown!r}."
            )
        check_positive_int("length", length)
        check_positive_float("temperature", temperature)
        check_positive_int("top_k", top_k, allow_none=True)
        check_seed(seed)
        rng = np.random.default_rng(seed)
        logits, states = self._run(np.array([self.vocab.encode(prompt)], dtype="int32"), None)
        out = []
        for _ in range(length):
            logits = logits.astype("float64")
            logits[:, [PAD, UNK]] = -np.inf  # never sampled
            token = decoding.sample_token(logits, rng, temperature, top_k)
            out.append(int(token[0]))
            logits, states = self._run(token[:, None], states)
        # Words join with one space, unless the prompt already ends in whitespace.
        sep = "" if self.vocab.split == "char" or not split_words(prompt[-1:]) else " "
        return prompt + sep + self.vocab.decode(out)


def make_char_lm_examples(vocabulary, split="char"):
    """Returns a tf.data map from a string to the language model's `(ids[:-1], ids[1:])`.

    Args:
        vocabulary: the model's tokens.
        split: `"char"` or `"whitespace"`, as the model's.

    Example:
        >>> import tensorflow as tf
        >>> x, y = make_char_lm_examples("abc")(tf.constant("abca"))
        >>> x.numpy().tolist(), y.numpy().tolist()
        ([2, 3, 4], [3, 4, 2])
    """
    vocab = Vocabulary(vocabulary, split=split, name="vocabulary")
    lookup = vocab.lookup()

    def fn(text):
        ids = tf.cast(lookup(vocab.tf_split(text)), tf.int32)
        return ids[:-1], ids[1:]

    return fn


def char_lm(
    vocabulary=None,
    *,
    task="language_model",
    split="char",
    cell="lstm",
    units=64,
    num_layers=2,
    embedding_dim=32,
    dropout=0.0,
    activation="tanh",
    optimizer="adam",
    learning_rate=2e-3,
    clipnorm=1.0,
    compile=True,
    seed=None,
    name=None,
):
    """Builds a stacked LSTM/GRU language model over characters (or words) that generates text.

    Args:
        vocabulary: the tokens: a string of characters or a list of tokens.
        task: `"language_model"` (the only task).
        split: `"char"` (characters) or `"whitespace"` (words).
        cell: `"lstm"` or `"gru"`.
        units: units per recurrent layer.
        num_layers: recurrent layers.
        embedding_dim: size of the token embedding.
        dropout: dropout on each recurrent layer's inputs, in [0, 1).
        activation: cell activation: `"tanh"` (keeps the cuDNN kernel), `"sigmoid"`, `"relu"`,
            `"leaky_relu"`, `"hard_sigmoid"` or `"softsign"` (`zoo.activations.ACTIVATIONS`).
        optimizer: optimizer name or instance.
        learning_rate: a float or a learning-rate schedule.
        clipnorm: gradient-norm clipping (`None` turns it off).
        compile: `False` returns the model uncompiled.
        seed: seed of every initialiser and dropout mask.
        name: the Keras model's name (`None`: the class's default).

    Returns:
        A `CharLM`, compiled with `MaskedSequenceCrossentropy` and bits per character,
        perplexity and token accuracy as metrics unless `compile=False`.

    Example:
        >>> import zoo
        >>> model = zoo.models.char_lm("abcdefgh ", units=16, seed=0)
        >>> model.output_shape
        (None, None, 11)
        >>> len(model.generate("abc", 10, seed=0))
        13
    """
    check_choice("task", task, ("language_model",))
    if vocabulary is None:
        raise ValueError("char_lm needs vocabulary (a list of tokens or a string), got None.")
    check_bool("compile", compile)
    if clipnorm is not None:
        check_positive_float("clipnorm", clipnorm)
    model = CharLM(
        vocabulary,
        split=split,
        cell=cell,
        units=units,
        num_layers=num_layers,
        embedding_dim=embedding_dim,
        dropout=dropout,
        activation=activation,
        seed=seed,
        **({} if name is None else {"name": name}),
    )
    if compile:
        metrics = [BitsPerCharacter(), Perplexity(), MaskedTokenAccuracy()]
        loss = MaskedSequenceCrossentropy()
        compile_model(
            model, loss, metrics, optimizer, learning_rate, clipnorm, defaults=(2e-3, 1.0)
        )
    return model


def search_space(hp):
    """The tunable hyperparameters of `char_lm` (a keras-tuner `hp` in, factory kwargs out).

    Example:
        >>> import keras_tuner
        >>> sorted(search_space(keras_tuner.HyperParameters()))[:2]
        ['cell', 'dropout']
    """
    return {
        "cell": hp.Choice("cell", ["lstm", "gru"]),
        "units": hp.Choice("units", [128, 256, 512]),
        "num_layers": hp.Int("num_layers", 1, 3),
        "dropout": hp.Float("dropout", 0.0, 0.3, step=0.1),
        "learning_rate": hp.Float("learning_rate", 1e-4, 1e-2, sampling="log"),
    }
