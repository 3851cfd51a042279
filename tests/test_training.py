"""The recipe runner: outputs, resume, overrides, errors, and the catalogue recipes on mock data."""

import dataclasses
import json
import os
import re
import stat

import keras
import numpy as np
import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

import zoo
from recipes.adding_gru import RECIPE as ADDING
from recipes.imdb_bilstm import RECIPE as IMDB
from recipes.mnist_gru import RECIPE as MNIST
from zoo import training

TINY = {"dataset": "adding_problem/t50", "units": 4}


def _tiny_run(recipe, out, data_dir, **kwargs):
    """`training.run` of a tiny version of `recipe` into `out` (2 epochs unless given)."""
    settings = dict(epochs=2, batch_size=256, output=out, data_dir=data_dir, overrides=TINY)
    return training.run(recipe, **{**settings, "verbose": 0, **kwargs})


def test_run_writes_every_result(tfds_data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    metrics = _tiny_run(ADDING, out, tfds_data_dir)
    for name in (
        "config.json",
        "history.json",
        "metrics.json",
        "model.keras",
        "learning_curves.png",
        "gradient_through_time.png",
    ):
        assert (out / name).stat().st_size > 0, name
    assert any((out / "tensorboard").rglob("*.tfevents.*"))
    assert not (out / "backup").exists()  # a finished run leaves no resume checkpoint
    assert json.loads((out / "metrics.json").read_text()) == metrics
    assert np.isfinite(metrics["test_loss"]) and metrics["epochs_run"] == 2
    config = json.loads((out / "config.json").read_text())
    assert config["dataset"] == "adding_problem/t50" and config["model_kwargs"]["units"] == 4
    history = json.loads((out / "history.json").read_text())
    assert len(history["loss"]) == len(history["val_loss"]) == 2
    model = keras.models.load_model(out / "model.keras", safe_mode=True)
    assert model.predict(np.zeros((1, 50, 2), "float32"), verbose=0).shape == (1, 1)
    # the saved model holds the best epoch's weights, whose validation loss was recorded
    assert metrics["best_val_loss"] == pytest.approx(min(history["val_loss"]))
    assert str(out) in capsys.readouterr().out
    # model.keras gets the mode of the other outputs, not mkstemp's 0600
    mode = stat.S_IMODE((out / "model.keras").stat().st_mode)
    assert mode == stat.S_IMODE((out / "metrics.json").stat().st_mode) == 0o666 & ~_umask()

    # a finished run is never overwritten silently: refused before anything is touched
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    with pytest.raises(training.RecipeError, match=r"holds a finished run .*--overwrite"):
        training.run(ADDING, epochs=1, batch_size=256, output=out, overrides=TINY)
    assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    # --overwrite replaces it
    again = _tiny_run(ADDING, out, tfds_data_dir, epochs=1, overwrite=True)
    assert again["epochs_run"] == 1
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 1


def _umask():
    mask = os.umask(0)
    os.umask(mask)
    return mask


class _Interrupt(keras.callbacks.Callback):
    def __init__(self, at_epoch):
        super().__init__()
        self.at_epoch, self.begun = at_epoch, []

    def on_epoch_begin(self, epoch, logs=None):
        self.begun.append(epoch)

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.at_epoch:
            raise KeyboardInterrupt


def test_interrupted_run_resumes(tfds_data_dir, tmp_path):
    out = tmp_path / "run"
    kwargs = dict(
        epochs=3, batch_size=256, output=out, data_dir=tfds_data_dir, overrides=TINY, verbose=0
    )
    with pytest.raises(KeyboardInterrupt):
        training.run(ADDING, callbacks=[_Interrupt(at_epoch=1)], **kwargs)
    assert (out / "backup").exists() and not (out / "model.keras").exists()
    config = (out / "config.json").read_bytes()
    # another command in the same folder: refused before anything is written
    for other, keys in (
        ({**TINY, "units": 8}, r"model_kwargs \(stored"),
        ({**TINY, "learning_rate": 0.5}, r"model_kwargs"),
        ({"units": 4}, r"dataset \(stored 'adding_problem/t50', now 'adding_problem/t200'\)"),
    ):
        with pytest.raises(training.RecipeError, match=r"interrupted run that differs .*" + keys):
            training.run(ADDING, **{**kwargs, "overrides": other})
    assert (out / "config.json").read_bytes() == config
    again = _Interrupt(at_epoch=-1)
    metrics = training.run(ADDING, callbacks=[again], **kwargs)
    assert again.begun == [2]  # epochs 0 and 1 were not run again
    assert metrics["epochs_run"] == 3
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 3


@pytest.mark.slow
def test_a_resumed_run_with_dropout_trains_as_an_uninterrupted_one(tfds_data_dir, tmp_path):
    # the dropout masks come from a seed generator whose state is no weight: it is kept too
    kwargs = dict(epochs=3, batch_size=256, data_dir=tfds_data_dir, verbose=0)
    kwargs["overrides"] = {**TINY, "dropout": 0.2}
    training.run(ADDING, output=tmp_path / "whole", **kwargs)
    with pytest.raises(KeyboardInterrupt):
        training.run(ADDING, output=tmp_path / "part", callbacks=[_Interrupt(0)], **kwargs)
    training.run(ADDING, output=tmp_path / "part", **kwargs)
    whole, part = (
        json.loads((tmp_path / r / "history.json").read_text()) for r in ("whole", "part")
    )
    assert part == whole


@pytest.mark.slow
def test_a_resumed_run_with_early_stopping_stops_where_an_uninterrupted_one_does(
    tfds_data_dir, tmp_path
):
    # Keras's EarlyStopping kept its patience count in memory only: resumed, it counted afresh
    # and trained on (adding_simple_rnn: 5 epochs for 3, another best epoch and test_loss).
    kwargs = dict(epochs=8, overrides={**TINY, "learning_rate": 0.5, "early_stopping": 1})
    whole = _tiny_run(ADDING, tmp_path / "whole", tfds_data_dir, **kwargs)
    stopped = whole["epochs_run"]
    assert stopped < 8  # (early stopping stopped it)
    seconds = ("train_seconds", "train_cpu_seconds", "evaluate_seconds")
    # interrupted in the epoch before its last, and after its last (before the evaluation)
    for at_epoch in (stopped - 2, stopped - 1):
        out = tmp_path / f"part{at_epoch}"
        with pytest.raises(KeyboardInterrupt):
            _tiny_run(ADDING, out, tfds_data_dir, callbacks=[_Interrupt(at_epoch)], **kwargs)
        again = _Interrupt(at_epoch=-1)
        part = _tiny_run(ADDING, out, tfds_data_dir, callbacks=[again], **kwargs)
        assert again.begun == list(range(at_epoch + 1, stopped)), at_epoch
        assert {k: v for k, v in part.items() if k not in seconds} == {
            k: v for k, v in whole.items() if k not in seconds
        }


def test_a_run_interrupted_after_its_last_epoch_resumes_at_its_evaluation(tfds_data_dir, tmp_path):
    def interrupted_once(model, test_batches):  # Ctrl-C during the test evaluation
        calls.append(1)
        if len(calls) == 1:
            raise KeyboardInterrupt
        return {}

    calls, recipe, out = [], dataclasses.replace(ADDING, evaluate=interrupted_once), tmp_path / "r"
    with pytest.raises(KeyboardInterrupt):
        _tiny_run(recipe, out, tfds_data_dir)
    logged, best = (out / "history.csv").read_text(), (out / "best.weights.h5").read_bytes()
    again = _Interrupt(at_epoch=-1)
    metrics = _tiny_run(recipe, out, tfds_data_dir, callbacks=[again])
    assert again.begun == [] and metrics["epochs_run"] == 2  # no epoch trained again
    assert (out / "history.csv").read_text() == logged
    assert (out / "best.weights.h5").read_bytes() == best
    assert not (out / "backup").exists()  # finished: no resume checkpoint left
    whole = _tiny_run(recipe, tmp_path / "whole", tfds_data_dir)
    seconds = ("train_seconds", "train_cpu_seconds", "evaluate_seconds")
    assert {k: v for k, v in metrics.items() if k not in seconds} == {
        k: v for k, v in whole.items() if k not in seconds
    }


@pytest.mark.parametrize(
    "kwargs, error",
    [
        (dict(epochs=0), r"epochs must be a positive int, got 0"),
        (dict(batch_size=-2), r"batch_size must be a positive int, got -2"),
        (dict(overrides={"batch_size": 0}), r"batch_size must be a positive int, got 0"),
        (dict(seed=-1), r"--seed must be an int in \[0, 2\*\*32 - 1\], got -1"),
        (dict(overrides={"early_stopping": "abc"}), r"early_stopping must be a positive int"),
        (dict(overrides={"validation_fraction": 7}), r"validation_fraction must be in \(0, 1\)"),
        (dict(overrides={"validation_fraction": 0.2}), r"validates on dataset .*own 'validation'"),
        (dict(overrides={"monitor": "val_los"}), r"monitor must be a metric .*Did you mean"),
        (
            dict(overrides={"dataset": "adding_problem/t999"}),
            r"no config .t999.; its configs are t200, t50, t400",
        ),
        (  # (Keras's multi-line "Exception encountered when calling RecurrentModel.call()")
            dict(overrides={"input_shape": (None, 3)}),
            r"^model 'gru' of recipe 'adding_gru' cannot read the examples of dataset "
            r"'adding_problem/t50' \(--set dataset / --set input_shape\?\): Input 0 .*"
            r"expected shape=\(None, None, 3\), found shape=\(None, 50, 2\)$",
        ),
    ],
)
def test_bad_settings_fail_before_writing(kwargs, error, tfds_data_dir, tmp_path):
    overrides = {**TINY, **kwargs.pop("overrides", {})}
    with pytest.raises((ValueError, TypeError, training.RecipeError), match=error):
        training.run(
            ADDING, output=tmp_path / "r", data_dir=tfds_data_dir, overrides=overrides, **kwargs
        )
    assert not (tmp_path / "r").exists()


def test_validation_fraction_carves_the_training_split():
    no_split = dataclasses.replace(ADDING, validation_split=None)
    recipe, _ = training.configure(no_split, {"validation_fraction": 0.25})
    assert recipe.validation_fraction == 0.25
    with pytest.raises(ValueError, match=r"validation_fraction must be in \(0, 1\), got 0"):
        training.configure(no_split, {"validation_fraction": 0})


class _NaNMonitor(keras.callbacks.Callback):
    def on_epoch_end(self, epoch, logs=None):
        logs["val_loss"] = float("nan")


def test_diverged_run_still_writes_strict_json(tfds_data_dir, tmp_path, capsys):
    recipe = dataclasses.replace(ADDING, plot=None, callbacks=lambda model, val: [_NaNMonitor()])
    out = tmp_path / "run"
    metrics = _tiny_run(recipe, out, tfds_data_dir)

    def refuse(constant):
        raise ValueError(f"{constant} in strict JSON")

    history = json.loads((out / "history.json").read_text(), parse_constant=refuse)
    stored = json.loads((out / "metrics.json").read_text(), parse_constant=refuse)
    assert history["val_loss"] == [None, None] and stored == metrics
    assert metrics["best_epoch"] is None and metrics["best_val_loss"] is None
    assert "training diverged" in capsys.readouterr().out


def test_unknown_monitor_of_a_hooked_recipe_stops_at_the_first_epoch(tfds_data_dir, tmp_path):
    recipe = dataclasses.replace(ADDING, plot=None, callbacks=lambda model, val: [])
    with pytest.raises(training.RecipeError, match=r"its training reports .*got 'val_los'"):
        training.run(
            recipe,
            epochs=3,
            batch_size=256,
            output=tmp_path,
            data_dir=tfds_data_dir,
            overrides={**TINY, "monitor": "val_los"},
            verbose=0,
        )
    assert not (tmp_path / "model.keras").exists()


def test_output_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "config.json").write_text("{}")
    with pytest.raises(training.RecipeError, match=r"config.json is a file, not a folder"):
        training.run(ADDING, output=tmp_path / "config.json", overrides=TINY)
    assert (tmp_path / "config.json").read_text() == "{}"


