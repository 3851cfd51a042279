"""The recurrent model factories: every model, task, activation and option through one check."""

import os
import pathlib
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf
from helpers import run_model_checks

import zoo
from zoo.activations import ACTIVATIONS, LeakyReLU

B, T, F = 4, 5, 3  # batch, steps, features: tiny on purpose
NUM_CLASSES, OUTPUT_DIM, HORIZON, VOCAB = 3, 2, 3, 12
REAL = dict(input_shape=(None, F))
SPARSE = zoo.losses.SparseCategoricalCrossentropy
# Tracing a training step costs seconds on a CPU: the registry tests run the compiled (graph)
# path, the tests of single options run eagerly (`run_model_checks(..., run_eagerly=True)`).


def real_inputs(batch=B, steps=T, features=F, seed=0):
    return np.random.default_rng(seed).normal(size=(batch, steps, features)).astype("float32")


def token_inputs(batch=B, steps=T, seed=0):
    return np.random.default_rng(seed).integers(1, VOCAB, size=(batch, steps)).astype("int32")


def targets(task, batch=B, steps=T, seed=0):
    """Random targets of the right shape and type for `task`."""
    rng = np.random.default_rng(seed)
    return {
        "binary": lambda: rng.integers(0, 2, size=(batch, 1)),
        "classification": lambda: rng.integers(0, NUM_CLASSES, size=(batch,)),
        "regression": lambda: rng.normal(size=(batch, OUTPUT_DIM)).astype("float32"),
        "forecast": lambda: rng.normal(size=(batch, HORIZON, OUTPUT_DIM)).astype("float32"),
        "tagging": lambda: rng.integers(0, NUM_CLASSES, size=(batch, steps)),
        "sequence_regression": lambda: rng.normal(size=(batch, steps, OUTPUT_DIM)).astype(
            "float32"
        ),
    }[task]()


def head_kwargs(task):
    """The head arguments each task needs."""
    return {
        "binary": {},
        "classification": {"num_classes": NUM_CLASSES},
        "regression": {"output_dim": OUTPUT_DIM},
        "forecast": {"horizon": HORIZON, "output_dim": OUTPUT_DIM},
        "tagging": {"num_classes": NUM_CLASSES},
        "sequence_regression": {"output_dim": OUTPUT_DIM},
    }[task]


# Tiny arguments for every registered model; a model added to the registry needs a row here.
SMALL = {
    "simple_rnn": dict(REAL, task="regression", units=4),
    "lstm": dict(REAL, task="classification", units=4),
    "gru": dict(vocab_size=VOCAB, embedding_dim=4, task="binary", units=4),
    "bidirectional": dict(REAL, cell="gru", task="tagging", units=4),
    "stacked": dict(REAL, cell="simple_rnn", task="sequence_regression", units=4),
}


# Families whose inputs the recurrent helpers above cannot make are checked with the same
# run_model_checks in their own test module.
OWN_MODULE = {
    "esn": "test_esn.py",
    "seq2seq": "test_seq2seq.py",
    "char_lm": "test_char_lm.py",
    "ctc_speech": "test_speech.py",
}


@pytest.mark.parametrize("name", [spec.name for spec in zoo.list_models()])
def test_registered_model(name, tmp_path):
    if name in OWN_MODULE:
        source = (pathlib.Path(__file__).parent / OWN_MODULE[name]).read_text()
        assert "run_model_checks(" in source, f"{OWN_MODULE[name]} must run run_model_checks"
        return
    assert name in SMALL, f"add tiny test arguments for the new model {name!r} to SMALL"
    kwargs = dict(SMALL[name], seed=0)
    kwargs.update(head_kwargs(kwargs["task"]))
    model = zoo.build(name, **kwargs)
    x = token_inputs() if "vocab_size" in kwargs else real_inputs()
    run_model_checks(model, x, targets(kwargs["task"]), tmp_path)


@pytest.mark.parametrize("task", list(zoo.heads.TASKS))
def test_task(task, tmp_path):
    model = zoo.models.gru(**REAL, task=task, units=4, seed=0, **head_kwargs(task))
    expected = {
        "binary": (None, 1),
        "classification": (None, NUM_CLASSES),
        "regression": (None, OUTPUT_DIM),
        "forecast": (None, HORIZON, OUTPUT_DIM),
        "tagging": (None, None, NUM_CLASSES),
        "sequence_regression": (None, None, OUTPUT_DIM),
    }[task]
    assert model.output_shape == expected
    if task == "sequence_regression":  # MSE that also takes (batch, T) targets
        assert isinstance(model.loss, zoo.losses.PerStepError) and model.loss.error == "mse"
    else:  # Keras's, averaged over every replica's examples
        natural_loss = {
            "binary": zoo.losses.BinaryCrossentropy,
            "tagging": SPARSE,
            "classification": SPARSE,
        }.get(task, zoo.losses.MeanSquaredError)
        assert type(model.loss) is natural_loss
    preds = run_model_checks(model, real_inputs(), targets(task), tmp_path, run_eagerly=True)
    if zoo.heads.TASKS[task].categorical:
        assert np.all((preds >= 0) & (preds <= 1))
    if task in ("classification", "tagging"):
        np.testing.assert_allclose(preds.sum(-1), 1.0, rtol=1e-5)


@pytest.mark.filterwarnings("ignore:.*cuDNN:UserWarning")
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_activation(activation, tmp_path):
    model = zoo.models.lstm(
        **REAL,
        task="regression",
        units=4,
        activation=activation,
        recurrent_activation=activation,
        seed=0,
    )
    run_model_checks(model, real_inputs(), targets("regression")[:, :1], tmp_path, run_eagerly=True)
    loaded = keras.models.load_model(tmp_path / "lstm.keras", safe_mode=True)
    cell = loaded.get_layer("lstm_0").cell
    assert cell.activation.__name__ == activation
    assert cell.recurrent_activation.__name__ == activation


