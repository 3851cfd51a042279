"""`esn`: Echo State Networks (Jaeger 2001): fixed random reservoirs and a closed-form readout.

The model is a `keras.Model` (a saved `.keras` file loads with `safe_mode=True`): the input, one or
more `zoo.layers.Reservoir` layers each feeding the next, and a linear readout over the input and
every reservoir's states. `fit_readout` fits the readout by ridge regression, with the states
harvested by the NumPy float64 fast path (`zoo.layers.reservoir.harvest`) and `XᵀX`, `XᵀY`
accumulated in float64 batch by batch; `predict` runs the Keras graph (teacher-forced); `generate`
feeds each prediction back as the next input. The closed-form fit's statistics live in
`zoo.models.esn_readout`, the checks of what the model is given in `zoo.models.esn_inputs`.
"""

import keras
import numpy as np
import tensorflow as tf

from zoo import losses
from zoo.layers import LastUnmaskedStep, Reservoir
from zoo.layers import reservoir as _reservoir
from zoo.models.base import check_input_shape, compile_model, seeded
from zoo.models.esn_inputs import (
    _check_input_scaling,
    _check_inputs,
    _check_mask_value,
    _check_outputs,
    _check_pair,
    _check_ridges,
    _check_series,
    _check_starts,
    _check_validation_data,
    _check_warmup,
    _check_washout,
    _check_weights,
    _check_x,
    _check_y,
    _dtype_name,
    _layer_units,
)
from zoo.models.esn_readout import (
    _features,
    _pool,
    _scores_after_washout,
    _solve,
    _statistics_and_ridge,
)
from zoo.models.recurrent_model import (
    BatchChecks,
    check_validation_data,
    checked_weights,
    dataset_targets,
)
from zoo.validation import (
    check_bool,
    check_choice,
    check_fraction,
    check_nonnegative_float,
    check_positive_int,
    check_seed,
)

TASKS = ("sequence_regression", "regression", "classification")
POOLINGS = ("last", "mean")
DTYPES = ("float64", "float32")
_FITTED_KEY = "readout_fitted"  # in the model's own entry of a saved file


