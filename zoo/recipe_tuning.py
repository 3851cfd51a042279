"""`rnnzoo tune`: a recipe's hyperparameter search, on its data, trained as `rnnzoo run` trains.

`tune(recipe, ...)` searches a recipe's hyperparameters with keras-tuner's random, Bayesian or
Hyperband oracle (`zoo.tuning`), resumably and, with `--role chief` / `--chief HOST:PORT
--worker-id ID`, across processes with keras-tuner's own chief/worker mode. Its trials train
through `zoo.training` (the recipe's batches, callbacks and `fit` hook), so this module stands
above it, beside the CLI.
"""

import dataclasses
import datetime
import json
import math
import pathlib
import shutil
import sys
import threading
import time

import keras
import keras_tuner

from zoo import run_folder, training, tuning
from zoo.recipe import (
    RecipeError,
    check_closed_form_epochs,
    check_flag_overrides,
    check_seed,
    configure,
    parse_overrides,
)
from zoo.validation import check_choice, check_positive_int, suggest

VERBOSITY = (0, 1, 2)


class RecipeHyperModel(tuning.ZooHyperModel):
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

    Example:
        >>> r = training.Recipe(name="r", model="gru", dataset="adding_problem/t50",
        ...                     task="regression")
        >>> hm = RecipeHyperModel(r, {"task": "regression", "input_shape": (None, 2)})
        >>> hm.build(keras_tuner.HyperParameters()).output_shape
        (None, 1)
    """

    def __init__(self, recipe, fixed, batch_sizes=None, objective=None, boundaries=None):
        super().__init__(recipe.model, fixed, space=recipe.search_space, batch_sizes=batch_sizes)
        self.recipe, self.objective, self.boundaries = recipe, objective, boundaries

    def fit(self, hp, model, x, *args, validation_data=None, epochs=1, batch_size=32, **kwargs):
        """Trains `model` on `x` (single `(x, y)` examples) as `rnnzoo run` would.

        Returns:
            A `keras.callbacks.History` of what the training reported, plus `seconds`.
        """
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


def _metric_names(hm, val, recipe):
    """The names the objective may take: what the model reports, plain and `val_`.

    And what the recipe's callbacks add (their `reports`); `None` if a callback does not say.
    """
    model, sample = hm.build(keras_tuner.HyperParameters()), val.take(2)
    if hm.fixed.get("text"):
        training.adapt_vectorizer(model, sample)
    names = training.metric_names(model, recipe, sample)
    if recipe.callbacks is not None:
        pair = training.batched(recipe, sample, 2, cache=False)
        reports = [getattr(c, "reports", None) for c in recipe.callbacks(model, pair)]
        names = None if None in reports else [*names, *(n for r in reports for n in r)]
    del model
    keras.backend.clear_session()
    return names


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


def _check_same_search(stored, now, out, worker=None):
    """Raises `RecipeError` naming what differs between a stored search and this command.

    A search stored before `tuning.json` held the seed has no `seed` to compare: it resumes
    with this command's seed (which is then stored). `worker` (its id) words the message for a
    worker, which joins the chief's search as it is (it cannot start one afresh).
    """
    diffs = []
    for key in now:
        if key == "seed" and "seed" not in stored:
            continue
        if key == "space":
            old = {p["name"]: p for p in stored.get("space", [])}
            new = {p["name"]: p for p in now["space"]}
            names = sorted(n for n in old.keys() | new.keys() if old.get(n) != new.get(n))
            if names:
                diffs.append("the search space (hyperparameters " + ", ".join(names) + ")")
        else:
            diffs += run_folder.differing(stored, now, [key])
    if diffs and worker is not None:
        raise RecipeError(
            f"worker {worker}: the chief's search in --output {out} differs from this command in "
            + "; ".join(diffs)
            + ": its trials would be scored as the chief's. Start the worker with the chief's "
            "recipe and options."
        )
    run_folder.refuse_to_mix(out, "a search", diffs)


def _stored_oracle_state(out):
    """The oracle state the search in `out` last saved (`search/oracle.json`), or `{}`."""
    path = out / "search" / "oracle.json"
    return json.loads(path.read_text()) if path.exists() else {}


def _continue_ongoing_trials(oracle, state):
    """Gives a restarted chief's reloaded oracle back the trials its workers were running.

    keras-tuner's `Oracle.reload` queues every trial that was running for a retry, as if its
    worker had died with the chief; and its display keeps a trial's start time only in memory
    (the oracle saves its state before recording it). A worker that outlived the chief then
    ends its trial on a chief that has no start time for it (a `KeyError` there, which the
    worker gets as a gRPC error), and the next worker to ask runs the same trial again. The
    state also lists as running the trial whose end it records last (the chief saves before
    it forgets the trial), which the reload would queue to run again.

    Here the retry queue is the saved one again; each trial still running is assigned again
    to its worker (as if the chief had never stopped: the worker ends it, or picks it up when
    restarted with the same `--worker-id`), counted among the workers the chief waits for
    before it exits, and given a start time (the restart's) and a trial number for the
    display; a trial that has ended stays ended.

    Args:
        oracle: the chief's reloaded `keras_tuner.Oracle`.
        state: the saved state (`_stored_oracle_state`), read before the tuner reloaded it.

    Returns:
        The ids of the trials assigned again, in the state's order.
    """
    if not state:
        return []
    display, now = oracle._display, datetime.datetime.now()
    oracle._retry_queue = [t for t in state.get("retry_queue", []) if t in oracle.trials]
    oracle.ongoing_trials, restored = {}, []
    for tuner_id, trial_id in (state.get("ongoing_trials") or {}).items():
        trial = oracle.trials.get(trial_id)
        if trial is None or trial.status != keras_tuner.engine.trial.TrialStatus.RUNNING:
            continue  # ended (its end is recorded) or its file is gone: nothing to give back
        oracle.ongoing_trials[tuner_id] = trial
        oracle.tuner_ids.add(tuner_id)
        display.trial_start.setdefault(trial_id, now)
        order = oracle.start_order
        number = order.index(trial_id) + 1 if trial_id in order else len(oracle.trials)
        display.trial_number.setdefault(trial_id, number)
        restored.append(trial_id)
    if display.search_start is None:
        display.search_start = now
    oracle.save()
    return restored


def _chief_lost(error, host, port, tuner_id):
    """The one-line message of a worker whose chief failed or went away (`grpc.RpcError`)."""
    code = error.code() if callable(getattr(error, "code", None)) else None
    details = error.details() if callable(getattr(error, "details", None)) else str(error)
    details = str(details or "").strip().splitlines()
    reason = ": ".join(str(x) for x in (getattr(code, "name", code), *details[:1]) if x)
    return (
        f"the chief at {host}:{port} failed or went away while worker {tuner_id} was searching "
        f"({reason or type(error).__name__}); see the chief's log, restart the chief with its "
        f"command (it resumes the search), then this worker with the same --worker-id "
        f"{tuner_id}."
    )


def _best_trials(oracle, direction):
    """The best COMPLETED trial with a finite score, as a list of one (or none).

    keras-tuner's own `get_best_trials` fills its list with unfinished or failed trials when
    too few completed, so a failed trial could pass for the best.
    """
    done = [
        t
        for t in oracle.trials.values()
        if t.status == "COMPLETED" and t.score is not None and math.isfinite(t.score)
    ]
    return sorted(done, key=lambda t: t.score, reverse=direction == "max")[:1]


def _failure_reason(message):
    """The informative line of a failed trial's message (keras-tuner stores the traceback).

    The reason is the exception's own line (`ValueError: ...`, its type without the module
    path), the line after the last `Traceback` header's frames: not the message's last line,
    which for a TensorFlow runtime error is the graph node (`[[{{node ...}}]] [Op:...]`).
    When that line only announces its details (`InvalidArgumentError: Graph execution
    error:`), the last detail line is added (e.g. `Incompatible shapes: [4,5] vs. [4,4]`).
    A message that is no traceback gives its first non-blank line.
    """
    lines = [line.rstrip() for line in message.strip().splitlines()]
    starts = [i for i, line in enumerate(lines) if line.startswith("Traceback (most recent")]
    if not starts:
        return next((line.strip() for line in lines if line.strip()), "")
    rest = lines[starts[-1] + 1 :]
    # the frames are indented; the exception starts at the first line that is not
    at = next((i for i, line in enumerate(rest) if line and not line[0].isspace()), None)
    if at is None:
        return lines[-1].strip()
    kind, sep, summary = rest[at].partition(": ")
    head = f"{kind.rsplit('.', 1)[-1]}{sep}{summary}" if " " not in kind else rest[at]
    if summary.strip() and not summary.rstrip().endswith(":"):
        return head
    details = [
        line.strip()
        for line in rest[at + 1 :]
        if line
        and not line[0].isspace()  # a frame of TF's "Detected at node ... defined at"
        and not line.startswith(("Detected at node", "[[", "During handling", "The above"))
    ]
    return f"{head} {details[-1]}" if details else head


def _failures(oracle):
    """What the trials ended as, e.g. `2 FAILED; the first failure: ValueError: ...`."""
    statuses = [t.status for t in oracle.trials.values()]
    counts = ", ".join(f"{statuses.count(s)} {s}" for s in sorted(set(statuses)))
    for trial in oracle.trials.values():
        message = (getattr(trial, "message", None) or "").strip()
        if message:
            reason = _failure_reason(message)
            return f"{counts or 'no trial'}; the first failure: {reason}"
    return counts or "no trial ran"


def _trial_rows(oracle, objective):
    """`tuning.trial_rows` as trials.csv holds them: trials numbered as keras-tuner's log does.

    `trial` counts from 1 ("Trial 1 Complete" is the first), `trial_id` is keras-tuner's id
    (its folder `search/trial_<id>`); floats are written to 12 significant digits (0.3, not
    0.30000000000000004).

    Example:
        >>> oracle = keras_tuner.oracles.RandomSearchOracle(objective="val_loss", max_trials=9)
        >>> oracle.trials["0"] = keras_tuner.engine.trial.Trial(oracle.get_space(), "0")
        >>> oracle.trials["0"].score = 0.1 + 0.2
        >>> _trial_rows(oracle, "val_loss")
        [{'trial': 1, 'trial_id': '0', 'status': 'RUNNING', 'val_loss': 0.3, 'seconds': None}]
    """
    rows = []
    for row in tuning.trial_rows(oracle, objective):
        trial_id = row.pop("trial")
        rows.append({"trial": _trial_number(trial_id), "trial_id": trial_id, **_short_floats(row)})
    return rows


def _trial_number(trial_id):
    """The number keras-tuner's log gives trial `trial_id` ("Trial 1" is id "0" or "00")."""
    return int(trial_id) + 1 if str(trial_id).isdigit() else trial_id


