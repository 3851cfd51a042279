"""The Echo State Network: closed-form readout, washout, ridge search, generation, saving."""

import doctest
import importlib
import inspect
import pathlib
import tempfile
import warnings

import keras
import numpy as np
import pytest
import scipy.linalg
import tensorflow as tf
from helpers import run_model_checks

import zoo
from zoo.layers import reservoir as res
from zoo.models.esn import EchoStateNetwork, free_run_nrmse

SINE = np.sin(np.arange(700) * 0.2 + 0.1 * np.cos(np.arange(700) * 0.05))
X, Y = SINE[None, :-1, None], SINE[None, 1:, None]


def _esn(**kwargs):
    return zoo.models.esn(**{"units": 40, "seed": 0, **kwargs})


def _ridge_solution(features, targets, ridge):
    """The ridge readout computed directly, bias unregularised."""
    a = np.concatenate([features, np.ones((len(features), 1))], axis=1)
    reg = np.eye(a.shape[1]) * ridge
    reg[-1, -1] = 0
    return scipy.linalg.solve(a.T @ a + reg, a.T @ targets)


def _readout(model):
    return np.concatenate(
        [
            keras.ops.convert_to_numpy(model.readout.kernel),
            keras.ops.convert_to_numpy(model.readout.bias)[None],
        ]
    )


def test_model_checks_sequence_regression(tmp_path):
    model = _esn(input_shape=(None, 2), output_dim=1)
    x = np.random.default_rng(0).normal(size=(3, 12, 2))
    y = x[..., :1] * 0.5
    run_model_checks(model, x, y, tmp_path)  # fit() with an optimizer trains the readout
    assert model.readout_fitted


def test_model_checks_classification(tmp_path):
    model = _esn(input_shape=(None, 3), task="classification", num_classes=3, pooling="mean")
    x = np.random.default_rng(0).normal(size=(4, 9, 3))
    run_model_checks(model, x, np.array([0, 1, 2, 1]), tmp_path, run_eagerly=True)


def test_fit_readout_is_the_ridge_solution_after_washout():
    model = _esn()
    report = model.fit_readout(X, Y, washout=50, ridge=1e-6)
    feats = model.harvest(X)[0, 50:]
    want = _ridge_solution(feats, Y[0, 50:], 1e-6)
    np.testing.assert_allclose(_readout(model), want, rtol=1e-5, atol=1e-6)
    assert report["rows"] == X.shape[1] - 50 and report["ridge"] == 1e-6
    # Without washout the transient enters the fit: a different readout.
    other = _esn()
    other.fit_readout(X, Y, washout=0, ridge=1e-6)
    assert not np.allclose(_readout(other), want)


def test_teacher_forced_fit_is_accurate_and_predict_agrees_with_the_fast_path():
    model = _esn()
    report = model.fit_readout(X, Y, washout=50)
    assert report["train_mse"] < 1e-8
    pred = model.predict(X, verbose=0)
    fast = model.harvest(X) @ _readout(model)[:-1] + _readout(model)[-1]
    np.testing.assert_allclose(pred, fast, atol=1e-9)
    assert np.mean((pred[0, 50:] - Y[0, 50:]) ** 2) < 1e-8


