"""zoo.tuning: the hypermodel from a registered factory, the tuners, a search's results."""

import gc
import warnings

import keras
import keras_tuner
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import tuning
from zoo.models.recurrent_model import text_vectorizer


def _space_names(hm):
    hp = keras_tuner.HyperParameters()
    hm.declare_hyperparameters(hp)
    return {p.name: p for p in hp.space}


# ---- the hypermodel -------------------------------------------------------------------------


def test_fixed_arguments_are_not_tuned():
    hm = tuning.hypermodel("gru", input_shape=(None, 2), task="regression", units=3, seed=0)
    space = _space_names(hm)
    assert "units" not in space
    assert {"num_layers", "dropout", "activation", "learning_rate", "batch_size"} <= set(space)
    model = hm.build(keras_tuner.HyperParameters())
    grus = [la for la in model.layers if isinstance(la, keras.layers.GRU)]
    assert grus and all(la.units == 3 for la in grus)


def test_a_fixed_argument_a_drawn_value_makes_moot_is_left_out():
    # stacked draws bidirectional and the cell: merge_mode and recurrent_activation, fixed by the
    # user, apply only to some trials, and the others must still build.
    hm = tuning.hypermodel(
        "stacked",
        input_shape=(None, 2),
        task="regression",
        units=4,
        merge_mode="sum",
        recurrent_activation="hard_sigmoid",
    )
    hp = keras_tuner.HyperParameters()
    hm.declare_hyperparameters(hp)
    for bidirectional, cell in ((False, "simple_rnn"), (True, "gru")):
        hp.values.update(bidirectional=bidirectional, cell=cell)
        model = hm.build(hp)
        merges = [la.merge_mode for la in model.layers if hasattr(la, "merge_mode")]
        assert merges == ([] if not bidirectional else ["sum"] * len(merges)) and model.built


def test_log_mel_settings_are_left_out_of_trials_drawn_with_the_pretrained_front_end():
    # ctc_speech's search space draws the front end; num_mels, fixed by the user, applies only
    # to the log-mel trials, and the speech-embedding trials must still build.
    hm = tuning.hypermodel("ctc_speech", units=8, num_layers=1, num_mels=20, fmax=3000.0)
    hp = keras_tuner.HyperParameters()
    hm.declare_hyperparameters(hp)
    assert set(_space_names(hm)["time_stride"].values) == {2, 4}  # valid for both front ends
    for frontend in ("speech_embedding", "log_mel"):
        hp.values.update(frontend=frontend)
        config = hm.build(hp).get_config()
        assert config["frontend"] == frontend
        assert config["num_mels"] == (20 if frontend == "log_mel" else 40)


def test_space_hook_narrows_and_extends_without_copying():
    def space(hp):
        return {"units": hp.Choice("units", [5]), "clipnorm": hp.Float("clipnorm", 0.5, 2.0)}

    hm = tuning.hypermodel("stacked", input_shape=(None, 2), task="regression", space=space)
    names = _space_names(hm)
    assert names["units"].values == [5]  # narrowed: the hook's definition wins
    assert "clipnorm" in names  # extended
    assert {"residual", "layer_norm", "cell"} <= set(names)  # the registry's space is kept
    assert names["num_layers"].min_value == 2  # stacked's own depth range survives


def test_override_naming_no_parameter_is_a_clear_error():
    with pytest.raises(ValueError, match=r"'unitz' is not an argument of model 'gru'.*'units'"):
        tuning.hypermodel("gru", unitz=4)
    with pytest.raises(ValueError, match=r"yields 'width', which is not an argument"):
        tuning.hypermodel("lstm", space=lambda hp: {"width": hp.Int("width", 1, 2)})
    with pytest.raises(ValueError, match=r"model name must be one of.*'gru'"):
        tuning.hypermodel("gruu")
    with pytest.raises(ValueError, match=r"batch_sizes must be a non-empty list.*got \[\]"):
        tuning.hypermodel("gru", batch_sizes=[])
    with pytest.raises(ValueError, match=r"epochs must be \(min, max\).*got 3"):
        tuning.hypermodel("gru", epochs=3)


def test_fixed_arguments_are_checked_when_the_hypermodel_is_made():
    # Before, these built fine and failed in every trial of the search.
    with pytest.raises(ValueError, match=r"units must be a positive int, got -4\."):
        tuning.hypermodel("gru", task="binary", vocab_size=100, units=-4)
    with pytest.raises(
        ValueError, match=r"task \(for model 'char_lm'\) must be one of 'language_model', got"
    ):
        tuning.hypermodel("char_lm", task="binary", vocabulary="abc")
    with pytest.raises(ValueError, match=r"give input_shape=.*got none of them") as caught:
        tuning.hypermodel("lstm", task="regression", units=4)
    assert "the search space's first values" in "".join(caught.value.__notes__)
    hm = tuning.hypermodel("esn", units=10, seed=0)  # the check builds no trial's state
    assert hm._kept_gradients is None