def _short_floats(row):
    """`row` with its finite floats to 12 significant digits."""
    return {
        k: float(f"{v:.12g}") if isinstance(v, float) and math.isfinite(v) else v
        for k, v in row.items()
    }


def _write_results(out, oracle, hm, objective, direction, batch_size, epochs):
    """Writes trials.csv and best_hyperparameters.json for the trials the oracle has ended.

    Without a completed trial of finite objective, best_hyperparameters.json is removed.

    Returns:
        `(rows, summary)`: trials.csv's rows and best_hyperparameters.json's dict (or `None`).
    """
    rows = _trial_rows(oracle, objective)
    tuning.write_csv(rows, out / "trials.csv")
    best = _best_trials(oracle, direction)
    if not best:
        (out / "best_hyperparameters.json").unlink(missing_ok=True)
        return rows, None
    trial = best[0]
    hp = trial.hyperparameters.copy()
    fit_values = hm.fit_values(hp.copy())
    summary = {
        "trial": _trial_number(trial.trial_id),
        "trial_id": trial.trial_id,
        "objective": objective,
        "direction": direction,
        "score": trial.score,
        "hyperparameters": hp.values,
        "model_kwargs": hm.tuned_kwargs(hp.copy()),
        "batch_size": fit_values.get("batch_size", batch_size),
        "epochs": fit_values.get("epochs") or hp.values.get("tuner/epochs") or epochs,
    }
    run_folder.write_json(out / "best_hyperparameters.json", summary)
    return rows, summary