def test_bad_model_argument_fails_before_loading_data(tmp_path):
    with pytest.raises(ValueError, match="units must be a positive int, got 0"):
        training.run(ADDING, output=tmp_path, overrides={"units": 0}, data_dir=tmp_path / "none")
    assert not list(tmp_path.glob("*.keras"))


def test_dataset_that_cannot_be_prepared_is_one_clear_error(tmp_path, monkeypatch):
    def offline(*args, **kwargs):
        raise ConnectionError("Failed to resolve 'storage.googleapis.com'")

    monkeypatch.setattr(tfds, "load", offline)
    with pytest.raises(training.RecipeError) as err:
        training.run(MNIST, output=tmp_path, data_dir=tmp_path, overrides={"units": 4})
    message = str(err.value)
    assert "'mnist'" in message and "--manual-dir" in message and "--data-dir" in message
    assert "\n" not in message
    assert not (tmp_path / "model.keras").exists()


def test_mnist_recipe_on_mock_data(tmp_path):
    with tfds.testing.mock_data(num_examples=20):
        metrics = training.run(
            MNIST, epochs=1, batch_size=8, output=tmp_path, overrides={"units": 4}, verbose=0
        )
    assert 0 <= metrics["test_accuracy"] <= 1
    model = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    assert model.input_shape == (None, 28, 28) and model.output_shape == (None, 10)