def test_a_fixed_argument_takes_out_the_drawn_values_that_would_clash_with_it():
    # Before, units as a list failed every trial of another depth, stateful=True every
    # bidirectional trial, uneven units every residual one.
    hm = tuning.hypermodel("gru", input_shape=(None, 2), task="regression", units=[4, 4, 4])
    assert "num_layers" not in _space_names(hm)  # one layer per entry: the depth is decided
    assert hm.tuned_kwargs(keras_tuner.HyperParameters())["num_layers"] == 3
    hm = tuning.hypermodel(
        "stacked", input_shape=(None, 2), task="regression", units=[4, 3], stateful=True,
        batch_size=2,
    )  # fmt: skip
    assert not {"num_layers", "bidirectional", "residual"} & set(_space_names(hm))
    assert {"cell", "layer_norm", "dropout"} <= set(_space_names(hm))  # the rest is still drawn
    model = hm.build(keras_tuner.HyperParameters())
    assert not any(isinstance(la, keras.layers.Bidirectional) for la in model.layers)
    # A range narrowed, not decided: the speaker adversary reads one of the recurrent layers.
    hm = tuning.hypermodel("ctc_speech", units=8, adversary_layer=1, sample_rate=11025)
    names = _space_names(hm)
    assert (names["num_layers"].min_value, names["num_layers"].max_value) == (2, 3)
    assert "frontend" not in names  # the pretrained front end takes 8000 or 16000 Hz only
    with pytest.raises(ValueError, match=r"adversary_layer=3 needs num_layers > 3.*\[1, 2, 3\]"):
        tuning.hypermodel("ctc_speech", units=8, adversary_layer=3)


