"""What every recipe shares: load the TFDS data, build the model, fit, evaluate, write the results.

A recipe (see `recipes/`) is a `Recipe` declaration: which registered model, which TFDS dataset,
which task and hyperparameters. `run(recipe, ...)` does the rest and writes, into its output
folder, `config.json`, `history.json`, `metrics.json`, `model.keras`, `tensorboard/` and PNG plots.
"""

import argparse
import contextlib
import dataclasses
import datetime
import math
import os
import pathlib
import shutil
import sys
import time
import warnings

import keras
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

import zoo.datasets  # noqa: F401  (registers the offline TFDS builders)
from zoo import downloads, plots, registry, run_folder
from zoo.data import batches, quantile_boundaries, sequence_length
from zoo.recipe import (  # noqa: F401  (Recipe, RecipeError, parse_overrides: re-exported)
    Recipe,
    RecipeError,
    check_closed_form_epochs,
    check_config_name,
    check_flag_overrides,
    check_mix,
    check_seed,
    configure,
    parse_overrides,
)
from zoo.run_folder import os_error_message
from zoo.validation import (
    check_choice,
    check_fraction,
    check_positive_float,
    check_positive_int,
    naming_failed_checks,
    suggest,
)


class WarmupCosine(keras.callbacks.Callback):
    """Linear warm-up then cosine decay of the learning rate over the run's own length.

    It logs `learning_rate` (its `reports`) at each epoch's end.

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
        """The learning rate at optimizer step `step` of a run of `total` steps (or unknown).

        Example:
            >>> cb = WarmupCosine(1e-3, warmup_steps=10, floor=1e-5)
            >>> cb.rate(4), cb.rate(50)  # warming up; then the peak while the length is unknown
            (0.0005, 0.001)
            >>> round(cb.rate(55, total=100), 6), cb.rate(100, total=100)  # halfway; the end
            (0.000505, 1e-05)
        """
        if step < self.warmup_steps:
            return self.peak * (step + 1) / self.warmup_steps
        if not total or total <= self.warmup_steps:
            return self.peak
        progress = min(1.0, (step - self.warmup_steps) / (total - self.warmup_steps))
        return self.floor + 0.5 * (self.peak - self.floor) * (1 + float(np.cos(np.pi * progress)))

    reports = ("learning_rate",)  # what it adds to the logs (a search checks its objective)

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


def check_manual_dir(manual_dir, recipe=None):
    """Refuses a `--manual-dir` that is not a folder, an empty one, or one nothing would read.

    TFDS reads an empty manual dir as none and downloads instead: offline, that is minutes of
    retries for a folder the user meant to hold the files. A dataset rnn-zoo generates (its
    `offline_status` is `"yes"`) reads no files at all, so a manual dir for it is a mistake.

    Args:
        manual_dir: the `--manual-dir` folder, or `None`.
        recipe: the (configured) recipe whose datasets (its `dataset` and `mix`) would read it.

    Example:
        >>> check_manual_dir(None)  # no manual dir: the builder downloads
        >>> r = Recipe(name="r", model="gru", dataset="adding_problem/t50", task="regression")
        >>> check_manual_dir("recordings", r)
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --manual-dir recordings: dataset 'adding_problem/t50' is
        generated by rnn-zoo and reads no manual files; leave --manual-dir out.
    """
    if manual_dir is None:
        return
    if recipe is not None:
        mix = list(recipe.mix) if isinstance(recipe.mix, dict) else []
        names = [recipe.dataset, *mix]
        if all(dataclasses.replace(recipe, dataset=n).offline_status == "yes" for n in names):
            these = " and ".join(repr(n) for n in names)
            raise RecipeError(
                f"--manual-dir {manual_dir}: dataset{'s' if mix else ''} {these} "
                f"{'are' if mix else 'is'} generated by rnn-zoo and read{'' if mix else 's'} "
                "no manual files; leave --manual-dir out."
            )
    if not os.path.isdir(manual_dir):
        raise RecipeError(
            f"--manual-dir {manual_dir} is not a folder: give the folder holding the "
            "dataset's downloaded files, or leave --manual-dir out to download them."
        )
    if not os.listdir(manual_dir):
        raise RecipeError(
            f"--manual-dir {manual_dir} is empty: give the folder holding the dataset's "
            "downloaded files (for FSDD, WAV files such as 7_jackson_32.wav, e.g. "
            "../shared/data/fsdd/recordings), or leave --manual-dir out to download them."
        )


def load_splits(recipe, data_dir=None, manual_dir=None, seed=0):
    """Loads the recipe's train, validation and test splits from TFDS as `(x, y)` datasets.

    Raises:
        RecipeError: the dataset cannot be prepared (no internet, missing or empty manual dir).

    Example:
        >>> import contextlib, io, tempfile
        >>> r = Recipe(name="r", model="gru", dataset="adding_problem/t50", task="regression",
        ...            validation_split=None)  # validation: 10% carved from train
        >>> with contextlib.redirect_stdout(io.StringIO()):  # TFDS's progress messages
        ...     train, val, test = load_splits(r, data_dir=tempfile.mkdtemp())  # built offline
        >>> len(train), len(val), len(test), train.element_spec[0].shape
        (9000, 1000, 1000, TensorShape([50, 2]))
        >>> fsdd = Recipe(name="f", model="esn", dataset="fsdd/all", task="classification")
        >>> load_splits(fsdd, manual_dir=tempfile.mkdtemp())
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --manual-dir ... is empty: give the folder holding the dataset's
        downloaded files ...
    """
    check_manual_dir(manual_dir, recipe)  # `rnnzoo tune` comes here first
    train, val = recipe.train_split, recipe.validation_split
    if val is None:
        share = check_fraction("validation_fraction", recipe.validation_fraction, allow_zero=False)
        cut = round(100 * (1 - share))
        train, val = f"{train}[:{cut}%]", f"{train}[{cut}%:]"
    splits = _load(
        recipe, recipe.dataset, [train, val, recipe.test_split], data_dir, manual_dir, seed
    )
    if recipe.mix:
        shares = check_mix(recipe.mix)
        extras = [
            _load(recipe, name, [recipe.train_split], data_dir, manual_dir, seed)[0]
            for name in shares
        ]
        splits[0] = mix_datasets(splits[0], extras, list(shares.values()), seed)
    return splits


def _offline_message(recipe, name, host):
    """Why dataset `name` cannot load offline, and what to pass instead."""
    status = dataclasses.replace(recipe, dataset=name).offline_status
    manual = (
        "--manual-dir DIR holding its files (for FSDD, WAV files such as 7_jackson_32.wav), or "
        if status == "manual"
        else ""
    )
    return (
        f"could not load dataset {name!r}: it is not prepared in the data dir and must be "
        f"downloaded from {host}, whose name does not resolve (offline?). Pass {manual}"
        "--data-dir DIR holding a copy prepared where the internet is reachable; `rnnzoo "
        "list` shows the recipes whose data build offline."
    )


def _load(recipe, name, split, data_dir, manual_dir, seed):
    """`tfds.load` of `name`'s splits, with the recipe's examples and preprocess maps applied."""
    check_config_name(name)
    download_config = tfds.download.DownloadConfig(manual_dir=manual_dir)
    before = downloads.folders(data_dir, name)
    try:
        with downloads.fail_fast() as unreachable:
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
        if unreachable:  # nothing was downloaded: the folders TFDS made for it go too
            downloads.remove_new_folders(before, data_dir, name)
            raise RecipeError(_offline_message(recipe, name, unreachable[0])) from None
        reason = " ".join(str(e).split())  # one line, whole: its end says what is valid
        local = isinstance(e, OSError) and e.errno is not None  # a full disk, a bad folder
        raise RecipeError(
            f"could not load dataset {name!r} ({type(e).__name__}: {reason})."
            + (
                ""
                if local
                else " Offline, pass --data-dir DIR holding a prepared copy, or --manual-dir "
                "DIR holding the downloaded files."
            )
        ) from e
    if recipe.examples is not None:
        splits = [recipe.examples(s) for s in splits]
    if recipe.preprocess is not None:
        splits = [s.map(recipe.preprocess, num_parallel_calls=tf.data.AUTOTUNE) for s in splits]
    return splits


def mix_datasets(main, extras, shares, seed=None):
    """Draws each example from `extras[i]` with probability `shares[i]`, else from `main`.

    The extras repeat as needed; an epoch ends when `main` is used up, so it keeps every example
    of `main` once and adds about `len(main) * sum(shares) / (1 - sum(shares))` others.

    Example:
        >>> import tensorflow as tf
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


