"""The adding problem at T=200 with a GRU (Hochreiter & Schmidhuber 1997).

Each sequence holds 200 random values and two markers; the target is the sum of the two marked
values. Predicting 1.0 always scores MSE ≈ 0.167: a model must carry the first marked value across
up to 200 steps to beat it. The recipe also plots ‖∂L/∂x_t‖ over t, BPTT made visible.
Other lengths: `--set dataset=adding_problem/t50` (or t400).
"""

import zoo.plots
from zoo.training import Recipe, main

RECIPE = Recipe(
    name="adding_gru",
    model="gru",
    dataset="adding_problem/t200",
    task="regression",
    model_kwargs=dict(input_shape=(None, 2), units=64, learning_rate=3e-3),
    description="adding problem, T=200, GRU: long-range memory or the trivial MSE of 0.167",
    epochs=20,
    batch_size=32,
    monitor="val_loss",
    plot=zoo.plots.gradient_through_time,
    plot_name="gradient_through_time.png",
)

if __name__ == "__main__":
    main(RECIPE)