def test_imdb_recipe_takes_raw_text(tmp_path):
    overrides = {"units": 4, "vocab_size": 200, "embedding_dim": 8, "num_layers": 1}
    with tfds.testing.mock_data(num_examples=16):
        training.run(IMDB, epochs=1, batch_size=8, output=tmp_path, overrides=overrides, verbose=0)
    model = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    probability = model.predict(["a great film", "a dull film"], verbose=0)
    assert probability.shape == (2, 1) and np.all((probability >= 0) & (probability <= 1))
    vocab = model.get_layer("vectorizer").get_vocabulary()
    assert len(vocab) > 2  # adapted on the (mock) training reviews


def test_warmup_cosine_reads_the_rate_of_a_model_built_under_a_strategy():
    import tensorflow as tf

    with tf.distribute.MirroredStrategy(["/cpu:0"]).scope():  # the rate is a MirroredVariable
        model = zoo.models.gru(input_shape=(None, 1), task="regression", units=2,
                               learning_rate=3e-3)  # fmt: skip
    schedule = training.WarmupCosine.from_model(model, warmup_steps=10)
    assert schedule.peak == pytest.approx(3e-3)
    assert schedule.rate(9, total=100) == pytest.approx(3e-3)


def test_a_dataset_of_unknown_length_trains_without_the_ran_out_of_data_warning():
    import warnings

    import tensorflow as tf

    x = np.random.default_rng(0).normal(size=(6, 4, 1)).astype("float32")
    ds = tf.data.Dataset.from_tensor_slices((x, x[:, -1])).filter(lambda a, b: True).batch(2)
    assert ds.cardinality() == tf.data.UNKNOWN_CARDINALITY  # Keras learns it by running out
    model = zoo.models.gru(input_shape=(None, 1), task="regression", units=2)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        training.fit_model(ADDING, model, ds, ds, epochs=2, callbacks=[], verbose=0)
    assert not [w for w in caught if "ran out of data" in str(w.message)]


