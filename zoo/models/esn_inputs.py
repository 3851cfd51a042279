"""The checks of `zoo.models.esn` (private helpers of `EchoStateNetwork` and `free_run_nrmse`).

What the model checks before any work: its constructor's arguments (the readout's size for the
task, the reservoirs' sizes, `input_scaling`, `mask_value`, `dtype`); the data of `fit_readout`,
`fit`, `evaluate`, `predict`, `harvest` and `generate` (finite float arrays of
`(batch, timesteps, features)` with no sequence all padding, datasets' element shapes, targets
for the task, sample weights, the washout, the ridges and `validation_data`), and the arrays and
datasets `fit_readout` is fed batch by batch; and the series and start points of
`free_run_nrmse`. Each raises `TypeError`/`ValueError` naming the argument, the value and what
is allowed. The checks that depend on the model's configuration take the model (an
`EchoStateNetwork`) first.
"""

import collections.abc
import numbers

import keras
import numpy as np
import tensorflow as tf

from zoo import heads
from zoo.validation import (
    check_finite,
    check_nonnegative_float,
    check_nonnegative_int,
    check_positive_int,
    is_int,
    naming_arguments,
    sequence_weights,
)


# ---- constructor arguments -----------------------------------------------------------------------
def _dtype_name(dtype):
    """`dtype` by its name where Keras knows it (`np.float64`, `tf.float32`, ...), else as given."""
    if not isinstance(dtype, str):
        try:
            return keras.backend.standardize_dtype(dtype)
        except ValueError:
            pass  # (refused by name by the caller)
    return dtype


def _check_mask_value(mask_value):
    """Raises unless `mask_value` is `None` or a finite number (not a bool)."""
    if mask_value is not None and (
        isinstance(mask_value, bool)
        or not isinstance(mask_value, numbers.Real)
        or not np.isfinite(mask_value)
    ):
        raise TypeError(f"mask_value must be a finite number or None, got {mask_value!r}.")


def _check_outputs(task, num_classes, output_dim, features):
    """`(num_classes, output_dim, readout units)` for `task`, each argument checked.

    A classification readout has `num_classes` (>= 2) outputs and no `output_dim`; a
    regression readout has `output_dim` outputs (default: the input `features`) and no
    `num_classes`.
    """
    if task == "classification":
        if num_classes is None:
            raise ValueError("task='classification' needs num_classes (an int >= 2), got None.")
        num_classes = check_positive_int("num_classes", num_classes)
        if num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}.")
        if output_dim is not None:
            raise ValueError(
                f"output_dim is for regression tasks; a classification readout has "
                f"num_classes outputs. Got output_dim={output_dim!r}: leave it None."
            )
        return num_classes, output_dim, num_classes
    if num_classes is not None:
        raise ValueError(
            f"num_classes is for task='classification', got num_classes={num_classes!r} "
            f"with task={task!r}: set output_dim for a regression readout's size."
        )
    output_dim = check_positive_int("output_dim", output_dim, allow_none=True)
    return num_classes, output_dim, output_dim or features


def _layer_units(units, num_reservoirs):
    """Each reservoir's size: `units`, an int for all or a list with one per reservoir."""
    if isinstance(units, list | tuple):
        if len(units) != num_reservoirs:
            raise ValueError(
                f"units as a list needs one entry per reservoir (num_reservoirs="
                f"{num_reservoirs}), got {list(units)!r}."
            )
        return [check_positive_int(f"units[{i}]", u) for i, u in enumerate(units)]
    return [check_positive_int("units", units)] * num_reservoirs


def _check_input_scaling(input_scaling, features):
    """`input_scaling`, a scalar or one per input feature (a 1-D array comes back a list)."""
    if isinstance(input_scaling, np.ndarray) and input_scaling.ndim == 1:
        input_scaling = input_scaling.tolist()
    if isinstance(input_scaling, list | tuple) and len(input_scaling) != features:
        raise ValueError(
            f"input_scaling has {len(input_scaling)} entries but input_shape has "
            f"{features} feature{'s' if features != 1 else ''}: give one scale "
            "per feature, or a scalar."
        )
    return input_scaling


# ---- arrays and datasets -------------------------------------------------------------------------
def _as_float_array(name, value, shape="(batch, timesteps, features)"):
    """`value` as a finite float64 array; `shape` (what it should be) is quoted when it is None."""
    if value is None:
        raise TypeError(f"{name} must be a float array of shape {shape}, got None.")
    if np.iscomplexobj(value):  # (NumPy would drop the imaginary parts with a warning)
        dtype = np.asarray(value).dtype
        raise TypeError(f"{name} must hold real numbers, got complex values (dtype {dtype}).")
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError) as e:
        raise TypeError(f"{name} must be a float array, got {type(value).__name__}: {e}") from None
    check_finite(name, array)
    return array


