"""Metrics of the sequence models: token accuracy over real tokens, bits per character, perplexity.

Each is a stateful `keras.metrics.Metric` that ignores padding (target id `pad_id`), so padding a
batch to another length changes none of them.
"""

import math

import keras
from keras import ops

from zoo.losses import ignored_class, per_sequence
from zoo.validation import check_bool, check_strings, is_int


class _MaskedTokenMetric(keras.metrics.Metric):
    """Accumulates a per-token quantity over the real tokens of every batch."""

    def __init__(self, pad_id=0, from_logits=True, name=None, dtype=None):
        super().__init__(name=name, dtype=dtype)
        if not is_int(pad_id) or pad_id < 0:
            raise ValueError(f"pad_id must be a non-negative int, got {pad_id!r}.")
        self.pad_id = int(pad_id)
        self.from_logits = check_bool("from_logits", from_logits)
        self.total = self.add_variable(shape=(), initializer="zeros", name="total")
        self.count = self.add_variable(shape=(), initializer="zeros", name="count")

    def per_token(self, y_true, y_pred):
        """The quantity to average, one value per token."""
        raise NotImplementedError

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch: `y_true` ids `(batch, T)`, `y_pred` scores `(batch, T, vocab)`."""
        y_true = ops.cast(y_true, "int32")
        mask = ops.cast(ops.not_equal(y_true, self.pad_id), "float32")
        if sample_weight is not None:
            mask = mask * ops.cast(per_sequence(sample_weight, y_true), "float32")
        values = ops.cast(self.per_token(y_true, y_pred), "float32")
        self.total.assign_add(ops.sum(values * mask))
        self.count.assign_add(ops.sum(mask))

    def mean(self):
        """The average over every real token seen."""
        return ops.divide_no_nan(self.total, self.count)

    def reset_state(self):
        """Forgets every batch seen."""
        self.total.assign(0.0)
        self.count.assign(0.0)

    def get_config(self):
        """The constructor arguments."""
        return {"pad_id": self.pad_id, "from_logits": self.from_logits, "name": self.name}


@keras.saving.register_keras_serializable(package="zoo")
class MaskedTokenAccuracy(_MaskedTokenMetric):
    """The share of real target tokens whose highest-scoring prediction is right.

    Args:
        pad_id: the padding target id, left out.
        from_logits: unused by the arg-max; kept for symmetry with the losses.
        name: the metric's name.

    Example:
        >>> import numpy as np
        >>> m = MaskedTokenAccuracy()
        >>> m.update_state(np.array([[1, 2, 0]]), np.eye(3)[[[1, 0, 2]]])
        >>> float(m.result())
        0.5
    """

    def __init__(self, pad_id=0, from_logits=True, name="token_accuracy", dtype=None):
        super().__init__(pad_id=pad_id, from_logits=from_logits, name=name, dtype=dtype)

    def per_token(self, y_true, y_pred):
        """1 where the arg-max is the target.

        Example:
            >>> import numpy as np
            >>> m = MaskedTokenAccuracy()
            >>> np.asarray(m.per_token(np.array([[1, 2, 0]]), np.eye(3)[[[1, 0, 2]]])).tolist()
            [[True, False, False]]

            Padding (id 0, the last token here) gets a value too: `update_state` leaves it out.
        """
        return ops.equal(ops.cast(ops.argmax(y_pred, axis=-1), "int32"), y_true)

    def result(self):
        """The token accuracy."""
        return self.mean()


@keras.saving.register_keras_serializable(package="zoo")
class BitsPerCharacter(_MaskedTokenMetric):
    """Cross-entropy in bits per real token (per character for a character model).

    Args:
        pad_id: the padding target id, left out.
        from_logits: whether predictions are logits.
        name: the metric's name.

    Example:
        >>> import numpy as np
        >>> m = BitsPerCharacter()
        >>> m.update_state(np.array([[1, 2]]), np.zeros((1, 2, 4), "float32"))
        >>> float(m.result())  # uniform over 4 symbols: 2 bits
        2.0
    """

    def __init__(self, pad_id=0, from_logits=True, name="bits_per_character", dtype=None):
        super().__init__(pad_id=pad_id, from_logits=from_logits, name=name, dtype=dtype)

    def per_token(self, y_true, y_pred):
        """Cross-entropy in nats.

        Example:
            >>> import numpy as np
            >>> m = BitsPerCharacter()
            >>> ce = m.per_token(np.array([[1, 2]]), np.zeros((1, 2, 4), "float32"))
            >>> [round(float(v), 4) for v in np.asarray(ce)[0]]  # uniform over 4 symbols: ln 4
            [1.3863, 1.3863]
        """
        return keras.losses.sparse_categorical_crossentropy(
            y_true, y_pred, from_logits=self.from_logits
        )

    def result(self):
        """Mean cross-entropy divided by ln 2."""
        return self.mean() / math.log(2.0)


@keras.saving.register_keras_serializable(package="zoo")
class Perplexity(BitsPerCharacter):
    """Perplexity over the real tokens: `exp` of the mean cross-entropy in nats.

    Args:
        pad_id: the padding target id, left out.
        from_logits: whether predictions are logits.
        name: the metric's name.

    Example:
        >>> import numpy as np
        >>> m = Perplexity()
        >>> m.update_state(np.array([[1, 2]]), np.zeros((1, 2, 4), "float32"))
        >>> round(float(m.result()), 4)  # uniform over 4 symbols
        4.0
    """

    def __init__(self, pad_id=0, from_logits=True, name="perplexity", dtype=None):
        super().__init__(pad_id=pad_id, from_logits=from_logits, name=name, dtype=dtype)

    def result(self):
        """`exp(mean cross-entropy)`."""
        return ops.exp(self.mean())


@keras.saving.register_keras_serializable(package="zoo")
class SparseAccuracy(keras.metrics.SparseCategoricalAccuracy):
    """Keras's `SparseCategoricalAccuracy` over the targets other than `ignore_class`.

    The accuracy compiled beside a loss that skips a class (`SparseCategoricalCrossentropy(
    ignore_class=-1)`, see `zoo.losses.ignored_class`): Keras's `"accuracy"` counted those
    targets as wrong. Masked steps are left out as by Keras's.

    Args:
        ignore_class: the class id left out, or `None`.
        name: the metric's name.
        dtype: the metric's dtype.

    Example:
        >>> import numpy as np
        >>> m = SparseAccuracy(ignore_class=-1)
        >>> m.update_state(np.array([[1, -1, 0]]), np.eye(3)[[[1, 0, 2]]])
        >>> float(m.result())  # 1 right of the 2 targets not ignored
        0.5
    """

    def __init__(self, ignore_class=None, name="accuracy", dtype=None):
        super().__init__(name=name, dtype=dtype)
        self.ignore_class = ignore_class

    def update_state(self, y_true, y_pred, sample_weight=None):
        """Adds a batch: class ids `y_true`, probabilities `y_pred` `(..., classes)`."""
        y_true = ops.reshape(y_true, ops.shape(y_pred)[:-1])  # (without a trailing axis of 1)
        if self.ignore_class is not None:
            kept = ops.cast(ops.not_equal(ops.cast(y_true, "int32"), self.ignore_class), "float32")
            if sample_weight is not None:
                kept = kept * ops.cast(sample_weight, "float32")
            sample_weight = kept
        return super().update_state(y_true, y_pred, sample_weight)

    def get_config(self):
        """Keras's config and `ignore_class`."""
        return {**super().get_config(), "ignore_class": self.ignore_class}


