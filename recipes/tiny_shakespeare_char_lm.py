"""A character language model of Shakespeare (Karpathy's tiny_shakespeare), generating text.

`tiny_shakespeare` (downloaded by TFDS) holds one long text per split (about 1M characters of
training text). Each split is cut into windows of 100 characters; a two-layer LSTM learns to
predict every next character. Reported: bits per character and perplexity on the test split, and
300 characters sampled from the prompt "ROMEO:" (temperature 0.8, seeded) in `metrics.json`.
"""

import tensorflow as tf

from zoo.models import make_char_lm_examples
from zoo.recipe import fixed_by_preprocess
from zoo.training import Recipe, main

VOCABULARY = "\n !$&',-.3:;?ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
WINDOW = 100


def windows(split):
    """Cuts each text of a split into strings of `WINDOW + 1` characters (input and target)."""

    def cut(example):
        chars = tf.strings.unicode_split(example["text"], "UTF-8")
        pieces = tf.data.Dataset.from_tensor_slices(chars).batch(WINDOW + 1, drop_remainder=True)
        return pieces.map(tf.strings.reduce_join)

    return split.flat_map(cut)


def sample(model, test_batches):
    """A seeded sample of generated text."""
    return {"sample": model.generate("ROMEO:", 300, temperature=0.8, seed=0)}


RECIPE = Recipe(
    name="tiny_shakespeare_char_lm",
    model="char_lm",
    dataset="tiny_shakespeare",
    task="language_model",
    model_kwargs=dict(vocabulary=VOCABULARY, cell="lstm", units=256, num_layers=2),
    description="tiny Shakespeare, 2-layer LSTM character model: bits per character, sampled text",
    examples=windows,
    preprocess=make_char_lm_examples(VOCABULARY),
    check_model=fixed_by_preprocess(vocabulary=VOCABULARY, split="char"),
    epochs=20,
    batch_size=64,
    monitor="val_loss",
    evaluate=sample,
)

if __name__ == "__main__":
    main(RECIPE)
