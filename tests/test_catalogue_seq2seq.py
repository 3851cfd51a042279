import json

import pytest
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
    import tensorflow as tf

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
