"""`Seq2Seq`'s checks of what `fit`, `evaluate`, `predict` and its scoring methods are given."""

import warnings

import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.models.seq2seq import make_seq2seq_examples

SRC, TGT = "0123456789+", "0123456789"


@pytest.fixture(scope="module")
def model():
    return zoo.models.seq2seq(SRC, TGT, units=4, embedding_dim=4, seed=0, max_target_length=4)


def _xy(model, sources=("1+2", "30+4"), targets=("3", "34")):
    t_in, t_out = model.encode_targets(list(targets))
    return {"source": model.encode_sources(list(sources)), "target_in": t_in}, t_out


def test_predict_refuses_ids_outside_the_vocabularies(model):
    # A source id of -1 predicted as id 12 ('+'), target_in of -9 passed, and ids past the
    # vocabulary failed in a GatherV2 ("Graph execution error").
    x, _ = _xy(model)
    with pytest.raises(ValueError, match=r"x\['source'\] must hold token ids in \[0, 13\), got -1"):
        model.predict({**x, "source": np.array([[3, -1, 4], [3, 4, 5]])}, verbose=0)
    with pytest.raises(ValueError, match=r"x\['target_in'\] must hold token ids in \[0, 14\)"):
        model.predict({**x, "target_in": x["target_in"] - 9}, verbose=0)
    with pytest.raises(ValueError, match=r"x\['source'\] must hold token ids in \[0, 13\), got 10"):
        model.predict({**x, "source": x["source"] + 100}, verbose=0)
    with pytest.raises(ValueError, match=r"x\['source'\] must hold token ids in \[0, 13\)"):
        model.predict_on_batch({**x, "source": x["source"] - 20})
    assert model.predict(x, verbose=0).shape == (2, 3, 14)
    assert model.predict_on_batch(x).shape == (2, 3, 14)


def test_sources_and_targets_of_other_batch_sizes_or_no_example_are_refused(model):
    # (predict_on_batch stretched a batch of one to the other's size; predict failed in Keras's
    # adapter, 'str' object has no attribute 'shape'; no example: UnboundLocalError)
    x, y = _xy(model)
    one = {**x, "target_in": x["target_in"][:1]}
    match = r"x\['source'\] holds 2 sequences but x\['target_in'\] 1: give one target_in row"
    for call in (lambda: model.predict_on_batch(one), lambda: model.predict(one, verbose=0)):
        with pytest.raises(ValueError, match=match):
            call()
    empty = {k: v[:0] for k, v in x.items()}
    with pytest.raises(ValueError, match=r"x\['source'\] holds no examples \(shape \(0, 4\)\)"):
        model.predict(empty, verbose=0)
    with pytest.raises(ValueError, match=r"x\['source'\] holds no examples"):
        model.fit(empty, y[:0], verbose=0)  # (it returned an empty history)
    with pytest.raises(ValueError, match=r"x\['source'\] has no time steps \(shape \(2, 0\)\)"):
        model.predict({**x, "source": x["source"][:, :0]}, verbose=0)


def test_predict_on_strings_points_to_translate(model):
    # Keras: "Unrecognized data type: x=['1+2']".
    with pytest.raises(TypeError, match=r"got strings: .*model.translate\(sources\)"):
        model.predict(["1+2"], verbose=0)
    with pytest.raises(TypeError, match=r"got strings: .*model.translate\(sources\)"):
        model.predict_on_batch(np.array(["1+2"]))


def test_unknown_input_keys_are_named(model):
    # Keras warned of the structure, then failed on shapes ("must have the same shape").
    x, y = _xy(model)
    match = r"got keys \['foo', 'source', 'target_in'\] \(unknown \['foo'\]\)"
    with pytest.raises(TypeError, match=match):
        model.fit({**x, "foo": x["source"]}, y, verbose=0)
    with pytest.raises(TypeError, match=match):
        model.predict({**x, "foo": x["source"]}, verbose=0)