def naming_data_errors(dataset):
    """Turns a failed check in a data pipeline (`tf.debugging.Assert`) into a `RecipeError`.

    The error is one line with the check's own message, not a TensorFlow traceback.

    Example:
        >>> import tensorflow as tf
        >>> values = tf.data.Dataset.from_tensor_slices([1.0, -1.0])
        >>> def positive(v):
        ...     tf.debugging.Assert(v > 0, ["values must be positive"])
        ...     return v
        >>> with naming_data_errors("mine"):
        ...     _ = list(values.map(positive))
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: dataset mine: an example failed a check: values must be positive
    """
    return naming_failed_checks(RecipeError, f"dataset {dataset}: an example failed a check: ")


def check_whole_batches(recipe, splits, batch_size, replicas, strategy_name):
    """Refuses a mirrored `seq2seq` run whose batches would leave a replica without examples.

    tf.distribute cuts each global batch into per-replica slices handed out in turn, so a
    split's last, partial batch can leave a replica a stand-in of no examples and no time steps,
    on which the decoder's loop fails (`Tried to stack elements of an empty list`) at the end of
    the first epoch. Every split must then hold whole batches (length buckets leave partial
    ones); splits of unknown size pass.

    Args:
        recipe: the configured recipe.
        splits: `{name: dataset}` of single examples.
        batch_size: the global batch size.
        replicas: the strategy's replica count.
        strategy_name: the `--strategy` given, for the message.

    Raises:
        RecipeError: naming the split sizes and a batch size that divides them all (if any).

    Example:
        >>> import tensorflow as tf
        >>> r = Recipe(name="r", model="seq2seq", dataset="d", task="seq2seq")
        >>> ds = tf.data.Dataset.range(100)
        >>> check_whole_batches(r, {"train": ds, "test": ds.take(40)}, 20, 2, "mirrored")
        >>> check_whole_batches(r, {"train": ds, "test": ds.take(40)}, 64, 2, "mirrored")
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --strategy mirrored: over 2 replicas a seq2seq model needs whole
        batches (a partial last batch can leave a replica no examples, on which the decoder
        fails), but the splits hold 100 (train) and 40 (test) examples, not all multiples of
        batch size 64; use --batch-size 20 (it divides every split), or train on one device.
    """
    if replicas < 2 or recipe.model != "seq2seq":
        return
    whole = f"over {replicas} replicas a seq2seq model needs whole batches"
    if recipe.buckets:
        raise RecipeError(
            f"--strategy {strategy_name}: {whole}, which length buckets do not give (each "
            "bucket ends in a partial batch); leave buckets out (--set buckets=0)."
        )
    sizes = {name: int(ds.cardinality()) for name, ds in splits.items()}
    if any(n < 0 for n in sizes.values()) or all(n % batch_size == 0 for n in sizes.values()):
        return
    common = math.gcd(*sizes.values())
    fits = [d for d in range(replicas, common + 1, replicas) if common % d == 0]
    advice = (
        f"use --batch-size {min(fits, key=lambda d: (abs(d - batch_size), -d))} (it divides "
        "every split), or train on one device"
        if fits
        else f"no batch size divides them all over {replicas} replicas: train on one device "
        "(leave --strategy out)"
    )
    listed = " and ".join(f"{n} ({name})" for name, n in sizes.items())
    raise RecipeError(
        f"--strategy {strategy_name}: {whole} (a partial last batch can leave a replica no "
        f"examples, on which the decoder fails), but the splits hold {listed} examples, not "
        f"all multiples of batch size {batch_size}; {advice}."
    )


