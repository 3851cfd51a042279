"""keras-tuner glue: a `HyperModel` from any registered factory and its search space.

`hypermodel(name, **fixed)` turns a registry row into a `keras_tuner.HyperModel`: `build(hp)`
calls the factory with the row's `search_space(hp)`, `fit(hp, model, ...)` tunes the batch size
(and, if asked, the epochs). `tune(recipe, ...)` is `rnnzoo tune`: it searches a recipe's
hyperparameters on the recipe's data with keras-tuner's random, Bayesian or Hyperband oracle,
resumably and, with `--role chief` / `--chief HOST:PORT --worker-id ID`, across processes with
keras-tuner's own chief/worker mode.
"""

import contextlib
import csv
import dataclasses
import inspect
import json
import os
import pathlib
import re
import shutil
import time

import keras_tuner
import tensorflow as tf

from zoo import registry
from zoo.data import batches
from zoo.validation import check_choice, check_positive_int, suggest

TUNERS = ("random", "bayesian", "hyperband")
BATCH_SIZES = (16, 32, 64, 128)
ROLES = ("chief", "worker")
_ENV = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")
_HP_METHODS = ("Boolean", "Choice", "Fixed", "Float", "Int")


class _Narrowed:
    """Wraps a keras-tuner `hp` so that the names in `fixed` return their fixed value untuned.

    A fixed argument is then absent from the search space instead of being tuned and ignored.
    Everything else (conditional scopes, values, ...) passes through to the real `hp`.
    """

    def __init__(self, hp, fixed):
        self._hp, self._fixed = hp, fixed

    def __getattr__(self, attr):
        method = getattr(self._hp, attr)
        if attr not in _HP_METHODS:
            return method

        def define(name, *args, **kwargs):
            if name in self._fixed:
                return self._fixed[name]
            return method(name, *args, **kwargs)

        return define