def _check_not_all_padding(mask, name):
    """Raises if a sequence of `mask` (`(batch, timesteps)`, `False` at padding) is all padding."""
    counts = mask.sum(axis=1)
    if np.any(counts == 0):
        i = int(np.argmin(counts))
        raise ValueError(
            f"{name} holds a sequence with every step equal to mask_value (sequence {i} of its "
            "batch): it has nothing to read; drop empty sequences."
        )
    return counts


def _check_x(model, x, name="x"):
    """`x` as a finite float64 `(batch, timesteps, features)` array, not empty on either axis."""
    features = model._args["input_shape"][1]
    x = _as_float_array(name, x, f"(batch, timesteps, {features})")
    if x.ndim != 3 or x.shape[-1] != features:
        hint = f": for one sequence pass {name}[None]" if x.ndim == 2 else ""
        raise ValueError(
            f"{name} must be (batch, timesteps, {features}), got shape {x.shape}{hint}."
        )
    if x.shape[0] < 1:
        raise ValueError(f"{name} holds no sequences (batch size 0, shape {x.shape}).")
    if x.shape[1] < 1:
        raise ValueError(f"{name} has no time steps (shape {x.shape}).")
    steps = model._args["input_shape"][0]
    if steps is not None and x.shape[1] != steps:
        raise ValueError(
            f"{name} has {x.shape[1]} time steps, but the model was built for input_shape="
            f"{tuple(model._args['input_shape'])}: sequences of {steps} steps (build it with "
            f"input_shape=(None, {features}) for any length)."
        )
    return x


def _check_inputs(model, x, name="x"):
    """`predict`'s and `evaluate`'s `x`, checked as `harvest` checks arrays.

    Arrays and tensors come back as a float64 NumPy array: `(batch, timesteps, features)`,
    finite, and with `mask_value` no sequence all padding. A `tf.data.Dataset` comes back
    as given after a check of its elements' shape (when it is known); generators and
    `keras.utils.PyDataset`s pass unread.
    """
    features = model._args["input_shape"][1]
    if isinstance(x, tf.data.Dataset):
        spec = x.element_spec
        inputs = spec[0] if isinstance(spec, tuple) and spec else spec
        what = f"(batch, timesteps, {features}) batches, or (x, y) pairs of them"
        if not isinstance(inputs, tf.TensorSpec):
            raise TypeError(f"{name} as a dataset must yield {what}; its elements are {spec!r}.")
        shape = inputs.shape
        if shape.rank is not None and (shape.rank != 3 or shape[-1] not in (None, features)):
            hint = ": batch it (dataset.batch(32))" if shape.rank == 2 else ""
            raise ValueError(
                f"{name} as a dataset must yield {what}; its x elements have shape "
                f"{tuple(shape)}{hint}."
            )
        return x
    if isinstance(x, keras.utils.PyDataset | collections.abc.Iterator):
        return x
    x = _check_x(model, keras.ops.convert_to_numpy(x) if tf.is_tensor(x) else x, name)
    mask = model._mask(x)
    if mask is not None:  # as fit_readout and generate refuse it: nothing to read
        _check_not_all_padding(mask, name)
    return x


def _targets(model, y, batch, steps):
    """`y` checked for `batch` sequences of `steps` steps, as the closed-form fit reads it.

    Class ids (or one-hot rows) come back one-hot, `(batch, num_classes)`; values come back
    `(batch, timesteps, output_dim)` per step or `(batch, output_dim)` per sequence, float64.
    """
    task = model.task
    if task == "classification":
        y = np.asarray(y)
        classes = model._args["num_classes"]
        if y.dtype.kind not in "biuf":
            raise TypeError(
                f"y must hold class ids (ints) or one-hot rows, got dtype {y.dtype} (map "
                f"labels such as strings to ids 0..{classes - 1} first)."
            )
        if y.ndim == 2 and y.shape[1] == classes and classes > 1:
            check_finite("y", y.astype(np.float64))
            if not (np.all((y == 0) | (y == 1)) and np.all(y.sum(axis=1) == 1)):
                raise ValueError(
                    f"y as (batch, {classes}) must be one-hot: every row 0/1 with exactly "
                    "one 1 (soft labels are not class ids); pass class ids instead."
                )
            labels = np.argmax(y, axis=1)
        elif y.ndim == 1 or (y.ndim == 2 and y.shape[1] == 1):
            labels = y.reshape(-1)
        else:
            raise ValueError(
                f"y must be (batch,) class ids or (batch, {classes}) one-hot, got shape {y.shape}."
            )
        check_finite("y", labels.astype(np.float64))
        if np.any(labels != np.round(labels)) or labels.min() < 0 or labels.max() >= classes:
            raise ValueError(
                f"y must hold class ids in [0, {classes}), got values from {labels.min()} "
                f"to {labels.max()}."
            )
        if len(labels) != batch:
            raise ValueError(f"x and y batch sizes differ: {batch} vs {len(labels)}.")
        return np.eye(classes)[labels.astype(int)]
    y = _as_float_array("y", y)
    out = model.readout.units
    if task == "sequence_regression":
        if y.ndim == 2 and out == 1:
            y = y[..., None]
        if y.ndim != 3 or y.shape[0] != batch or y.shape[1] != steps or y.shape[2] != out:
            raise ValueError(
                f"y must be (batch, timesteps, {out}) matching x's ({batch}, {steps}, ...) "
                f"(x and y of different lengths or batch sizes), got shape {y.shape}."
            )
        return y
    if y.ndim == 1 and out == 1:
        y = y[:, None]
    if y.shape != (batch, out):
        raise ValueError(f"y must be (batch, {out}) with batch {batch}, got shape {y.shape}.")
    return y