def test_batches_and_datasets_accumulate_to_the_same_readout():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(6, 40, 2))
    y = np.tanh(x[..., :1] + np.roll(x[..., 1:], 1, axis=1))
    ref = _esn(input_shape=(None, 2), output_dim=1)
    ref.fit_readout(x, y, washout=5, batch_size=6)
    one_by_one = _esn(input_shape=(None, 2), output_dim=1)
    one_by_one.fit_readout(x, y, washout=5, batch_size=1)
    from_dataset = _esn(input_shape=(None, 2), output_dim=1)
    from_dataset.fit_readout(tf.data.Dataset.from_tensor_slices((x, y)).batch(4), washout=5)
    np.testing.assert_allclose(_readout(one_by_one), _readout(ref), rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(_readout(from_dataset), _readout(ref), rtol=1e-7, atol=1e-9)


def test_long_sequences_are_harvested_in_chunks(monkeypatch):
    readout_module = importlib.import_module("zoo.models.esn_readout")
    ref = _esn()
    ref.fit_readout(X, Y, washout=30, ridge=1e-4)  # well conditioned: the weights are unique
    monkeypatch.setattr(readout_module, "_TIME_CHUNK", 64)  # 699 steps in 11 chunks
    chunked = _esn()
    chunked.fit_readout(X, Y, washout=30, ridge=1e-4)
    np.testing.assert_allclose(_readout(chunked), _readout(ref), rtol=1e-7, atol=1e-9)


def test_ridge_search_scores_on_validation_without_rerunning_the_reservoir(monkeypatch):
    ridges = [1e-12, 1e-6, 1e-1, 10.0]
    calls = []
    real = res.harvest
    monkeypatch.setattr(res, "harvest", lambda *a, **k: calls.append(1) or real(*a, **k))
    model = _esn()
    report = model.fit_readout(X, Y, washout=40, ridge=ridges, validation_split=0.25)
    assert len(calls) == 1  # one reservoir, one harvest for every ridge
    assert set(report["validation_mse"]) == set(ridges)
    assert report["ridge"] == min(report["validation_mse"], key=report["validation_mse"].get)
    assert model.get_config()["ridge"] == report["ridge"]
    # Each validation score is the error of the ridge fitted on the first 75% of kept steps.
    steps = X.shape[1]
    cut = steps - round((steps - 40) * 0.25)
    feats = model.harvest(X)[0]
    for r in ridges:
        w = _ridge_solution(feats[40:cut], Y[0, 40:cut], r)
        pred = feats[cut:] @ w[:-1] + w[-1]
        assert report["validation_mse"][r] == pytest.approx(
            np.mean((pred - Y[0, cut:]) ** 2), rel=1e-4, abs=1e-14
        )
    # The final readout uses every kept step with the chosen ridge (compared by its outputs: at
    # a tiny ridge the weights of a low-rank sine are not unique).
    w = _ridge_solution(feats[40:], Y[0, 40:], report["ridge"])
    np.testing.assert_allclose(
        feats[40:] @ _readout(model)[:-1] + _readout(model)[-1],
        feats[40:] @ w[:-1] + w[-1],
        atol=1e-6,
    )
    assert report["validation_mse"][10.0] > report["validation_mse"][report["ridge"]]


def test_a_singular_system_falls_back_from_cholesky():
    readout_module = importlib.import_module("zoo.models.esn_readout")
    feats = np.random.default_rng(0).normal(size=(50, 3))
    feats = np.concatenate([feats, feats[:, :1]], axis=1)  # a repeated column: Cxx is singular
    targets = feats[:, :1] * 2.0 + 1.0
    stats = readout_module._Stats()
    stats.add(feats, targets)
    w, b = readout_module._solve(stats, 0.0)
    np.testing.assert_allclose(feats @ w + b, targets, atol=1e-8)


def test_ridge_search_with_validation_data():
    model = _esn()
    report = model.fit_readout(
        X[:, :400], Y[:, :400], washout=40, ridge=[1e-9, 1.0], validation_data=(X, Y)
    )
    assert report["ridge"] == 1e-9 and report["rows"] == 360


def test_generate_feeds_predictions_back():
    model = _esn()
    model.fit_readout(X, Y, washout=50)
    warm = X[:, :300]
    gen = model.generate(4, warmup=warm)
    assert gen.shape == (1, 4, 1)
    # The first is the teacher-forced prediction at the warm-up's last input, ...
    np.testing.assert_allclose(gen[0, 0], model.predict(warm, verbose=0)[0, -1], atol=1e-10)
    # ... each next one the prediction after appending the previous prediction to the inputs.
    for k in range(1, 4):
        longer = np.concatenate([warm, gen[:, :k]], axis=1)
        np.testing.assert_allclose(gen[0, k], model.predict(longer, verbose=0)[0, -1], atol=1e-9)
    # A well-fitted model forecasts the sine freely.
    free = model.generate(50, warmup=X[:, :300])
    np.testing.assert_allclose(free[0, :, 0], SINE[300:350], atol=2e-2)
    assert model.generate(3, warmup=X[0, :100]).shape == (1, 3, 1)  # unbatched warm-up


def test_free_run_nrmse():
    model = _esn(units=60)
    model.fit_readout(X[:, :500], Y[:, :500], washout=50)
    assert free_run_nrmse(model, SINE, [550, 600, 650], horizon=20, warmup=100) < 1e-2
    model.readout.kernel.assign(np.zeros_like(_readout(model)[:-1]))  # a useless readout
    assert free_run_nrmse(model, SINE, [550, 600, 650], horizon=20, warmup=100) > 0.3
    # Starts as an array of ints, the series as (T, 1): the same score.
    assert free_run_nrmse(
        model, SINE[:, None], np.array([550, 600, 650]), horizon=20, warmup=100
    ) == free_run_nrmse(model, SINE, [550, 600, 650], horizon=20, warmup=100)


@pytest.mark.parametrize(
    "series, starts, error, message",
    [
        (SINE, None, TypeError, "starts must be a list of int start indices, got None"),
        (SINE, 550, TypeError, "starts must be a list of int start indices, got 550"),
        (SINE, [550.7], TypeError, r"starts\[0\] must be an int >= 0, got 550.7 \(float\)"),
        (SINE, [], ValueError, "starts must hold at least one start index"),
        (None, [550], TypeError, "series must be a float array of shape .*got None"),
        ("abc", [550], TypeError, "series must be a float array, got str"),
        (np.ones(700), [550], ValueError, r"series is constant \(every value 1.0, std 0\)"),
        (np.stack([SINE, SINE], 1), [550], ValueError, r"got shape \(700, 2\): score each"),
        (np.array([]), [550], ValueError, "series is empty"),
        (np.where(np.arange(700) == 3, np.nan, SINE), [550], ValueError, "series holds NaN"),
        (SINE, [680], ValueError, "start 680 needs 100 warm-up steps before it and 20 after"),
    ],
)
def test_free_run_nrmse_refuses_bad_inputs(fitted, series, starts, error, message):
    with pytest.raises(error, match=message):
        free_run_nrmse(fitted, series, starts, horizon=20, warmup=100)


def test_deep_reservoirs():
    model = _esn(num_reservoirs=2, units=[30, 20])
    assert [r.units for r in model.reservoirs] == [30, 20]
    assert model.harvest(X).shape == (1, 699, 1 + 30 + 20)
    model.fit_readout(X, Y, washout=50)
    fast = model.harvest(X) @ _readout(model)[:-1] + _readout(model)[-1]
    np.testing.assert_allclose(model.predict(X, verbose=0), fast, atol=1e-9)
    assert model.generate(5, warmup=X[:, :200]).shape == (1, 5, 1)
    no_input = _esn(num_reservoirs=3, input_to_readout=False)
    assert no_input.harvest(X).shape == (1, 699, 120)


@pytest.mark.parametrize("pooling", ["last", "mean"])
def test_classification_in_closed_form(pooling):
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, 90)
    freqs = np.array([0.1, 0.4, 0.9])[labels]
    t = np.arange(30)
    x = np.sin(freqs[:, None] * t + rng.uniform(0, 6, (90, 1)))[..., None]
    model = _esn(task="classification", num_classes=3, pooling=pooling, units=60)
    report = model.fit_readout(x[:60], labels[:60], ridge=[1e-6, 1e-3, 1e-1])
    assert report["ridge"] in (1e-6, 1e-3, 1e-1)
    logits = model.predict(x[60:], verbose=0)
    assert logits.shape == (30, 3)
    assert np.mean(np.argmax(logits, axis=1) == labels[60:]) > 0.9
    one_hot = _esn(task="classification", num_classes=3, pooling=pooling, units=60)
    one_hot.fit_readout(x[:60], np.eye(3)[labels[:60]], ridge=report["ridge"])
    np.testing.assert_allclose(_readout(one_hot), _readout(model), rtol=1e-5, atol=1e-7)


def _padded(sequences, steps, value, front=False):
    out = np.full((len(sequences), steps, sequences[0].shape[-1]), value)
    for i, seq in enumerate(sequences):
        if front:
            out[i, steps - len(seq) :] = seq
        else:
            out[i, : len(seq)] = seq
    return out


