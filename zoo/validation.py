"""Argument checks shared by every factory: errors name the argument, value and what is allowed."""

import contextlib
import difflib
import math
import numbers
import re

import numpy as np

MAX_WEIGHT_ENTRIES = 2**31 - 1


def suggest(value, allowed):
    """Returns ` Did you mean 'x'?` for the closest names in `allowed`, or an empty string.

    Case is ignored in the comparison (`"TANH"` is close to `"tanh"`); the names are given as
    `allowed` spells them.

    Example:
        >>> suggest("lstmm", ["lstm", "gru"])
        " Did you mean 'lstm'?"
        >>> suggest("ESN", ["esn", "gru"])
        " Did you mean 'esn'?"
    """
    names = {}
    for a in allowed:
        names.setdefault(str(a).lower(), str(a))
    matches = difflib.get_close_matches(str(value).lower(), list(names), n=2, cutoff=0.6)
    if not matches:
        return ""
    return " Did you mean " + " or ".join(repr(names[m]) for m in matches) + "?"


def check_keywords(function, kwargs, allowed):
    """Raises `TypeError` for a keyword argument of `function` not in `allowed`.

    The message names `function`, the argument and its value, and the closest allowed names
    (or all of them): Python's own error would name neither the factory nor a fix.

    Args:
        function: the function's name as its caller typed it, e.g. `"lstm"`.
        kwargs: the keyword arguments received.
        allowed: the keyword arguments `function` takes.

    Example:
        >>> check_keywords("lstm", {"units": 8}, ["units", "dropout"])
    """
    allowed = list(allowed)
    for key, value in kwargs.items():
        if key not in allowed:
            hint = suggest(key, allowed) or f" Its keyword arguments are {', '.join(allowed)}."
            raise TypeError(
                f"{function}() got an unexpected keyword argument {key!r} (= {value!r})." + hint
            )


def failed_check_message(error_message):
    r"""The message of the `tf.debugging.Assert` that failed in a TensorFlow error, or `None`.

    TensorFlow reports it as `assertion failed: [MESSAGE]` on one line of a longer message, its
    quotes escaped; this gives `MESSAGE` as written.

    Example:
        >>> failed_check_message("... assertion failed: [it\\'s ['x'] here]\n\t [[{{node A}}]]")
        "it's ['x'] here"
    """
    _, found, rest = error_message.partition("assertion failed: [")
    if not found:
        return None
    text = rest.split("\n", 1)[0].strip()
    text = text[:-1] if text.endswith("]") else text  # the bracket that closes the message
    return re.sub(r"\\(['\"\\])", r"\1", text)


@contextlib.contextmanager
def naming_failed_checks(error=ValueError, prefix="", only=None):
    """Re-raises a failed check in a `tf.data` pipeline as one line: `error(prefix + message)`.

    A `tf.debugging.Assert` in a dataset's map fails as a `tf.errors.InvalidArgumentError`
    whose message buries the check's own in TensorFlow's; this raises the check's message
    alone. Other errors pass unchanged, and so do failed checks whose message holds none of
    the phrases in `only` (when given).

    Args:
        error: the exception class to raise.
        prefix: text put before the check's message.
        only: phrases, one of which the message must hold to be re-raised (`None`: any).

    Example:
        >>> import tensorflow as tf
        >>> def check(i):
        ...     tf.debugging.Assert(i < 2, ["every i < 2"])
        ...     return i
        >>> ds = tf.data.Dataset.range(3).map(check)
        >>> with naming_failed_checks(prefix="dataset d: "):
        ...     _ = list(ds.as_numpy_iterator())
        Traceback (most recent call last):
        ...
        ValueError: dataset d: every i < 2
    """
    import tensorflow as tf  # (imported here: the checks of this module need no TensorFlow)

    try:
        yield
    except tf.errors.InvalidArgumentError as e:
        text = failed_check_message(e.message)
        if text is None or (only is not None and not any(phrase in text for phrase in only)):
            raise
        raise error(prefix + text) from None