def _check_y(model, x, y, x_name, y_name):
    """NumPy `y` for the checked array `x`, in the form the compiled loss reads.

    With the loss the factory compiles (sparse cross-entropy for classification, MSE or
    MAE otherwise) `y` is checked and converted as `fit_readout` does it (one-hot rows to
    class ids); with another loss (a user's recompile: categorical cross-entropy on
    one-hot or soft rows, an `ignore_class`) only its finiteness is checked.
    """
    if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
        return y
    kind = heads.target_kind(model.loss)
    own = "class_ids" if model.task == "classification" else "values"
    if kind != own or getattr(model.loss, "ignore_class", None) is not None:
        if y.dtype.kind in "fc":
            check_finite(y_name, y)
        return y
    with naming_arguments({"x": x_name, "y": y_name}):
        targets = _targets(model, y, len(x), x.shape[1])
    if model.task == "classification":  # one-hot from _targets; the loss reads class ids
        return targets.argmax(axis=-1)
    return targets


def _check_pair(model, x, y, x_name, y_name):
    """NumPy `(x, y)` checked for `fit`: `x` as `predict` checks it, `y` by `_check_y`."""
    if not isinstance(x, np.ndarray):
        return x, y
    x = _check_inputs(model, x, x_name)
    return x, _check_y(model, x, y, x_name, y_name)


def _check_weights(model, x, weight, name="sample_weight"):
    """NumPy weights for arrays `x`: one per sequence, or one per step (per-step task).

    One per sequence comes back `(batch, 1)`: it weighs each of its steps alike.
    """
    if isinstance(weight, np.ndarray | list | tuple) and isinstance(x, np.ndarray):
        weight = _as_float_array(name, weight, "(batch,) or (batch, timesteps)")
        per_step = model.task == "sequence_regression"
        return sequence_weights(name, weight, x.shape, per_step)
    return weight


def _check_washout(model, washout):
    """Raises unless `washout` is an int >= 0, and 0 for a task that pools the sequence."""
    if not is_int(washout) or washout < 0:
        raise ValueError(f"washout must be an int >= 0, got {washout!r}.")
    if washout and model.task != "sequence_regression":
        raise ValueError(
            f"washout applies to per-step tasks (sequence_regression); a {model.task} model "
            f"pools over the whole sequence, as predict does. Got washout={washout}."
        )


def _batches(model, x, y, batch_size, name="x"):
    """Yields `(x, y)` NumPy batches from arrays or a `tf.data.Dataset` of batches.

    `name` is the dataset's name in messages (`validation_data`); arrays' messages say x, y.
    """
    if y is None and hasattr(x, "as_numpy_iterator"):
        for element in x.as_numpy_iterator():
            if not isinstance(element, tuple | list) or len(element) != 2:
                items = f" of {len(element)} items" if isinstance(element, tuple | list) else ""
                raise ValueError(
                    f"{name} as a dataset must yield (inputs, targets) pairs, got an element of "
                    f"type {type(element).__name__}{items}."
                )
            xb, yb = element
            if np.ndim(xb) == 2:  # an unbatched dataset: one sequence per element
                xb, yb = np.asarray(xb)[None], np.asarray(yb)[None]
            yield xb, yb
        return
    if hasattr(x, "as_numpy_iterator"):
        raise ValueError(
            "x is a dataset, which yields its own targets: it must yield (x, y) pairs and y "
            f"must be None, got y of type {type(y).__name__}."
        )
    if y is None:
        raise ValueError("fit_readout needs y (the targets) with array x, got y=None.")
    x = _check_x(model, x)  # the whole array's shape, before it is cut into batches
    if np.ndim(y) == 0:
        raise ValueError(
            f"y must hold one target per sequence of x ({len(x)}), got a scalar {y!r}."
        )
    x_len, y_len = len(x), len(y)
    if x_len != y_len:
        raise ValueError(
            f"x and y must hold the same number of sequences, got x with {x_len} and y "
            f"with {y_len}."
        )
    # The whole array's targets, checked (and converted) once: an error names its shape.
    y = _targets(model, y, x_len, x.shape[1])
    for start in range(0, x_len, batch_size):
        yield x[start : start + batch_size], y[start : start + batch_size]