@pytest.mark.parametrize("pooling, num_reservoirs", [("last", 1), ("mean", 2)])
def test_padding_does_not_change_a_sequence_prediction(pooling, num_reservoirs):
    rng = np.random.default_rng(0)
    lengths = rng.integers(4, 16, 24)
    seqs = [rng.normal(size=(n, 2)) for n in lengths]
    labels = rng.integers(0, 3, 24)
    model = _esn(
        input_shape=(None, 2),
        task="classification",
        num_classes=3,
        pooling=pooling,
        num_reservoirs=num_reservoirs,
        mask_value=-7.0,
    )
    model.fit_readout(_padded(seqs, 20, -7.0), labels, ridge=1e-3)
    alone = np.concatenate([model.predict(s[None], verbose=0) for s in seqs[:4]])
    for front in (False, True):
        batch = model.predict(_padded(seqs, 20, -7.0, front), verbose=0)[:4]
        np.testing.assert_allclose(batch, alone, rtol=1e-9, atol=1e-12)
    # The closed-form fit reads the same pooled features: fitted sequence by sequence (no
    # padding at all) it gives the same readout.
    unpadded = _esn(
        input_shape=(None, 2),
        task="classification",
        num_classes=3,
        pooling=pooling,
        num_reservoirs=num_reservoirs,
    )
    one_by_one = tf.data.Dataset.from_generator(
        lambda: ((s, y) for s, y in zip(seqs, labels, strict=True)),
        output_signature=(tf.TensorSpec((None, 2), tf.float64), tf.TensorSpec((), tf.int64)),
    )
    unpadded.fit_readout(one_by_one, ridge=1e-3)
    np.testing.assert_allclose(_readout(model), _readout(unpadded), rtol=1e-6, atol=1e-9)
    with pytest.raises(ValueError, match="every step equal to mask_value"):
        model.fit_readout(np.full((2, 5, 2), -7.0), [0, 1])


def test_padded_steps_are_left_out_of_a_per_step_fit():
    a, b = SINE[:400], SINE[100:300]
    padded = _esn(mask_value=5.0)
    x, y = (
        _padded([a[:-1, None], b[:-1, None]], 399, 5.0),
        _padded([a[1:, None], b[1:, None]], 399, 0.0),
    )
    report = padded.fit_readout(x, y, washout=30, ridge=1e-4)
    assert report["rows"] == (399 - 30) + (199 - 30)  # washout counted in each sequence
    ref = _esn()
    pairs = [(a[None, :-1, None], a[None, 1:, None]), (b[None, :-1, None], b[None, 1:, None])]
    ref.fit_readout(
        tf.data.Dataset.from_generator(
            lambda: iter(pairs), output_signature=(tf.TensorSpec((1, None, 1), tf.float64),) * 2
        ),
        washout=30,
        ridge=1e-4,
    )
    np.testing.assert_allclose(_readout(padded), _readout(ref), rtol=1e-6, atol=1e-9)
    # A warm-up padded at the front generates what the unpadded one does.
    warm = np.concatenate([np.full((1, 50, 1), 5.0), X[:, :200]], axis=1)
    np.testing.assert_allclose(
        padded.generate(5, warmup=warm), padded.generate(5, warmup=X[:, :200]), atol=1e-12
    )


def test_padded_steps_give_the_readout_zero_inputs_as_keras_masking_does():
    model = _esn(units=20, mask_value=-5.0)
    model.fit_readout(X, Y, washout=10)
    padded = np.concatenate([X[:, :50], np.full((1, 3, 1), -5.0)], axis=1)
    kernel, bias = _readout(model)[:-1], _readout(model)[-1]
    np.testing.assert_allclose(
        model.harvest(padded) @ kernel + bias, model.predict(padded, verbose=0), atol=1e-12
    )
    # A warm-up padded at the end generates from its last real step.
    np.testing.assert_allclose(
        model.generate(3, warmup=padded), model.generate(3, warmup=X[:, :50]), atol=1e-12
    )
    with pytest.raises(ValueError, match="warmup holds a sequence with every step equal"):
        model.generate(3, warmup=np.full((1, 4, 1), -5.0))
    # predict refuses an all-padding sequence as fit_readout and generate do (it read nothing).
    all_padding = np.concatenate([padded, np.full_like(padded, -5.0)])
    with pytest.raises(ValueError, match=r"x holds a sequence .* mask_value \(sequence 1 of"):
        model.predict(all_padding, verbose=0)
    with pytest.raises(ValueError, match=r"x holds a sequence .* mask_value \(sequence 1 of"):
        model.evaluate(all_padding, np.zeros((2, 53, 1)), verbose=0)


@pytest.mark.parametrize("batch_size", [1, 2, 32])
def test_ridge_search_splits_sequences_over_the_run_whatever_the_batch(batch_size):
    rng = np.random.default_rng(0)
    x, labels = rng.normal(size=(20, 12, 2)), np.arange(20) % 2
    model = _esn(units=20, input_shape=(None, 2), task="classification", num_classes=2)
    report = model.fit_readout(x, labels, ridge=[1e-6, 1e-2], batch_size=batch_size)
    assert report["rows"] == 20  # the final fit uses every sequence
    # One sequence in five validated (the 3rd, 8th, ...), whatever the batch: the same scores.
    ref = _esn(units=20, input_shape=(None, 2), task="classification", num_classes=2)
    keep = np.arange(20) % 5 != 2
    ref_report = ref.fit_readout(
        x[keep], labels[keep], ridge=[1e-6, 1e-2], validation_data=(x[~keep], labels[~keep])
    )
    for r, mse in report["validation_mse"].items():
        assert mse == pytest.approx(ref_report["validation_mse"][r], rel=1e-9)
    unbatched = tf.data.Dataset.from_tensor_slices((x, labels))
    assert model.fit_readout(unbatched, ridge=[1e-6, 1e-2])["validation_mse"] == pytest.approx(
        report["validation_mse"]
    )
    # A share is rounded, not cut: 0.2 of 4 sequences validates one of them.
    assert model.fit_readout(x[:4], labels[:4], ridge=[1e-6, 1e-2])["rows"] == 4


def test_a_classifier_saved_with_an_ignored_output_dim_still_loads():
    config = _esn(task="classification", num_classes=3).get_config()
    config["output_dim"] = 2  # what older versions stored (and ignored)
    assert EchoStateNetwork.from_config(config).output_shape == (None, 3)


def test_save_and_load_give_identical_predictions_and_generations(tmp_path):
    model = _esn(units=50, num_reservoirs=2, leak_rate=0.7)
    model.fit_readout(X, Y, washout=50)
    path = tmp_path / "esn.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert isinstance(loaded, EchoStateNetwork) and loaded.readout_fitted
    np.testing.assert_array_equal(loaded.predict(X, verbose=0), model.predict(X, verbose=0))
    np.testing.assert_array_equal(
        loaded.generate(30, warmup=X[:, :200]), model.generate(30, warmup=X[:, :200])
    )
    assert loaded.get_config() == model.get_config()


