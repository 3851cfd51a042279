"""The Echo State reservoir layer: exact spectral radius, seeding, fast path, saving."""

import doctest
import importlib
import re

import keras
import numpy as np
import pytest
import scipy.linalg
import scipy.sparse

import zoo
from zoo.layers import Reservoir, ReservoirCell
from zoo.layers import reservoir as res
from zoo.layers.reservoir import spectral_radius_of


def _built(units=30, features=2, **kwargs):
    layer = Reservoir(units, **kwargs)
    layer.build((None, None, features))
    return layer


def _weights(layer):
    return [keras.ops.convert_to_numpy(w) for w in layer.weights]


@pytest.mark.parametrize(
    "units, kwargs",
    [
        (300, {}),  # sparse: 10/units, ARPACK
        (300, {"connectivity": 0.2, "spectral_radius": 1.25}),
        (80, {"connectivity": 1.0, "spectral_radius": 0.5}),  # dense: LAPACK
        (5, {"spectral_radius": 2.0}),  # tiny: dense solve even when sparse
    ],
)
def test_realised_spectral_radius_is_the_requested_one(units, kwargs):
    layer = _built(units, seed=3, **kwargs)
    want = kwargs.get("spectral_radius", 0.9)
    w = keras.ops.convert_to_numpy(layer.cell.recurrent_kernel).astype(np.float64)
    got = np.abs(np.linalg.eigvals(w)).max()  # an independent dense check
    assert abs(got - want) < 1e-3
    assert abs(layer.realised_spectral_radius() - want) < 1e-3


@pytest.mark.slow
def test_spectral_radius_where_a_one_eigenvalue_arpack_misses():
    # ARPACK asked for k=1 with its default subspace returns a radius 2e-4 off here; the
    # realised radius must be within 1e-3, and ARPACK's tolerance of 1e-4 is far inside it.
    rng = np.random.default_rng(2)
    w = scipy.sparse.random(
        1000, 1000, density=0.1, format="csr", random_state=rng, data_rvs=rng.standard_normal
    )
    exact = np.abs(np.linalg.eigvals(w.toarray())).max()
    assert abs(res.spectral_radius_of(w) - exact) < 1e-4 * exact
    layer = _built(1000, features=1, connectivity=0.1, spectral_radius=1.1, seed=2)
    got = np.abs(np.linalg.eigvals(keras.ops.convert_to_numpy(layer.cell.recurrent_kernel)))
    assert abs(got.max() - 1.1) < 1e-3


def test_nilpotent_sparse_draws_are_redrawn_not_blown_up():
    # At about one connection per unit many sparse draws have no cycle: every eigenvalue is 0,
    # where ARPACK reports a few hundredths (and the rescale would multiply W by ~20).
    nilpotent = scipy.sparse.random(
        100, 100, density=0.01, format="csr", random_state=3, data_rvs=np.ones
    )
    nilpotent = scipy.sparse.triu(nilpotent, k=1, format="csr")
    assert spectral_radius_of(nilpotent) == 0.0
    for seed in range(20):
        r = Reservoir(100, connectivity=0.01, spectral_radius=0.9, seed=seed)
        r.build((None, None, 1))
        w = keras.ops.convert_to_numpy(r.cell.recurrent_kernel).astype(np.float64)
        assert abs(np.abs(scipy.linalg.eigvals(w)).max() - 0.9) < 1e-3, seed
    # A reducible draw: its radius is the largest of its strongly connected blocks'.
    dense = scipy.sparse.block_diag(
        [scipy.sparse.random(80, 80, density=0.1, random_state=s) for s in (1, 2)]
    ).toarray()
    dense[0, 100] = 5.0  # one edge between the blocks: still two components
    block = scipy.sparse.csr_matrix(dense)
    expected = np.abs(scipy.linalg.eigvals(block.toarray())).max()
    assert spectral_radius_of(block) == pytest.approx(expected, rel=1e-4)


def test_too_sparse_to_draw_names_connectivity():
    with pytest.raises(ValueError, match="connectivity=0.01 is too sparse for units=5"):
        Reservoir(5, connectivity=0.01, seed=0).build((None, None, 1))


def test_too_sparse_an_input_draw_names_input_connectivity():
    # An input matrix with no connection from some feature: the reservoir never sees it.
    with pytest.raises(ValueError, match="input_connectivity=1e-09 is too sparse for units=8"):
        Reservoir(8, input_connectivity=1e-9, seed=0).build((None, None, 1))