@pytest.mark.filterwarnings("ignore:.*cuDNN:UserWarning")
def test_leaky_relu_keeps_its_slope(tmp_path):
    model = zoo.models.gru(
        **REAL,
        task="regression",
        units=4,
        activation=LeakyReLU(0.1),
        recurrent_activation="leaky_relu",
        seed=0,
    )
    run_model_checks(model, real_inputs(), targets("regression")[:, :1], tmp_path, run_eagerly=True)
    cell = keras.models.load_model(tmp_path / "gru.keras", safe_mode=True).get_layer("gru_0").cell
    assert isinstance(cell.activation, LeakyReLU)
    assert cell.activation.negative_slope == pytest.approx(0.1)
    assert cell.recurrent_activation == LeakyReLU(0.2)  # Keras's own default slope
    assert float(cell.activation(keras.ops.convert_to_tensor(-2.0))) == pytest.approx(-0.2)


def test_loss_mae(tmp_path):
    model = zoo.models.simple_rnn(**REAL, task="regression", units=4, loss="mae", seed=0)
    assert type(model.loss) is zoo.losses.MeanAbsoluteError
    x, y = real_inputs(), targets("regression")[:, :1]
    run_model_checks(model, x, y, tmp_path, run_eagerly=True)
    loaded = keras.models.load_model(tmp_path / "simple_rnn.keras", safe_mode=True)
    assert type(loaded.loss) is zoo.losses.MeanAbsoluteError
    loaded.run_eagerly = True
    loss = loaded.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert loss == pytest.approx(np.abs(loaded.predict(x, verbose=0) - y).mean(), rel=1e-5)


def test_a_keras_huber_loss_keeps_its_delta_through_save_and_load(tmp_path):
    # Keras 3.15's Huber leaves delta out of its config: the loaded model evaluated with 1.0.
    x, y = real_inputs(), targets("regression")[:, :1] * 3
    model = zoo.models.gru(**REAL, task="regression", units=2, loss=keras.losses.Huber(0.1))
    assert isinstance(model.loss, keras.losses.Huber) and model.loss.delta == 0.1
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    loss = model.evaluate(x, y, verbose=0, return_dict=True)["loss"]
    assert loaded.evaluate(x, y, verbose=0, return_dict=True)["loss"] == pytest.approx(loss)
    error = np.abs(model.predict(x, verbose=0) - y)
    huber = np.where(error < 0.1, error**2 / 2, 0.1 * (error - 0.05)).mean()
    assert loss == pytest.approx(huber, rel=1e-5)


@pytest.mark.parametrize(
    "task, loss, compiled",
    [
        ("regression", "mean_absolute_error", zoo.losses.MeanAbsoluteError),
        ("sequence_regression", "mean_squared_error", "mse"),
        ("binary", "binary_crossentropy", zoo.losses.BinaryCrossentropy),
        ("classification", "sparse_categorical_crossentropy", SPARSE),
    ],
)  # fmt: skip
def test_keras_names_of_a_tasks_own_loss_are_taken(task, loss, compiled):
    # Refused before ("loss must be one of 'mse', 'mae'"), with no suggestion for most.
    classes = dict(num_classes=3) if task == "classification" else {}
    model = zoo.models.gru(**REAL, task=task, units=2, loss=loss, seed=0, **classes)
    if task == "sequence_regression":
        assert model.loss.error == compiled  # (PerStepError per step)
    else:  # Keras's, averaged over every replica's examples
        assert type(model.loss) is compiled


@pytest.mark.parametrize(
    "task, loss, match",
    [
        ("classification", "binary_crossentropy", r"loss='binary_crossentropy' is Keras's loss "
         r"for 0/1 labels \(task='binary'\), not for task='classification'"),
        ("regression", "sparse_categorical_crossentropy", r"for class ids .* takes loss='mse' "
         r"or 'mae'"),
        ("classification", "categorical_crossentropy", r"for one-hot rows \(the heads take class "
         r"ids: give y.argmax\(-1\) with loss left out\)"),
        # a one-output head: the loss was exactly 0 whatever the model predicted
        ("regression", keras.losses.CategoricalCrossentropy(), r"loss=CategoricalCrossentropy "
         r"reads a distribution over classes .* over one output it is 0 .* Use 'mse'"),
        ("binary", keras.losses.CategoricalFocalCrossentropy(), r"Use keras.losses.BinaryCross"),
        # it then demanded one-hot targets ("y must have the model's output shape, (batch, 3)")
        ("classification", keras.losses.MeanSquaredError(), r"loss=MeanSquaredError reads real "
         r"values of the output's shape, but task='classification' gives a softmax"),
        ("tagging", zoo.losses.PerStepError("mae"), r"loss=PerStepError reads real values"),
        # class 0 was skipped as padding: an all-class-0 batch had loss 0
        ("classification", zoo.losses.MaskedSequenceCrossentropy(from_logits=False),
         r"skips targets equal to its pad_id .* its class 0 would never be learnt"),
    ],
)  # fmt: skip
def test_a_loss_that_cannot_train_the_task_is_refused(task, loss, match):
    classes = dict(num_classes=3) if task in ("classification", "tagging") else {}
    with pytest.raises(ValueError, match=match):
        zoo.models.gru(**REAL, task=task, units=2, loss=loss, **classes)


def test_uncompiled(tmp_path):
    model = zoo.models.lstm(**REAL, task="binary", units=4, compile=False, seed=0)
    assert not model.compiled
    run_model_checks(model, real_inputs(), targets("binary"), tmp_path, run_eagerly=True)
    model.compile(loss="binary_crossentropy", run_eagerly=True)  # trainable once compiled
    assert np.isfinite(model.train_on_batch(real_inputs(), targets("binary")))


@pytest.mark.parametrize("merge_mode", zoo.models.base.MERGE_MODES)
def test_merge_mode(merge_mode, tmp_path):
    model = zoo.models.bidirectional(
        **REAL, cell="simple_rnn", task="binary", units=4, merge_mode=merge_mode, seed=0
    )
    assert model.get_layer("bidirectional_0").merge_mode == merge_mode
    assert model.get_layer("head").input.shape[-1] == (8 if merge_mode == "concat" else 4)
    run_model_checks(model, real_inputs(), targets("binary"), tmp_path, run_eagerly=True)


