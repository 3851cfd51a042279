"""What every recipe shares: load the TFDS data, build the model, fit, evaluate, write the results.

A recipe (see `recipes/`) is a `Recipe` declaration: which registered model, which TFDS dataset,
which task and hyperparameters. `run(recipe, ...)` does the rest and writes, into its output
folder, `config.json`, `history.json`, `metrics.json`, `model.keras`, `tensorboard/` and PNG plots.
"""

import argparse
import ast
import csv
import dataclasses
import datetime
import inspect
import json
import math
import numbers
import os
import pathlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable

import keras
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

import zoo.datasets  # noqa: F401  (registers the offline TFDS builders)
from zoo import plots, registry
from zoo.data import batches, quantile_boundaries, sequence_length
from zoo.validation import (
    check_choice,
    check_fraction,
    check_positive_float,
    check_positive_int,
    suggest,
)


class RecipeError(Exception):
    """A recipe cannot run as asked; the message is one line saying what failed and the way out."""


@dataclasses.dataclass
class Recipe:
    """A pairing of a registered model and a TFDS dataset, with its hyperparameters.

    Attributes:
        name: the recipe's name (its module's name in `recipes/`).
        model: a registered model name (`zoo.list_models()`).
        dataset: a TFDS name with its config, e.g. `"adding_problem/t200"`.
        task: the model's task head.
        model_kwargs: the factory's keyword arguments.
        description: one line for `rnnzoo list`.
        preprocess: maps one `(x, y)` example to the model's `(x, y)`; `None` keeps it.
        train_split: the TFDS split to train on.
        validation_split: the TFDS validation split, or `None` to carve it from the training split.
        validation_fraction: the share of the training split carved for validation.
        test_split: the TFDS split to evaluate on.
        epochs: training epochs.
        batch_size: examples per batch.
        monitor: the validation metric whose best epoch is kept, e.g. `"val_loss"`.
        early_stopping: patience in epochs, or `None` (or 0) for no early stopping.
        plot: `f(model, test_batches, path)` writing the recipe's own PNG, or `None`.
        plot_name: file name of that plot.
        buckets: batch by length into about this many buckets (boundaries at the training
            lengths' quantiles, see `zoo.data.bucketing`), or `None` (or 0) to pad random batches.
        search_space: `f(hp) -> {factory argument: value}` narrowing or extending the model's
            registered search space for `rnnzoo tune` (see `zoo.tuning.hypermodel`), or `None`.
        evaluate: `f(model, test_batches) -> {name: value}`, extra test metrics beyond
            `model.evaluate`'s (e.g. exact match through decoding), written to `metrics.json`
            as `test_<name>`; or `None`.
        examples: `f(split) -> split` turning each TFDS split, loaded without supervised keys (a
            dataset of feature dicts), into the examples `preprocess` takes: for datasets with no
            supervised keys, or where one record makes many examples (windows of a long text);
            or `None` to load `(input, target)` pairs by the dataset's supervised keys.
        fit: `f(model, train_batches, validation_batches, epochs, callbacks) -> history` used
            instead of `model.fit` (a closed-form readout, or windows cut from one long series);
            it returns a Keras `History` or a `{metric: [value per epoch]}` dict; or `None`.
        augment: a `tf.data` map `(x, y) -> (x, y)` applied to the training examples afresh
            every epoch (after caching and shuffling, before batching), e.g.
            `zoo.data.audio.augment_waveform()`; or `None`.
        mix: `{"dataset/config": share}`: other TFDS datasets whose training split is mixed
            into training, each example drawn from them with probability `share` (e.g.
            synthetic voices beside real ones: `--set "mix={'synthetic_speech/digits': 0.3}"`);
            the same `preprocess` applies. `None` mixes nothing.
        callbacks: `f(model, validation_batches) -> [keras callbacks]` run before the standard
            ones, so that the logs they add (e.g. `val_cer`) are monitored, checkpointed and
            logged like Keras's own; or `None`.
    """

    name: str
    model: str
    dataset: str
    task: str
    model_kwargs: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    preprocess: Callable | None = None
    train_split: str = "train"
    validation_split: str | None = "validation"
    validation_fraction: float = 0.1
    test_split: str = "test"
    epochs: int = 10
    batch_size: int = 64
    monitor: str = "val_loss"
    early_stopping: int | None = None
    plot: Callable | None = None
    plot_name: str = "plot.png"
    buckets: int | None = None
    search_space: Callable | None = None
    evaluate: Callable | None = None
    examples: Callable | None = None
    fit: Callable | None = None
    augment: Callable | None = None
    callbacks: Callable | None = None
    mix: dict | None = None

    @property
    def offline(self):
        """Whether the dataset builds offline by itself (`offline_status == "yes"`)."""
        return self.offline_status == "yes"

    @property
    def offline_status(self):
        """How the dataset builds: `"yes"` offline, `"manual"` offline with `--manual-dir`, `"no"`.

        `"yes"`: it builds offline by itself; `"manual"`: offline only with `--manual-dir`
        holding its files, else it downloads; `"no"`: it downloads. rnn-zoo's own builders say
        which in their `OFFLINE` attribute; any other TFDS dataset downloads.

        Example:
            >>> Recipe(name="r", model="gru", dataset="fsdd/all", task="sequence").offline_status
            'manual'
        """
        try:
            cls = tfds.builder_cls(self.dataset.split("/")[0])
        except Exception:  # an unknown name: certainly not one of ours
            return "no"
        if not cls.__module__.startswith("zoo.datasets"):
            return "no"
        return getattr(cls, "OFFLINE", "no")