def test_flags_and_settings_that_clash_are_refused(tmp_path):
    from recipes.spoken_digit_esn import RECIPE as FSDD

    out = tmp_path / "run"
    empty = tmp_path / "empty"
    empty.mkdir()  # TFDS would read it as no manual dir and download for minutes offline
    generated = r"dataset 'adding_problem/t200' is generated by rnn-zoo and reads no manual"
    mixed = r"datasets 'adding_problem/t50' and 'adding_problem/t400' are generated by rnn-zoo"
    for recipe, kwargs, match in (
        (ADDING, dict(epochs=1, overrides={**TINY, "epochs": 2}), r"--set epochs=2 and --epochs"),
        (ADDING, dict(batch_size=8, overrides={**TINY, "batch_size": 16}), r"--set batch_size="),
        (ADDING, dict(overrides={**TINY, "seed": 7}), r"--set seed: use --seed"),
        (FSDD, dict(manual_dir=str(tmp_path / "typo")), r"--manual-dir .*typo is not a folder"),
        (FSDD, dict(manual_dir=str(empty)), r"--manual-dir .*empty is empty: give the folder"),
        # a generated dataset reads no manual files: not "empty", with advice about FSDD
        (ADDING, dict(manual_dir=str(empty)), rf"--manual-dir .*empty: {generated} files; leave"),
        (ADDING, dict(manual_dir=str(tmp_path / "typo")), generated),
        (
            ADDING,
            dict(manual_dir=str(empty), overrides={**TINY, "mix": {"adding_problem/t400": 0.5}}),
            mixed,
        ),  # fmt: skip
    ):
        with pytest.raises(training.RecipeError, match=match):
            training.run(recipe, output=out, **kwargs)
    from recipes.mackey_glass_esn import RECIPE as ESN

    with pytest.raises(training.RecipeError, match=r"--epochs: recipe 'mackey_glass_esn' fits"):
        training.run(ESN, epochs=3, output=out)
    assert not out.exists()


