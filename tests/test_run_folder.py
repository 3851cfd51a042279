"""A run's output folder: its states, strict JSON, atomic saves, the resume check."""

import json

import keras
import pytest

import zoo
from zoo import run_folder, training
from zoo.recipe import RecipeError


def test_save_model_is_atomic(tmp_path, monkeypatch):
    model = zoo.models.gru(input_shape=(None, 1), task="regression", units=2)
    path = tmp_path / "model.keras"
    run_folder.save_model(model, path)
    before = path.read_bytes()

    def broken_save(filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        run_folder.save_model(model, path)
    assert path.read_bytes() == before  # the good file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]  # no partial file left


def test_write_json_is_strict_and_leaves_no_partial_file(tmp_path):
    path = tmp_path / "metrics.json"
    run_folder.write_json(path, {"loss": [0.5, float("nan")], "best": float("inf")})
    assert json.loads(path.read_text()) == {"loss": [0.5, None], "best": None}
    assert [p.name for p in tmp_path.iterdir()] == ["metrics.json"]


def test_output_states(tmp_path):
    out = tmp_path / "run"
    assert run_folder.output_state(out, overwrite=False) == "fresh"
    (out / "backup").mkdir(parents=True)
    assert run_folder.output_state(out, overwrite=False) == "resume"
    assert run_folder.output_state(out, overwrite=True) == "overwrite"
    (out / "metrics.json").write_text("{}")
    with pytest.raises(RecipeError, match="holds a finished run.*--overwrite"):
        run_folder.output_state(out, overwrite=False)
    (tmp_path / "file").write_text("")
    with pytest.raises(RecipeError, match="is a file, not a folder"):
        run_folder.output_state(tmp_path / "file", overwrite=True)


def test_a_fresh_run_leaves_files_no_run_wrote_alone(tmp_path):
    # A run into a folder of the user's own removed its tensorboard/ whole and replaced its
    # config.json, history.csv and model.keras, then reported success.
    out = tmp_path / "mine"
    (out / "tensorboard").mkdir(parents=True)
    (out / "tensorboard" / "notes.txt").write_text("precious")
    (out / "config.json").write_text("mine")
    with pytest.raises(RecipeError, match=r"holds config.json, tensorboard/, which no rnnzoo run"):
        run_folder.output_state(out, overwrite=True)
    assert (out / "tensorboard" / "notes.txt").read_text() == "precious"
    (out / "config.json").unlink()
    (out / "notes.txt").write_text("")  # other names are left alone, and so is the folder
    with pytest.raises(RecipeError, match=r"holds tensorboard/, which"):
        run_folder.output_state(out, overwrite=False)
    (out / "tensorboard" / "notes.txt").unlink()
    (out / "tensorboard").rmdir()
    assert run_folder.output_state(out, overwrite=False) == "fresh"
    # the leftovers of a run that died before its first epoch was backed up are its own
    config = {"recipe": "adding_gru", "model_kwargs": {}, "epochs": 3}
    (out / "config.json").write_text(json.dumps(config))
    (out / "history.csv").write_text("epoch,loss\n")
    assert run_folder.output_state(out, overwrite=False) == "fresh"


def test_a_run_into_a_folder_a_running_run_holds_is_refused(tmp_path):
    # Two runs in one folder cleared and overwrote each other's logs, checkpoints and backup.
    from recipes.adding_gru import RECIPE

    out = tmp_path / "run"
    out.mkdir()
    with run_folder.FolderLock(out, "run"):  # (what the running run holds)
        with pytest.raises(RecipeError, match=r"is in use: another rnnzoo run writes there now"):
            training.run(RECIPE, epochs=1, output=out, overwrite=True)
    assert not any(out.iterdir())


def test_a_run_that_another_run_overtakes_while_it_prepares_clears_nothing(tmp_path, monkeypatch):
    # The lock was taken only after the fresh run's cleanup: a run that found no folder, then
    # loaded its data while another run made the folder and trained there, removed the other's
    # tensorboard/, history.csv and best weights before it was refused.
    import numpy as np
    import tensorflow as tf

    from recipes.adding_gru import RECIPE

    out = tmp_path / "run"
    other = run_folder.FolderLock(out, "run")

    def load_splits_while_another_run_starts(*args, **kwargs):
        out.mkdir()
        other.acquire()
        config = {"recipe": "adding_gru", "model_kwargs": {}, "epochs": 3}
        (out / "config.json").write_text(json.dumps(config))
        (out / "history.csv").write_text("epoch,loss\n0,0.5\n")
        (out / "best.weights.h5").write_text("w")
        x = np.random.default_rng(0).random((8, 200, 2), "float32")
        ds = tf.data.Dataset.from_tensor_slices((x, np.full(8, 0.5, "float32")))
        return ds, ds, ds

    monkeypatch.setattr(training, "load_splits", load_splits_while_another_run_starts)
    with other, pytest.raises(RecipeError, match=r"is in use: another rnnzoo run writes there"):
        training.run(RECIPE, epochs=1, batch_size=4, output=out, overrides={"units": 2})
    assert sorted(p.name for p in out.iterdir()) == [
        "best.weights.h5",
        "config.json",
        "history.csv",
    ]


def test_resume_check_names_what_differs(tmp_path):
    config = {"epochs": 3, "seed": 0, "command": "rnnzoo run a", "data_dir": None}
    run_folder.write_json(tmp_path / "config.json", config)
    run_folder.check_same_run(tmp_path, {**config, "command": "other", "data_dir": "d"})
    with pytest.raises(RecipeError, match=r"epochs \(stored 3, now 4\)"):
        run_folder.check_same_run(tmp_path, {**config, "epochs": 4})
    (tmp_path / "config.json").write_text("[1]")
    with pytest.raises(RecipeError, match="cannot be read"):
        run_folder.check_same_run(tmp_path, config)


def test_logged_epochs_number_the_history_rows(tmp_path):
    (tmp_path / "history.csv").write_text("epoch,loss\n0,1.0\n1,0.5\n1,0.4\n2,0.3\n")
    history, epochs = run_folder.full_history(tmp_path / "history.csv", {})
    assert epochs == [1, 2, 3]
    assert history["loss"] == [1.0, 0.4, 0.3]
    assert run_folder.full_history(tmp_path / "missing.csv", {})[1] == []


class _StopAfter(keras.callbacks.Callback):
    """Interrupts a run at the end of epoch `epoch` (Ctrl-C)."""

    def __init__(self, epoch):
        super().__init__()
        self.epoch = epoch

    def on_epoch_end(self, epoch, logs=None):
        if epoch == self.epoch:
            raise KeyboardInterrupt


def test_a_resumed_run_trains_as_an_uninterrupted_one(tfds_data_dir, tmp_path):
    from recipes.adding_gru import RECIPE

    def run(out, **kwargs):
        settings = dict(epochs=3, batch_size=64, data_dir=tfds_data_dir, verbose=0)
        overrides = {"dataset": "adding_problem/t50", "units": 4}
        return training.run(RECIPE, output=out, overrides=overrides, **settings, **kwargs)

    whole = run(tmp_path / "whole")
    with pytest.raises(KeyboardInterrupt):
        run(tmp_path / "resumed", callbacks=[_StopAfter(0)])
    resumed = run(tmp_path / "resumed")  # a new pipeline starts at epoch 1: epoch 1's order
    history = [
        json.loads((tmp_path / r / "history.json").read_text()) for r in ("whole", "resumed")
    ]
    assert history[1]["loss"] == pytest.approx(history[0]["loss"], rel=1e-6)
    assert resumed["test_loss"] == pytest.approx(whole["test_loss"], rel=1e-6)


@pytest.mark.parametrize("mark", ["tuning.json", "search/oracle.json"])
def test_run_refuses_a_folder_of_rnnzoo_tune(mark, tmp_path):
    (tmp_path / mark).parent.mkdir(parents=True, exist_ok=True)
    (tmp_path / mark).write_text("{}")
    for overwrite in (False, True):
        with pytest.raises(RecipeError) as e:
            run_folder.output_state(tmp_path, overwrite=overwrite)
        assert str(e.value) == (
            f"--output {tmp_path} holds a hyperparameter search of rnnzoo tune ({mark}), not a "
            "training run; rnnzoo run does not write into it (not with --overwrite either: the "
            "two would mix); choose another --output."
        )