def is_int(value):
    """Whether `value` is an int (Python's or NumPy's); bools are not ints here.

    Example:
        >>> is_int(3), is_int(True), is_int(3.0)
        (True, False, False)
    """
    return isinstance(value, numbers.Integral) and not isinstance(value, bool | np.bool_)


def check_weight_size(what, rows, cols, given):
    """Raises unless a `(rows, cols)` weight has at most `MAX_WEIGHT_ENTRIES` entries.

    rnn-zoo's limit for one weight (8 GiB in float32): a recurrent model past it is a typo
    (`units=10**6`), and building it would exhaust memory or hang in its initialiser (an
    orthogonal one factorises the whole matrix) rather than fail.

    Example:
        >>> check_weight_size("the embedding", 10_000, 64, "vocab_size=10000")
    """
    if rows * cols > MAX_WEIGHT_ENTRIES:
        raise ValueError(
            f"{given} gives {what} {rows} x {cols} = {rows * cols:,} entries "
            f"({rows * cols * 4 / 2**30:,.0f} GiB in float32), more than the {MAX_WEIGHT_ENTRIES:,}"
            " rnn-zoo allows in one weight (8 GiB): make it smaller."
        )


@contextlib.contextmanager
def naming_arguments(names, count=0):
    """Re-raises a `TypeError`/`ValueError` naming the arguments of `names` by their new names.

    For checks written about `x` and `y` that a caller runs on its own argument
    (`validation_data[0]`).

    Args:
        names: `{name in the message: name to say instead}`.
        count: how many mentions to rename, the first ones (0: all).

    Example:
        >>> with naming_arguments({"x": "validation_data[0]", "y": "validation_data[1]"}):
        ...     raise ValueError("x and y batch sizes differ: 2 vs 3.")
        Traceback (most recent call last):
        ...
        ValueError: validation_data[0] and validation_data[1] batch sizes differ: 2 vs 3.
    """
    pattern = r"\b(" + "|".join(map(re.escape, names)) + r")\b"
    try:
        yield
    except (TypeError, ValueError) as e:
        message = re.sub(pattern, lambda m: names[m.group()], str(e), count=count)
        raise type(e)(message) from None


def shown(value, limit=80):
    """`value` as a message quotes it: its repr, cut at `limit` characters, or an array's shape.

    Example:
        >>> shown(np.zeros((1, 300, 1)))  # (its 300 numbers would fill the screen)
        'an array of shape (1, 300, 1), dtype float64'
        >>> shown("adam"), shown(np.float32(2.5)), shown("x" * 100)[-5:]
        ("'adam'", 'np.float32(2.5)', 'xx...')
    """
    shape = getattr(value, "shape", None)
    if shape is not None and len(shape) > 0 and hasattr(value, "dtype"):
        dtype = getattr(value.dtype, "name", value.dtype)
        return f"an array of shape {tuple(shape)}, dtype {dtype}"
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def check_choice(name, value, allowed):
    """Raises `ValueError` unless `value` is one of `allowed`, suggesting close matches.

    Example:
        >>> check_choice("merge_mode", "concat", ("concat", "sum"))
        'concat'
    """
    if value not in allowed:
        raise ValueError(
            f"{name} must be one of {', '.join(map(repr, allowed))}, got {value!r}."
            + suggest(value, allowed)
        )
    return value


def check_positive_int(name, value, allow_none=False):
    """Raises unless `value` is a positive int (bools are not ints here).

    Example:
        >>> check_positive_int("units", 32)
        32
    """
    if value is None and allow_none:
        return value
    if not is_int(value):
        raise TypeError(
            f"{name} must be a positive int, got {shown(value)} ({type(value).__name__})."
        )
    if value <= 0:
        raise ValueError(f"{name} must be a positive int, got {value!r}.")
    return int(value)


