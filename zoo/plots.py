"""PNG plots a recipe run writes: learning curves, and plots of what a model does."""

from collections.abc import Mapping

import keras
import matplotlib
import matplotlib.ticker

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from zoo import inspect as zoo_inspect  # noqa: E402
from zoo.validation import check_positive_int  # noqa: E402


def _history(history):
    """`{metric: [value per epoch]}` from a dict or a `keras.callbacks.History`, checked."""
    if isinstance(history, keras.callbacks.History):  # what `model.fit` returns
        history = history.history
    if not isinstance(history, Mapping):
        raise TypeError(
            "history must be {metric: [value per epoch]} or the keras History that fit returns, "
            f"got a {type(history).__name__}."
        )
    for name, values in history.items():
        try:  # None is a NaN (history.json writes one so)
            array = np.asarray(values, "float64") if isinstance(values, list | tuple) else None
        except (TypeError, ValueError):
            array = None
        if isinstance(values, np.ndarray) and values.dtype.kind in "biuf":
            array = values
        if not isinstance(name, str) or array is None or array.ndim != 1:
            raise ValueError(
                "history must map metric names to lists of numbers, one per epoch, got "
                f"{name!r}: {str(values)[:80]}."
            )
    return history


def _first_batch(dataset, what):
    """The first element of `dataset`, checked to be a tuple of `what`; raises if it has none."""
    for batch in dataset:
        if not isinstance(batch, tuple | list) or len(batch) < 2:
            raise ValueError(
                f"dataset must yield batches of {what}, got elements of type "
                f"{type(batch).__name__}."
            )
        return batch
    raise ValueError(f"dataset is empty: it must yield at least one batch of {what}.")


