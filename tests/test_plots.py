"""The PNG plots a run writes: files where asked, and notes where values could not be drawn."""

import re

import matplotlib.axes
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo import plots


@pytest.fixture
def notes(monkeypatch):
    """The texts written onto the plots' axes."""
    written = []
    original = matplotlib.axes.Axes.text

    def text(self, x, y, s, *args, **kwargs):
        written.append(s)
        return original(self, x, y, s, *args, **kwargs)

    monkeypatch.setattr(matplotlib.axes.Axes, "text", text)
    return written


def test_learning_curves_say_how_many_values_were_not_finite(tmp_path, notes):
    history = {"loss": [1.0, float("nan"), float("inf")], "val_loss": [float("nan")] * 3}
    path = plots.learning_curves(history, tmp_path / "curves")  # no ".png": written as given
    assert path == str(tmp_path / "curves") and (tmp_path / "curves").read_bytes()[:4] == b"\x89PNG"
    assert notes == [
        "2 of 3 train values NaN or inf (not drawn); "
        "3 of 3 validation values NaN or inf (not drawn)"
    ]


def test_learning_curves_tick_whole_epochs(tmp_path, monkeypatch):
    figures = []
    monkeypatch.setattr(plots.plt, "close", figures.append)  # keep the figure to read its ticks
    plots.learning_curves({"loss": [1.0, 0.5], "val_loss": [1.1, 0.7]}, tmp_path / "c.png")
    ticks = figures[0].axes[0].get_xticks()
    assert len(ticks) >= 2 and np.all(ticks == np.round(ticks))  # not 1.25, 1.5, ...
    plots.learning_curves({"loss": [1.0], "val_loss": [1.1]}, tmp_path / "one.png")
    axis = figures[1].axes[0]  # one epoch: ticks were 0.945, 0.960, ... around the one point
    visible = [t for t in axis.get_xticks() if axis.get_xlim()[0] <= t <= axis.get_xlim()[1]]
    assert visible == [1.0]


def test_gradient_plot_notes_nan_gradients(tmp_path, notes, monkeypatch):
    monkeypatch.setattr(
        plots.zoo_inspect, "gradient_through_time", lambda m, x, y: np.array([1.0, 0.0, np.nan])
    )
    ds = tf.data.Dataset.from_tensors((np.ones((1, 3, 1), "f"), np.ones((1, 1), "f")))
    plots.gradient_through_time(None, ds, tmp_path / "g.png", title="t")
    assert notes == [
        "1 steps with a gradient of exactly 0 (not drawn); 1 steps with a NaN or inf gradient "
        "(not drawn)"
    ]


def test_attention_heatmaps_count_is_checked(tmp_path):
    model = zoo.models.seq2seq("ab", "ab", units=4, seed=0)
    with pytest.raises(ValueError, match="count must be a positive int, got 0"):
        plots.attention_heatmaps(model, None, tmp_path / "a.png", count=0)


def test_attention_heatmaps_name_an_unbatched_dataset(tmp_path):
    # Single examples failed in the vocabulary: "'numpy.int32' object is not iterable".
    model = zoo.models.seq2seq("0123456789+", "0123456789", units=4, seed=0)
    fn = zoo.models.make_seq2seq_examples("0123456789+", "0123456789")
    ds = tf.data.Dataset.from_tensor_slices((["1+2", "30+4"], ["3", "34"])).map(fn)
    with pytest.raises(ValueError, match=r"single examples \(source of shape \(\d+,\)\), not "):
        plots.attention_heatmaps(model, ds, tmp_path / "a.png", count=2)


def test_attention_heatmaps_of_a_model_without_attention_list_its_translations(
    tmp_path, monkeypatch
):
    # attention_scores refused a model built with attention=None, so a recipe run with
    # --set attention=None trained, then failed in its plot, never writing metrics.json.
    fn = zoo.models.make_seq2seq_examples("0123456789+", "0123456789")
    ds = tf.data.Dataset.from_tensor_slices((["1+2", "30+4"], ["3", "34"])).map(fn).padded_batch(2)
    texts = []
    real_text, real_title = plots.plt.Axes.text, plots.plt.Axes.set_title
    monkeypatch.setattr(
        plots.plt.Axes, "text", lambda ax, *a, **k: texts.append(a[2]) or real_text(ax, *a, **k)
    )
    monkeypatch.setattr(
        plots.plt.Axes,
        "set_title",
        lambda ax, t, **k: texts.append(t) or real_title(ax, t, **k),
    )
    plain = zoo.models.seq2seq("0123456789+", "0123456789", units=4, attention=None, seed=0)
    outputs = plain.translate(["1+2", "30+4"])
    path = plots.attention_heatmaps(plain, ds, tmp_path / "plain.png")
    assert (tmp_path / "plain.png").stat().st_size > 0 and path.endswith("plain.png")
    lines = texts[0].split("\n")
    for line, src, out, ref in zip(lines, ["1+2", "30+4"], outputs, ["3", "34"], strict=True):
        assert line.startswith(f"{src} → {out}") and (out == ref) != (f"(reference {ref})" in line)
    texts.clear()
    attending = zoo.models.seq2seq("0123456789+", "0123456789", units=4, seed=0)
    outputs = attending.translate(["1+2", "30+4"])  # untrained: wrong, so the reference shows
    plots.attention_heatmaps(attending, ds, tmp_path / "attention.png")
    assert texts == [
        f"1+2 → {outputs[0]}" + ("" if outputs[0] == "3" else "\n(reference 3)"),
        f"30+4 → {outputs[1]}" + ("" if outputs[1] == "34" else "\n(reference 34)"),
    ]