def test_sparse_input_draws_connect_every_feature():
    # At 8 units and density 0.1 a feature misses every unit in 43% of draws: those are redrawn.
    for seed in range(20):
        w_in = res.draw_input(3, 8, 1.0, 0.1, seed)
        assert np.all(np.any(w_in != 0, axis=1)), seed
    # A dense draw is the one from before redraws existed (same seed, same W_in).
    rng = np.random.default_rng(np.random.SeedSequence([4, 2]))
    want = rng.uniform(-1, 1, (2, 6)) * 0.5
    np.testing.assert_array_equal(res.draw_input(2, 6, 0.5, 1.0, 4), want)


def test_connectivity_sets_the_density():
    layer = _built(400, seed=0)
    w = keras.ops.convert_to_numpy(layer.cell.recurrent_kernel)
    assert layer.density == pytest.approx(10 / 400)
    assert np.count_nonzero(w) / w.size == pytest.approx(10 / 400, rel=0.05)
    dense = _built(50, connectivity=1.0, input_connectivity=0.5, seed=0)
    w_in = keras.ops.convert_to_numpy(dense.cell.kernel)
    assert np.count_nonzero(keras.ops.convert_to_numpy(dense.cell.recurrent_kernel)) == 2500
    assert 0.3 < np.count_nonzero(w_in) / w_in.size < 0.7


def test_same_seed_same_reservoir_bit_for_bit():
    a, b = _built(200, seed=7), _built(200, seed=7)
    for wa, wb in zip(_weights(a), _weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)
    c = _built(200, seed=8)
    assert not np.array_equal(_weights(a)[1], _weights(c)[1])
    # The recurrent matrix does not depend on the input size.
    d = _built(200, features=5, seed=7)
    np.testing.assert_array_equal(_weights(a)[1], _weights(d)[1])


def test_seed_none_is_drawn_from_the_global_generator():
    keras.utils.set_random_seed(1)
    a = Reservoir(10)
    keras.utils.set_random_seed(1)
    b = Reservoir(10)
    assert a.seed == b.seed and isinstance(a.seed, int)
    assert Reservoir.from_config(a.get_config()).seed == a.seed


def test_weights_are_not_trainable():
    layer = _built(20, seed=0)
    assert layer.trainable_weights == []
    assert len(layer.non_trainable_weights) == 3


def test_input_scaling_per_feature_and_bias_scaling():
    layer = _built(20, features=3, input_scaling=[1.0, 0.0, 0.25], bias_scaling=0.0, seed=0)
    w_in = keras.ops.convert_to_numpy(layer.cell.kernel)
    assert np.all(w_in[1] == 0) and np.abs(w_in[0]).max() > 0.5
    assert np.abs(w_in[2]).max() <= 0.25
    assert np.all(keras.ops.convert_to_numpy(layer.cell.bias) == 0)


def test_bernoulli_input_weights_are_the_signs_of_the_uniform_draw():
    kwargs = dict(features=3, input_scaling=[0.5, 1.0, 2.0], input_connectivity=0.5, seed=0)
    uniform = _weights(_built(40, **kwargs))
    bernoulli = _weights(_built(40, input_distribution="bernoulli", **kwargs))
    np.testing.assert_array_equal(np.sign(bernoulli[0]), np.sign(uniform[0]))
    assert set(np.unique(np.abs(bernoulli[0][0]))) == {0.0, 0.5}  # +-scale where connected
    assert set(np.unique(np.abs(bernoulli[0][2]))) == {0.0, 2.0}
    for a, b in zip(uniform[1:], bernoulli[1:], strict=True):  # W and b are the same draws
        np.testing.assert_array_equal(a, b)
    layer = Reservoir(10, input_distribution="bernoulli", seed=0)
    assert Reservoir.from_config(layer.get_config()).input_distribution == "bernoulli"
    assert Reservoir(10, seed=0).input_distribution == "uniform"


def test_one_step_is_the_leaky_update():
    layer = _built(15, features=2, leak_rate=0.3, seed=0, dtype="float64")
    w_in, w, b = _weights(layer)
    u = np.random.default_rng(0).normal(size=(1, 2, 2))
    states = keras.ops.convert_to_numpy(layer(u))
    x1 = 0.3 * np.tanh(u[0, 0] @ w_in + b)
    x2 = 0.7 * x1 + 0.3 * np.tanh(x1 @ w + u[0, 1] @ w_in + b)
    np.testing.assert_allclose(states[0], np.stack([x1, x2]), atol=1e-12)