class ZooHyperModel(keras_tuner.HyperModel):
    """A registered model as a `keras_tuner.HyperModel` (build it with `hypermodel(...)`).

    Args:
        model: a registered model name.
        fixed: factory arguments held fixed (not tuned).
        space: `space(hp) -> {factory argument: value}` defining extra or narrower
            hyperparameters; it runs before the registry's search space, and keras-tuner keeps
            the first definition of a name, so a name defined here replaces the registry's range.
        batch_sizes: the batch sizes to try, or `None` not to tune the batch size.
        epochs: `(min, max)` to tune the number of epochs, or `None` (the `epochs` given to
            `fit` then count; Hyperband sets them itself, so leave this `None` with it).

    Example:
        >>> import keras_tuner
        >>> hm = ZooHyperModel("gru", {"input_shape": (None, 2), "task": "regression"})
        >>> hm.build(keras_tuner.HyperParameters()).output_shape
        (None, 1)
    """

    def __init__(self, model, fixed, space=None, batch_sizes=BATCH_SIZES, epochs=None):
        self.spec = registry.get(model)
        super().__init__(name=f"{model}_hypermodel")
        args = set(inspect.signature(self.spec.factory).parameters)
        for key in fixed:
            if key not in args:
                raise ValueError(
                    f"{key!r} is not an argument of model {model!r}, so it cannot be fixed or "
                    f"tuned (its arguments: {', '.join(sorted(args))})." + suggest(key, args)
                )
        if space is not None and not callable(space):
            raise TypeError(f"space must be a function of a keras-tuner hp, got {space!r}.")
        if batch_sizes is not None:
            if isinstance(batch_sizes, int | str) or not batch_sizes:
                raise ValueError(
                    f"batch_sizes must be a non-empty list of positive ints or None, "
                    f"got {batch_sizes!r}."
                )
            batch_sizes = [check_positive_int("batch_sizes", b) for b in batch_sizes]
        if epochs is not None:
            if not (isinstance(epochs, tuple | list) and len(epochs) == 2):
                raise ValueError(f"epochs must be (min, max) or None, got {epochs!r}.")
            lo, hi = (check_positive_int("epochs", e) for e in epochs)
            if lo > hi:
                raise ValueError(f"epochs must be (min, max) with min <= max, got {epochs!r}.")
            epochs = (lo, hi)
        self.model, self.fixed, self.space = model, dict(fixed), space
        self.batch_sizes, self.epochs = batch_sizes, epochs
        self.tuned_kwargs(keras_tuner.HyperParameters())  # a space naming no argument fails now

    def tuned_kwargs(self, hp):
        """The tuned factory arguments for `hp` (defining them in `hp` on first use).

        Example:
            >>> import keras_tuner
            >>> hm = hypermodel("gru", units=8)
            >>> "units" in hm.tuned_kwargs(keras_tuner.HyperParameters())
            False
        """
        narrowed = _Narrowed(hp, self.fixed)
        own = dict(self.space(narrowed)) if self.space is not None else {}
        kwargs = {**self.spec.search_space(narrowed), **own}
        args = set(inspect.signature(self.spec.factory).parameters)
        for key in kwargs:
            if key not in args:
                raise ValueError(
                    f"the search space of model {self.model!r} yields {key!r}, which is not an "
                    "argument of the model." + suggest(key, args)
                )
        return {k: v for k, v in kwargs.items() if k not in self.fixed}

    def fit_values(self, hp):
        """The tuned `fit` settings for `hp`: `batch_size` and `epochs` when they are tuned.

        Example:
            >>> import keras_tuner
            >>> hypermodel("gru", batch_sizes=[8]).fit_values(keras_tuner.HyperParameters())
            {'batch_size': 8}
        """
        narrowed, out = _Narrowed(hp, self.fixed), {}
        if self.batch_sizes:
            out["batch_size"] = narrowed.Choice("batch_size", self.batch_sizes)
        if self.epochs:
            out["epochs"] = narrowed.Int("epochs", *self.epochs)
        return out

    def declare_hyperparameters(self, hp):
        """Defines the whole search space in `hp` without building a model."""
        self.tuned_kwargs(hp)
        self.fit_values(hp)

    def build(self, hp):
        """Builds the model for the values in `hp` (the fixed arguments added)."""
        self.fit_values(hp)  # keras-tuner discovers the space by building
        return registry.build(self.model, **{**self.fixed, **self.tuned_kwargs(hp)})

    def fit(self, hp, model, x, *args, validation_data=None, epochs=1, batch_size=32, **kwargs):
        """Trains `model` with the tuned batch size and epochs.

        A `tf.data.Dataset` `x` (and `validation_data`) must hold single `(x, y)` examples: they
        are batched here with the tuned batch size (`zoo.data.batches`, shuffled each epoch).
        The returned history also holds `seconds`, the trial's training time, which then
        reaches the oracle with the trial's metrics.

        Returns:
            The `keras.callbacks.History` of `model.fit`.
        """
        tuned = self.fit_values(hp)
        batch_size, epochs = tuned.get("batch_size", batch_size), tuned.get("epochs", epochs)
        if isinstance(x, tf.data.Dataset):
            seed = self.fixed.get("seed")
            x = batches(x, batch_size, shuffle=True, seed=seed, cache=False)
            kwargs.setdefault("shuffle", False)  # shuffled by tf.data, reshuffled each epoch
            if isinstance(validation_data, tf.data.Dataset):
                validation_data = batches(validation_data, batch_size, cache=False)
        else:
            kwargs["batch_size"] = batch_size
        start = time.perf_counter()
        history = model.fit(x, *args, validation_data=validation_data, epochs=epochs, **kwargs)
        history.history["seconds"] = [time.perf_counter() - start] * len(history.epoch)
        return history


def hypermodel(name, *, space=None, batch_sizes=BATCH_SIZES, epochs=None, **fixed):
    """Returns a `keras_tuner.HyperModel` of registered model `name`.

    Args:
        name: a registered model name (`zoo.list_models()`).
        space: `space(hp) -> {factory argument: value}`, run before the registry's search
            space: narrows it (a name it defines wins) or extends it, without copying it.
        batch_sizes: batch sizes for `fit` to try, or `None` not to tune the batch size.
        epochs: `(min, max)` to tune the epochs too, or `None`.
        **fixed: factory arguments held fixed; a fixed argument is not tuned.

    Returns:
        A `ZooHyperModel`.

    Raises:
        ValueError: a fixed argument or a search-space entry is not an argument of the model.

    Example:
        >>> import keras_tuner
        >>> hm = hypermodel("gru", task="binary", vocab_size=100, units=8)
        >>> tuner = keras_tuner.RandomSearch(hm, objective="val_loss", max_trials=1,
        ...                                  directory="/tmp/hm_example", overwrite=True)
        >>> sorted(p.name for p in tuner.oracle.get_space().space)[:3]
        ['activation', 'batch_size', 'dropout']
    """
    return ZooHyperModel(name, fixed, space=space, batch_sizes=batch_sizes, epochs=epochs)