def length_boundaries(ds, num_buckets):
    """Bucket boundaries at the quantiles of the example lengths of `(x, y)` dataset `ds`.

    Example:
        >>> import tensorflow as tf
        >>> texts = ["a", "a b", "a b c", "a b c d", "a b c d e", "a b c d e f"]
        >>> ds = tf.data.Dataset.from_tensor_slices((texts, [0, 1, 0, 1, 0, 1]))
        >>> length_boundaries(ds, 3)  # texts are measured in words
        [3, 5]
    """
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
        >>> import tensorflow as tf
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
    """Adapts a `text=True` model's `TextVectorization` to the training split's texts.

    Example:
        >>> import tensorflow as tf, zoo
        >>> m = zoo.models.lstm(text=True, vocab_size=50, task="binary", units=4)
        >>> train = tf.data.Dataset.from_tensor_slices((["a great film", "a dull film"], [1, 0]))
        >>> adapt_vectorizer(m, train)
        >>> m.get_layer("vectorizer").vocabulary_size()  # padding, [UNK] and 4 words
        6
    """
    from zoo.models import adapt_text

    adapt_text(model, train, batch_size=1024)


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
                monitor=recipe.monitor,
                mode=monitor_mode(recipe.monitor),
                patience=recipe.early_stopping,
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

    Example:
        >>> import numpy as np, tensorflow as tf, zoo
        >>> r = Recipe(name="r", model="gru", dataset="d", task="regression")
        >>> m = zoo.models.gru(input_shape=(3, 1), task="regression", units=4, seed=0)
        >>> ds = tf.data.Dataset.from_tensor_slices((np.zeros((4, 3, 1)), np.zeros(4)))
        >>> train, val = batched(r, ds, 4, training=True, seed=0), batched(r, ds, 4)
        >>> history = fit_model(r, m, train, val, epochs=1, callbacks=[], verbose=0)
        >>> sorted(history), len(history["loss"])  # one epoch of one step
        (['loss', 'mae', 'val_loss', 'val_mae'], 1)
    """
    if recipe.fit is not None:
        history = recipe.fit(
            model, train_batches, validation_batches, epochs - initial_epoch, callbacks
        )
    else:
        epoch = getattr(train_batches, "epoch", None)  # `zoo.data.batches`'s seeded shuffle
        if epoch is not None:  # epoch e draws e's order, also when resumed in a new process
            at_epoch = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, _: epoch.assign(e))
            callbacks = [at_epoch, *callbacks]
        with quiet_end_of_data():
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


@contextlib.contextmanager
def quiet_end_of_data():
    """Hides Keras's "Your input ran out of data" warning, which is wrong for our datasets.

    Keras 3 (up to 3.15) warns at the end of every first epoch over a dataset of unknown length
    (batched by length, filtered), although iterating to the end is how it learns the length;
    the warning's advice is for `steps_per_epoch`, which rnn-zoo never sets. Fixed upstream in
    keras-team/keras#23360, not yet released.

    Example:
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     with quiet_end_of_data():
        ...         warnings.warn("Your input ran out of data; interrupting training.")
        ...     warnings.warn("another warning")
        >>> [str(w.message) for w in caught]
        ['another warning']
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Your input ran out of data", category=UserWarning
        )
        yield