class WarmupCosine(keras.callbacks.Callback):
    """Linear warm-up then cosine decay of the learning rate over the run's own length.

    Unlike a schedule fixed when the model is compiled, it stretches with `--epochs`: the decay
    spans `epochs × steps per epoch` of the `fit` call (the steps counted during the first epoch
    when the dataset does not know its length, e.g. when batched by length). The rate follows
    the optimizer's step counter, so a resumed run picks up where it stopped.

    Args:
        peak: the learning rate after the warm-up.
        warmup_steps: steps of the linear warm-up from 0.
        floor: the final learning rate.

    Example:
        >>> cb = WarmupCosine(1e-3, warmup_steps=10)
        >>> [round(cb.rate(step, total=100), 6) for step in (0, 5, 10, 55, 100)]
        [0.0001, 0.0006, 0.001, 0.0005, 0.0]
    """

    def __init__(self, peak, warmup_steps=100, floor=0.0):
        super().__init__()
        self.peak = check_positive_float("peak", peak)
        self.warmup_steps = int(warmup_steps)
        self.floor = float(floor)
        self._steps_per_epoch, self._seen = None, 0

    @classmethod
    def from_model(cls, model, warmup_steps=100, floor=0.0):
        """The schedule peaking at the learning rate `model` was compiled with.

        Call it on the freshly built model (as a recipe's `callbacks` hook is), before a resumed
        run restores the optimizer's last rate.
        """
        # convert_to_numpy: under tf.distribute the rate is a MirroredVariable, which float()
        # refuses
        peak = float(keras.ops.convert_to_numpy(model.optimizer.learning_rate))
        return cls(peak, warmup_steps=warmup_steps, floor=floor)

    def rate(self, step, total=None):
        """The learning rate at optimizer step `step` of a run of `total` steps (or unknown)."""
        if step < self.warmup_steps:
            return self.peak * (step + 1) / self.warmup_steps
        if not total or total <= self.warmup_steps:
            return self.peak
        progress = min(1.0, (step - self.warmup_steps) / (total - self.warmup_steps))
        return self.floor + 0.5 * (self.peak - self.floor) * (1 + float(np.cos(np.pi * progress)))

    def on_train_begin(self, logs=None):
        """Reads the run's length, when the data knows it."""
        self._steps_per_epoch = self.params.get("steps")

    def on_epoch_end(self, epoch, logs=None):
        """Learns the steps per epoch from the first epoch when the data did not say."""
        if not self._steps_per_epoch:
            self._steps_per_epoch = self._seen
        if logs is not None:
            logs["learning_rate"] = float(self.model.optimizer.learning_rate)

    def on_train_batch_begin(self, batch, logs=None):
        """Sets the optimizer's learning rate for this step."""
        self._seen = batch + 1
        total = self._steps_per_epoch * self.params["epochs"] if self._steps_per_epoch else None
        step = int(self.model.optimizer.iterations.numpy())
        self.model.optimizer.learning_rate = self.rate(step, total)


# The Recipe fields `--set` may change; every other key goes to the model factory.
_RECIPE_KEYS = (
    "dataset",
    "validation_fraction",
    "epochs",
    "batch_size",
    "monitor",
    "early_stopping",
    "buckets",
    "mix",
)


def parse_overrides(pairs):
    """Parses `["key=value", ...]` into a dict, values read as Python literals when they are.

    Example:
        >>> parse_overrides(["units=32", "cell=gru", "dropout=0.1"])
        {'units': 32, 'cell': 'gru', 'dropout': 0.1}
    """
    out = {}
    for pair in pairs or ():
        if "=" not in pair:
            raise RecipeError(f"--set takes key=value, got {pair!r}.")
        key, value = pair.split("=", 1)
        try:
            out[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key.strip()] = value
    return out


