import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.helpers import run_model_checks
from zoo.models.char_lm import CharLM, make_char_lm_examples

VOCAB = "abc "
TEXTS = ["abc abc", "cab", "a b c", "bbc a"]


def _model(**kwargs):
    kwargs = {"units": 6, "embedding_dim": 4, "seed": 0, **kwargs}
    return zoo.models.char_lm(VOCAB, **kwargs)


def _xy(model, texts=TEXTS):
    ids = model.encode(texts)
    return ids[:, :-1], ids[:, 1:]


def test_run_model_checks_graph(tmp_path):
    model = _model()
    run_model_checks(model, *_xy(model), tmp_path=tmp_path)


def test_run_model_checks_eager_gru(tmp_path):
    model = _model(cell="gru", num_layers=1)
    run_model_checks(model, *_xy(model), tmp_path=tmp_path, run_eagerly=True)


@pytest.mark.parametrize("cell", ["lstm", "gru"])
def test_carried_state_equals_rerunning_the_prefix(cell):
    model = _model(cell=cell, num_layers=2)
    ids = model.encode(["abcab ca"])
    full = np.asarray(model(ids))
    logits, states = model._run(ids[:, :3], None)
    np.testing.assert_allclose(logits, full[:, 2], atol=1e-5)
    for t in range(3, ids.shape[1]):
        logits, states = model._run(ids[:, t : t + 1], states)
        np.testing.assert_allclose(logits, full[:, t], atol=1e-5)


def test_seeded_sampling_is_reproducible_and_varies_with_the_seed():
    model = _model()
    a = model.generate("ab", 15, temperature=1.5, seed=4)
    assert a == model.generate("ab", 15, temperature=1.5, seed=4)
    assert a.startswith("ab") and len(a) == 17 and set(a) <= set(VOCAB)
    others = {model.generate("ab", 15, temperature=1.5, seed=s) for s in range(3)}
    assert len(others) > 1
    # top_k=1 is greedy, whatever the seed
    assert model.generate("ab", 10, top_k=1, seed=1) == model.generate("ab", 10, top_k=1, seed=2)


def test_save_load_then_generate_gives_the_same_text(tmp_path):
    model = _model()
    model.run_eagerly = True  # tracing a training step costs more than two eager steps
    model.fit(*_xy(model), epochs=2, verbose=0)
    path = tmp_path / "lm.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert isinstance(loaded, CharLM) and loaded.get_config() == model.get_config()
    assert loaded.generate("ca", 20, top_k=3, seed=7) == model.generate("ca", 20, top_k=3, seed=7)