def monitor_mode(monitor):
    """`"max"` for a monitor that grows as the model improves (accuracy, AUC, ...), else `"min"`.

    Example:
        >>> monitor_mode("val_accuracy"), monitor_mode("val_loss"), monitor_mode("val_cer")
        ('max', 'min', 'min')
    """
    return "max" if any(k in monitor for k in ("acc", "auc", "precision", "recall")) else "min"


def metric_names(model, recipe, val):
    """What `model.fit` reports for `model`: its metrics, plain and `val_` (read on 2 examples).

    Example:
        >>> import numpy as np, tensorflow as tf, zoo
        >>> r = Recipe(name="r", model="gru", dataset="d", task="regression")
        >>> m = zoo.models.gru(input_shape=(5, 2), task="regression", units=4)
        >>> val = tf.data.Dataset.from_tensor_slices((np.zeros((2, 5, 2)), np.zeros((2, 1))))
        >>> metric_names(m, r, val)
        ['loss', 'mae', 'val_loss', 'val_mae']
    """
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
    overrides = dict(overrides or {})
    check_flag_overrides(overrides, epochs=epochs, batch_size=batch_size)
    check_closed_form_epochs(recipe, overrides.get("epochs", epochs))
    recipe, model_kwargs = configure(recipe, overrides)
    check_manual_dir(manual_dir, recipe)
    epochs = check_positive_int("epochs", recipe.epochs if epochs is None else epochs)
    batch_size = check_positive_int(
        "batch_size", recipe.batch_size if batch_size is None else batch_size
    )
    seed = check_seed(seed)
    out = output_folder(recipe, output)
    state = run_folder.output_state(out, overwrite)
    keras.utils.set_random_seed(seed)

    model_kwargs = {"seed": seed, **model_kwargs}
    strategy_name, strategy = strategy, distribution_strategy(strategy)
    if batch_size < strategy.num_replicas_in_sync:
        raise RecipeError(
            f"batch_size={batch_size} is smaller than the {strategy.num_replicas_in_sync} "
            f"replicas of strategy {strategy_name!r}: every replica needs examples in every "
            "step; raise the batch size (a multiple of the replicas splits evenly)."
        )
    if batch_size % strategy.num_replicas_in_sync:
        n = strategy.num_replicas_in_sync
        raise RecipeError(
            f"batch_size={batch_size} does not split evenly over the {n} replicas of strategy "
            f"{strategy_name!r} (their slices would differ in size, which the all-reduce "
            f"refuses); use a multiple of {n}, e.g. {batch_size - batch_size % n}."
        )
    with strategy.scope():  # the model's and the optimizer's variables live on every replica
        model = registry.build(recipe.model, task=recipe.task, **model_kwargs)  # validates early
    if recipe.check_model is not None:
        recipe.check_model(model)
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
        "plot": recipe.plot_name if recipe.plot is not None else None,
        "data_dir": data_dir,
        "manual_dir": manual_dir,
        "command": " ".join(sys.argv),
        "versions": run_folder.versions(),
        "started": datetime.datetime.now().isoformat(timespec="seconds"),
    }
    if state == "resume":
        run_folder.check_same_run(out, config)
    train, val, test = load_splits(recipe, data_dir, manual_dir, seed)
    splits = {"train": train, "validation": val, "test": test}
    check_whole_batches(recipe, splits, batch_size, strategy.num_replicas_in_sync, strategy_name)
    # A fit or callbacks hook may report more than `evaluate` (e.g. `val_cer`): then the first
    # epoch's logs (or, for a fit hook calling no callback, its history) are checked.
    hooked = recipe.fit is not None or recipe.callbacks is not None
    with naming_data_errors(recipe.dataset):  # the first passes over the data (its checks)
        if model_kwargs.get("text"):
            adapt_vectorizer(model, train)
        if not hooked:
            names = metric_names(model, recipe, val)
            if recipe.monitor not in names:
                raise _unknown_monitor(recipe, names, "its model")
        bounds = length_boundaries(train, recipe.buckets) if recipe.buckets else None
    train_b = batched(recipe, train, batch_size, training=True, seed=seed, boundaries=bounds)
    val_b, test_b = (batched(recipe, s, batch_size, boundaries=bounds) for s in (val, test))

    mode = monitor_mode(recipe.monitor)
    best_path = out / "best.weights.h5"
    if state == "overwrite":  # the replaced run is kept in previous/ until this one finishes
        shutil.rmtree(out / "backup", ignore_errors=True)
        plots_written = run_folder.stored_plots(out) | {recipe.plot_name}
        names = (*run_folder.RUN_OUTPUTS, *plots_written, "config.json", "tensorboard")
        run_folder.set_aside(out, names)
        print(
            f"--overwrite: the run in {out} is kept in {out / run_folder.PREVIOUS}/ until this "
            "one finishes (a failed run loses nothing; the same command without --overwrite "
            "resumes this one)."
        )
    elif state == "fresh":  # not the resumption of an interrupted run: its leftovers go
        shutil.rmtree(out / "tensorboard", ignore_errors=True)
        for stale in (out / "history.csv", best_path):
            stale.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)
    standard = [
        _CheckMonitor(recipe),
        # The epoch's row is logged before the backup records the epoch as done: a crash in
        # between re-runs an epoch already logged (its last row wins), never loses one.
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        keras.callbacks.BackupAndRestore(str(out / "backup")),
        keras.callbacks.TerminateOnNaN(),
        keras.callbacks.TensorBoard(str(out / "tensorboard")),
        keras.callbacks.ModelCheckpoint(
            str(best_path),
            monitor=recipe.monitor,
            mode=mode,
            save_best_only=True,
            save_weights_only=True,
            initial_value_threshold=run_folder.best_so_far(
                out / "history.csv", recipe.monitor, mode
            ),
        ),
    ]
    callbacks = fit_callbacks(recipe, model, val_b, standard, callbacks or ())
    run_folder.write_json(out / "config.json", config)

    start, cpu_start = time.perf_counter(), time.process_time()
    with naming_data_errors(recipe.dataset):
        history = fit_model(recipe, model, train_b, val_b, epochs, callbacks, verbose=verbose)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    history, logged_epochs = run_folder.full_history(out / "history.csv", history)
    if history and recipe.monitor not in history:  # a fit hook that called no callback
        raise _unknown_monitor(recipe, list(history), "its fit hook")
    if best_path.exists():
        model.load_weights(str(best_path))
    with quiet_end_of_data():
        scores = model.evaluate(test_b, return_dict=True, verbose=0)
    monitored = history.get(recipe.monitor, [])
    numbers = logged_epochs or range(1, len(monitored) + 1)
    best_epoch = best_value = None
    if any(math.isfinite(v) for v in monitored):  # else training diverged: no best epoch
        pick = np.nanargmin if mode == "min" else np.nanargmax
        best = int(pick(np.where(np.isfinite(monitored), monitored, np.nan)))
        best_epoch, best_value = int(numbers[best]), float(monitored[best])
    metrics = {
        **{f"test_{k}": float(v) for k, v in scores.items()},
        "best_epoch": best_epoch,
        f"best_{recipe.monitor}": best_value,
        "epochs_run": len(monitored) or len(history.get("loss", [])),
        "train_seconds": round(seconds, 2),
        # CPU time of every thread: on a shared machine, train_cpu_seconds / cores is what the
        # run would take alone on those cores (wall time counts the other jobs too).
        "train_cpu_seconds": round(cpu_seconds, 2),
    }
    report = getattr(model, "readout_report", None)  # a closed-form readout (the ESN's)
    if report:
        metrics["readout_ridge"] = report["ridge"]  # the ridge it chose (from a list: searched)
    if recipe.evaluate is not None:
        start = time.perf_counter()
        extra = recipe.evaluate(model, test_b)
        metrics.update({f"test_{k}": v for k, v in extra.items()})
        metrics["evaluate_seconds"] = round(time.perf_counter() - start, 2)
    metrics = run_folder.finite(metrics)
    # metrics.json is written last: it marks the run finished, so a crash before it (a full
    # disk) leaves a run that the same command resumes or redoes, never one without a model.
    with run_folder.naming_output(out):
        model_path = run_folder.save_model(model, out / "model.keras")
        written = [out / "config.json", model_path]
        written.append(plots.learning_curves(history, out / "learning_curves.png", recipe.name))
        if recipe.plot is not None:
            written.append(recipe.plot(model, test_b, out / recipe.plot_name))
        run_folder.write_json(out / "history.json", history)
        run_folder.write_json(out / "metrics.json", metrics)
    written += [out / "history.json", out / "metrics.json"]
    run_folder.drop_previous(out)  # the run --overwrite replaced, kept until now
    for name in ("history.csv", "best.weights.h5", "tensorboard"):  # written while training
        if (out / name).exists():
            written.append(out / name)
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