def configure(recipe, overrides):
    """Applies `--set` overrides: recipe fields to a copy of the recipe, the rest to the model.

    Returns:
        `(recipe, model_kwargs)`.
    """
    # The task belongs to the recipe's dataset, so it is not a knob.
    factory_args = set(inspect.signature(registry.get(recipe.model).factory).parameters) - {"task"}
    recipe_changes, model_kwargs = {}, dict(recipe.model_kwargs)
    for key, value in overrides.items():
        if key in _RECIPE_KEYS:
            recipe_changes[key] = value
        elif key in factory_args:
            model_kwargs[key] = value
        else:
            allowed = sorted(factory_args | set(_RECIPE_KEYS))
            raise RecipeError(
                f"--set {key}: not an argument of model {recipe.model!r} nor a recipe setting."
                + suggest(key, allowed)
            )
    for key in ("early_stopping", "buckets"):  # 0 turns them off, as None does
        value = recipe_changes.get(key)
        if value is not None and not isinstance(value, bool) and value == 0:
            recipe_changes[key] = None
    configured = dataclasses.replace(recipe, **recipe_changes)
    _check_settings(configured, recipe_changes)
    return configured, model_kwargs


def _check_settings(recipe, changed):
    """Checks the recipe settings `--set` changed (`changed`), before anything runs."""
    for key in ("epochs", "batch_size"):
        if key in changed:
            check_positive_int(key, changed[key])
    if "early_stopping" in changed:
        check_positive_int("early_stopping", changed["early_stopping"], allow_none=True)
    if "buckets" in changed:
        check_positive_int("buckets", changed["buckets"], allow_none=True)
    if "monitor" in changed and not isinstance(changed["monitor"], str):
        raise TypeError(f"monitor must be a metric name, got {changed['monitor']!r}.")
    if "validation_fraction" in changed:
        check_fraction("validation_fraction", changed["validation_fraction"], allow_zero=False)
        if recipe.validation_split is not None:
            raise RecipeError(
                f"--set validation_fraction: recipe {recipe.name!r} validates on dataset "
                f"{recipe.dataset!r}'s own {recipe.validation_split!r} split, so no share of "
                f"the training split is carved for validation; leave validation_fraction out."
            )


def check_seed(seed):
    """Raises unless `seed` is an int in `[0, 2**32 - 1]` (what NumPy's generator takes).

    Example:
        >>> check_seed(0)
        0
    """
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= seed < 2**32:
        raise ValueError(f"--seed must be an int in [0, 2**32 - 1], got {seed!r}.")
    return int(seed)


def load_splits(recipe, data_dir=None, manual_dir=None, seed=0):
    """Loads the recipe's train, validation and test splits from TFDS as `(x, y)` datasets.

    Raises:
        RecipeError: the dataset cannot be prepared (no internet, missing manual files).
    """
    train, val = recipe.train_split, recipe.validation_split
    if val is None:
        share = check_fraction("validation_fraction", recipe.validation_fraction, allow_zero=False)
        cut = round(100 * (1 - share))
        train, val = f"{train}[:{cut}%]", f"{train}[{cut}%:]"
    splits = _load(
        recipe, recipe.dataset, [train, val, recipe.test_split], data_dir, manual_dir, seed
    )
    if recipe.mix:
        shares = _check_mix(recipe.mix)
        extras = [
            _load(recipe, name, [recipe.train_split], data_dir, manual_dir, seed)[0]
            for name in shares
        ]
        splits[0] = mix_datasets(splits[0], extras, list(shares.values()), seed)
    return splits


def _load(recipe, name, split, data_dir, manual_dir, seed):
    """`tfds.load` of `name`'s splits, with the recipe's examples and preprocess maps applied."""
    _check_config_name(name)
    download_config = tfds.download.DownloadConfig(manual_dir=manual_dir)
    try:
        splits = tfds.load(
            name,
            split=split,
            data_dir=data_dir,
            as_supervised=recipe.examples is None,
            shuffle_files=True,
            read_config=tfds.ReadConfig(shuffle_seed=seed),
            download_and_prepare_kwargs={"download_config": download_config},
        )
    except Exception as e:  # TFDS raises many types: network, missing manual files, bad names
        reason = " ".join(str(e).split())  # one line, whole: its end says what is valid
        raise RecipeError(
            f"could not load dataset {name!r} ({type(e).__name__}: {reason}). "
            "Offline, pass --data-dir DIR holding a prepared copy, or --manual-dir DIR holding "
            "the downloaded files."
        ) from e
    if recipe.examples is not None:
        splits = [recipe.examples(s) for s in splits]
    if recipe.preprocess is not None:
        splits = [s.map(recipe.preprocess, num_parallel_calls=tf.data.AUTOTUNE) for s in splits]
    return splits


def _check_config_name(name):
    """Raises `RecipeError` listing the configs when `name`'s config is not its builder's."""
    builder, _, config = str(name).partition("/")
    config = config.split(":")[0]
    try:
        configs = [c.name for c in tfds.builder_cls(builder).BUILDER_CONFIGS]
    except Exception:  # an unknown builder: tfds.load says what is wrong
        return
    if config and configs and config not in configs:
        raise RecipeError(
            f"dataset {name!r}: {builder} has no config {config!r}; its configs are "
            f"{', '.join(configs)}." + suggest(config, configs)
        )


