import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.helpers import run_model_checks
from zoo import decoding
from zoo.losses import MaskedSequenceCrossentropy
from zoo.models.seq2seq import END, START, Seq2Seq, make_seq2seq_examples

SRC, TGT = "0123456789+", "0123456789"
SOURCES = ["1+2", "30+4", "999+1", "7"]
TARGETS = ["3", "34", "1000", "7"]


def _model(**kwargs):
    kwargs = {"units": 6, "embedding_dim": 4, "seed": 0, "max_target_length": 6, **kwargs}
    return zoo.models.seq2seq(SRC, TGT, **kwargs)


def _xy(model, sources=SOURCES, targets=TARGETS):
    t_in, t_out = model.encode_targets(targets)
    return {"source": model.encode_sources(sources), "target_in": t_in}, t_out


def test_run_model_checks_graph(tmp_path):
    model = _model(attention="bahdanau", bidirectional_encoder=True)
    x, y = _xy(model)
    run_model_checks(model, x, y, tmp_path)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(attention="luong", num_layers=2),
        dict(attention=None, cell="gru"),
        dict(attention="luong", cell="gru", bidirectional_encoder=True),
    ],
)
def test_run_model_checks_eager(tmp_path, kwargs):
    model = _model(**kwargs)
    x, y = _xy(model)
    run_model_checks(model, x, y, tmp_path, run_eagerly=True)


@pytest.mark.parametrize(
    "kwargs",
    [
        dict(attention="luong", num_layers=2),
        dict(attention="bahdanau", bidirectional_encoder=True),
        dict(attention=None, cell="gru", bidirectional_encoder=True),
    ],
)
def test_step_by_step_decoding_matches_teacher_forcing(kwargs):
    # Running the target one token at a time, carrying the state, gives the logits of the
    # whole-sequence (training) graph: the decoder never re-runs its prefix.
    model = _model(**kwargs)
    x, _ = _xy(model)
    full = np.asarray(model(x))
    state = model._encode(x["source"])
    for t in range(x["target_in"].shape[1]):
        logits, _, new_states = model._decode(x["target_in"][:, t : t + 1], state)
        state = {**state, "states": new_states}
        real = x["target_in"][:, t] != 0
        np.testing.assert_allclose(logits[real, 0], full[real, t], atol=1e-5)


def test_masking_padding_to_two_lengths_gives_the_same_loss():
    model = _model()
    x, y = _xy(model)
    loss = MaskedSequenceCrossentropy()
    short = float(loss(y, model(x)))
    x_long = {k: np.pad(v, ((0, 0), (0, 4))) for k, v in x.items()}
    y_long = np.pad(y, ((0, 0), (0, 4)))
    assert float(loss(y_long, model(x_long))) == pytest.approx(short, rel=1e-5)
    assert model.evaluate(x_long, y_long, verbose=0)[0] == pytest.approx(short, rel=1e-4)


def test_beam_width_one_equals_greedy():
    model = _model(attention="bahdanau", seed=3)
    ids = model.encode_sources(SOURCES)
    state = model._encode(ids)
    greedy = decoding.greedy_search(model._step, state, START, END, 6)
    beam = decoding.beam_search(model._step, state, START, END, 6, beam_width=1)
    assert beam == greedy
    assert model.translate(SOURCES, beam_width=1) == [model.target_vocab.decode(g) for g in greedy]


def test_save_load_then_translate_gives_the_same_output(tmp_path):
    model = _model(attention="luong", seed=1)
    x, y = _xy(model)
    model.run_eagerly = True  # tracing a training step costs more than two eager steps
    model.fit(x, y, epochs=2, verbose=0)
    path = tmp_path / "s2s.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert isinstance(loaded, Seq2Seq)
    assert loaded.get_config() == model.get_config()
    for beam_width in (1, 3):
        assert loaded.translate(SOURCES, beam_width=beam_width) == model.translate(
            SOURCES, beam_width=beam_width
        )


