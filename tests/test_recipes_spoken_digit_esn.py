"""The spoken_digit_esn recipe end to end on the 90-file FSDD subset, with a small reservoir."""

import json
import pathlib

import keras
import numpy as np
import pytest
import tensorflow as tf

from recipes import spoken_digit_esn
from zoo import training
from zoo.datasets.fsdd import files

FSDD = pathlib.Path(__file__).parent / "data" / "fsdd"  # george, jackson, theo; index 0, 5, 10


def test_recipe_fits_in_closed_form_on_unseen_speaker_and_saves(tfds_data_dir, tmp_path):
    metrics = training.run(
        spoken_digit_esn.RECIPE,
        output=tmp_path,
        data_dir=str(tfds_data_dir),
        manual_dir=str(FSDD),
        overrides={"units": 50},
        verbose=0,
    )
    assert 0.0 <= metrics["test_accuracy"] <= 1.0
    assert metrics["epochs_run"] == 1 and 0.0 <= metrics["best_val_accuracy"] <= 1.0
    written = json.loads((tmp_path / "metrics.json").read_text())
    assert written["test_accuracy"] == pytest.approx(metrics["test_accuracy"])
    assert written["readout_ridge"] in spoken_digit_esn.RIDGES  # the ridge the search chose
    assert json.loads((tmp_path / "config.json").read_text())["dataset"] == "fsdd/holdout_theo"
    for name in ("history.json", "model.keras", "confusion.png"):
        assert (tmp_path / name).exists(), name

    loaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    config = loaded.get_config()
    assert config["units"] == 50 and config["pooling"] == "mean"
    assert config["ridge"] == written["readout_ridge"] and loaded.readout_fitted
    _, _, test = training.load_splits(spoken_digit_esn.RECIPE, str(tfds_data_dir), str(FSDD))
    scores = loaded.evaluate(test.batch(100), return_dict=True, verbose=0)
    assert scores["accuracy"] == pytest.approx(metrics["test_accuracy"])


def test_recipe_beats_chance_with_every_speaker_in_training(tfds_data_dir, tmp_path):
    metrics = training.run(
        spoken_digit_esn.RECIPE,
        output=tmp_path,
        data_dir=str(tfds_data_dir),
        manual_dir=str(FSDD),
        overrides={"units": 100, "dataset": "fsdd/all"},
        verbose=0,
    )
    assert metrics["test_accuracy"] > 0.3  # chance is 0.1


def test_preprocess_gives_fixed_length_mean_normalised_mfccs():
    short = tf.constant(np.random.default_rng(0).integers(-999, 999, 100), tf.int16)
    for audio in (short, tf.constant(files.read_wav(FSDD / "3_george_5.wav"))):
        x, y = spoken_digit_esn.preprocess(audio, tf.constant(3))
        assert x.dtype == tf.float64 and int(y) == 3
        assert tuple(x.shape) == (spoken_digit_esn.FRAMES, spoken_digit_esn.NUM_COEFFICIENTS)
        assert np.all(np.isfinite(x))
    assert np.abs(np.asarray(x).mean(axis=0)).max() < 0.5  # about zero after resampling


def test_resample_frames_keeps_the_ends_and_interpolates_linearly():
    features = tf.constant([[0.0, 10.0], [1.0, 20.0], [4.0, 40.0]])
    out = np.asarray(spoken_digit_esn.resample_frames(features, 5))
    np.testing.assert_allclose(out[:, 0], [0.0, 0.5, 1.0, 2.5, 4.0])
    np.testing.assert_allclose(out[:, 1], [10.0, 15.0, 20.0, 30.0, 40.0])
    one = np.asarray(spoken_digit_esn.resample_frames(features[:1], 3))
    np.testing.assert_allclose(one, [[0.0, 10.0]] * 3)