def test_get_config_echoes_every_argument():
    params = set(inspect.signature(EchoStateNetwork.__init__).parameters) - {"self", "kwargs"}
    factory = set(inspect.signature(zoo.models.esn).parameters)
    assert params == factory - {"optimizer", "learning_rate", "compile"}
    kwargs = dict(
        input_shape=(None, 2),
        task="regression",
        num_classes=None,
        output_dim=2,
        units=[12, 8],
        num_reservoirs=2,
        spectral_radius=0.8,
        leak_rate=0.2,
        input_scaling=[0.5, 1.5],
        bias_scaling=0.1,
        connectivity=0.5,
        input_connectivity=0.5,
        input_distribution="bernoulli",
        activation="sigmoid",
        input_to_readout=False,
        pooling="mean",
        mask_value=0.0,
        ridge=1e-5,
        dtype="float32",
        seed=3,
        name="my_esn",
    )
    model = zoo.models.esn(**kwargs)
    assert model.get_config() == kwargs
    rebuilt = EchoStateNetwork.from_config(model.get_config())
    for a, b in zip(rebuilt.weights, model.weights, strict=True):
        np.testing.assert_array_equal(keras.ops.convert_to_numpy(a), keras.ops.convert_to_numpy(b))


def test_seeding():
    a, b, c = _esn(seed=5), _esn(seed=5), _esn(seed=6)
    wa, wb, wc = ([keras.ops.convert_to_numpy(w) for w in m.weights] for m in (a, b, c))
    for x, y in zip(wa, wb, strict=True):
        np.testing.assert_array_equal(x, y)
    assert not all(np.array_equal(x, y) for x, y in zip(wa, wc, strict=True))
    keras.utils.set_random_seed(0)
    d = _esn(seed=None)
    assert isinstance(d.get_config()["seed"], int)
    # a deep stack's second reservoir is not another seed's first (it was seed + 1000)
    deep, other = _esn(num_reservoirs=2, seed=0), _esn(seed=1000)
    second, first = deep.reservoirs[1].cell.seed, other.reservoirs[0].cell.seed
    assert second != first and deep.reservoirs[0].cell.seed == 0


def test_realised_spectral_radius():
    model = _esn(units=300, spectral_radius=1.25)
    assert abs(model.reservoirs[0].realised_spectral_radius() - 1.25) < 1e-3


FACTORY_ERRORS = [
    ({"units": 0}, ValueError, "units must be a positive int, got 0"),
    ({"units": [10, 10]}, ValueError, "one entry per reservoir"),
    ({"spectral_radius": 0.0}, ValueError, "spectral_radius must be a finite float > 0"),
    ({"spectral_radius": -0.5}, ValueError, "spectral_radius must be a finite float > 0"),
    ({"leak_rate": 0.0}, ValueError, r"leak_rate must be in \(0, 1\], got 0.0"),
    ({"leak_rate": 1.01}, ValueError, r"leak_rate must be in \(0, 1\], got 1.01"),
    ({"connectivity": 0.0}, ValueError, r"connectivity must be in \(0, 1\], got 0.0"),
    ({"connectivity": 1.5}, ValueError, r"connectivity must be in \(0, 1\], got 1.5"),
    ({"input_connectivity": -0.1}, ValueError, r"input_connectivity must be in \(0, 1\]"),
    (
        {"units": 8, "input_connectivity": 1e-9},
        ValueError,
        "input_connectivity=1e-09 is too sparse for units=8",
    ),
    ({"input_distribution": "gauss"}, ValueError, "input_distribution must be one of"),
    ({"ridge": -1e-3}, ValueError, "ridge must be a finite float >= 0, got -0.001"),
    ({"task": "tagging"}, ValueError, "task must be one of"),
    ({"task": "classification"}, ValueError, "needs num_classes"),
    ({"pooling": "max"}, ValueError, "pooling must be one of 'last', 'mean', got 'max'"),
    ({"pooling": "mean"}, ValueError, "pooling is for the per-sequence tasks .*pooling='mean'"),
    ({"mask_value": "pad"}, TypeError, "mask_value must be a finite number or None, got 'pad'"),
    ({"dtype": "float16"}, ValueError, "dtype must be one of"),
    ({"num_reservoirs": 0}, ValueError, "num_reservoirs must be a positive int, got 0"),
    ({"input_shape": (None, 0)}, ValueError, "input_shape"),
    ({"input_scaling": [1.0, 2.0]}, ValueError, "input_scaling has 2 entries"),
    ({"compile": "yes"}, TypeError, "compile must be True or False"),
    ({"num_classes": 3}, ValueError, "num_classes is for task='classification'"),
    (
        {"task": "classification", "num_classes": 2, "output_dim": 3},
        ValueError,
        "output_dim is for regression tasks",
    ),
]


def test_numpy_ints_are_accepted_where_ints_are():
    model = zoo.models.esn(
        units=np.int64(10),
        seed=0,
        input_shape=(None, np.int64(2)),
        task="classification",
        num_classes=np.int64(3),
    )
    assert model.output_shape == (None, 3)
    assert type(model.get_config()["num_classes"]) is int


@pytest.mark.parametrize("kwargs, error, message", FACTORY_ERRORS)
def test_bad_factory_arguments(kwargs, error, message):
    with pytest.raises(error, match=message):
        zoo.models.esn(**{"units": 10, **kwargs})


@pytest.fixture(scope="module")
def fitted():
    model = _esn(units=20)
    model.fit_readout(X, Y, washout=10)
    return model


NAN_X = X.copy()
NAN_X[0, 5, 0] = np.nan
INF_Y = Y.copy()
INF_Y[0, 7, 0] = np.inf