@pytest.mark.slow
def test_learns_a_repeating_text_and_reports_bits_per_character():
    text = "abc " * 40
    fn = make_char_lm_examples(VOCAB)
    windows = [text[i : i + 13] for i in range(0, 120, 3)]
    ds = tf.data.Dataset.from_tensor_slices(windows).map(fn).batch(8)
    model = zoo.models.char_lm(VOCAB, units=16, num_layers=1, learning_rate=2e-2, seed=0)
    before = model.evaluate(ds, return_dict=True, verbose=0)
    assert before["bits_per_character"] == pytest.approx(np.log2(6), abs=0.2)  # near uniform
    assert before["perplexity"] == pytest.approx(2 ** before["bits_per_character"], rel=1e-4)
    model.fit(ds, epochs=15, verbose=0, shuffle=False)
    after = model.evaluate(ds, return_dict=True, verbose=0)
    assert after["bits_per_character"] < 0.2
    assert model.generate("ab", 8, temperature=0.5, seed=0) == "abc abc ab"


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(temperature=0), ValueError, "temperature must be a finite float > 0, got 0"),
        (dict(temperature=-0.5), ValueError, "temperature must be a finite float > 0, got -0.5"),
        (dict(top_k=0), ValueError, "top_k must be a positive int, got 0"),
        (dict(length=0), ValueError, "length must be a positive int, got 0"),
        (dict(prompt="abz!"), ValueError, r"outside the model's vocabulary: \['z', '!'\]"),
        (dict(prompt=""), ValueError, "prompt must hold at least one token"),
        (dict(prompt=3), TypeError, "prompt must be a string, got 3"),
    ],
)
def test_bad_generate_inputs(kwargs, error, match):
    model = _model()
    kwargs = {"prompt": "ab", "length": 3, **kwargs}
    with pytest.raises(error, match=match):
        model.generate(**kwargs)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(vocabulary=""), ValueError, "vocabulary must hold at least one token"),
        (dict(vocabulary=None), ValueError, "char_lm needs vocabulary"),
        (dict(cell="lstmm"), ValueError, "Did you mean 'lstm'"),
        (dict(num_layers=0), ValueError, "num_layers must be a positive int, got 0"),
        (dict(dropout=1.0), ValueError, r"dropout must be in \[0, 1\), got 1.0"),
        (dict(task="seq2seq"), ValueError, "task must be one of 'language_model'"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    kwargs = {"vocabulary": VOCAB, **kwargs}
    with pytest.raises(error, match=match):
        zoo.models.char_lm(**kwargs)


def test_fit_names_texts_and_ids_outside_the_vocabulary():
    model = zoo.models.char_lm("abc", units=4)
    with pytest.raises(TypeError, match=r"x must be token ids \(batch, T\), got strings"):
        model.fit(["abc"], ["bca"], verbose=0)
    with pytest.raises(ValueError, match=r"x must be ids in \[0, 5\) .*got 30"):
        model.fit(np.array([[2, 30]]), np.array([[3, 2]]), verbose=0)
    with pytest.raises(ValueError, match=r"y must be token ids \(batch, T\), got shape \(1,\)"):
        model.fit(np.array([[2, 3]]), np.array([3]), verbose=0)
    good, bad = np.array([[2, 3]]), np.array([[2, 30]])
    with pytest.raises(ValueError, match=r"validation_data\[0\] must be ids in \[0, 5\) .*got 30"):
        model.fit(good, good, validation_data=(bad, good), verbose=0)
    with pytest.raises(ValueError, match=r"x must be ids in \[0, 5\) .*got -5"):
        model.evaluate(good - 7, good, verbose=0)  # Keras embedded negative ids as zeros
    with pytest.raises(ValueError, match=r"y must be ids in \[0, 5\) .*got 30"):
        model.evaluate(good, bad, verbose=0)
    with pytest.raises(ValueError, match=r"x must be ids in \[0, 5\) .*got 30"):
        model.predict(bad, verbose=0)  # Keras: an InvalidArgumentError from the embedding


def test_predict_on_batch_and_empty_arrays_are_checked():
    # (predict_on_batch failed in a GatherV2; no example or no step: UnboundLocalError, a
    # TensorArray error, or fit returning an empty history)
    model = zoo.models.char_lm("abc", units=4)
    ids = np.array([[2, 3, 4]])
    with pytest.raises(ValueError, match=r"x must be ids in \[0, 5\) .*got 30"):
        model.predict_on_batch(ids + 28)
    assert model.predict_on_batch(ids).shape == (1, 3, 5)
    with pytest.raises(ValueError, match=r"x holds no examples \(shape \(0, 3\)\)"):
        model.predict(ids[:0], verbose=0)
    with pytest.raises(ValueError, match=r"x holds no examples"):
        model.fit(ids[:0], ids[:0], verbose=0)
    with pytest.raises(ValueError, match=r"x has no time steps \(shape \(1, 0\)\)"):
        model.fit(ids[:, :0], ids[:, :0], verbose=0)


def test_encode_refuses_a_bare_string():
    with pytest.raises(TypeError, match="texts must be a list of strings, got 'ab'"):
        zoo.models.char_lm("abc", units=4).encode("ab")


def test_word_generation_joins_words_with_one_space_after_any_prompt():
    model = zoo.models.char_lm(["the", "cat", "sat"], split="whitespace", units=4, seed=0)
    plain = model.generate("the cat", 3, seed=0)
    words = plain.split(" ")
    assert len(words) == 5 and all(words)
    assert model.generate("the cat ", 3, seed=0) == "the cat " + " ".join(words[2:])
    assert model.generate("the cat\n", 3, seed=0) == "the cat\n" + " ".join(words[2:])


def test_fit_names_missing_or_misaligned_targets():
    model = zoo.models.char_lm("abc", units=4, num_layers=1)
    ids = model.encode(["abcab", "bca"])
    # Keras: "None values not supported."
    with pytest.raises(ValueError, match=r"y is needed with x of ids: .*y = ids\[:, 1:\]"):
        model.fit(ids[:, :-1], verbose=0)
    with pytest.raises(ValueError, match=r"y is needed"):
        model.evaluate(ids[:, :-1], verbose=0)
    # Keras: a graph InvalidArgumentError from the loss.
    match = r"y must have x's shape \(one next token per step\), got x \(2, 4\) and y \(2, 3\)"
    with pytest.raises(ValueError, match=match):
        model.fit(ids[:, :-1], ids[:, 2:], verbose=0)
    with pytest.raises(ValueError, match=r"validation_data\[1\] must have validation_data\[0\]'s"):
        model.fit(ids[:, :-1], ids[:, 1:], validation_data=(ids[:, :-1], ids[:, 2:]), verbose=0)


def test_class_weight_weighs_each_target_token_by_its_own_class():
    # Keras read each row of next-token ids as one one-hot label and weighed the whole
    # sequence by a single class's weight.
    lm = zoo.models.char_lm("abc", units=4, seed=0, learning_rate=1e-12)
    ids = lm.encode(["abcab", "ca"])
    x, y = ids[:, :-1], ids[:, 1:]
    logits = lm.predict(x, verbose=0)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    ce = -np.take_along_axis(log_probs, y[..., None], -1)[..., 0]
    real, weight = y != 0, np.where(y == 3, 10.0, 1.0)
    loss = lm.fit(x, y, class_weight={3: 10.0}, batch_size=8, verbose=0).history["loss"][0]
    assert loss == pytest.approx((ce * weight * real).sum() / real.sum(), rel=1e-5)
    with pytest.raises(ValueError, match=r"class_weight must map class ids \(ints in \[0, 5\)\)"):
        lm.fit(x, y, class_weight={9: 1.0}, verbose=0)