def check_nonnegative_int(name, value):
    """Raises unless `value` is an int >= 0 (bools are not ints here).

    Example:
        >>> check_nonnegative_int("first_epoch", 0)
        0
    """
    if not is_int(value):
        raise TypeError(f"{name} must be an int >= 0, got {shown(value)} ({type(value).__name__}).")
    if value < 0:
        raise ValueError(f"{name} must be an int >= 0, got {value!r}.")
    return int(value)


def check_fraction(name, value, allow_zero=True):
    """Raises unless `0 <= value < 1` (dropout rates and the like), or `0 < value < 1`.

    Args:
        name: the argument's name, for the message.
        value: the value to check.
        allow_zero: whether 0 is allowed (`[0, 1)`); `False` asks for `(0, 1)`.

    Example:
        >>> check_fraction("dropout", 0.2)
        0.2
    """
    interval = "[0, 1)" if allow_zero else "(0, 1)"
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a float in {interval}, got {shown(value)}.")
    if not ((0 <= value if allow_zero else 0 < value) and value < 1):
        raise ValueError(f"{name} must be in {interval}, got {value!r}.")
    return float(value)


def check_positive_float(name, value):
    """Raises unless `value` is a finite real number > 0.

    Example:
        >>> check_positive_float("learning_rate", 1e-3)
        0.001
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite float > 0, got {shown(value)}.")
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be a finite float > 0, got {value!r}.")
    return float(value)


def check_nonnegative_float(name, value):
    """Raises unless `value` is a finite real number >= 0 (a scaling, a penalty, a weight).

    Example:
        >>> check_nonnegative_float("ridge", 0)
        0.0
    """
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a float >= 0, got {shown(value)}.")
    if not (math.isfinite(value) and value >= 0):
        raise ValueError(f"{name} must be a finite float >= 0, got {value!r}.")
    return float(value)


def check_range(name, value, positive=False, example=None):
    """Raises unless `value` is `None` or a `(low, high)` pair of numbers with `low <= high`.

    Args:
        name: the argument's name, for the message.
        value: the value to check.
        positive: also require `low > 0`.
        example: a valid pair quoted in the message, e.g. `(0.9, 1.1)`.

    Returns:
        `None`, or the pair as a tuple of floats.

    Example:
        >>> check_range("speed", [0.9, 1.1], positive=True)
        (0.9, 1.1)
    """
    if value is None:
        return None
    ok = (
        isinstance(value, list | tuple)
        and len(value) == 2
        and all(isinstance(v, numbers.Real) and not isinstance(v, bool) for v in value)
        and all(math.isfinite(v) for v in value)
        and value[0] <= value[1]
        and (not positive or value[0] > 0)
    )
    if not ok:
        bound = "0 < low <= high" if positive else "low <= high"
        hint = f", e.g. {example!r}" if example is not None else ""
        raise ValueError(
            f"{name} must be None or a (low, high) pair of finite numbers with {bound}{hint}; "
            f"got {value!r}."
        )
    return (float(value[0]), float(value[1]))


def check_bool(name, value):
    """Raises `TypeError` unless `value` is a bool.

    Example:
        >>> check_bool("residual", True)
        True
    """
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {shown(value)}.")
    return value


def check_strings(name, values):
    """Raises `TypeError` unless `values` is a list (or tuple) of strings; returns it.

    A bare string is refused: iterating it would read each character as a text.

    Example:
        >>> check_strings("texts", ["ab", "c"])
        ['ab', 'c']
    """
    if isinstance(values, str) or not isinstance(values, list | tuple):
        raise TypeError(f"{name} must be a list of strings, got {values!r}.")
    bad = [v for v in values if not isinstance(v, str)]
    if bad:
        raise TypeError(f"{name} must be a list of strings, got items {bad[:3]!r}.")
    return values


def check_flag_minimums(parser, args, minimums):
    """Calls `parser.error` for the first command-line flag below its minimum.

    Args:
        parser: the `argparse.ArgumentParser` that parsed `args`.
        args: its parsed arguments.
        minimums: `{dest: smallest allowed value}`; a flag left `None` (not given) passes.

    Example:
        >>> import argparse
        >>> p = argparse.ArgumentParser()
        >>> _ = p.add_argument("--rounds", type=int, default=2)
        >>> check_flag_minimums(p, p.parse_args([]), {"rounds": 1})
    """
    for dest, minimum in minimums.items():
        value = getattr(args, dest)
        if value is not None and value < minimum:
            parser.error(f"--{dest.replace('_', '-')} must be at least {minimum}, got {value}")


def check_seed(seed):
    """Raises unless `seed` is `None` or a non-negative int.

    Example:
        >>> check_seed(0)
        0
    """
    if seed is None:
        return None
    if not is_int(seed) or seed < 0:
        raise ValueError(f"seed must be a non-negative int or None, got {seed!r}.")
    return int(seed)


def _numeric(name, a, what, kinds="biuf"):
    """Raises `TypeError` unless the array `a` holds numbers of `kinds` (bools, ints, floats)."""
    if a.dtype.kind not in kinds:
        raise TypeError(f"{name} must hold {what}, got an array of dtype {a.dtype}.")


def check_finite(name, a):
    """Raises `ValueError` if the numeric array `a` holds NaN or inf (a NaN loss otherwise).

    Example:
        >>> import numpy as np
        >>> check_finite("x", np.zeros((2, 3))).shape
        (2, 3)
    """
    if a.dtype.kind in "fc" and not np.isfinite(a).all():
        where = tuple(int(i) for i in np.argwhere(~np.isfinite(a))[0])
        raise ValueError(
            f"{name} holds NaN or inf (first at index {where}: {a[where].item()!r}): the outputs "
            "(and in training the loss and weights) would turn NaN. Replace or drop them (pad "
            "with a finite value)."
        )
    return a


def check_features(name, a):
    """Raises unless the array `a` holds finite real numbers (bools count as 0 and 1).

    Complex numbers are refused (Keras would drop their imaginary part), and so are strings
    and other objects.

    Example:
        >>> import numpy as np
        >>> check_features("x", np.ones((2, 3), complex))
        Traceback (most recent call last):
        ...
        TypeError: x must hold real numbers (features), got an array of dtype complex128.
    """
    _numeric(name, a, "real numbers (features)")
    return check_finite(name, a)


def as_array(name, x):
    """A Python list as a NumPy array, to be checked as arrays are; anything else unchanged.

    Keras takes no lists (it fails with "Unrecognized data type", printing them whole).

    Example:
        >>> as_array("x", [[1, 2], [3, 4]]).shape
        (2, 2)
        >>> as_array("x", [[1, 2], [3]])
        Traceback (most recent call last):
        ...
        ValueError: x is a list of rows of different lengths: pad them to one length first.
    """
    if not isinstance(x, list):
        return x
    try:
        return np.asarray(x)
    except ValueError:  # (NumPy refuses a ragged list)
        raise ValueError(
            f"{name} is a list of rows of different lengths: pad them to one length first."
        ) from None


def check_batch_shape(name, shape, input_shape, what):
    """Raises unless an array of `shape` fits a model input of `input_shape` `(batch, T, ...)`.

    Its rank and fixed sizes after the time axis (of any length: `zoo.tbptt` checks a long
    series whole before it cuts it into windows), at least one example and one step:
    Keras fails on the others with "as_list() is not defined on an unknown TensorShape", an
    `UnboundLocalError` (no example to predict) or an error deep inside its graph (no step),
    and fits no example at all with a mere warning.

    Args:
        name: the argument's name in messages.
        shape: the array's shape.
        input_shape: the model input's shape, `(batch, T, ...)` (any size on the first two).
        what: what the array holds, in messages (`"token ids"`).

    Example:
        >>> check_batch_shape("x", (4,), (None, None), "token ids")
        Traceback (most recent call last):
        ...
        ValueError: x must be token ids of shape (batch, T), got shape (4,): for one sequence \