def _check_mix(mix):
    if not isinstance(mix, dict) or not mix:
        raise RecipeError(f"mix must be a dict {{'dataset/config': share}}, got {mix!r}.")
    for name, share in mix.items():
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
            raise RecipeError(f"mix[{name!r}] must be a share in (0, 1), got {share!r}.")
    if sum(mix.values()) >= 1:
        raise RecipeError(f"the shares of mix must add up to less than 1, got {mix!r}.")
    return mix


def mix_datasets(main, extras, shares, seed=None):
    """Draws each example from `extras[i]` with probability `shares[i]`, else from `main`.

    The extras repeat as needed; an epoch ends when `main` is used up, so it keeps every example
    of `main` once and adds about `len(main) * sum(shares) / (1 - sum(shares))` others.

    Example:
        >>> a = tf.data.Dataset.range(100)
        >>> b = tf.data.Dataset.from_tensors(tf.constant(-1, tf.int64))
        >>> out = list(mix_datasets(a, [b], [0.5], seed=0).as_numpy_iterator())
        >>> sorted(x for x in out if x >= 0) == list(range(100)), 60 < out.count(-1) < 140
        (True, True)
    """
    weights = [1.0 - sum(shares), *shares]
    return tf.data.Dataset.sample_from_datasets(
        [main, *(e.repeat() for e in extras)],
        weights=weights,
        seed=seed,
        stop_on_empty_dataset=True,
    )


STRATEGIES = ("mirrored",)
# Multi-worker training is left out: Keras 3's fit fails under MultiWorkerMirroredStrategy
# (keras-team/keras#20585; re-checked with Keras 3.15.1 and TensorFlow 2.21 on two localhost
# workers): `TensorFlowTrainer._maybe_symbolic_build` reduces the first batch's nested `(x, y)`
# with `strategy.reduce`, which the collective strategy takes only for a single value.
_NOT_OFFERED = {
    "multiworker": "Keras 3's fit fails under MultiWorkerMirroredStrategy with 'Attempt to "
    "convert a value (PerReplica...)' (keras-team/keras#20585); train on one machine with "
    "--strategy mirrored, or search on many with rnnzoo tune --chief/--worker-id"
}


def _check_strategy(name):
    """Returns `name` if it is one of `STRATEGIES`, else raises a `ValueError` saying why."""
    if name in _NOT_OFFERED:
        raise ValueError(f"strategy {name!r} is not offered: {_NOT_OFFERED[name]}.")
    return check_choice("strategy", name, STRATEGIES)