def test_a_mix_dataset_of_another_kind_is_refused_naming_mix(tmp_path, monkeypatch):
    # (a 91-line traceback from the recipe's map, or sample_from_datasets's spec dump)
    from zoo import recipe_data

    def fake_load(recipe, name, splits, *args):
        if name == "fsdd/all":  # the recipe's maps cannot read its features
            raise KeyError("text")
        width = {"adding_problem/t50": 50, "adding_problem/t200": 200}[name]
        one = tf.data.Dataset.from_tensors((tf.zeros((width, 2)), tf.constant(0.0)))
        return [one] * len(splits)

    monkeypatch.setattr(recipe_data, "_load", fake_load)
    for extra, match in (
        (
            "adding_problem/t200",
            r"its examples are \(TensorSpec\(shape=\(200, 2\).*shape=\(50, 2\)",
        ),
        ("fsdd/all", r"the recipe's preprocessing cannot read its examples \(KeyError: 'text'\)"),
    ):
        recipe = dataclasses.replace(ADDING, dataset="adding_problem/t50", mix={extra: 0.3})
        with pytest.raises(training.RecipeError) as err:
            recipe_data.load_splits(recipe)
        message = str(err.value)
        assert message.startswith(
            f"--set mix: dataset '{extra}' cannot be mixed into 'adding_problem/t50' (recipe "
            "'adding_gru'): "
        )
        assert "\n" not in message and re.search(match, message)
    same = dataclasses.replace(
        ADDING, dataset="adding_problem/t50", mix={"adding_problem/t50": 0.3}
    )
    assert len(recipe_data.load_splits(same)) == 3
    (tmp_path / "afile").write_text("")
    with pytest.raises(training.RecipeError, match=r"^--data-dir .*afile is a file, not a folder"):
        recipe_data.load_splits(same, data_dir=str(tmp_path / "afile"))


