"""Mackey-Glass (tau=17) with an LSTM trained by backpropagation: the ESN recipe's baseline.

The 4000 training steps are cut into overlapping 200-step windows (stride 5), and the LSTM is
trained teacher-forced to predict each next step. The score is the same as `mackey_glass_esn`'s:
Jaeger's NRMSE84 of free runs on the test series, and the same free-run plot.
"""

import numpy as np

from recipes._mackey_glass import nrmse84, plot_free_run, series_of
from zoo.training import Recipe, main

WINDOW, STRIDE, BATCH = 200, 5, 32


def _windows(batches):
    s = series_of(batches)
    starts = range(0, len(s) - WINDOW - 1, STRIDE)
    x = np.stack([s[i : i + WINDOW] for i in starts])[..., None].astype("float32")
    y = np.stack([s[i + 1 : i + WINDOW + 1] for i in starts])[..., None].astype("float32")
    return x, y


def fit_windows(model, train_batches, validation_batches, epochs, callbacks):
    """Trains on windows cut from the one training series."""
    x, y = _windows(train_batches)
    return model.fit(
        x,
        y,
        validation_data=_windows(validation_batches),
        epochs=epochs,
        batch_size=BATCH,
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
    batch_size=1,
    fit=fit_windows,
    evaluate=nrmse84,
    plot=plot_free_run,
    plot_name="free_run.png",
)

if __name__ == "__main__":
    main(RECIPE)
