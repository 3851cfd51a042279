"""Mackey-Glass (tau=17) with an Echo State Network: closed-form fit, free-running forecast.

The readout is fitted in closed form (ridge regression, no SGD) on the 4000 training steps,
teacher-forced, the first 200 washed out. The score is Jaeger's NRMSE84 of free runs on the test
series (see `recipes/_mackey_glass.py`); the plot shows a 300-step free run against the truth.
`loss`/`val_loss` are one-step MSEs after the washout and `val_nrmse84` the free-run score on the
validation series, `val_log10_nrmse84` its log10 (what a tuner of this recipe should minimise:
`rnnzoo tune mackey_glass_esn --tuner bayesian --objective val_log10_nrmse84`); `test_loss`
and `test_mae` are the one-step scores on the test series after the washout too (from a zero
state, the reservoir's transient would dominate them).
Compare `mackey_glass_lstm`, the same forecast by an LSTM trained by backpropagation.
"""

import numpy as np

from recipes._mackey_glass import nrmse84, plot_free_run
from zoo.training import Recipe, main

WASHOUT = 200


def fit_readout(model, train_batches, validation_batches, epochs, callbacks):
    """Closed-form ridge readout (`epochs` and `callbacks` have no use here)."""
    del epochs, callbacks
    report = model.fit_readout(train_batches, washout=WASHOUT)
    x, y = next(iter(validation_batches))
    # The fast path (what Keras's `predict` computes, 1e-9 apart; a few times faster).
    w, b = (np.asarray(v, dtype=np.float64) for v in model.readout.get_weights())
    pred = model.harvest(np.asarray(x, dtype="float64")) @ w + b
    val_mse = float(np.mean((pred[:, WASHOUT:] - np.asarray(y)[:, WASHOUT:]) ** 2))
    val_nrmse84 = nrmse84(model, validation_batches)["nrmse84"]
    # Its log10 too: NRMSE84 spans orders of magnitude from one setting to the next (a free run
    # that diverges scores 1e2 where a good one scores 1e-4), which a tuner's model of the
    # objective (a Gaussian process) fits far better on a log scale.
    log_nrmse84 = float(np.log10(val_nrmse84)) if 0 < val_nrmse84 < np.inf else 10.0
    return {
        "loss": [report["train_mse"]],
        "val_loss": [val_mse],
        "val_nrmse84": [val_nrmse84],
        "val_log10_nrmse84": [log_nrmse84],
    }


def evaluate(model, test_batches):
    """NRMSE84, and the one-step scores after the washout (as `loss` and `val_loss` are)."""
    scores = model.evaluate(test_batches, washout=WASHOUT, return_dict=True, verbose=0)
    return {**scores, **nrmse84(model, test_batches)}


RECIPE = Recipe(
    name="mackey_glass_esn",
    model="esn",
    dataset="mackey_glass/tau17",
    task="sequence_regression",
    model_kwargs=dict(input_shape=(None, 1), units=1000),
    description="Mackey-Glass tau=17, ESN: closed-form readout, free-run NRMSE84",
    epochs=1,
    batch_size=1,
    fit=fit_readout,
    evaluate=evaluate,
    plot=plot_free_run,
    plot_name="free_run.png",
)

if __name__ == "__main__":
    main(RECIPE)