@pytest.mark.slow
def test_learns_to_copy():
    # A copy task a small attention model learns in a few seconds: decoding really works.
    rng = np.random.default_rng(0)
    words = ["".join(rng.choice(list("0123"), size=rng.integers(1, 4))) for _ in range(256)]
    model = zoo.models.seq2seq(
        "0123", "0123", units=32, embedding_dim=8, learning_rate=1e-2, seed=0,
        max_target_length=5,
    )  # fmt: skip
    x, y = _xy(model, words, words)
    model.fit(x, y, batch_size=32, epochs=12, verbose=0)
    out = model.translate(words[:50])
    assert np.mean([a == b for a, b in zip(out, words[:50], strict=True)]) > 0.8
    ds = tf.data.Dataset.from_tensor_slices((words[:50], words[:50]))
    fn = make_seq2seq_examples("0123", "0123", max_target_length=5)
    score = model.exact_match(ds.map(fn).padded_batch(16))
    assert score["examples"] == 50
    assert score["exact_match"] == pytest.approx(
        np.mean([a == b for a, b in zip(out, words[:50], strict=True)])
    )


def test_examples_match_the_model_encoding():
    model = _model()
    fn = make_seq2seq_examples(SRC, TGT)
    x, y = _xy(model, SOURCES[:1], TARGETS[:1])
    tx, ty = fn(tf.constant(SOURCES[0]), tf.constant(TARGETS[0]))
    assert tx["source"].numpy().tolist() == x["source"][0].tolist()
    assert tx["target_in"].numpy().tolist() == x["target_in"][0].tolist()
    assert ty.numpy().tolist() == y[0].tolist()


def test_attention_scores_are_distributions_over_the_source():
    model = _model(attention="bahdanau")
    (scores,) = model.attention_scores(["30+4"], ["34"])
    assert scores.shape == (3, 4)
    np.testing.assert_allclose(scores.sum(-1), 1.0, atol=1e-5)
    # From ids, an unknown source token (id 1) keeps its column: what the model read.
    ids = model.encode_sources(["3x0+4"])
    assert 1 in ids[0].tolist()
    (from_ids,) = model.attention_scores(ids, ["34"])
    assert from_ids.shape == (3, 5)
    (from_tensor,) = model.attention_scores(tf.constant(ids), ["34"])
    np.testing.assert_array_equal(from_tensor, from_ids)


def test_attention_heatmaps_label_unknown_source_tokens(tmp_path, monkeypatch):
    from zoo import plots

    model = _model(attention="luong")
    fn = make_seq2seq_examples(SRC, TGT)
    ds = tf.data.Dataset.from_tensor_slices((["3x0+4"], ["34"])).map(fn).padded_batch(1)
    ticks = []
    real = plots.plt.Axes.set_xticks
    monkeypatch.setattr(
        plots.plt.Axes,
        "set_xticks",
        lambda ax, t, labels=None, **k: ticks.append(labels) or real(ax, t, labels, **k),
    )
    plots.attention_heatmaps(model, ds, tmp_path / "a.png", count=1)
    assert ticks == [["3", "?", "0", "+", "4"]]


