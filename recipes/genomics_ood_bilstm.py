"""Bacteria identification from 250-bp DNA fragments (`genomics_ood`) with a 2-layer BiLSTM.

`genomics_ood` (Ren et al. 2019, downloaded by TFDS): fragments of 250 nucleotides sampled from
bacterial genomes. The recipe trains on the 10 in-distribution genera (discovered before 2011;
100,000 fragments each for training, 10,000 each for validation and test) and reports their
test accuracy; TFDS builds the three splits from files named by period (training before 2011,
validation 2011-2016, test after 2016). Each nucleotide A, C, G, T is a token (ids 1-4; any
other letter, e.g. N, is id 5), embedded and read both ways by two bidirectional LSTM layers;
the final states classify.

The dataset exists to test out-of-distribution detection: its `validation_ood` and `test_ood`
splits hold 60 genera each that the classifier never saw. This recipe does not score them; the
saved model's maximum softmax probability on those splits is the usual baseline score.
"""

import numpy as np
import tensorflow as tf

from zoo.training import Recipe, main

GENERA = [
    "Bacillus",
    "Burkholderia",
    "Clostridium",
    "Escherichia",
    "Mycobacterium",
    "Pseudomonas",
    "Salmonella",
    "Staphylococcus",
    "Streptococcus",
    "Yersinia",
]
NUCLEOTIDES = "ACGT"
OTHER = len(NUCLEOTIDES) + 1  # any other letter; 0 stays padding
_IDS = np.full(256, OTHER, dtype=np.int32)
for _i, _c in enumerate(NUCLEOTIDES):
    _IDS[ord(_c)] = _IDS[ord(_c.lower())] = _i + 1


def tokens(seq):
    """Token ids `(length,)` int32 of a DNA string: A, C, G, T are 1-4, any other byte 5.

    Example:
        >>> tokens(tf.constant("ACGTNa")).numpy().tolist()
        [1, 2, 3, 4, 5, 1]
    """
    return tf.gather(tf.constant(_IDS), tf.cast(tf.io.decode_raw(seq, tf.uint8), tf.int32))


def preprocess(seq, label):
    """The recipe's `preprocess`: `(sequence, genus)` to `(tokens(sequence), genus)`."""
    return tokens(seq), label


RECIPE = Recipe(
    name="genomics_ood_bilstm",
    model="bidirectional",
    dataset="genomics_ood",
    task="classification",
    model_kwargs=dict(
        cell="lstm",
        vocab_size=OTHER + 1,
        embedding_dim=16,
        num_classes=len(GENERA),
        units=128,
        num_layers=2,
        dropout=0.1,
    ),
    description="genomics_ood, 10 bacteria genera from 250-bp DNA: 2-layer BiLSTM: accuracy",
    preprocess=preprocess,
    epochs=5,
    batch_size=256,
    monitor="val_accuracy",
)

if __name__ == "__main__":
    main(RECIPE)