def test_a_run_that_fails_to_save_is_not_finished_and_runs_again(
    tfds_data_dir, tmp_path, monkeypatch
):
    out = tmp_path / "run"
    (out / "tensorboard").mkdir(parents=True)
    (out / "tensorboard" / "stale.tfevents.0").write_text("")  # an earlier run killed early,
    config = {"recipe": "adding_gru", "model_kwargs": {}, "epochs": 1}  # (its config first)
    (out / "config.json").write_text(json.dumps(config))

    def full_disk(model, path):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(training.run_folder, "save_model", full_disk)
    with pytest.raises(OSError) as err:
        _tiny_run(ADDING, out, tfds_data_dir, epochs=1)
    assert training.os_error_message(err.value) == (
        f"No space left on device (writing the results into --output): '{out}'"
    )
    assert not (out / "metrics.json").exists()  # metrics.json is the last file written
    assert not (out / "tensorboard" / "stale.tfevents.0").exists()  # the fresh run cleared it
    monkeypatch.undo()
    metrics = _tiny_run(ADDING, out, tfds_data_dir, epochs=1)  # not refused as finished
    assert (out / "model.keras").exists() and metrics["epochs_run"] == 1


def test_the_epoch_is_logged_before_the_backup_records_it(tfds_data_dir, tmp_path, monkeypatch):
    seen = []
    original = training.fit_model

    def spy(recipe, model, train, val, epochs, callbacks, **kwargs):
        seen.extend(type(c).__name__ for c in callbacks)
        return original(recipe, model, train, val, epochs, callbacks, **kwargs)

    monkeypatch.setattr(training, "fit_model", spy)
    _tiny_run(ADDING, tmp_path / "run", tfds_data_dir, epochs=1)
    assert seen.index("CSVLogger") < seen.index("Backup")


def test_overwrite_keeps_the_run_it_replaces_until_the_new_one_finished(
    tfds_data_dir, tmp_path, monkeypatch
):
    out = tmp_path / "run"
    _tiny_run(ADDING, out, tfds_data_dir, epochs=1)
    old = {name: (out / name).read_bytes() for name in ("metrics.json", "model.keras")}

    def crash(*args, **kwargs):
        raise RuntimeError("out of memory")  # training fails after --overwrite

    with monkeypatch.context() as patch:
        patch.setattr(training, "fit_model", crash)
        with pytest.raises(RuntimeError, match="out of memory"):
            _tiny_run(ADDING, out, tfds_data_dir, epochs=1, overwrite=True)
    previous = out / "previous"
    assert {n: (previous / n).read_bytes() for n in old} == old  # the old run, whole
    assert (previous / "config.json").exists() and (previous / "tensorboard").is_dir()
    assert not (out / "metrics.json").exists()
    # overwriting the failed replacement keeps the finished run, not the failed one's leftovers
    with monkeypatch.context() as patch:
        patch.setattr(training, "fit_model", crash)
        with pytest.raises(RuntimeError):
            _tiny_run(ADDING, out, tfds_data_dir, epochs=1, overwrite=True)
    assert {n: (previous / n).read_bytes() for n in old} == old
    # a replacement that finishes drops it
    _tiny_run(ADDING, out, tfds_data_dir, epochs=1, overwrite=True)
    assert not previous.exists() and (out / "metrics.json").exists()


def test_overwrite_removes_the_plot_of_the_run_it_replaces(tfds_data_dir, tmp_path):
    out = tmp_path / "run"
    out.mkdir()
    (out / "metrics.json").write_text("{}")
    (out / "config.json").write_text(json.dumps({"plot": "free_run.png"}))
    (out / "free_run.png").write_bytes(b"old")
    _tiny_run(ADDING, out, tfds_data_dir, epochs=1, overwrite=True)
    assert not (out / "free_run.png").exists() and not (out / "previous").exists()
    assert json.loads((out / "config.json").read_text())["plot"] == "gradient_through_time.png"


def test_an_unknown_dataset_is_named_with_close_matches():
    with pytest.raises(training.RecipeError, match=r"TFDS has no dataset 'mnistt'.*'mnist'"):
        training.check_config_name("mnistt/all")


