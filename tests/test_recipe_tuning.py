"""zoo.recipe_tuning: `rnnzoo tune` (trials as `rnnzoo run`, outputs, resume, bad input)."""

import csv
import dataclasses
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import types

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo import cli, recipe_tuning, training
from zoo.training import RecipeError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# A tiny adding-problem recipe: 256 training sequences of 50 steps, GRUs of 2 or 4 units.
RECIPE_SOURCE = """
import dataclasses
from recipes.adding_gru import RECIPE as ADDING

TINY = dataclasses.replace(
    ADDING,
    name="tiny_adding",
    dataset="adding_problem/t50",
    train_split="train[:256]",
    validation_split="validation[:64]",
    test_split="test[:64]",
    plot=None,
    search_space=lambda hp: {
        "units": hp.Choice("units", [2, 4]),
        "num_layers": hp.Int("num_layers", 1, 1),
    },
)
"""
_namespace = {}
exec(RECIPE_SOURCE, _namespace)
TINY = _namespace["TINY"]

# The same recipe behind the `rnnzoo tune` options, for the tests that need processes.
SCRIPT = RECIPE_SOURCE + textwrap.dedent(
    """
    import argparse, sys
    from zoo import recipe_tuning
    from zoo.training import RecipeError

    parser = argparse.ArgumentParser()
    recipe_tuning.add_tune_arguments(parser)
    try:
        recipe_tuning.tune_from_args(TINY, parser.parse_args())
    except (RecipeError, ValueError, TypeError) as e:
        print(f"error: {e}", file=sys.stderr)
        sys.exit(2)
    """
)


def _assert_each_trial_completed_once(out, count):
    """Trials 1..count are in trials.csv, all COMPLETED, and the oracle ran each once."""
    rows = _rows(out)
    assert [r["trial"] for r in rows] == [str(i + 1) for i in range(count)]
    assert [r["trial_id"] for r in rows] == [str(i) for i in range(count)]
    assert all(r["status"] == "COMPLETED" for r in rows)
    oracle = json.loads((out / "search" / "oracle.json").read_text())
    assert oracle["run_times"] == {str(i): 1 for i in range(count)}


def _kill_running(procs):
    for proc in procs:
        if proc.poll() is None:
            proc.kill()


def _rows(out):
    with open(out / "trials.csv") as f:
        return list(csv.DictReader(f))


# ---- rnnzoo tune ----------------------------------------------------------------------------


def test_tune_writes_results_resumes_and_refuses_a_different_space(tfds_data_dir, tmp_path):
    out = tmp_path / "search"
    common = dict(epochs=1, output=out, data_dir=tfds_data_dir, verbose=0)
    result = recipe_tuning.tune(TINY, max_trials=2, retrain_best=True, **common)
    rows = _rows(out)
    assert [(r["trial"], r["trial_id"]) for r in rows] == [("1", "0"), ("2", "1")]
    assert all(r["status"] == "COMPLETED" and float(r["seconds"]) > 0 for r in rows)
    assert {"units", "dropout", "learning_rate", "batch_size"} <= set(rows[0])
    best = json.loads((out / "best_hyperparameters.json").read_text())
    assert best["score"] == pytest.approx(min(float(r["val_loss"]) for r in rows))
    assert best["hyperparameters"] == result["best_hyperparameters"]
    assert (out / "objective.png").stat().st_size > 0
    retrained = json.loads((out / "best" / "metrics.json").read_text())
    assert np.isfinite(retrained["test_loss"])
    config = json.loads((out / "best" / "config.json").read_text())
    assert config["batch_size"] == best["batch_size"]
    assert config["model_kwargs"]["units"] == best["model_kwargs"]["units"]
    trial0 = (out / "search" / "trial_0" / "trial.json").read_bytes()

    # the same command again: a finished search runs no new trial; best/ is retrained afresh
    again = recipe_tuning.tune(TINY, max_trials=2, retrain_best=True, **common)
    assert len(_rows(out)) == 2 and again["retrained"]["epochs_run"] == retrained["epochs_run"]
    assert (out / "search" / "trial_0" / "trial.json").read_bytes() == trial0
    # another space in the same folder: refused, nothing lost
    with pytest.raises(
        RecipeError,
        match=r"differs from this command in .*the search space \(hyperparameters dropout\)",
    ):
        recipe_tuning.tune(TINY, max_trials=2, overrides={"dropout": 0.0}, **common)
    with pytest.raises(RecipeError, match=r"tuner \(stored 'random', now 'bayesian'\)"):
        recipe_tuning.tune(TINY, tuner="bayesian", max_trials=2, **common)
    with pytest.raises(RecipeError, match=r"differs from this command in seed \(stored 0, now 5\)"):
        recipe_tuning.tune(TINY, max_trials=2, seed=5, **common)
    assert len(_rows(out)) == 2
    # --overwrite with a bad argument: refused before the old search is deleted
    with pytest.raises(ValueError, match=r"--objective must be a metric .*got 'val_mea'"):
        recipe_tuning.tune(TINY, max_trials=2, objective="val_mea", overwrite=True, **common)
    assert len(_rows(out)) == 2 and (out / "tuning.json").exists()
    assert (out / "search" / "trial_0" / "trial.json").read_bytes() == trial0
    # a search stored before tuning.json held the seed resumes (with the seed now stored)
    stored = json.loads((out / "tuning.json").read_text())
    del stored["seed"]
    (out / "tuning.json").write_text(json.dumps(stored))
    recipe_tuning.tune(TINY, max_trials=2, seed=5, **common)
    assert json.loads((out / "tuning.json").read_text())["seed"] == 5 and len(_rows(out)) == 2


