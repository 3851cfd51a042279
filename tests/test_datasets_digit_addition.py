import doctest
import json

import pytest
import tensorflow_datasets as tfds
from helpers import assert_recipe_stops_before_training

import zoo.datasets  # noqa: F401  (registers the builders)
from recipes.addition_seq2seq import RECIPE
from zoo.datasets.digit_addition.digit_addition_dataset_builder import Builder, draw_pairs
from zoo.training import run


class TinyDigitAddition(Builder):
    """The same builder with a few examples per split (its TFDS name: tiny_digit_addition)."""

    NUM_TRAIN = 300
    NUM_VALIDATION = 40
    NUM_TEST = 40


def _load(data_dir, split, config="d3"):
    ds = tfds.load(f"tiny_digit_addition/{config}", split=split, data_dir=str(data_dir))
    pairs = tfds.as_numpy(ds.map(lambda e: (e["question"], e["answer"])))
    return [(q.decode(), a.decode()) for q, a in pairs]


@pytest.fixture(scope="module")
def splits(tfds_data_dir):
    tfds.builder("tiny_digit_addition/d3", data_dir=str(tfds_data_dir)).download_and_prepare()
    return {s: _load(tfds_data_dir, s) for s in ("train", "validation", "test")}


def _pair(question):
    a, b = map(int, question.split("+"))
    return frozenset((a, b)) if a != b else frozenset((a,))


def test_answers_are_right_and_operands_have_1_to_3_digits(splits):
    assert {k: len(v) for k, v in splits.items()} == {"train": 300, "validation": 40, "test": 40}
    lengths = set()
    for examples in splits.values():
        for q, a in examples:
            x, y = q.split("+")
            assert int(x) + int(y) == int(a) and a == str(int(a))
            lengths |= {len(x), len(y)}
    assert lengths == {1, 2, 3}


def test_test_questions_are_never_in_train_in_either_order(splits):
    train = {_pair(q) for q, _ in splits["train"]}
    assert len(train) == len(splits["train"])  # a+b and b+a never both in train
    for split in ("validation", "test"):
        assert not train & {_pair(q) for q, _ in splits[split]}
    assert any(int(q.split("+")[0]) < int(q.split("+")[1]) for q, _ in splits["train"])
    assert any(int(q.split("+")[0]) > int(q.split("+")[1]) for q, _ in splits["train"])


def test_seeded_and_configurable():
    import numpy as np

    a = draw_pairs(50, 5, np.random.default_rng(1))
    assert a == draw_pairs(50, 5, np.random.default_rng(1))
    assert max(max(p) for p in a) >= 1000 and all(max(p) < 100_000 for p in a)
    assert [c.name for c in Builder.BUILDER_CONFIGS] == ["d3", "d5"]
    with pytest.raises(ValueError, match="digits must be a positive int, got 0"):
        draw_pairs(1, 0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="n=56 is more than the 55 pairs of 1 digits"):
        draw_pairs(56, 1, np.random.default_rng(0))


def test_recipe_end_to_end_on_a_tiny_setting(splits, tfds_data_dir, tmp_path):
    metrics = run(
        RECIPE,
        epochs=1,
        batch_size=32,
        output=tmp_path / "run",
        data_dir=str(tfds_data_dir),
        overrides={"dataset": "tiny_digit_addition/d3", "units": 8},
        verbose=0,
    )
    assert metrics["test_examples"] == 40
    assert 0.0 <= metrics["test_exact_match"] <= 1.0
    saved = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert saved["test_exact_match"] == metrics["test_exact_match"]
    assert (tmp_path / "run" / "attention.png").stat().st_size > 0
    assert (tmp_path / "run" / "model.keras").exists()


def test_recipe_refuses_answers_longer_than_max_target_length_before_training(
    tfds_data_dir, tmp_path
):
    # d5's sums have up to 6 digits; the recipe's model decodes at most 4 unless told more.
    assert_recipe_stops_before_training(
        RECIPE,
        "tiny_digit_addition/d5",
        tfds_data_dir,
        tmp_path / "run",
        r"more than max_target_length=4.*max_target_length=[56]",
    )


@pytest.mark.parametrize(
    "n, digits, error, match",
    [
        (3, 2.5, TypeError, r"digits must be a positive int, got 2.5"),
        (3, "2", TypeError, r"digits must be a positive int, got '2'"),
        (2.5, 2, TypeError, r"n must be an int >= 0, got 2.5"),
        (-1, 2, ValueError, r"n must be an int >= 0, got -1"),
    ],
)
def test_draw_pairs_names_sizes_that_are_not_ints(n, digits, error, match):
    import numpy as np

    with pytest.raises(error, match=match):
        draw_pairs(n, digits, np.random.default_rng(0))


def test_docstring_examples():
    from zoo.datasets.digit_addition import digit_addition_dataset_builder

    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(digit_addition_dataset_builder, optionflags=flags, verbose=False)
    assert result.failed == 0 and result.attempted > 0


def test_every_split_follows_the_draws_distribution():
    # Cut in draw order, the 55 pairs of one-digit operands (used up early in the draw) all
    # went to train: d3's test had 0.6% one-digit first operands to train's 9.8%.
    import numpy as np

    builder = Builder(config="d3", data_dir="/nonexistent")
    splits = builder._split_generators(None)
    short = {}
    for name, examples in splits.items():
        questions = [e["question"] for _, e in examples]
        short[name] = np.mean([len(q.split("+")[0]) == 1 for q in questions])
    assert abs(short["test"] - short["train"]) < 0.02 and short["train"] > 0.05, short