def test_learning_curves_plot_validation_only_metrics_and_survive_an_empty_history(
    tmp_path, monkeypatch
):
    from zoo import plots

    panels = []
    real = plots.plt.subplots
    monkeypatch.setattr(plots.plt, "subplots", lambda *a, **k: panels.append(a[1]) or real(*a, **k))
    history = {"loss": [1.0, 0.5], "val_loss": [1.2, 0.6], "val_cer": [0.3, 0.2, 0.1]}
    plots.learning_curves(history, tmp_path / "a.png")
    plots.learning_curves({}, tmp_path / "b.png")
    assert panels == [2, 1] and (tmp_path / "b.png").exists()


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(source_vocabulary=[]), ValueError, "source_vocabulary must hold at least one token"),
        (dict(target_vocabulary=""), ValueError, "target_vocabulary must hold at least one token"),
        (dict(target_vocabulary="aa"), ValueError, r"distinct tokens, got duplicates \['a'\]"),
        (dict(source_vocabulary=None), ValueError, "needs source_vocabulary"),
        (dict(attention="dot"), ValueError, "attention must be one of"),
        (dict(cell="rnn"), ValueError, "cell must be one of"),
        (dict(units=0), ValueError, "units must be a positive int, got 0"),
        (dict(max_target_length=0), ValueError, "max_target_length must be a positive int"),
        (dict(task="tagging"), ValueError, "task must be one of 'seq2seq', got 'tagging'"),
        (dict(bidirectional_encoder=1), TypeError, "bidirectional_encoder must be True or False"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    kwargs = {"source_vocabulary": SRC, "target_vocabulary": TGT, **kwargs}
    with pytest.raises(error, match=match):
        zoo.models.seq2seq(**kwargs)


def test_bad_translate_inputs():
    model = _model()
    with pytest.raises(ValueError, match="max_length must be a positive int, got 0"):
        model.translate(["1+2"], max_length=0)
    with pytest.raises(ValueError, match="beam_width must be a positive int, got 0"):
        model.translate(["1+2"], beam_width=0)
    with pytest.raises(TypeError, match="sources must be a list of strings"):
        model.translate("1+2")
    with pytest.raises(ValueError, match="more than the decoder's max_target_length=6"):
        model.encode_targets(["1234567"])  # 7 tokens
    fn = make_seq2seq_examples(SRC, TGT, max_target_length=3)
    with pytest.raises(ValueError, match="has 4 tokens, more than max_target_length=3"):
        fn(tf.constant("1+2"), tf.constant("1234"))
    fn(tf.constant("1+2"), tf.constant("123"))  # 3 tokens: allowed


def test_word_level_vocabularies_translate_words(tmp_path):
    # split="whitespace": every word is one token, in the model, in tf.data and in translate.
    src_words = ["one", "two", "three", "plus"]
    tgt_words = ["1", "2", "3", "4", "5", "6"]
    model = zoo.models.seq2seq(
        src_words, tgt_words, split="whitespace", units=6, embedding_dim=4, seed=0,
        max_target_length=3, attention="luong",
    )  # fmt: skip
    sources, targets = ["one plus two", "three plus three", "two"], ["3", "6", "2"]
    x, y = _xy(model, sources, targets)
    assert x["source"].shape == (3, 3)  # words, not characters
    assert model.encode_sources(["two  plus   eleven"]).tolist() == [
        [model.source_vocab.ids["two"], model.source_vocab.ids["plus"], 1]  # OOV word -> 1
    ]
    fn = make_seq2seq_examples(src_words, tgt_words, split="whitespace", max_target_length=3)
    tx, ty = fn(tf.constant(sources[0]), tf.constant(targets[0]))
    assert tx["source"].numpy().tolist() == x["source"][0].tolist()
    assert ty.numpy().tolist() == y[0].tolist()
    with pytest.raises(ValueError, match="max_target_length=3"):
        model.encode_targets(["1 2 3 4"])
    model.run_eagerly = True
    model.fit(x, y, epochs=2, verbose=0)
    out = model.translate(sources, max_length=3)
    assert all(set(t.split()) <= set(tgt_words) and "  " not in t for t in out)
    model.save(tmp_path / "words.keras")
    loaded = keras.models.load_model(tmp_path / "words.keras", safe_mode=True)
    assert loaded.get_config()["split"] == "whitespace"
    assert loaded.translate(sources, max_length=3) == out


def test_words_split_alike_in_python_and_tf_data():
    from zoo.models.vocabulary import Vocabulary

    vocab = Vocabulary(["le", "chat", "noir"], split="whitespace")
    lookup = vocab.lookup()
    for text in ["le chat", " le\tchat\nnoir ", "le\u00a0chat", "le\u2003chat\u3000noir", "le\x1c"]:
        in_tf = lookup(vocab.tf_split(tf.constant(text))).numpy().tolist()
        assert vocab.encode(text) == in_tf, text


def test_empty_sources_are_padded_rows_as_in_training():
    model = _model()
    assert model.encode_sources(["", "1"]).tolist() == [[0], [3]]
    assert model.encode_sources([""]).tolist() == [[0]]
    assert len(model.translate(["", "1+2"])) == 2
    assert model.translate_ids(np.zeros((2, 0), "int32"), max_length=2) == model.translate_ids(
        np.zeros((2, 1), "int32"), max_length=2
    )
    assert model.translate_ids(np.zeros((0, 3), "int32")) == []
    assert model.translate([]) == [] and model.encode_sources([]).shape == (0, 1)


def test_one_token_sources_translate_without_keras_warnings():
    import warnings

    model = _model(attention="luong")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        model.translate(["1", "2"], max_length=2)


def test_bad_ids_and_targets_are_named():
    model = _model()
    with pytest.raises(TypeError, match="source_ids must hold integer ids, got dtype float64"):
        model.translate_ids(np.ones((1, 2)))
    with pytest.raises(ValueError, match=r"source_ids must be ids in \[0, 13\) .* got 99"):
        model.translate_ids(np.array([[3, 99]]))
    with pytest.raises(TypeError, match="targets must be a list of strings, got '12'"):
        model.encode_targets("12")
    match = r"targets\[0\] holds tokens outside the model's target vocabulary: \['a'\]"
    with pytest.raises(ValueError, match=match):  # was silently the unknown id
        model.attention_scores(["1+2"], ["a"])
    with pytest.raises(ValueError, match=r"sources must be ids in \[0, 13\) .* got 99"):
        model.attention_scores(np.array([[3, 99]]), ["3"])
    # float ids were told "sources must be a list of strings"
    with pytest.raises(TypeError, match=r"sources must hold integer ids, got dtype float64"):
        model.attention_scores(np.array([[3.0, 4.0]]), ["3"])
    with pytest.raises(ValueError, match=r"rows padded with 0 to one length"):
        model.translate_ids([[3, 4], [5]])
    with pytest.raises(ValueError, match=r"length_penalty must be in \[0, 10\]"):
        model.translate(["1+2"], beam_width=2, length_penalty=1000.0)


def test_targets_longer_than_the_decoding_limit_are_refused_not_scored():
    model = _model(max_target_length=3)
    fn = make_seq2seq_examples(SRC, TGT)
    ds = tf.data.Dataset.from_tensor_slices((SOURCES, TARGETS)).map(fn).padded_batch(2)
    with pytest.raises(ValueError, match="target of 4 tokens, more than max_target_length=3"):
        model.check_target_lengths(ds)
    with pytest.raises(ValueError, match="target of 4 tokens, more than max_target_length=3"):
        model.exact_match(ds)
    with pytest.raises(ValueError, match="target of 2 tokens, more than max_length=1"):
        model.exact_match(ds, max_length=1)
    _model(max_target_length=4).check_target_lengths(ds)
    assert model.exact_match(ds.take(1))["examples"] == 2


def test_scoring_names_data_that_is_not_batches_of_ids():
    model = _model()
    fn = make_seq2seq_examples(SRC, TGT)
    ds = tf.data.Dataset.from_tensor_slices((SOURCES, TARGETS)).map(fn)
    with pytest.raises(ValueError, match=r"got shape \(\d+,\): batch the dataset"):
        model.exact_match(ds)
    with pytest.raises(TypeError, match=r"exact_match takes a tf.data.Dataset of batches"):
        model.exact_match([("1+2", "3")])
    with pytest.raises(TypeError, match=r"check_target_lengths takes a tf.data.Dataset"):
        model.check_target_lengths([1, 2])
    with pytest.raises(ValueError, match=r"max_length must be a positive int, got 0"):
        model.exact_match(ds.padded_batch(2), max_length=0)


@pytest.mark.parametrize(
    "kwargs",
    [dict(bidirectional_encoder=True, attention="luong"), dict(attention="bahdanau")],
)
def test_a_seed_fixes_every_weight(kwargs):
    # The bridge and memory layers and AdditiveAttention's scale are seeded like the rest.
    a, b = _model(**kwargs), _model(**kwargs)
    for w, x, y in zip(a.weights, a.get_weights(), b.get_weights(), strict=True):
        np.testing.assert_array_equal(x, y, err_msg=w.path)


def test_a_literal_special_token_in_text_is_unknown_in_python_and_tf_data():
    words = ["a", "b"]
    model = zoo.models.seq2seq(["x"], words, split="whitespace", units=4, seed=0)
    fn = make_seq2seq_examples(["x"], words, split="whitespace")
    for text in ["a [END] b", "[START] a", "[UNK] b"]:
        x, y = fn(tf.constant("x"), tf.constant(text))
        t_in, t_out = model.encode_targets([text])
        assert y.numpy().tolist() == t_out[0].tolist(), text
        assert x["target_in"].numpy().tolist() == t_in[0].tolist(), text
        assert 1 in t_out[0] and START not in t_out[0, :-1] and END not in t_out[0, :-1]


def test_translate_refuses_sources_outside_the_vocabulary():
    model = _model()
    with pytest.raises(ValueError, match=r"sources\[1\] holds tokens outside the model's source"):
        model.translate(["1+2", "1-2x"])
    with pytest.raises(ValueError, match=r"\['-', 'x'\] in '1-2x' \(the vocabulary is '0123"):
        model.translate(["1-2x"])
    words = zoo.models.seq2seq(["le", "chat"], ["the"], split="whitespace", units=4, seed=0)
    with pytest.raises(ValueError, match=r"\['rouge'\] in 'le chat rouge' \(model.source_vocab"):
        words.translate(["le chat rouge"])
    # translate_ids reads them as the unknown id, as training's tf.data does
    assert len(model.translate_ids(model.encode_sources(["1-2x"]))) == 1


def test_translate_forwards_length_penalty_to_beam_search():
    model = _model(attention="bahdanau")
    ids = model.encode_sources(SOURCES)
    for penalty in (0.0, 1.0, 3.0):
        expected = model.translate_ids(ids, 6, beam_width=3, length_penalty=penalty)
        got = model.translate(SOURCES, beam_width=3, length_penalty=penalty)
        assert got == [model.target_vocab.decode(t) for t in expected]
    with pytest.raises(ValueError, match="length_penalty must be"):
        model.translate(SOURCES, beam_width=3, length_penalty=-1.0)


def test_attention_scores_refuses_unpaired_sources_and_targets():
    model = _model()
    match = "must pair up one to one, got 2 sources and 1 targets"
    with pytest.raises(ValueError, match=match):
        model.attention_scores(["1+2", "3"], ["3"])
    with pytest.raises(ValueError, match=match):
        model.attention_scores(model.encode_sources(["1+2", "3"]), ["3"])
    with pytest.raises(ValueError, match="got 1 sources and 2 targets"):
        model.attention_scores(["1+2"], ["3", "4"])


def test_vocabulary_decode_names_an_id_out_of_range():
    from zoo.models.vocabulary import Vocabulary

    vocab = Vocabulary("ab", name="target_vocabulary")
    assert vocab.decode([2, 3, 0, 1]) == "ab" and vocab.decode(np.array([3, 2])) == "ba"
    with pytest.raises(
        ValueError, match=r"ids must be in \[0, 4\) \(target_vocabulary's ids\), got 9"
    ):
        vocab.decode([2, 9])
    with pytest.raises(ValueError, match=r"got -1 \(and 1 more\)"):
        vocab.decode([-1, 4])


def test_fit_names_strings_and_ids_outside_the_vocabularies():
    # Strings gave Keras's "Unrecognized data type"; ids past a vocabulary failed in a gather.
    m = zoo.models.seq2seq("0123456789+", "0123456789", units=4, seed=0)
    src = m.encode_sources(["1+2", "3+4"])
    t_in, t_out = m.encode_targets(["3", "7"])
    m.fit({"source": src, "target_in": t_in}, t_out, epochs=1, verbose=0)
    with pytest.raises(TypeError, match=r"got strings: t_in, t_out = model.encode_targets"):
        m.fit(np.array(["1+2"]), np.array(["3"]))
    with pytest.raises(ValueError, match=r"x\['source'\] must hold token ids in \[0, 13\)"):
        m.fit({"source": src + 20, "target_in": t_in}, t_out, verbose=0)
    with pytest.raises(ValueError, match=r"y must hold target token ids in \[0, 14\), got -2"):
        m.evaluate({"source": src, "target_in": t_in}, t_out - 5, verbose=0)
    with pytest.raises(TypeError, match=r"got keys \['src'\] \(missing \['source'"):
        m.fit({"src": src}, t_out, validation_data=({"src": src}, t_out))
    with pytest.raises(ValueError, match=r"validation_data\[0\]\['target_in'\] must hold token"):
        m.fit({"source": src, "target_in": t_in}, t_out, verbose=0,
              validation_data=({"source": src, "target_in": t_in + 30}, t_out))  # fmt: skip
    ignoring = zoo.models.seq2seq("0123456789+", "0123456789", units=4, seed=0)
    ignoring.compile("adam", keras.losses.SparseCategoricalCrossentropy(True, ignore_class=-1))
    ignoring.fit({"source": src, "target_in": t_in}, np.where(t_out == 0, -1, t_out), verbose=0)