def learning_curves(history, path, title=""):
    """Plots every training metric per epoch beside its validation twin, one panel each.

    Args:
        history: `{metric: [value per epoch]}`, or the `keras.callbacks.History` that `fit`
            returns.
        path: the PNG file to write.
        title: the figure's title.

    Returns:
        `path`.

    Example:
        >>> learning_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, "/tmp/curves.png")
        '/tmp/curves.png'
    """
    history = _history(history)
    # Every metric once: a training one with its validation twin, or a validation-only one
    # (e.g. `val_cer`, computed by a callback) alone.
    names = [k for k in history if not k.startswith("val_") and k != "learning_rate"]
    names += [k[4:] for k in history if k.startswith("val_") and k[4:] not in history]
    fig, axes = plt.subplots(1, max(len(names), 1), figsize=(5 * max(len(names), 1), 3.6),
                             squeeze=False)  # fmt: skip
    if not names:
        axes[0][0].text(0.5, 0.5, "no metrics recorded", ha="center", va="center")
        axes[0][0].set_axis_off()
    for ax, name in zip(axes[0], names, strict=False):
        lost = []
        for key, label in ((name, "train"), (f"val_{name}", "validation")):
            if key in history:
                values = np.asarray(history[key], dtype="float64")
                ax.plot(np.arange(1, len(values) + 1), values, marker="o", label=label)
                bad = int(np.sum(~np.isfinite(values)))
                if bad:
                    lost.append(f"{bad} of {len(values)} {label} values NaN or inf (not drawn)")
        if lost:  # a diverged run: say so rather than leave points (or the panel) out silently
            ax.text(0.01, 0.03, "; ".join(lost), transform=ax.transAxes, fontsize=8)
        ax.set_xlabel("epoch")
        epochs = max((len(history[k]) for k in (name, f"val_{name}") if k in history), default=1)
        ax.set_xlim(0.5, epochs + 0.5)  # ticks at whole epochs only (not 1.5), one epoch too
        ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True, min_n_ticks=1))
        ax.set_ylabel(name)
        ax.grid(alpha=0.3)
        ax.legend()
    fig.suptitle(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")  # at `path` as given, with or without ".png"
    plt.close(fig)
    return str(path)


def gradient_through_time(model, dataset, path, title=""):
    """Plots `‖∂L/∂x_t‖` over t for one batch of `dataset` (log scale): BPTT made visible.

    Args:
        model: a trained model on real-valued sequences.
        dataset: batches of `(x, y)`; the first batch is used.
        path: the PNG file to write.
        title: the figure's title.

    Returns:
        `path`.

    Example:
        >>> import numpy as np, tensorflow as tf, zoo
        >>> m = zoo.models.gru(input_shape=(20, 2), task="regression", units=4)
        >>> ds = tf.data.Dataset.from_tensors((np.ones((2, 20, 2), "f"), np.ones((2, 1), "f")))
        >>> gradient_through_time(m, ds, "/tmp/grads.png")
        '/tmp/grads.png'
    """
    x, y = _first_batch(dataset, "(x, y)")[:2]
    inputs = getattr(model, "inputs", None) or []
    if np.ndim(x) == 2 and len(inputs) == 1 and len(inputs[0].shape) == 3:
        raise ValueError(
            f"dataset yields single sequences (x of shape {tuple(np.shape(x))}), not batches "
            f"(batch, T, features) for model {model.name!r}: batch it, e.g. dataset.batch(32)."
        )
    norms = zoo_inspect.gradient_through_time(model, x, y)
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.semilogy(np.arange(len(norms)), np.where(norms > 0, norms, np.nan))
    zeros, bad = int(np.sum(norms == 0)), int(np.sum(~np.isfinite(norms)))
    notes = []
    if zeros:  # float32 underflow: the gradient vanished entirely at these steps
        notes.append(f"{zeros} steps with a gradient of exactly 0 (not drawn)")
    if bad:  # a diverged model
        notes.append(f"{bad} steps with a NaN or inf gradient (not drawn)")
    if notes:
        ax.text(0.01, 0.03, "; ".join(notes), transform=ax.transAxes, fontsize=8)
    ax.set_xlim(0, len(norms) - 1)
    ax.set_xlabel("time step t")
    ax.set_ylabel("‖∂L/∂x_t‖ (batch mean)")
    ax.set_title(title or f"{model.name}: gradient of the loss with respect to each input step")
    ax.grid(alpha=0.3, which="both")
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
    return str(path)


def _translations(model, sources, outputs, answers, path, title):
    """`attention_heatmaps` for a model without attention: source, translation, reference."""
    rows = [
        f"{src} → {out}" + ("" if out == ref else f"   (reference {ref})")
        for src, out, ref in zip(sources, outputs, answers, strict=True)
    ]
    fig, ax = plt.subplots(figsize=(6.4, 0.5 + 0.4 * len(rows)))
    ax.axis("off")
    ax.text(0.0, 1.0, "\n".join(rows), va="top", family="monospace", fontsize=9)
    right = sum(out == ref for out, ref in zip(outputs, answers, strict=True))
    fig.suptitle(
        title
        or f"{model.name}: greedy translations ({right} of {len(rows)} right; built "
        "without attention, so no weights to show)",
        fontsize=9,
    )
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
    return str(path)


def attention_heatmaps(model, dataset, path, count=4, title=""):
    """Plots the attention weights of a seq2seq model on the first `count` test examples.

    Each panel shows one source (columns) and the model's greedy translation (rows, the end
    token last): where the decoder looked while writing each output token. A panel whose
    translation is wrong names the reference too. A model built without attention has no
    weights to show: its panels list the translations beside the references instead.

    Args:
        model: a `zoo.models.Seq2Seq`.
        dataset: batches of `({"source", "target_in"}, target_out)`; the first batch is used.
        path: the PNG file to write.
        count: how many examples to plot.
        title: the figure's title.

    Returns:
        `path`.

    Example:
        >>> import tensorflow as tf, zoo
        >>> m = zoo.models.seq2seq("0123456789+", "0123456789", units=8, seed=0)
        >>> fn = zoo.models.make_seq2seq_examples("0123456789+", "0123456789")
        >>> ds = tf.data.Dataset.from_tensor_slices((["1+2", "30+4"], ["3", "34"])).map(fn)
        >>> attention_heatmaps(m, ds.padded_batch(2), "/tmp/attention.png", count=2)
        '/tmp/attention.png'
    """
    check_positive_int("count", count)
    needs = ("source_vocab", "target_vocab", "translate_ids", "attention_scores")
    if not all(hasattr(model, name) for name in needs):
        raise TypeError(
            "attention_heatmaps plots a seq2seq model (zoo.models.seq2seq: source and target "
            f"vocabularies and greedy translation), got model {getattr(model, 'name', model)!r}, "
            f"a {type(model).__name__}; for other models see gradient_through_time."
        )
    what = "({'source', 'target_in'}, target_out) (zoo.models.make_seq2seq_examples)"
    x, y = _first_batch(dataset, what)[:2]
    if not isinstance(x, Mapping) or "source" not in x:
        raise ValueError(f"dataset must yield batches of {what}, got x of type {type(x).__name__}.")
    if np.ndim(x["source"]) != 2:  # (one example's ids: decoding read each id as a row)
        raise ValueError(
            f"dataset yields single examples (source of shape {tuple(np.shape(x['source']))}), "
            "not batches (batch, T): batch it, e.g. dataset.padded_batch(32)."
        )
    ids = np.asarray(x["source"])[:count]
    # The ids the model read: an unknown token (id 1) is shown as "?", not dropped.
    sources = [model.source_vocab.decode(row, unknown="?") for row in ids]
    # A reference's unknown token shows as "?" too: it can never match (as exact_match counts).
    answers = [model.target_vocab.decode(row, unknown="?") for row in np.asarray(y)[: len(ids)]]
    outputs = [model.target_vocab.decode(row) for row in model.translate_ids(ids)]
    if not model.get_config()["attention"]:
        return _translations(model, sources, outputs, answers, path, title)
    scores = model.attention_scores(ids, outputs)
    fig, axes = plt.subplots(1, len(sources), figsize=(3.2 * len(sources), 3.4), squeeze=False)
    for ax, src, out, answer, s in zip(axes[0], sources, outputs, answers, scores, strict=True):
        ax.imshow(s, cmap="viridis", vmin=0.0, vmax=1.0, aspect="auto")
        src_tokens = model.source_vocab.split_text(src) or ["?"]
        ax.set_xticks(range(len(src_tokens)), src_tokens)
        ax.set_yticks(range(len(s)), [*model.target_vocab.split_text(out), "[END]"])
        ax.set_xlabel("source")
        ax.set_ylabel("greedy output")
        wrong = "" if out == answer else f"\n(reference {answer})"
        ax.set_title(f"{src} → {out}{wrong}", fontsize=9)
    fig.suptitle(title or f"{model.name}: attention weights")
    fig.tight_layout()
    fig.savefig(path, dpi=100, format="png")
    plt.close(fig)
    return str(path)