def test_stacked_bidirectional_residual_layer_norm(tmp_path):
    model = zoo.models.stacked(
        **REAL,
        cell="gru",
        num_layers=3,
        bidirectional=True,
        residual=True,
        layer_norm=True,
        task="tagging",
        num_classes=NUM_CLASSES,
        units=4,
        seed=0,
    )
    names = {layer.name for layer in model.layers}
    assert {f"bidirectional_{i}" for i in range(3)} <= names
    assert {"residual_1", "residual_2", "layer_norm_0", "layer_norm_1"} <= names
    assert "residual_0" not in names and "layer_norm_2" not in names
    run_model_checks(model, real_inputs(), targets("tagging"), tmp_path, run_eagerly=True)


def test_units_as_list(tmp_path):
    model = zoo.models.stacked(**REAL, units=[8, 4], task="regression", seed=0)
    assert [model.get_layer(f"lstm_{i}").units for i in range(2)] == [8, 4]
    run_model_checks(model, real_inputs(), targets("regression")[:, :1], tmp_path, run_eagerly=True)


def _weights(model):
    return [np.asarray(w) for w in model.get_weights()]


def test_seed_reproducible():
    def build(seed):
        return zoo.models.gru(vocab_size=VOCAB, embedding_dim=4, task="binary", units=4, seed=seed)

    a, b, c = build(7), build(7), build(8)
    for wa, wb in zip(_weights(a), _weights(b), strict=True):
        np.testing.assert_array_equal(wa, wb)
    x = token_inputs()
    np.testing.assert_array_equal(a.predict(x, verbose=0), b.predict(x, verbose=0))
    # Every randomly initialised weight (embedding, kernels) differs; zero biases stay equal.
    differ = [not np.array_equal(wa, wc) for wa, wc in zip(_weights(a), _weights(c), strict=True)]
    assert differ == [np.any(w != 0) for w in _weights(a)]


def test_bidirectional_halves_start_different():
    model = zoo.models.bidirectional(**REAL, task="binary", units=4, seed=1)
    layer = model.get_layer("bidirectional_0")
    forward, backward = layer.forward_layer, layer.backward_layer
    assert backward.go_backwards and not forward.go_backwards
    for wf, wb in zip(forward.cell.weights[:2], backward.cell.weights[:2], strict=True):
        assert not np.allclose(np.asarray(wf), np.asarray(wb))


# --- masking: padding a batch to another length changes nothing -------------------------------

LENGTHS = (3, 5, 2)


def _padded_real(steps):
    seqs = [np.random.default_rng(i).normal(size=(n, F)) + 1 for i, n in enumerate(LENGTHS)]
    x = np.zeros((len(LENGTHS), steps, F), "float32")
    for i, s in enumerate(seqs):
        x[i, : len(s)] = s
    return x


def _padded_tokens(steps):
    x = np.zeros((len(LENGTHS), steps), "int32")
    for i, n in enumerate(LENGTHS):
        x[i, :n] = np.random.default_rng(i).integers(1, VOCAB, size=n)
    return x


@pytest.mark.parametrize("name", ["lstm", "bidirectional"])
@pytest.mark.parametrize("inputs", ["mask_value", "mask_zero"])
def test_padding_does_not_change_predictions(name, inputs):
    if inputs == "mask_value":
        kwargs, pad = dict(REAL, mask_value=0.0), _padded_real
    else:
        kwargs, pad = dict(vocab_size=VOCAB, embedding_dim=4, mask_zero=True), _padded_tokens
    model = zoo.build(name, task="regression", units=4, seed=0, **kwargs)
    model.run_eagerly = True  # three input shapes: tracing each would cost more than it checks
    short = model.predict(pad(6), verbose=0)
    np.testing.assert_allclose(model.predict(pad(9), verbose=0), short, atol=1e-6)
    # The padding really is skipped: the last real step is what the sequence head sees.
    assert not np.allclose(model.predict(pad(6)[:, :2], verbose=0), short, atol=1e-3)


@pytest.mark.parametrize("mask_value", [None, 0.0])
def test_sequence_regression_takes_one_target_per_step_as_batch_by_steps(mask_value):
    model = zoo.models.gru(
        **REAL, task="sequence_regression", units=4, mask_value=mask_value, seed=1
    )
    model.run_eagerly = True
    x = _padded_real(7)
    y = np.random.default_rng(1).normal(size=x.shape[:2]).astype("float32")
    flat = model.evaluate(x, y, verbose=0, return_dict=True)
    assert flat == pytest.approx(model.evaluate(x, y[..., None], verbose=0, return_dict=True))
    error = (model.predict(x, verbose=0)[..., 0] - y) ** 2
    real = np.any(x != 0, axis=-1) if mask_value is not None else np.ones_like(error, bool)
    assert flat["loss"] == pytest.approx((error * real).sum() / real.sum(), rel=1e-5)
    assert np.isfinite(model.fit(x, y, verbose=0).history["mae"][0])


def test_tagging_loss_is_averaged_over_real_tokens_only():
    model = zoo.models.bidirectional(
        vocab_size=VOCAB, embedding_dim=4, task="tagging", num_classes=NUM_CLASSES, units=4, seed=0
    )
    # Make class 0 (the padding label) likely, so that counting padded steps would lower the loss.
    model.get_layer("head").bias.assign([2.0, 0.0, 0.0])
    model.run_eagerly = True

    def batch(steps):
        x = _padded_tokens(steps)
        return x, np.where(x > 0, x % NUM_CLASSES, 0)

    x6, y6 = batch(6)
    x9, y9 = batch(9)
    loss6 = model.evaluate(x6, y6, verbose=0, return_dict=True)["loss"]
    loss9 = model.evaluate(x9, y9, verbose=0, return_dict=True)["loss"]
    assert loss9 == pytest.approx(loss6, rel=1e-5)

    probs = model.predict(x6, verbose=0)
    per_step = -np.log(np.take_along_axis(probs, y6[..., None], axis=-1)[..., 0])
    assert loss6 == pytest.approx(per_step[x6 > 0].mean(), rel=1e-5)
    assert per_step.mean() < 0.9 * loss6  # the unmasked mean is clearly another number