def output_folder(recipe, output=None):
    """The folder a run of `recipe` writes into: `output`, else `runs/<recipe name>`.

    Example:
        >>> output_folder(Recipe(name="r", model="gru", dataset="d", task="regression"))
        PosixPath('runs/r')
    """
    return pathlib.Path(output or pathlib.Path("runs") / recipe.name)


def _fmt(value):
    """A metric in the one-line summary: floats to 4 digits, text on one line, cut at 60."""
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, str):  # (a sampled text: metrics.json holds it whole)
        return repr(value) if len(value) <= 60 else repr(value[:57]) + "..."
    return str(value)


def add_run_arguments(parser):
    """Adds the options of `rnnzoo run` to `parser` (shared with `python -m recipes.NAME`).

    Example:
        >>> p = argparse.ArgumentParser(prog="rnnzoo run")
        >>> add_run_arguments(p)
        >>> args = p.parse_args(["--epochs", "1", "--set", "units=4", "--set", "dropout=0.1"])
        >>> args.epochs, args.set, args.seed, args.output, args.overwrite
        (1, ['units=4', 'dropout=0.1'], 0, None, False)
        >>> p.parse_args(["--strategy", "multiworker"])  # refused before anything runs
        Traceback (most recent call last):
        ...
        SystemExit: 2
    """
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
    """Runs `recipe` with the options parsed by `add_run_arguments`.

    Example:
        >>> from recipes.adding_gru import RECIPE
        >>> p = argparse.ArgumentParser(prog="rnnzoo run")
        >>> add_run_arguments(p)
        >>> run_from_args(RECIPE, p.parse_args(["--epochs", "2", "--set", "epochs=3"]))
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --set epochs=3 and --epochs 2 disagree; give one of them.
    """
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

    Example:
        >>> from recipes.adding_gru import RECIPE
        >>> with contextlib.redirect_stderr(sys.stdout):  # to show the error line here
        ...     try:
        ...         main(RECIPE, ["--epochs", "2", "--set", "epochs=3"])
        ...     except SystemExit as e:
        ...         print("exit status", e.code)
        adding_gru: error: --set epochs=3 and --epochs 2 disagree; give one of them.
        exit status 2
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
    except KeyboardInterrupt:
        said = run_folder.interrupted_message(output_folder(recipe, args.output), args.overwrite)
        print(f"\n{recipe.name}: {said}", file=sys.stderr)
        sys.exit(130)
