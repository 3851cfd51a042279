"""The readout of `zoo.models.esn` in NumPy (private helpers of `EchoStateNetwork`).

What the readout reads, fits and is scored on outside Keras's training loop: its input features
for a batch, harvested by the NumPy float64 fast path (`_features`); the closed-form fit of
`fit_readout`, which merges the rows after each sequence's washout (padding left out) into
centred float64 statistics (`_Stats`: row count, means, `XᵀX`, `XᵀY`, `tr(YᵀY)`) batch by batch
and, within long sequences, `_TIME_CHUNK` steps at a time, then solves them for each ridge
(`_solve`) and scores it from the statistics alone, so the reservoirs run once whatever the
number of ridges; and `evaluate`'s scores over the same steps after the washout
(`_scores_after_washout`).
"""

import warnings

import numpy as np
import scipy.linalg
import tensorflow as tf

from zoo.layers import reservoir as _reservoir
from zoo.models.esn_inputs import (
    _batches,
    _check_not_all_padding,
    _check_x,
    _targets,
)
from zoo.validation import naming_arguments

_TIME_CHUNK = 2048  # steps harvested at once: long series fit in constant memory


def _features(model, x, states=None, weights=None, mask=None):
    """Readout features of `x` (float64) and every reservoir's last state."""
    weights = weights or [_reservoir.numpy_weights(r.cell) for r in model.reservoirs]
    # Each reservoir writes its states straight into its columns of the feature array.
    first = x.shape[-1] if model._args["input_to_readout"] else 0
    widths = [r.units for r in model.reservoirs]
    feats = np.empty((*x.shape[:2], first + sum(widths)))
    feats[..., :first] = x[..., :first]
    if mask is not None and first:
        feats[~mask, :first] = 0.0  # as `keras.layers.Masking` gives the readout
    last, h, lo = [], x, first
    for i, r in enumerate(model.reservoirs):
        h0 = None if states is None else states[i]
        out = feats[..., lo : lo + widths[i]]
        h, s = _reservoir.harvest(r.cell, h, h0, weights[i], mask, out)
        last.append(s)
        lo += widths[i]
    return feats, last


def _solve(stats, ridge):
    """Ridge readout `(W, b)` from centred statistics: `(Cxx + ridge·I) W = Cxy`, `b = ȳ - x̄ W`.

    Centring (the bias is then not regularised) keeps the system far better conditioned than a
    column of ones would, which matters at ridges like 1e-10. Cholesky first: `cho_factor` and
    `cho_solve` are LAPACK's `potrf`/`potrs` alone, where `solve(assume_a="pos")` adds a condition
    estimate (level-2 triangular solves) that was measured at up to 10 times the factorisation on
    a busy machine with a multi-threaded BLAS.
    """
    reg = stats.cxx.copy()
    reg.flat[:: reg.shape[0] + 1] += ridge
    try:
        factor = scipy.linalg.cho_factor(reg, check_finite=False)
        w = scipy.linalg.cho_solve(factor, stats.cxy, check_finite=False)
    except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):  # not positive definite
        try:
            with warnings.catch_warnings():  # a tiny ridge is ill-conditioned by design
                warnings.simplefilter("ignore", scipy.linalg.LinAlgWarning)
                w = scipy.linalg.solve(reg, stats.cxy, assume_a="sym", check_finite=False)
        except (np.linalg.LinAlgError, scipy.linalg.LinAlgError):
            w = scipy.linalg.lstsq(reg, stats.cxy)[0]
    return w, stats.my - stats.mx @ w


def _pool(feats, mask, pooling, name="x"):
    """Per-sequence features: the `last` unmasked step's, or the `mean` over unmasked steps."""
    if mask is None:
        return feats[:, -1] if pooling == "last" else feats.mean(axis=1)
    counts = _check_not_all_padding(mask, name)
    if pooling == "mean":
        return np.einsum("btd,bt->bd", feats, mask.astype(feats.dtype)) / counts[:, None]
    last = feats.shape[1] - 1 - np.argmax(mask[:, ::-1], axis=1)
    return feats[np.arange(len(feats)), last]