def test_an_interrupted_search_has_written_the_trials_it_ended(tfds_data_dir, tmp_path):
    out, began = tmp_path / "search", []

    def ctrl_c_in_the_second_trial(logs=None):
        began.append(len(began))
        if len(began) == 2:
            raise KeyboardInterrupt

    # (keras-tuner deep-copies a trial's callbacks; the function and its list are shared)
    ctrl_c = keras.callbacks.LambdaCallback(on_train_begin=ctrl_c_in_the_second_trial)
    with pytest.raises(KeyboardInterrupt):
        recipe_tuning.tune(TINY, max_trials=3, epochs=1, output=out, data_dir=tfds_data_dir,
                           verbose=0, callbacks=[ctrl_c])  # fmt: skip
    rows = _rows(out)
    assert [(r["trial"], r["trial_id"], r["status"]) for r in rows] == [("1", "0", "COMPLETED")]
    best = json.loads((out / "best_hyperparameters.json").read_text())
    assert (best["trial"], best["trial_id"]) == (1, "0")
    assert best["score"] == pytest.approx(float(rows[0]["val_loss"]), rel=1e-11)
    for name in ("val_loss", "learning_rate", "dropout"):  # 12 significant digits at most
        assert float(rows[0][name]) == float(f"{float(rows[0][name]):.12g}")


def test_trials_train_through_the_recipes_fit_hook(tfds_data_dir, tmp_path):
    # Mackey-Glass ESN: a closed-form ridge readout (no SGD) scored by its free run, which only
    # the recipe's fit hook reports (`val_nrmse84`); the batch size is the recipe's.
    from recipes.mackey_glass_esn import RECIPE as ESN

    tiny = dataclasses.replace(
        ESN,
        evaluate=None,
        plot=None,
        search_space=lambda hp: {
            "units": hp.Choice("units", [20, 40]),
            "spectral_radius": hp.Float("spectral_radius", 0.8, 1.0),
            "leak_rate": hp.Float("leak_rate", 0.3, 1.0),
            "ridge": hp.Fixed("ridge", 1e-8),
        },
    )
    out = tmp_path / "esn"
    common = dict(max_trials=2, output=out, data_dir=tfds_data_dir, verbose=0)
    recipe_tuning.tune(tiny, objective="val_nrmse84", **common)
    rows = _rows(out)
    assert [r["status"] for r in rows] == ["COMPLETED"] * 2 and "batch_size" not in rows[0]
    scores = [float(r["val_nrmse84"]) for r in rows]
    best = json.loads((out / "best_hyperparameters.json").read_text())
    assert best["score"] == pytest.approx(min(scores)) and best["batch_size"] == 1
    for trial in range(2):
        metrics = json.loads((out / "search" / f"trial_{trial}" / "trial.json").read_text())
        val_loss = metrics["metrics"]["metrics"]["val_loss"]["observations"][0]["value"][0]
        assert val_loss < 1e-4  # one-step MSE of the ridge readout (an SGD epoch: about 0.05)

    # an objective the fit hook does not report: one clear error, no half search left behind
    with pytest.raises(
        ValueError, match=r"fit hook reports loss, val_loss, val_nrmse84.*got 'val_mae'"
    ):
        recipe_tuning.tune(tiny, objective="val_mae", **{**common, "output": tmp_path / "bad"})
    assert not (tmp_path / "bad" / "tuning.json").exists()
    # ... nor, with --overwrite, is the finished search it was to replace lost
    before = {p: (out / p).read_bytes() for p in ("tuning.json", "best_hyperparameters.json")}
    with pytest.raises(ValueError, match=r"got 'val_nrmse48'"):
        recipe_tuning.tune(tiny, objective="val_nrmse48", overwrite=True, **common)
    assert {p: (out / p).read_bytes() for p in before} == before and _rows(out) == rows
    assert not (out / "previous").exists()
    # Hyperband shares out epochs: a closed-form readout has none (its trials failed before)
    with pytest.raises(ValueError, match=r"hyperband needs training in epochs.*'mackey_glass_esn'"):
        hb = {**common, "max_trials": None, "output": tmp_path / "esn_hb"}
        recipe_tuning.tune(tiny, tuner="hyperband", **hb)
    assert not (tmp_path / "esn_hb").exists()


def test_trials_batch_by_length_like_run(tfds_data_dir, tmp_path):
    # adding-problem sequences cut to lengths 5..49: with buckets=4 the 64 validation examples
    # come in several batches grouped by length, not in one batch of 64 padded to the longest
    seen = []

    def cut(x, y):
        return x[: 5 + tf.cast(tf.reduce_sum(x[:, 0]) * 1000.0, tf.int32) % 45], y

    def record(model, validation_batches):
        seen.append([int(x.shape[0]) for x, _ in validation_batches])
        return []

    recipe = dataclasses.replace(TINY, preprocess=cut, callbacks=record, buckets=4)
    recipe_tuning.tune(
        recipe,
        max_trials=1,
        epochs=1,
        output=tmp_path / "b",
        data_dir=tfds_data_dir,
        overrides={"batch_size": 64},
        verbose=0,
    )
    assert [r["status"] for r in _rows(tmp_path / "b")] == ["COMPLETED"]
    # (the first call is the objective's check, on 2 examples, before any trial)
    assert len(seen) == 2 and sum(seen[1]) == 64 and len(seen[1]) > 1
    stored = json.loads((tmp_path / "b" / "tuning.json").read_text())
    assert stored["buckets"] == 4