def _after_each_trial(oracle, write):
    """Calls `write()` each time `oracle` has recorded a trial's end.

    keras-tuner ends every trial through its oracle's `end_trial`, in one process or on a
    chief serving workers; so trials.csv and best_hyperparameters.json describe every trial
    ended so far, also when the search is then interrupted (Ctrl-C, a killed process).
    """
    end_trial, lock = oracle.end_trial, threading.Lock()  # a chief ends trials in threads

    def end_trial_then_write(*args, **kwargs):
        ended = end_trial(*args, **kwargs)
        with lock:
            try:
                write()
            except Exception as e:  # the trial is recorded: a worker's call must not fail
                print(
                    f"could not update trials.csv and best_hyperparameters.json now ({e}); "
                    "they are written again as the next trial ends and when the search ends.",
                    file=sys.stderr,
                )
        return ended

    oracle.end_trial = end_trial_then_write


def _say_what_the_chief_waits_for(oracle):
    """Makes a chief say, once per state, which workers' trials it waits for at the end.

    Once every trial is handed out, keras-tuner's chief waits for the running ones without a
    word, and without a limit when their worker died; this names them and the way out.
    """
    create_trial, said = oracle.create_trial, set()

    def create_trial_then_say(tuner_id, *args, **kwargs):
        trial = create_trial(tuner_id, *args, **kwargs)
        ongoing = oracle.ongoing_trials.items()
        waiting = sorted((t.trial_id, worker) for worker, t in ongoing if worker != tuner_id)
        if trial.status == "STOPPED" and waiting and tuple(waiting) not in said:
            said.add(tuple(waiting))
            running = ", ".join(f"trial {i} (worker {worker})" for i, worker in waiting)
            print(
                f"chief: every trial is handed out; waiting for {running} to end (a worker "
                "that died: restart it with the same --worker-id).",
                flush=True,
            )
        return trial

    oracle.create_trial = create_trial_then_say