# --- the cuDNN warning -------------------------------------------------------------------------


def _cudnn_warnings(record):
    return [w for w in record if "cuDNN" in str(w.message)]


def test_warns_once_when_leaving_cudnn(monkeypatch):
    monkeypatch.setattr(zoo.models.base, "_warned", set())
    monkeypatch.setattr(zoo.models.base, "_has_gpu", lambda: True)  # (said where cuDNN runs)
    with pytest.warns(UserWarning, match=r"lstm: activation='relu'.*cuDNN") as record:
        zoo.models.lstm(**REAL, task="regression", units=4, activation="relu")
    (warning,) = _cudnn_warnings(record)
    assert warning.category is UserWarning
    assert warning.filename == __file__  # points at the caller's line, not into the library
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zoo.models.lstm(**REAL, task="regression", units=4, activation="relu")  # once only
    with pytest.warns(UserWarning, match=r"gru: recurrent_dropout=0.1") as record:
        zoo.build("gru", **REAL, task="regression", units=4, recurrent_dropout=0.1)
    (warning,) = _cudnn_warnings(record)
    assert warning.filename == __file__  # also through zoo.build, one frame deeper


def test_no_cudnn_warning_without_a_gpu(monkeypatch):
    # It was said on every build and every load of a non-tanh model on CPU-only machines,
    # where no layer runs on cuDNN (and blamed on a Keras or keras-tuner line on loads).
    monkeypatch.setattr(zoo.models.base, "_warned", set())
    monkeypatch.setattr(zoo.models.base, "_has_gpu", lambda: False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        zoo.models.lstm(**REAL, task="regression", units=4, activation="relu")


def test_no_warning_with_defaults(monkeypatch):
    monkeypatch.setattr(zoo.models.base, "_warned", set())
    monkeypatch.setattr(zoo.models.base, "_has_gpu", lambda: True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for name in ("lstm", "gru", "bidirectional", "stacked"):
            zoo.build(name, **REAL, task="regression", units=4)
        # SimpleRNN has no cuDNN kernel, so no activation leaves it.
        zoo.models.simple_rnn(**REAL, task="regression", units=4, activation="relu")


# --- raw text ----------------------------------------------------------------------------------

TEXTS = ["a great film", "a dull film", "great acting and a great plot", "dull"]


def _text_model():
    model = zoo.models.lstm(text=True, vocab_size=20, task="binary", units=4, seed=0)
    zoo.models.adapt_text(model, TEXTS)
    return model


def test_text_model(tmp_path):
    model = _text_model()
    y = np.array([1, 0, 1, 0])
    # The adapted vocabulary lives in the layer's assets, not in its config. The compiled path
    # on strings is covered by the export test and the IMDB recipe test.
    run_model_checks(model, TEXTS, y, tmp_path, config_equal=False, run_eagerly=True)
    one = model.predict(["a great film"], verbose=0)
    assert one.shape == (1, 1)
    loaded = keras.models.load_model(tmp_path / "lstm.keras", safe_mode=True)  # saved just now
    loaded.run_eagerly = True
    np.testing.assert_allclose(loaded.predict(["a great film"], verbose=0), one, atol=1e-6)
    # NumPy str arrays work as well as lists (Keras itself takes only object arrays and tensors).
    np.testing.assert_allclose(model.predict(np.array(["a great film"]), verbose=0), one)
    strings = np.array(TEXTS)
    history = model.fit(strings, y, validation_data=(strings, y), verbose=0).history
    assert np.isfinite(history["loss"][0]) and np.isfinite(history["val_loss"][0])
    vocab = loaded.get_layer("vectorizer").get_vocabulary()
    assert vocab == model.get_layer("vectorizer").get_vocabulary() and "great" in vocab


def test_a_text_model_takes_bytes_as_it_takes_str():
    model = _text_model()
    model.run_eagerly = True
    expected = model.predict(TEXTS, verbose=0)
    encoded = [t.encode() for t in TEXTS]  # TFDS's as_numpy gives bytes
    for x in (encoded, np.array(encoded), np.array(encoded, dtype=object)):
        np.testing.assert_allclose(model.predict(x, verbose=0), expected, atol=1e-6)
    y = np.array([1, 0, 1, 0])
    history = model.fit(np.array(encoded), y, validation_data=(encoded, y), verbose=0).history
    assert np.isfinite(history["loss"][0]) and np.isfinite(history["val_loss"][0])
    assert np.isfinite(model.evaluate(encoded, y, verbose=0)[0])


def test_a_vectorizer_sizes_the_embedding_by_its_max_tokens():
    # Not adapted yet: its vocabulary_size() is 2, but adapting fills it up to max_tokens.
    vectorizer = keras.layers.TextVectorization(max_tokens=30)
    model = zoo.models.lstm(vectorizer=vectorizer, task="binary", units=2, seed=0)
    assert model.get_layer("embedding").input_dim == 30
    zoo.models.adapt_text(model, TEXTS)
    model.run_eagerly = True
    assert model.predict(["great acting and a great plot"], verbose=0).shape == (1, 1)
    # Without max_tokens, an adapted vectorizer's vocabulary sizes it.
    adapted = keras.layers.TextVectorization()
    adapted.adapt(TEXTS)
    model = zoo.models.gru(vectorizer=adapted, task="binary", units=2)
    assert model.get_layer("embedding").input_dim == adapted.vocabulary_size() == 9


def test_a_vectorizer_with_more_ids_than_vocab_size_is_refused():
    with pytest.raises(ValueError, match=r"vocab_size=10 is smaller than the vectorizer's max_t"):
        zoo.models.lstm(
            vectorizer=keras.layers.TextVectorization(max_tokens=30), vocab_size=10, task="binary"
        )
    adapted = keras.layers.TextVectorization()
    adapted.adapt(TEXTS)
    with pytest.raises(ValueError, match=r"vocab_size=5 .* vocabulary of 9 tokens .* >= 9"):
        zoo.models.lstm(vectorizer=adapted, vocab_size=5, task="binary")
    with pytest.raises(ValueError, match=r"max_tokens=None and no vocabulary yet.*vocab_size="):
        zoo.models.lstm(vectorizer=keras.layers.TextVectorization(), task="binary")
    with pytest.raises(TypeError, match=r"vectorizer must be a keras.layers.TextVectorization"):
        zoo.models.lstm(vectorizer="words", vocab_size=10, task="binary")
    # Given vocab_size with max_tokens=None, adapting past it is caught before any predict.
    model = zoo.models.lstm(
        vectorizer=keras.layers.TextVectorization(), vocab_size=5, task="binary"
    )
    with pytest.raises(ValueError, match=r"vocabulary of 9 tokens .* embeds only 5 ids"):
        zoo.models.adapt_text(model, TEXTS)


# --- raw audio: the LogMel front end inside the model ------------------------------------------


def test_audio_model(tmp_path):
    waves = np.random.default_rng(0).normal(scale=0.1, size=(B, 800)).astype("float32")
    kwargs = dict(task="classification", num_classes=NUM_CLASSES, units=4, seed=0)
    model = zoo.models.gru(sample_rate=8000, num_mels=8, input_shape=(800,), **kwargs)
    assert model.input_shape == (None, 800) and model.output_shape == (None, NUM_CLASSES)
    log_mel = model.get_layer("log_mel")
    assert (log_mel.sample_rate, log_mel.num_mels) == (8000, 8)
    assert tuple(log_mel.output.shape) == (None, 7, 8)  # 1 + (800 - 256) // 80 frames
    # The config echoes the front end's arguments; run_model_checks round-trips it and the file.
    configs = {la["name"]: la["config"] for la in model.get_config()["layers"]}
    assert configs["log_mel"]["sample_rate"] == 8000 and configs["log_mel"]["num_mels"] == 8
    # The front end, then the same recurrent stack as on features: same seed, same predictions.
    features = zoo.layers.LogMel(8000, 8)([waves, np.full(B, 800)])
    on_features = zoo.models.gru(input_shape=(None, 8), **kwargs)
    np.testing.assert_allclose(
        model.predict(waves, verbose=0), on_features.predict(features, verbose=0), atol=1e-6
    )
    run_model_checks(model, waves, targets("classification"), tmp_path, run_eagerly=True)
    # Any clip length with the default input_shape=(None,); every factory takes the front end.
    for factory in (zoo.models.simple_rnn, zoo.models.lstm, zoo.models.bidirectional):
        assert factory(sample_rate=8000, **kwargs).input_shape == (None, None)
    deep = zoo.models.stacked(sample_rate=8000, task="tagging", num_classes=2, units=2, seed=0)
    assert tuple(deep(waves[:, :336]).shape) == (B, 2, 2)  # one class per frame


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        (dict(sample_rate=0), ValueError, "sample_rate must be a positive int, got 0"),
        (dict(sample_rate=8000.0), TypeError, "sample_rate must be a positive int, got 8000.0"),
        (dict(sample_rate=8000, num_mels=0), ValueError, "num_mels must be a positive int"),
        (dict(sample_rate=8000, vocab_size=VOCAB), ValueError, "sample_rate=8000 .* vocab_size=12"),
        (dict(sample_rate=8000, text=True, vocab_size=9), ValueError, "sample_rate=8000 .* text="),
        (dict(sample_rate=8000, stateful=True, batch_size=2), ValueError, "stateful=True"),
        (dict(sample_rate=8000, input_shape=(None, 8)), ValueError, r"\(samples,\) or \(None,\)"),
        (dict(sample_rate=8000, input_shape=(100,)), ValueError, "at least 256 .* got 100"),
        (dict(sample_rate=8000, num_mels=128), ValueError, r"num_mels=128 .* num_mels <= 95"),
    ],
)
def test_audio_bad_arguments(kwargs, error, match):
    with pytest.raises(error, match=match):
        zoo.models.gru(task="binary", units=2, **kwargs)


