"""The input checks of `zoo.models.seq2seq` (private helpers of `Seq2Seq`).

What the factory, the constructor, `fit`, `evaluate`, `predict`, the translation and the
scoring methods check before any work: their arguments, input dicts of ids (strings, keys other
than the inputs', ragged lists, ids outside a vocabulary), target ids against the inputs and
the loss, strings holding tokens outside a vocabulary, source id arrays, datasets of batches,
and a target longer than a limit (in tf.data too). Each raises `TypeError`/`ValueError` naming
the argument, the value and what is allowed.
"""

import numpy as np
import tensorflow as tf

from zoo import activations, heads
from zoo.models.base import _check_cudnn_path, check_uniform_stack
from zoo.models.vocabulary import PAD, Vocabulary
from zoo.validation import (
    check_batch_shape,
    check_bool,
    check_choice,
    check_class_id_shape,
    check_fraction,
    check_ids,
    check_positive_float,
    check_positive_int,
    check_seed,
    check_strings,
    check_weight_size,
    naming_failed_checks,
)

ATTENTIONS = ("bahdanau", "luong", None)
TARGET_SPECIALS = ("[START]", "[END]")
START, END = 2, 3  # the target vocabulary's ids of TARGET_SPECIALS (after padding and unknown)
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


def _naming_example_errors():
    """Raises a failed `make_seq2seq_examples` check in a dataset as a `ValueError` (one line)."""
    return naming_failed_checks(only=(_TOO_LONG,))


def _check_args(a, cells):
    """Validates the constructor arguments and returns the two vocabularies.

    Args:
        a: the constructor's arguments, a dict; its ints are made Python ints in place.
        cells: the names of the recurrent cells allowed.

    Returns:
        `(source, target)` `Vocabulary`s.
    """
    check_choice("split", a["split"], ("char", "whitespace"))
    source = Vocabulary(a["source_vocabulary"], split=a["split"], name="source_vocabulary")
    target = Vocabulary(
        a["target_vocabulary"], TARGET_SPECIALS, split=a["split"], name="target_vocabulary"
    )
    check_choice("cell", a["cell"], tuple(cells))
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
    check_choice("activation", a["activation"], activations.ACTIVATIONS)
    _check_cudnn_path(a["cell"], a["activation"], "sigmoid", 0.0)
    a["seed"] = check_seed(a["seed"])
    return source, target


def _check_factory_args(task, source_vocabulary, target_vocabulary, compile, clipnorm):
    """Validates the arguments of the `seq2seq` factory that are not the model's own."""
    check_choice("task", task, ("seq2seq",))
    if source_vocabulary is None or target_vocabulary is None:
        raise ValueError(
            "seq2seq needs source_vocabulary and target_vocabulary (lists of tokens, or strings "
            f"of characters), got {source_vocabulary!r} and {target_vocabulary!r}."
        )
    check_bool("compile", compile)
    if clipnorm is not None:
        check_positive_float("clipnorm", clipnorm)