# ---- fit_readout, generate, free_run_nrmse -------------------------------------------------------
def _check_ridges(ridge):
    """`fit_readout`'s `ridge` (a float >= 0, or a non-empty list of them) as a list."""
    if isinstance(ridge, np.ndarray) and ridge.ndim == 0:
        ridge = ridge.item()
    if isinstance(ridge, list | tuple | np.ndarray):
        ridges = [check_nonnegative_float(f"ridge[{i}]", r) for i, r in enumerate(ridge)]
        if not ridges:
            raise ValueError("ridge as a list needs at least one value, got [].")
        return ridges
    return [check_nonnegative_float("ridge", ridge)]


def _check_validation_data(validation_data):
    """`fit_readout`'s `validation_data` as `(x_val, y_val)`, or `(dataset, None)`."""
    if isinstance(validation_data, tuple | list):
        if len(validation_data) != 2:
            raise ValueError(
                "validation_data must be (x_val, y_val) or a dataset of (x, y) batches, "
                f"got a {type(validation_data).__name__} of {len(validation_data)} items."
            )
        vx, vy = validation_data
        return vx, vy
    if hasattr(validation_data, "as_numpy_iterator"):
        return validation_data, None
    raise TypeError(
        "validation_data must be (x_val, y_val) or a dataset of (x, y) batches, got "
        f"{type(validation_data).__name__}."
    )


def _check_warmup(model, warmup):
    """`generate`'s `warmup` as a finite float64 `(batch, timesteps, features)` array.

    One sequence, `(timesteps, features)`, gains its batch axis.
    """
    features = model._args["input_shape"][1]
    warmup = _as_float_array("warmup", warmup, f"(batch, timesteps, {features})")
    if warmup.ndim == 2:
        warmup = warmup[None]
    if warmup.ndim != 3 or warmup.shape[-1] != features or warmup.shape[1] < 1:
        raise ValueError(
            f"warmup must be (batch, timesteps >= 1, {features}) (its feature size must equal "
            f"the model's output size {model.readout.units}), got shape {warmup.shape}."
        )
    if warmup.shape[0] < 1:
        raise ValueError(
            f"warmup holds no sequences (batch size 0, shape {warmup.shape}): give at least "
            "one warm-up sequence."
        )
    return warmup


def _check_series(series):
    """`free_run_nrmse`'s `series` as a 1-D float64 array that varies, and its std."""
    series = _as_float_array("series", series, "(timesteps,) or (timesteps, 1)")
    if series.ndim == 2 and series.shape[1] == 1:
        series = series[:, 0]
    if series.ndim != 1:
        raise ValueError(
            f"series must be one univariate series, (timesteps,) or (timesteps, 1), got shape "
            f"{series.shape}: score each column with its own model."
        )
    if not len(series):
        raise ValueError("series is empty (shape (0,)): give the series to forecast.")
    std = float(np.std(series))
    if std == 0:
        raise ValueError(
            f"series is constant (every value {float(series[0])!r}, std 0): the NRMSE divides "
            "by the series' std; score a series that varies."
        )
    return series, std


def _check_starts(starts, length, horizon, warmup):
    """`free_run_nrmse`'s `starts` as a list of ints, each leaving room for its runs.

    Each start needs `warmup` steps up to it and `horizon` after it in a series of `length`.
    """
    if (
        starts is None
        or isinstance(starts, str | bytes | numbers.Number)
        or not isinstance(starts, collections.abc.Iterable)
    ):
        raise TypeError(f"starts must be a list of int start indices, got {starts!r}.")
    starts = [check_nonnegative_int(f"starts[{i}]", n) for i, n in enumerate(starts)]
    if not starts:
        raise ValueError("starts must hold at least one start index, got none.")
    for n in starts:
        if not warmup - 1 <= n < length - horizon:
            raise ValueError(
                f"start {n} needs {warmup} warm-up steps before it and {horizon} after it in a "
                f"series of {length}."
            )
    return starts
