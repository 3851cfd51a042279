"""What every recipe shares: load the TFDS data, build the model, fit, evaluate, write the results.

A recipe (see `recipes/`) is a `Recipe` declaration: which registered model, which TFDS dataset,
which task and hyperparameters. `run(recipe, ...)` does the rest and writes, into its output
folder, `config.json`, `history.json`, `metrics.json`, `model.keras`, `tensorboard/` and PNG plots.

Its parts live beside it, and are importable from here as before: a recipe's data in
`zoo.recipe_data`, its fitting in `zoo.recipe_fit`, `--strategy` in `zoo.distribute`, the
`WarmupCosine` schedule in `zoo.schedules`.
"""

import argparse
import datetime
import functools
import math
import pathlib
import shutil
import sys
import time

import keras
import numpy as np

from zoo import plots, registry, run_folder
from zoo.distribute import (  # noqa: F401  (STRATEGIES: re-exported)
    STRATEGIES,
    _check_strategy,
    check_whole_batches,
    distribution_strategy,
)
from zoo.recipe import (  # noqa: F401  (Recipe, RecipeError, parse_overrides, ...: re-exported)
    Recipe,
    RecipeError,
    check_closed_form_epochs,
    check_config_name,
    check_flag_overrides,
    check_seed,
    configure,
    parse_overrides,
)
from zoo.recipe_data import (  # noqa: F401  (mix_datasets: re-exported)
    adapt_vectorizer,
    batched,
    check_manual_dir,
    length_boundaries,
    load_splits,
    mix_datasets,
    naming_data_errors,
)
from zoo.recipe_fit import (
    fit_callbacks,
    fit_model,
    metric_names,
    monitor_mode,
    quiet_end_of_data,
)
from zoo.run_folder import os_error_message
from zoo.schedules import WarmupCosine  # noqa: F401  (re-exported: recipes reach it here)
from zoo.validation import check_positive_int, suggest


def _strategy_argument(value):
    """`--strategy`'s check, so that a bad value fails before anything runs."""
    try:
        return _check_strategy(value)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


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
    arguments = {k: v for k, v in locals().items() if k != "recipe"}
    # Another run writing into the same folder now is refused (two runs there would clear and
    # overwrite each other's logs, checkpoints and backup).
    with run_folder.FolderLock(output_folder(recipe, output), "run") as held:
        return _run(recipe, held=held, **arguments)


def _run(
    recipe,
    *,
    epochs,
    batch_size,
    output,
    data_dir,
    manual_dir,
    seed,
    overrides,
    callbacks,
    strategy,
    verbose,
    overwrite,
    held,
):
    """`run`, in the folder `held` (a `run_folder.FolderLock`, acquired once it exists)."""
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
        val_b = batched(recipe, val, batch_size, boundaries=bounds)  # (read whole: its checks)
    train_b = batched(recipe, train, batch_size, training=True, seed=seed, boundaries=bounds)

    mode = monitor_mode(recipe.monitor)
    best_path = out / "best.weights.h5"
    # Held before anything is cleared: another run that began writing here while this one
    # prepared is refused, and the folder's state is read again under the lock.
    out.mkdir(parents=True, exist_ok=True)
    held.acquire()
    if run_folder.output_state(out, overwrite) != state:
        raise RecipeError(
            f"--output {out} changed while this run prepared (another run wrote there); run "
            "the command again."
        )
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
    standard = [
        _CheckMonitor(recipe),
        # The epoch's row is logged before the backup records the epoch as done: a crash in
        # between re-runs an epoch already logged (its last row wins), never loses one.
        keras.callbacks.CSVLogger(str(out / "history.csv"), append=True),
        run_folder.Backup(str(out / "backup")),
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
    # (its patience count carried over a resumption: replayed from history.csv)
    stopping = functools.partial(run_folder.ResumedEarlyStopping, out)
    callbacks = fit_callbacks(recipe, model, val_b, standard, callbacks or (), stopping)
    run_folder.write_json(out / "config.json", config)

    start, cpu_start = time.perf_counter(), time.process_time()
    stopped = [c for c in callbacks if isinstance(c, run_folder.ResumedEarlyStopping)]
    if stopped and stopped[0].stopped():  # stopped before it was interrupted: nothing to train
        fit_epochs = run_folder.epochs_backed_up(out / "backup")
    else:
        fit_epochs = epochs
    with naming_data_errors(recipe.dataset):
        history = fit_model(recipe, model, train_b, val_b, fit_epochs, callbacks, verbose=verbose)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    history, logged_epochs = run_folder.full_history(out / "history.csv", history)
    if history and recipe.monitor not in history:  # a fit hook that called no callback
        raise _unknown_monitor(recipe, list(history), "its fit hook")
    if best_path.exists():
        model.load_weights(str(best_path))
    with naming_data_errors(recipe.dataset):  # (the test split, read whole: its checks)
        test_b = batched(recipe, test, batch_size, boundaries=bounds)
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
    # the resume checkpoint, kept until now: a run stopped after its last epoch (while it
    # evaluated or saved) resumes there, with no epoch trained again
    shutil.rmtree(out / "backup", ignore_errors=True)
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
        >>> import contextlib
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