# ----------------------------------------------------------------------------------------------
# `rnnzoo tune`: a recipe's search, its outputs, resume, and keras-tuner's chief/worker mode.
# zoo.training is imported inside the functions: the library half above stays below it.


def parse_chief(value):
    """Splits `HOST:PORT` into `(host, port)`.

    Example:
        >>> parse_chief("127.0.0.1:8000")
        ('127.0.0.1', 8000)
    """
    match = re.fullmatch(r"(.+):(\d+)", str(value))
    if not match or not 0 < int(match.group(2)) < 65536:
        raise ValueError(f"--chief must be HOST:PORT (e.g. 10.0.0.1:8000), got {value!r}.")
    return match.group(1), int(match.group(2))


class RecipeHyperModel(ZooHyperModel):
    """A recipe's model as a `HyperModel` whose trials train exactly as `rnnzoo run` does.

    `fit` adapts a text model's vectorizer to the training texts, batches the raw `(x, y)`
    splits like `zoo.training.run` (the recipe's augmentation, its length buckets), adds the
    recipe's own callbacks and early stopping, and trains through the recipe's `fit` hook when
    it has one (e.g. an ESN's closed-form readout), else `model.fit`. The trial's metrics are
    what that training reports.

    Args:
        recipe: the (configured) `zoo.training.Recipe`.
        fixed: factory arguments held fixed.
        batch_sizes: the batch sizes to try, or `None` for the batch size given to `fit`.
        objective: the metric the search optimises: a trial whose training does not report it
            stops the search with an error naming what it does report.
        boundaries: length-bucket boundaries (`zoo.training.length_boundaries` of the training
            split, computed once for all trials), or `None`.
    """

    def __init__(self, recipe, fixed, batch_sizes=None, objective=None, boundaries=None):
        super().__init__(recipe.model, fixed, space=recipe.search_space, batch_sizes=batch_sizes)
        self.recipe, self.objective, self.boundaries = recipe, objective, boundaries

    def fit(self, hp, model, x, *args, validation_data=None, epochs=1, batch_size=32, **kwargs):
        """Trains `model` on `x` (single `(x, y)` examples) as `rnnzoo run` would.

        Returns:
            A `keras.callbacks.History` of what the training reported, plus `seconds`.
        """
        import keras

        from zoo import training

        if args:
            raise TypeError(f"the training data is one dataset of (x, y) examples, got {args!r}.")
        tuned = self.fit_values(hp)
        batch_size, epochs = tuned.get("batch_size", batch_size), tuned.get("epochs", epochs)
        recipe, seed, bounds = self.recipe, self.fixed.get("seed"), self.boundaries
        if self.fixed.get("text"):
            training.adapt_vectorizer(model, x)
        train_b = training.batched(
            recipe, x, batch_size, training=True, seed=seed, boundaries=bounds, cache=False
        )
        val_b = training.batched(
            recipe, validation_data, batch_size, boundaries=bounds, cache=False
        )
        extra = [keras.callbacks.TerminateOnNaN(), *kwargs.pop("callbacks", ())]
        callbacks = training.fit_callbacks(recipe, model, val_b, extra=extra)
        verbose, initial_epoch = kwargs.pop("verbose", "auto"), kwargs.pop("initial_epoch", 0)
        if kwargs:
            raise TypeError(f"unexpected fit arguments for a recipe's trial: {sorted(kwargs)}.")
        start = time.perf_counter()
        reported = training.fit_model(
            recipe, model, train_b, val_b, epochs, callbacks, verbose, initial_epoch
        )
        seconds = time.perf_counter() - start
        if self.objective is not None and self.objective not in reported:
            hook = "its fit hook" if recipe.fit is not None else "its training"
            raise keras_tuner.errors.FatalValueError(
                f"--objective must be a metric recipe {recipe.name!r} reports; {hook} reports "
                f"{', '.join(reported) or 'nothing'}, got {self.objective!r}."
                + suggest(self.objective, list(reported))
            )
        history = keras.callbacks.History()
        epochs_run = max(map(len, reported.values()), default=1)
        history.history = {**reported, "seconds": [seconds] * epochs_run}
        history.epoch = list(range(epochs_run))
        return history