def _check_x(x, name, vocabs, strings_hint=_FIT_STRINGS):
    """`x` as given, after a check for strings, keys other than the inputs' and bad ids.

    NumPy ids must be `(batch, steps)` arrays of ids in their vocabulary; tensors and
    datasets pass (reading them would consume them).

    Args:
        x: the model's inputs, `{"source": ids, "target_in": ids}` (a `(source, target_in)`
            pair comes back as that dict), or a dataset.
        name: the argument's name in messages.
        vocabs: the source and the target `Vocabulary`.
        strings_hint: what to do instead, for a message about strings given as `x`.
    """
    strings = (
        isinstance(x, str)
        or (isinstance(x, list | tuple) and len(x) and isinstance(x[0], str | bytes))
        or (isinstance(x, np.ndarray) and x.dtype.kind in "USO" and x.size > 0
            and isinstance(x.flat[0], str | bytes | np.str_ | np.bytes_))
    )  # fmt: skip
    if strings:
        raise TypeError(f"{name} must be {_INPUTS}, got strings: {strings_hint}")
    if isinstance(x, list | tuple):  # Keras reads a pair as (source, target_in): check them so
        if len(x) != 2:
            raise TypeError(
                f"{name} must be {_INPUTS} or a (source, target_in) pair, got a "
                f"{type(x).__name__} of {len(x)} items."
            )
        x = dict(zip(_INPUT_KEYS, x, strict=True))
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
        for key, vocab in zip(_INPUT_KEYS, vocabs, strict=True):
            x[key] = _id_array(f"{name}[{key!r}]", x[key], strings_hint)
            if isinstance(x[key], np.ndarray):
                check_ids(f"{name}[{key!r}]", x[key], vocab.size, "token ids")
                if x[key].ndim != 2:
                    raise ValueError(
                        f"{name}[{key!r}] must be ids of shape (batch, steps), got shape "
                        f"{x[key].shape}."
                    )
                check_batch_shape(f"{name}[{key!r}]", x[key].shape, (None, None), "token ids")
        source, target_in = (x[k] for k in _INPUT_KEYS)
        if all(isinstance(a, np.ndarray) for a in (source, target_in)) and len(source) != len(
            target_in
        ):  # (Keras broadcast a batch of one to the other's size, or failed in its adapter)
            raise ValueError(
                f"{name}['source'] holds {len(source)} sequences but {name}['target_in'] "
                f"{len(target_in)}: give one target_in row per source."
            )
    return x


def _id_array(name, ids, strings_hint=_FIT_STRINGS):
    """Nested lists of ids as an array (Keras takes arrays); anything else as it is.

    `strings_hint` says what to do instead, for a message about strings given as ids.
    """
    if not isinstance(ids, list | tuple):
        return ids
    if ids and isinstance(ids[0], str | bytes):
        raise TypeError(f"{name} must be ids, got strings ({ids[0]!r}, ...): {strings_hint}")
    try:
        return np.asarray(ids)
    except ValueError:
        raise ValueError(
            f"{name} is a ragged list of id lists; pad them to one length (0 pads), e.g. with "
            "model.encode_sources / encode_targets."
        ) from None


def _check_pair(x, y, x_name, y_name, vocabs, loss):
    """`(x, y)` checked (`_check_x`, then NumPy `y` against `x` and the loss).

    `y` is checked as target ids when the compiled loss reads ids (the factory's masked
    cross-entropy, a sparse one), its `ignore_class` allowed, and must have a step per step
    of `target_in`; under another loss (a user's recompile on one-hot rows, say) it passes.

    Args:
        x: the model's inputs (see `_check_x`).
        y: the `target_out` ids, or `None` (a dataset holds them).
        x_name: `x`'s name in messages.
        y_name: `y`'s name in messages.
        vocabs: the source and the target `Vocabulary`.
        loss: the compiled loss.

    Returns:
        `(x, y)`, `y` as `(batch, T)` ids where it was checked.
    """
    x = _check_x(x, x_name, vocabs)
    if y is None and (isinstance(x, dict) or hasattr(x, "shape")):
        raise ValueError(
            f"{y_name} is needed with {x_name} of arrays: target_out ids (batch, T), as "
            "t_in, t_out = model.encode_targets(targets) gives them (y = t_out); only a "
            "dataset of (inputs, target_out) pairs (make_seq2seq_examples) goes without y."
        )
    y = _id_array(y_name, y)
    if isinstance(y, np.ndarray) and heads.target_kind(loss) == "class_ids":
        size = vocabs[1].size
        check_ids(y_name, y, size, "target token ids", getattr(loss, "ignore_class", None))
        t_in = x.get("target_in") if isinstance(x, dict) else None
        shape = getattr(t_in, "shape", ())
        steps = int(shape[1]) if len(shape) == 2 and shape[1] is not None else None
        try:  # the shape (its ids were checked above)
            check_class_id_shape(y_name, y.shape, (None, steps, size))
        except ValueError as e:
            raise ValueError(
                f"{e} {y_name} is target_out, one id per step of {x_name}['target_in']: "
                "t_in, t_out = model.encode_targets(targets) gives both."
            ) from None
        y = y.reshape(y.shape[:2])
    return x, y