def _split_tag(tag, tag_set=None):
    """`"B-PER"` -> `("B", "PER")`, `"O"` -> `("O", None)`; anything else raises."""
    if tag_set is not None and tag not in tag_set:
        raise ValueError(f"tag {tag!r} is outside the tag set {sorted(tag_set)!r}.")
    if tag == "O":
        return "O", None
    if not isinstance(tag, str) or len(tag) < 3 or tag[:2] not in ("B-", "I-"):
        raise ValueError(f"tags must be 'O', 'B-<type>' or 'I-<type>' (BIO), got {tag!r}.")
    return tag[0], tag[2:]


def bio_entities(tags, tag_set=None):
    """The entities of one BIO-tagged sequence as `(type, start, end)` (end exclusive).

    An entity starts at `B-X`, or at `I-X` not continuing an `X` entity (as in CoNLL's
    `conlleval` and `seqeval`'s default mode), and runs over the `I-X` tags that follow.

    Args:
        tags: a list of tags, e.g. `["B-PER", "I-PER", "O"]`.
        tag_set: when given, the allowed tags; any other raises `ValueError` naming it.

    Example:
        >>> bio_entities(["B-PER", "I-PER", "O", "I-LOC", "B-LOC"])
        [('PER', 0, 2), ('LOC', 3, 4), ('LOC', 4, 5)]
    """
    entities, start, kind = [], None, None
    for i, tag in enumerate([*tags, "O"]):
        prefix, t = _split_tag(tag, tag_set) if i < len(tags) else ("O", None)
        continues = prefix == "I" and t == kind and start is not None
        if start is not None and not continues:
            entities.append((kind, start, i))
            start, kind = None, None
        if prefix == "B" or (prefix == "I" and not continues):
            start, kind = i, t
    return entities