def _distributed(role, chief, worker_id):
    """Checks the chief/worker options; returns `(role, host, port, keras-tuner tuner id)`."""
    if role is None and chief is None and worker_id is None:
        for key in _ENV:
            if key in os.environ:
                raise ValueError(
                    f"{key} is set in the environment, which would make keras-tuner run "
                    "distributed behind our back; unset it and use --role chief --chief "
                    "HOST:PORT or --chief HOST:PORT --worker-id ID."
                )
        return None, None, None, None
    if role is not None:
        check_choice("--role", role, ROLES)
    if chief is None:
        raise ValueError(
            f"--{'role ' + role if role else 'worker-id'} needs --chief HOST:PORT, the address "
            "the chief serves the oracle on."
        )
    host, port = parse_chief(chief)
    role = role or ("worker" if worker_id is not None else None)
    if role is None:
        raise ValueError(
            "--chief needs --role chief (the process serving the oracle) or --worker-id ID "
            "(a process running trials)."
        )
    if role == "chief":
        if worker_id is not None:
            raise ValueError(
                f"--worker-id is for workers, got --role chief --worker-id {worker_id}."
            )
        return role, host, port, "chief"
    if worker_id is None:
        raise ValueError("--role worker needs --worker-id ID, one per worker (e.g. tuner0).")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", str(worker_id)) or "chief" in str(worker_id):
        raise ValueError(
            "--worker-id must be letters, digits, '_', '-' or '.', without 'chief' (keras-tuner "
            f"takes such an id for the chief's), got {worker_id!r}."
        )
    return role, host, port, str(worker_id)


@contextlib.contextmanager
def _tuner_env(tuner_id, host, port):
    """Sets keras-tuner's distribution variables for the search, restoring them afterwards."""
    saved = {key: os.environ.get(key) for key in _ENV}
    if tuner_id is not None:
        os.environ["KERASTUNER_TUNER_ID"] = tuner_id
        os.environ["KERASTUNER_ORACLE_IP"] = host
        os.environ["KERASTUNER_ORACLE_PORT"] = str(port)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def wait_for_chief(host, port, timeout):
    """Waits up to `timeout` seconds for the chief's oracle service, else raises `RecipeError`.

    keras-tuner's own client waits up to an hour per call; a worker started against a wrong
    address or a dead chief should say so much sooner.

    Example:
        >>> wait_for_chief("127.0.0.1", 1, 0.1)  # doctest: +SKIP
    """
    import grpc

    from zoo.training import RecipeError

    channel = grpc.insecure_channel(f"{host}:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise RecipeError(
            f"no chief answered at {host}:{port} within {timeout:g} s (--chief-timeout); start "
            f"it first (`rnnzoo tune RECIPE --role chief --chief {host}:{port}`) and check the "
            "host, the port and the firewall."
        ) from None
    finally:
        channel.close()


def _metric_names(hm, val):
    """The names the objective may take: what the model reports, plain and `val_`."""
    import keras

    from zoo import training

    model, sample = hm.build(keras_tuner.HyperParameters()), val.take(2)
    if hm.fixed.get("text"):
        training.adapt_vectorizer(model, sample)
    scores = model.evaluate(batches(sample, 2, cache=False), return_dict=True, verbose=0)
    del model
    keras.backend.clear_session()
    return [*scores, *(f"val_{name}" for name in scores)]