def test_text_recipe_adapts_its_vectorizer_each_trial(tmp_path):
    from recipes.imdb_bilstm import RECIPE as IMDB

    vocabulary = []

    def record(model, validation_batches):
        vocabulary.append(model.get_layer("vectorizer").vocabulary_size())
        return []

    recipe = dataclasses.replace(IMDB, callbacks=record)
    overrides = {"units": 4, "vocab_size": 200, "embedding_dim": 8, "num_layers": 1}
    with tfds.testing.mock_data(num_examples=16):
        recipe_tuning.tune(
            recipe, max_trials=1, epochs=1, output=tmp_path / "t", overrides=overrides, verbose=0
        )
    assert [r["status"] for r in _rows(tmp_path / "t")] == ["COMPLETED"]
    # adapted on the (mock) training reviews (the first call: the objective's check, before)
    assert len(vocabulary) == 2 and vocabulary[1] > 2


@pytest.mark.slow
def test_retrain_best_leaves_out_what_the_best_trial_made_moot(tfds_data_dir, tmp_path):
    # merge_mode is moot for a unidirectional GRU: the trial leaves it out, so must the retraining
    recipe = dataclasses.replace(TINY, model_kwargs={**TINY.model_kwargs, "merge_mode": "sum"})
    result = recipe_tuning.tune(
        recipe, max_trials=1, epochs=1, output=tmp_path / "s", data_dir=tfds_data_dir,
        retrain_best=True, verbose=0,
    )  # fmt: skip
    assert (tmp_path / "s" / "best" / "metrics.json").exists() and result["retrained"]


def test_retrain_best_reproduces_the_best_trial_with_dropout(tfds_data_dir, tmp_path):
    # the dropout masks draw from a seed generator: the retraining must draw as the trial did
    result = recipe_tuning.tune(
        TINY, max_trials=1, epochs=2, output=tmp_path / "s", data_dir=tfds_data_dir,
        overrides={"units": 4, "dropout": 0.2}, retrain_best=True, verbose=0,
    )  # fmt: skip
    assert result["retrained"]["best_val_loss"] == result["best_score"]


def test_a_continued_search_says_when_best_holds_an_earlier_best(tmp_path):
    # best/ kept trial 3's retraining after trial 5 became the best, without a word
    (tmp_path / "best").mkdir()
    retrained = {"model_kwargs": {"units": 4, "dropout": 0.1, "seed": 0}, "batch_size": 128}
    (tmp_path / "best" / "config.json").write_text(json.dumps(retrained))
    summary = {"model_kwargs": {"units": 4, "dropout": 0.1}, "batch_size": 128}
    assert not recipe_tuning._stale_best(tmp_path, summary)
    assert recipe_tuning._stale_best(tmp_path, {**summary, "batch_size": 64})
    summary["model_kwargs"]["dropout"] = 0.2
    assert recipe_tuning._stale_best(tmp_path, summary)


def test_a_search_in_a_folder_a_running_search_holds_is_refused(tfds_data_dir, tmp_path):
    # A second chief on a running chief's --output served the same search from another port.
    from zoo.run_folder import FolderLock

    out = tmp_path / "s"
    out.mkdir()
    with FolderLock(out, "tune"):  # (what the running search holds)
        with pytest.raises(RecipeError, match=r"is in use: another rnnzoo tune writes there"):
            recipe_tuning.tune(TINY, max_trials=1, epochs=1, output=out, data_dir=tfds_data_dir,
                               overwrite=True, verbose=0)  # fmt: skip
    assert not any(out.iterdir())


def test_a_workers_trial_outlives_a_chief_that_stops_mid_call():
    # A chief stopped during the worker's get_trial after a trial ("Stream removed (Socket
    # closed)", UNAVAILABLE): keras-tuner ended the finished trial as failed, its result lost.
    import grpc

    class Lost(grpc.RpcError):
        def __init__(self, code):
            self._code = code

        def code(self):
            return self._code

    calls = []

    def get_trial(trial_id):
        calls.append(trial_id)
        if len(calls) == 1:
            raise Lost(grpc.StatusCode.UNAVAILABLE)
        return trial_id

    def update_trial(trial_id, metrics, step=0):
        raise Lost(grpc.StatusCode.INVALID_ARGUMENT)

    oracle = types.SimpleNamespace(get_trial=get_trial, update_trial=update_trial)
    recipe_tuning._retry_when_the_chief_restarts(oracle, pause=0.0)
    assert oracle.get_trial("3") == "3" and calls == ["3", "3"]
    with pytest.raises(Lost):  # other errors as before
        oracle.update_trial("3", {"val_loss": 0.1})


def test_hyperband_refuses_set_epochs(tmp_path):
    with pytest.raises(RecipeError, match=r"--set epochs=1: --tuner hyperband shares out epochs"):
        recipe_tuning.tune(TINY, tuner="hyperband", overrides={"epochs": 1}, output=tmp_path)
    assert not any(tmp_path.iterdir())


def test_more_trials_and_overwrite(tfds_data_dir, tmp_path):
    out = tmp_path / "search"
    common = dict(epochs=1, output=out, data_dir=tfds_data_dir, verbose=0)
    recipe_tuning.tune(TINY, max_trials=1, **common)
    trial0 = (out / "search" / "trial_0" / "trial.json").read_bytes()
    # a larger --max-trials continues to the new total
    recipe_tuning.tune(TINY, max_trials=2, **common)
    assert [r["trial"] for r in _rows(out)] == ["1", "2"]
    assert (out / "search" / "trial_0" / "trial.json").read_bytes() == trial0

    # --overwrite starts afresh, and a --set argument is fixed, not tuned
    recipe_tuning.tune(TINY, max_trials=1, overrides={"dropout": 0.0}, overwrite=True, **common)
    rows = _rows(out)
    assert len(rows) == 1 and "dropout" not in rows[0]


