"""Mackey-Glass (tau=17) with an LSTM trained by backpropagation: the ESN recipe's baseline.

The 4000 training steps are cut into overlapping 200-step windows (stride 5), and the LSTM is
trained teacher-forced to predict each next step, in batches of the run's batch size (32
windows unless `--batch-size` says otherwise). The score is the same as `mackey_glass_esn`'s:
Jaeger's NRMSE84 of free runs on the test series, and the same free-run plot.
"""

import numpy as np

from recipes._mackey_glass import nrmse84, plot_free_run, series_of
from zoo.training import Recipe, main

WINDOW, STRIDE = 200, 5


def _windows(batches):
    s = series_of(batches)
    starts = range(0, len(s) - WINDOW - 1, STRIDE)
    x = np.stack([s[i : i + WINDOW] for i in starts])[..., None].astype("float32")
    y = np.stack([s[i + 1 : i + WINDOW + 1] for i in starts])[..., None].astype("float32")
    return x, y


def fit_windows(model, train_batches, validation_batches, epochs, callbacks):
    """Trains on windows cut from the one training series, the run's batch size a batch.

    The run's batch size (`--batch-size`, `--set batch_size`, else the recipe's) is the one
    `zoo.data.batches` records on the batches it makes; batches made otherwise get the
    recipe's.
    """
    x, y = _windows(train_batches)
    return model.fit(
        x,
        y,
        validation_data=_windows(validation_batches),
        epochs=epochs,
        batch_size=getattr(train_batches, "batch_size", RECIPE.batch_size),
        callbacks=callbacks,
        shuffle=True,
        verbose=2,
    )


RECIPE = Recipe(
    name="mackey_glass_lstm",
    model="lstm",
    dataset="mackey_glass/tau17",
    task="sequence_regression",
    model_kwargs=dict(input_shape=(None, 1), units=64, learning_rate=3e-3),
    description="Mackey-Glass tau=17, LSTM by backprop on windows: free-run NRMSE84",
    epochs=30,
    batch_size=32,  # windows a batch (each split is one series: one batch of 1)
    fit=fit_windows,
    evaluate=nrmse84,
    plot=plot_free_run,
    plot_name="free_run.png",
)

if __name__ == "__main__":
    main(RECIPE)
