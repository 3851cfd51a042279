"""A run's output folder: whether it is fresh, resumed or replaced, and how results are written.

Strict JSON (a NaN or infinity written as `null`), atomic writes (a crash never leaves a
half-written `model.keras` or `metrics.json`), the check that an interrupted run is resumed only by
the same command, and one-line messages for OS errors. Shared by `zoo.training.run` and
`zoo.recipe_tuning.tune`.
"""

import contextlib
import csv
import json
import math
import os
import pathlib
import shutil
import sys
import tempfile
import types

import keras
import numpy as np
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.recipe import RecipeError
from zoo.recipe_fit import random_state


def best_so_far(csv_path, monitor, mode):
    r"""The best monitored value in an earlier, interrupted run's history (for a resumed run).

    Example:
        >>> csv_path = pathlib.Path(tempfile.mkdtemp()) / "history.csv"
        >>> _ = csv_path.write_text("epoch,val_loss\n0,0.5\n1,0.25\n2,0.375\n")
        >>> best_so_far(csv_path, "val_loss", "min"), best_so_far(csv_path, "val_loss", "max")
        (0.25, 0.5)
        >>> print(best_so_far(csv_path.with_name("none.csv"), "val_loss", "min"))
        None
    """
    if not csv_path.exists():
        return None
    with open(csv_path) as f:
        values = [float(r[monitor]) for r in csv.DictReader(f) if r.get(monitor)]
    if not values:
        return None
    return min(values) if mode == "min" else max(values)


def versions():
    """The versions of rnn-zoo, Keras, TensorFlow, TFDS and Python (kept in `config.json`).

    Example:
        >>> import keras
        >>> sorted(versions())
        ['keras', 'python', 'tensorflow', 'tensorflow_datasets', 'zoo']
        >>> versions()["keras"] == keras.__version__
        True
    """
    return {
        "zoo": __import__("zoo").__version__,
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
        "tensorflow_datasets": tfds.__version__,
        "python": sys.version.split()[0],
    }


def write_json(path, obj):
    """Writes `obj` as strict JSON (a NaN or infinity becomes `null`), atomically.

    Example:
        >>> import numpy as np
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "metrics.json"
        >>> write_json(path, {"test_loss": np.float32(0.5), "test_mae": float("nan")})
        >>> print(path.read_text(), end="")
        {
          "test_loss": 0.5,
          "test_mae": null
        }
    """
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(finite(obj), indent=2, allow_nan=False) + "\n")
    os.replace(tmp, path)