CALL_ERRORS = [
    ("fit", dict(x=X, y=Y, ridge=-1.0), ValueError, "ridge must be a finite float >= 0"),
    ("fit", dict(x=X, y=Y, ridge=[1e-6, -1.0]), ValueError, r"ridge\[1\] must be"),
    ("fit", dict(x=X, y=Y, ridge=[]), ValueError, "at least one value"),
    ("fit", dict(x=X, y=Y, washout=699), ValueError, r"washout must be smaller than .*699 steps"),
    (  # (it named no argument)
        "fit",
        dict(x=X, y=Y, washout=10, validation_data=(X[:, :5], Y[:, :5])),
        ValueError,
        r"washout must be smaller than the sequence length of validation_data\[0\] \(5 steps\)",
    ),
    (  # (it said "empty x, or all washed out")
        "fit",
        dict(x=X[:, :40], y=Y[:, :40], washout=30, ridge=[1.0, 2.0], validation_split=0.99),
        ValueError,
        r"no training rows .*or all held out by validation_split=0.99",
    ),
    ("fit", dict(x=X, y=Y, washout=-1), ValueError, "washout must be an int >= 0, got -1"),
    ("fit", dict(x=X, y=Y[:, :-1]), ValueError, "different lengths or batch sizes"),
    ("fit", dict(x=np.repeat(X, 2, 0), y=Y), ValueError, "same number of sequences"),
    ("fit", dict(x=X, y=None), ValueError, "needs y"),
    ("fit", dict(x=NAN_X, y=Y), ValueError, "x holds NaN or inf"),
    ("fit", dict(x=X, y=INF_Y), ValueError, "y holds NaN or inf"),
    (
        "fit",
        dict(x=X[0], y=Y[0]),
        ValueError,
        r"x must be \(batch, timesteps, 1\), got shape "
        r"\(699, 1\): for one sequence pass x\[None\]",
    ),
    ("fit", dict(x="abc", y=Y), TypeError, "x must be a float array, got str"),
    ("fit", dict(x=X, y=1.0), ValueError, r"y must hold one target per sequence of x \(1\)"),
    ("fit", dict(x=X, y=Y, validation_split=5), ValueError, r"validation_split must be in"),
    ("fit", dict(x=X, y=Y, ridge=[1.0, 2.0], validation_split=0), ValueError, "needs validation"),
    ("fit", dict(x=X, y=Y, batch_size=0), ValueError, "batch_size must be a positive int"),
    ("fit", dict(x=X, y=Y, ridge=np.array(-1.0)), ValueError, "ridge must be a finite float"),
    ("fit", dict(x=X, y=Y, ridge=[1e-3, 1.0], validation_data=(X, Y, None)), ValueError, "3 items"),
    ("fit", dict(x=X, y=Y, ridge=[1e-3, 1.0], validation_data=X), TypeError, "validation_data"),
    ("fit", dict(x=tf.data.Dataset.from_tensors((X, Y)), y=Y), ValueError, "y must be None"),
    # validation_data's errors name it, not fit_readout's x and y
    (
        "fit",
        dict(x=X, y=Y, ridge=[1e-3, 1.0], validation_data=(X, None)),
        ValueError,
        r"needs validation_data\[1\] \(the targets\) with array validation_data\[0\]",
    ),
    (
        "fit",
        dict(x=X, y=Y, ridge=[1e-3, 1.0], validation_data=(X, Y[..., None])),
        ValueError,
        r"validation_data\[1\] must be \(batch, timesteps, 1\) matching validation_data\[0\]'s",
    ),
    (
        "fit",
        dict(x=X, y=Y, ridge=[1e-3, 1.0], validation_data=tf.data.Dataset.from_tensors((X, Y, Y))),
        ValueError,
        r"validation_data as a dataset must yield \(inputs, targets\) pairs, got an element of "
        r"type tuple of 3 items",
    ),
    ("fit", dict(x=X + 1j, y=Y), TypeError, "x must hold real numbers, got complex"),
    ("predict", dict(x=X[0]), ValueError, r"got shape \(699, 1\): for one sequence pass x"),
    ("predict", dict(x=NAN_X), ValueError, "x holds NaN or inf"),
    ("predict", dict(x=X.astype(complex)), TypeError, "x must hold real numbers"),
    ("predict", dict(x=tf.constant(NAN_X)), ValueError, "x holds NaN or inf"),
    ("predict", dict(x=np.zeros((1, 10, 2))), ValueError, r"x must be \(batch, timesteps, 1\)"),
    ("predict", dict(x="abc"), TypeError, "x must be a float array, got str"),
    ("predict", dict(x=None), TypeError, r"x must be a float array of shape \(batch, timest.*None"),
    ("predict", dict(x=np.zeros((0, 10, 1))), ValueError, r"x holds no sequences \(batch size 0"),
    ("predict", dict(x=X, batch_size=0), ValueError, "batch_size must be a positive int, got 0"),
    ("predict", dict(x=X, batch_size=-1), ValueError, "batch_size must be a positive int, got -1"),
    (
        "predict",
        dict(x=tf.data.Dataset.from_tensor_slices(np.zeros((4, 5, 3))).batch(2)),
        ValueError,
        r"x as a dataset must yield \(batch, timesteps, 1\) batches.*shape \(None, 5, 3\)",
    ),
    (
        "predict",
        dict(x=tf.data.Dataset.from_tensor_slices((X, Y))),
        ValueError,
        r"its x elements have shape \(699, 1\): batch it",
    ),
    ("predict", dict(x=tf.data.Dataset.range(3)), ValueError, r"its x elements have shape \(\)"),
    (
        "predict",
        dict(x=tf.data.Dataset.from_tensors({"sequence": X})),
        TypeError,
        "x as a dataset must yield",
    ),
    ("gen", dict(steps=0, warmup=X), ValueError, "steps must be a positive int, got 0"),
    # (the arguments swapped: the message printed all 699 numbers)
    ("gen", dict(steps=X, warmup=5), TypeError, r"steps .* got an array of shape \(1, 699, 1\)"),
    ("gen", dict(steps=5, warmup=np.zeros((1, 10, 2))), ValueError, "feature size must equal"),
    ("gen", dict(steps=5, warmup=NAN_X), ValueError, "warmup holds NaN or inf"),
    (
        "gen",
        dict(steps=5, warmup=None),
        TypeError,
        r"warmup must be a float array of shape \(batch, timesteps, 1\), got None",
    ),
    ("gen", dict(steps=5, warmup=np.zeros((0, 5, 1))), ValueError, "warmup holds no sequences"),
]


@pytest.mark.parametrize("kind, kwargs, error, message", CALL_ERRORS)
def test_bad_calls(fitted, kind, kwargs, error, message):
    before = _readout(fitted).copy()
    with pytest.raises(error, match=message):
        if kind == "fit":
            fitted.fit_readout(**kwargs)
        elif kind == "predict":
            fitted.predict(**kwargs, verbose=0)
        else:
            fitted.generate(**kwargs)
    np.testing.assert_array_equal(_readout(fitted), before)  # nothing lost
    # A refused call leaves predict working (Keras's own error on a (timesteps, features) array
    # broke every later predict call of the model).
    np.testing.assert_allclose(fitted.predict(X, verbose=0), fitted(X), atol=1e-12)


def test_predict_keeps_float64_tensors_in_float64(fitted):
    np.testing.assert_array_equal(fitted.predict(tf.constant(X), verbose=0), fitted(X))


def test_predict_takes_datasets_of_batches_or_pairs(fitted):
    want = fitted.predict(X, verbose=0)
    for ds in (tf.data.Dataset.from_tensors(X), tf.data.Dataset.from_tensors((X, Y))):
        np.testing.assert_allclose(fitted.predict(ds, verbose=0), want, atol=1e-6)


