"""The Mackey-Glass recipes end to end on a small reservoir / a tiny LSTM."""

import json

import keras
import numpy as np
import pytest

from recipes import mackey_glass_esn, mackey_glass_lstm
from recipes._mackey_glass import free_run
from zoo import training


def test_esn_recipe_fits_in_closed_form_and_forecasts(tfds_data_dir, tmp_path):
    metrics = training.run(
        mackey_glass_esn.RECIPE,
        output=tmp_path,
        data_dir=str(tfds_data_dir),
        overrides={"units": 200},
        verbose=0,
    )
    assert metrics["test_nrmse84"] < 0.05  # a useless forecast scores about 1
    assert metrics["epochs_run"] == 1 and metrics["best_val_loss"] < 1e-5
    # The test series' one-step loss after the washout, as val_loss (with the reservoir's
    # transient, a zero state warming up, it was about 5e-3).
    assert metrics["test_loss"] < 1e-5 and metrics["test_mae"] < 3e-3
    history = json.loads((tmp_path / "history.json").read_text())
    assert 0 < history["val_nrmse84"][0] < 0.05  # the free run on the validation series
    assert history["val_log10_nrmse84"][0] == pytest.approx(np.log10(history["val_nrmse84"][0]))
    for name in ("config.json", "history.json", "metrics.json", "model.keras", "free_run.png"):
        assert (tmp_path / name).exists(), name
    assert json.loads((tmp_path / "metrics.json").read_text())["test_nrmse84"] == pytest.approx(
        metrics["test_nrmse84"]
    )
    loaded = keras.models.load_model(tmp_path / "model.keras", safe_mode=True)
    assert loaded.get_config()["units"] == 200 and loaded.readout_fitted


def test_free_run_of_a_model_without_generate_feeds_predictions_back():
    model = keras.Sequential([keras.Input((None, 1)), keras.layers.Dense(1, use_bias=False)])
    model.layers[0].kernel.assign([[0.5]])  # y[t] = 0.5 x[t]: each free step halves
    out = free_run(model, np.full((2, 3, 1), 8.0), 3)
    np.testing.assert_allclose(out[:, :, 0], [[4.0, 2.0, 1.0]] * 2)


@pytest.mark.slow
def test_lstm_recipe_runs(tfds_data_dir, tmp_path):
    metrics = training.run(
        mackey_glass_lstm.RECIPE,
        epochs=1,
        output=tmp_path,
        data_dir=str(tfds_data_dir),
        overrides={"units": 4},
        verbose=0,
    )
    assert np.isfinite(metrics["test_nrmse84"]) and (tmp_path / "free_run.png").exists()


def test_a_split_that_is_not_one_series_is_named():
    from recipes._mackey_glass import series_of

    batch = [(np.zeros((4, 50, 2), "float32"), np.zeros((4, 1), "float32"))]
    with pytest.raises(ValueError, match=r"one series per split.*\(4, 50, 2\)"):
        series_of(batch)
    several = [(np.zeros((4, 50, 1)), np.zeros((4, 50, 1)))]  # univariate, but four of them
    with pytest.raises(ValueError, match=r"one series per split.*\(4, 50, 1\)"):
        series_of(several)


def test_the_free_run_plot_keeps_the_truth_in_view_and_says_when_the_run_diverged():
    from recipes._mackey_glass import plot_range

    truth = np.sin(np.linspace(0, 6, 50))
    ylim, left = plot_range(truth, 0.9 * truth)
    assert left is None and ylim[0] < truth.min() and ylim[1] > truth.max() and ylim[1] < 2
    diverging = np.concatenate([truth[:10], 10.0 ** np.arange(1, 41)])
    assert plot_range(truth, diverging) == (ylim, 10)
    assert plot_range(truth, np.r_[truth[:3], np.nan])[1] == 3