class _Stats:
    """Row count, means and centred `XᵀX`, `XᵀY`, `tr(YᵀY)`, merged batch by batch in float64.

    Batches merge with Chan et al.'s pairwise update, so the sums never hold the large
    uncentred terms that cancel.
    """

    def __init__(self):
        self.rows = 0
        self.mx = self.my = self.cxx = self.cxy = None
        self.cyy = 0.0

    def add(self, features, targets, overwrite=False):
        """Adds rows; `overwrite=True` lets it centre `features` in place (no copy)."""
        if not len(features):
            return
        batch = _Stats()
        batch.rows = len(features)
        batch.mx, batch.my = features.mean(axis=0), targets.mean(axis=0)
        if overwrite:
            xc = features
            xc -= batch.mx
        else:
            xc = features - batch.mx
        yc = targets - batch.my
        batch.cxx, batch.cxy, batch.cyy = xc.T @ xc, xc.T @ yc, float(np.sum(yc * yc))
        self += batch

    def __iadd__(self, other):
        if other.rows == 0:
            return self
        if self.rows == 0:
            self.rows, self.cyy = other.rows, other.cyy
            self.mx, self.my = other.mx.copy(), other.my.copy()
            self.cxx, self.cxy = other.cxx.copy(), other.cxy.copy()
            return self
        n = self.rows + other.rows
        dx, dy = other.mx - self.mx, other.my - self.my
        f = self.rows * other.rows / n
        self.cxx = self.cxx + other.cxx + f * np.outer(dx, dx)
        self.cxy = self.cxy + other.cxy + f * np.outer(dx, dy)
        self.cyy = self.cyy + other.cyy + f * float(dy @ dy)
        self.mx = self.mx + dx * (other.rows / n)
        self.my = self.my + dy * (other.rows / n)
        self.rows = n
        return self

    def mse(self, w, b):
        """Mean squared error of the readout `x W + b` on the accumulated rows."""
        offset = self.my - self.mx @ w - b
        err = (
            self.cyy
            - 2 * np.sum(w * self.cxy)
            + np.sum(w * (self.cxx @ w))
            + self.rows * float(offset @ offset)
        )
        return max(float(err), 0.0) / (self.rows * w.shape[1])


def _accumulate(model, xb, yb, washout, split, train, val, weights, seen, name="x"):
    """Adds a batch's rows to `train` and `val`; `seen[0]` counts the sequences so far."""
    xb = _check_x(model, xb, name)
    batch, steps, _ = xb.shape
    yb = _targets(model, yb, batch, steps)
    if washout >= steps:
        raise ValueError(
            f"washout must be smaller than the sequence length of {name} ({steps} steps), "
            f"got {washout}."
        )
    mask = model._mask(xb)
    if model.task != "sequence_regression":
        feats, _ = _features(model, xb, weights=weights, mask=mask)
        pooled = _pool(feats, mask, model._args["pooling"])
        # Sequence i of the whole run validates when round((i + 1) split) steps up: a
        # share `split` of the sequences (rounded), spread evenly, whatever the batch size.
        i = seen[0] + np.arange(batch)
        to_val = np.floor((i + 1) * split + 0.5) > np.floor(i * split + 0.5)
        seen[0] += batch
        train.add(pooled[~to_val], yb[~to_val])
        val.add(pooled[to_val], yb[to_val])
        return
    if mask is not None:
        _accumulate_masked(model, xb, yb, mask, washout, split, train, val, weights, name)
        return
    # The last `split` share of each sequence's kept steps validates the ridge choice.
    cut = steps - int(round((steps - washout) * split)) if split else steps
    states = None
    for t0 in range(0, steps, _TIME_CHUNK):
        t1 = min(steps, t0 + _TIME_CHUNK)
        feats, states = _features(model, xb[:, t0:t1], states, weights)
        for stats, lo, hi in ((train, washout, cut), (val, cut, steps)):
            a, b = max(lo, t0), min(hi, t1)
            if a < b:
                f = feats[:, a - t0 : b - t0].reshape(-1, feats.shape[-1])
                # `feats` is not read again: its rows are centred in place
                stats.add(f, yb[:, a:b].reshape(-1, yb.shape[-1]), overwrite=True)


def _accumulate_masked(model, xb, yb, mask, washout, split, train, val, weights, name="x"):
    """`_accumulate` for padded per-step data: padded steps give no rows.

    The washout and the validation share count each sequence's own (unmasked) steps; a
    sequence the washout would leave no step of is refused, as an unpadded one is.
    """
    valid = np.cumsum(mask, axis=1)  # 1-based index among the sequence's unmasked steps
    lengths = valid[:, -1:]
    short = np.flatnonzero(lengths[:, 0] <= washout)
    if short.size:
        i = short[0]
        raise ValueError(
            f"washout must be smaller than every sequence's unpadded length, got {washout}: "
            f"sequence {i} of a batch of {name} has {lengths[i, 0]} steps that are not "
            "mask_value (it would add no row)."
        )
    cut = lengths - np.round((lengths - washout) * split).astype(int) if split else lengths
    keep_train = mask & (valid > washout) & (valid <= cut)
    keep_val = mask & (valid > cut)
    states = None
    for t0 in range(0, xb.shape[1], _TIME_CHUNK):
        t1 = min(xb.shape[1], t0 + _TIME_CHUNK)
        feats, states = _features(model, xb[:, t0:t1], states, weights, mask[:, t0:t1])
        for stats, keep in ((train, keep_train), (val, keep_val)):
            k = keep[:, t0:t1]
            stats.add(feats[k], yb[:, t0:t1][k], overwrite=True)