pass x[None].
    """
    shape, expected = tuple(shape), (None, None, *input_shape[2:])
    if shape and shape[0] == 0:
        raise ValueError(f"{name} holds no examples (shape {shape}): give at least one.")
    if not _fits(shape, expected):
        one = len(shape) == len(expected) - 1 and _fits((None, *shape), expected)
        hint = f": for one sequence pass {name}[None]." if one else "."
        raise ValueError(
            f"{name} must be {what} of shape {_shape_text(expected)}, got shape {shape}{hint}"
        )
    if len(shape) > 1 and shape[1] == 0:
        raise ValueError(f"{name} has no time steps (shape {shape}): give at least one.")


def check_ids(name, ids, size, what="ids", ignore=None, bools=False):
    """Raises unless the array `ids` holds whole numbers in `[0, size)` (token ids, class ids).

    Args:
        name: the argument's name in messages.
        ids: a NumPy array.
        size: how many ids there are.
        what: what the ids are, in messages.
        ignore: an id allowed outside `[0, size)`, or `None`: a loss's `ignore_class` (e.g.
            -1 on padding labels), which the loss skips.
        bools: whether a boolean array passes (as ids 0 and 1): class ids may be flags, token
            ids may not (a `False` would read as padding).

    Example:
        >>> import numpy as np
        >>> check_ids("x", np.array([[1, 2], [3, 0]]), 4).shape
        (2, 2)
    """
    what += "" if ignore is None else f" (or {ignore}, ignored)"
    _numeric(name, ids, f"{what} (whole numbers in [0, {size}))", "biuf" if bools else "iuf")
    check_finite(name, ids)
    if ids.dtype.kind == "f" and (ids != np.round(ids)).any():
        where = tuple(int(i) for i in np.argwhere(ids != np.round(ids))[0])
        raise ValueError(
            f"{name} must hold whole-number {what} in [0, {size}), got {ids[where].item()!r} at "
            f"index {where} (it would be cut to an int silently)."
        )
    if ids.size:
        bad = (ids < 0) | (ids >= size)
        if ignore is not None:
            bad &= ids != ignore
        if bad.any():
            where = tuple(int(i) for i in np.argwhere(bad)[0])
            low, high = ids.min().item(), ids.max().item()
            raise ValueError(
                f"{name} must hold {what} in [0, {size}), got {ids[where].item()!r} at index "
                f"{where} (values from {low!r} to {high!r})."
            )
    return ids


def sequence_weights(name, weight, x_shape=None, per_step=True):
    """A NumPy sample weight checked: one weight per sequence, or one per step (per-step output).

    One weight per sequence comes back as `(batch, 1)`, so that it weighs each step of its
    sequence alike (Keras would broadcast a `(batch,)` weight along time, or fail). Anything
    other than a NumPy array or a list (a tensor, say) passes unchanged; a list is checked and
    given back as an array.

    Args:
        name: the argument's name in messages.
        weight: the weights, or `None`.
        x_shape: the inputs' shape `(batch, T, ...)` when known, to check the weights against.
        per_step: whether the model gives one output per step.

    Example:
        >>> import numpy as np
        >>> sequence_weights("sample_weight", np.array([1.0, 2.0]), (2, 5, 3)).shape
        (2, 1)
        >>> sequence_weights("sample_weight", np.ones(3), (2, 5, 3))
        Traceback (most recent call last):
        ...
        ValueError: sample_weight must have shape (2,) or (2, 5) (one weight per sequence or per
        step) for x of shape (2, 5, 3), got shape (3,).
    """
    if isinstance(weight, list | tuple):  # (Keras fails on lists: "tuple index out of range")
        try:
            weight = np.asarray(weight)
        except ValueError:
            weight = np.asarray(weight, dtype=object)  # ragged: refused below
        if weight.dtype.kind not in "biuf":
            raise TypeError(
                f"{name} must be numbers, one per sequence (or a row per sequence, one per "
                f"step), got a list of {weight.dtype} values: {weight.tolist()!r:.80}."
            )
    if not isinstance(weight, np.ndarray):
        return weight
    check_finite(name, weight)
    negative = np.argwhere(weight < 0)
    if negative.size:
        where = tuple(int(i) for i in negative[0])
        raise ValueError(
            f"{name} must hold weights >= 0, got {weight[where].item()!r} at index {where} (a "
            "negative weight makes training raise that example's loss)."
        )
    if x_shape is not None and len(x_shape) >= 2:
        shapes = [tuple(x_shape[:1]), *([tuple(x_shape[:2])] if per_step else [])]
        given_back = (x_shape[0], 1)  # what this returns for one weight per sequence
        if weight.shape not in (*shapes, given_back):
            raise ValueError(
                f"{name} must have shape {' or '.join(map(str, shapes))} (one weight per "
                f"sequence{' or per step' if per_step else ''}) for x of shape "
                f"{tuple(x_shape)}, got shape {weight.shape}."
            )
    return weight[:, None] if per_step and weight.ndim == 1 else weight


def check_class_weight(class_weight, num_classes):
    """`class_weight` checked: `{class id in [0, num_classes): finite weight >= 0}`.

    Returns a weight for every class, 1.0 where none is given (as Keras reads a missing one),
    as floats. Keras would take a NaN or a negative weight silently, and an id out of range
    (for a dataset) fails deep in `tf.gather`.

    Example:
        >>> check_class_weight({1: 5}, 3)
        {0: 1.0, 1: 5.0, 2: 1.0}
        >>> check_class_weight({3: 1.0}, 3)
        Traceback (most recent call last):
        ...
        ValueError: class_weight must map class ids (ints in [0, 3)) to weights, got the key 3.
    """
    if not isinstance(class_weight, dict):
        raise TypeError(
            f"class_weight must be a dict {{class id: weight}}, got {class_weight!r:.80} "
            f"({type(class_weight).__name__})."
        )
    for key, value in class_weight.items():
        if not is_int(key) or not 0 <= key < num_classes:
            raise ValueError(
                f"class_weight must map class ids (ints in [0, {num_classes})) to weights, got "
                f"the key {key!r}."
            )
        number = isinstance(value, numbers.Real) and not isinstance(value, bool | np.bool_)
        if not (number and math.isfinite(value) and value >= 0):
            raise ValueError(
                f"class_weight[{key!r}] must be a finite number >= 0, got {value!r}: a NaN or "
                "inf weight turns the loss NaN, a negative one makes training raise it."
            )
    return {k: float(class_weight.get(k, 1.0)) for k in range(num_classes)}


def _shape_text(shape):
    """`(None, None, 3)` as `(batch, T, 3)`."""
    names = ["batch" if i == 0 else "T" if d is None else str(d) for i, d in enumerate(shape)]
    return "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"


def _fits(shape, expected):
    """Whether `shape` matches `expected` after the batch axis (`None` matches any size)."""
    return len(shape) == len(expected) and all(
        e is None or s == e for s, e in zip(shape[1:], expected[1:], strict=True)
    )


def check_class_id_shape(name, shape, output_shape):
    """Raises unless class ids of `shape` suit a model whose output is `output_shape`.

    The ids may have a trailing axis of 1; one-hot rows are named as such.

    Example:
        >>> check_class_id_shape("y", (8, 3), (None, 3))
        Traceback (most recent call last):
        ...
        ValueError: y must be class ids of shape (batch,) for a model whose output is (batch, 3) \