def test_a_failed_check_in_the_data_pipeline_is_one_line_naming_it(tfds_data_dir, tmp_path):
    def strict(x, y):
        tf.debugging.Assert(tf.reduce_all(y < -1.0), ["every target below -1 (the test's check)"])
        return x, y

    recipe = dataclasses.replace(ADDING, preprocess=strict)
    match = r"adding_problem/t50: an example failed a check: every target below -1 \(the test's"
    with pytest.raises(training.RecipeError, match=match):
        _tiny_run(recipe, tmp_path / "run", tfds_data_dir, epochs=1)


def test_the_summary_line_keeps_a_sampled_text_on_one_line():
    # char_lm's test_sample (300 characters of several lines) broke the one-line summary.
    sample = "ROMEO:\nWhat, ho!\n" + "x" * 300
    shown = training._fmt(sample)
    assert "\n" not in shown and len(shown) <= 65 and shown.startswith("'ROMEO:\\nWhat, ho!")
    assert training._fmt(0.123456) == "0.1235" and training._fmt(3) == "3"


def test_a_dataset_config_its_builder_refuses_leaves_nothing_and_no_offline_advice(tmp_path):
    # It advised "Offline, pass ... --manual-dir" with one given, and left an empty
    # fsdd/holdout_lucas folder in the data dir.
    from recipes.spoken_digit_esn import RECIPE as DIGITS

    manual = os.path.join(os.path.dirname(__file__), "data", "fsdd")
    with pytest.raises(training.RecipeError) as caught:
        training.run(DIGITS, output=tmp_path / "r", data_dir=tmp_path / "tfds", manual_dir=manual,
                     overrides={"dataset": "fsdd/holdout_lucas"}, verbose=0)  # fmt: skip
    assert "speaker 'lucas' is not in the FSDD source" in str(caught.value)
    assert "Offline" not in str(caught.value)
    assert not (tmp_path / "tfds" / "fsdd").exists() and not (tmp_path / "r").exists()


def test_a_later_evaluation_example_failing_a_check_is_one_line(tmp_path, monkeypatch):
    # Read whole at batching (outside the data-error naming), a failed check in the 7th
    # validation example came out as a raw InvalidArgumentError from a ReduceDataset.
    def strict(x, y):
        tf.debugging.Assert(y < 0.9, ["a target of 0.9 or more"])
        return x, y

    def load_splits(*args, **kwargs):
        x = np.random.default_rng(0).random((8, 200, 2), "float32")
        y = np.full(8, 0.5, "float32")
        train = tf.data.Dataset.from_tensor_slices((x, y))
        val = tf.data.Dataset.from_tensor_slices((x, np.r_[y[:6], 0.95, 0.5])).map(strict)
        return train, val, train

    monkeypatch.setattr(training, "load_splits", load_splits)
    with pytest.raises(training.RecipeError, match=r"an example failed a check: .*0.9 or more"):
        training.run(ADDING, epochs=1, batch_size=4, output=tmp_path / "r", overrides=TINY)


def test_an_evaluation_split_is_read_whole_into_its_cache_before_keras_reads_it():
    # Under --strategy mirrored a validation pass could read a cache another iterator had left
    # incomplete: 2 of 4 batches, val_loss and test_loss off by run (1 run in 5 here).
    from zoo.recipe_data import batched

    reads = []

    def examples():
        for i in range(5):
            reads.append(i)
            yield [float(i)], float(i)

    signature = (tf.TensorSpec((1,), tf.float32), tf.TensorSpec((), tf.float32))
    split = tf.data.Dataset.from_generator(examples, output_signature=signature)
    val = batched(ADDING, split, 2)
    assert reads == [0, 1, 2, 3, 4]  # read once, whole
    for _ in range(2):
        assert [len(x) for x, _ in val] == [2, 2, 1]
    assert len(reads) == 5  # and never again