@pytest.mark.parametrize(
    "activation, dtype, atol, kwargs",
    [
        ("tanh", "float64", 1e-10, {}),
        ("tanh", "float32", 2e-5, {}),
        ("sigmoid", "float32", 2e-5, {}),
        ("relu", "float64", 1e-10, {}),
        ("linear", "float64", 1e-10, {}),
        ("leaky_relu", "float64", 1e-10, {}),
        ("hard_sigmoid", "float64", 1e-10, {}),
        ("softsign", "float64", 1e-10, {}),
        ("softsign", "float32", 2e-5, {}),
        ("tanh", "float64", 1e-10, {"leak_rate": 1.0, "connectivity": 1.0}),
        ("tanh", "float64", 1e-10, {"input_distribution": "bernoulli", "bias_scaling": 0.0}),
        ("tanh", "float64", 1e-10, {"input_scaling": [2.0, 0.1, 0.7], "input_connectivity": 0.3}),
    ],
)
def test_fast_path_agrees_with_the_keras_layer(activation, dtype, atol, kwargs):
    sr = 0.5 if "relu" in activation else 0.9
    kwargs = {"leak_rate": 0.4, "spectral_radius": sr, **kwargs}
    layer = _built(60, features=3, activation=activation, dtype=dtype, seed=2, **kwargs)
    u = np.random.default_rng(1).normal(size=(4, 50, 3)).astype(dtype)
    keras_states = keras.ops.convert_to_numpy(layer(u))
    fast, last = res.harvest(layer.cell, u)
    np.testing.assert_allclose(fast, keras_states, atol=atol)
    np.testing.assert_array_equal(last, fast[:, -1])
    # Carrying the state over two chunks gives the same states as one run.
    first, h = res.harvest(layer.cell, u[:, :20])
    second, _ = res.harvest(layer.cell, u[:, 20:], initial_state=h)
    np.testing.assert_allclose(np.concatenate([first, second], axis=1), fast, atol=1e-12)


@pytest.mark.parametrize("batch", [1, 3])
def test_fast_path_holds_the_state_over_masked_steps_as_keras_does(batch):
    layer = _built(30, features=2, leak_rate=0.4, seed=0, dtype="float64")
    u = np.random.default_rng(0).normal(size=(batch, 12, 2))
    mask = np.ones((batch, 12), bool)
    mask[0, 8:] = mask[-1, :3] = False  # padding at the end, at the front
    mask[0, 4] = False  # and a gap
    keras_states = keras.ops.convert_to_numpy(layer(u, mask=mask))
    fast, last = res.harvest(layer.cell, u, mask=mask)
    np.testing.assert_allclose(fast, keras_states, atol=1e-12)
    np.testing.assert_array_equal(fast[0, 8:], np.repeat(fast[0, 7:8], 4, axis=0))
    np.testing.assert_array_equal(fast[0, 4], fast[0, 3])
    np.testing.assert_array_equal(last, fast[:, -1])
    with pytest.raises(ValueError, match=r"mask must be \(batch, timesteps\)"):
        res.harvest(layer.cell, u, mask=mask[:, :5])


@pytest.mark.parametrize("batch", [1, 3])
def test_fast_path_without_scipys_compiled_kernels(monkeypatch, batch):
    layer = _built(40, features=2, leak_rate=0.6, seed=0, dtype="float64")
    u = np.random.default_rng(0).normal(size=(batch, 30, 2))
    direct = res.harvest(layer.cell, u)[0]
    monkeypatch.setattr(res, "_csr_matvec", None)  # `w @ x` instead
    np.testing.assert_allclose(res.harvest(layer.cell, u)[0], direct, rtol=0, atol=1e-13)
    # Into a slice of a wider array, as the ESN harvests its features; rows must be contiguous.
    wide = np.zeros((batch, 30, 45))
    res.harvest(layer.cell, u, out=wide[..., 5:])
    np.testing.assert_allclose(wide[..., 5:], direct, rtol=0, atol=1e-13)
    assert not wide[..., :5].any()
    with pytest.raises(ValueError, match="last axis is contiguous"):
        res.harvest(layer.cell, u, out=np.zeros((batch, 40, 30)).transpose(0, 2, 1))


def test_numpy_weights_follow_assigned_weights():
    layer = _built(100, features=1, seed=0, dtype="float64")
    drawn = res.numpy_weights(layer.cell)[1]  # kept from the draw
    fresh = scipy.sparse.csr_matrix(keras.ops.convert_to_numpy(layer.cell.recurrent_kernel).T)
    for name in ("indptr", "indices", "data"):  # the same CSR a conversion gives, bit for bit
        np.testing.assert_array_equal(getattr(drawn, name), getattr(fresh, name))
    w_in, w, b = layer.get_weights()
    layer.set_weights([w_in, w * 0.5, b])
    np.testing.assert_array_equal(res.numpy_weights(layer.cell)[1].toarray(), (w * 0.5).T)