(sparse cross-entropy over 3 classes), got shape (8, 3). It looks one-hot: give class ids, \
y.argmax(-1).
    """
    classes, expected = output_shape[-1], tuple(output_shape[:-1])
    if not (_fits(shape, expected) or _fits(shape, expected + (1,))):
        hint = ""
        if _fits(shape, tuple(output_shape)) and classes > 1:
            hint = " It looks one-hot: give class ids, y.argmax(-1)."
        raise ValueError(
            f"{name} must be class ids of shape {_shape_text(expected)} for a model whose "
            f"output is {_shape_text(output_shape)} (sparse cross-entropy over {classes} "
            f"classes), got shape {tuple(shape)}.{hint}"
        )


def check_targets(name, y, kind, output_shape, ignore_class=None):
    """Raises unless the array `y` suits a model's output and loss; returns it in one shape.

    Args:
        name: the argument's name in messages (`"y"`, `"validation_data[1]"`).
        y: a NumPy array of targets.
        kind: what the loss reads: `"binary"` (probabilities' targets in [0, 1]), `"class_ids"`
            (sparse cross-entropy: whole numbers in `[0, classes)`), `"one_hot"` (categorical
            cross-entropy: rows of the output's shape), `"values"` (MSE, MAE: any finite
            numbers) or `None` (a loss this does not know: finite numbers only).
        output_shape: the model's output shape, `(None, ...)`, with any time axis filled in
            from the inputs where known.
        ignore_class: a class id the loss skips (`SparseCategoricalCrossentropy(
            ignore_class=-1)`, padding labels), allowed beside `[0, classes)`.

    Returns:
        `y`, class ids without a trailing axis of 1 and other targets with the output's
        trailing axis of 1: the shape Keras then sees is the same whichever of the two a call
        gives (a model fitted on `(batch, T)` targets, then on `(batch, T, 1)`, failed with
        "Cannot take the length of shape with unknown rank").

    Example:
        >>> import numpy as np
        >>> check_targets("y", np.array([[0], [2], [1]]), "class_ids", (None, 3)).shape
        (3,)
    """
    _numeric(name, y, "numbers")
    check_finite(name, y)
    if kind is None:
        return y
    shape = y.shape
    if kind == "class_ids":
        classes = output_shape[-1]
        expected = tuple(output_shape[:-1])
        check_class_id_shape(name, shape, output_shape)
        try:
            check_ids(name, y, classes, "class ids", ignore_class, bools=True)
        except ValueError as e:
            if len(expected) < 2 or ignore_class is not None:
                raise
            # Per-step labels: padded steps' labels are read too (masked only afterwards).
            raise ValueError(
                f"{e} (If these are padded steps: they need a label in range too, any will do "
                "as their loss is masked out, e.g. 0; or compile the loss with ignore_class=-1.)"
            ) from None
        return y.reshape(shape[: len(expected)])
    if output_shape[-1] == 1:
        ok = _fits(shape, tuple(output_shape)) or _fits(shape, tuple(output_shape[:-1]))
        allowed = f"{_shape_text(output_shape)} or {_shape_text(output_shape[:-1])}"
    else:
        ok = _fits(shape, tuple(output_shape))
        allowed = _shape_text(output_shape)
    if not ok:
        hint = ""
        if kind == "one_hot" and _fits(shape, tuple(output_shape[:-1])):
            hint = (
                f": the loss (categorical cross-entropy) reads one-hot rows, and these are class "
                f"ids; give keras.utils.to_categorical({name}, {output_shape[-1]}), or leave the "
                "loss out for the head's own, which reads class ids"
            )
        raise ValueError(
            f"{name} must have the model's output shape, {allowed}, got shape {shape}{hint}."
        )
    if kind == "binary" and y.size and (y.min() < 0 or y.max() > 1):
        low, high = y.min().item(), y.max().item()
        raise ValueError(
            f"{name} must hold binary labels in [0, 1] (0/1, or soft labels between), got values "
            f"from {low!r} to {high!r}: for more than two classes build the model with "
            "task='classification', num_classes=..."
        )
    return y.reshape(*shape, 1) if len(shape) < len(output_shape) else y
