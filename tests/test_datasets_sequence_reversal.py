import doctest

import numpy as np
import pytest
import tensorflow_datasets as tfds
from helpers import assert_recipe_stops_before_training

import zoo.datasets  # noqa: F401  (registers the builders)
from recipes.reversal_seq2seq import RECIPE
from zoo.datasets.sequence_reversal.sequence_reversal_dataset_builder import Builder, draw_strings
from zoo.training import run


class TinySequenceReversal(Builder):
    """The same builder with a few examples per split (its TFDS name: tiny_sequence_reversal)."""

    NUM_TRAIN = 64
    NUM_VALIDATION = 16
    NUM_TEST = 16


@pytest.fixture(scope="module")
def prepared(tfds_data_dir):
    tfds.builder("tiny_sequence_reversal/l10", data_dir=str(tfds_data_dir)).download_and_prepare()
    return tfds_data_dir


def test_targets_are_reversed_sources(prepared):
    ds = tfds.load("tiny_sequence_reversal/l10", split="train", data_dir=str(prepared))
    pairs = [(e["source"].decode(), e["target"].decode()) for e in tfds.as_numpy(ds)]
    assert len(pairs) == 64
    assert all(t == s[::-1] and 1 <= len(s) <= 10 and set(s) <= set("abcdefghij") for s, t in pairs)


def test_no_source_is_in_two_splits(prepared):
    sources = {
        split: [
            e["source"].decode()
            for e in tfds.as_numpy(
                tfds.load("tiny_sequence_reversal/l10", split=split, data_dir=str(prepared))
            )
        ]
        for split in ("train", "validation", "test")
    }
    every = [s for split in sources.values() for s in split]
    assert len(every) == len(set(every)) == 96


def test_seeded_and_checked():
    a = draw_strings(20, 30, 5, np.random.default_rng(2))
    assert a == draw_strings(20, 30, 5, np.random.default_rng(2))
    assert max(map(len, a)) > 10 and set("".join(a)) <= set("abcde")
    with pytest.raises(ValueError, match="max_length must be a positive int, got 0"):
        draw_strings(1, 0, 5, np.random.default_rng(0))
    with pytest.raises(ValueError, match="alphabet_size must be in 1..26, got 27"):
        draw_strings(1, 3, 27, np.random.default_rng(0))
    assert sorted(draw_strings(3, 1, 3, np.random.default_rng(0))) == ["a", "b", "c"]
    with pytest.raises(ValueError, match="asked for 13 distinct strings, but only 12 exist"):
        draw_strings(13, 2, 3, np.random.default_rng(0))


@pytest.mark.slow
def test_recipe_end_to_end_on_a_tiny_setting(prepared, tmp_path):
    metrics = run(
        RECIPE,
        epochs=1,
        batch_size=32,
        output=tmp_path,
        data_dir=str(prepared),
        overrides={"dataset": "tiny_sequence_reversal/l10", "units": 4},
        verbose=0,
    )
    assert metrics["test_examples"] == 16 and 0.0 <= metrics["test_exact_match"] <= 1.0
    assert (tmp_path / "attention.png").exists()


def test_recipe_refuses_targets_longer_than_max_target_length_before_training(
    tfds_data_dir, tmp_path
):
    # l30's strings have up to 30 letters; the recipe's model decodes at most 10 unless told more.
    assert_recipe_stops_before_training(
        RECIPE,
        "tiny_sequence_reversal/l30",
        tfds_data_dir,
        tmp_path / "run",
        r"more than max_target_length=10",
    )


@pytest.mark.parametrize(
    "n, max_length, alphabet_size, error, match",
    [
        (3, 2.5, 3, TypeError, r"max_length must be a positive int, got 2.5"),
        (3, "3", 3, TypeError, r"max_length must be a positive int, got '3'"),
        (3, 3, 2.5, TypeError, r"alphabet_size must be a positive int, got 2.5"),
        (3, 3, 0, ValueError, r"alphabet_size must be a positive int, got 0"),
        (2.5, 3, 3, TypeError, r"n must be an int >= 0, got 2.5"),
    ],
)
def test_draw_strings_names_sizes_that_are_not_ints(n, max_length, alphabet_size, error, match):
    with pytest.raises(error, match=match):
        draw_strings(n, max_length, alphabet_size, np.random.default_rng(0))


def test_docstring_examples():
    from zoo.datasets.sequence_reversal import sequence_reversal_dataset_builder

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(sequence_reversal_dataset_builder, optionflags=flags, verbose=False)
    assert result.failed == 0 and result.attempted > 0


def test_every_split_follows_the_draws_distribution():
    # Cut in draw order, the few short sources (used up early in the draw) went to train.
    lengths = {}
    for name, examples in (
        Builder(config="l10", data_dir="/nonexistent")._split_generators(None).items()
    ):
        lengths[name] = np.mean([len(e["source"]) <= 3 for _, e in examples])
    assert abs(lengths["test"] - lengths["train"]) < 0.02 and lengths["train"] > 0.01, lengths