@pytest.mark.slow
def test_bayesian_and_hyperband(tfds_data_dir, tmp_path, monkeypatch, capsys):
    recipe_tuning.tune(
        TINY,
        tuner="bayesian",
        max_trials=2,
        epochs=1,
        output=tmp_path / "b",
        data_dir=tfds_data_dir,
        verbose=0,
    )
    assert [r["status"] for r in _rows(tmp_path / "b")] == ["COMPLETED"] * 2
    recipe_tuning.tune(
        TINY,
        tuner="hyperband",
        max_epochs=2,
        factor=2,
        output=tmp_path / "h",
        data_dir=tfds_data_dir,
        verbose=0,
        overrides={"batch_size": 64},
    )
    rows = _rows(tmp_path / "h")
    assert len(rows) >= 2 and all(r["status"] == "COMPLETED" for r in rows)
    assert {int(r["tuner/epochs"]) for r in rows} <= {1, 2} and "batch_size" not in rows[0]

    # a chief started on either finished search writes its results, waiting for no worker
    def serve(oracle):
        pytest.fail("the chief served a finished search")

    from keras_tuner.src.distribute import oracle_chief

    monkeypatch.setattr(oracle_chief, "start_server", serve)
    chief = dict(role="chief", chief=f"127.0.0.1:{_free_port()}", data_dir=tfds_data_dir)
    result = recipe_tuning.tune(TINY, tuner="bayesian", max_trials=2, epochs=1,
                                output=tmp_path / "b", verbose=0, **chief)  # fmt: skip
    assert result["trials"] == 2 and "is finished" in capsys.readouterr().out
    hb = dict(max_epochs=2, factor=2, overrides={"batch_size": 64}, verbose=0)
    result = recipe_tuning.tune(TINY, tuner="hyperband", output=tmp_path / "h", **hb, **chief)
    assert result["trials"] == len(rows)


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(tuner="grid"), r"tuner must be one of 'random', 'bayesian', 'hyperband', got 'grid'"),
        (dict(tuner="randm"), r"Did you mean 'random'"),
        (dict(max_trials=0), r"max_trials must be a positive int, got 0"),
        (dict(tuner="hyperband", max_trials=5), r"--max-trials is not for hyperband, got 5"),
        (dict(tuner="hyperband", epochs=2), r"--epochs is not for hyperband"),
        (dict(tuner="hyperband", factor=1), r"--factor must be an int >= 2, got 1"),
        (dict(max_epochs=3), r"--max-epochs is for --tuner hyperband, got 3 with random"),
        (dict(chief="localhost"), r"--chief must be HOST:PORT .*got 'localhost'"),
        (dict(chief="h:99999"), r"--chief port must be in 1-65535, got 99999 in 'h:99999'"),
        (dict(chief="h:-1"), r"--chief port must be in 1-65535, got -1 in 'h:-1'"),
        (dict(chief="127.0.0.1:8000"), r"--chief needs --role chief .* or --worker-id ID"),
        (dict(worker_id="tuner0"), r"--worker-id needs --chief HOST:PORT"),
        (dict(role="boss", chief="h:1"), r"--role must be one of 'chief', 'worker', got 'boss'"),
        (dict(role="chief", chief="h:1", worker_id="t0"), r"--worker-id is for workers"),
        (dict(chief="h:1", worker_id="chief2"), r"without 'chief'.*got 'chief2'"),
        (dict(chief="h:1", worker_id="t0", overwrite=True), r"--overwrite is for the chief"),
        (dict(chief_timeout=0), r"chief_timeout must be seconds > 0, got 0"),
        (dict(overrides={"batch_size": 0}), r"batch_size must be a positive int, got 0"),
        (dict(epochs=0), r"epochs must be a positive int, got 0"),
        (dict(tuner="hyperband", max_epochs=0), r"max_epochs must be a positive int, got 0"),
        (dict(verbose=7), r"--verbose must be one of 0, 1, 2, got 7"),
        (dict(seed=-1), r"--seed must be an int in \[0, 2\*\*32 - 1\], got -1"),
    ],
)
def test_bad_options_fail_before_any_work(kwargs, error, tmp_path):
    with pytest.raises(ValueError, match=error):
        recipe_tuning.tune(TINY, output=tmp_path / "never", **kwargs)
    assert not (tmp_path / "never").exists()


def test_a_fixed_argument_the_model_refuses_fails_before_the_data_are_read(tmp_path, monkeypatch):
    def no_data(*args, **kwargs):
        raise AssertionError("the data were read before the model's arguments were checked")

    monkeypatch.setattr(training, "load_splits", no_data)
    with pytest.raises(ValueError, match=r"units must be a positive int, got 0"):
        recipe_tuning.tune(TINY, overrides={"units": 0}, output=tmp_path / "never")
    assert not (tmp_path / "never").exists()


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (
            dict(overrides={"seed": 7}, seed=1),
            "--set seed: use --seed to seed a run (it seeds the model, the shuffling and "
            "Keras's generators together).",
        ),
        (
            dict(overrides={"epochs": 2}, epochs=1),
            "--set epochs=2 and --epochs 1 disagree; give one of them.",
        ),
    ],
)
def test_set_refuses_what_a_flag_sets(kwargs, error, tmp_path):
    with pytest.raises(RecipeError) as e:
        recipe_tuning.tune(TINY, output=tmp_path / "never", **kwargs)
    assert str(e.value) == error
    assert not (tmp_path / "never").exists()


def test_bad_objective_and_override_name_the_choices(tfds_data_dir, tmp_path):
    common = dict(epochs=1, output=tmp_path / "o", data_dir=tfds_data_dir, verbose=0)
    with pytest.raises(ValueError, match=r"--objective must be a metric .*val_mae.*got 'val_mea'"):
        recipe_tuning.tune(TINY, objective="val_mea", **common)
    with pytest.raises(RecipeError, match=r"--set unitz: not an argument of model 'gru'"):
        recipe_tuning.tune(TINY, overrides={"unitz": 3}, **common)
    assert not (tmp_path / "o" / "search").exists()
    # A callbacks hook whose callbacks say what they log: checked before any trial too (the
    # seq2seq recipes' bad --objective was refused after a whole trial's training).
    hooked = dataclasses.replace(
        TINY, callbacks=lambda model, val: [training.WarmupCosine.from_model(model)]
    )
    with pytest.raises(ValueError, match=r"--objective must be .*learning_rate; got 'val_lr'"):
        recipe_tuning.tune(hooked, objective="val_lr", **common)
    assert not (tmp_path / "o" / "search").exists()


