"""`esn`: Echo State Networks (Jaeger 2001): fixed random reservoirs and a closed-form readout.

The model is a `keras.Model` (a saved `.keras` file loads with `safe_mode=True`): the input, one or
more `zoo.layers.Reservoir` layers each feeding the next, and a linear readout over the input and
every reservoir's states. `fit_readout` fits the readout by ridge regression, with the states
harvested by the NumPy float64 fast path (`zoo.layers.reservoir.harvest`) and `XᵀX`, `XᵀY`
accumulated in float64 batch by batch; `predict` runs the Keras graph (teacher-forced); `generate`
feeds each prediction back as the next input.
"""

import collections.abc
import numbers
import re
import warnings

import keras
import numpy as np
import scipy.linalg
import tensorflow as tf

from zoo import heads, losses
from zoo.layers import LastUnmaskedStep, Reservoir
from zoo.layers import reservoir as _reservoir
from zoo.models.base import check_input_shape, compile_model, seeded
from zoo.models.recurrent_model import (
    check_validation_data,
    checked_weights,
    dataset_targets,
)
from zoo.validation import (
    check_bool,
    check_choice,
    check_finite,
    check_fraction,
    check_nonnegative_float,
    check_nonnegative_int,
    check_positive_int,
    check_seed,
    is_int,
    sequence_weights,
)

TASKS = ("sequence_regression", "regression", "classification")
POOLINGS = ("last", "mean")
DTYPES = ("float64", "float32")
_TIME_CHUNK = 2048  # steps harvested at once: long series fit in constant memory


def _as_float_array(name, value, shape="(batch, timesteps, features)"):
    """`value` as a finite float64 array; `shape` (what it should be) is quoted when it is None."""
    if value is None:
        raise TypeError(f"{name} must be a float array of shape {shape}, got None.")
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


def _solve(stats, ridge):
    """Ridge readout `(W, b)` from centred statistics: `(Cxx + ridge·I) W = Cxy`, `b = ȳ - x̄ W`.

    Centring (the bias is then not regularised) keeps the system far better conditioned than a
    column of ones would, which matters at ridges like 1e-10. Cholesky first: `cho_factor` and
    `cho_solve` are LAPACK's `potrf`/`potrs` alone, where `solve(assume_a="pos")` adds a condition
    estimate (level-2 triangular solves) that was measured at up to 10 times the factorisation on
    a busy machine with a multi-threaded BLAS.
    """
    reg = stats.cxx.copy()
    reg.flat[:: reg.shape[0] + 1] += ridge
    try:
        factor = scipy.linalg.cho_factor(reg, check_finite=False)
        w = scipy.linalg.cho_solve(factor, stats.cxy, check_finite=False)
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):  # not positive definite
        try:
            with warnings.catch_warnings():  # a tiny ridge is ill-conditioned by design
                warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
                w = scipy.linalg.solve(reg, stats.cxy, assume_a="sym", check_finite=False)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
            w = scipy.linalg.lstsq(reg, stats.cxy)[0]
    return w, stats.my - stats.mx @ w


def _pool(feats, mask, pooling, name="x"):
    """Per-sequence features: the `last` unmasked step's, or the `mean` over unmasked steps."""
    if mask is None:
        return feats[:, -1] if pooling == "last" else feats.mean(axis=1)
    counts = _check_not_all_padding(mask, name)
    if pooling == "mean":
        return np.einsum("btd,bt->bd", feats, mask.astype(feats.dtype)) / counts[:, None]
    last = feats.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
    return feats[np.arange(len(feats)), last]


class _Stats:
    """Row count, means and centred `XᵀX`, `XᵀY`, `tr(YᵀY)`, merged batch by batch in float64.

    Batches merge with Chan et al.'s pairwise update, so the sums never hold the large
    uncentred terms that cancel.
    """

    def __init__(self):
        self.rows = 0
        self.mx = self.my = self.cxx = self.cxy = None
        self.cyy = 0.0

    def add(self, features, targets, overwrite=False):
        """Adds rows; `overwrite=True` lets it centre `features` in place (no copy)."""
        if not len(features):
            return
        batch = _Stats()
        batch.rows = len(features)
        batch.mx, batch.my = features.mean(axis=0), targets.mean(axis=0)
        if overwrite:
            xc = features
            xc -= batch.mx
        else:
            xc = features - batch.mx
        yc = targets - batch.my
        batch.cxx, batch.cxy, batch.cyy = xc.T @ xc, xc.T @ yc, float(np.sum(yc * yc))
        self += batch

    def __iadd__(self, other):
        if other.rows == 0:
            return self
        if self.rows == 0:
            self.rows, self.cyy = other.rows, other.cyy
            self.mx, self.my = other.mx.copy(), other.my.copy()
            self.cxx, self.cxy = other.cxx.copy(), other.cxy.copy()
            return self
        n = self.rows + other.rows
        dx, dy = other.mx - self.mx, other.my - self.my
        f = self.rows * other.rows / n
        self.cxx = self.cxx + other.cxx + f * np.outer(dx, dx)
        self.cxy = self.cxy + other.cxy + f * np.outer(dx, dy)
        self.cyy = self.cyy + other.cyy + f * float(dy @ dy)
        self.mx = self.mx + dx * (other.rows / n)
        self.my = self.my + dy * (other.rows / n)
        self.rows = n
        return self

    def mse(self, w, b):
        """Mean squared error of the readout `x W + b` on the accumulated rows."""
        offset = self.my - self.mx @ w - b
        err = (
            self.cyy
            - 2 * np.sum(w * self.cxy)
            + np.sum(w * (self.cxx @ w))
            + self.rows * float(offset @ offset)
        )
        return max(float(err), 0.0) / (self.rows * w.shape[1])


