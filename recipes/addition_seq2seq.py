"""Digit addition ("535+61" -> "596") with an LSTM encoder-decoder and Luong attention.

50,000 training questions of 1-3 digit operands, 5,000 unseen test questions (`a+b` and `b+a`
count as one question, so no test question is seen in training in either order). The score is
the exact-match accuracy of greedy decoding through `model.translate_ids` on the test split, not
the token accuracy under teacher forcing. The recipe also plots attention heat maps: the decoder
learns to look at the matching digits of both operands. Five-digit operands:
`--set dataset=digit_addition/d5`.
"""

import zoo.plots
from zoo.models import make_seq2seq_examples
from zoo.training import Recipe, main

SOURCE, TARGET = "0123456789+", "0123456789"


def exact_match(model, test_batches):
    """Exact-match accuracy of greedy translations on the test split."""
    return model.exact_match(test_batches)


RECIPE = Recipe(
    name="addition_seq2seq",
    model="seq2seq",
    dataset="digit_addition/d3",
    task="seq2seq",
    model_kwargs=dict(
        source_vocabulary=SOURCE,
        target_vocabulary=TARGET,
        cell="lstm",
        units=128,
        attention="luong",
        bidirectional_encoder=True,
        max_target_length=4,
        learning_rate=3e-3,
    ),
    description="digit addition, attention encoder-decoder: exact match by greedy decoding",
    preprocess=make_seq2seq_examples(SOURCE, TARGET),
    epochs=8,
    batch_size=64,
    monitor="val_loss",
    evaluate=exact_match,
    plot=zoo.plots.attention_heatmaps,
    plot_name="attention.png",
)

if __name__ == "__main__":
    main(RECIPE)