class _CountBatches(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_fit_tunes_batch_size_and_epochs():
    hm = tuning.hypermodel(
        "gru", input_shape=(None, 2), task="regression", units=2, batch_sizes=[5], epochs=(3, 3)
    )
    hp = keras_tuner.HyperParameters()
    model = hm.build(hp)
    x, y = np.zeros((10, 4, 2), "float32"), np.zeros((10,), "float32")
    counter = _CountBatches()
    ds = tf.data.Dataset.from_tensor_slices((x, y))
    history = hm.fit(hp, model, ds, validation_data=ds, epochs=1, callbacks=[counter], verbose=0)
    assert len(history.history["loss"]) == 3  # the tuned epochs, not fit's 1
    assert counter.batches == 3 * 2  # 10 examples in batches of the tuned 5
    assert history.history["seconds"][0] > 0


def test_hypermodel_under_keras_tuner(tmp_path):
    hm = tuning.hypermodel("lstm", input_shape=(None, 2), task="regression", units=2)
    search = keras_tuner.RandomSearch(
        hm, objective="val_loss", max_trials=1, directory=str(tmp_path), seed=1
    )
    x, y = np.random.default_rng(0).normal(size=(2, 16, 5, 2)).astype("float32"), np.zeros(16)
    search.search(x[0], y, validation_data=(x[1], y), epochs=1, verbose=0)
    trials = search.oracle.trials.values()
    assert len(trials) == 1 and all(t.status == "COMPLETED" for t in trials)
    assert all(t.hyperparameters.values["batch_size"] in tuning.BATCH_SIZES for t in trials)


def test_a_text_hypermodel_adapts_to_the_training_texts_and_its_best_model_reads_text(tmp_path):
    # keras-tuner builds the model, so a user could not adapt it: every trial failed ("no
    # vocabulary yet"), and the best model, rebuilt from weights, had no vocabulary either.
    hm = tuning.hypermodel("gru", text=True, vocab_size=20, task="binary", units=2, seed=0)
    texts = np.array(["great film", "dull film", "great fun", "dull slow"] * 2 + ["unseen"] * 2)
    y = np.array([1, 0, 1, 0] * 2 + [1, 0], "float32")
    search = keras_tuner.RandomSearch(
        hm, objective="val_loss", max_trials=2, directory=str(tmp_path), seed=1
    )
    search.search(texts, y, validation_split=0.2, epochs=1, verbose=0)
    assert all(t.status == "COMPLETED" for t in search.oracle.trials.values())
    best = search.get_best_models(1)[0]
    vocabulary = text_vectorizer(best).get_vocabulary()
    assert {"great", "dull", "film"} <= set(vocabulary)
    assert "unseen" not in vocabulary  # only in the part validation_split holds out
    assert best.predict(["great film"], verbose=0).shape == (1, 1)
    # The same hypermodel searching other texts adapts to them (it kept the first search's).
    other = keras_tuner.RandomSearch(
        hm, objective="val_loss", max_trials=1, directory=str(tmp_path / "other"), seed=1
    )
    other.search(np.array(["gut kino", "schlecht kino"] * 4), y[:8], epochs=1, verbose=0)
    assert "kino" in text_vectorizer(other.get_best_models(1)[0]).get_vocabulary()
    # Another process: a new hypermodel reloads the search but never saw the texts; adapting
    # the best model to the same texts (as the README says) gives back the same ids.
    fresh = tuning.hypermodel("gru", text=True, vocab_size=20, task="binary", units=2, seed=0)
    reloaded = keras_tuner.RandomSearch(
        fresh, objective="val_loss", max_trials=2, directory=str(tmp_path), seed=1
    )
    again = reloaded.get_best_models(1)[0]
    assert not again.adapted
    zoo.models.adapt_text(again, texts[:8])  # validation_split=0.2 held out the last two
    assert text_vectorizer(again).get_vocabulary() == vocabulary
    np.testing.assert_array_equal(again.predict(texts, verbose=0), best.predict(texts, verbose=0))


def test_an_esn_hypermodel_fits_its_readout_in_closed_form_with_the_tuned_ridge(tmp_path):
    reservoir = dict(spectral_radius=0.9, leak_rate=0.5, input_scaling=0.5)  # ridge tuned
    hm = tuning.hypermodel("esn", units=20, seed=0, **reservoir)
    assert set(_space_names(hm)) == {"ridge"}  # no batch size: the solution does not use it
    with pytest.raises(ValueError, match=r"epochs=\(1, 3\): model 'esn' fits its readout"):
        tuning.hypermodel("esn", epochs=(1, 3))
    series = np.sin(np.linspace(0, 60, 1201))[None, :, None]
    x, y = series[:, :-1], series[:, 1:]
    search = keras_tuner.RandomSearch(
        hm, objective="val_loss", max_trials=2, directory=str(tmp_path), seed=1
    )
    search.search(x[:, :800], y[:, :800], validation_data=(x[:, 800:], y[:, 800:]), washout=50)
    trials = list(search.oracle.trials.values())
    # One epoch of Adam on the zero-initialised readout scored about 0.5 (MSE); the ridge
    # readout of a sine is near exact.
    assert all(t.score < 0.02 for t in trials)
    best = search.get_best_models(1)[0]
    assert best.readout_fitted  # keras-tuner's checkpoint of the one "epoch" holds the readout
    # Scored after the washout, as the readout was fitted (with the reservoir's transient, a
    # zero state warming up, the score was the transient's).
    pred = best.predict(x[:, 800:], verbose=0)
    after = np.mean((pred - y[:, 800:])[:, 50:] ** 2)
    assert min(t.score for t in trials) == pytest.approx(after, rel=1e-5)
    assert after < np.mean((pred - y[:, 800:]) ** 2) / 10
    model, hp = hm.build(keras_tuner.HyperParameters()), keras_tuner.HyperParameters()
    weights = np.zeros((1, 400))  # validation sample weights reach evaluate: a zero score
    val = (x[:, 800:], y[:, 800:] + 1.0, weights)
    assert hm.fit(hp, model, x[:, :800], y[:, :800], validation_data=val).history["val_loss"] == [0]
    hyperband = keras_tuner.Hyperband(  # passes initial_epoch: one pass all the same
        hm, objective="val_loss", max_epochs=2, directory=str(tmp_path / "hb"), seed=1
    )
    hyperband.search(x[:, :800], y[:, :800], validation_data=(x[:, 800:], y[:, 800:]))
    trials = list(hyperband.oracle.trials.values())
    assert all(t.status == "COMPLETED" for t in trials) and min(t.score for t in trials) < 0.02
    np.testing.assert_allclose(best.predict(x[:, 800:], verbose=0)[0, 100:], y[0, 900:], atol=0.05)


def _live_graphs():
    gc.collect()
    return sum(type(o).__name__ == "FuncGraph" for o in gc.get_objects())


def test_trials_graphs_are_freed_and_earlier_custom_gradients_kept(tmp_path):
    # Each traced train step registers a tf.custom_gradient (Keras's all-reduce) whose global
    # registry entry kept the whole graph alive: 2 more live FuncGraphs per trial without release.
    @tf.custom_gradient
    def double(v):
        return 2 * v, lambda dy: 2 * dy

    tf.function(lambda v: tf.gradients(double(v), v))(tf.constant(1.0))  # a user's own graph
    users = tuning.custom_gradient_names()
    assert users

    live = []

    class Count(keras.callbacks.Callback):
        def on_train_end(self, logs=None):
            live.append(_live_graphs())

    hm = tuning.hypermodel("gru", input_shape=(None, 2), task="regression", units=2, seed=0)
    search = tuning.make_tuner("random", hm, "val_loss", "min", 3, None, None, 0, tmp_path)
    x, y = np.random.default_rng(0).normal(size=(2, 16, 5, 2)).astype("float32"), np.zeros(16)
    search.search(x[0], y, validation_data=(x[1], y), epochs=1, verbose=0, callbacks=[Count()])
    assert len(live) == 3 and live[2] == live[1], live
    assert users <= tuning.custom_gradient_names()


def test_seed_0_draws_the_same_trials_every_time(tmp_path):
    # keras-tuner's oracle reads seed=0 as "no seed" and draws a random one
    hm = tuning.hypermodel("gru", input_shape=(None, 2), task="regression", seed=0)
    drawn = []
    for run in range(2):
        search = tuning.make_tuner(
            "random", hm, "val_loss", "min", 2, None, None, 0, tmp_path / str(run)
        )
        drawn.append(search.oracle.create_trial("tuner0").hyperparameters.values)
    assert drawn[0] == drawn[1]


@pytest.mark.filterwarnings("ignore::UserWarning")
def test_docstring_examples(tmp_path, monkeypatch):
    import doctest

    monkeypatch.chdir(tmp_path)
    result = doctest.testmod(tuning, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 5


def test_the_objective_plot_ticks_whole_trials(tmp_path, monkeypatch):
    # Two or three trials had ticks at 1.2, 1.4, ... (a trial number is whole).
    import matplotlib.figure

    ticks = []
    real = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(
        matplotlib.figure.Figure,
        "savefig",
        lambda fig, *a, **k: ticks.append(fig.axes[0].get_xticks()) or real(fig, *a, **k),
    )
    rows = [{"trial": str(i), "val_loss": v} for i, v in enumerate([0.3, 0.2, 0.25])]
    path = tuning.plot_objective(rows, "val_loss", "min", tmp_path / "objective.png")
    assert (tmp_path / "objective.png").stat().st_size > 0 and path == tmp_path / "objective.png"
    assert len(ticks[0]) and all(float(t).is_integer() for t in ticks[0])


def test_a_bayesian_search_too_short_to_leave_its_random_start_warns(tmp_path):
    # keras-tuner draws its first 3 x (hyperparameters) trials at random: the README's
    # `--tuner bayesian --max-trials 20` ran as a random search without a word.
    hm = tuning.hypermodel("gru", input_shape=(None, 2), task="regression")
    with pytest.warns(
        UserWarning, match=r"bayesian: keras-tuner draws the first \d+ of max_trials=20 trials at"
    ):
        tuning.make_tuner("bayesian", hm, "val_loss", "min", 20, None, None, 0, tmp_path / "a")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        tuning.make_tuner("bayesian", hm, "val_loss", "min", 200, None, None, 0, tmp_path / "b")
        # a worker's max_trials is not the search's (the chief's oracle hands out the trials)
        tuning.make_tuner("bayesian", hm, "val_loss", "min", 20, None, None, 0, tmp_path / "c",
                          worker=True)  # fmt: skip


def test_narrowing_keeps_log_steps_and_the_default():
    # A log-sampled Int's step multiplies: range(min, max, step) had drawn 4, 6, 8, ...; a
    # default among the values left was dropped.
    hp = keras_tuner.HyperParameters()
    arguments = dict(min_value=4, max_value=64, step=2, sampling="log", default=32)
    assert tuning._narrow(hp, "Int", "units", (), arguments, lambda v: v > 8, "why") == 32
    config = hp.space[-1].get_config()
    assert (config["min_value"], config["max_value"], config["sampling"]) == (16, 64, "log")
    hp = keras_tuner.HyperParameters()
    tuning._narrow(hp, "Int", "n", (), dict(min_value=1, max_value=5, default=2),
                   lambda v: v != 3, "why")  # fmt: skip
    assert hp.space[-1].get_config()["values"] == [1, 2, 4, 5] and hp.get("n") == 2