def test_audio_model_names_short_and_unbatched_clips():
    model = zoo.models.gru(sample_rate=8000, task="binary", units=2)
    with pytest.raises(ValueError, match=r"waveforms of 100 samples .* \(256 samples at"):
        model.predict(np.zeros((2, 100), "float32"), verbose=0)
    with pytest.raises(ValueError, match=r"shape \(800,\): for one clip pass x\[None\]"):
        model.predict(np.zeros(800, "float32"), verbose=0)
    clip = np.random.default_rng(0).uniform(-0.5, 0.5, (2, 800)).astype("float32")
    with pytest.raises(ValueError, match=r"up to \|x\| = 1499\d\.\d, .*Scale them by 1/32768"):
        model.predict(clip * 30000, verbose=0)
    with pytest.raises(ValueError, match=r"x holds NaN or inf \(first at index \(0, 0\): nan\)"):
        model.predict(np.full((1, 800), np.nan, "float32"), verbose=0)
    with pytest.raises(ValueError, match=r"a list of 2 arrays: pad them with zeros"):
        model.predict([clip[0], clip[1, :600]], verbose=0)
    # int16 PCM is scaled as transcribe scales it, not read 32768 times too loud
    pcm = np.round(clip * 32768).astype("int16")
    np.testing.assert_allclose(
        model.predict(pcm, verbose=0), model.predict(pcm / 32768.0, verbose=0), atol=1e-5
    )


# --- export ------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", ["sequences", "text"])
def test_export_serves_like_predict(kind, tmp_path):
    if kind == "text":
        model, x = _text_model(), np.array(["a great film", "dull"], dtype=object)
        served_x = tf.constant(["a great film", "dull"])
    else:
        model = zoo.models.gru(**REAL, task="classification", num_classes=NUM_CLASSES, units=4)
        x = served_x = real_inputs()
    path = os.fspath(tmp_path / "export")
    model.export(path, verbose=False)
    reloaded = tf.saved_model.load(path)  # keep a reference: it owns the variables `serve` reads
    served = reloaded.serve(served_x)
    np.testing.assert_allclose(served.numpy(), model.predict(x, verbose=0), atol=1e-6)


# --- stateful truncated BPTT -------------------------------------------------------------------