@keras.saving.register_keras_serializable(package="zoo")
class EchoStateNetwork(BatchChecks, keras.Model):
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
        check_choice("task", task, TASKS)
        check_positive_int("num_reservoirs", num_reservoirs)
        check_choice("pooling", pooling, POOLINGS)
        if task == "sequence_regression" and pooling != "last":
            raise ValueError(
                f"pooling is for the per-sequence tasks (classification, regression); a "
                f"sequence_regression model reads every step. Got pooling={pooling!r}: leave "
                "it out."
            )
        dtype = check_choice("dtype", _dtype_name(dtype), DTYPES)
        check_bool("input_to_readout", input_to_readout)
        check_nonnegative_float("ridge", ridge)
        _check_mask_value(mask_value)
        num_classes, output_dim, outputs_n = _check_outputs(
            task, num_classes, output_dim, input_shape[1]
        )
        layer_units = _layer_units(units, num_reservoirs)
        if seed is None:  # drawn once and stored, so that the config rebuilds the same model
            seed = int(np.random.randint(0, 2**31 - 1 - 1000))
        check_seed(seed)
        input_scaling = _check_input_scaling(input_scaling, input_shape[1])

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

    def save_own_variables(self, store):
        """Keras's saving hook: also keeps whether the readout was fitted (`readout_fitted`).

        A fitted readout may be all zeros (targets all 0), which alone would read as unfitted.
        """
        super().save_own_variables(store)
        store[_FITTED_KEY] = np.array(self.readout_fitted)

    def load_own_variables(self, store):
        """Keras's loading hook: restores `readout_fitted` (files saved without it infer it)."""
        keys = list(store.keys())
        if _FITTED_KEY in keys:
            self._fitted = bool(np.asarray(store[_FITTED_KEY]))
        super().load_own_variables({k: store[k] for k in keys if k != _FITTED_KEY})

    # ---- the fast path ---------------------------------------------------------------------
    def _check_fitted(self, caller):
        """Raises unless the readout was fitted (or `fit` is running): it starts at all zeros."""
        if not (self._fitting or self.readout_fitted):
            raise ValueError(
                f"{caller} needs a fitted readout: call fit_readout (or fit) first; the readout "
                "starts at all zeros and would predict zeros."
            )

    def _mask(self, x):
        """`(batch, timesteps)`: `False` where every feature equals `mask_value`; or `None`."""
        value = self._args["mask_value"]
        if value is None:
            return None
        return np.any(x != value, axis=-1)

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
        x = _check_x(self, x)
        return _features(self, x, mask=self._mask(x))[0]

    # ---- closed-form readout -----------------------------------------------------------------
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
        _check_washout(self, washout)
        ridges = _check_ridges(self._args["ridge"] if ridge is None else ridge)
        check_positive_int("batch_size", batch_size)
        check_fraction("validation_split", validation_split)
        split = 0.0
        if len(ridges) > 1 and validation_data is None:
            split = validation_split
            if split == 0:
                raise ValueError(
                    "a list of ridges needs validation data: validation_split in (0, 1) or "
                    "validation_data, got validation_split=0."
                )
        validation = None
        if validation_data is not None:
            validation = _check_validation_data(validation_data)
        train, best, report = _statistics_and_ridge(
            self, x, y, validation, washout, ridges, split, batch_size
        )
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
        warmup = _check_warmup(self, warmup)
        self._check_fitted("generate")
        weights = [_reservoir.numpy_weights(r.cell) for r in self.reservoirs]
        w = keras.ops.convert_to_numpy(self.readout.kernel).astype(np.float64)
        b = keras.ops.convert_to_numpy(self.readout.bias).astype(np.float64)
        # Padded warm-up steps (mask_value) hold the state, so warm-ups of several lengths can
        # share a batch, padded at either end: each one's prediction is read at its last real step.
        mask = self._mask(warmup)
        feats, states = _features(self, warmup, weights=weights, mask=mask)
        y = _pool(feats, mask, "last", name="warmup") @ w + b
        out = np.empty((warmup.shape[0], steps, w.shape[1]))
        out[:, 0] = y
        for t in range(1, steps):
            feats, states = _features(self, y[:, None, :], states, weights)
            y = feats[:, -1] @ w + b
            out[:, t] = y
        return out

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
            TypeError: `x` is not an array, a tensor or a dataset of them, or holds complex
                numbers.

        Example:
            >>> import numpy as np, zoo
            >>> model = zoo.models.esn(units=20, seed=0)
            >>> s = np.sin(np.arange(200) * 0.2)[None, :, None]
            >>> _ = model.fit_readout(s[:, :-1], s[:, 1:], washout=20)
            >>> model.predict(np.zeros((2, 7, 1)), verbose=0).shape
            (2, 7, 1)
        """
        batch_size = check_positive_int("batch_size", batch_size, allow_none=True)
        x = _check_inputs(self, x)
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
            TypeError: `x` is not an array, a tensor or a dataset of them, or holds complex
                numbers.

        Example:
            >>> import numpy as np, zoo
            >>> model = zoo.models.esn(units=50, seed=0)
            >>> s = np.sin(np.arange(600) * 0.2)[None, :, None]
            >>> _ = model.fit_readout(s[:, :-1], s[:, 1:], washout=100)
            >>> after = model.evaluate(s[:, :-1], s[:, 1:], washout=100, verbose=0)
            >>> bool(after < model.evaluate(s[:, :-1], s[:, 1:], verbose=0))  # no transient
            True
        """
        _check_washout(self, washout)
        if not self._fitting:  # `fit` scores its validation data mid-training
            x = _check_inputs(self, x)
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
            y = _check_y(self, x, y, "x", "y")
            self._check_fitted("evaluate")
            kwargs = checked_weights(kwargs, x, self._check_weights)
        x = self._dataset_targets(x)
        batch_size = kwargs.get("batch_size")
        check_positive_int("batch_size", batch_size, allow_none=True)
        if washout:
            if args:
                raise TypeError("evaluate with washout takes its settings as keywords.")
            return _scores_after_washout(self, x, y, washout, kwargs)
        if isinstance(x, np.ndarray) and self._args["dtype"] == "float64" and not args:
            # Keras's array adapter would cast them to float32 (as in `predict`).
            weight = kwargs.pop("sample_weight", None)
            parts = (x, y) if weight is None else (x, y, weight)
            x, y = tf.data.Dataset.from_tensor_slices(parts).batch(batch_size or 32), None
            kwargs.pop("batch_size", None)
        return super().evaluate(x, y, *args, **kwargs)

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

    def _check_pair(self, x, y, x_name, y_name):
        """`(x, y)` checked as `fit` checks them (`esn_inputs._check_pair`).

        A method, as other zoo models' `_check_pair`: `zoo.inspect` looks it up by name.
        """
        return _check_pair(self, x, y, x_name, y_name)

    def _check_weights(self, x, weight, name="sample_weight"):
        """NumPy weights checked for inputs `x` (`esn_inputs._check_weights`)."""
        return _check_weights(self, x, weight, name)

    def _dataset_targets(self, data):
        """`data` with a dataset's targets in the shape NumPy ones take (`dataset_targets`)."""
        steps = (None,) if self.task == "sequence_regression" else ()
        return dataset_targets(data, self.loss, (None, *steps, self.readout.units))


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
    series, std = _check_series(series)
    horizon = check_positive_int("horizon", horizon)
    warmup = check_positive_int("warmup", warmup)
    starts = _check_starts(starts, len(series), horizon, warmup)
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
        input_shape: `(timesteps or None, features)`; a fixed `timesteps` is the length
            `fit_readout`, `harvest`, `predict` and `evaluate` take (`generate`'s warm-up may
            be any length).
        task: `sequence_regression` (one output per step: forecasting, generation),
            `regression` (one output per sequence) or `classification` (one of `num_classes`
            per sequence; the readout gives logits, fitted in closed form on one-hot targets).
        num_classes: classes for `classification`.
        output_dim: outputs per step or sequence for the real-valued tasks (default: the number
            of input features, as generation needs).
        units: reservoir size (an int, or a list with one int per reservoir).
        num_reservoirs: reservoirs in the stack, each fed by the one before (deep ESN); the
            readout reads all of them.
        spectral_radius: spectral radius of each recurrent matrix (realised to about 1e-5,
            relative).
        leak_rate: leak rate in (0, 1].
        input_scaling: input weight scale, a float or one per input feature (with
            `num_reservoirs > 1`, the deeper reservoirs, which read the previous one's states,
            take the mean of the per-feature scales).
        bias_scaling: bias scale.
        connectivity: recurrent density in (0, 1]; `None` is 10/units.
        input_connectivity: input weight density in (0, 1].
        input_distribution: input weights before scaling: `uniform` in [-1, 1], or `bernoulli`,
            +-1 (reservoirpy's default: at the same `input_scaling`, sqrt(3) times the drive).
        activation: reservoir activation: `tanh`, `sigmoid`, `relu`, `leaky_relu`,
            `hard_sigmoid`, `softsign` or `linear` (as `zoo.layers.Reservoir` takes them).
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