def test_numpy_weights_are_sparse():
    layer = _built(200, seed=0)
    _, w_t, _ = res.numpy_weights(layer.cell)
    assert scipy.sparse.issparse(w_t) and w_t.nnz < 200 * 200 * 0.1


def test_save_and_load_in_a_model(tmp_path):
    model = keras.Sequential(
        [keras.Input((None, 2)), Reservoir(25, leak_rate=0.5, seed=4), keras.layers.Dense(1)]
    )
    u = np.random.default_rng(0).normal(size=(2, 10, 2)).astype("float32")
    path = tmp_path / "reservoir.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    np.testing.assert_array_equal(model.predict(u, verbose=0), loaded.predict(u, verbose=0))
    layer = loaded.layers[0]
    assert isinstance(layer, Reservoir) and isinstance(layer.cell, ReservoirCell)
    config = model.layers[0].get_config()
    for key in ("units", "spectral_radius", "leak_rate", "input_scaling", "bias_scaling"):
        assert key in config
    assert Reservoir.from_config(config).get_config() == config


def test_return_state_and_last_step():
    layer = Reservoir(8, return_sequences=False, return_state=True, seed=0)
    out, state = layer(np.ones((3, 5, 1), "float32"))
    assert out.shape == (3, 8) and state.shape == (3, 8)


@pytest.mark.parametrize(
    "kwargs, error, message",
    [
        ({"units": 0}, ValueError, "units must be a positive int, got 0"),
        ({"units": 2.5}, TypeError, "units must be a positive int"),
        ({"spectral_radius": 0}, ValueError, "spectral_radius must be a finite float > 0, got 0"),
        ({"spectral_radius": -1.0}, ValueError, "spectral_radius"),
        ({"spectral_radius": "big"}, TypeError, "spectral_radius"),
        ({"leak_rate": 0}, ValueError, "leak_rate must be in (0, 1], got 0"),
        ({"leak_rate": 1.5}, ValueError, "leak_rate must be in (0, 1], got 1.5"),
        ({"connectivity": 0.0}, ValueError, "connectivity must be in (0, 1], got 0.0"),
        ({"connectivity": 1.2}, ValueError, "connectivity must be in (0, 1], got 1.2"),
        ({"input_connectivity": 0}, ValueError, "input_connectivity must be in (0, 1], got 0"),
        ({"input_connectivity": 2}, ValueError, "input_connectivity must be in (0, 1], got 2"),
        ({"input_scaling": -1.0}, ValueError, "input_scaling must be a finite float >= 0"),
        ({"input_scaling": []}, ValueError, "input_scaling as a list"),
        ({"bias_scaling": -0.1}, ValueError, "bias_scaling must be a finite float >= 0"),
        ({"activation": "tanhh"}, ValueError, "Did you mean 'tanh'"),
        (
            {"input_distribution": "normal"},
            ValueError,
            "input_distribution must be one of 'uniform', 'bernoulli', got 'normal'",
        ),
        ({"seed": -1}, ValueError, "seed must be a non-negative int"),
    ],
)
def test_bad_arguments(kwargs, error, message):
    kwargs = {"units": 10, **kwargs}
    with pytest.raises(error, match=message.replace("(", r"\(").replace(")", r"\)")):
        Reservoir(**kwargs)


def test_keras_rnn_options_round_trip_and_bidirectional_works():
    for key in ("go_backwards", "zero_output_for_mask", "unroll"):
        layer = Reservoir(10, seed=0, **{key: True})
        assert getattr(Reservoir.from_config(layer.get_config()), key)
    both = keras.layers.Bidirectional(Reservoir(8, seed=0))  # its backward copy: go_backwards
    assert both(np.zeros((1, 5, 2), "float32")).shape == (1, 5, 16)


def test_input_scaling_list_must_match_the_features():
    with pytest.raises(ValueError, match="input_scaling has 2 entries but the input has 3"):
        Reservoir(10, input_scaling=[1.0, 2.0], seed=0)(np.zeros((1, 4, 3), "float32"))


def test_exported():
    assert zoo.layers.Reservoir is Reservoir


def test_docstring_examples():
    module = importlib.import_module("zoo.layers.reservoir")
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0 and result.attempted > 5