@keras.saving.register_keras_serializable(package="zoo")
class EchoStateNetwork(keras.Model):
    """An Echo State Network: reservoirs in Keras, a readout fitted in closed form.

    Build it with `zoo.models.esn(...)` (which validates and compiles); the constructor takes the
    factory's model arguments (all but `optimizer`, `learning_rate`, `compile`).

    Example:
        >>> import numpy as np, zoo
        >>> model = zoo.models.esn(units=50, seed=0)
        >>> t = np.arange(600) * 0.1
        >>> series = np.sin(t)[None, :, None]
        >>> report = model.fit_readout(series[:, :-1], series[:, 1:], washout=50)
        >>> bool(report["train_mse"] < 1e-6)
        True
        >>> model.generate(5, warmup=series[:, :-1]).shape
        (1, 5, 1)
    """

    def __init__(
        self,
        input_shape=(None, 1),
        task="sequence_regression",
        num_classes=None,
        output_dim=None,
        units=500,
        num_reservoirs=1,
        spectral_radius=1.1,
        leak_rate=0.5,
        input_scaling=0.5,
        bias_scaling=0.2,
        connectivity=None,
        input_connectivity=1.0,
        input_distribution="uniform",
        activation="tanh",
        input_to_readout=True,
        pooling="last",
        mask_value=None,
        ridge=1e-9,
        dtype="float64",
        seed=None,
        name="esn",
        **kwargs,
    ):
        input_shape = check_input_shape(input_shape)
        if isinstance(input_scaling, np.ndarray) and input_scaling.ndim == 1:
            input_scaling = input_scaling.tolist()  # one float per input feature
        check_choice("task", task, TASKS)
        check_positive_int("num_reservoirs", num_reservoirs)
        check_choice("pooling", pooling, POOLINGS)
        if task == "sequence_regression" and pooling != "last":
            raise ValueError(
                f"pooling is for the per-sequence tasks (classification, regression); a "
                f"sequence_regression model reads every step. Got pooling={pooling!r}: leave "
                "it out."
            )
        if not isinstance(dtype, str):  # np.float64, tf.float32, ...: their names
            try:
                dtype = keras.backend.standardize_dtype(dtype)
            except ValueError:
                pass  # (refused by name just below)
        check_choice("dtype", dtype, DTYPES)
        check_bool("input_to_readout", input_to_readout)
        check_nonnegative_float("ridge", ridge)
        if mask_value is not None and (
            isinstance(mask_value, bool)
            or not isinstance(mask_value, numbers.Real)
            or not np.isfinite(mask_value)
        ):
            raise TypeError(f"mask_value must be a finite number or None, got {mask_value!r}.")
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
            outputs_n = num_classes
        else:
            if num_classes is not None:
                raise ValueError(
                    f"num_classes is for task='classification', got num_classes={num_classes!r} "
                    f"with task={task!r}: set output_dim for a regression readout's size."
                )
            output_dim = check_positive_int("output_dim", output_dim, allow_none=True)
            outputs_n = output_dim or input_shape[1]
        if isinstance(units, list | tuple):
            if len(units) != num_reservoirs:
                raise ValueError(
                    f"units as a list needs one entry per reservoir (num_reservoirs="
                    f"{num_reservoirs}), got {list(units)!r}."
                )
            layer_units = [check_positive_int(f"units[{i}]", u) for i, u in enumerate(units)]
        else:
            layer_units = [check_positive_int("units", units)] * num_reservoirs
        if seed is None:  # drawn once and stored, so that the config rebuilds the same model
            seed = int(np.random.randint(0, 2**31 - 1 - 1000))
        check_seed(seed)
        if isinstance(input_scaling, list | tuple) and len(input_scaling) != input_shape[1]:
            raise ValueError(
                f"input_scaling has {len(input_scaling)} entries but input_shape has "
                f"{input_shape[1]} feature{'s' if input_shape[1] != 1 else ''}: give one scale "
                "per feature, or a scalar."
            )

        inputs = keras.Input(shape=input_shape, dtype=dtype, name="sequence")
        x = inputs
        if mask_value is not None:  # padded steps: every feature equal to mask_value
            x = keras.layers.Masking(mask_value=mask_value, dtype=dtype, name="masking")(x)
        features = [x] if input_to_readout else []
        for i, n in enumerate(layer_units):
            scaling = input_scaling
            if i > 0 and isinstance(input_scaling, list | tuple):
                scaling = float(np.mean(input_scaling))  # deeper reservoirs read states
            x = Reservoir(
                n,
                spectral_radius=spectral_radius,
                leak_rate=leak_rate,
                input_scaling=scaling,
                bias_scaling=bias_scaling,
                connectivity=connectivity,
                input_connectivity=input_connectivity,
                input_distribution=input_distribution,
                activation=activation,
                seed=seed if i == 0 else seeded(seed, 1000 + i),  # seed + 1000 i collided
                dtype=dtype,
                name=f"reservoir_{i}",
            )(x)
            features.append(x)
        z = (
            features[0]
            if len(features) == 1
            else keras.layers.Concatenate(name="states", dtype=dtype)(features)
        )
        if task != "sequence_regression":
            if pooling == "mean":  # over the unmasked steps only
                z = keras.layers.GlobalAveragePooling1D(name="pool", dtype=dtype)(z)
            elif mask_value is not None:
                z = LastUnmaskedStep(name="pool", dtype=dtype)(z)
            else:
                z = z[:, -1, :]
        readout = keras.layers.Dense(
            outputs_n, kernel_initializer="zeros", dtype=dtype, name="readout"
        )
        outputs = readout(z)
        super().__init__(inputs=inputs, outputs=outputs, name=name, **kwargs)
        self._args = dict(
            input_shape=input_shape,
            task=task,
            num_classes=num_classes,
            output_dim=output_dim,
            units=list(units) if isinstance(units, list | tuple) else units,
            num_reservoirs=num_reservoirs,
            spectral_radius=spectral_radius,
            leak_rate=leak_rate,
            input_scaling=list(input_scaling)
            if isinstance(input_scaling, list | tuple)
            else input_scaling,
            bias_scaling=bias_scaling,
            connectivity=connectivity,
            input_connectivity=input_connectivity,
            input_distribution=input_distribution,
            activation=activation,
            input_to_readout=input_to_readout,
            pooling=pooling,
            mask_value=None if mask_value is None else float(mask_value),
            ridge=ridge,
            dtype=dtype,
            seed=seed,
        )
        self.readout_report = None
        self._fitted = False  # set by fit_readout and fit (a fit may leave all zeros)
        self._fitting = False  # inside `fit`: its validation `evaluate` runs mid-training

    # ---- configuration -------------------------------------------------------------------
    def get_config(self):
        """Every constructor argument (a drawn seed included), for saving."""
        return {"name": self.name, **{k: v for k, v in self._args.items()}}

    @classmethod
    def from_config(cls, config):
        """Rebuilds the model from `get_config()` (the weights come from the saved file)."""
        config = dict(config)
        config["input_shape"] = tuple(config["input_shape"])
        if config.get("task") == "classification" and config.get("output_dim") is not None:
            config["output_dim"] = None  # saved before it was refused: it was ignored then
        if config.get("task") == "sequence_regression" and config.get("pooling") != "last":
            config["pooling"] = "last"  # likewise
        return cls(**config)

    @property
    def task(self):
        """The model's task: `sequence_regression`, `regression` or `classification`."""
        return self._args["task"]

    @property
    def reservoirs(self):
        """The `Reservoir` layers, input side first."""
        return [self.get_layer(f"reservoir_{i}") for i in range(self._args["num_reservoirs"])]

    @property
    def readout(self):
        """The linear readout (`keras.layers.Dense`)."""
        return self.get_layer("readout")

    @property
    def readout_fitted(self):
        """Whether the readout was fitted (`fit_readout` or `fit`): it starts at all zeros."""
        return self._fitted or any(
            np.any(keras.ops.convert_to_numpy(w) != 0) for w in self.readout.weights
        )

    # ---- the fast path ---------------------------------------------------------------------
    def _check_fitted(self, caller):
        """Raises unless the readout was fitted (or `fit` is running): it starts at all zeros."""
        if not (self._fitting or self.readout_fitted):
            raise ValueError(
                f"{caller} needs a fitted readout: call fit_readout (or fit) first; the readout "
                "starts at all zeros and would predict zeros."
            )

    def _check_x(self, x, name="x"):
        features = self._args["input_shape"][1]
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
        return x

    def _mask(self, x):
        """`(batch, timesteps)`: `False` where every feature equals `mask_value`; or `None`."""
        value = self._args["mask_value"]
        if value is None:
            return None
        return np.any(x != value, axis=-1)

    def _run(self, x, states=None, weights=None, mask=None):
        """Readout features of `x` (float64) and every reservoir's last state."""
        weights = weights or [_reservoir.numpy_weights(r.cell) for r in self.reservoirs]
        # Each reservoir writes its states straight into its columns of the feature array.
        first = x.shape[-1] if self._args["input_to_readout"] else 0
        widths = [r.units for r in self.reservoirs]
        feats = np.empty((*x.shape[:2], first + sum(widths)))
        feats[..., :first] = x[..., :first]
        if mask is not None and first:
            feats[~mask, :first] = 0.0  # as `keras.layers.Masking` gives the readout
        last, h, lo = [], x, first
        for i, r in enumerate(self.reservoirs):
            h0 = None if states is None else states[i]
            out = feats[..., lo : lo + widths[i]]
            h, s = _reservoir.harvest(r.cell, h, h0, weights[i], mask, out)
            last.append(s)
            lo += widths[i]
        return feats, last

    def harvest(self, x):
        """The readout's input features for `x`, computed by the NumPy float64 fast path.

        Args:
            x: `(batch, timesteps, features)`.

        Returns:
            `(batch, timesteps, D)` float64: the input (with `input_to_readout`) then each
            reservoir's states; what the Keras graph feeds the readout, before any pooling.
            With `mask_value`, a padded step holds the state before it.

        Example:
            >>> import numpy as np, zoo
            >>> zoo.models.esn(units=20, seed=0).harvest(np.zeros((2, 7, 1))).shape
            (2, 7, 21)
        """
        x = self._check_x(x)
        return self._run(x, mask=self._mask(x))[0]

    # ---- closed-form readout -----------------------------------------------------------------
    def _batches(self, x, y, batch_size):
        """Yields `(x, y)` NumPy batches from arrays or a `tf.data.Dataset` of batches."""
        if y is None and hasattr(x, "as_numpy_iterator"):
            for element in x.as_numpy_iterator():
                if not isinstance(element, tuple | list) or len(element) != 2:
                    raise ValueError(
                        "x as a dataset must yield (x, y) pairs, got an element of type "
                        f"{type(element).__name__}."
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
        x = self._check_x(x)  # the whole array's shape, before it is cut into batches
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
        y = self._targets(y, x_len, x.shape[1])
        for start in range(0, x_len, batch_size):
            yield x[start : start + batch_size], y[start : start + batch_size]

    def _targets(self, y, batch, steps):
        task = self.task
        if task == "classification":
            y = np.asarray(y)
            classes = self._args["num_classes"]
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
                    f"y must be (batch,) class ids or (batch, {classes}) one-hot, got shape "
                    f"{y.shape}."
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
        out = self.readout.units
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

    def _accumulate(self, xb, yb, washout, split, train, val, weights, seen, name="x"):
        """Adds a batch's rows to `train` and `val`; `seen[0]` counts the sequences so far."""
        xb = self._check_x(xb, name)
        batch, steps, _ = xb.shape
        yb = self._targets(yb, batch, steps)
        if washout >= steps:
            raise ValueError(
                f"washout must be smaller than the sequence length of {name} ({steps} steps), "
                f"got {washout}."
            )
        mask = self._mask(xb)
        if self.task != "sequence_regression":
            feats, _ = self._run(xb, weights=weights, mask=mask)
            pooled = _pool(feats, mask, self._args["pooling"])
            # Sequence i of the whole run validates when round((i + 1) split) steps up: a
            # share `split` of the sequences (rounded), spread evenly, whatever the batch size.
            i = seen[0] + np.arange(batch)
            to_val = np.floor((i + 1) * split + 0.5) > np.floor(i * split + 0.5)
            seen[0] += batch
            train.add(pooled[~to_val], yb[~to_val])
            val.add(pooled[to_val], yb[to_val])
            return
        if mask is not None:
            self._accumulate_masked(xb, yb, mask, washout, split, train, val, weights)
            return
        # The last `split` share of each sequence's kept steps validates the ridge choice.
        cut = steps - int(round((steps - washout) * split)) if split else steps
        states = None
        for t0 in range(0, steps, _TIME_CHUNK):
            t1 = min(steps, t0 + _TIME_CHUNK)
            feats, states = self._run(xb[:, t0:t1], states, weights)
            for stats, lo, hi in ((train, washout, cut), (val, cut, steps)):
                a, b = max(lo, t0), min(hi, t1)
                if a < b:
                    f = feats[:, a - t0 : b - t0].reshape(-1, feats.shape[-1])
                    # `feats` is not read again: its rows are centred in place
                    stats.add(f, yb[:, a:b].reshape(-1, yb.shape[-1]), overwrite=True)

    def _accumulate_masked(self, xb, yb, mask, washout, split, train, val, weights):
        """`_accumulate` for padded per-step data: padded steps give no rows.

        The washout and the validation share count each sequence's own (unmasked) steps.
        """
        valid = np.cumsum(mask, axis=1)  # 1-based index among the sequence's unmasked steps
        lengths = valid[:, -1:]
        cut = lengths - np.round((lengths - washout) * split).astype(int) if split else lengths
        keep_train = mask & (valid > washout) & (valid <= cut)
        keep_val = mask & (valid > cut)
        states = None
        for t0 in range(0, xb.shape[1], _TIME_CHUNK):
            t1 = min(xb.shape[1], t0 + _TIME_CHUNK)
            feats, states = self._run(xb[:, t0:t1], states, weights, mask[:, t0:t1])
            for stats, keep in ((train, keep_train), (val, keep_val)):
                k = keep[:, t0:t1]
                stats.add(feats[k], yb[:, t0:t1][k], overwrite=True)

    def _check_washout(self, washout):
        """Raises unless `washout` is an int >= 0, and 0 for a task that pools the sequence."""
        if not is_int(washout) or washout < 0:
            raise ValueError(f"washout must be an int >= 0, got {washout!r}.")
        if washout and self.task != "sequence_regression":
            raise ValueError(
                f"washout applies to per-step tasks (sequence_regression); a {self.task} model "
                f"pools over the whole sequence, as predict does. Got washout={washout}."
            )

    def fit_readout(
        self,
        x,
        y=None,
        *,
        washout=0,
        ridge=None,
        validation_split=0.2,
        validation_data=None,
        batch_size=32,
    ):
        """Fits the readout in closed form: ridge regression on the harvested states.

        The states are harvested in float64 (the NumPy fast path, equal to the Keras layers) and
        centred `XᵀX`, `XᵀY` accumulated in float64 batch by batch (and, within long sequences, 2048
        steps at a time), so long series fit in constant memory and a ridge of 1e-10 means
        something. The bias is not regularised. The system is solved with a symmetric
        (Cholesky) solver.

        Args:
            x: `(batch, timesteps, features)` inputs, or a `tf.data.Dataset` yielding
                `(x, y)` batches (each batch's sequences start from a zero state).
            y: targets: `(batch, timesteps, output_dim)` per step for `sequence_regression`
                (teacher forcing: for one-step forecasting, `y` is `x` shifted by one step),
                `(batch,)` class ids or one-hot rows (exactly one 1) for `classification`,
                `(batch, output_dim)` for `regression`.
            washout: initial steps of each sequence left out of the fit (the reservoir's
                transient); per-step tasks only. With `mask_value`, padded steps are left out
                too and `washout` counts each sequence's unpadded steps.
            ridge: the regularisation, a float >= 0 (default: the model's `ridge`), or a list:
                each value is scored on validation data (from the same harvest: the reservoir
                runs once) and the best one is used. The ridge used is kept as the model's
                (its config's `ridge`, the default of the next fit).
            validation_split: with a list of ridges and no `validation_data`: the share of the
                data that scores them (the last steps of each sequence for per-step tasks;
                otherwise that share of the sequences, rounded, spread evenly over the whole run
                whatever the batch size); the final fit uses all of it.
            validation_data: `(x_val, y_val)` arrays or a dataset, to score a list of ridges
                (or the one ridge: it is then reported too).
            batch_size: sequences harvested at once from array inputs.

        Returns:
            A report dict: `ridge` (the one used), `train_mse`, `rows`, and with a list of
            ridges or `validation_data` `validation_mse` (one per ridge). Also kept as
            `model.readout_report`.

        Example:
            >>> import numpy as np, zoo
            >>> model = zoo.models.esn(units=50, seed=0)
            >>> s = np.sin(np.arange(800) * 0.2)[None, :, None]
            >>> report = model.fit_readout(s[:, :-1], s[:, 1:], washout=100,
            ...                            ridge=[1e-9, 1e-6, 1e-3])
            >>> sorted(report["validation_mse"]) == [1e-9, 1e-6, 1e-3]
            True
        """
        self._check_washout(washout)
        ridge = self._args["ridge"] if ridge is None else ridge
        if isinstance(ridge, np.ndarray) and ridge.ndim == 0:
            ridge = ridge.item()
        if isinstance(ridge, list | tuple | np.ndarray):
            ridges = [check_nonnegative_float(f"ridge[{i}]", r) for i, r in enumerate(ridge)]
            if not ridges:
                raise ValueError("ridge as a list needs at least one value, got [].")
        else:
            ridges = [check_nonnegative_float("ridge", ridge)]
        search = len(ridges) > 1
        check_positive_int("batch_size", batch_size)
        check_fraction("validation_split", validation_split)
        split = 0.0
        if search and validation_data is None:
            split = validation_split
            if split == 0:
                raise ValueError(
                    "a list of ridges needs validation data: validation_split in (0, 1) or "
                    "validation_data, got validation_split=0."
                )
        if validation_data is not None:
            if isinstance(validation_data, tuple | list):
                if len(validation_data) != 2:
                    raise ValueError(
                        "validation_data must be (x_val, y_val) or a dataset of (x, y) batches, "
                        f"got a {type(validation_data).__name__} of {len(validation_data)} items."
                    )
                vx, vy = validation_data
            elif hasattr(validation_data, "as_numpy_iterator"):
                vx, vy = validation_data, None
            else:
                raise TypeError(
                    "validation_data must be (x_val, y_val) or a dataset of (x, y) batches, got "
                    f"{type(validation_data).__name__}."
                )
        weights = [_reservoir.numpy_weights(r.cell) for r in self.reservoirs]
        train, val = _Stats(), _Stats()
        seen = [0]
        for xb, yb in self._batches(x, y, batch_size):
            self._accumulate(xb, yb, washout, split, train, val, weights, seen)
        if validation_data is not None:
            for xb, yb in self._batches(vx, vy, batch_size):
                self._accumulate(
                    xb, yb, washout, 0.0, val, _Stats(), weights, [0], "validation_data[0]"
                )
        if train.rows == 0:
            held = f", or all held out by validation_split={split}" if split else ""
            raise ValueError(
                f"fit_readout got no training rows (empty x, or all washed out{held})."
            )
        report = {}
        if search:
            if val.rows == 0:
                raise ValueError(
                    f"the validation split is empty (validation_split={split} of "
                    f"{seen[0] or train.rows} {'sequences' if seen[0] else 'rows'}): raise "
                    "validation_split or pass validation_data."
                )
            scores = {r: val.mse(*_solve(train, r)) for r in ridges}
            best = min(scores, key=scores.get)
            report["validation_mse"] = scores
            if validation_data is None:
                train += val  # the final fit uses every row
        else:
            best = ridges[0]
            if validation_data is not None:
                report["validation_mse"] = {best: val.mse(*_solve(train, best))}
        self._args["ridge"] = best  # the config says which ridge fitted the readout
        w, b = _solve(train, best)
        kernel, bias = self.readout.kernel, self.readout.bias
        kernel.assign(w.astype(kernel.dtype))
        bias.assign(b.astype(bias.dtype))
        report.update(ridge=best, train_mse=train.mse(w, b), rows=train.rows)
        self.readout_report = report
        self._fitted = True
        return report

    # ---- free-running generation -------------------------------------------------------------
    def generate(self, steps, warmup):
        """Runs `warmup` through the reservoir, then feeds each prediction back for `steps` steps.

        Args:
            steps: how many steps to generate, a positive int.
            warmup: `(batch, timesteps, features)` (or `(timesteps, features)`), teacher-forced
                inputs; the model's output size must equal its input size.

        Returns:
            `(batch, steps, output_dim)` float64: the first is the prediction for the step right
            after the warm-up's last input, each next one computed from the previous.

        Example:
            >>> import numpy as np, zoo
            >>> model = zoo.models.esn(units=50, seed=0)
            >>> s = np.sin(np.arange(500) * 0.2)[None, :, None]
            >>> _ = model.fit_readout(s[:, :-1], s[:, 1:], washout=100)
            >>> model.generate(10, warmup=s[:, :300]).shape
            (1, 10, 1)
        """
        steps = check_positive_int("steps", steps)
        if self.task != "sequence_regression":
            raise ValueError(f"generate needs a sequence_regression model, this is {self.task}.")
        features = self._args["input_shape"][1]
        if self.readout.units != features:
            raise ValueError(
                f"generate feeds predictions back as inputs, so output_dim must equal the input "
                f"features; this model has output_dim={self.readout.units}, features={features}."
            )
        warmup = _as_float_array("warmup", warmup, f"(batch, timesteps, {features})")
        if warmup.ndim == 2:
            warmup = warmup[None]
        if warmup.ndim != 3 or warmup.shape[-1] != features or warmup.shape[1] < 1:
            raise ValueError(
                f"warmup must be (batch, timesteps >= 1, {features}) (its feature size must equal "
                f"the model's output size {self.readout.units}), got shape {warmup.shape}."
            )
        if warmup.shape[0] < 1:
            raise ValueError(
                f"warmup holds no sequences (batch size 0, shape {warmup.shape}): give at least "
                "one warm-up sequence."
            )
        self._check_fitted("generate")
        weights = [_reservoir.numpy_weights(r.cell) for r in self.reservoirs]
        w = keras.ops.convert_to_numpy(self.readout.kernel).astype(np.float64)
        b = keras.ops.convert_to_numpy(self.readout.bias).astype(np.float64)
        # Padded warm-up steps (mask_value) hold the state, so warm-ups of several lengths can
        # share a batch, padded at either end: each one's prediction is read at its last real step.
        mask = self._mask(warmup)
        feats, states = self._run(warmup, weights=weights, mask=mask)
        y = _pool(feats, mask, "last", name="warmup") @ w + b
        out = np.empty((warmup.shape[0], steps, w.shape[1]))
        out[:, 0] = y
        for t in range(1, steps):
            feats, states = self._run(y[:, None, :], states, weights)
            y = feats[:, -1] @ w + b
            out[:, t] = y
        return out

    def _check_inputs(self, x, name="x"):
        """`predict`'s and `evaluate`'s `x`, checked as `harvest` checks arrays.

        Arrays and tensors come back as a float64 NumPy array: `(batch, timesteps, features)`,
        finite, and with `mask_value` no sequence all padding. A `tf.data.Dataset` comes back
        as given after a check of its elements' shape (when it is known); generators and
        `keras.utils.PyDataset`s pass unread.
        """
        features = self._args["input_shape"][1]
        if isinstance(x, tf.data.Dataset):
            spec = x.element_spec
            inputs = spec[0] if isinstance(spec, tuple) and spec else spec
            what = f"(batch, timesteps, {features}) batches, or (x, y) pairs of them"
            if not isinstance(inputs, tf.TensorSpec):
                raise TypeError(
                    f"{name} as a dataset must yield {what}; its elements are {spec!r}."
                )
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
        x = self._check_x(keras.ops.convert_to_numpy(x) if tf.is_tensor(x) else x, name)
        mask = self._mask(x)
        if mask is not None:  # as fit_readout and generate refuse it: nothing to read
            _check_not_all_padding(mask, name)
        return x

    def predict(self, x, batch_size=None, verbose="auto", steps=None, callbacks=None):
        """`keras.Model.predict`, keeping float64 inputs in float64 for a float64 model.

        Keras casts NumPy float arrays to `floatx` (float32) before `predict`; a float64 ESN
        would then lose the precision its closed-form readout relies on, so arrays and tensors
        are fed through a `tf.data.Dataset` instead, which keeps their dtype. They are checked
        as `harvest` checks them: `(batch, timesteps, features)`, finite, and with `mask_value`
        no sequence all padding; a dataset's elements must have that shape.

        Raises:
            ValueError: the readout was never fitted (it would predict zeros), or `x` or
                `batch_size` is refused.
            TypeError: `x` is not an array, a tensor or a dataset of them.

        Example:
            >>> import numpy as np, zoo
            >>> model = zoo.models.esn(units=20, seed=0)
            >>> s = np.sin(np.arange(200) * 0.2)[None, :, None]
            >>> _ = model.fit_readout(s[:, :-1], s[:, 1:], washout=20)
            >>> model.predict(np.zeros((2, 7, 1)), verbose=0).shape
            (2, 7, 1)
        """
        batch_size = check_positive_int("batch_size", batch_size, allow_none=True)
        x = self._check_inputs(x)
        self._check_fitted("predict")
        if isinstance(x, np.ndarray) and self._args["dtype"] == "float64":
            x = tf.data.Dataset.from_tensor_slices(x).batch(batch_size or 32)
            batch_size = None
        return super().predict(
            x, batch_size=batch_size, verbose=verbose, steps=steps, callbacks=callbacks
        )

    def evaluate(self, x=None, y=None, *args, washout=0, **kwargs):
        """`keras.Model.evaluate`, refused before the readout is fitted (it would score zeros).

        `x` is checked as `predict` checks it, NumPy `x` and `y` as `fit` checks them (one-hot
        class rows taken as their ids). Every sequence starts from a zero state, so its first
        steps score the reservoir's transient; `washout` leaves them out, as `fit_readout` does.

        Args:
            x, y, *args, **kwargs: as `keras.Model.evaluate` takes them (`x` may be a dataset of
                `(x, y)` or `(x, y, sample_weight)` batches).
            washout: initial steps of each sequence left out of the loss and the metrics
                (per-step tasks only; with `mask_value`, counted in each sequence's unpadded
                steps): the scores are then over the steps kept, every kept step counting
                once (a `sample_weight` per sequence or per step weighs them as Keras does).

        Raises:
            ValueError: the readout was never fitted, `x` is refused, or a sequence has no step
                after the washout.

        Example:
            >>> import numpy as np, zoo
            >>> model = zoo.models.esn(units=50, seed=0)
            >>> s = np.sin(np.arange(600) * 0.2)[None, :, None]
            >>> _ = model.fit_readout(s[:, :-1], s[:, 1:], washout=100)
            >>> after = model.evaluate(s[:, :-1], s[:, 1:], washout=100, verbose=0)
            >>> bool(after < model.evaluate(s[:, :-1], s[:, 1:], verbose=0))  # no transient
            True
        """
        self._check_washout(washout)
        if not self._fitting:  # `fit` scores its validation data mid-training
            x = self._check_inputs(x)
            if isinstance(x, tf.data.Dataset):
                spec = x.element_spec
                no_y = not (isinstance(spec, tuple) and len(spec) in (2, 3))
            else:
                no_y = isinstance(x, np.ndarray) and y is None
            if no_y:
                raise ValueError(
                    "evaluate needs y, the targets of x (or x as a dataset of (x, y) or "
                    "(x, y, sample_weight) batches)."
                )
            y = self._check_y(x, y, "x", "y")
            self._check_fitted("evaluate")
            kwargs = checked_weights(kwargs, x, self._check_weights)
        x = self._dataset_targets(x)
        batch_size = kwargs.get("batch_size")
        check_positive_int("batch_size", batch_size, allow_none=True)
        if washout:
            if args:
                raise TypeError("evaluate with washout takes its settings as keywords.")
            return self._after_washout(x, y, washout, kwargs)
        if isinstance(x, np.ndarray) and self._args["dtype"] == "float64" and not args:
            # Keras's array adapter would cast them to float32 (as in `predict`).
            weight = kwargs.pop("sample_weight", None)
            parts = (x, y) if weight is None else (x, y, weight)
            x, y = tf.data.Dataset.from_tensor_slices(parts).batch(batch_size or 32), None
            kwargs.pop("batch_size", None)
        return super().evaluate(x, y, *args, **kwargs)

    def _check_weights(self, x, weight, name="sample_weight"):
        """NumPy weights for arrays `x`: one per sequence, or one per step (per-step task).

        One per sequence comes back `(batch, 1)`: it weighs each of its steps alike.
        """
        if isinstance(weight, np.ndarray | list | tuple) and isinstance(x, np.ndarray):
            weight = _as_float_array(name, weight, "(batch,) or (batch, timesteps)")
            per_step = self.task == "sequence_regression"
            return sequence_weights(name, weight, x.shape, per_step)
        return weight

    def _after_washout(self, x, y, washout, kwargs):
        """`evaluate`'s scores over the steps after each sequence's washout (see `evaluate`).

        Keras's evaluate cannot leave steps out of the metrics compiled as `metrics` (they read
        no sample weights), so the steps kept are predicted, gathered as rows, and scored by the
        compiled loss and metrics in one go.
        """
        kwargs = dict(kwargs)
        batch_size = kwargs.pop("batch_size", None) or 32  # (checked by `evaluate`)
        given = kwargs.pop("sample_weight", None)
        return_dict = kwargs.pop("return_dict", False)
        kwargs.pop("verbose", None)
        if kwargs:
            raise TypeError(
                f"evaluate with washout takes x, y, batch_size, sample_weight, verbose and "
                f"return_dict; got also {sorted(kwargs)}."
            )
        if isinstance(x, tf.data.Dataset):  # batch by batch (their lengths may differ)
            parts = (
                (xb, yb, *wb, self.predict(xb, verbose=0)) for xb, yb, *wb in x.as_numpy_iterator()
            )
        else:  # predicted in one call (one traced step)
            pred = self.predict(x, batch_size=batch_size, verbose=0)
            parts = [(x, y, pred) if given is None else (x, y, given, pred)]
        kept_y, kept_pred, kept_w = [], [], []
        for xb, yb, *wb, pred in parts:
            counted = self._mask(np.asarray(xb, dtype=np.float64))
            if counted is None:
                counted = np.ones(pred.shape[:2], bool)
            keep = counted & (np.cumsum(counted, axis=1) > washout)
            if not keep.any(axis=1).all():
                raise ValueError(
                    f"washout={washout} leaves a sequence no step to score: give washout "
                    f"smaller than every sequence's (unpadded) length."
                )
            kept_y.append(np.asarray(yb)[keep])
            kept_pred.append(pred[keep])
            if wb:  # the caller's weights: one per sequence or one per step
                weight = np.asarray(wb[0], dtype=np.float64)
                kept_w.append(np.broadcast_to(weight.reshape(len(xb), -1), keep.shape)[keep])
        y_kept, pred_kept = np.concatenate(kept_y), np.concatenate(kept_pred)
        weight = np.concatenate(kept_w) if kept_w else None
        self.reset_metrics()
        loss = self.compute_loss(y=y_kept, y_pred=pred_kept, sample_weight=weight, training=False)
        scores = self.compute_metrics(None, y_kept, pred_kept, weight)
        logs = {"loss": float(loss)}
        logs.update({name: float(v) for name, v in scores.items() if name != "loss"})
        if return_dict:
            return logs
        return logs["loss"] if len(logs) == 1 else list(logs.values())

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`: trains the readout by gradient descent (the reservoirs stay fixed).

        `fit_readout` is the closed-form (and usually better) alternative. After it the readout
        counts as fitted (`readout_fitted`). NumPy `x` and `y` (and `validation_data` of them)
        are checked as `fit_readout` checks them: finite, of matching shapes, class ids in
        range; one-hot class rows are taken as the ids they mark, as there.

        Example:
            >>> import numpy as np, zoo
            >>> model = zoo.models.esn(units=20, task="classification", num_classes=2, seed=0)
            >>> x = np.zeros((4, 10, 1))
            >>> model.fit(x, np.eye(2)[[0, 1, 1, 0]], epochs=1, verbose=0).epoch
            [0]
            >>> model.fit(x, np.array([0, 1, 2, 0]), verbose=0)
            Traceback (most recent call last):
            ...
            ValueError: y must hold class ids in [0, 2), got values from 0 to 2.
        """
        x, y = self._check_pair(self._dataset_targets(x), y, "x", "y")
        kwargs = checked_weights(kwargs, x, self._check_weights)
        kwargs = check_validation_data(
            kwargs, self._check_pair, self._dataset_targets, self._check_weights
        )
        self._fitting = True
        try:
            history = super().fit(x, y, *args, **kwargs)
        finally:
            self._fitting = False
        self._fitted = True
        return history

    def _dataset_targets(self, data):
        """`data` with a dataset's targets in the shape NumPy ones take (`dataset_targets`)."""
        steps = (None,) if self.task == "sequence_regression" else ()
        return dataset_targets(data, self.loss, (None, *steps, self.readout.units))

    def _check_pair(self, x, y, x_name, y_name):
        """NumPy `(x, y)` checked for `fit`: `x` as `predict` checks it, `y` by `_check_y`."""
        if not isinstance(x, np.ndarray):
            return x, y
        x = self._check_inputs(x, x_name)
        return x, self._check_y(x, y, x_name, y_name)

    def _check_y(self, x, y, x_name, y_name):
        """NumPy `y` for the checked array `x`, in the form the compiled loss reads.

        With the loss the factory compiles (sparse cross-entropy for classification, MSE or
        MAE otherwise) `y` is checked and converted as `fit_readout` does it (one-hot rows to
        class ids); with another loss (a user's recompile: categorical cross-entropy on
        one-hot or soft rows, an `ignore_class`) only its finiteness is checked.
        """
        if not isinstance(x, np.ndarray) or not isinstance(y, np.ndarray):
            return y
        kind = heads.target_kind(self.loss)
        own = "class_ids" if self.task == "classification" else "values"
        if kind != own or getattr(self.loss, "ignore_class", None) is not None:
            if y.dtype.kind in "fc":
                check_finite(y_name, y)
            return y
        try:
            targets = self._targets(y, len(x), x.shape[1])
        except (TypeError, ValueError) as e:
            names = {"x": x_name, "y": y_name}
            raise type(e)(re.sub(r"\b[xy]\b", lambda m: names[m.group()], str(e))) from None
        if self.task == "classification":  # one-hot from _targets; the loss reads class ids
            return targets.argmax(axis=-1)
        return targets


def free_run_nrmse(model, series, starts, horizon=84, warmup=500):
    """NRMSE of free-running forecasts `horizon` steps ahead (Jaeger's NRMSE84), over start points.

    For each start `n`, the `warmup` steps ending at `series[n]` are fed teacher-forced, then the
    model runs free; its prediction of `series[n + horizon]` is compared with the truth.
    NRMSE = sqrt(mean over starts of the squared error) / std(series).

    Args:
        model: a fitted `EchoStateNetwork` on a univariate `sequence_regression` task.
        series: the 1-D series (or `(T, 1)`), finite and not constant (its std scales the
            error); one series only: a multivariate one is refused.
        starts: a list of int start indices `n` (each needs
            `warmup - 1 <= n < len(series) - horizon`).
        horizon: steps ahead (84 in Jaeger 2001).
        warmup: teacher-forced steps before each free run.

    Returns:
        The NRMSE, a float.

    Raises:
        ValueError: `series` is constant, empty or multivariate, or a start leaves too few steps.
        TypeError: `series` is not a float array, or `starts` not a list of ints.

    Example:
        >>> import numpy as np, zoo
        >>> model = zoo.models.esn(units=100, seed=0)
        >>> s = np.sin(np.arange(1200) * 0.2)
        >>> _ = model.fit_readout(s[None, :800, None], s[None, 1:801, None], washout=100)
        >>> bool(free_run_nrmse(model, s, [900, 1000], horizon=20, warmup=100) < 1e-3)
        True
    """
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
    horizon = check_positive_int("horizon", horizon)
    warmup = check_positive_int("warmup", warmup)
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
        if not warmup - 1 <= n < len(series) - horizon:
            raise ValueError(
                f"start {n} needs {warmup} warm-up steps before it and {horizon} after it in a "
                f"series of {len(series)}."
            )
    windows = np.stack([series[n - warmup + 1 : n + 1] for n in starts])[..., None]
    preds = model.generate(horizon, warmup=windows)[:, -1, 0]
    truth = series[np.asarray(starts) + horizon]
    return float(np.sqrt(np.mean((preds - truth) ** 2)) / std)


def esn(
    input_shape=(None, 1),
    task="sequence_regression",
    num_classes=None,
    output_dim=None,
    units=500,
    num_reservoirs=1,
    spectral_radius=1.1,
    leak_rate=0.5,
    input_scaling=0.5,
    bias_scaling=0.2,
    connectivity=None,
    input_connectivity=1.0,
    input_distribution="uniform",
    activation="tanh",
    input_to_readout=True,
    pooling="last",
    mask_value=None,
    ridge=1e-9,
    dtype="float64",
    optimizer="adam",
    learning_rate=1e-3,
    compile=True,
    seed=None,
    name="esn",
):
    """Builds an Echo State Network: fixed random reservoirs and a linear readout.

    Fit the readout in closed form with `model.fit_readout(x, y, washout=...)`, predict
    teacher-forced with `model.predict(x)`, forecast freely with `model.generate(steps, warmup)`.

    Args:
        input_shape: `(timesteps or None, features)`.
        task: `sequence_regression` (one output per step: forecasting, generation),
            `regression` (one output per sequence) or `classification` (one of `num_classes`
            per sequence; the readout gives logits, fitted in closed form on one-hot targets).
        num_classes: classes for `classification`.
        output_dim: outputs per step or sequence for the real-valued tasks (default: the number
            of input features, as generation needs).
        units: reservoir size (an int, or a list with one int per reservoir).
        num_reservoirs: reservoirs in the stack, each fed by the one before (deep ESN); the
            readout reads all of them.
        spectral_radius: spectral radius of each recurrent matrix (realised exactly).
        leak_rate: leak rate in (0, 1].
        input_scaling: input weight scale, a float or one per input feature.
        bias_scaling: bias scale.
        connectivity: recurrent density in (0, 1]; `None` is 10/units.
        input_connectivity: input weight density in (0, 1].
        input_distribution: input weights before scaling: `uniform` in [-1, 1], or `bernoulli`,
            +-1 (reservoirpy's default: at the same `input_scaling`, sqrt(3) times the drive).
        activation: reservoir activation: `tanh`, `sigmoid`, `relu` or `linear`.
        input_to_readout: feed the input to the readout beside the states.
        pooling: for the per-sequence tasks: the readout reads the `last` state or the `mean`.
        mask_value: `None`, or the padding value: time steps whose features all equal it are
            padding (`keras.layers.Masking`). A padded step holds the reservoir state, `last`
            reads each sequence's last unpadded step and `mean` averages its unpadded steps, so
            padding does not change a sequence's prediction; `fit_readout` leaves padded steps
            out (and counts `washout` in each sequence's own steps).
        ridge: the default regularisation of `fit_readout`.
        dtype: `float64` (default: what the closed-form fit and long free runs need) or
            `float32`.
        optimizer: optimizer for `fit` (gradient descent on the readout), name or instance.
        learning_rate: its learning rate.
        compile: `False` returns the model uncompiled.
        seed: seed of every reservoir draw (`None` draws one and stores it in the config).
        name: the model's name.

    Returns:
        An `EchoStateNetwork` (a `keras.Model`), compiled (MSE, or cross-entropy on logits for
        classification) unless `compile=False`.

    Example:
        >>> import zoo
        >>> model = zoo.models.esn(units=100, spectral_radius=0.95, leak_rate=0.3, seed=0)
        >>> model.output_shape
        (None, None, 1)
        >>> clf = zoo.models.esn(input_shape=(None, 3), task="classification", num_classes=4,
        ...                      units=30, pooling="mean", seed=0)
        >>> clf.output_shape
        (None, 4)
    """
    check_bool("compile", compile)
    model = EchoStateNetwork(
        input_shape=input_shape,
        task=task,
        num_classes=num_classes,
        output_dim=output_dim,
        units=units,
        num_reservoirs=num_reservoirs,
        spectral_radius=spectral_radius,
        leak_rate=leak_rate,
        input_scaling=input_scaling,
        bias_scaling=bias_scaling,
        connectivity=connectivity,
        input_connectivity=input_connectivity,
        input_distribution=input_distribution,
        activation=activation,
        input_to_readout=input_to_readout,
        pooling=pooling,
        mask_value=mask_value,
        ridge=ridge,
        dtype=dtype,
        seed=seed,
        name=name,
    )
    if compile:  # scored in the model's dtype (float32 losses lose a float64 fit's errors)
        if task == "classification":
            loss = keras.losses.SparseCategoricalCrossentropy(from_logits=True, dtype=dtype)
            metrics = ["accuracy"]
        else:
            loss = losses.MeanSquaredError(dtype=dtype)  # (its dtype saved, unlike Keras's)
            metrics = [keras.metrics.MeanAbsoluteError(name="mae", dtype=dtype)]
        compile_model(model, loss, metrics, optimizer, learning_rate, None, defaults=(1e-3, None))
    return model


def search_space(hp):
    """The tunable hyperparameters of `esn` (a keras-tuner `hp` in, factory arguments out).

    Example:
        >>> import keras_tuner
        >>> sorted(search_space(keras_tuner.HyperParameters()))
        ['input_scaling', 'leak_rate', 'ridge', 'spectral_radius', 'units']
    """
    return {
        "units": hp.Choice("units", [100, 300, 500, 1000]),
        "spectral_radius": hp.Float("spectral_radius", 0.5, 1.5, sampling="log"),
        "leak_rate": hp.Float("leak_rate", 0.05, 1.0, sampling="log"),
        "input_scaling": hp.Float("input_scaling", 0.05, 2.0, sampling="log"),
        "ridge": hp.Float("ridge", 1e-12, 1e-3, sampling="log"),
    }
