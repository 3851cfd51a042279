"""The recipe runner: outputs, resume, overrides, errors, and the catalogue recipes on mock data."""

import json

import keras
import numpy as np
import pytest
import tensorflow_datasets as tfds

import zoo
from recipes.adding_gru import RECIPE as ADDING
from recipes.imdb_bilstm import RECIPE as IMDB
from recipes.mnist_gru import RECIPE as MNIST
from zoo import training

TINY = {"dataset": "adding_problem/t50", "units": 4}


def test_run_writes_every_result(tfds_data_dir, tmp_path, capsys):
    out = tmp_path / "run"
    metrics = training.run(
        ADDING,
        epochs=2,
        batch_size=256,
        output=out,
        data_dir=tfds_data_dir,
        overrides=TINY,
        verbose=0,
    )
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
    again = _Interrupt(at_epoch=-1)
    metrics = training.run(ADDING, callbacks=[again], **kwargs)
    assert again.begun == [2]  # epochs 0 and 1 were not run again
    assert metrics["epochs_run"] == 3
    assert len(json.loads((out / "history.json").read_text())["loss"]) == 3


def test_overrides_reach_model_and_recipe():
    recipe, kwargs = training.configure(
        ADDING,
        training.parse_overrides(["units=8", "dataset=adding_problem/t50", "activation=relu"]),
    )
    assert recipe.dataset == "adding_problem/t50" and kwargs["units"] == 8
    assert kwargs["activation"] == "relu" and ADDING.dataset == "adding_problem/t200"
    with pytest.raises(training.RecipeError, match="unitz.*Did you mean 'units'"):
        training.configure(ADDING, {"unitz": 3})
    with pytest.raises(training.RecipeError, match="--set task: not an argument"):
        training.configure(ADDING, {"task": "binary"})
    with pytest.raises(training.RecipeError, match="key=value"):
        training.parse_overrides(["units"])


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


def test_save_model_is_atomic(tmp_path, monkeypatch):
    model = zoo.models.gru(input_shape=(None, 1), task="regression", units=2)
    path = tmp_path / "model.keras"
    training.save_model(model, path)
    before = path.read_bytes()

    def broken_save(filepath, *args, **kwargs):
        with open(filepath, "wb") as f:
            f.write(b"half a zip")
        raise OSError("disk full")

    monkeypatch.setattr(model, "save", broken_save)
    with pytest.raises(OSError, match="disk full"):
        training.save_model(model, path)
    assert path.read_bytes() == before  # the good file is untouched
    assert [p.name for p in tmp_path.iterdir()] == ["model.keras"]  # no partial file left


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


@pytest.mark.parametrize(
    "mix, match",
    [
        ("synthetic_speech/digits", "mix must be a dict"),
        ({"adding_problem/t50": 1.5}, r"mix\['adding_problem/t50'\] must be a share in \(0, 1\)"),
        ({"a/x": 0.6, "b/y": 0.5}, "add up to less than 1"),
    ],
)
def test_bad_mix_is_refused(mix, match):
    from zoo.training import RecipeError, _check_mix

    with pytest.raises(RecipeError, match=match):
        _check_mix(mix)