def test_realised_spectral_radius_of_an_unbuilt_layer_says_to_build_it():
    with pytest.raises(ValueError, match="no recurrent matrix yet: build it first"):
        Reservoir(10, seed=0).realised_spectral_radius()


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"cell": keras.layers.GRUCell(3)}, "Reservoir got cell=<GRUCell"),
        ({"trainable": True}, "Reservoir got trainable=True"),
        ({"trainable": 1}, "Reservoir got trainable=1"),
    ],
)
def test_a_cell_or_trainable_weights_are_refused(kwargs, message):
    # Its cell and its fixed weights are what a reservoir is: taken silently, they were dropped.
    with pytest.raises(ValueError, match=re.escape(message)) as info:
        Reservoir(5, seed=0, **kwargs)
    assert "fixed" in str(info.value) and "keras.layers.GRU" in str(info.value)


def test_trainable_false_and_saved_configs_still_load():
    assert not Reservoir(5, seed=0, trainable=False).trainable
    layer = _built(6, seed=0)
    layer.trainable = True  # e.g. `model.trainable = True`: its weights stay fixed
    assert layer.trainable_weights == []
    config = layer.get_config()
    assert config["trainable"] is True and "cell" not in config
    loaded = Reservoir.from_config(config)
    loaded.build((None, None, 2))
    assert loaded.trainable_weights == [] and not loaded.trainable
    for a, b in zip(_weights(layer), _weights(loaded), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("function", [res.harvest, res.numpy_weights])
def test_harvest_of_an_unbuilt_cell_says_to_build_it(function):
    args = (np.zeros((1, 3, 2)),) if function is res.harvest else ()
    with pytest.raises(ValueError, match="has no weights yet: build it first"):
        function(Reservoir(5, seed=0).cell, *args)
    with pytest.raises(TypeError, match=r"a built ReservoirCell \(a Reservoir's \.cell\)"):
        function(_built(5, seed=0), *args)


def _sums(layer):
    return [float(np.sum(np.abs(w))) for w in _weights(layer)]


def test_a_bidirectional_reservoir_has_two_draws_of_its_seed(tmp_path):
    # The draw of a seed, as it was before the backward half had its own (saved models and the
    # README's figures depend on it), forwards or on its own backwards.
    # (to 1e-12: the eigen-solve and the sums round differently in other NumPy/SciPy builds,
    # 4e-16 apart with NumPy 2.4.6 and SciPy 1.17.1; another draw differs from the first digit)
    want = pytest.approx([13.810110324189452, 33.04391074331248, 6.799648395304695], rel=1e-12)
    assert _sums(_built(12, seed=3, dtype="float64")) == want
    assert _sums(_built(12, seed=3, dtype="float64", go_backwards=True)) == want
    # Keras's Bidirectional copies the layer's config, seed included: the backward half is
    # drawn from its own stream of that seed, another reservoir, the same for the same seed.
    u = np.random.default_rng(0).normal(size=(2, 6, 2))
    inputs = keras.Input((None, 2))
    both = keras.layers.Bidirectional(Reservoir(12, seed=3, dtype="float64"))
    model = keras.Model(inputs, both(inputs))
    assert _sums(both.forward_layer) == want
    backward = _weights(both.backward_layer)
    for a, b in zip(_weights(both.forward_layer), backward, strict=True):
        assert not np.array_equal(a, b)
    again = keras.layers.Bidirectional(Reservoir(12, seed=3, dtype="float64"))
    again.build((None, None, 2))
    for a, b in zip(backward, _weights(again.backward_layer), strict=True):
        np.testing.assert_array_equal(a, b)
    assert both.backward_layer.get_config()["seed"] == 3
    # A saved model reloads bit for bit; a clone (no weights copied) draws the same reservoirs.
    path = tmp_path / "bidirectional.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    clone = keras.models.clone_model(model)
    for other in (loaded, clone):
        for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
            np.testing.assert_array_equal(a, b)
        np.testing.assert_array_equal(model.predict(u, verbose=0), other.predict(u, verbose=0))


def test_input_scaling_list_message_counts_in_the_singular():
    with pytest.raises(ValueError, match="has 2 entries but the input has 1 feature: give"):
        Reservoir(10, input_scaling=[1.0, 2.0], seed=0)(np.zeros((1, 4, 1), "float32"))
    with pytest.raises(ValueError, match="has 1 entry but the input has 2 features: give"):
        Reservoir(10, input_scaling=[1.0], seed=0)(np.zeros((1, 4, 2), "float32"))