def test_targets_of_the_wrong_shape_say_what_y_is(model):
    x, y = _xy(model)
    hint = r"y is target_out, one id per step of x\['target_in'\]"
    # Keras: "Arguments `target` and `output` must have the same shape up until the last dim".
    with pytest.raises(ValueError, match=r"shape \(batch, 3\) .*got shape \(2, 1\)\..*" + hint):
        model.fit(x, y[:, :1], verbose=0)
    with pytest.raises(ValueError, match=r"got shape \(2, 6\)"):
        model.evaluate(x, np.pad(y, ((0, 0), (0, 3))), verbose=0)
    # Keras: "Argument `output` must have rank (ndim) `target.ndim - 1`".
    with pytest.raises(ValueError, match=r"It looks one-hot: give class ids, y.argmax\(-1\)"):
        model.fit(x, np.eye(14, dtype="int64")[y], verbose=0)


def test_fit_without_targets_says_y_is_needed(model):
    # Keras: "None values not supported."
    x, _ = _xy(model)
    with pytest.raises(ValueError, match=r"y is needed with x of arrays: target_out ids"):
        model.fit(x, verbose=0)
    with pytest.raises(ValueError, match=r"y is needed"):
        model.evaluate(x, verbose=0)


def test_attention_scores_refuses_sources_outside_the_vocabulary(model):
    # translate refused "1-2", attention_scores read '-' as the unknown id without a word.
    match = r"sources\[0\] holds tokens outside the model's source vocabulary: \['-'\]"
    with pytest.raises(ValueError, match=match + r".*attention_scores\(model.encode_sources"):
        model.attention_scores(["1-2"], ["3"])


def test_a_target_longer_than_the_examples_limit_is_named():
    # A raw tf.data InvalidArgumentError, its message buried, named neither the target nor
    # its source.
    fn = make_seq2seq_examples(SRC, TGT, max_target_length=3)
    match = r"target '10000' \(of source '99\+1'\) has 5 tokens, more than max_target_length=3"
    with pytest.raises(ValueError, match=match):
        fn(tf.constant("99+1"), tf.constant("10000"))  # eagerly
    ds = tf.data.Dataset.from_tensor_slices((["1+2", "99+1"], ["3", "10000"])).map(fn)
    raw = r"target \\'10000\\' \(of source \\'99\+1\\'\) has 5 tokens, more than max_target"
    with pytest.raises(tf.errors.InvalidArgumentError, match=raw):
        list(ds)  # in a map (a graph): the same words in TensorFlow's error, quotes escaped
    m = zoo.models.seq2seq(SRC, TGT, units=4, embedding_dim=4, seed=0, max_target_length=8)
    m.run_eagerly = True
    with pytest.raises(ValueError, match=match):  # fit gives the check's message alone
        m.fit(ds.padded_batch(2), verbose=0, shuffle=False)
    with pytest.raises(ValueError, match=match):
        m.check_target_lengths(ds.padded_batch(2))


def test_scoring_targets_with_unknown_tokens():
    # Decoding never produces the unknown id, so such a target was silently a miss.
    m = zoo.models.seq2seq(SRC, TGT, units=4, embedding_dim=4, seed=0, max_target_length=4)
    fn = make_seq2seq_examples(SRC, TGT)
    ds = tf.data.Dataset.from_tensor_slices((["1+2", "3+4"], ["3", "7a"])).map(fn).padded_batch(2)
    match = r"1 of 2 targets .*\(first: example 1 of batch 0, target '7\?', \? unknown\).*misses"
    with pytest.warns(UserWarning, match=match):  # (a run keeps its other scores)
        assert m.exact_match(ds)["examples"] == 2
    with pytest.warns(UserWarning, match=r"1 of 2 targets hold tokens outside the target vocab"):
        m.check_target_lengths(ds)
    clean = ds.unbatch().take(1).padded_batch(1)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        m.check_target_lengths(clean)
    assert m.exact_match(clean)["examples"] == 1


def test_targets_padded_with_the_losss_ignore_class_train():
    # The shape check read the ids again without the loss's ignore_class: -1 padding was refused.
    import keras

    m = zoo.models.seq2seq("0123456789+", "0123456789", units=4, seed=0)
    x = {"source": m.encode_sources(["1+2", "30+4"])}
    x["target_in"], y = m.encode_targets(["3", "34"])
    y = np.where(y == 0, -1, y)
    m.compile(
        optimizer="adam",
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True, ignore_class=-1),
    )
    assert np.isfinite(m.fit(x, y, epochs=1, verbose=0).history["loss"][0])