def _signature(recipe, hm, **settings):
    """What a resumed search must share with the stored one: the space and how trials run."""
    hp = keras_tuner.HyperParameters()
    hm.declare_hyperparameters(hp)
    sig = {
        "recipe": recipe.name,
        "model": recipe.model,
        "dataset": recipe.dataset,
        **settings,
        "fixed": {k: v for k, v in hm.fixed.items() if k != "seed"},
        "space": [p.get_config() for p in hp.space],
    }
    return json.loads(json.dumps(sig, default=repr))


def _check_same_search(stored, now, out):
    """Raises `ValueError` naming what differs between a stored search and this command."""
    from zoo.training import RecipeError

    diffs = []
    for key in now:
        if key == "space":
            old = {p["name"]: p for p in stored.get("space", [])}
            new = {p["name"]: p for p in now["space"]}
            names = sorted(n for n in old.keys() | new.keys() if old.get(n) != new.get(n))
            if names:
                diffs.append("the search space (hyperparameters " + ", ".join(names) + ")")
        elif stored.get(key) != now[key]:
            diffs.append(f"{key} (stored {stored.get(key)!r}, now {now[key]!r})")
    if diffs:
        raise RecipeError(
            f"--output {out} holds a search that differs from this command in "
            + "; ".join(diffs)
            + ". Resuming would mix the two: repeat the original command, pass --overwrite to "
            "start afresh, or choose another --output."
        )


def _make_tuner(kind, hm, objective, direction, max_trials, max_epochs, factor, seed, out):
    common = dict(
        objective=keras_tuner.Objective(objective, direction),
        # keras-tuner's oracle takes a seed of 0 for none (`seed or random.randint(...)`), so
        # --seed 0, our default, would draw other trials on every run.
        seed=seed + 1 if seed >= 0 else seed,
        directory=str(out),
        project_name="search",
    )
    if kind == "random":
        return keras_tuner.RandomSearch(hm, max_trials=max_trials, **common)
    if kind == "bayesian":
        return keras_tuner.BayesianOptimization(hm, max_trials=max_trials, **common)
    return keras_tuner.Hyperband(hm, max_epochs=max_epochs, factor=factor, **common)


def _trial_key(trial_id):
    return (0, int(trial_id)) if str(trial_id).isdigit() else (1, str(trial_id))


def trial_rows(oracle, objective):
    """One dict per trial of `oracle`, in trial order: id, status, objective, seconds, values.

    Example:
        >>> import keras_tuner
        >>> trial_rows(keras_tuner.oracles.RandomSearchOracle(objective="val_loss"), "val_loss")
        []
    """
    rows = []
    for trial_id in sorted(oracle.trials, key=_trial_key):
        trial = oracle.trials[trial_id]
        seconds = None
        if trial.metrics.exists("seconds"):
            seconds = round(float(trial.metrics.get_last_value("seconds")), 3)
        rows.append(
            {
                "trial": trial_id,
                "status": trial.status,
                objective: trial.score,
                "seconds": seconds,
                **trial.hyperparameters.values,
            }
        )
    return rows


def _write_csv(rows, path):
    fields = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    return path