def entity_scores(true_tags, pred_tags, tag_set=None):
    """Entity-level micro precision, recall and F1 over BIO-tagged sequences (CoNLL style).

    An entity counts as found only when its type and both boundaries match exactly.

    Args:
        true_tags: a list of tag sequences (lists of strings).
        pred_tags: the predicted tag sequences, each as long as its true one.
        tag_set: when given, the allowed tags; any other raises `ValueError` naming it.

    Returns:
        `{"precision", "recall", "f1", "true_entities", "pred_entities"}`.

    Example:
        >>> s = entity_scores([["B-PER", "I-PER", "O", "B-LOC"]], [["B-PER", "I-PER", "O", "O"]])
        >>> s["precision"], s["recall"], round(s["f1"], 4)
        (1.0, 0.5, 0.6667)
    """
    if len(true_tags) != len(pred_tags):
        raise ValueError(
            f"true_tags and pred_tags must hold as many sequences, got {len(true_tags)} and "
            f"{len(pred_tags)}."
        )
    found = n_true = n_pred = 0
    for i, (t, p) in enumerate(zip(true_tags, pred_tags, strict=True)):
        if len(t) != len(p):
            raise ValueError(
                f"sequence {i}: true_tags has {len(t)} tags but pred_tags has {len(p)}."
            )
        te, pe = set(bio_entities(t, tag_set)), set(bio_entities(p, tag_set))
        found += len(te & pe)
        n_true += len(te)
        n_pred += len(pe)
    precision = found / n_pred if n_pred else 0.0
    recall = found / n_true if n_true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "true_entities": n_true,
        "pred_entities": n_pred,
    }


