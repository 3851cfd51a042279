"""Digit addition ("535+61" -> "596"): bidirectional LSTM encoder, LSTM decoder, Luong attention.

50,000 training questions of 1-3 digit operands, 5,000 unseen test questions (`a+b` and `b+a`
count as one question, so no test question is seen in training in either order). The score is
the exact-match accuracy of greedy decoding through `model.translate_ids` on the test split, not
the token accuracy under teacher forcing. The learning rate decays along a cosine to 0 over the
whole run (`zoo.training.WarmupCosine`: `--epochs` stretches the decay with the run). The recipe
also plots attention heat maps of a few test questions. Operands of up to 5 digits:
`--set dataset=digit_addition/d5 --set max_target_length=6 --epochs 30`.
"""

import zoo.plots
from zoo.models import Seq2Seq, make_seq2seq_examples
from zoo.recipe import fixed_by_preprocess
from zoo.training import Recipe, WarmupCosine, main

SOURCE, TARGET = "0123456789+", "0123456789"


def callbacks(model, validation_batches):
    """Checks the answers fit the model's `max_target_length`, then decays the learning rate.

    A longer answer (`--set dataset=digit_addition/d5` without `--set max_target_length=6`)
    would train but never be decoded whole, capping exact match: the run stops before training.
    """
    model.check_target_lengths(validation_batches)
    # A cosine decay to 0 over the run: late loss spikes of a constant rate cost exact match.
    return [WarmupCosine.from_model(model, warmup_steps=0)]


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
        learning_rate=5e-3,
    ),
    description="digit addition, attention encoder-decoder: exact match by greedy decoding",
    preprocess=make_seq2seq_examples(SOURCE, TARGET),
    check_model=fixed_by_preprocess(
        source_vocabulary=SOURCE, target_vocabulary=TARGET, split="char"
    ),
    callbacks=callbacks,
    epochs=6,
    batch_size=128,
    monitor="val_loss",
    evaluate=Seq2Seq.exact_match,  # greedy translations of the test split
    plot=zoo.plots.attention_heatmaps,
    plot_name="attention.png",
)

if __name__ == "__main__":
    main(RECIPE)