def plot_objective(rows, objective, direction, path, title=""):
    """Plots each finished trial's objective and the best so far, one point per trial.

    Example:
        >>> rows = [{"trial": "0", "val_loss": 0.3}, {"trial": "1", "val_loss": 0.2}]
        >>> plot_objective(rows, "val_loss", "min", "/tmp/objective.png")
        '/tmp/objective.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [(i + 1, r[objective]) for i, r in enumerate(rows) if r.get(objective) is not None]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    if done:
        xs, ys = zip(*done, strict=True)
        pick = min if direction == "min" else max
        best = [pick(ys[: i + 1]) for i in range(len(ys))]
        ax.plot(xs, ys, "o", label="trial")
        ax.step(xs, best, where="post", label=f"best so far ({direction})")
        ax.legend()
    ax.set_xlabel("trial")
    ax.set_ylabel(objective)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path


def _remove_outputs(out):
    for name in ("search", "best"):
        shutil.rmtree(out / name, ignore_errors=True)
    for name in ("tuning.json", "trials.csv", "best_hyperparameters.json", "objective.png"):
        (out / name).unlink(missing_ok=True)


def tune(
    recipe,
    *,
    tuner="random",
    max_trials=None,
    epochs=None,
    max_epochs=None,
    factor=None,
    objective=None,
    output=None,
    overwrite=False,
    retrain_best=False,
    overrides=None,
    data_dir=None,
    manual_dir=None,
    seed=0,
    role=None,
    chief=None,
    worker_id=None,
    chief_timeout=60.0,
    callbacks=None,
    verbose=2,
):
    """Searches `recipe`'s hyperparameters with keras-tuner on the recipe's data.

    Writes into `output`: `tuning.json` (what the search is, to check a resume against),
    `search/` (keras-tuner's project: one folder per trial), `trials.csv`,
    `best_hyperparameters.json`, `objective.png` and, with `retrain_best`, `best/` (a normal
    `zoo.training.run` of the best configuration). Re-running with the same `output` resumes:
    finished trials stay, an interrupted one runs again, the total stays `max_trials`.

    Args:
        recipe: a `zoo.training.Recipe`; its `search_space` narrows or extends the model's.
        tuner: `random`, `bayesian` or `hyperband`.
        max_trials: trials in all (random, bayesian; default 10).
        epochs: epochs per trial (random, bayesian; default the recipe's).
        max_epochs: Hyperband's most epochs for one model (default the recipe's epochs).
        factor: Hyperband's reduction factor (default 3).
        objective: the metric to optimise (default the recipe's `monitor`).
        output: the output folder (default `runs/<recipe>_tune`).
        overwrite: delete an earlier search in `output` and start afresh.
        retrain_best: retrain the best configuration with `zoo.training.run` into `output/best`.
        overrides: `{key: value}` like `--set`: a model argument set here is fixed, not tuned;
            `batch_size` fixes the batch size.
        data_dir: TFDS data folder.
        manual_dir: folder of manually downloaded dataset files.
        seed: seeds the oracle, the models and the shuffling.
        role: `chief` to serve the oracle to workers, `worker` (or `None` with `worker_id`) to
            run trials for a chief, `None` with no `chief` for a search in this process.
        chief: `HOST:PORT` of the chief's oracle service (keras-tuner's, unauthenticated).
        worker_id: this worker's id; a worker restarted with the same id resumes its trial.
        chief_timeout: seconds a worker waits for the chief to answer before giving up.
        callbacks: extra Keras callbacks for every trial's `fit`.
        verbose: 0 silent, 1 progress bars, 2 one line per epoch; keras-tuner's per-trial
            report shows unless 0.

    Returns:
        `{"best_hyperparameters", "best_score", "trials", "output"}`, plus `retrained` (the
        metrics of `best/`) with `retrain_best`; a worker, which writes no results, returns
        `None` for the first three.

    Example:
        >>> from recipes.adding_gru import RECIPE  # doctest: +SKIP
        >>> tune(RECIPE, max_trials=3, epochs=1, output="/tmp/adding_tune")  # doctest: +SKIP
    """
    from zoo import training

    check_choice("tuner", tuner, TUNERS)
    if tuner == "hyperband":
        if max_trials is not None:
            raise ValueError(
                f"--max-trials is not for hyperband, got {max_trials!r}: Hyperband decides "
                "how many trials to run from --max-epochs and --factor."
            )
        if epochs is not None:
            raise ValueError(
                f"--epochs is not for hyperband, got {epochs!r}: Hyperband sets each trial's "
                "epochs itself, up to --max-epochs."
            )
        factor = 3 if factor is None else factor
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 2:
            raise ValueError(f"--factor must be an int >= 2, got {factor!r}.")
    else:
        for flag, value in (("--max-epochs", max_epochs), ("--factor", factor)):
            if value is not None:
                raise ValueError(f"{flag} is for --tuner hyperband, got {value!r} with {tuner}.")
        max_trials = check_positive_int("max_trials", 10 if max_trials is None else max_trials)
    if isinstance(chief_timeout, bool) or not isinstance(chief_timeout, int | float):
        raise TypeError(f"chief_timeout must be seconds > 0, got {chief_timeout!r}.")
    if not chief_timeout > 0:
        raise ValueError(f"chief_timeout must be seconds > 0, got {chief_timeout!r}.")
    role, host, port, tuner_id = _distributed(role, chief, worker_id)
    if role == "worker" and (overwrite or retrain_best):
        flag = "--overwrite" if overwrite else "--retrain-best"
        raise ValueError(f"{flag} is for the chief, not a worker (--worker-id {worker_id}).")

    overrides = dict(overrides or {})
    configured, model_kwargs = training.configure(recipe, overrides)
    _, fixed_by_user = training.configure(dataclasses.replace(recipe, model_kwargs={}), overrides)
    if tuner == "hyperband":
        max_epochs = check_positive_int("max_epochs", max_epochs or configured.epochs)
    else:
        epochs = check_positive_int("epochs", epochs or configured.epochs)
    space = getattr(configured, "search_space", None)
    tunable = ZooHyperModel(recipe.model, {}, space=space, batch_sizes=None)
    tunable = set(tunable.tuned_kwargs(keras_tuner.HyperParameters()))
    fixed = {
        "task": recipe.task,
        "seed": seed,
        **{k: v for k, v in model_kwargs.items() if k not in tunable},
        **fixed_by_user,
    }
    # A recipe's own fit hook decides how the batches are used (a closed-form readout reads
    # them all whatever their size), so its batch size stays the recipe's.
    tune_batch = "batch_size" not in overrides and configured.fit is None
    batch_sizes = sorted({*BATCH_SIZES, configured.batch_size}) if tune_batch else None
    hm = RecipeHyperModel(configured, fixed, batch_sizes=batch_sizes)

    out = pathlib.Path(output or pathlib.Path("runs") / f"{recipe.name}_tune")
    if overwrite:
        _remove_outputs(out)
    with _tuner_env(tuner_id, host, port):
        if role == "worker":
            wait_for_chief(host, port, chief_timeout)
        train, val, _ = training.load_splits(configured, data_dir, manual_dir, seed)
        train, val = train.cache(), val.cache()  # decoded once, shared by every trial
        if configured.buckets:
            hm.boundaries = training.length_boundaries(train, configured.buckets)
        names = _metric_names(hm, val)
        objective = objective or configured.monitor
        # A fit or callbacks hook may report more than `evaluate` (e.g. `val_nrmse84`): then
        # the first trial checks the objective against what the training reports.
        hooked = configured.fit is not None or configured.callbacks is not None
        if objective not in names and not hooked:
            raise ValueError(
                f"--objective must be a metric recipe {recipe.name!r} reports: "
                f"{', '.join(names)}; got {objective!r}." + suggest(objective, names)
            )
        hm.objective = objective
        direction = training._mode(objective)
        sig = _signature(
            configured,
            hm,
            tuner=tuner,
            objective=objective,
            epochs=epochs,
            max_epochs=max_epochs,
            factor=factor,
            batch_size=None if tune_batch else configured.batch_size,
            buckets=configured.buckets,
        )
        sig_path = out / "tuning.json"
        fresh = not sig_path.exists()
        if sig_path.exists():
            _check_same_search(json.loads(sig_path.read_text()), sig, out)
        elif (out / "search" / "oracle.json").exists() and role != "worker":
            raise training.RecipeError(
                f"--output {out} holds a keras-tuner search without tuning.json, so it cannot "
                "be checked against this command; pass --overwrite or choose another --output."
            )
        if role != "worker":
            out.mkdir(parents=True, exist_ok=True)
            training._write_json(sig_path, sig)
        search = _make_tuner(
            tuner, hm, objective, direction, max_trials, max_epochs, factor, seed, out
        )
        try:
            search.search(
                train,
                validation_data=val,
                epochs=epochs or 1,
                batch_size=configured.batch_size,
                callbacks=list(callbacks or ()),
                verbose=verbose,
            )
        except keras_tuner.errors.FatalValueError as e:
            if fresh and role != "worker":  # nothing worth resuming: leave no half search
                _remove_outputs(out)
            raise ValueError(str(e)) from None
        if role == "worker":
            print(f"worker {tuner_id}: the chief has no trial left; it writes the results.")
            return {"best_hyperparameters": None, "best_score": None, "trials": None, "output": out}
        oracle = search.oracle
        rows = trial_rows(oracle, objective)
        best = oracle.get_best_trials(1)
    written = [_write_csv(rows, out / "trials.csv")]
    title = f"{recipe.name}: {tuner} search"
    written.append(
        pathlib.Path(plot_objective(rows, objective, direction, out / "objective.png", title))
    )
    result = {"best_hyperparameters": None, "best_score": None, "trials": len(rows), "output": out}
    if best:
        hp = best[0].hyperparameters.copy()
        model_values, fit_values = hm.tuned_kwargs(hp.copy()), hm.fit_values(hp.copy())
        run_epochs = fit_values.get("epochs") or hp.values.get("tuner/epochs") or epochs
        summary = {
            "trial": best[0].trial_id,
            "objective": objective,
            "direction": direction,
            "score": best[0].score,
            "hyperparameters": hp.values,
            "model_kwargs": model_values,
            "batch_size": fit_values.get("batch_size", configured.batch_size),
            "epochs": run_epochs,
        }
        training._write_json(out / "best_hyperparameters.json", summary)
        written.append(out / "best_hyperparameters.json")
        result.update(best_hyperparameters=hp.values, best_score=best[0].score)
    done = sum(r["status"] == "COMPLETED" for r in rows)
    print(f"\n{recipe.name}: {done} of {len(rows)} trials completed", end="")
    print(f", best {objective} {result['best_score']:.4g}" if best else "; no trial completed")
    print(f"results in {out}/:")
    for path in written:
        print(f"  {path.name}")
    if retrain_best and best:
        run_overrides = {**overrides, **model_values, "batch_size": summary["batch_size"]}
        result["retrained"] = training.run(
            recipe,
            epochs=run_epochs,
            output=out / "best",
            data_dir=data_dir,
            manual_dir=manual_dir,
            seed=seed,
            overrides=run_overrides,
            verbose=verbose,
        )
    return result


def add_tune_arguments(parser):
    """Adds the options of `rnnzoo tune` to `parser`."""
    parser.add_argument("--tuner", default="random", help="random (default), bayesian, hyperband")
    parser.add_argument("--max-trials", type=int, help="trials in all (default 10; not hyperband)")
    parser.add_argument("--epochs", type=int, help="epochs per trial (default: the recipe's)")
    parser.add_argument("--max-epochs", type=int, help="hyperband: most epochs for one model")
    parser.add_argument("--factor", type=int, help="hyperband: reduction factor (default 3)")
    parser.add_argument("--objective", help="metric to optimise (default: the recipe's monitor)")
    parser.add_argument("--output", help="output folder (default runs/NAME_tune); re-run to resume")
    parser.add_argument("--overwrite", action="store_true", help="discard an earlier search")
    parser.add_argument(
        "--retrain-best", action="store_true", help="retrain the best configuration into best/"
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="fix a model argument or recipe setting (not tuned), e.g. --set units=64",
    )
    parser.add_argument("--data-dir", help="TFDS data folder (default: ~/tensorflow_datasets)")
    parser.add_argument("--manual-dir", help="folder of manually downloaded dataset files")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument("--role", help="chief: serve the oracle to workers (with --chief)")
    parser.add_argument("--chief", metavar="HOST:PORT", help="the chief's oracle address")
    parser.add_argument("--worker-id", help="this worker's id (with --chief), e.g. tuner0")
    parser.add_argument(
        "--chief-timeout",
        type=float,
        default=60.0,
        help="seconds a worker waits for the chief before giving up (default 60)",
    )
    parser.add_argument("--verbose", type=int, default=2, help="0, 1 or 2 (default 2)")


def tune_from_args(recipe, args):
    """Runs `tune` with the options parsed by `add_tune_arguments`."""
    from zoo.training import parse_overrides

    return tune(
        recipe,
        tuner=args.tuner,
        max_trials=args.max_trials,
        epochs=args.epochs,
        max_epochs=args.max_epochs,
        factor=args.factor,
        objective=args.objective,
        output=args.output,
        overwrite=args.overwrite,
        retrain_best=args.retrain_best,
        overrides=parse_overrides(args.set),
        data_dir=args.data_dir,
        manual_dir=args.manual_dir,
        seed=args.seed,
        role=args.role,
        chief=args.chief,
        worker_id=args.worker_id,
        chief_timeout=args.chief_timeout,
        verbose=args.verbose,
    )