def test_ids_given_as_nested_lists_train_and_ragged_ones_are_named(model):
    # A dict of Python lists of ids got Keras's "Unrecognized data type".
    x = {"source": model.encode_sources(["1+2", "30+4"])}
    x["target_in"], y = model.encode_targets(["3", "34"])
    lists = {key: value.tolist() for key, value in x.items()}
    assert np.isfinite(model.fit(lists, y, verbose=0).history["loss"][0])
    np.testing.assert_array_equal(model.predict(lists, verbose=0), model.predict(x, verbose=0))
    with pytest.raises(ValueError, match=r"x\['source'\] is a ragged list of id lists; pad"):
        model.fit({"source": [[3, 4], [5]], "target_in": x["target_in"]}, y, verbose=0)
    # targets as lists too (Keras blamed x: "Unrecognized data type: x={...}")
    assert np.isfinite(model.fit(x, y.tolist(), verbose=0).history["loss"][0])
    assert np.isfinite(model.evaluate(x, y.tolist(), verbose=0)).all()
    with pytest.raises(ValueError, match=r"^y is a ragged list of id lists"):
        model.fit(x, [[3, 4], [5]], verbose=0)
    with pytest.raises(TypeError, match=r"^y must be ids, got strings \('3', ...\): t_in, t_o"):
        model.fit(x, ["3", "34"], verbose=0)
    with pytest.raises(TypeError, match=r"x\['source'\] must be ids, got strings .*model.transl"):
        model.predict({"source": ["1+2"], "target_in": x["target_in"][:1]}, verbose=0)


def test_inputs_given_as_a_source_target_in_pair_are_checked(model):
    # Keras reads a pair as (source, target_in); it went unchecked: -1 ids predicted.
    x, y = _xy(model)
    pair = (x["source"], x["target_in"])
    np.testing.assert_array_equal(model.predict(pair, verbose=0), model.predict(x, verbose=0))
    assert np.isfinite(model.fit(list(pair), y, verbose=0).history["loss"][0])
    with pytest.raises(ValueError, match=r"x\['source'\] must hold token ids in \[0, 13\), got -1"):
        model.predict((x["source"] - 4, x["target_in"]), verbose=0)
    with pytest.raises(ValueError, match=r"x\['target_in'\] must hold token ids in \[0, 14\)"):
        model.fit((x["source"], x["target_in"] + 20), y, verbose=0)
    with pytest.raises(TypeError, match=r"or a \(source, target_in\) pair, got a list of 1 items"):
        model.predict([x["source"]], verbose=0)


def test_exact_match_on_no_examples_is_refused(model):
    # It returned {'exact_match': 0.0, 'examples': 0}: a model that never matches.
    fn = make_seq2seq_examples(SRC, TGT)
    empty = tf.data.Dataset.from_tensor_slices((["1+2"], ["3"])).take(0).map(fn).batch(2)
    with pytest.raises(ValueError, match="exact_match: the dataset holds no examples"):
        model.exact_match(empty)


def test_class_weight_weighs_each_target_token_and_is_checked():
    model = zoo.models.seq2seq(SRC, TGT, units=4, embedding_dim=4, seed=0, learning_rate=1e-12)
    x, y = _xy(model)
    plain = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    # Target id 7 ('3': after padding, unknown, start and end come '0'...'9') weighed 3.
    weight = np.where(y == 7, 3.0, 1.0)
    logits = model.predict(x, verbose=0)
    log_probs = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    ce = -np.take_along_axis(log_probs, y[..., None], -1)[..., 0]
    real = y != 0
    loss = model.fit(x, y, class_weight={7: 3.0}, verbose=0).history["loss"][0]
    assert loss == pytest.approx((ce * weight * real).sum() / real.sum(), rel=1e-5)
    assert loss != pytest.approx(plain, rel=1e-3)
    with pytest.raises(ValueError, match=r"class_weight\[4\] must be a finite number >= 0"):
        model.train_on_batch(x, y, class_weight={4: float("nan")})