# A worker's calls that the chief may receive twice, and how often one is tried.
_RETRIED_CALLS, _CALL_TRIES = ("get_trial", "update_trial"), 3


def _retry_when_the_chief_restarts(oracle, pause=1.0):
    """Makes a worker's `get_trial` and `update_trial` try again when the chief went away.

    keras-tuner's client waits for an absent chief (`wait_for_ready`), but a call in flight
    when the chief stops fails at once (`UNAVAILABLE`, "Socket closed"), and keras-tuner's
    trial loop takes any error after a trial for the trial's own: the worker's finished trial
    was ended as failed on the restarted chief, its result lost (1 restart in 3). These two
    calls only read the trial or record its metrics (again, the same values at the same step),
    so they are tried again, up to `_CALL_TRIES` times, `pause` seconds apart; other errors
    are raised as before.

    Example:
        >>> import types
        >>> oracle = types.SimpleNamespace(get_trial=lambda i: i, update_trial=lambda *a: None)
        >>> _retry_when_the_chief_restarts(oracle)
        >>> oracle.get_trial("3")
        '3'
    """
    import grpc

    def retried(call):
        def call_again(*args, **kwargs):
            for attempt in range(_CALL_TRIES):
                try:
                    return call(*args, **kwargs)
                except grpc.RpcError as e:
                    code = getattr(e, "code", lambda: None)()
                    if code != grpc.StatusCode.UNAVAILABLE or attempt == _CALL_TRIES - 1:
                        raise
                    time.sleep(pause)

        return call_again

    for name in _RETRIED_CALLS:
        setattr(oracle, name, retried(getattr(oracle, name)))