def _stateful(task, cell="lstm", input_shape=(None, 1), **kwargs):
    return zoo.build(
        cell,
        input_shape=input_shape,
        task=task,
        units=4,
        stateful=True,
        batch_size=2,
        seed=0,
        **kwargs,
    )


@pytest.mark.parametrize("window", [4, 5])  # 5 leaves a shorter last window of 12 steps
def test_tbptt_predict_equals_one_pass(window):
    model = _stateful("sequence_regression")
    x = np.random.default_rng(0).normal(size=(2, 12, 1)).astype("float32")
    windowed = zoo.tbptt.predict(model, x, window)
    assert windowed.shape == (2, 12, 1)
    zoo.tbptt.reset_states(model)
    np.testing.assert_allclose(windowed, keras.ops.convert_to_numpy(model(x)), atol=1e-6)
    zoo.tbptt.reset_states(model)
    # The same weights in a non-stateful model see the whole series in one call.
    plain = zoo.models.lstm(input_shape=(None, 1), task="sequence_regression", units=4)
    plain.set_weights(model.get_weights())
    np.testing.assert_allclose(windowed, plain.predict(x, verbose=0), atol=1e-6)
    # The state is what links the windows: resetting it between windows gives another answer.
    cut = []
    for s in range(0, 12, window):
        zoo.tbptt.reset_states(model)
        cut.append(keras.ops.convert_to_numpy(model(x[:, s : s + window])))
    assert not np.allclose(np.concatenate(cut, axis=1), windowed, atol=1e-4)


def test_fit_evaluate_and_predict_read_independent_series_and_keep_the_carried_state():
    # Keras carried the state from call to call and from batch to batch: the same predict twice
    # differed by 0.06, and rows 2-3 started from where rows 0-1 had ended.
    model = _stateful("sequence_regression", cell="gru")
    x = np.random.default_rng(0).normal(size=(4, 30, 1)).astype("float32")
    first = model.predict(x, verbose=0)
    np.testing.assert_array_equal(model.predict(x, verbose=0), first)
    copy = zoo.tbptt.stateless_copy(model)  # each series whole, from a zero state
    np.testing.assert_allclose(first, copy.predict(x, verbose=0), atol=1e-6)
    model(x[2:])  # a stream fed chunk by chunk carries its state on
    carried = [keras.ops.convert_to_numpy(v) for v in model.get_layer("gru_0").states]
    assert np.abs(carried[0]).max() > 0.01
    history = model.fit(x, x, epochs=2, validation_data=(x, x), verbose=0)
    loss = model.evaluate(x, x, verbose=0)
    np.testing.assert_allclose(model.predict(x[2:], verbose=0), model.predict(x, verbose=0)[2:])
    after = [keras.ops.convert_to_numpy(v) for v in model.get_layer("gru_0").states]
    np.testing.assert_array_equal(after[0], carried[0])  # left as they found it
    copy = zoo.tbptt.stateless_copy(model)
    copy.compile(loss=model.loss)
    assert loss[0] == pytest.approx(copy.evaluate(x, x, verbose=0), rel=1e-5)
    assert history.history["val_loss"][-1] == pytest.approx(loss[0], rel=1e-5)


def test_a_stateful_model_refuses_several_steps_per_execution_and_warns_on_unshuffled_fit():
    # Keras calls a callback once per execution: with steps_per_execution=2 the state ran on
    # from one batch to the next (a predict 0.07 off the stateless one).
    model = _stateful("sequence_regression", cell="gru")
    x = np.random.default_rng(0).normal(size=(4, 6, 1)).astype("float32")
    with pytest.warns(UserWarning, match=r"shuffle=False: StatefulModel.fit reads each batch .*"
                      r"zoo.tbptt.fit"):  # fmt: skip
        model.fit(x, x, shuffle=False, verbose=0)
    model.compile(optimizer="adam", loss="mse", steps_per_execution=2)
    for call in (lambda: model.predict(x, verbose=0), lambda: model.fit(x, x, verbose=0)):
        with pytest.raises(ValueError, match=r"steps_per_execution=2: model 'gru' is stateful"):
            call()


def test_tbptt_checks_the_series_as_fit_does():
    # tbptt.fit trained on NaN (every weight turned NaN) and gave Keras's messages for class
    # ids out of range and (batch, T, 1) tags.
    model = _stateful("sequence_regression", cell="gru")
    x = np.random.default_rng(0).normal(size=(2, 12, 1)).astype("float32")
    bad = x.copy()
    bad[0, 3, 0] = np.nan
    with pytest.raises(ValueError, match=r"y holds NaN or inf \(first at index \(0, 3, 0\)"):
        zoo.tbptt.fit(model, x, bad, window=4)
    with pytest.raises(ValueError, match=r"x holds NaN or inf"):
        zoo.tbptt.predict(model, bad, window=4)
    assert all(np.isfinite(w).all() for w in model.get_weights())
    tagger = _stateful("tagging", cell="gru", num_classes=3)
    ids = np.zeros((2, 12))
    ids[1, 4] = 5
    with pytest.raises(ValueError, match=r"y must hold class ids in \[0, 3\), got 5"):
        zoo.tbptt.fit(tagger, x, ids, window=4)
    assert np.isfinite(zoo.tbptt.fit(tagger, x, np.ones((2, 12, 1)), window=4)[0])


def test_tbptt_predict_joins_the_windows_of_a_fixed_length_model():
    # input_shape=(4, 1) fixes the time axis of the output; every window is still a piece of
    # the series (not only the last).
    model = _stateful("sequence_regression", input_shape=(4, 1))
    x = np.random.default_rng(0).normal(size=(2, 12, 1)).astype("float32")
    windowed = zoo.tbptt.predict(model, x, 4)
    plain = zoo.models.lstm(input_shape=(None, 1), task="sequence_regression", units=4)
    plain.set_weights(model.get_weights())
    np.testing.assert_allclose(windowed, plain.predict(x, verbose=0), atol=1e-6)