def _statistics_and_ridge(model, x, y, validation, washout, ridges, split, batch_size):
    """What `fit_readout` solves: the training statistics, the ridge chosen and its report.

    Every reservoir runs once, on the training data then the validation data; each ridge is
    then scored from the statistics alone.

    Args:
        model: the `EchoStateNetwork`.
        x: the training inputs, or a dataset of `(x, y)` batches (as `fit_readout` takes them).
        y: the training targets, or `None` with a dataset.
        validation: `(x_val, y_val)` (`y_val` `None` for a dataset), or `None`.
        washout: initial steps of each sequence left out.
        ridges: the ridges to choose from (one: nothing to choose).
        split: the share of the training data that scores the ridges (0 with `validation`).
        batch_size: sequences harvested at once from array inputs.

    Returns:
        `(train, ridge, report)`: the `_Stats` to solve the readout from (a validation split's
        rows merged back in), the ridge chosen, and a dict holding `validation_mse` (one per
        ridge) where validation rows scored them.
    """
    weights = [_reservoir.numpy_weights(r.cell) for r in model.reservoirs]
    train, val = _Stats(), _Stats()
    seen = [0]
    for xb, yb in _batches(model, x, y, batch_size):
        _accumulate(model, xb, yb, washout, split, train, val, weights, seen)
    if validation is not None:
        vx, vy = validation  # (its messages name validation_data, not fit_readout's x and y)
        dataset = hasattr(vx, "as_numpy_iterator")
        names = (
            {"x": "validation_data's x", "y": "validation_data's y"}
            if dataset
            else {"x": "validation_data[0]", "y": "validation_data[1]"}  # (x_val, y_val)
        )
        with naming_arguments(names):
            for xb, yb in _batches(model, vx, vy, batch_size, name="validation_data"):
                _accumulate(model, xb, yb, washout, 0.0, val, _Stats(), weights, [0])
        if val.rows == 0:
            raise ValueError(
                f"validation_data holds no rows to score on (no sequences, or every step "
                f"within washout={washout}): give validation sequences longer than the "
                "washout, or leave validation_data out."
            )
    if train.rows == 0:
        held = f", or all held out by validation_split={split}" if split else ""
        raise ValueError(f"fit_readout got no training rows (empty x, or all washed out{held}).")
    report = {}
    if len(ridges) > 1:
        if val.rows == 0:
            raise ValueError(
                f"the validation split is empty (validation_split={split} of "
                f"{seen[0] or train.rows} {'sequences' if seen[0] else 'rows'}): raise "
                "validation_split or pass validation_data."
            )
        scores = {r: val.mse(*_solve(train, r)) for r in ridges}
        best = min(scores, key=scores.get)
        report["validation_mse"] = scores
        if validation is None:
            train += val  # the final fit uses every row
    else:
        best = ridges[0]
        if validation is not None:
            report["validation_mse"] = {best: val.mse(*_solve(train, best))}
    return train, best, report


def _scores_after_washout(model, x, y, washout, kwargs):
    """`evaluate`'s scores over the steps after each sequence's washout (see its docstring).

    Keras's evaluate cannot leave steps out of the metrics compiled as `metrics` (they read
    no sample weights), so the steps kept are predicted, gathered as rows, and scored by the
    compiled loss and metrics in one go.
    """
    kwargs = dict(kwargs)
    batch_size = kwargs.pop("batch_size", None) or 32  # (checked by `evaluate`)
    given = kwargs.pop("sample_weight", None)
    return_dict = kwargs.pop("return_dict", False)
    kwargs.pop("verbose", None)
    if kwargs:
        raise TypeError(
            f"evaluate with washout takes x, y, batch_size, sample_weight, verbose and "
            f"return_dict; got also {sorted(kwargs)}."
        )
    if isinstance(x, tf.data.Dataset):  # batch by batch (their lengths may differ)
        parts = (
            (xb, yb, *wb, model.predict(xb, verbose=0)) for xb, yb, *wb in x.as_numpy_iterator()
        )
    else:  # predicted in one call (one traced step)
        pred = model.predict(x, batch_size=batch_size, verbose=0)
        parts = [(x, y, pred) if given is None else (x, y, given, pred)]
    kept_y, kept_pred, kept_w = [], [], []
    for xb, yb, *wb, pred in parts:
        counted = model._mask(np.asarray(xb, dtype=np.float64))
        if counted is None:
            counted = np.ones(pred.shape[:2], bool)
        keep = counted & (np.cumsum(counted, axis=1) > washout)
        if not keep.any(axis=1).all():
            raise ValueError(
                f"washout={washout} leaves a sequence no step to score: give washout "
                f"smaller than every sequence's (unpadded) length."
            )
        kept_y.append(np.asarray(yb)[keep])
        kept_pred.append(pred[keep])
        if wb:  # the caller's weights: one per sequence or one per step
            weight = np.asarray(wb[0], dtype=np.float64)
            kept_w.append(np.broadcast_to(weight.reshape(len(xb), -1), keep.shape)[keep])
    y_kept, pred_kept = np.concatenate(kept_y), np.concatenate(kept_pred)
    weight = np.concatenate(kept_w) if kept_w else None
    model.reset_metrics()
    loss = model.compute_loss(y=y_kept, y_pred=pred_kept, sample_weight=weight, training=False)
    scores = model.compute_metrics(None, y_kept, pred_kept, weight)
    logs = {"loss": float(loss)}
    logs.update({name: float(v) for name, v in scores.items() if name != "loss"})
    if return_dict:
        return logs
    return logs["loss"] if len(logs) == 1 else list(logs.values())