@pytest.mark.parametrize(
    "trials, error",
    [
        (2, r"no trial .*completed .*2 FAILED.*callbacks broke"),  # the search ran out
        (3, r"search stopped: Number of consecutive failures .*3 FAILED.*callbacks broke"),
    ],
)
def test_search_where_every_trial_failed_has_no_best(trials, error, tfds_data_dir, tmp_path):
    class Broken(keras.callbacks.Callback):
        def on_train_begin(self, logs=None):
            raise ValueError("the recipe's callbacks broke")

    def broken(model, validation_batches):
        return [Broken()]

    out = tmp_path / "f"
    with pytest.raises(RecipeError, match=error):
        recipe_tuning.tune(
            dataclasses.replace(TINY, callbacks=broken),
            max_trials=trials,
            epochs=1,
            output=out,
            data_dir=tfds_data_dir,
            verbose=0,
        )
    assert [r["status"] for r in _rows(out)] == ["FAILED"] * trials
    assert not (out / "best_hyperparameters.json").exists()


@pytest.mark.parametrize("mark", ["config.json", "metrics.json", "backup"])
def test_tune_refuses_a_folder_of_rnnzoo_run(mark, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "backup").mkdir() if mark == "backup" else (out / mark).write_text("{}")
    for overwrite in ([], ["--overwrite"]):
        assert cli.main(["tune", "adding_gru", "--output", str(out), *overwrite]) == 2
        assert capsys.readouterr().err == (
            f"rnnzoo tune: error: --output {out} holds a training run of rnnzoo run ({mark}), "
            "not a hyperparameter search; rnnzoo tune does not write into it (not with "
            "--overwrite either: the two would mix); choose another --output.\n"
        )
    assert sorted(p.name for p in out.iterdir()) == [mark]


def test_best_trial_is_a_completed_one_with_a_finite_score():
    import keras_tuner

    oracle = keras_tuner.oracles.RandomSearchOracle(objective="val_loss")
    for i, (status, score) in enumerate(
        [("FAILED", None), ("COMPLETED", float("nan")), ("COMPLETED", 0.5), ("COMPLETED", 0.3)]
    ):
        trial = keras_tuner.engine.trial.Trial(oracle.get_space(), trial_id=str(i), status=status)
        trial.score = score
        oracle.trials[str(i)] = trial
    assert [t.trial_id for t in recipe_tuning._best_trials(oracle, "min")] == ["3"]
    assert [t.trial_id for t in recipe_tuning._best_trials(oracle, "max")] == ["2"]
    del oracle.trials["2"], oracle.trials["3"]
    assert recipe_tuning._best_trials(oracle, "min") == []


# What keras-tuner stores as a failed trial's message: the traceback of a TF runtime error,
# whose last line is the graph node, not the reason.
GRAPH_ERROR = """Traceback (most recent call last):
  File "/venv/keras_tuner/src/engine/base_tuner.py", line 274, in _try_run_and_update_trial
    self._run_and_update_trial(trial, *fit_args, **fit_kwargs)
  File "/venv/tensorflow/python/eager/execute.py", line 53, in quick_execute
    tensors = pywrap_tfe.TFE_Py_Execute(ctx._handle, device_name, op_name,
tensorflow.python.framework.errors_impl.InvalidArgumentError: Graph execution error:

Detected at node compile_loss/mse/sub defined at (most recent call last):
  File "/venv/keras/src/backend/tensorflow/trainer.py", line 134, in one_step_on_data

  File "/venv/keras/src/losses/losses.py", line 1788, in mean_squared_error

Incompatible shapes: [4,5] vs. [4,4]
\t [[{{node compile_loss/mse/sub}}]] [Op:__inference_multi_step_on_iterator_1234]
"""
CHAINED_ERROR = """Traceback (most recent call last):
  File "/venv/zoo/training.py", line 10, in fit_model
    raise KeyError("x")
KeyError: 'x'

During handling of the above exception, another exception occurred:

Traceback (most recent call last):
  File "/venv/keras_tuner/src/engine/base_tuner.py", line 274, in _try_run_and_update_trial
    self._run_and_update_trial(trial, *fit_args, **fit_kwargs)
ValueError: the recipe's callbacks broke
  (a second line of the message)
"""


@pytest.mark.parametrize(
    "message, reason",
    [
        (
            GRAPH_ERROR,
            "InvalidArgumentError: Graph execution error: Incompatible shapes: [4,5] vs. [4,4]",
        ),
        (CHAINED_ERROR, "ValueError: the recipe's callbacks broke"),
        ("not a traceback\nsecond line", "not a traceback"),
    ],
)
def test_failures_name_the_reason_of_a_multi_line_trial_message(message, reason):
    import keras_tuner

    oracle = keras_tuner.oracles.RandomSearchOracle(objective="val_loss")
    for i in range(2):
        trial = keras_tuner.engine.trial.Trial(oracle.get_space(), trial_id=str(i))
        trial.status, trial.message = "FAILED", message
        oracle.trials[str(i)] = trial
    assert recipe_tuning._failures(oracle) == f"2 FAILED; the first failure: {reason}"


