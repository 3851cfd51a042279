"""`zoo.inspect.gradient_through_time`: the gradients the BPTT plot draws, and what it refuses."""

import re

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo

# --- what it computes --------------------------------------------------------------------


def _gradient_case(steps=20, seed=0):
    model = zoo.models.simple_rnn(input_shape=(steps, 2), task="regression", units=8, seed=seed)
    x = np.random.default_rng(seed).normal(size=(3, steps, 2)).astype("float32")
    return model, x, np.ones((3, 1), "float32")


def test_gradient_through_time_matches_a_tape():
    model, x, y = _gradient_case()
    norms = zoo.inspect.gradient_through_time(model, x, y)
    assert norms.shape == (20,) and norms.dtype == np.float64
    assert np.all(np.isfinite(norms)) and np.all(norms >= 0)
    xt = tf.constant(x)
    with tf.GradientTape() as tape:
        tape.watch(xt)
        loss = tf.reduce_mean(tf.square(model(xt) - y))  # the compiled loss is MSE
    direct = tf.reduce_mean(tf.norm(tape.gradient(loss, xt), axis=-1), axis=0).numpy()
    np.testing.assert_allclose(norms, direct, rtol=1e-5, atol=1e-9)


def test_gradient_through_time_names_targets_that_do_not_fit_the_outputs():
    model, x, _ = _gradient_case()  # the loss broadcast (3, 7) targets against (3, 1) outputs
    with pytest.raises(ValueError, match=r"outputs of shape \(3, 1\) .* y of shape \(3, 7\)"):
        zoo.inspect.gradient_through_time(model, x, np.ones((3, 7), "float32"))


def test_gradient_vanishes_with_small_recurrent_weights():
    model, x, y = _gradient_case()
    recurrent = model.get_layer("simple_rnn_0").cell.recurrent_kernel
    recurrent.assign(0.3 * recurrent)  # an orthogonal matrix scaled to norm 0.3: a contraction
    norms = zoo.inspect.gradient_through_time(model, x, y)
    assert norms[0] < 1e-3 * norms[-1]
    assert norms[:5].mean() < norms[-5:].mean()


def test_gradient_through_time_keeps_the_states_of_a_stateful_model():
    model = zoo.models.gru(input_shape=(None, 1), task="sequence_regression", units=4,
                           stateful=True, batch_size=2, seed=0)  # fmt: skip
    x = np.random.default_rng(0).normal(size=(2, 5, 1)).astype("float32")
    model(x)  # mid-series: the gradient reads the window after this one
    gru = model.get_layer("gru_0")
    before = keras.ops.convert_to_numpy(gru.states[0])
    first = zoo.inspect.gradient_through_time(model, x, x)
    np.testing.assert_array_equal(keras.ops.convert_to_numpy(gru.states[0]), before)
    np.testing.assert_allclose(zoo.inspect.gradient_through_time(model, x, x), first, rtol=1e-6)
    zoo.tbptt.reset_states(model)  # from a zero state: another window, another gradient
    assert not np.allclose(zoo.inspect.gradient_through_time(model, x, x), first, rtol=1e-3)


# --- what it checks -------------------------------------------------------------------------------

_X = np.random.default_rng(0).normal(size=(4, 6, 2)).astype("float32")


def _recurrent(task, **kwargs):
    return zoo.models.gru(input_shape=(None, 2), task=task, units=3, seed=0, **kwargs)


def _fitted_esn(**kwargs):
    esn = zoo.models.esn(input_shape=(None, 2), units=8, task="classification", num_classes=3,
                         **kwargs)  # fmt: skip
    esn.fit_readout(_X, np.array([0, 1, 2, 1]), validation_split=0)
    return esn