# What a search writes into its output folder.
_OUTPUTS = (
    "search",
    "best",
    "tuning.json",
    "trials.csv",
    "best_hyperparameters.json",
    "objective.png",
)


def _remove_outputs(out):
    for name in _OUTPUTS:
        path = out / name
        if path.is_dir():
            shutil.rmtree(path, ignore_errors=True)
        else:
            path.unlink(missing_ok=True)


def _restore_previous(out):
    """Puts back the search `--overwrite` set aside, once its replacement's outputs are gone."""
    previous = out / run_folder.PREVIOUS
    if previous.is_dir():
        for path in previous.iterdir():
            path.rename(out / path.name)
        previous.rmdir()


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
    `search/` (keras-tuner's project: one folder per trial), `trials.csv` and
    `best_hyperparameters.json` (both rewritten as each trial ends, so that an interrupted
    search's describe its ended trials), `objective.png` and, with `retrain_best`, `best/` (a
    normal `zoo.training.run` of the best configuration). Re-running with the same `output` resumes:
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
        overwrite: delete an earlier search in `output` and start afresh (once every check
            has passed and the data has loaded).
        retrain_best: retrain the best configuration with `zoo.training.run` into `output/best`
            (replacing an earlier retraining there).
        overrides: `{key: value}` like `--set`: a model argument set here is fixed, not tuned;
            `batch_size` fixes the batch size. Not `seed` (that is `seed`), nor an `epochs`
            other than `epochs`.
        data_dir: TFDS data folder.
        manual_dir: folder of manually downloaded dataset files.
        seed: seeds the oracle, the models and the shuffling.
        role: `chief` to serve the oracle to workers, `worker` (or `None` with `worker_id`) to
            run trials for a chief, `None` with no `chief` for a search in this process.
        chief: `HOST:PORT` of the chief's oracle service (keras-tuner's, unauthenticated).
        worker_id: this worker's id; a worker restarted with the same id resumes its trial.
            A restarted chief gives its workers back the trials they were running.
        chief_timeout: seconds a worker waits for the chief to answer before giving up.
        callbacks: extra Keras callbacks for every trial's `fit`.
        verbose: 0 silent, 1 progress bars, 2 one line per epoch; keras-tuner's per-trial
            report shows unless 0.

    Returns:
        `{"best_hyperparameters", "best_score", "trials", "output"}`, plus `retrained` (the
        metrics of `best/`) with `retrain_best`; a worker, which writes no results, returns
        `None` for the first three.

    Raises:
        RecipeError: `output` holds another search (one with another seed included) or a run
            of `rnnzoo run` (`--overwrite` or not), `overrides`
            sets `seed` or another `epochs`, no trial completed with a finite objective (then no
            `best_hyperparameters.json` is written), or a worker's chief failed or went away.

    Example:
        >>> from recipes.adding_gru import RECIPE  # doctest: +SKIP
        >>> tune(RECIPE, max_trials=3, epochs=1, output="/tmp/adding_tune")  # doctest: +SKIP
    """
    max_trials, factor = tuning.check_tuner_options(tuner, max_trials, epochs, max_epochs, factor)
    seed = check_seed(seed)
    overrides = dict(overrides or {})
    check_flag_overrides(overrides, epochs=epochs)
    check_choice("--verbose", verbose, VERBOSITY)
    if isinstance(chief_timeout, bool) or not isinstance(chief_timeout, int | float):
        raise TypeError(f"chief_timeout must be seconds > 0, got {chief_timeout!r}.")
    if not chief_timeout > 0:
        raise ValueError(f"chief_timeout must be seconds > 0, got {chief_timeout!r}.")
    role, host, port, tuner_id = tuning.parse_distributed(role, chief, worker_id)
    if role == "worker" and (overwrite or retrain_best):
        flag = "--overwrite" if overwrite else "--retrain-best"
        raise ValueError(f"{flag} is for the chief, not a worker (--worker-id {worker_id}).")

    check_closed_form_epochs(recipe, overrides.get("epochs", epochs))
    if tuner == "hyperband" and recipe.closed_form:
        raise ValueError(
            f"--tuner hyperband needs training in epochs, and recipe {recipe.name!r} fits its "
            f"{recipe.model} readout in closed form (one pass: its fit hook has no epochs to "
            "share out, nor a checkpoint to continue from); use --tuner random or bayesian."
        )
    if tuner == "hyperband" and "epochs" in overrides:
        raise RecipeError(
            f"--set epochs={overrides['epochs']!r}: --tuner hyperband shares out epochs itself "
            "(up to --max-epochs); leave epochs out."
        )
    configured, model_kwargs = configure(recipe, overrides)
    _, fixed_by_user = configure(dataclasses.replace(recipe, model_kwargs={}), overrides)
    if tuner == "hyperband":
        max_epochs = configured.epochs if max_epochs is None else max_epochs
        max_epochs = check_positive_int("max_epochs", max_epochs)
    else:
        epochs = check_positive_int("epochs", configured.epochs if epochs is None else epochs)
    space = getattr(configured, "search_space", None)
    tunable = tuning.ZooHyperModel(recipe.model, {}, space=space, batch_sizes=None)
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
    batch_sizes = sorted({*tuning.BATCH_SIZES, configured.batch_size}) if tune_batch else None
    hm = RecipeHyperModel(configured, fixed, batch_sizes=batch_sizes)
    hm.check()  # the fixed arguments, before any data are read (or generated)
    if configured.check_model is not None:
        configured.check_model(hm.build(keras_tuner.HyperParameters()))
    keras.backend.clear_session()

    out = tune_folder(recipe.name, output)
    run_folder.check_output_folder(out)
    run_folder.refuse_other_command(out, "tune")
    if role == "chief":
        tuning.check_chief_address(host, port)
    lost_chief = ()  # the errors meaning that the chief failed or went away (a worker's)
    held = run_folder.FolderLock(out, "tune", active=role != "worker")  # (one chief a folder)
    with tuning.tuner_env(tuner_id, host, port), held:
        if role == "worker":
            import grpc  # keras-tuner's client needs it: imported only for a worker

            lost_chief = (grpc.RpcError,)
            try:
                tuning.wait_for_chief(host, port, chief_timeout)
            except ConnectionError as e:
                raise RecipeError(str(e)) from None
        train, val, _ = training.load_splits(configured, data_dir, manual_dir, seed)
        train, val = train.cache(), val.cache()  # decoded once, shared by every trial
        if configured.buckets:
            hm.boundaries = training.length_boundaries(train, configured.buckets)
        objective = objective or configured.monitor
        # A fit hook may report more than `evaluate` (e.g. `val_nrmse84`), and so may a
        # callback that does not declare what it adds: then the first trial checks the
        # objective against what the training reports (and an unfitted closed-form model
        # could not be evaluated for the names).
        names = None if configured.fit is not None else _metric_names(hm, val, configured)
        if names is not None and objective not in names:
            raise ValueError(
                f"--objective must be a metric recipe {recipe.name!r} reports: "
                f"{', '.join(names)}; got {objective!r}." + suggest(objective, names)
            )
        hm.objective = objective
        direction = training.monitor_mode(objective)
        sig = _signature(
            configured,
            hm,
            tuner=tuner,
            objective=objective,
            epochs=epochs,
            max_epochs=max_epochs,
            factor=factor,
            seed=seed,
            batch_size=None if tune_batch else configured.batch_size,
            buckets=configured.buckets,
        )
        if role != "worker":  # held before anything is set aside or written
            out.mkdir(parents=True, exist_ok=True)
            held.acquire()
        sig_path = out / "tuning.json"
        fresh = overwrite or not sig_path.exists()
        if overwrite:  # kept in previous/ until the new search has run (its objective checked)
            run_folder.set_aside(out, _OUTPUTS)
        elif sig_path.exists():
            worker = tuner_id if role == "worker" else None
            _check_same_search(json.loads(sig_path.read_text()), sig, out, worker)
        elif role == "worker":  # the chief writes it before it serves: another folder
            raise RecipeError(
                f"worker {tuner_id}: --output {out} holds no tuning.json, which the chief at "
                f"{host}:{port} writes into its --output before it serves trials: give the "
                "worker the chief's --output, on a folder both machines share (the search's "
                "settings are checked against it)."
            )
        elif (out / "search" / "oracle.json").exists() and role != "worker":
            raise RecipeError(
                f"--output {out} holds a keras-tuner search without tuning.json, so it cannot "
                "be checked against this command; pass --overwrite or choose another --output."
            )
        if role != "worker":
            run_folder.write_json(sig_path, sig)
        state = _stored_oracle_state(out) if role == "chief" and not fresh else {}
        search = tuning.make_tuner(
            tuner, hm, objective, direction, max_trials, max_epochs, factor, seed, out,
            worker=role == "worker",
        )  # fmt: skip
        if state:  # a restarted chief: its workers' trials go on
            _continue_ongoing_trials(search.oracle, state)

        def write_results():
            return _write_results(
                out, search.oracle, hm, objective, direction, configured.batch_size, epochs
            )

        if role != "worker":
            _after_each_trial(search.oracle, write_results)
        else:
            _retry_when_the_chief_restarts(search.oracle)
        if role == "chief":
            _say_what_the_chief_waits_for(search.oracle)
        finished = role == "chief" and not fresh and tuning.search_finished(search.oracle)
        if finished:  # it would wait for a worker to ask for a trial, to tell it to stop
            print(f"the search in {out} is finished; the chief writes its results.")
        try:
            if not finished:
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
                _restore_previous(out)  # and the search --overwrite was replacing, whole
            raise ValueError(str(e)) from None
        except RuntimeError as e:  # keras-tuner's limit of consecutive failed trials
            if "consecutive failures" not in str(e) or role == "worker":
                raise
            write_results()
            raise RecipeError(
                f"the search stopped: {str(e).splitlines()[0]} ({_failures(search.oracle)}); "
                f"see {out}/trials.csv, fix the cause and re-run with --overwrite."
            ) from None
        except lost_chief as e:  # a worker's call to the chief failed: one line, not a traceback
            raise RecipeError(_chief_lost(e, host, port, tuner_id)) from None
        run_folder.drop_previous(out)  # the search --overwrite replaced
        if role == "worker":
            print(
                f"worker {tuner_id}: the chief has no trial left to hand out; it writes the "
                "results once every worker's trial has ended (a worker that died mid-trial: "
                "restart it with its --worker-id)."
            )
            return {"best_hyperparameters": None, "best_score": None, "trials": None, "output": out}
        oracle = search.oracle
        rows, summary = write_results()
    written = [out / "trials.csv"]
    title = f"{recipe.name}: {tuner} search"
    plot = tuning.plot_objective(rows, objective, direction, out / "objective.png", title)
    written.append(pathlib.Path(plot))
    result = {"best_hyperparameters": None, "best_score": None, "trials": len(rows), "output": out}
    if summary is None:
        print(f"\n{recipe.name}: no trial of {len(rows)} completed with a finite {objective}.")
        raise RecipeError(
            f"no trial of the search in {out} completed with a finite {objective} "
            f"({_failures(oracle)}), so there is no best configuration; see {out}/trials.csv, "
            "fix the cause and re-run with --overwrite."
        )
    model_values, run_epochs = summary["model_kwargs"], summary["epochs"]
    written.append(out / "best_hyperparameters.json")
    result.update(best_hyperparameters=summary["hyperparameters"], best_score=summary["score"])
    done = sum(r["status"] == "COMPLETED" for r in rows)
    print(f"\n{recipe.name}: {done} of {len(rows)} trials completed", end="")
    print(f", best {objective} {result['best_score']:.4g}")
    if max_trials is not None and len(rows) > max_trials and role != "worker":
        print(f"(--max-trials {max_trials}: the search already held {len(rows)} trials)")
    print(f"results in {out}/:")
    for path in written:
        print(f"  {path.name}")
    if not retrain_best and _stale_best(out, summary):
        print(
            f"note: {out}/best/ holds the retraining of an earlier best trial; the best is now "
            f"trial {summary['trial']}: re-run with --retrain-best to retrain it."
        )
    if retrain_best:
        run_overrides = {**overrides, **model_values, "batch_size": summary["batch_size"]}
        # what the best trial's values made moot is left out, as the trial left it out
        merged = {**recipe.model_kwargs, **run_overrides}
        moot = set(merged) - set(tuning.without_moot_arguments(recipe.model, merged))
        run_overrides = {k: v for k, v in run_overrides.items() if k not in moot}
        recipe = dataclasses.replace(
            recipe, model_kwargs={k: v for k, v in recipe.model_kwargs.items() if k not in moot}
        )
        # best/ is this search's own output: an earlier retraining there, finished or
        # interrupted (perhaps of another best), is replaced, not refused or resumed
        retrained = (out / "best").exists()
        result["retrained"] = training.run(
            recipe,
            epochs=run_epochs,
            output=out / "best",
            data_dir=data_dir,
            manual_dir=manual_dir,
            seed=seed,
            overrides=run_overrides,
            verbose=verbose,
            overwrite=retrained,
        )
    return result


def _stale_best(out, summary):
    """Whether `out/best/` holds a retraining of other values than the best trial's.

    Example:
        >>> _stale_best(pathlib.Path("no/such/search"), {})
        False
    """
    path = out / "best" / "config.json"
    if not path.exists():
        return False
    config = json.loads(path.read_text())
    kept = config.get("model_kwargs", {})  # (values the trial made moot are left out)
    return config.get("batch_size") != summary["batch_size"] or any(
        k in kept and kept[k] != v for k, v in summary["model_kwargs"].items()
    )


def tune_folder(name, output=None):
    """The folder a search of recipe `name` writes into: `output`, else `runs/<name>_tune`.

    Example:
        >>> tune_folder("adding_gru")
        PosixPath('runs/adding_gru_tune')
    """
    return pathlib.Path(output or pathlib.Path("runs") / f"{name}_tune")


def add_tune_arguments(parser):
    """Adds the options of `rnnzoo tune` to `parser`.

    Example:
        >>> import argparse
        >>> p = argparse.ArgumentParser(prog="rnnzoo tune")
        >>> add_tune_arguments(p)
        >>> args = p.parse_args(["--tuner", "hyperband", "--max-epochs", "9", "--set", "units=4"])
        >>> args.tuner, args.max_epochs, args.set, args.seed, args.verbose
        ('hyperband', 9, ['units=4'], 0, 2)
    """
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
    """Runs `tune` with the options parsed by `add_tune_arguments`.

    Example:
        >>> import argparse
        >>> from recipes.adding_gru import RECIPE
        >>> p = argparse.ArgumentParser(prog="rnnzoo tune")
        >>> add_tune_arguments(p)
        >>> tune_from_args(RECIPE, p.parse_args(["--max-trials", "3", "--set", "seed=1"]))
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --set seed: use --seed to seed a run (it seeds the model, the
        shuffling and Keras's generators together).
    """
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