def test_a_per_feature_input_scaling_may_be_an_array():
    model = _esn(input_shape=(None, 2), input_scaling=np.array([1.0, 2.0]))
    assert model.get_config()["input_scaling"] == [1.0, 2.0]
    with pytest.raises(TypeError, match="or a list of one float >= 0 per input feature"):
        zoo.layers.Reservoir(10, input_scaling="big")


def test_a_readout_fitted_to_zeros_is_fitted():
    model = _esn(units=10)
    model.fit_readout(X, np.zeros_like(Y), washout=10)
    assert model.readout_fitted
    np.testing.assert_allclose(model.generate(3, warmup=X), 0.0, atol=1e-12)


def test_target_shape_errors_name_the_whole_array():
    model = _esn(task="regression", output_dim=2, units=10)
    with pytest.raises(ValueError, match=r"with batch 100, got shape \(100, 1\)"):
        model.fit_readout(np.zeros((100, 5, 1)), np.zeros((100, 1)))


def test_one_ridge_is_scored_on_validation_data():
    model = _esn(dtype="float64")  # the readout's weights as solved
    report = model.fit_readout(X[:, :400], Y[:, :400], washout=40, validation_data=(X, Y))
    assert list(report["validation_mse"]) == [report["ridge"]]
    w, b = (keras.ops.convert_to_numpy(v) for v in (model.readout.kernel, model.readout.bias))
    expected = np.mean((model.harvest(X) @ w + b - Y)[:, 40:] ** 2)  # after the washout
    # rtol 1e-4: the report's MSE comes from the accumulated sums (round-off ~5e-6 at an MSE of
    # 6e-10); a washout off by one step moves it by 1%.
    np.testing.assert_allclose(report["validation_mse"][report["ridge"]], expected, rtol=1e-4)


@pytest.mark.parametrize("ridge", [1e-6, [1e-6, 1e-3]])
def test_validation_data_with_no_rows_is_named(ridge):
    # One ridge failed in NumPy's matmul on empty sums; a list advised to pass validation_data.
    model = _esn(units=10)
    empty = tf.data.Dataset.from_tensor_slices((X, Y)).batch(2).take(0)
    with pytest.raises(ValueError, match=r"validation_data holds no rows to score on .*40\)"):
        model.fit_readout(X, Y, washout=40, ridge=ridge, validation_data=empty)
    assert not model.readout_fitted


@pytest.mark.parametrize("call", ["predict", "evaluate"])
def test_predict_and_evaluate_need_a_fitted_readout(call):
    model = _esn(units=10)
    args = (X,) if call == "predict" else (X, Y)
    with pytest.raises(ValueError, match=f"{call} needs a fitted readout: call fit_readout"):
        getattr(model, call)(*args, verbose=0)
    model.fit_readout(X, Y, washout=10)
    getattr(model, call)(*args, verbose=0)


def test_evaluate_after_a_washout_scores_only_the_steps_kept():
    # Two sequences of their own lengths, padded at the end; washout counted in each one's steps.
    a, b = SINE[:400], SINE[100:300]
    model = _esn(mask_value=5.0)
    x = _padded([a[:-1, None], b[:-1, None]], 399, 5.0)
    y = _padded([a[1:, None], b[1:, None]], 399, 0.0)
    model.fit_readout(x, y, washout=30, ridge=1e-4)
    pred = model.predict(x, verbose=0)
    err = np.concatenate([(pred - y)[0, 30:399, 0], (pred - y)[1, 30:199, 0]])
    scores = model.evaluate(x, y, washout=30, batch_size=1, return_dict=True, verbose=0)
    np.testing.assert_allclose(scores["loss"], np.mean(err**2), rtol=1e-4)  # (float32 loss)
    np.testing.assert_allclose(scores["mae"], np.mean(np.abs(err)), rtol=1e-6)  # metrics too
    with_transient = model.evaluate(x, y, return_dict=True, verbose=0)
    assert with_transient["mae"] > 2 * scores["mae"]  # the transient dominates without it
    batches = tf.data.Dataset.from_tensor_slices((x, y)).batch(2)
    assert model.evaluate(batches, washout=30, verbose=0) == pytest.approx(
        [scores["loss"], scores["mae"]], rel=1e-5
    )
    # A weight per sequence: the first alone counts (Keras divides by every step kept).
    first = model.evaluate(x, y, washout=30, sample_weight=np.array([1.0, 0.0]), verbose=0)
    np.testing.assert_allclose(first[0], np.sum(err[:369] ** 2) / len(err), rtol=1e-4)
    with pytest.raises(ValueError, match=r"washout=199 leaves a sequence no step to score"):
        model.evaluate(x, y, washout=199, verbose=0)
    with pytest.raises(ValueError, match=r"washout must be an int >= 0, got -1"):
        model.evaluate(x, y, washout=-1, verbose=0)
    with pytest.raises(TypeError, match=r"evaluate with washout takes .*got also \['steps'\]"):
        model.evaluate(x, y, washout=3, steps=1, verbose=0)
    pooled = _esn(task="classification", num_classes=2)
    with pytest.raises(ValueError, match="washout applies to per-step tasks"):
        pooled.evaluate(x, np.array([0, 1]), washout=3, verbose=0)


def test_a_readout_trained_by_fit_counts_as_fitted_and_saved(tmp_path):
    model = _esn(units=10)
    x = X[:, :100].astype("float32")
    # fit's validation runs evaluate mid-training: allowed before the readout counts as fitted.
    history = model.fit(x, Y[:, :100], validation_data=(x, Y[:, :100]), epochs=1, verbose=0)
    assert "val_loss" in history.history and model.readout_fitted
    want = model.predict(x, verbose=0)
    assert np.any(want != 0)
    model.evaluate(x, Y[:, :100], verbose=0)
    model.save(tmp_path / "sgd.keras")
    loaded = keras.models.load_model(tmp_path / "sgd.keras", safe_mode=True)
    assert loaded.readout_fitted
    np.testing.assert_array_equal(loaded.predict(x, verbose=0), want)