def tagging_entity_scores(model, dataset, tags):
    """Entity precision/recall/F1 of a `tagging` model on batches of `(token ids, tag ids)`.

    Padding (token id 0; for a model on text, `text=True`, the id its vectorizer gives) is left
    out, and so are the steps whose tag id the model's loss skips
    (`zoo.losses.ignored_class`, e.g. -1 under `ignore_class=-1`: sub-word pieces after a
    word's first, say), from the true and the predicted tags alike; tag id `k` is `tags[k]`.
    Suits a recipe's `evaluate`.

    Args:
        model: a model with the `tagging` head (`(batch, T, len(tags))` probabilities).
        dataset: batches of `(token ids (batch, T), tag ids (batch, T))`, or of `(texts
            (batch,), tag ids (batch, T))` for a text model (built with `sequence_length=T`).
        tags: the tag of each class id, e.g. `["O", "B-PER", "I-PER"]`.

    Returns:
        `entity_scores`'s dict, keys prefixed with `entity_`.

    Example:
        >>> import numpy as np, tensorflow as tf, zoo
        >>> m = zoo.models.bidirectional(vocab_size=9, task="tagging", num_classes=3, units=4)
        >>> ds = tf.data.Dataset.from_tensors((np.array([[3, 4, 0]]), np.array([[1, 2, 0]])))
        >>> sorted(tagging_entity_scores(m, ds, ["O", "B-PER", "I-PER"]))[:2]
        ['entity_f1', 'entity_precision']
    """
    import numpy as np

    check_strings("tags", tags)
    tag_set = set(tags)
    if len(tag_set) != len(tags):
        twice = sorted({t for t in tags if tags.count(t) > 1})
        raise ValueError(f"tags must name each class once, got {twice!r} more than once.")
    for t in tags:
        _split_tag(t)
    if not hasattr(dataset, "element_spec"):
        raise TypeError(
            "dataset must be a tf.data.Dataset of batches of (token ids (batch, T), tag ids "
            f"(batch, T)), got {dataset!r:.80}."
        )
    if not isinstance(dataset.element_spec, tuple) or len(dataset.element_spec) != 2:
        raise ValueError(
            "dataset must yield (token ids, tag ids) pairs, got elements of spec "
            f"{dataset.element_spec!r:.120}."
        )

    inputs = getattr(model, "inputs", None)
    given = dataset.element_spec[0].shape
    if inputs and given.rank is not None and given.rank != len(inputs[0].shape):
        raise ValueError(
            f"dataset must yield batches the model takes, inputs of shape "
            f"{tuple(inputs[0].shape)}, got inputs of shape {tuple(given)}"
            + (": batch it first (dataset.batch(n))." if given.rank < len(inputs[0].shape) else ".")
        )

    def check_classes(num_classes):
        if num_classes is not None and num_classes != len(tags):
            raise ValueError(
                f"the model has {num_classes} classes but tags names {len(tags)} ({tags!r}): "
                "give one tag per class id, in class order."
            )

    def check_per_step(shape):
        if len(shape) != 3:
            raise ValueError(
                "model must have the tagging head, one distribution over the tags per step "
                f"(batch, T, {len(tags)}), got outputs of shape {tuple(shape)} (a sequence-level "
                "head: build it with task='tagging')."
            )

    try:
        output_shape = tuple(model.output_shape)
    except (AttributeError, ValueError, TypeError):  # a model not built yet
        output_shape = None
    if output_shape is not None:  # up front when known
        check_per_step(output_shape)
        check_classes(output_shape[-1] if isinstance(output_shape[-1], int) else None)
    ignored = ignored_class(getattr(model, "loss", None))
    true_tags, pred_tags = [], []
    for x, y in dataset:
        probs = np.asarray(model.predict_on_batch(x))
        check_per_step(probs.shape)
        check_classes(probs.shape[-1])
        pred = np.argmax(probs, axis=-1)
        ids, y = np.asarray(x), np.asarray(y)
        if ids.dtype.kind in "OSU":  # a text model's texts: padding is its vectorizer's id 0
            layers = getattr(model, "layers", [])
            vectorizer = [la for la in layers if isinstance(la, keras.layers.TextVectorization)]
            ids = np.asarray(vectorizer[0](x))
        if y.shape != pred.shape:
            raise ValueError(
                f"dataset must yield one tag id per token: got tag ids of shape {y.shape} for "
                f"a batch the model tags as {pred.shape} (token ids of shape {ids.shape})."
            )
        for row_x, row_y, row_p in zip(ids, y, pred, strict=True):
            real = (row_x != 0) & (row_y != ignored)
            bad = sorted({int(k) for k in row_y[real] if not 0 <= k < len(tags)})
            if bad:
                skips = f"skips {ignored}" if ignored is not None else "skips no class"
                raise ValueError(
                    f"tag ids {bad} are outside the {len(tags)} tags {tags!r} (the model's loss "
                    f"{skips}: compile it with ignore_class=... to leave such steps out)."
                )
            true_tags.append([tags[k] for k in row_y[real]])
            pred_tags.append([tags[k] for k in row_p[real]])
    scores = entity_scores(true_tags, pred_tags, tag_set)
    return {f"entity_{k}": v for k, v in scores.items()}