def test_cli_tune_errors_are_one_line(capsys):
    assert cli.main(["tune", "adding_gru", "--tuner", "grid"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("rnnzoo tune: error: --tuner must be one of") and "\n" not in err
    assert cli.main(["tune", "adding_gru", "--tuner", "hyperband", "--max-trials", "3"]) == 2
    assert "--max-trials is not for hyperband" in capsys.readouterr().err


# ---- a chief restarted mid-search, a worker whose chief fails (no gRPC: the chief's calls) ---


class _ChiefKilled(Exception):
    """Stands for a SIGKILL of the chief in the in-process chief tests."""


def _end(oracle, trial, score):
    """What a worker does at a trial's end: reports the objective, ends a copy (as gRPC does)."""
    import keras_tuner

    oracle.update_trial(trial.trial_id, {oracle.objective.name: score})
    sent = keras_tuner.engine.trial.Trial.from_proto(trial.to_proto())
    sent.status = "COMPLETED"
    oracle.end_trial(sent)


def test_a_restarted_chief_continues_its_workers_trials(tfds_data_dir, tmp_path, monkeypatch):
    # keras-tuner's gRPC server replaced by the calls workers make through it, on the chief's
    # own oracle; verbose=1 turns on the chief's display, whose trial start times broke it
    from keras_tuner.src.distribute import oracle_chief

    out = tmp_path / "shared"
    common = dict(epochs=1, output=out, data_dir=tfds_data_dir, verbose=1)
    chief = dict(role="chief", chief="127.0.0.1:1", **common)

    def first_chief(oracle):  # w0 ends trial 0, begins trial 1, then the chief is killed
        _end(oracle, oracle.create_trial("w0"), 0.5)
        assert oracle.create_trial("w0").trial_id == "1"
        raise _ChiefKilled

    monkeypatch.setattr(oracle_chief, "start_server", first_chief)
    with pytest.raises(_ChiefKilled):
        recipe_tuning.tune(TINY, max_trials=3, **chief)
    saved = json.loads((out / "search" / "oracle.json").read_text())
    assert saved["ongoing_trials"] == {"w0": "1"} and "1" not in saved["display"]["trial_start"]

    def restarted_chief(oracle):
        assert not oracle_chief.exit_chief(oracle)  # it waits for w0, still on trial 1
        assert oracle.create_trial("w1").trial_id == "2"  # a new trial, not a rerun of w0's
        _end(oracle, oracle.get_trial("1"), 0.4)  # w0, which outlived the chief, ends its trial
        _end(oracle, oracle.get_trial("2"), 0.6)
        for worker in ("w0", "w1"):
            assert oracle.create_trial(worker).status == "STOPPED"
        assert oracle_chief.exit_chief(oracle)

    monkeypatch.setattr(oracle_chief, "start_server", restarted_chief)
    result = recipe_tuning.tune(TINY, max_trials=3, **chief)
    assert result["best_score"] == pytest.approx(0.4)
    rows = _rows(out)
    assert [(r["trial"], r["status"], float(r["val_loss"])) for r in rows] == [
        ("1", "COMPLETED", 0.5),
        ("2", "COMPLETED", 0.4),
        ("3", "COMPLETED", 0.6),
    ]
    best = json.loads((out / "best_hyperparameters.json").read_text())
    assert (best["trial"], best["trial_id"]) == (2, "1")

    # the chief's last state still lists the trial it ended last as running: a chief started
    # again (a larger --max-trials) hands out a new trial, not that one again
    assert json.loads((out / "search" / "oracle.json").read_text())["ongoing_trials"]

    def grown_chief(oracle):
        assert oracle.ongoing_trials == {} and oracle.create_trial("w0").trial_id == "3"
        _end(oracle, oracle.get_trial("3"), 0.7)
        assert oracle.create_trial("w0").status == "STOPPED" and oracle_chief.exit_chief(oracle)

    monkeypatch.setattr(oracle_chief, "start_server", grown_chief)
    recipe_tuning.tune(TINY, max_trials=4, **chief)
    assert [r["status"] for r in _rows(out)] == ["COMPLETED"] * 4
    oracle = json.loads((out / "search" / "oracle.json").read_text())
    assert oracle["run_times"] == {str(i): 1 for i in range(4)} and oracle["retry_queue"] == []

    # the chief's search continued in one process (keras-tuner reloads only its own tuner
    # id's oracle, so it began again at trial 0 over the chief's trials)
    recipe_tuning.tune(TINY, max_trials=5, **common)
    assert [r["trial"] for r in _rows(out)] == [str(i + 1) for i in range(5)]
    assert [float(r["val_loss"]) for r in _rows(out)][:4] == [0.5, 0.4, 0.6, 0.7]


@pytest.mark.parametrize(
    "host, error",
    [
        ("127.0.0.1", r"port \d+ is in use on this machine"),
        ("192.0.2.1", "cannot serve on 192.0.2.1"),
    ],
)
def test_a_chief_that_cannot_serve_its_address_is_refused_before_writing(host, error, tmp_path):
    # gRPC binds with SO_REUSEPORT: a second chief on a port would share the workers' calls
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        chief = f"{host}:{taken.getsockname()[1]}"
        with pytest.raises(ValueError, match=error):
            recipe_tuning.tune(TINY, role="chief", chief=chief, output=tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_a_worker_whose_chief_fails_stops_with_one_line(tfds_data_dir, tmp_path, monkeypatch):
    import grpc
    from keras_tuner.src.distribute import oracle_client

    class ChiefFailed(grpc.RpcError):  # what gRPC raises in a worker when the chief's call fails
        def code(self):
            return grpc.StatusCode.UNKNOWN

        def details(self):
            return "Exception calling application: '1'"

    def create_trial(self, tuner_id):
        raise ChiefFailed()

    monkeypatch.setattr(recipe_tuning.tuning, "wait_for_chief", lambda *args: None)
    monkeypatch.setattr(oracle_client.OracleClient, "create_trial", create_trial)
    monkeypatch.setattr(recipe_tuning, "_check_same_search", lambda *args: None)
    (tmp_path / "w").mkdir()
    (tmp_path / "w" / "tuning.json").write_text("{}")  # the chief's, in the shared folder
    with pytest.raises(RecipeError) as e:
        recipe_tuning.tune(
            TINY,
            chief="127.0.0.1:1",
            worker_id="w0",
            epochs=1,
            output=tmp_path / "w",
            data_dir=tfds_data_dir,
            verbose=0,
        )
    assert str(e.value) == (
        "the chief at 127.0.0.1:1 failed or went away while worker w0 was searching (UNKNOWN: "
        "Exception calling application: '1'); see the chief's log, restart the chief with its "
        "command (it resumes the search), then this worker with the same --worker-id w0."
    )
    assert "KERASTUNER_TUNER_ID" not in os.environ  # the environment is restored


def test_a_worker_joins_only_the_chief_s_search_in_the_chief_s_folder(
    tfds_data_dir, tmp_path, monkeypatch
):
    # A worker given another --output (or none) ran another recipe's trials under the chief's
    # hyperparameters: only the shared folder's tuning.json tells it the chief's search.
    monkeypatch.setattr(recipe_tuning.tuning, "wait_for_chief", lambda *args: None)
    worker = dict(chief="127.0.0.1:1", worker_id="w0", epochs=1, data_dir=tfds_data_dir)
    with pytest.raises(RecipeError, match=r"worker w0: --output .*w holds no tuning.json, which "
                                          r"the chief at 127.0.0.1:1 writes"):  # fmt: skip
        recipe_tuning.tune(TINY, output=tmp_path / "w", **worker)
    assert not (tmp_path / "w").exists()
    (tmp_path / "c").mkdir()
    (tmp_path / "c" / "tuning.json").write_text(json.dumps({"recipe": "adding_lstm"}))
    with pytest.raises(RecipeError) as e:
        recipe_tuning.tune(TINY, output=tmp_path / "c", **worker)
    message = str(e.value)
    assert message.startswith("worker w0: the chief's search in --output ")
    assert "recipe (stored 'adding_lstm'" in message and "--overwrite" not in message
    assert message.endswith("Start the worker with the chief's recipe and options.")


def test_worker_gives_up_on_an_unreachable_chief(tmp_path):
    port = _free_port()
    start = time.monotonic()
    with pytest.raises(RecipeError, match=rf"no chief answered at 127.0.0.1:{port} within 1 s"):
        recipe_tuning.tune(
            TINY,
            chief=f"127.0.0.1:{port}",
            worker_id="tuner0",
            chief_timeout=1,
            output=tmp_path / "w",
        )
    assert time.monotonic() - start < 30
    assert "KERASTUNER_TUNER_ID" not in os.environ  # the environment is restored


# ---- processes: kill -9 and resume, chief and workers ---------------------------------------


def _free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _start(tmp_path, args, log):
    script = tmp_path / "tune_tiny.py"
    script.write_text(SCRIPT)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": ROOT}
    for key in ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT"):
        env.pop(key, None)
    return subprocess.Popen(
        [sys.executable, str(script), *map(str, args)],
        env=env,
        cwd=ROOT,
        stdout=open(tmp_path / log, "w"),
        stderr=subprocess.STDOUT,
    )


def _wait_for(path, proc, timeout):
    deadline = time.monotonic() + timeout
    while not path.exists():
        assert proc.poll() is None, f"process ended ({proc.returncode}) before {path} appeared"
        assert time.monotonic() < deadline, f"{path} did not appear within {timeout} s"
        time.sleep(0.05)


@pytest.mark.slow
@pytest.mark.timeout(240)
def test_resume_after_kill_9_during_trial_2(tfds_data_dir, tmp_path):
    out = tmp_path / "out"
    args = ["--max-trials", 3, "--epochs", 4, "--set", "batch_size=16", "--output", out,
            "--data-dir", tfds_data_dir, "--verbose", 0]  # fmt: skip
    proc = _start(tmp_path, args, "first.log")
    _wait_for(out / "search" / "trial_1" / "trial.json", proc, 180)  # trial 2 has begun
    time.sleep(0.5)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    oracle = json.loads((out / "search" / "oracle.json").read_text())
    assert oracle["ongoing_trials"] == {"tuner0": "1"} and oracle["end_order"] == ["0"]
    trial0 = (out / "search" / "trial_0" / "trial.json").read_bytes()

    again = _start(tmp_path, args, "second.log")
    assert again.wait(timeout=200) == 0, (tmp_path / "second.log").read_text()
    _assert_each_trial_completed_once(out, 3)
    assert (out / "search" / "trial_0" / "trial.json").read_bytes() == trial0  # not re-run


@pytest.mark.slow
@pytest.mark.timeout(280)
def test_chief_and_two_workers_on_localhost(tfds_data_dir, tmp_path):
    out, port = tmp_path / "shared", _free_port()
    common = ["--epochs", 1, "--set", "batch_size=64", "--output", out, "--data-dir",
              tfds_data_dir, "--verbose", 0, "--chief", f"127.0.0.1:{port}"]  # fmt: skip
    chief = _start(tmp_path, ["--max-trials", 3, "--role", "chief", *common], "chief.log")
    workers = [
        _start(tmp_path, [*common, "--worker-id", f"tuner{i}"], f"worker{i}.log") for i in range(2)
    ]
    try:
        for i, worker in enumerate(workers):
            assert worker.wait(timeout=240) == 0, (tmp_path / f"worker{i}.log").read_text()
        assert chief.wait(timeout=60) == 0, (tmp_path / "chief.log").read_text()
    finally:
        _kill_running([chief, *workers])
    _assert_each_trial_completed_once(out, 3)
    assert (out / "best_hyperparameters.json").exists()
    assert "the chief has no trial left" in (tmp_path / "worker0.log").read_text()


@pytest.mark.slow
@pytest.mark.timeout(280)
def test_worker_killed_mid_trial_resumes_its_trial_with_the_same_id(tfds_data_dir, tmp_path):
    out, port = tmp_path / "shared", _free_port()
    common = ["--epochs", 2, "--set", "batch_size=16", "--output", out, "--data-dir",
              tfds_data_dir, "--verbose", 0, "--chief", f"127.0.0.1:{port}"]  # fmt: skip
    chief = _start(tmp_path, ["--max-trials", 2, "--role", "chief", *common], "chief.log")
    worker = _start(tmp_path, [*common, "--worker-id", "tuner0"], "worker.log")
    procs = [chief, worker]
    try:
        _wait_for(out / "search" / "trial_1" / "trial.json", worker, 200)  # on its 2nd trial
        time.sleep(0.5)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        finished = json.loads((out / "search" / "trial_0" / "trial.json").read_text())
        assert finished["status"] == "COMPLETED"  # the finished trial is kept
        assert chief.poll() is None  # the chief waits for the dead worker's trial
        again = _start(tmp_path, [*common, "--worker-id", "tuner0"], "again.log")
        procs.append(again)
        assert again.wait(timeout=200) == 0, (tmp_path / "again.log").read_text()
        assert chief.wait(timeout=60) == 0, (tmp_path / "chief.log").read_text()
    finally:
        _kill_running(procs)
    _assert_each_trial_completed_once(out, 2)


@pytest.mark.slow
@pytest.mark.timeout(280)
def test_chief_killed_mid_trial_and_restarted_finishes_the_search(tfds_data_dir, tmp_path):
    out, port = tmp_path / "shared", _free_port()
    common = ["--epochs", 2, "--set", "batch_size=16", "--output", out, "--data-dir",
              tfds_data_dir, "--verbose", 2, "--chief", f"127.0.0.1:{port}"]  # fmt: skip
    chief_args = ["--max-trials", 3, "--role", "chief", *common]
    chief = _start(tmp_path, chief_args, "chief.log")
    worker = _start(tmp_path, [*common, "--worker-id", "w0"], "worker.log")
    procs = [chief, worker]
    try:
        _wait_for(out / "search" / "trial_1" / "trial.json", worker, 200)  # on its 2nd trial
        time.sleep(0.5)
        chief.send_signal(signal.SIGKILL)
        chief.wait()
        saved = json.loads((out / "search" / "oracle.json").read_text())
        assert set(saved["ongoing_trials"]) == {"w0"}  # a trial of w0's was running
        again = _start(tmp_path, chief_args, "again.log")  # the same command
        procs.append(again)
        assert worker.wait(timeout=200) == 0, (tmp_path / "worker.log").read_text()
        assert again.wait(timeout=60) == 0, (tmp_path / "again.log").read_text()
    finally:
        _kill_running(procs)
    _assert_each_trial_completed_once(out, 3)  # none run twice
    assert (out / "best_hyperparameters.json").exists()


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_docstring_examples(tmp_path, monkeypatch):
    import doctest

    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(
        recipe_tuning, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    assert result.failed == 0 and result.attempted >= 1


def test_a_closed_form_recipe_refuses_epochs_before_searching(tmp_path):
    from recipes.mackey_glass_esn import RECIPE as ESN

    with pytest.raises(RecipeError, match="--epochs: recipe 'mackey_glass_esn' fits"):
        recipe_tuning.tune(ESN, max_trials=1, epochs=2, output=tmp_path / "t")
    assert not (tmp_path / "t").exists()


def test_a_failed_write_of_the_results_does_not_fail_the_trial_s_end(capsys):
    # On a chief, an error in end_trial reaches the worker whose trial it is, which then stops.
    class Oracle:
        def end_trial(self, trial):
            return f"ended {trial}"

    def write():
        raise OSError("No space left on device")

    oracle = Oracle()
    recipe_tuning._after_each_trial(oracle, write)
    assert oracle.end_trial("3") == "ended 3"
    assert "could not update trials.csv and best_hyperparameters.json now (No space left" in (
        capsys.readouterr().err
    )


def test_ctrl_c_under_tune_overwrite_before_the_old_search_is_set_aside(tmp_path):
    import argparse

    from zoo import cli

    out = tmp_path / "t"
    out.mkdir()
    (out / "tuning.json").write_text("{}")
    args = argparse.Namespace(command="tune", name="adding_gru", output=str(out), overwrite=True)
    assert cli._interrupted(args) == (
        f"interrupted before the search in {out} was replaced: it is unchanged."
    )
    (out / "previous").mkdir()  # set aside: the new search has begun
    assert "without --overwrite resumes the search" in cli._interrupted(args)


def test_a_chief_with_every_trial_handed_out_names_the_trials_it_waits_for(capsys):
    # keras-tuner's chief waited without a word (and without limit) for a dead worker's trial.
    class Trial:
        def __init__(self, trial_id, status):
            self.trial_id, self.status = trial_id, status

    class Oracle:
        ongoing_trials = {"tuner1": Trial("2", "RUNNING")}

        def create_trial(self, tuner_id):
            return Trial(None, "STOPPED")

    oracle = Oracle()
    recipe_tuning._say_what_the_chief_waits_for(oracle)
    for _ in range(2):  # said once
        assert oracle.create_trial("tuner0").status == "STOPPED"
    assert capsys.readouterr().out == (
        "chief: every trial is handed out; waiting for trial 2 (worker tuner1) to end (a worker "
        "that died: restart it with the same --worker-id).\n"
    )