def test_export_of_a_stateful_model_serves_each_request_from_a_zero_state(tmp_path):
    model = _stateful("sequence_regression", cell="gru")
    x = np.random.default_rng(0).normal(size=(2, 4, 1)).astype("float32")
    model(x)  # a state mid-series: the export must not start from it
    path = os.fspath(tmp_path / "export")
    model.export(path, verbose=False)
    reloaded = tf.saved_model.load(path)
    first, again = reloaded.serve(x).numpy(), reloaded.serve(x).numpy()
    np.testing.assert_allclose(first, again, atol=1e-6)  # no state carried between requests
    np.testing.assert_allclose(first, zoo.tbptt.predict(model, x, window=4), atol=1e-6)
    assert reloaded.serve(x[:1]).shape == (1, 4, 1)  # and any batch size
    # The model itself keeps its stateful layers and batch.
    assert model.input_shape == (2, None, 1) and model.get_layer("gru_0").stateful


def test_numpy_ints_build_like_ints():
    i = np.int64
    model = zoo.models.lstm(
        input_shape=(None, i(2)), task="classification", num_classes=i(3), units=i(4), seed=i(0)
    )
    assert model.output_shape == (None, 3)
    forecast = zoo.models.gru(input_shape=(None, 2), task="forecast", horizon=i(2), units=4)
    assert forecast.output_shape == (None, 2, 1)
    tokens = zoo.models.lstm(vocab_size=i(9), embedding_dim=i(4), task="binary", units=4)
    assert tokens.output_shape == (None, 1)
    assert zoo.losses.MaskedSequenceCrossentropy(pad_id=i(0)).pad_id == 0
    assert zoo.activations.LeakyReLU(np.float32(0.1)).negative_slope == pytest.approx(0.1)
    s2s = zoo.models.seq2seq("ab", "cd", units=i(4), embedding_dim=i(4), max_target_length=i(5))
    assert s2s.get_config()["units"] == 4 and type(s2s.get_config()["units"]) is int
    lm = zoo.models.char_lm("abc", units=i(4), num_layers=i(1), embedding_dim=i(4), seed=i(0))
    assert lm.output_shape[-1] == lm.vocab.size


def test_a_mixed_precision_model_saved_before_fitting_loads_without_optimizer_warnings(tmp_path):
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = zoo.models.gru(**REAL, task="regression", units=2)
        assert model.optimizer.built  # the LossScaleOptimizer, not only the one inside it
        model.save(tmp_path / "m.keras")
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    assert not [w for w in caught if "Skipping variable loading" in str(w.message)]


def test_forecast_head_outputs_float32_under_mixed_precision():
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        model = zoo.models.lstm(input_shape=(None, 2), units=4, task="forecast", horizon=2)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    head = model.get_layer("head")
    head.bias.assign(head.bias + 70000.0)  # beyond float16's largest value, 65504
    out = model.predict(np.zeros((1, 3, 2), "float32"), verbose=0)
    assert out.dtype == np.float32 and np.all(np.isfinite(out))


def test_tbptt_predict_sequence_level():
    model = _stateful("regression", cell="gru")
    x = np.random.default_rng(0).normal(size=(2, 12, 1)).astype("float32")
    plain = zoo.models.gru(input_shape=(None, 1), task="regression", units=4)
    plain.set_weights(model.get_weights())
    last = zoo.tbptt.predict(model, x, 5)
    np.testing.assert_allclose(last, plain.predict(x, verbose=0), atol=1e-6)


def test_tbptt_fit_learns_a_sine():
    steps = np.arange(64)
    series = np.stack([np.sin(0.3 * steps), np.sin(0.3 * steps + 1.0)])[..., None]
    series = series.astype("float32")
    model = _stateful("sequence_regression", cell="gru", learning_rate=0.01)
    losses = zoo.tbptt.fit(model, series[:, :-1], series[:, 1:], window=9, epochs=5)
    assert len(losses) == 5 and all(np.isfinite(losses))
    assert losses[-1] < 0.5 * losses[0]


def test_stateful_model_checks(tmp_path):
    model = _stateful("sequence_regression")
    x = np.random.default_rng(0).normal(size=(2, 6, 1)).astype("float32")
    run_model_checks(model, x, x, tmp_path, run_eagerly=True)


def test_a_stateful_model_takes_batches_of_its_size_and_names_others():
    model = _stateful("sequence_regression")
    x4 = np.random.default_rng(0).normal(size=(4, 6, 1)).astype("float32")
    # four series train in two batches of the built two (Keras's default of 32 made one of 4)
    assert np.isfinite(model.fit(x4, x4, verbose=0).history["loss"][0])
    assert model.predict(x4, verbose=0).shape == (4, 6, 1)
    with pytest.raises(ValueError, match=r"x has 3 series, not a multiple of the batch_size=2"):
        model.predict(x4[:3], verbose=0)
    with pytest.raises(ValueError, match=r"batch_size=4: .* takes batches of exactly 2 series"):
        model.fit(x4, x4, batch_size=4, verbose=0)
    with pytest.raises(ValueError, match=r"x must be \(batch_size, T, 1\) .*got shape \(2, 6, 3\)"):
        zoo.tbptt.fit(model, np.zeros((2, 6, 3)), np.zeros((2, 6, 1)), window=3)
    for call in (
        lambda x: zoo.tbptt.fit(model, x, x, window=3),  # its mean loss was nan
        lambda x: zoo.tbptt.predict(model, x, window=3),
    ):
        with pytest.raises(ValueError, match=r"x has no time steps"):
            call(np.zeros((2, 0, 1), "float32"))


def test_a_bidirectional_residual_last_layer_reads_the_whole_sequence():
    model = zoo.models.stacked(
        **REAL, cell="gru", bidirectional=True, residual=True, num_layers=2, units=4, seed=0,
        task="regression",
    )  # fmt: skip
    x = real_inputs()
    inner = keras.Model(model.inputs, model.get_layer("bidirectional_0").output)
    h0 = inner(x)
    expected = h0[:, -1] + model.get_layer("bidirectional_1")(h0)  # the layer on all of h0
    got = keras.Model(model.inputs, model.get_layer("residual_1").output)(x)
    np.testing.assert_allclose(np.asarray(got), np.asarray(expected), atol=1e-6)


