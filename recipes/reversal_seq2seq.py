"""Sequence reversal ("abcde" -> "edcba") with an LSTM encoder-decoder and Bahdanau attention.

Random strings of 1-10 letters from a 10-letter alphabet; the score is the exact-match accuracy
of greedy decoding on the test split. The attention heat maps show the anti-diagonal: each output
letter looks at its mirror position. Longer strings: `--set dataset=sequence_reversal/l30`
`--set max_target_length=30`.
"""

import zoo.plots
from zoo.models import Seq2Seq, make_seq2seq_examples
from zoo.recipe import fixed_by_preprocess
from zoo.training import Recipe, main

LETTERS = "abcdefghij"


def callbacks(model, validation_batches):
    """Checks the targets fit the model's `max_target_length` before training; adds nothing.

    A longer target (`--set dataset=sequence_reversal/l30` without `--set max_target_length=30`)
    would train but never be decoded whole, capping exact match: the run stops before training.
    """
    model.check_target_lengths(validation_batches)
    return []


RECIPE = Recipe(
    name="reversal_seq2seq",
    model="seq2seq",
    dataset="sequence_reversal/l10",
    task="seq2seq",
    model_kwargs=dict(
        source_vocabulary=LETTERS,
        target_vocabulary=LETTERS,
        cell="lstm",
        units=64,
        attention="bahdanau",
        max_target_length=10,
        learning_rate=3e-3,
    ),
    description="sequence reversal, attention encoder-decoder: exact match by greedy decoding",
    preprocess=make_seq2seq_examples(LETTERS, LETTERS),
    check_model=fixed_by_preprocess(
        source_vocabulary=LETTERS, target_vocabulary=LETTERS, split="char"
    ),
    callbacks=callbacks,
    epochs=5,
    batch_size=64,
    monitor="val_loss",
    evaluate=Seq2Seq.exact_match,  # greedy translations of the test split
    plot=zoo.plots.attention_heatmaps,
    plot_name="attention.png",
)

if __name__ == "__main__":
    main(RECIPE)