def finite(obj):
    """`obj` as strict JSON can hold it: a non-finite float as `None`, NumPy scalars as Python's.

    What JSON has no type for goes through `_json_default`.

    Example:
        >>> import numpy as np
        >>> finite({"loss": [0.5, float("nan")], "best": np.float32("inf")})
        {'loss': [0.5, None], 'best': None}
    """
    if isinstance(obj, np.generic):
        obj = obj.item()
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if obj is None or isinstance(obj, bool | int | str):
        return obj
    if isinstance(obj, dict):
        return {str(k) if not isinstance(k, str) else k: finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [finite(v) for v in obj]
    return finite(_json_default(obj))


def _json_default(value):
    if hasattr(value, "get_config"):  # (NumPy scalars never get here: `finite` reads them)
        return keras.saving.serialize_keras_object(value)
    return repr(value)


def save_model(model, path):
    """Saves `model` to `path` atomically: a crash never leaves a half-written `.keras` file.

    Example:
        >>> import keras, zoo
        >>> m = zoo.models.gru(input_shape=(None, 2), task="regression", units=4)
        >>> path = save_model(m, pathlib.Path(tempfile.mkdtemp()) / "model.keras")
        >>> sorted(p.name for p in path.parent.iterdir())  # no partial file left behind
        ['model.keras']
        >>> keras.models.load_model(path).output_shape
        (None, 1)
    """
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


class Backup(keras.callbacks.BackupAndRestore):
    """Keras's `BackupAndRestore`, keeping the model's random state too, and kept after `fit`.

    `save_weights` leaves out the layers' seed generator states (`random_state`), so a resumed
    run would draw other dropout masks than an uninterrupted one. Each epoch's are written
    under its number before Keras records the epoch as done, and the earlier epoch's removed
    only after: a crash in between resumes the earlier epoch with its own. The checkpoint
    outlives `fit` (the run removes it once `metrics.json` is written), so that a run stopped
    after its last epoch resumes there: at the evaluation, with no epoch trained again.

    Example:
        >>> import numpy as np, zoo
        >>> m = zoo.models.gru(input_shape=(3, 1), task="regression", units=4, dropout=0.5)
        >>> backup = pathlib.Path(tempfile.mkdtemp()) / "backup"
        >>> x, y = np.ones((4, 3, 1)), np.zeros(4)
        >>> _ = m.fit(x, y, epochs=2, callbacks=[Backup(backup)], verbose=0)
        >>> sorted(p.name for p in backup.iterdir())
        ['latest.weights.h5', 'random_state.2.npz', 'training_metadata.json']
    """

    def __init__(self, backup_dir):
        super().__init__(backup_dir, delete_checkpoint=False)

    def on_train_begin(self, logs=None):
        """Restores the weights, the epoch and the random state of the last epoch backed up."""
        super().on_train_begin(logs)
        path = self._random_state_path(epochs_backed_up(self.backup_dir))  # (none for 0)
        if path.exists():
            with np.load(path) as saved:
                for i, variable in enumerate(random_state(self.model)):
                    variable.assign(saved[str(i)])

    def on_epoch_end(self, epoch, logs=None):
        """Backs up the epoch, its random state first."""
        path = self._random_state_path(epoch + 1)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp")
        with open(tmp, "wb") as f:
            np.savez(f, **{str(i): v.numpy() for i, v in enumerate(random_state(self.model))})
        os.replace(tmp, path)
        super().on_epoch_end(epoch, logs)
        for old in path.parent.glob("random_state.*.npz"):
            if old != path:
                old.unlink()

    def _random_state_path(self, epochs_done):
        return pathlib.Path(self.backup_dir) / f"random_state.{epochs_done}.npz"


# What a run stopped by Ctrl-C says (`rnnzoo run` and `python -m recipes.NAME`), without
# `--overwrite` (`interrupted_message`).
INTERRUPTED = "interrupted; the same command resumes from the last finished epoch."

# What a run writes into its output folder besides config.json (removed by `overwrite`).
RUN_OUTPUTS = (
    "history.json",
    "metrics.json",
    "model.keras",
    "history.csv",
    "best.weights.h5",
    "learning_curves.png",
)
# The config.json keys a resumed run may change: where the data is, how it was started.
RESUME_MAY_DIFFER = ("command", "versions", "started", "data_dir", "manual_dir", "plot")


# What marks a folder as `rnnzoo run`'s or as `rnnzoo tune`'s (neither writes into the other's).
FOLDER_MARKS = {
    "run": ("config.json", "metrics.json", "backup"),
    "tune": ("tuning.json", "search/oracle.json"),
}
_FOLDER_HOLDS = {"run": "a training run", "tune": "a hyperparameter search"}


def refuse_other_command(out, command):
    """Raises `RecipeError` when `out` holds the other command's output (`run` or `tune`).

    `--overwrite` replaces only its own command's files, so it is refused too: the two
    commands' files would mix in one folder. (`rnnzoo tune --retrain-best` trains into its
    `best/` subfolder, a run folder of its own.)

    Example:
        >>> refuse_other_command(pathlib.Path("no/such/folder"), "run")
    """
    other = "tune" if command == "run" else "run"
    found = [name for name in FOLDER_MARKS[other] if (out / name).exists()]
    if found:
        raise RecipeError(
            f"--output {out} holds {_FOLDER_HOLDS[other]} of rnnzoo {other} "
            f"({', '.join(found)}), not {_FOLDER_HOLDS[command]}; rnnzoo {command} does not "
            "write into it (not with --overwrite either: the two would mix); choose another "
            "--output."
        )


class FolderLock:
    """Holds `out` for this process, so that a second rnnzoo command writing there is refused.

    An advisory `flock` on the folder itself, taken when entered if the folder exists, else by
    `acquire()` once it is made; released on exit. Where `fcntl` is missing (Windows), nothing
    is locked.

    Args:
        out: the output folder.
        command: `"run"` or `"tune"`, for the message.
        active: `False` holds nothing (a search's workers share their chief's folder).

    Example:
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> with FolderLock(out, "tune"):
        ...     FolderLock(out, "tune").acquire()
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --output ... is in use: another rnnzoo tune writes there now ...
        >>> with FolderLock(out, "tune"):  # released
        ...     pass
    """

    def __init__(self, out, command, active=True):
        self.out, self.command, self.active, self._fd = pathlib.Path(out), command, active, None

    def acquire(self):
        """Takes the lock if the folder exists (once); raises `RecipeError` if it is held."""
        if not self.active or self._fd is not None or not self.out.is_dir():
            return
        try:
            import fcntl
        except ImportError:  # (Windows)
            return
        fd = os.open(self.out, os.O_RDONLY)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise RecipeError(
                f"--output {self.out} is in use: another rnnzoo {self.command} writes there now "
                "(two would mix their files and state); wait for it to end, or choose another "
                "--output."
            ) from None
        self._fd = fd

    def __enter__(self):
        self.acquire()
        return self

    def __exit__(self, *exc):
        if self._fd is not None:
            os.close(self._fd)  # (closing releases the lock)
            self._fd = None


def check_output_folder(out):
    """Raises `RecipeError` when `out` cannot be a folder: it, or a folder above it, is a file.

    Example:
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (out / "afile").write_text("")
        >>> check_output_folder(out / "run")
        >>> check_output_folder(out / "afile" / "sub")
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --output .../afile/sub cannot be a folder: .../afile is a file;
        choose another --output.
    """
    out = pathlib.Path(out)
    if out.exists() and not out.is_dir():
        raise RecipeError(f"--output {out} is a file, not a folder; choose another --output.")
    for above in out.parents:  # the nearest that exists (`exists` is False under a file)
        if above.exists():
            if not above.is_dir():
                raise RecipeError(
                    f"--output {out} cannot be a folder: {above} is a file; choose another "
                    "--output."
                )
            return


def output_state(out, overwrite):
    """`"fresh"`, `"resume"` (an interrupted run) or `"overwrite"`; refuses a finished run.

    A folder of `rnnzoo tune`'s is refused, `--overwrite` or not.

    Example:
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> output_state(out, overwrite=False)
        'fresh'
        >>> _ = (out / "metrics.json").write_text("{}")  # a finished run
        >>> output_state(out, overwrite=True)
        'overwrite'
        >>> output_state(out, overwrite=False)
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --output ... holds a finished run (metrics.json); pass
        --overwrite to replace it, or choose another --output.
    """
    check_output_folder(out)
    refuse_other_command(out, "run")
    # metrics.json is the last file a run writes: without it a run is not finished.
    finished = [n for n in ("metrics.json",) if (out / n).exists()]
    if overwrite and (finished or (out / "backup").exists()):
        return "overwrite"
    if finished:
        raise RecipeError(
            f"--output {out} holds a finished run ({' and '.join(finished)}); pass --overwrite "
            "to replace it, or choose another --output."
        )
    if (out / "backup").exists():
        return "resume"
    _refuse_foreign_files(out)
    return "fresh"


def _is_run_config(path):
    """Whether `path` is a `config.json` a run wrote (a JSON object naming its recipe)."""
    try:
        config = json.loads(path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return False
    return isinstance(config, dict) and {"recipe", "model_kwargs", "epochs"} <= set(config)


def _refuse_foreign_files(out):
    """Raises `RecipeError` when a fresh run would replace or remove files no run wrote.

    A fresh run clears the leftovers of one that died before its first epoch was backed up
    (its `config.json`, `history.csv`, `tensorboard/`); in a folder of the user's own, the same
    names are not leftovers: `tensorboard/` was removed whole and the others replaced.
    """
    names = ("config.json", "tensorboard", *RUN_OUTPUTS)
    found = [n for n in names if (out / n).exists()]
    if found and not _is_run_config(out / "config.json"):
        shown = ", ".join(n + "/" if (out / n).is_dir() else n for n in found)
        raise RecipeError(
            f"--output {out} holds {shown}, which no rnnzoo run wrote there (no run's "
            "config.json): a run would replace or remove them; choose another --output."
        )


def check_same_run(out, config):
    """Raises `RecipeError` naming the keys where an interrupted run's config.json differs.

    Example:
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> write_json(out / "config.json", {"recipe": "adding_gru", "seed": 0, "command": "run"})
        >>> check_same_run(out, {"recipe": "adding_gru", "seed": 0, "command": "resume"})
        >>> check_same_run(out, {"recipe": "adding_gru", "seed": 1, "command": "run"})
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --output ... holds an interrupted run that differs from this
        command in seed (stored 0, now 1). Resuming would mix the two: ...
    """
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
    now = json.loads(json.dumps(finite(config)))
    keys = sorted((stored.keys() | now.keys()) - set(RESUME_MAY_DIFFER))
    refuse_to_mix(out, "an interrupted run", differing(stored, now, keys))


def differing(stored, now, keys):
    """`key (stored ..., now ...)` for each of `keys` whose value differs between two dicts.

    Example:
        >>> differing({"seed": 0, "units": 4}, {"seed": 1, "units": 4}, ["seed", "units", "mix"])
        ['seed (stored 0, now 1)']
    """
    return [
        f"{k} (stored {stored.get(k)!r}, now {now.get(k)!r})"
        for k in keys
        if stored.get(k) != now.get(k)
    ]


def refuse_to_mix(out, what, diffs):
    """Raises `RecipeError` when `out` holds `what` (a run, a search) differing by `diffs`.

    Example:
        >>> refuse_to_mix("runs/r1", "an interrupted run", [])
        >>> refuse_to_mix("runs/r1", "an interrupted run", ["seed (stored 0, now 1)"])
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --output runs/r1 holds an interrupted run that differs from this
        command in seed (stored 0, now 1). Resuming would mix the two: repeat the original
        command, pass --overwrite to start afresh, or choose another --output.
    """
    if diffs:
        raise RecipeError(
            f"--output {out} holds {what} that differs from this command in "
            + "; ".join(diffs)
            + ". Resuming would mix the two: repeat the original command, pass --overwrite to "
            "start afresh, or choose another --output."
        )


def full_history(csv_path, fallback):
    r"""Per-epoch history over the whole run, resumed parts included (from the CSV log).

    Returns:
        `(history, epochs)`: `{metric: [value per epoch]}` (a resumed epoch's last row wins)
        and the 1-based numbers of those epochs; without a CSV log, `fallback` (what `fit`
        reported) and `[]`.

    Example:
        >>> import numpy as np
        >>> csv_path = pathlib.Path(tempfile.mkdtemp()) / "history.csv"
        >>> _ = csv_path.write_text("epoch,loss\n0,0.5\n1,0.4\n1,0.375\n2,0.25\n")  # 1 resumed
        >>> full_history(csv_path, fallback={})
        ({'loss': [0.5, 0.375, 0.25]}, [1, 2, 3])
        >>> full_history(csv_path.with_name("none.csv"), fallback={"loss": [np.float32(0.5)]})
        ({'loss': [0.5]}, [])
    """
    if not csv_path.exists():
        return {k: [float(v) for v in vs] for k, vs in fallback.items()}, []
    with open(csv_path) as f:
        rows = list(csv.DictReader(f))
    by_epoch = {int(r["epoch"]): r for r in rows}  # a resumed epoch's last row wins
    keys = [k for k in rows[0] if k != "epoch"] if rows else []
    epochs = sorted(by_epoch)
    return {k: [float(by_epoch[e][k]) for e in epochs] for k in keys}, [e + 1 for e in epochs]


def epochs_backed_up(backup_dir):
    """How many epochs an interrupted run's backup (`Backup`) holds as done (0 without one).

    Example:
        >>> epochs_backed_up(pathlib.Path(tempfile.mkdtemp()))
        0
    """
    metadata = pathlib.Path(backup_dir) / "training_metadata.json"
    return int(json.loads(metadata.read_text())["epoch"]) if metadata.exists() else 0


class ResumedEarlyStopping(keras.callbacks.EarlyStopping):
    r"""Keras's `EarlyStopping`, its patience count and best value carried over a resumption.

    Keras keeps them in memory only: a run resumed at epoch `e` started counting afresh, so it
    trained past the epoch where the uninterrupted run stopped (and ended elsewhere). Here the
    epochs the backup holds as done are replayed from `history.csv` through Keras's own
    `on_epoch_end` when training begins. `stopped()` says whether that replay stops the run:
    then no epoch is left to train (`run` goes straight to its evaluation).

    Args:
        out: the run folder (its `history.csv` and `backup/`).
        **kwargs: `keras.callbacks.EarlyStopping`'s arguments.

    Example:
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (out / "history.csv").write_text("epoch,val_loss\n0,0.5\n1,0.6\n2,0.7\n")
        >>> (out / "backup").mkdir()
        >>> _ = (out / "backup" / "training_metadata.json").write_text('{"epoch": 3}')
        >>> ResumedEarlyStopping(out, monitor="val_loss", patience=2).stopped()
        True
        >>> ResumedEarlyStopping(out, monitor="val_loss", patience=3).stopped()
        False
    """

    def __init__(self, out, **kwargs):
        super().__init__(**kwargs)
        self.out = pathlib.Path(out)

    def _replay(self):
        """Resets the state and replays the epochs done; whether they stop the run."""
        super().on_train_begin()
        done = epochs_backed_up(self.out / "backup")
        history, epochs = full_history(self.out / "history.csv", {})
        stop = False
        for i, epoch in enumerate(epochs):
            if epoch <= done and self.monitor in history:
                self.model.stop_training = False
                super().on_epoch_end(epoch - 1, {self.monitor: history[self.monitor][i]})
                stop = bool(self.model.stop_training)
        self.model.stop_training = False
        return stop

    def stopped(self):
        """Whether the epochs done already stopped the run (with no model set: a throwaway)."""
        if self.model is None:
            self.set_model(types.SimpleNamespace(stop_training=False))
        return self._replay()

    def on_train_begin(self, logs=None):
        """Keras's reset, then the epochs done replayed."""
        self._replay()


# Where `--overwrite` keeps the run it replaces until the new one has finished.
PREVIOUS = "previous"


def interrupted_message(out, overwrite):
    """What a run into `out` stopped by Ctrl-C says: which command resumes it.

    With `--overwrite` the same command would not resume: it would set the unfinished run
    aside (or delete it, when `previous/` holds the run being replaced) and start again.

    Example:
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> interrupted_message(out, overwrite=False)
        'interrupted; the same command resumes from the last finished epoch.'
        >>> (out / "backup").mkdir()
        >>> print(interrupted_message(out, overwrite=True))  # doctest: +NORMALIZE_WHITESPACE
        interrupted; the same command without --overwrite resumes from the last finished epoch
        (with --overwrite it starts again at epoch 1).
        >>> _ = (out / "metrics.json").write_text("{}")  # stopped once metrics.json was written
        >>> interrupted_message(out, overwrite=False)
        'interrupted after the run finished: its results are in .../.'
    """
    out = pathlib.Path(out)
    # metrics.json is written last, the checkpoint removed after it: a run stopped in between
    # has finished (without --overwrite, a finished run is refused before it starts)
    if (out / "metrics.json").exists() and (not overwrite or (out / "backup").exists()):
        return f"interrupted after the run finished: its results are in {out}/."
    if not overwrite:
        return INTERRUPTED
    if (out / "backup").exists():
        kept = ""
        if (out / PREVIOUS).is_dir():
            kept = f"; the run it replaces stays in {out / PREVIOUS}/ until one finishes"
        return (
            "interrupted; the same command without --overwrite resumes from the last finished "
            f"epoch (with --overwrite it starts again at epoch 1){kept}."
        )
    if (out / "metrics.json").exists():
        return f"interrupted before the run in {out} was replaced: it is unchanged."
    return "interrupted before the first epoch finished; the same command starts again."


def set_aside(out, names):
    """Moves the files and folders `names` of the run in `out` into `out/previous/`.

    `--overwrite` calls it: the replaced run is deleted only once the new one has finished
    (`drop_previous`), so a new run that fails (a bad `--set`, a crash) loses nothing. When
    `previous/` exists already it holds the last finished run, and `out`'s own files are those of
    a replacement that never finished: they are deleted instead.

    Example:
        >>> import pathlib, tempfile
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (out / "metrics.json").write_text("{}")
        >>> set_aside(out, ["metrics.json", "model.keras"])
        >>> sorted(p.name for p in (out / PREVIOUS).iterdir()), (out / "metrics.json").exists()
        (['metrics.json'], False)
    """
    previous = out / PREVIOUS
    keep = not previous.exists()
    if keep:
        previous.mkdir()
    for name in names:
        path = out / name
        if keep and path.exists():
            path.rename(previous / name)
        elif path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)


def drop_previous(out):
    """Deletes the run `--overwrite` set aside (`set_aside`), once its replacement finished.

    Example:
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (out / "metrics.json").write_text("{}")
        >>> set_aside(out, ["metrics.json"])
        >>> (out / PREVIOUS / "metrics.json").exists()
        True
        >>> drop_previous(out)
        >>> (out / PREVIOUS).exists()
        False
    """
    shutil.rmtree(out / PREVIOUS, ignore_errors=True)


def stored_plots(out):
    """The plot an earlier run in `out` wrote (from its config.json), as a set of file names.

    Example:
        >>> out = pathlib.Path(tempfile.mkdtemp())
        >>> stored_plots(out)
        set()
        >>> write_json(out / "config.json", {"recipe": "mackey_glass_lstm", "plot": "forecast.png"})
        >>> stored_plots(out)
        {'forecast.png'}
    """
    try:
        stored = json.loads((out / "config.json").read_text())
    except (OSError, ValueError):
        return set()
    plot = stored.get("plot") if isinstance(stored, dict) else None
    return {plot} if isinstance(plot, str) and os.path.basename(plot) == plot else set()


@contextlib.contextmanager
def naming_output(out):
    """Gives an `OSError` that names no file (a full disk) the output folder it was writing.

    Example:
        >>> with naming_output("runs/r1"):
        ...     raise OSError(28, "No space left on device")
        Traceback (most recent call last):
        ...
        OSError: [Errno 28] No space left on device (writing the results into --output): 'runs/r1'
    """
    try:
        yield
    except OSError as e:
        if e.filename is None and e.strerror:
            raise OSError(
                e.errno, f"{e.strerror} (writing the results into --output)", str(out)
            ) from e
        raise


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