def test_residual_reaches_the_last_layer_of_a_sequence_level_model():
    kwargs = dict(REAL, mask_value=0.0, task="regression", units=4, num_layers=2, seed=0)
    plain = zoo.models.stacked(cell="gru", **kwargs)
    model = zoo.models.stacked(cell="gru", residual=True, **kwargs)
    assert {"residual_1", "last_step_1"} <= {layer.name for layer in model.layers}
    model.run_eagerly = plain.run_eagerly = True
    x = _padded_real(6)
    assert not np.allclose(model.predict(x, verbose=0), plain.predict(x, verbose=0), atol=1e-4)
    # The link is added step by step, then the last real step is read: padding changes nothing.
    np.testing.assert_allclose(
        model.predict(_padded_real(9), verbose=0), model.predict(x, verbose=0), atol=1e-6
    )


def test_optimizer_instance_is_used_as_it_is():
    sgd = keras.optimizers.SGD(learning_rate=0.25)
    model = zoo.models.lstm(**REAL, task="regression", units=2, optimizer=sgd)
    assert model.optimizer is sgd and float(sgd.learning_rate) == 0.25 and sgd.clipnorm is None


def test_text_model_used_before_adapting_says_so(tmp_path):
    model = zoo.models.gru(text=True, vocab_size=20, task="binary", units=2)
    with pytest.raises(ValueError, match=r"no vocabulary yet: call zoo.models.adapt_text"):
        model.predict(["a great film"], verbose=0)
    # Keras wrote it, then could not load it ("keys and values cannot be empty tensors")
    with pytest.raises(ValueError, match=r"no vocabulary yet: call zoo.models.adapt_text"):
        model.save(tmp_path / "m.keras")
    assert not (tmp_path / "m.keras").exists()
    with pytest.raises(ValueError, match=r"no token to learn \(2 texts, e.g. \['!!!', ''\], each"):
        zoo.models.adapt_text(model, ["!!!", ""])


def test_texts_without_tokens_read_as_padding_in_any_batch(tmp_path):
    # A batch whose texts all vectorize to nothing was (batch, 0): the recurrent layer failed
    # ("Tried to stack list which only contains uninitialized tensors"), in predict, evaluate
    # and mid-epoch in fit; next to a longer text the same text read as padding.
    model = _text_model()
    alone = model.predict(["", "!!!"], batch_size=1, verbose=0)
    beside = model.predict(["", "!!!", "a great film"], verbose=0)[:2]
    np.testing.assert_allclose(alone, beside, atol=1e-6)
    model.fit(np.array(["a film", "dull", "", "?"]), np.array([1, 0, 1, 0]), batch_size=2,
              verbose=0)  # fmt: skip
    model.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    np.testing.assert_allclose(loaded.predict([""], verbose=0), model.predict([""], verbose=0))


def test_text_inputs_that_are_not_a_list_of_texts_are_named():
    model = _text_model()
    with pytest.raises(TypeError, match=r"takes a list of texts; for one text pass \['a film'\]"):
        model.predict("a film", verbose=0)
    with pytest.raises(ValueError, match=r"got no texts"):
        model.predict([], verbose=0)
    for texts in (None, [1, 2, 3]):
        with pytest.raises(TypeError, match=r"texts must be a list or array of strings or a tf"):
            zoo.models.adapt_text(model, texts)
    with pytest.raises(TypeError, match=r"for one text pass \['a film'\]"):
        zoo.models.adapt_text(model, "a film")
    with pytest.raises(ValueError, match=r"batch_size must be a positive int, got 0"):
        zoo.models.adapt_text(model, TEXTS, batch_size=0)


def test_adapt_text_reads_the_texts_of_a_training_split_of_pairs():
    # A training split as it is, (text, label) pairs, failed in TensorFlow's Pack op.
    pairs = tf.data.Dataset.from_tensor_slices((["a great film", "a dull play"], [1, 0]))
    model, alone = _text_model(), _text_model()
    zoo.models.adapt_text(model, pairs)
    zoo.models.adapt_text(alone, ["a great film", "a dull play"])
    words = model.get_layer("vectorizer").get_vocabulary()
    assert words == alone.get_layer("vectorizer").get_vocabulary() and "play" in words
    with pytest.raises(TypeError, match=r"a tf.data.Dataset of strings or of \(text, label\) tu"):
        zoo.models.adapt_text(model, tf.data.Dataset.from_tensor_slices([1, 2]))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        (dict(text=True, vocab_size=2), r"text=True needs vocab_size >= 3 .*got 2"),
        (
            dict(vectorizer=keras.layers.TextVectorization(max_tokens=20, output_mode="tf_idf")),
            r"vectorizer must give token ids \(output_mode='int'\).*got output_mode='tf_idf'",
        ),
    ],
)
def test_a_text_model_without_room_for_token_ids_is_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        zoo.models.lstm(task="binary", units=2, **kwargs)


def test_an_embedding_takes_any_seed_its_layers_take():
    assert zoo.models.lstm(vocab_size=9, task="binary", units=2, seed=2**63).count_params() > 0


@pytest.mark.parametrize("name", ["simple_rnn", "lstm", "gru", "bidirectional", "stacked"])
def test_a_misspelt_argument_names_the_factory_and_the_closest_one(name):
    expected = (
        rf"^{name}\(\) got an unexpected keyword argument 'unit' \(= 8\)\. Did you mean 'units'\?$"
    )
    with pytest.raises(TypeError, match=expected):
        getattr(zoo.models, name)(input_shape=(None, 2), task="regression", unit=8)
    with pytest.raises(TypeError, match=expected):
        zoo.build(name, input_shape=(None, 2), task="regression", unit=8)


def test_an_argument_of_no_factory_lists_the_allowed_ones():
    with pytest.raises(TypeError, match=r"^lstm\(\) got an unexpected keyword argument 'cell' "):
        zoo.models.lstm(cell="gru")
    with pytest.raises(
        TypeError, match=r"Its keyword arguments are input_shape, .*, seed, name\.$"
    ):
        zoo.models.gru(zzz=1)
