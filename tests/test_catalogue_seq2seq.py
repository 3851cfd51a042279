import json

import pytest
import tensorflow as tf
import tensorflow_datasets as tfds

from zoo.training import run


@pytest.mark.slow
def test_ted_hrlr_translate_recipe_on_mock_data(tmp_path):
    pytest.importorskip("sacrebleu")
    from recipes.ted_hrlr_translate_seq2seq import RECIPE

    with tfds.testing.mock_data(num_examples=6):
        metrics = run(
            RECIPE,
            epochs=1,
            batch_size=4,
            output=tmp_path,
            overrides={"units": 4, "embedding_dim": 4, "bidirectional_encoder": False},
            verbose=0,
        )
    assert metrics["test_examples"] == 6
    assert 0.0 <= metrics["test_bleu"] <= 100.0
    assert json.loads((tmp_path / "metrics.json").read_text())["test_bleu"] == metrics["test_bleu"]
    assert (tmp_path / "attention.png").exists()


@pytest.mark.slow
def test_tiny_shakespeare_char_lm_recipe_on_mock_data(tmp_path):
    from recipes.tiny_shakespeare_char_lm import RECIPE

    text = "ROMEO: But soft, what light through yonder window breaks?\n" * 8

    def as_dataset(builder, split, **kwargs):
        return tf.data.Dataset.from_tensors({"text": tf.constant(text)})

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        metrics = run(
            RECIPE,
            epochs=1,
            batch_size=2,
            output=tmp_path,
            overrides={"units": 4, "num_layers": 1},
            verbose=0,
        )
    assert metrics["test_bits_per_character"] > 0
    assert metrics["test_perplexity"] == pytest.approx(2 ** metrics["test_bits_per_character"])
    assert metrics["test_sample"].startswith("ROMEO:") and len(metrics["test_sample"]) == 306


@pytest.mark.slow
def test_conll2003_tagger_recipe_on_mock_data(tmp_path):
    from recipes.conll2003_tagger import RECIPE

    # tfds's random mock data draws tokens and tags of different lengths: give aligned ones.
    tokens = [["EU", "rejects", "German", "call"], ["Peter", "Blackburn"], ["BRUSSELS", "1996"]]
    tags = [[3, 0, 7, 0], [1, 2], [5, 0]]

    def as_dataset(builder, split, **kwargs):
        return tf.data.Dataset.from_generator(
            lambda: ({"tokens": t, "ner": n} for t, n in zip(tokens * 3, tags * 3, strict=True)),
            output_signature={
                "tokens": tf.TensorSpec((None,), tf.string),
                "ner": tf.TensorSpec((None,), tf.int64),
            },
        )

    with tfds.testing.mock_data(as_dataset_fn=as_dataset):
        metrics = run(
            RECIPE,
            epochs=1,
            batch_size=4,
            output=tmp_path,
            overrides={"units": 4, "num_layers": 1, "embedding_dim": 4},
            verbose=0,
        )
    assert metrics["test_entity_true_entities"] == 3 * 4  # EU, German, Peter Blackburn, BRUSSELS
    assert 0.0 <= metrics["test_entity_f1"] <= 1.0