def test_a_reference_with_an_unknown_token_is_not_marked_right(tmp_path, monkeypatch):
    # The reference "3x" (x unknown) was decoded as "3" and counted right beside a "3".
    model = zoo.models.seq2seq("0123456789+", "0123456789", units=4, attention=None, seed=0)
    monkeypatch.setattr(model, "translate_ids", lambda ids, *a: [[model.target_vocab.ids["3"]]])
    fn = zoo.models.make_seq2seq_examples("0123456789+", "0123456789")
    ds = tf.data.Dataset.from_tensor_slices((["1+2"], ["3x"])).map(fn).padded_batch(1)
    titles = []
    real = plots.plt.Figure.suptitle
    monkeypatch.setattr(
        plots.plt.Figure, "suptitle", lambda fig, t, **k: titles.append(t) or real(fig, t, **k)
    )
    plots.attention_heatmaps(model, ds, tmp_path / "a.png")
    assert "(0 of 1 right" in titles[0]


_X = np.random.default_rng(0).normal(size=(4, 6, 2)).astype("float32")


def _recurrent(task, **kwargs):
    return zoo.models.gru(input_shape=(None, 2), task=task, units=3, seed=0, **kwargs)


# --- what the plots are given ---------------------------------------------------------------------


def test_learning_curves_take_the_history_fit_returns(tmp_path, monkeypatch):
    # learning_curves(model.fit(...)) failed: "TypeError: 'History' object is not iterable".
    model = _recurrent("regression")
    history = model.fit(_X, np.ones((4, 1)), epochs=2, verbose=0)
    figures = []
    monkeypatch.setattr(plots.plt, "close", figures.append)
    assert plots.learning_curves(history, tmp_path / "c.png") == str(tmp_path / "c.png")
    assert [ax.get_ylabel() for ax in figures[0].axes] == ["loss", "mae"]
    assert len(figures[0].axes[0].lines[0].get_xdata()) == 2
    plots.learning_curves({"loss": [0.5, None]}, tmp_path / "json.png")  # history.json's NaN


@pytest.mark.parametrize(
    "history, error, message",
    [
        ([1.0, 0.5], TypeError, "history must be {metric: [value per epoch]} or the keras History"),
        ({"loss": 1.0}, ValueError, "lists of numbers, one per epoch, got 'loss': 1.0."),
        ({"loss": ["a"]}, ValueError, "lists of numbers, one per epoch, got 'loss': ['a']."),
    ],
)
def test_learning_curves_name_a_history_they_cannot_draw(tmp_path, history, error, message):
    with pytest.raises(error, match=re.escape(message)):
        plots.learning_curves(history, tmp_path / "c.png")


def test_gradient_plot_names_an_empty_or_unbatched_dataset(tmp_path):
    # An empty dataset raised a bare StopIteration.
    model = _recurrent("regression")
    data = tf.data.Dataset.from_tensor_slices((_X, np.ones((4, 1), "float32")))
    with pytest.raises(ValueError, match=re.escape("dataset is empty: it must yield at least one")):
        plots.gradient_through_time(model, data.take(0), tmp_path / "g.png")
    with pytest.raises(ValueError, match=re.escape("batch it, e.g. dataset.batch(32)")):
        plots.gradient_through_time(model, data, tmp_path / "g.png")
    assert plots.gradient_through_time(model, data.batch(4), tmp_path / "g.png").endswith("g.png")


def test_attention_heatmaps_name_a_model_that_is_not_seq2seq(tmp_path):
    # A GRU failed with "Only integers, slices (`:`) ... are valid indices, got 'source'".
    data = tf.data.Dataset.from_tensors((_X, np.ones((4, 1), "float32")))
    with pytest.raises(TypeError, match=r"plots a seq2seq model .* got model 'gru', a Recurrent"):
        plots.attention_heatmaps(_recurrent("regression"), data, tmp_path / "a.png")
    seq2seq = zoo.models.seq2seq("ab", "ab", units=4, seed=0)
    with pytest.raises(ValueError, match=r"must yield batches of \(\{'source'.* got x of type"):
        plots.attention_heatmaps(seq2seq, data, tmp_path / "a.png")
