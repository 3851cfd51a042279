"""What the Mackey-Glass recipes share: the free-run metric (NRMSE84) and the free-run plot.

Each split of `mackey_glass` is one long series (`x`, and `y` one step ahead). The score follows
Jaeger (2001): from 20 start points n of the test series, a 500-step teacher-forced warm-up ending
at n, then 84 free-running steps; NRMSE84 = sqrt(mean (ŷ(n+84) - y(n+84))²) / std(series).
"""

import numpy as np
import tensorflow as tf

WARMUP, HORIZON, STARTS = 500, 84, 20


def series_of(batches):
    """The one series of a split's batches, 1-D: `x` and the last value of `y`."""
    x, y = next(iter(batches))
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    if any(a.ndim != 3 or a.shape[0] != 1 or a.shape[-1] != 1 for a in (x, y)):
        raise ValueError(
            "the Mackey-Glass recipes score one series per split, (1, T, 1) inputs and targets "
            f"one step ahead (the mackey_glass dataset); got x of shape {x.shape} and y of "
            f"shape {y.shape}: use --set dataset=mackey_glass/<config>."
        )
    return np.concatenate([x[0, :, 0], y[0, -1:, 0]])


def free_run(model, warmup, steps):
    """Feeds `warmup` `(batch, T, 1)` teacher-forced, then `steps` predictions back as inputs.

    An ESN has `generate`; any other per-step model re-reads the growing sequence each step.
    """
    if hasattr(model, "generate"):
        return model.generate(steps, warmup=warmup)
    spec = tf.TensorSpec((None, None, warmup.shape[-1]), model.inputs[0].dtype)
    step = tf.function(lambda x: model(x, training=False)[:, -1], input_signature=[spec])
    seq, out = np.asarray(warmup), []
    for _ in range(steps):
        nxt = np.asarray(step(tf.constant(seq, spec.dtype)), dtype=np.float64)
        out.append(nxt)
        seq = np.concatenate([seq, nxt[:, None, :].astype(seq.dtype)], axis=1)
    return np.stack(out, axis=1)


def nrmse84(model, test_batches):
    """Jaeger's NRMSE84 over 20 start points of the test series: the recipes' `evaluate`."""
    s = series_of(test_batches)
    starts = np.linspace(WARMUP - 1, len(s) - HORIZON - 1, STARTS).astype(int)
    warm = np.stack([s[n - WARMUP + 1 : n + 1] for n in starts])[..., None]
    preds = free_run(model, warm, HORIZON)[:, -1, 0]
    nrmse = np.sqrt(np.mean((preds - s[starts + HORIZON]) ** 2)) / np.std(s)
    return {"nrmse84": float(nrmse)}


def plot_range(truth, pred):
    """The y-limits of a free-run plot, and the step where `pred` leaves them (or None).

    The limits are the truth's range widened by half its span each way, so a free run that
    diverges (or turns NaN) does not squash the truth into a flat line.

    Example:
        >>> plot_range(np.array([0.0, 1.0]), np.array([0.5, 3.0]))
        ((-0.5, 1.5), 1)
    """
    lo, hi = float(np.min(truth)), float(np.max(truth))
    margin = 0.5 * (hi - lo) or 1.0
    lo, hi = lo - margin, hi + margin
    outside = ~((pred >= lo) & (pred <= hi))  # NaN is outside too
    return (lo, hi), (int(np.argmax(outside)) if outside.any() else None)


def plot_free_run(model, test_batches, path, steps=300):
    """Plots a free run of `steps` after a 500-step warm-up against the test series."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    s = series_of(test_batches)
    pred = free_run(model, s[None, :WARMUP, None], steps)[0, :, 0]
    t = np.arange(WARMUP - 100, WARMUP + steps)
    ylim, left = plot_range(s[t], pred)
    fig, ax = plt.subplots(figsize=(10, 3.6))
    ax.plot(t, s[t], label="truth", color="black", linewidth=1)
    ax.plot(np.arange(WARMUP, WARMUP + steps), pred, label="free run", linestyle="--")
    ax.axvline(WARMUP - 0.5, color="grey", alpha=0.5)
    ax.axvline(WARMUP + HORIZON - 1, color="red", alpha=0.4, label="84 steps")
    ax.set_ylim(*ylim)
    ax.set_xlabel("test step")
    title = f"{model.name}: free run after a {WARMUP}-step teacher-forced warm-up"
    if left is not None:
        title += f"; it diverged (left the plotted range) {left + 1} steps in"
    ax.set_title(title)
    ax.legend(loc="upper right")
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
