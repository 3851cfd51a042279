"""Long checks that a recipe still learns what the README says it learns (CI runs them too)."""

import pytest

from recipes.adding_gru import RECIPE as ADDING_GRU
from zoo import training

TRIVIAL_MSE = 1 / 6  # always predicting 1.0


@pytest.mark.slow
def test_gru_solves_the_adding_problem_at_t50(tfds_data_dir, tmp_path):
    """The Quick start's run: 3 epochs of the GRU at T=50 beat the trivial MSE fifty-fold."""
    metrics = training.run(
        ADDING_GRU,
        epochs=3,
        output=tmp_path,
        data_dir=tfds_data_dir,
        overrides={"dataset": "adding_problem/t50"},
        verbose=0,
    )
    assert metrics["test_loss"] < TRIVIAL_MSE / 50


@pytest.mark.slow
def test_gradient_vanishes_through_an_untrained_simple_rnn(tfds_data_dir):
    """BPTT made visible: through a SimpleRNN the gradient reaching early steps is far smaller."""
    import tensorflow_datasets as tfds

    import zoo

    ds = tfds.load(
        "adding_problem/t200",
        split="test[:64]",
        data_dir=tfds_data_dir,
        as_supervised=True,
        batch_size=64,
    )
    x, y = next(iter(ds))
    model = zoo.models.simple_rnn(input_shape=(200, 2), task="regression", units=32, seed=0)
    norms = zoo.inspect.gradient_through_time(model, x, y)
    assert norms[-1] > 1e3 * norms[:20].max()
