import doctest

import numpy as np
import pytest
import tensorflow_datasets as tfds

import zoo.datasets  # noqa: F401  (registers the builders)
from zoo.datasets.mackey_glass.mackey_glass_dataset_builder import (
    SPLITS,
    Builder,
    mackey_glass,
)


@pytest.fixture(scope="module")
def tau17(tfds_data_dir):
    builder = tfds.builder("mackey_glass/tau17", data_dir=str(tfds_data_dir))
    builder.download_and_prepare()
    out = {}
    for split in SPLITS:
        ds = tfds.load("mackey_glass/tau17", data_dir=str(tfds_data_dir), split=split)
        (example,) = list(tfds.as_numpy(ds))
        out[split] = example["x"], example["y"]
    return builder, out


def test_registered_with_configs():
    assert "mackey_glass" in tfds.list_builders()
    assert [c.name for c in Builder.BUILDER_CONFIGS] == ["tau17", "tau30"]
    assert [c.tau for c in Builder.BUILDER_CONFIGS] == [17, 30]
    assert Builder.DEFAULT_CONFIG_NAME == "tau17"


def test_splits_are_consecutive_parts_of_one_series(tau17):
    builder, data = tau17
    assert builder.info.supervised_keys == ("x", "y")
    assert {k: v.num_examples for k, v in builder.info.splits.items()} == {s: 1 for s in SPLITS}
    series = mackey_glass(sum(SPLITS.values()) + 1, tau=17)
    start = 0
    for split, n in SPLITS.items():
        x, y = data[split]
        assert x.shape == y.shape == (n, 1) and x.dtype == np.float64
        np.testing.assert_array_equal(x[1:], y[:-1])  # y is x one step ahead
        np.testing.assert_array_equal(x[:, 0], series[start : start + n])
        start += n
    np.testing.assert_array_equal(data["train"][1][-1], data["validation"][0][0])


def test_jaeger_protocol():
    s = mackey_glass(3000, tau=17, seed=0)
    assert -1 < s.min() and s.max() < 1
    y = np.arctanh(s) + 1  # undo the squashing: the Mackey-Glass attractor lives in (0.2, 1.4)
    assert 0.2 < y.min() and y.max() < 1.45
    # One sample per time unit: a tau=17 series has its main period near 50 samples.
    spectrum = np.abs(np.fft.rfft(s - s.mean()))
    period = len(s) / np.argmax(spectrum)
    assert 40 < period < 60
    # Every 10th Euler point is kept: without subsampling the series is 10 times denser.
    dense = mackey_glass(500, tau=17, seed=0, subsample=1)
    dense_period = len(dense) / np.argmax(np.abs(np.fft.rfft(dense - dense.mean())))
    assert 400 < dense_period < 600


def test_seeded_and_tau_matters():
    np.testing.assert_array_equal(mackey_glass(300, seed=1), mackey_glass(300, seed=1))
    assert not np.allclose(mackey_glass(300, seed=1), mackey_glass(300, seed=2))
    assert not np.allclose(mackey_glass(300, tau=17), mackey_glass(300, tau=30))


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"length": 0}, "length must be a positive int, got 0"),
        ({"length": 5, "tau": 0}, "tau"),
        ({"length": 5, "tau": 0.04}, r"tau must be a positive multiple of dt=0.1 .*got tau=0.04"),
        ({"length": 5, "tau": 17.05}, r"tau must be a positive multiple of dt=0.1"),
        ({"length": 5, "dt": 0}, "dt must be a finite float > 0, got 0"),
        ({"length": 5, "dt": -0.1}, "dt must be a finite float > 0, got -0.1"),
        ({"length": 5, "subsample": 0}, "subsample must be a positive int, got 0"),
    ],
)
def test_bad_arguments(kwargs, message):
    with pytest.raises(ValueError, match=message):
        mackey_glass(**kwargs)


def test_non_integer_subsample_is_refused_and_tau_a_multiple_of_dt_is_kept():
    with pytest.raises(TypeError, match=r"subsample must be a positive int, got 2.5"):
        mackey_glass(5, subsample=2.5)
    # 17 = 340 steps of 0.05: the same equation on a finer grid, still a chaotic series.
    fine = mackey_glass(300, tau=17, dt=0.05, subsample=20)
    assert fine.shape == (300,) and fine.std() > 0.1


def test_docstring_examples():
    from zoo.datasets.mackey_glass import mackey_glass_dataset_builder

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(mackey_glass_dataset_builder, optionflags=flags, verbose=False)
    assert result.failed == 0 and result.attempted > 0