@pytest.mark.parametrize(
    "make, x, y, message",
    [
        # Class 0.5 was read as class 0; 7 of 3 classes failed in TensorFlow's cross-entropy op.
        (lambda: _recurrent("classification", num_classes=3), _X, np.array([0.5, 1, 2, 1]),
         "y must hold whole-number class ids in [0, 3), got 0.5 at index (0,)"),
        (lambda: _recurrent("classification", num_classes=3), _X, np.array([0, 1, 7, 1]),
         "y must hold class ids in [0, 3), got 7 at index (2,)"),
        # Binary labels of 5 and NaN targets or features (an all-NaN gradient) went through.
        (lambda: _recurrent("binary"), _X, np.full((4, 1), 5.0),
         "y must hold binary labels in [0, 1]"),
        (lambda: _recurrent("regression"), _X, np.full((4, 1), np.nan), "y holds NaN or inf"),
        (lambda: _recurrent("regression"), np.full_like(_X, np.nan), np.ones((4, 1)),
         "x holds NaN or inf"),
        # The ESN's own check, as its fit's: values named, a sequence all padding refused.
        (_fitted_esn, _X, np.array([0, 1, 7, 1]), "y must hold class ids in [0, 3), got values "
         "from 0 to 7"),
        (lambda: _fitted_esn(mask_value=0.0), np.concatenate([np.zeros_like(_X[:1]), _X[1:]]),
         np.array([0, 1, 2, 1]), "x holds a sequence with every step equal to mask_value"),
    ],
    ids=["fractional_class_id", "class_id_out_of_range", "binary_5", "nan_y", "nan_x", "esn",
         "esn_padding"],
)  # fmt: skip
def test_gradient_through_time_checks_targets_as_fit_does(make, x, y, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        zoo.inspect.gradient_through_time(make(), x, y)


def test_gradient_through_time_takes_targets_fit_takes():
    esn = _fitted_esn()
    norms = zoo.inspect.gradient_through_time(esn, _X, np.array([[0], [1], [2], [1]]))
    assert norms.shape == (6,) and np.all(norms > 0)
    one_hot = np.eye(3)[[0, 1, 2, 1]]  # the ESN's fit takes one-hot rows as their ids
    np.testing.assert_allclose(zoo.inspect.gradient_through_time(esn, _X, one_hot), norms)
    tagger = _recurrent("tagging", num_classes=3)
    norms = zoo.inspect.gradient_through_time(tagger, _X, np.zeros((4, 6), "int64"))
    assert norms.shape == (6,) and np.all(np.isfinite(norms))


def _speech():
    return zoo.models.ctc_speech(units=4, num_layers=1, conv_filters=2, seed=0)


@pytest.mark.parametrize(
    "make, x, error, message",
    [
        # Correct ids or texts were refused as "x must be (batch, T, features)", or failed in
        # NumPy ("could not convert string to float") or deep inside Keras.
        (lambda: zoo.models.gru(vocab_size=10, task="regression", units=3), np.ones((4, 6), int),
         TypeError, "model 'gru' takes token ids (int32 of shape (batch, T)), which are discrete"),
        (lambda: zoo.models.gru(text=True, vocab_size=10, task="regression", units=3),
         np.array(["a b", "c d"]), TypeError, "model 'gru' takes string inputs of shape (batch,)"),
        (lambda: zoo.models.char_lm("abc ", units=4, num_layers=1, embedding_dim=4),
         np.ones((1, 4), int), TypeError, "model 'char_lm' takes token ids"),
        (lambda: zoo.models.seq2seq("0123+", "0123", units=4, embedding_dim=4),
         np.ones((1, 3), int), TypeError, "model 'seq2seq' takes 2 inputs ('source', 'target_in')"),
        (_speech, np.zeros((1, 8000, 1)), TypeError, "takes inputs of its own (a SpeechRecognizer"),
        (lambda: zoo.models.gru(input_shape=(6, 2), task="regression", units=3, stateful=True,
                                batch_size=4),
         _X[:2], ValueError, "x has a batch of 2 series but model 'gru' is stateful, built with "
         "batch_size=4"),
        # Before fit_readout the readout is all zeros: every gradient was 0.
        (lambda: zoo.models.esn(input_shape=(None, 2), units=8), _X, ValueError,
         "model 'esn' has no fitted readout yet"),
        (lambda: _recurrent("regression", compile=False), _X, ValueError,
         "model 'gru' is not compiled with a loss"),
        (lambda: _recurrent("regression"), _X[..., :1], ValueError,
         "x must be (batch, T, 2) for model 'gru', got shape (4, 6, 1)"),
        (lambda: _recurrent("regression"), np.full((4, 6, 2), "a"), TypeError,
         "x must hold real-valued features (numbers), got dtype <U1"),
    ],
    ids=["token_ids", "text", "char_lm", "seq2seq", "ctc_speech", "stateful_batch",
         "unfitted_esn", "uncompiled", "features", "strings"],
)  # fmt: skip
def test_gradient_through_time_names_the_models_it_does_not_support(make, x, error, message):
    with pytest.raises(error, match=re.escape(message)) as raised:
        zoo.inspect.gradient_through_time(make(), x, np.ones((len(x), 1)))
    if error is TypeError and "takes" in message:
        assert "supports models on real-valued feature sequences" in str(raised.value)
        assert f"Got x of shape {np.shape(x)}" in str(raised.value)