def test_a_readout_fitted_to_all_zeros_stays_fitted_after_save_and_load(tmp_path):
    # (readout_fitted was read from the weights alone: all zeros loaded as never fitted)
    model = _esn(units=10)
    model.fit_readout(X[:, :50], np.zeros((1, 50, 1)))
    assert model.readout_fitted and not np.any(_readout(model))
    model.save(tmp_path / "zeros.keras")
    loaded = keras.models.load_model(tmp_path / "zeros.keras", safe_mode=True)
    assert loaded.readout_fitted
    np.testing.assert_array_equal(loaded.predict(X[:, :50], verbose=0), 0.0)
    _esn(units=10).save(tmp_path / "unfitted.keras")
    assert not keras.models.load_model(tmp_path / "unfitted.keras").readout_fitted


def test_a_model_saved_before_readout_fitted_was_saved_still_loads(tmp_path, monkeypatch):
    model = _esn(units=10)
    model.fit_readout(X[:, :50], Y[:, :50])
    want = model.predict(X[:, :50], verbose=0)
    # as files were written before: the model's own entry without the readout_fitted key
    plain = keras.Model.save_own_variables
    monkeypatch.setattr(type(model), "save_own_variables", plain)
    model.save(tmp_path / "old.keras")
    monkeypatch.undo()
    loaded = keras.models.load_model(tmp_path / "old.keras", safe_mode=True)
    assert loaded.readout_fitted  # (read from its nonzero weights)
    np.testing.assert_array_equal(loaded.predict(X[:, :50], verbose=0), want)


def test_validation_datasets_errors_name_validation_data_once():
    model = _esn(units=10)
    bad = X[:, :50].copy()
    bad[0, 3, 0] = np.nan
    val = tf.data.Dataset.from_tensors((bad, Y[:, :50]))
    with pytest.raises(ValueError, match=r"^validation_data's x holds NaN or inf"):
        model.fit_readout(X[:, :50], Y[:, :50], ridge=[1e-6, 1e-3], validation_data=val)


def test_a_masked_sequence_within_the_washout_is_refused_as_an_unpadded_one_is():
    model = _esn(units=10, mask_value=-9.0)
    x = np.full((2, 60, 1), -9.0)
    x[0, :, 0], x[1, :10, 0] = np.sin(np.arange(60) * 0.2), 0.5  # sequence 1: 10 real steps
    with pytest.raises(ValueError, match=r"washout must be smaller .* got 20: sequence 1 .* 10 st"):
        model.fit_readout(x, np.zeros((2, 60, 1)), washout=20)  # (it was dropped silently)
    assert not model.readout_fitted
    model.fit_readout(x, np.zeros((2, 60, 1)), washout=5)


def test_a_model_built_for_a_fixed_length_refuses_other_lengths_everywhere():
    model = _esn(units=10, input_shape=(50, 1))
    with pytest.raises(ValueError, match=r"x has 60 time steps, but the model was built for "):
        model.fit_readout(X[:, :60], Y[:, :60])  # (it fitted, then predict failed in Keras)
    model.fit_readout(X[:, :50], Y[:, :50])
    with pytest.raises(ValueError, match=r"input_shape=\(50, 1\): sequences of 50 steps"):
        model.predict(X[:, :40], verbose=0)
    assert model.predict(X[:, :50], verbose=0).shape == (1, 50, 1)