def _strategy_argument(value):
    """`--strategy`'s check, so that a bad value fails before anything runs."""
    try:
        return _check_strategy(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def distribution_strategy(name=None):
    """Returns the `tf.distribute` strategy named `name` (`None`: the default, one device).

    Example:
        >>> distribution_strategy().num_replicas_in_sync
        1
    """
    if name is None:
        return tf.distribute.get_strategy()
    _check_strategy(name)
    return tf.distribute.MirroredStrategy()


def length_boundaries(ds, num_buckets):
    """Bucket boundaries at the quantiles of the example lengths of `(x, y)` dataset `ds`."""
    lengths = ds.map(sequence_length, num_parallel_calls=tf.data.AUTOTUNE)
    return quantile_boundaries(
        np.fromiter(lengths.as_numpy_iterator(), dtype=np.int64), num_buckets
    )


def batched(recipe, split, batch_size, *, training=False, seed=None, boundaries=None, cache=True):
    """Batches one split of `(x, y)` examples the way `run` does (and `rnnzoo tune`'s trials).

    Args:
        recipe: the `Recipe` (its `augment` applies to the training split).
        split: a `tf.data.Dataset` of single `(x, y)` examples.
        batch_size: examples per batch.
        training: shuffle (reshuffled every epoch) and augment: the training split.
        seed: the shuffle's seed.
        boundaries: length-bucket boundaries (`length_boundaries`), or `None`.
        cache: cache the examples in memory (`False` when `split` is cached already).

    Example:
        >>> r = Recipe(name="r", model="gru", dataset="d", task="regression")
        >>> ds = tf.data.Dataset.from_tensor_slices(([[1.0], [2.0], [3.0]], [0.0, 1.0, 0.0]))
        >>> [int(x.shape[0]) for x, _ in batched(r, ds, 2, training=True, seed=0)]
        [2, 1]
    """
    if training:
        return batches(
            split,
            batch_size,
            shuffle=True,
            seed=seed,
            cache=cache,
            boundaries=boundaries,
            augment=recipe.augment,
        )
    return batches(split, batch_size, cache=cache, boundaries=boundaries)


def adapt_vectorizer(model, train):
    """Adapts a `text=True` model's `TextVectorization` to the training split's texts."""
    from zoo.models import adapt_text

    adapt_text(model, train.map(lambda x, y: x).batch(1024))


def fit_callbacks(recipe, model, validation_batches, standard=(), extra=()):
    """The callbacks of a recipe's training, in `run`'s order.

    The recipe's own (its `callbacks` hook) come first, so that the logs they add (e.g.
    `val_cer`) are seen by the `standard` ones (checkpoints, logs) and the caller's `extra`;
    the recipe's early stopping comes last.

    Example:
        >>> r = Recipe(name="r", model="gru", dataset="d", task="regression", early_stopping=2)
        >>> [type(c).__name__ for c in fit_callbacks(r, None, None)]
        ['EarlyStopping']
    """
    own = recipe.callbacks(model, validation_batches) if recipe.callbacks is not None else []
    callbacks = [*own, *standard, *extra]
    if recipe.early_stopping:
        callbacks.append(
            keras.callbacks.EarlyStopping(
                monitor=recipe.monitor, mode=_mode(recipe.monitor), patience=recipe.early_stopping
            )
        )
    return callbacks


def fit_model(
    recipe,
    model,
    train_batches,
    validation_batches,
    epochs,
    callbacks,
    verbose="auto",
    initial_epoch=0,
):
    """Trains `model` the way `run` does: the recipe's `fit` hook if it has one, else `model.fit`.

    Args:
        recipe: the `Recipe`.
        model: the built model.
        train_batches: the batched, shuffled training split (`batched(..., training=True)`).
        validation_batches: the batched validation split.
        epochs: the epoch to stop after (a `fit` hook is given `epochs - initial_epoch`).
        callbacks: Keras callbacks (`fit_callbacks`).
        verbose: Keras's `fit` verbosity (a `fit` hook chooses its own).
        initial_epoch: the epoch to start from (Hyperband continuing a trial).

    Returns:
        `{metric: [value per epoch]}`: what the training reported.
    """
    if recipe.fit is not None:
        history = recipe.fit(
            model, train_batches, validation_batches, epochs - initial_epoch, callbacks
        )
    else:
        history = model.fit(
            train_batches,
            validation_data=validation_batches,
            epochs=epochs,
            initial_epoch=initial_epoch,
            callbacks=callbacks,
            shuffle=False,  # train_batches is shuffled by tf.data, reshuffled each epoch
            verbose=verbose,
        )
    history = getattr(history, "history", history)
    return {k: [float(v) for v in vs] for k, vs in history.items()}


def _best_so_far(csv_path, monitor, mode):
    """The best monitored value in an earlier, interrupted run's history (for a resumed run)."""
    if not csv_path.exists():
        return None
    with open(csv_path) as f:
        values = [float(r[monitor]) for r in csv.DictReader(f) if r.get(monitor)]
    if not values:
        return None
    return min(values) if mode == "min" else max(values)


def _mode(monitor):
    return "max" if any(k in monitor for k in ("acc", "auc", "precision", "recall")) else "min"


def _versions():
    return {
        "zoo": __import__("zoo").__version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "tensorflow_datasets": tfds.__version__,
        "python": sys.version.split()[0],
    }


def _write_json(path, obj):
    """Writes `obj` as strict JSON (a NaN or infinity becomes `null`), atomically."""
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(_finite(obj), indent=2, allow_nan=False) + "\n")
    os.replace(tmp, path)


