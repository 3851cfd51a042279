"""What the three adding-problem recipes share: only the cell differs between them."""

import zoo.plots
from zoo.training import Recipe


def adding_recipe(cell, title):
    """The adding problem at T=200 for one recurrent cell, with the gradient-through-time plot.

    Args:
        cell: a registered model name: `simple_rnn`, `lstm` or `gru`.
        title: the cell's name for people.

    Returns:
        The `Recipe`.

    Example:
        >>> adding_recipe("gru", "GRU").dataset
        'adding_problem/t200'
    """
    return Recipe(
        name=f"adding_{cell}",
        model=cell,
        dataset="adding_problem/t200",
        task="regression",
        model_kwargs=dict(input_shape=(None, 2), units=64, learning_rate=3e-3),
        description=f"adding problem, T=200, {title}: long-range memory or the trivial MSE 0.167",
        epochs=20,
        batch_size=32,
        monitor="val_loss",
        plot=zoo.plots.gradient_through_time,
        plot_name="gradient_through_time.png",
    )