def _check_known(name, texts, vocab, by_id="translate_ids(model.encode_sources(sources))"):
    """Raises unless every token of the strings `texts` is in `vocab`.

    Args:
        name: `"sources"` or `"targets"`, the argument's name in messages.
        texts: the strings.
        vocab: their `Vocabulary`.
        by_id: the call that reads unknown source tokens as the unknown id instead.
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


def _check_scored_pairs(sources, targets, vocabs):
    """`sources`, integer tensors as NumPy ids, after `attention_scores`'s checks of the pairs.

    Args:
        sources: source strings, or source ids as an int NumPy array or tensor.
        targets: target strings, one per source.
        vocabs: the source and the target `Vocabulary`.
    """
    _check_known("targets", targets, vocabs[1])
    if tf.is_tensor(sources) and sources.dtype.is_integer:
        sources = sources.numpy()
    if not isinstance(sources, np.ndarray):
        by_id = "attention_scores(model.encode_sources(sources), targets)"
        _check_known("sources", sources, vocabs[0], by_id)
    if len(sources) != len(targets):
        raise ValueError(
            f"sources and targets must pair up one to one, got {len(sources)} sources and "
            f"{len(targets)} targets."
        )
    return sources


def _check_max_length(max_length, default):
    """`max_length` checked to be a positive int, or `default` when it is `None`."""
    return check_positive_int("max_length", default if max_length is None else max_length)


def _check_source_ids(source_ids, size, name="source_ids"):
    """`source_ids` as an int32 `(N, S >= 1)` array of ids in `[0, size)` (the source's)."""
    try:
        ids = np.asarray(source_ids)
    except ValueError:  # rows of different lengths
        raise ValueError(
            f"{name} must be an (N, S) array of ids, rows padded with 0 to one length "
            "(encode_sources(sources) pads them), got rows of different lengths."
        ) from None
    if ids.ndim != 2:
        raise ValueError(f"{name} must be an (N, S) array of ids, got shape {ids.shape}.")
    if ids.size and ids.dtype.kind not in "iu":
        raise TypeError(f"{name} must hold integer ids, got dtype {ids.dtype}.")
    bad = ids[(ids < 0) | (ids >= size)]
    if bad.size:
        raise ValueError(
            f"{name} must be ids in [0, {size}) (the source vocabulary's), got {bad[0]}."
        )
    if ids.shape[1] == 0:  # every source empty: one padded (masked) step
        ids = np.zeros((len(ids), 1), dtype="int32")
    return ids.astype("int32")


def _longest_target(target_out):
    """The most tokens (the end token not counted) of a row of `target_out` ids."""
    target_out = np.asarray(target_out)
    lengths = np.count_nonzero((target_out != PAD) & (target_out != END), axis=-1)
    return int(lengths.max(initial=0))


def _check_encoded_lengths(targets, ids, limit):
    """Raises unless each target's `ids` (`encode_targets`'s) are at most `limit` tokens."""
    for t, row in zip(targets, ids, strict=True):
        if len(row) > limit:
            raise ValueError(
                f"target {t!r} has {len(row)} tokens, more than the decoder's "
                f"max_target_length={limit}."
            )


def _check_longest(longest, limit, name):
    """Raises unless a target of `longest` tokens fits the decoding limit `name=limit`."""
    if longest > limit:
        raise ValueError(
            f"the data holds a target of {longest} tokens, more than {name}={limit}: "
            f"decoding stops after {limit} tokens, so that target could never be produced. "
            f"Build the model with max_target_length={longest} or more (a recipe: "
            f"--set max_target_length={longest})."
        )


def _batches(dataset, name):
    """Yields `(inputs, target_out)` of `dataset`, each checked to be a batch of id rows."""
    if not isinstance(dataset, tf.data.Dataset):
        raise TypeError(
            f"{name} takes a tf.data.Dataset of batches of ({{'source', 'target_in'}}, "
            f"target_out) ids (make_seq2seq_examples, then .batch), got {dataset!r:.80}."
        )
    with _naming_example_errors():
        yield from _checked_batches(dataset, name)


def _checked_batches(dataset, name):
    """Yields the `(inputs, target_out)` elements of `dataset`, raising at the first other."""
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