def _finite(obj):
    """`obj` as strict JSON can hold it: a non-finite float as `None`, NumPy scalars as Python's.

    What JSON has no type for goes through `_json_default`.

    Example:
        >>> _finite({"loss": [0.5, float("nan")], "best": np.float32("inf")})
        {'loss': [0.5, None], 'best': None}
    """
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, dict):
        return {str(k) if not isinstance(k, str) else k: _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    return _finite(_json_default(obj))


def _json_default(value):
    if isinstance(value, np.generic):
        return value.item()
    if hasattr(value, "get_config"):
        return keras.saving.serialize_keras_object(value)
    return repr(value)


def save_model(model, path):
    """Saves `model` to `path` atomically: a crash never leaves a half-written `.keras` file."""
    path = pathlib.Path(path)
    fd, tmp = tempfile.mkstemp(suffix=".keras", dir=path.parent, prefix=".partial-")
    os.close(fd)
    try:
        model.save(tmp)
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp's 0600 → the mode of the other outputs
        os.replace(tmp, path)
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


# What a run writes into its output folder besides config.json (removed by `overwrite`).
_RUN_OUTPUTS = (
    "history.json",
    "metrics.json",
    "model.keras",
    "history.csv",
    "best.weights.h5",
    "learning_curves.png",
)
# The config.json keys a resumed run may change: where the data is, how it was started.
_RESUME_MAY_DIFFER = ("command", "versions", "started", "data_dir", "manual_dir")


def _output_state(out, overwrite):
    """`"fresh"`, `"resume"` (an interrupted run) or `"overwrite"`; refuses a finished run."""
    if out.exists() and not out.is_dir():
        raise RecipeError(f"--output {out} is a file, not a folder; choose another --output.")
    finished = [n for n in ("metrics.json", "model.keras") if (out / n).exists()]
    if overwrite and (finished or (out / "backup").exists()):
        return "overwrite"
    if finished:
        raise RecipeError(
            f"--output {out} holds a finished run ({' and '.join(finished)}); pass --overwrite "
            "to replace it, or choose another --output."
        )
    return "resume" if (out / "backup").exists() else "fresh"


def _check_same_run(out, config):
    """Raises `RecipeError` naming the keys where an interrupted run's config.json differs."""
    try:
        stored = json.loads((out / "config.json").read_text())
        if not isinstance(stored, dict):
            raise ValueError(f"not a JSON object but {type(stored).__name__}")
    except (OSError, ValueError) as e:
        raise RecipeError(
            f"--output {out} holds an interrupted run whose config.json cannot be read ({e}), "
            "so it cannot be checked against this command; pass --overwrite to start afresh, "
            "or choose another --output."
        ) from None
    now = json.loads(json.dumps(_finite(config)))
    keys = sorted((stored.keys() | now.keys()) - set(_RESUME_MAY_DIFFER))
    refuse_to_mix(out, "an interrupted run", differing(stored, now, keys))


def differing(stored, now, keys):
    """`key (stored ..., now ...)` for each of `keys` whose value differs between two dicts."""
    return [
        f"{k} (stored {stored.get(k)!r}, now {now.get(k)!r})"
        for k in keys
        if stored.get(k) != now.get(k)
    ]


def refuse_to_mix(out, what, diffs):
    """Raises `RecipeError` when `out` holds `what` (a run, a search) differing by `diffs`."""
    if diffs:
        raise RecipeError(
            f"--output {out} holds {what} that differs from this command in "
            + "; ".join(diffs)
            + ". Resuming would mix the two: repeat the original command, pass --overwrite to "
            "start afresh, or choose another --output."
        )


def _metric_names(model, recipe, val):
    """What `model.fit` reports for `model`: its metrics, plain and `val_`."""
    sample = batched(recipe, val.take(2), 2, cache=False)
    scores = model.evaluate(sample, return_dict=True, verbose=0)
    return [*scores, *(f"val_{name}" for name in scores)]


def _unknown_monitor(recipe, reported, what):
    return RecipeError(
        f"monitor must be a metric recipe {recipe.name!r} reports; {what} reports "
        f"{', '.join(reported) or 'nothing'}, got {recipe.monitor!r}."
        + suggest(recipe.monitor, list(reported))
    )


class _CheckMonitor(keras.callbacks.Callback):
    """Stops a run at its first epoch's end when the logs lack the monitored metric."""

    def __init__(self, recipe):
        super().__init__()
        self.recipe = recipe

    def on_epoch_end(self, epoch, logs=None):
        """Raises `RecipeError` unless the logs hold the recipe's monitor."""
        if logs is not None and self.recipe.monitor not in logs:
            raise _unknown_monitor(self.recipe, list(logs), "its training")


def run(
    recipe,
    *,
    epochs=None,
    batch_size=None,
    output=None,
    data_dir=None,
    manual_dir=None,
    seed=0,
    overrides=None,
    callbacks=None,
    strategy=None,
    verbose="auto",
    overwrite=False,
):
    """Trains and evaluates `recipe`, writing every result into `output`.

    Args:
        recipe: a `Recipe`.
        epochs: overrides the recipe's epochs.
        batch_size: overrides the recipe's batch size.
        output: the output folder (default `runs/<recipe name>`); re-running an interrupted
            run with the same folder (and the same settings) resumes it. A folder holding a
            finished run is refused unless `overwrite`.
        data_dir: TFDS data folder (default TFDS's own, `~/tensorflow_datasets`).
        manual_dir: folder of manually downloaded dataset files.
        seed: seeds the model, the shuffling and Keras's global generators.
        overrides: `{key: value}` of model arguments or recipe settings (`--set`).
        callbacks: extra Keras callbacks for `fit`.
        strategy: `None` (one device) or `"mirrored"`: data-parallel training over all the
            machine's devices with `tf.distribute.MirroredStrategy` (`batch_size` is global).
        verbose: Keras's `fit` verbosity.
        overwrite: replace a run (finished or interrupted) already in `output`.

    Returns:
        The metrics dict also written to `metrics.json` (a non-finite value as `None`).

    Raises:
        RecipeError: `output` holds a finished run (without `overwrite`) or an interrupted run
            of other settings, the monitor is not a metric the model reports, or the data
            cannot be loaded; nothing in `output` has changed then. (A recipe with a `fit` or
            `callbacks` hook reports metrics only while it trains: its monitor is checked at
            the first epoch's end.)

    Example:
        >>> from recipes.adding_gru import RECIPE  # doctest: +SKIP
        >>> run(RECIPE, epochs=1, output="/tmp/adding_gru")  # doctest: +SKIP
    """
    recipe, model_kwargs = configure(recipe, overrides or {})
    epochs = check_positive_int("epochs", recipe.epochs if epochs is None else epochs)
    batch_size = check_positive_int(
        "batch_size", recipe.batch_size if batch_size is None else batch_size
    )
    seed = check_seed(seed)
    out = pathlib.Path(output or pathlib.Path("runs") / recipe.name)
    state = _output_state(out, overwrite)
    keras.utils.set_random_seed(seed)

    model_kwargs = {"seed": seed, **model_kwargs}
    strategy_name, strategy = strategy, distribution_strategy(strategy)
    if batch_size < strategy.num_replicas_in_sync:
        raise RecipeError(
            f"batch_size={batch_size} is smaller than the {strategy.num_replicas_in_sync} "
            f"replicas of strategy {strategy_name!r}: every replica needs examples in every "
            "step; raise the batch size (a multiple of the replicas splits evenly)."
        )
    with strategy.scope():  # the model's and the optimizer's variables live on every replica
        model = registry.build(recipe.model, task=recipe.task, **model_kwargs)  # validates early
    config = {
        "recipe": recipe.name,
        "model": recipe.model,
        "dataset": recipe.dataset,
        "mix": recipe.mix,
        "task": recipe.task,
        "model_kwargs": model_kwargs,
        "epochs": epochs,
        "batch_size": batch_size,
        "monitor": recipe.monitor,
        "early_stopping": recipe.early_stopping,
        "validation": recipe.validation_split or f"{recipe.validation_fraction:.0%} of train",
        "seed": seed,
        "strategy": type(strategy).__name__,
        "replicas": strategy.num_replicas_in_sync,
        "data_dir": data_dir,
        "manual_dir": manual_dir,
        "command": " ".join(sys.argv),
        "versions": _versions(),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
    }
    if state == "resume":
        _check_same_run(out, config)
    train, val, test = load_splits(recipe, data_dir, manual_dir, seed)
    if model_kwargs.get("text"):
        adapt_vectorizer(model, train)
    # A fit or callbacks hook may report more than `evaluate` (e.g. `val_cer`): then the first
    # epoch's logs (or, for a fit hook calling no callback, its history) are checked.
    hooked = recipe.fit is not None or recipe.callbacks is not None
    if not hooked:
        names = _metric_names(model, recipe, val)
        if recipe.monitor not in names:
            raise _unknown_monitor(recipe, names, "its model")
    bounds = length_boundaries(train, recipe.buckets) if recipe.buckets else None
    train_b = batched(recipe, train, batch_size, training=True, seed=seed, boundaries=bounds)
    val_b, test_b = (batched(recipe, s, batch_size, boundaries=bounds) for s in (val, test))

    mode = _mode(recipe.monitor)
    best_path = out / "best.weights.h5"
    if state == "overwrite":
        shutil.rmtree(out / "backup", ignore_errors=True)
        shutil.rmtree(out / "tensorboard", ignore_errors=True)
        for name in (*_RUN_OUTPUTS, recipe.plot_name):
            (out / name).unlink(missing_ok=True)
    elif state == "fresh":  # not the resumption of an interrupted run
        for stale in (out / "history.csv", best_path):
            stale.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    standard = [
        _CheckMonitor(recipe),
        keras.callbacks.BackupAndRestore(str(out / "backup")),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        keras.callbacks.TensorBoard(str(out / "tensorboard")),
        keras.callbacks.ModelCheckpoint(
            str(best_path),
            monitor=recipe.monitor,
            mode=mode,
            save_best_only=True,
            save_weights_only=True,
            initial_value_threshold=_best_so_far(out / "history.csv", recipe.monitor, mode),
        ),
    ]
    callbacks = fit_callbacks(recipe, model, val_b, standard, callbacks or ())
    _write_json(out / "config.json", config)

    start, cpu_start = time.perf_counter(), time.process_time()
    history = fit_model(recipe, model, train_b, val_b, epochs, callbacks, verbose=verbose)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    history = _full_history(out / "history.csv", history)
    if history and recipe.monitor not in history:  # a fit hook that called no callback
        raise _unknown_monitor(recipe, list(history), "its fit hook")
    if best_path.exists():
        model.load_weights(str(best_path))
    scores = model.evaluate(test_b, return_dict=True, verbose=0)
    monitored = history.get(recipe.monitor, [])
    best_epoch = None
    if any(math.isfinite(v) for v in monitored):  # else training diverged: no best epoch
        pick = np.nanargmin if mode == "min" else np.nanargmax
        best_epoch = int(pick(np.where(np.isfinite(monitored), monitored, np.nan))) + 1
    metrics = {
        **{f"test_{k}": float(v) for k, v in scores.items()},
        "best_epoch": best_epoch,
        f"best_{recipe.monitor}": float(monitored[best_epoch - 1]) if best_epoch else None,
        "epochs_run": len(monitored) or len(history.get("loss", [])),
        "train_seconds": round(seconds, 2),
        # CPU time of every thread: on a shared machine, train_cpu_seconds / cores is what the
        # run would take alone on those cores (wall time counts the other jobs too).
        "train_cpu_seconds": round(cpu_seconds, 2),
    }
    if recipe.evaluate is not None:
        start = time.perf_counter()
        extra = recipe.evaluate(model, test_b)
        metrics.update({f"test_{k}": v for k, v in extra.items()})
        metrics["evaluate_seconds"] = round(time.perf_counter() - start, 2)
    metrics = _finite(metrics)
    _write_json(out / "history.json", history)
    _write_json(out / "metrics.json", metrics)
    model_path = save_model(model, out / "model.keras")
    written = [out / "config.json", out / "history.json", out / "metrics.json", model_path]
    written.append(plots.learning_curves(history, out / "learning_curves.png", recipe.name))
    if recipe.plot is not None:
        written.append(recipe.plot(model, test_b, out / recipe.plot_name))
    written.append(out / "tensorboard")
    print(f"\n{recipe.name}: " + ", ".join(f"{k} {_fmt(v)}" for k, v in metrics.items()))
    if best_epoch is None:
        print(
            f"training diverged: {recipe.monitor} was never finite, so no epoch is best; "
            "the model holds the last weights (try a lower learning rate)."
        )
    print(f"results in {out}/:")
    for path in written:
        print(f"  {pathlib.Path(path).name}")
    return metrics


def _fmt(value):
    return f"{value:.4g}" if isinstance(value, float) else str(value)


def _full_history(csv_path, fallback):
    """Per-epoch history over the whole run, resumed parts included (from the CSV log)."""
    if not csv_path.exists():
        return {k: [float(v) for v in vs] for k, vs in fallback.items()}
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    by_epoch = {int(r["epoch"]): r for r in rows}  # a resumed epoch's last row wins
    keys = [k for k in rows[0] if k != "epoch"] if rows else []
    return {k: [float(by_epoch[e][k]) for e in sorted(by_epoch)] for k in keys}


def add_run_arguments(parser):
    """Adds the options of `rnnzoo run` to `parser` (shared with `python -m recipes.NAME`)."""
    parser.add_argument("--epochs", type=int, help="training epochs (default: the recipe's)")
    parser.add_argument("--batch-size", type=int, help="batch size (default: the recipe's)")
    parser.add_argument("--output", help="output folder (default: runs/NAME); re-run to resume")
    parser.add_argument(
        "--overwrite",
        action="store_true",
        help="replace a run (finished or interrupted) already in the output folder",
    )
    parser.add_argument("--data-dir", help="TFDS data folder (default: ~/tensorflow_datasets)")
    parser.add_argument("--manual-dir", help="folder of manually downloaded dataset files")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    parser.add_argument(
        "--strategy",
        type=_strategy_argument,
        help="mirrored: data-parallel training over all this machine's GPUs (or CPUs)",
    )
    parser.add_argument(
        "--set",
        action="append",
        metavar="KEY=VALUE",
        help="override a model argument or recipe setting, e.g. --set units=128 (repeatable)",
    )


def run_from_args(recipe, args):
    """Runs `recipe` with the options parsed by `add_run_arguments`."""
    return run(
        recipe,
        epochs=args.epochs,
        batch_size=args.batch_size,
        output=args.output,
        data_dir=args.data_dir,
        manual_dir=args.manual_dir,
        seed=args.seed,
        overrides=parse_overrides(args.set),
        strategy=args.strategy,
        overwrite=args.overwrite,
    )


def main(recipe, argv=None):
    """Runs `recipe` from the command line: what `python -m recipes.NAME` calls.

    Args:
        recipe: the recipe module's `RECIPE`.
        argv: the arguments (default `sys.argv[1:]`).
    """
    import argparse

    parser = argparse.ArgumentParser(
        prog=f"python -m recipes.{recipe.name}", description=recipe.description
    )
    add_run_arguments(parser)
    args = parser.parse_args(argv)
    try:
        run_from_args(recipe, args)
    except (RecipeError, ValueError, TypeError, OSError) as e:
        print(f"{recipe.name}: error: {os_error_message(e)}", file=sys.stderr)
        sys.exit(2)


def os_error_message(error):
    """One line for `error`: an `OSError` as `reason: 'path'`, anything else as `str(error)`.

    Example:
        >>> os_error_message(FileExistsError(17, "File exists", "r1/config.json"))
        "File exists: 'r1/config.json'"
    """
    if isinstance(error, OSError) and error.strerror:
        paths = [p for p in (error.filename, error.filename2) if p is not None]
        return error.strerror + "".join(f": {str(p)!r}" for p in paths)
    return str(error)
