import doctest

import numpy as np
import pytest
import tensorflow_datasets as tfds

import zoo.datasets  # noqa: F401  (registers the builders)
from zoo.datasets.adding_problem.adding_problem_dataset_builder import Builder

T = 50
SPLITS = {
    "train": Builder.NUM_TRAIN,
    "validation": Builder.NUM_VALIDATION,
    "test": Builder.NUM_TEST,
}


def _build(data_dir):
    builder = tfds.builder(f"adding_problem/t{T}", data_dir=str(data_dir))
    builder.download_and_prepare()
    return builder


def _arrays(data_dir, split):
    ds = tfds.load(f"adding_problem/t{T}", data_dir=str(data_dir), split=split, batch_size=-1)
    ds = tfds.as_numpy(ds)
    return ds["x"], ds["y"]


@pytest.fixture(scope="session")
def adding_t50(tfds_data_dir):
    _build(tfds_data_dir)
    return {split: _arrays(tfds_data_dir, split) for split in SPLITS}


def test_registered_with_configs():
    assert "adding_problem" in tfds.list_builders()
    assert [c.name for c in Builder.BUILDER_CONFIGS] == ["t200", "t50", "t400"]
    assert tfds.builder_cls("adding_problem").DEFAULT_CONFIG_NAME == "t200"


def test_info(tfds_data_dir, adding_t50):
    info = tfds.builder(f"adding_problem/t{T}", data_dir=str(tfds_data_dir)).info
    assert str(info.version) == "1.0.0"
    assert info.supervised_keys == ("x", "y")
    assert {name: split.num_examples for name, split in info.splits.items()} == SPLITS
    assert "Long Short-Term Memory" in info.citation
    assert "1/6" in info.description


def test_split_sizes_and_shapes(adding_t50):
    for split, n in SPLITS.items():
        x, y = adding_t50[split]
        assert x.shape == (n, T, 2) and x.dtype == np.float32
        assert y.shape == (n,) and y.dtype == np.float32


def test_values_and_markers(adding_t50):
    for x, y in adding_t50.values():
        values, markers = x[..., 0], x[..., 1]
        assert values.min() >= 0.0 and values.max() < 1.0
        assert set(np.unique(markers)) <= {0.0, 1.0}
        np.testing.assert_array_equal(markers[:, : T // 2].sum(axis=1), 1.0)
        np.testing.assert_array_equal(markers[:, T // 2 :].sum(axis=1), 1.0)
        np.testing.assert_allclose(y, (values * markers).sum(axis=1), rtol=0, atol=1e-6)


def test_deterministic(adding_t50, tmp_path):
    _build(tmp_path)
    for split in SPLITS:
        x, y = _arrays(tmp_path, split)
        np.testing.assert_array_equal(x, adding_t50[split][0])
        np.testing.assert_array_equal(y, adding_t50[split][1])


def test_splits_differ(adding_t50):
    x_train, _ = adding_t50["train"]
    x_test, _ = adding_t50["test"]
    assert not np.array_equal(x_train[: len(x_test)], x_test)


def test_trivial_baseline(adding_t50):
    _, y = adding_t50["test"]
    mse = float(np.mean((y - 1.0) ** 2))
    assert abs(mse - 1 / 6) < 0.02


@pytest.mark.parametrize(
    "n, length, error, match",
    [
        (3, 2.5, TypeError, r"length must be a positive int, got 2.5"),
        (3, "50", TypeError, r"length must be a positive int, got '50'"),
        (3, 1, ValueError, r"length must be an int >= 2, got 1"),
        (3.0, 50, TypeError, r"n must be an int >= 0, got 3.0"),
        (-1, 50, ValueError, r"n must be an int >= 0, got -1"),
    ],
)
def test_generate_names_sizes_that_are_not_ints(n, length, error, match):
    from zoo.datasets.adding_problem.adding_problem_dataset_builder import generate

    with pytest.raises(error, match=match):
        generate(n, length, np.random.default_rng(0))


def test_docstring_examples():
    from zoo.datasets.adding_problem import adding_problem_dataset_builder

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(adding_problem_dataset_builder, optionflags=flags, verbose=False)
    assert result.failed == 0 and result.attempted > 0