def _jiwer():
    try:
        import jiwer
    except ImportError as err:
        raise ImportError(
            'The speech metrics need jiwer: pip install "rnn-zoo[speech]" (or pip install jiwer).'
        ) from err
    return jiwer


def _check_transcripts(references, hypotheses, unit):
    """Lists of strings, as many hypotheses as references, every reference non-empty."""
    if isinstance(references, str):
        references = [references]
    if isinstance(hypotheses, str):
        hypotheses = [hypotheses]
    references, hypotheses = list(references), list(hypotheses)
    if len(references) != len(hypotheses):
        raise ValueError(
            f"references and hypotheses must hold as many transcripts, got {len(references)} "
            f"and {len(hypotheses)}."
        )
    if not references:
        raise ValueError("no transcripts to score: the data holds no examples (an empty dataset?).")
    for name, texts in (("references", references), ("hypotheses", hypotheses)):
        for i, text in enumerate(texts):
            if not isinstance(text, str):
                raise TypeError(f"{name}[{i}] must be a string, got {text!r}.")
    for i, text in enumerate(references):
        if not text.strip():
            raise ValueError(
                f"references[{i}] is {text!r}: an error rate needs at least one reference "
                f"{unit} (hypotheses may be empty)."
            )
    return references, hypotheses


def character_error_rate(references, hypotheses):
    """Corpus character error rate: (substitutions + deletions + insertions) / reference chars.

    Edits and reference lengths are summed over the corpus before dividing, so long utterances
    weigh more (not a mean of per-utterance rates). Spaces count as characters; leading and
    trailing spaces are ignored (jiwer's defaults). Needs the `speech` extra (jiwer).

    Args:
        references: the true transcripts (strings, each with at least one character).
        hypotheses: the recognised transcripts, one per reference (may be empty).

    Returns:
        The rate as a float (above 1 when the hypotheses insert more than the references hold).

    Example:
        >>> character_error_rate(["abcdefghij"], ["abcdefgxij"])  # 1 substitution / 10 chars
        0.1
        >>> character_error_rate(["abcdefghij", "ab"], ["abcdefghij", ""])  # 2 deletions / 12
        0.16666666666666666
    """
    references, hypotheses = _check_transcripts(references, hypotheses, "character")
    return float(_jiwer().cer(references, hypotheses))


def word_error_rate(references, hypotheses):
    """Corpus word error rate: (substitutions + deletions + insertions) / reference words.

    Edits and reference lengths are summed over the corpus before dividing, so long utterances
    weigh more (not a mean of per-utterance rates). Words are split on any whitespace (tabs and
    newlines too: each run of whitespace is made one space before jiwer, which splits on spaces).
    Needs the `speech` extra (jiwer).

    Args:
        references: the true transcripts (strings, each with at least one word).
        hypotheses: the recognised transcripts, one per reference (may be empty).

    Returns:
        The rate as a float (above 1 when the hypotheses insert more than the references hold).

    Example:
        >>> word_error_rate(["one two three four"], ["one too three four"])
        0.25
        >>> word_error_rate(["one two three", "four"], ["one two three", ""])  # 1 deletion / 4
        0.25
        >>> word_error_rate(["one" + chr(9) + "two"], ["one two"])  # a tab splits words too
        0.0
    """
    references, hypotheses = _check_transcripts(references, hypotheses, "word")
    references, hypotheses = ([" ".join(t.split()) for t in ts] for ts in (references, hypotheses))
    return float(_jiwer().wer(references, hypotheses))