def test_generate_needs_a_fitted_readout_and_matching_sizes():
    with pytest.raises(ValueError, match="generate needs a fitted readout"):
        _esn().generate(5, warmup=X)
    with pytest.raises(ValueError, match="output_dim must equal the input features"):
        _esn(input_shape=(None, 2), output_dim=1).generate(5, warmup=np.zeros((1, 5, 2)))
    with pytest.raises(ValueError, match="generate needs a sequence_regression model"):
        _esn(task="classification", num_classes=2).generate(5, warmup=X)
    with pytest.raises(ValueError, match="washout applies to per-step tasks"):
        _esn(task="classification", num_classes=2).fit_readout(X, [1], washout=3)
    with pytest.raises(ValueError, match=r"class ids in \[0, 2\)"):
        _esn(task="classification", num_classes=2).fit_readout(X, [2])
    classifier = _esn(task="classification", num_classes=2)
    x2 = np.repeat(X[:, :50], 3, axis=0)
    with pytest.raises(ValueError, match="y holds NaN or inf"):
        classifier.fit_readout(x2, [[1.0, 0.0], [0.0, np.nan], [0.0, 1.0]])
    with pytest.raises(ValueError, match="must be one-hot: every row 0/1 with exactly one 1"):
        classifier.fit_readout(x2, [[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    with pytest.raises(TypeError, match="y must hold class ids .* got dtype <U3"):
        classifier.fit_readout(x2, ["cat", "dog", "cat"])
    assert not classifier.readout_fitted


def test_docstring_examples():
    module = importlib.import_module("zoo.models.esn")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 5


def test_a_fitted_readout_saves_and_loads_without_optimizer_warnings(tmp_path):
    model = zoo.models.esn(units=10, input_shape=(None, 1), seed=0)
    x = np.sin(np.arange(300) / 5.0)[None, :, None].astype("float32")
    model.fit_readout(x[:, :-1], x[:, 1:], washout=20)
    model.save(tmp_path / "esn.keras")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        keras.models.load_model(tmp_path / "esn.keras", safe_mode=True)
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]


def test_the_ridge_used_is_kept_in_the_config():
    model = _esn(units=20)
    model.fit_readout(X, Y, washout=10, ridge=[1e-3])
    assert model.get_config()["ridge"] == 1e-3
    model.fit_readout(X, Y, washout=10, ridge=1e-5)
    assert model.get_config()["ridge"] == 1e-5


def test_a_config_saved_with_an_ignored_pooling_still_loads():
    config = _esn(units=10).get_config()
    model = EchoStateNetwork.from_config({**config, "pooling": "mean"})  # accepted, unused then
    assert model.get_config()["pooling"] == "last"


def test_gradient_fit_checks_numpy_data_as_fit_readout_does():
    # It trained on NaN inputs to a NaN loss, and took no one-hot rows (which fit_readout takes).
    model = _esn(units=10)
    bad = X.copy()
    bad[0, 3, 0] = np.nan
    with pytest.raises(ValueError, match=r"x holds NaN or inf \(first at index \(0, 3, 0\)"):
        model.fit(bad, Y, epochs=1, verbose=0)
    with pytest.raises(ValueError, match=r"validation_data\[1\] must be \(batch, timesteps, 1\)"):
        model.fit(X, Y, validation_data=(X, Y[:, :-1]), epochs=1, verbose=0)
    classifier = zoo.models.esn(units=10, task="classification", num_classes=3, seed=0)
    x = np.zeros((3, 8, 1))
    assert classifier.fit(x, np.eye(3), epochs=1, verbose=0).history["loss"][0] > 0
    with pytest.raises(ValueError, match=r"y must hold class ids in \[0, 3\), got values from 0"):
        classifier.fit(x, np.array([0, 1, 3]), epochs=1, verbose=0)


def test_gradient_fit_leaves_a_recompiled_loss_s_targets_to_it():
    # One-hot or soft rows under categorical cross-entropy, ignored ids under ignore_class:
    # the factory's own checks (class ids in range) would refuse them.
    x, ids = np.zeros((3, 8, 1)), np.array([0, 1, 2])
    for loss, y in [
        (keras.losses.CategoricalCrossentropy(from_logits=True), np.full((3, 3), 1 / 3)),
        (keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
         np.array([0, -1, 2])),
    ]:  # fmt: skip
        model = zoo.models.esn(units=10, task="classification", num_classes=3, seed=0)
        model.compile("adam", loss)
        assert np.isfinite(model.fit(x, y, epochs=1, verbose=0).history["loss"][0])
    model = zoo.models.esn(units=10, task="classification", num_classes=3, seed=0)
    model.fit_readout(x, ids)
    assert model.evaluate(x, np.eye(3)[ids], verbose=0)[1] >= 0  # one-hot taken as ids


def test_export_serves_the_readout_in_the_model_dtype(tmp_path):
    # As the README says: the default float64 ESN serves float64 inputs (TFSMLayer with
    # dtype="float64"; its default float32 cast failed); a float32 one serves float32.
    for dtype in ("float64", "float32"):
        model = _esn(units=20, dtype=dtype)
        model.fit_readout(X, Y, washout=50)
        path = str(tmp_path / dtype)
        model.export(path, verbose=False)
        served = keras.layers.TFSMLayer(path, dtype=dtype)
        x = X[:, :200].astype(dtype)
        np.testing.assert_allclose(
            keras.ops.convert_to_numpy(served(x)), model.predict(x, verbose=0), rtol=1e-5
        )
        signature = tf.saved_model.load(path).signatures["serving_default"]
        (spec,) = signature.structured_input_signature[1].values()
        assert spec.dtype == dtype


def test_a_float64_model_is_scored_in_float64():
    # Keras cast NumPy inputs and the loss to float32: evaluate(x, predict(x)) gave 1.4e-11, and
    # after a washout a test MSE of 4.9e-12 was reported as 1.3e-11 (a series around 100).
    model = _esn(units=50, input_scaling=0.005)
    s = SINE[None, :600, None] + 100.0
    x, y = s[:, :-1], s[:, 1:]
    model.fit_readout(x, y, washout=200)
    pred = model.predict(x, verbose=0)
    assert model.evaluate(x, pred, verbose=0) == [0.0, 0.0]
    after = np.mean((pred - y)[:, 200:] ** 2)
    scores = model.evaluate(x, y, washout=200, return_dict=True, verbose=0)
    np.testing.assert_allclose(scores["loss"], after, rtol=1e-6)
    np.testing.assert_allclose(model.evaluate(x, y, verbose=0)[0], np.mean((pred - y) ** 2))
    # and so is the model loaded from a .keras file (Keras's loss config drops its dtype)
    path = pathlib.Path(tempfile.mkdtemp()) / "esn.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    again = loaded.evaluate(x, y, washout=200, return_dict=True, verbose=0)
    np.testing.assert_allclose(again["loss"], after, rtol=1e-6)


def test_one_weight_per_sequence_weighs_its_steps_and_bad_weights_are_named():
    # A (batch,) weight failed in the loss ("Incompatible shapes: [2] vs. [2,399]").
    model = _esn(units=20)
    x = np.concatenate([X, 0.5 * X])
    y = np.concatenate([Y, 0.5 * Y])
    model.fit_readout(x, y, washout=50)
    rows = np.array([1.0, 3.0])
    steps = np.repeat(rows[:, None], x.shape[1], axis=1)
    np.testing.assert_allclose(
        model.evaluate(x, y, sample_weight=rows, verbose=0),
        model.evaluate(x, y, sample_weight=steps, verbose=0),
    )
    history = model.fit(x, y, sample_weight=rows, validation_data=(x, y, rows), verbose=0)
    assert np.isfinite(history.history["val_loss"][0])
    with pytest.raises(ValueError, match=r"sample_weight must have shape \(2,\) or \(2, 699\) "):
        model.evaluate(x, y, sample_weight=np.ones(3), washout=10, verbose=0)
    with pytest.raises(ValueError, match=r"validation_data\[2\] must have shape"):
        model.fit(x, y, validation_data=(x, y, np.ones((2, 5))), verbose=0)
    with pytest.raises(ValueError, match=r"evaluate needs y, the targets of x"):
        model.evaluate(x, washout=10, verbose=0)
    with pytest.raises(ValueError, match=r"batch_size must be a positive int, got 0"):
        model.evaluate(x, y, washout=10, batch_size=0, verbose=0)


def test_dtype_may_be_given_as_a_numpy_or_tensorflow_dtype():
    # dtype=np.float64 was refused ("dtype must be one of 'float64', 'float32'").
    for given, name in ((np.float64, "float64"), (tf.float32, "float32")):
        model = _esn(units=10, dtype=given)
        assert model.get_config()["dtype"] == name and model.readout.dtype == name
    with pytest.raises(
        ValueError, match=r"dtype must be one of 'float64', 'float32', got 'float16'"
    ):
        _esn(units=10, dtype=np.float16)
    with pytest.raises(
        ValueError, match=r"input_scaling has 2 entries but input_shape has 1 feature:"
    ):
        _esn(units=10, input_scaling=[1.0, 2.0])


def test_a_dataset_of_weights_per_sequence_and_one_without_targets():
    # (batch,) weights in a dataset failed ("Incompatible shapes: [2] vs. [2,59]") without a
    # washout; a dataset without targets read each batch's rows as sequences with one.
    model = _esn(units=20)
    x, y = np.concatenate([X, 0.5 * X]), np.concatenate([Y, 0.5 * Y])
    model.fit_readout(x, y, washout=50)
    rows = np.array([1.0, 3.0])
    weighted = tf.data.Dataset.from_tensor_slices((x, y, rows)).batch(2)
    np.testing.assert_allclose(
        model.evaluate(weighted, verbose=0), model.evaluate(x, y, sample_weight=rows, verbose=0)
    )
    bare = tf.data.Dataset.from_tensor_slices(x).batch(2)
    for washout in (0, 10):
        with pytest.raises(ValueError, match=r"evaluate needs y, the targets of x"):
            model.evaluate(bare, washout=washout, verbose=0)
