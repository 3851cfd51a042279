"""Named-entity recognition on CoNLL-2003 with a bidirectional LSTM tagger, scored by entity F1.

`conll2003` (downloaded by TFDS): English news sentences, one BIO tag per token (persons,
organisations, locations, miscellaneous). Tokens are hashed into 2^15 buckets (no vocabulary to
build; case kept, as capitals matter for names), embedded, read by a two-layer bidirectional LSTM
and tagged per token (the `tagging` head, padding masked). Reported beyond token accuracy:
entity-level precision, recall and F1 (`zoo.metrics.tagging_entity_scores`, CoNLL's exact-match
rule: type and both boundaries).
"""

import tensorflow as tf

from zoo.metrics import tagging_entity_scores
from zoo.training import Recipe, main

TAGS = ["O", "B-PER", "I-PER", "B-ORG", "I-ORG", "B-LOC", "I-LOC", "B-MISC", "I-MISC"]
BUCKETS = 2**15


def sentences(split):
    """`(tokens, ner tags)` pairs from the TFDS feature dicts."""
    return split.map(lambda e: (e["tokens"], e["ner"]))


def hash_tokens(tokens, tags):
    """Token strings to ids 1..BUCKETS (0 stays padding), tags to int32."""
    ids = tf.strings.to_hash_bucket_fast(tokens, BUCKETS) + 1
    return tf.cast(ids, tf.int32), tf.cast(tags, tf.int32)


def entity_f1(model, test_batches):
    """Entity-level precision, recall and F1 on the test split."""
    return tagging_entity_scores(model, test_batches, TAGS)


RECIPE = Recipe(
    name="conll2003_tagger",
    model="bidirectional",
    dataset="conll2003",
    task="tagging",
    model_kwargs=dict(
        vocab_size=BUCKETS + 1,
        embedding_dim=100,
        num_classes=len(TAGS),
        units=128,
        num_layers=2,
        dropout=0.2,
    ),
    description="CoNLL-2003 NER, 2-layer BiLSTM tagger on hashed tokens: entity-level F1",
    examples=sentences,
    preprocess=hash_tokens,
    epochs=10,
    batch_size=32,
    monitor="val_loss",
    evaluate=entity_f1,
)

if __name__ == "__main__":
    main(RECIPE)
