"""Bad inputs: each raises ValueError/TypeError at once, naming the argument and the value."""

import dataclasses
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest import mock

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo

REAL = dict(input_shape=(None, 2), task="regression", units=4)
ROOT = Path(__file__).resolve().parents[1]


def lstm(**kwargs):
    return zoo.models.lstm(**{**REAL, **kwargs})


def build_with_restricted_tasks():
    """`zoo.build` checks the task against the model's registry row (all RNNs take every task)."""
    spec = zoo.registry.get("gru")
    narrow = dataclasses.replace(spec, tasks=("binary", "classification"))
    with mock.patch.dict(zoo.registry._BY_NAME, {"gru": narrow}):
        zoo.build("gru", **REAL)


def stateful_model():
    return lstm(task="sequence_regression", stateful=True, batch_size=2)


# (id, call, exception, fragments the message must show, in order)
CASES = [
    ("unknown_model", lambda: zoo.build("lstmm", **REAL), ValueError,
     ["model name", "'lstmm'", "Did you mean 'lstm'"]),
    ("unknown_task", lambda: lstm(task="clasification", num_classes=3), ValueError,
     ["task", "'clasification'", "Did you mean 'classification'"]),
    ("task_not_supported_by_model", build_with_restricted_tasks, ValueError,
     ["task (for model 'gru')", "'binary', 'classification'", "'regression'"]),
    ("unknown_task_via_build", lambda: zoo.build("lstm", **{**REAL, "task": "translation"}),
     ValueError, ["task (for model 'lstm')", "'translation'"]),
    ("units_zero", lambda: lstm(units=0), ValueError, ["units must be a positive int", "got 0"]),
    ("units_str", lambda: lstm(units="8"), TypeError, ["units must be a positive int", "'8'"]),
    ("units_float", lambda: lstm(units=4.0), TypeError, ["units", "4.0"]),
    ("units_list_length", lambda: lstm(units=[4, 4]), ValueError,
     ["units", "num_layers=1", "[4, 4]", "give num_layers=2 with it",
      "--set num_layers=2", "or units as one int"]),
    ("units_list_empty", lambda: lstm(units=[]), ValueError,
     ["units must be a positive int or a list of one per layer", "got an empty list"]),
    ("units_list_entry", lambda: zoo.models.stacked(**{**REAL, "units": [4, 0]}), ValueError,
     ["units[1]", "got 0"]),
    ("num_layers_zero", lambda: lstm(num_layers=0), ValueError, ["num_layers", "got 0"]),
    ("dropout_one", lambda: lstm(dropout=1.0), ValueError, ["dropout must be in [0, 1)", "1.0"]),
    ("dropout_negative", lambda: lstm(dropout=-0.1), ValueError, ["dropout", "-0.1"]),
    ("dropout_str", lambda: lstm(dropout="0.1"), TypeError, ["dropout", "'0.1'"]),
    ("recurrent_dropout", lambda: lstm(recurrent_dropout=1.5), ValueError,
     ["recurrent_dropout", "1.5"]),
    ("unknown_activation", lambda: lstm(activation="tanhh"), ValueError,
     ["activation", "'tanhh'", "Did you mean 'tanh'"]),
    ("unknown_recurrent_activation", lambda: lstm(recurrent_activation="sigmoidd"), ValueError,
     ["recurrent_activation", "'sigmoidd'", "Did you mean 'sigmoid'"]),
    ("activation_type", lambda: lstm(activation=len), TypeError,
     ["activation must be one of", "LeakyReLU", "built-in function len"]),
    ("leaky_relu_slope", lambda: zoo.activations.LeakyReLU(1.5), ValueError,
     ["negative_slope", "1.5"]),
    ("bad_merge_mode", lambda: zoo.models.bidirectional(**REAL, merge_mode="concatenate"),
     ValueError, ["merge_mode", "'concatenate'", "Did you mean 'concat'"]),
    ("unknown_cell", lambda: zoo.models.stacked(**REAL, cell="lstmm"), ValueError,
     ["cell", "'lstmm'", "Did you mean 'lstm'"]),
    ("classification_no_num_classes", lambda: lstm(task="classification"), ValueError,
     ["task='classification' needs num_classes", "None"]),
    ("tagging_no_num_classes", lambda: lstm(task="tagging"), ValueError,
     ["task='tagging' needs num_classes", "None"]),
    ("num_classes_one", lambda: lstm(task="classification", num_classes=1), ValueError,
     ["num_classes", ">= 2", "got 1"]),
    ("output_dim_zero", lambda: lstm(output_dim=0), ValueError, ["output_dim", "got 0"]),
    ("forecast_no_horizon", lambda: lstm(task="forecast"), ValueError,
     ["task='forecast' needs horizon", "None"]),
    ("horizon_zero", lambda: lstm(task="forecast", horizon=0), ValueError, ["horizon", "got 0"]),
    ("text_no_vocab_size", lambda: zoo.models.gru(text=True, task="binary"), ValueError,
     ["text=True needs vocab_size", "None"]),
    ("vocab_size_zero", lambda: zoo.models.gru(vocab_size=0, task="binary"), ValueError,
     ["vocab_size", "got 0"]),
    ("embedding_dim_zero", lambda: zoo.models.gru(vocab_size=9, embedding_dim=0, task="binary"),
     ValueError, ["embedding_dim", "got 0"]),
    ("sequence_length_zero",
     lambda: zoo.models.gru(text=True, vocab_size=9, sequence_length=0, task="binary"),
     ValueError, ["sequence_length", "got 0"]),
    ("input_shape_rank_1", lambda: lstm(input_shape=(8,)), ValueError,
     ["input_shape", "rank 2", "(8,)"]),
    ("input_shape_rank_3", lambda: lstm(input_shape=(None, 8, 1)), ValueError,
     ["input_shape", "rank 2", "(None, 8, 1)"]),
    ("input_shape_no_features", lambda: lstm(input_shape=(None, 0)), ValueError,
     ["input_shape[1] (features)", "got 0"]),
    ("input_shape_float_steps", lambda: lstm(input_shape=(5.0, 2)), TypeError,
     ["input_shape[0] (timesteps)", "5.0"]),
    ("no_input", lambda: zoo.models.lstm(task="regression"), ValueError,
     ["input_shape", "vocab_size", "text=True", "got none of them"]),
    ("mask_value_str", lambda: lstm(mask_value="0"), TypeError, ["mask_value", "'0'"]),
    ("mask_value_nan", lambda: lstm(mask_value=float("nan")), ValueError,
     ["mask_value must be a finite number", "nan", "never be masked"]),
    ("mask_value_bool", lambda: lstm(mask_value=True), TypeError, ["mask_value", "True"]),
    ("text_with_input_shape",
     lambda: zoo.models.gru(text=True, vocab_size=9, input_shape=(5, 3), task="binary"),
     ValueError, ["text=True", "input_shape=(5, 3) does not apply", "sequence_length"]),
    ("text_without_mask_zero",
     lambda: zoo.models.gru(text=True, vocab_size=9, mask_zero=False, task="binary"),
     ValueError, ["text=True", "mask_zero=False does not apply"]),
    ("output_dim_with_classification",
     lambda: lstm(task="classification", num_classes=3, output_dim=3), ValueError,
     ["output_dim is for the real-valued tasks", "output_dim=3", "'classification'"]),
    ("output_dim_with_binary", lambda: lstm(task="binary", output_dim=2), ValueError,
     ["output_dim", "output_dim=2", "'binary'"]),
    ("embedding_dim_on_features", lambda: lstm(embedding_dim=8), ValueError,
     ["embedding_dim sets the token embedding", "embedding_dim=8", "on features"]),
    ("num_mels_on_tokens", lambda: zoo.models.gru(vocab_size=9, num_mels=20, task="binary"),
     ValueError, ["num_mels sets the mel bands", "num_mels=20", "on token ids or text"]),
    ("batch_size_without_stateful", lambda: lstm(batch_size=8), ValueError,
     ["batch_size fixes the batch of a stateful model", "batch_size=8"]),
    ("optimizer_instance_with_learning_rate",
     lambda: lstm(optimizer=keras.optimizers.SGD(), learning_rate=0.5), ValueError,
     ["learning_rate=0.5 cannot apply to the optimizer instance SGD", "SGD(learning_rate="]),
    ("optimizer_instance_with_clipnorm",
     lambda: zoo.models.char_lm("abc", optimizer=keras.optimizers.Adam(), clipnorm=0.1),
     ValueError, ["clipnorm=0.1 cannot apply to the optimizer instance Adam"]),
    ("tbptt_fit_wrong_batch",
     lambda: zoo.tbptt.fit(stateful_model(), np.zeros((1, 4, 2)), np.zeros((1, 4, 1)), 2),
     ValueError, ["x has a batch of 1 series", "batch_size=2"]),
    ("tbptt_predict_wrong_batch",
     lambda: zoo.tbptt.predict(stateful_model(), np.zeros((3, 4, 2)), 2),
     ValueError, ["x has a batch of 3 series", "batch_size=2"]),
    ("flag_not_bool", lambda: zoo.models.stacked(**REAL, residual="yes"), TypeError,
     ["residual", "'yes'"]),
    ("stateful_no_batch_size", lambda: lstm(stateful=True), ValueError,
     ["stateful=True needs batch_size", "None"]),
    ("stateful_batch_size_zero", lambda: lstm(stateful=True, batch_size=0), ValueError,
     ["batch_size", "got 0"]),
    ("stateful_bidirectional",
     lambda: zoo.models.bidirectional(**REAL, stateful=True, batch_size=2), ValueError,
     ["stateful=True", "unidirectional", "bidirectional=True"]),
    ("stateful_stacked_bidirectional",
     lambda: zoo.models.stacked(**REAL, bidirectional=True, stateful=True, batch_size=2),
     ValueError, ["stateful=True", "bidirectional=True"]),
    ("stateful_text",
     lambda: zoo.models.gru(text=True, vocab_size=9, task="binary", stateful=True, batch_size=2),
     ValueError, ["stateful=True", "text=True"]),
    ("loss_for_task", lambda: lstm(task="classification", num_classes=3, loss="mae"), ValueError,
     ["loss (for task='classification')", "'crossentropy'", "'mae'"]),
    ("unknown_loss", lambda: lstm(loss="huber"), ValueError,
     ["loss (for task='regression')", "'mse', 'mae'", "'huber'"]),
    ("unknown_optimizer", lambda: lstm(optimizer="adamm"), ValueError,
     ["optimizer must be a Keras optimizer name (", "adam, ", "rmsprop, ", "sgd) or instance, "
      "got 'adamm'. Did you mean 'adam'"]),
    ("optimizer_type", lambda: lstm(optimizer=3), TypeError, ["optimizer", "got 3"]),
    ("negative_learning_rate", lambda: lstm(learning_rate=-1e-3), ValueError,
     ["learning_rate", "-0.001"]),
    ("learning_rate_str", lambda: lstm(learning_rate="fast"), TypeError,
     ["learning_rate", "'fast'"]),
    ("clipnorm_zero", lambda: lstm(clipnorm=0), ValueError, ["clipnorm", "got 0"]),
    ("negative_seed", lambda: lstm(seed=-1), ValueError, ["seed", "-1"]),
    ("seed_str", lambda: lstm(seed="1"), ValueError, ["seed", "'1'"]),
    ("residual_varying_units",
     lambda: zoo.models.stacked(**{**REAL, "units": [4, 8]}, residual=True), ValueError,
     ["residual=True needs the same units", "[4, 8]"]),
    ("tbptt_window_zero", lambda: zoo.tbptt.predict(stateful_model(), np.zeros((2, 4, 2)), 0),
     ValueError, ["window", "got 0"]),
    ("tbptt_epochs_zero",
     lambda: zoo.tbptt.fit(stateful_model(), np.zeros((2, 4, 2)), np.zeros((2, 4, 1)), 2, 0),
     ValueError, ["epochs", "got 0"]),
    ("adapt_text_without_text", lambda: zoo.models.adapt_text(lstm(), ["a film"]), ValueError,
     ["model 'lstm'", "TextVectorization", "text=True"]),
    ("tbptt_not_stateful",
     lambda: zoo.tbptt.predict(lstm(task="sequence_regression"), np.zeros((2, 4, 2)), 2),
     ValueError, ["model 'lstm' has no stateful recurrent layer", "stateful=True"]),
    ("tbptt_fit_sequence_level",
     lambda: zoo.tbptt.fit(lstm(stateful=True, batch_size=2), np.zeros((2, 4, 2)),
                           np.zeros((2, 1)), 2),
     ValueError, ["fit trains per-step models", "(2, 1)"]),
    ("tbptt_fit_steps_differ",
     lambda: zoo.tbptt.fit(stateful_model(), np.zeros((2, 4, 2)), np.zeros((2, 3, 1)), 2),
     ValueError, ["same batch and steps", "(2, 4, 2)", "(2, 3, 1)"]),
    ("num_classes_for_binary", lambda: lstm(task="binary", num_classes=5), ValueError,
     ["num_classes is for task='classification' or 'tagging'", "5", "'binary'",
      "one sigmoid output"]),
    ("horizon_for_regression", lambda: lstm(horizon=3), ValueError,
     ["horizon is for task='forecast'", "horizon=3", "'regression'"]),
    ("from_logits_loss_on_softmax",
     lambda: lstm(task="classification", num_classes=3,
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True)),
     ValueError, ["SparseCategoricalCrossentropy(from_logits=True)", "second softmax"]),
    ("merge_mode_unidirectional", lambda: lstm(merge_mode="sum"), ValueError,
     ["merge_mode='sum'", "bidirectional=False"]),
    ("merge_mode_unknown", lambda: zoo.models.stacked(**REAL, merge_mode="bogus"), ValueError,
     ["merge_mode must be one of", "'bogus'"]),
    ("simple_rnn_gates", lambda: zoo.models.simple_rnn(**REAL, recurrent_activation="tanh"),
     ValueError, ["simple_rnn has no gates", "'tanh'"]),
    ("mask_value_with_tokens",
     lambda: zoo.models.lstm(vocab_size=10, task="regression", mask_value=0.0), ValueError,
     ["mask_value", "token ids are padded", "0.0", "vocab_size=10"]),
    ("token_input_shape_features",
     lambda: zoo.models.lstm(vocab_size=10, input_shape=(None, 8), task="regression"),
     ValueError, ["(timesteps or None,)", "(None, 8)"]),
    ("sequence_length_without_text", lambda: lstm(sequence_length=5), ValueError,
     ["sequence_length", "text=True", "5"]),
    ("char_vocabulary_words", lambda: zoo.models.seq2seq(["hello", "world"], ["bonjour"]),
     ValueError, ["source_vocabulary with split='char' must hold single characters", "'hello'",
                  "split='whitespace'"]),
    ("word_vocabulary_spaces",
     lambda: zoo.models.seq2seq(["a b", "c"], ["d"], split="whitespace"), ValueError,
     ["without whitespace", "'a b'"]),
    ("token_accuracy_from_logits",
     lambda: zoo.metrics.MaskedTokenAccuracy(from_logits="yes"), TypeError,
     ["from_logits", "'yes'"]),
    ("sparse_loss_for_regression",
     lambda: lstm(loss=keras.losses.SparseCategoricalCrossentropy()), ValueError,
     ["loss=SparseCategoricalCrossentropy reads class ids", "task='regression'",
      "'classification' or 'tagging'"]),
    ("binary_loss_for_classes",
     lambda: lstm(task="classification", num_classes=3, loss=keras.losses.BinaryCrossentropy()),
     ValueError, ["loss=BinaryCrossentropy reads 0/1 labels", "task='classification'",
                  "softmax", "task='binary'"]),
    ("binary_probability_loss_for_values",
     lambda: lstm(output_dim=4, loss=keras.losses.BinaryCrossentropy()), ValueError,
     ["loss=BinaryCrossentropy(from_logits=False) takes probabilities", "task='regression'",
      "from_logits=True"]),
    ("units_too_large", lambda: lstm(units=10**6), ValueError,
     ["units=1000000 gives lstm(1000000)'s recurrent kernel", "4,000,000,000,000 entries",
      "more than the 2,147,483,647 rnn-zoo allows"]),
    ("embedding_too_large", lambda: zoo.models.gru(vocab_size=10**9, task="binary"), ValueError,
     ["vocab_size=1000000000 and embedding_dim=64 gives the embedding", "more than"]),
    ("input_kernel_too_large", lambda: lstm(input_shape=(None, 10**9)), ValueError,
     ["input_shape=(None, 1000000000) and units=4 gives lstm(4)'s input kernel", "more than"]),
    ("char_lm_embedding_too_large", lambda: zoo.models.char_lm("ab", embedding_dim=10**8),
     ValueError, ["embedding_dim=100000000 and units=", "input kernel", "more than"]),
    ("reservoir_too_large", lambda: zoo.models.esn(units=10**5), ValueError,
     ["units=100000 gives the recurrent matrix 100000 x 100000", "more than"]),
    ("bidirectional_input_kernel_too_large",
     lambda: zoo.models.bidirectional(**{**REAL, "units": 20000, "num_layers": 2}),
     ValueError, ["the layer below's 40000 features and units=20000", "input kernel 40000 x"]),
    ("num_layers_too_many", lambda: lstm(num_layers=10**9), ValueError,
     ["num_layers must be an int in [1, 1000]", "got 1000000000"]),
    ("stack_too_large", lambda: lstm(units=4096, num_layers=40), ValueError,
     ["40 layers of units [4096, 4096, ...] give lstm recurrent kernels of 2,684,354,560"]),
    ("char_lm_num_layers_too_many", lambda: zoo.models.char_lm("ab", num_layers=5000),
     ValueError, ["num_layers must be an int in [1, 1000]", "got 5000"]),
    ("speech_units_too_large", lambda: zoo.models.ctc_speech(units=10**5), ValueError,
     ["units=100000 gives gru(100000)'s recurrent kernel", "more than"]),
    ("fit_binary_labels_beyond_one",
     lambda: lstm(task="binary").fit(np.zeros((4, 3, 2)), np.array([0, 1, 2, 3]), verbose=0),
     ValueError, ["y must hold binary labels in [0, 1]", "from 0 to 3", "task='classification'"]),
    ("fit_class_ids_one_hot",
     lambda: lstm(task="classification", num_classes=3).fit(np.zeros((3, 3, 2)), np.eye(3)),
     ValueError, ["y must be class ids of shape (batch,)", "(batch, 3)", "got shape (3, 3)",
                  "one-hot", "y.argmax(-1)"]),
    ("fit_class_ids_fractional",
     lambda: lstm(task="classification", num_classes=3).fit(np.zeros((2, 3, 2)), np.array([0, .5])),
     ValueError, ["y must hold whole-number class ids in [0, 3)", "0.5", "index (1,)"]),
    ("evaluate_tag_ids_out_of_range",
     lambda: lstm(task="tagging", num_classes=3).evaluate(np.zeros((2, 3, 2)), np.full((2, 3), 3)),
     ValueError, ["y must hold class ids in [0, 3)", "got 3 at index (0, 0)"]),
    ("fit_tags_other_steps",
     lambda: lstm(task="tagging", num_classes=3).fit(np.zeros((2, 3, 2)), np.zeros((2, 4))),
     ValueError, ["y must be class ids of shape (batch, 3)", "(batch, 3, 3)", "(2, 4)"]),
    ("fit_nan_features", lambda: lstm().fit(np.full((2, 3, 2), np.nan), np.zeros(2)), ValueError,
     ["x holds NaN or inf", "index (0, 0, 0)", "nan"]),
    ("fit_validation_nan_targets",
     lambda: lstm().fit(np.zeros((2, 3, 2)), np.zeros(2),
                        validation_data=(np.zeros((2, 3, 2)), np.array([0.0, np.inf]))),
     ValueError, ["validation_data[1] holds NaN or inf", "index (1,)", "inf"]),
    ("fit_regression_target_shape",
     lambda: lstm(output_dim=2).fit(np.zeros((2, 3, 2)), np.zeros((2, 3))),
     ValueError, ["y must have the model's output shape, (batch, 2)", "(2, 3)"]),
    ("predict_negative_token_ids",
     lambda: zoo.models.gru(vocab_size=9, task="binary").predict(np.array([[1, -2]])),
     ValueError, ["x must hold token ids in [0, 9)", "-2 at index (0, 1)"]),
    ("fit_fractional_token_ids",
     lambda: zoo.models.gru(vocab_size=9, task="binary").fit(np.array([[1.5]]), np.zeros(1)),
     ValueError, ["x must hold whole-number token ids in [0, 9)", "1.5"]),
    ("fit_string_targets",
     lambda: lstm(task="binary").fit(np.zeros((1, 3, 2)), np.array(["yes"])),
     TypeError, ["y must hold numbers", "dtype <U3"]),
    ("gradient_through_time_rank",
     lambda: zoo.inspect.gradient_through_time(lstm(), np.zeros((2, 3)), np.zeros((2, 1))),
     ValueError, ["x must be (batch, T, features)", "(2, 3)"]),
]  # fmt: skip


@pytest.mark.parametrize(
    "call, error, fragments", [pytest.param(*case[1:], id=case[0]) for case in CASES]
)
def test_bad_input(call, error, fragments):
    pattern = ".*".join(re.escape(f) for f in fragments)
    with pytest.raises(error, match=pattern):
        call()


def test_an_unknown_optimizer_name_is_named_without_keras_s_config_dict():
    with pytest.raises(ValueError) as error:
        lstm(optimizer="adamm")
    assert "class_name" not in str(error.value) and "config" not in str(error.value)


def test_targets_take_the_loss_s_ignore_class_and_either_trailing_shape():
    """Padding labels of `ignore_class` train; targets given as (batch, T) then (batch, T, 1)
    (or class ids as (batch,) then (batch, 1)) train in one model (Keras alone failed the
    second call with "Cannot take the length of shape with unknown rank")."""
    x = np.random.default_rng(0).normal(size=(4, 3, 2)).astype("float32")
    ignore = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    tagger = lstm(task="tagging", num_classes=3, loss=ignore)
    tagger.fit(x, np.array([[0, 2, -1]] * 4), verbose=0)
    with pytest.raises(ValueError, match=r"class ids \(or -1, ignored\) in \[0, 3\), got -2"):
        tagger.fit(x, np.array([[0, 2, -2]] * 4), verbose=0)
    per_step = lstm(task="sequence_regression")
    per_step.fit(x, np.zeros((4, 3)), verbose=0)
    per_step.fit(x, np.zeros((4, 3, 1)), verbose=0)
    classifier = lstm(task="classification", num_classes=3)
    classifier.fit(x, np.array([0, 1, 2, 0]), verbose=0)
    classifier.evaluate(x, np.array([[0], [1], [2], [0]]), verbose=0)


def test_several_binary_labels_train_through_logits():
    multi = lstm(output_dim=4, loss=keras.losses.BinaryCrossentropy(from_logits=True))
    x = np.zeros((2, 3, 2), "float32")
    multi.fit(x, np.array([[0, 1, 1, 0], [1, 0, 0, 1]]), verbose=0)
    with pytest.raises(ValueError, match="y must hold binary labels in \\[0, 1\\]"):
        multi.fit(x, np.full((2, 4), 2), verbose=0)


def test_data_checks_let_what_keras_takes_through(tmp_path):
    """Soft binary labels, (batch, T) per-step targets and int class ids of any int dtype train;
    a saved model loads as the checking class and still checks."""
    x = np.random.default_rng(0).normal(size=(4, 3, 2)).astype("float32")
    lstm(task="binary").fit(x, np.array([0.0, 0.3, 1.0, 1.0]), verbose=0)
    lstm(task="sequence_regression").fit(x, np.zeros((4, 3)), verbose=0)
    tagger = lstm(task="tagging", num_classes=3)
    tagger.fit(x, np.array([[0, 1, 2]] * 4, dtype="uint8"), verbose=0)
    tagger.save(tmp_path / "m.keras")
    loaded = keras.models.load_model(tmp_path / "m.keras", safe_mode=True)
    assert isinstance(loaded, zoo.models.recurrent_model.RecurrentModel)
    with pytest.raises(ValueError, match=r"y must hold class ids in \[0, 3\)"):
        loaded.evaluate(x, np.full((4, 3), 7), verbose=0)


@pytest.mark.parametrize(
    "build, y",
    [
        (lambda: lstm(task="binary"), np.array([0.0, 1.0, 1.0, 0.0])),
        (lambda: lstm(task="regression"), np.array([0.5, 1.0, 0.0, 2.0])),
        (lambda: lstm(task="tagging", num_classes=3), np.array([[[0], [1], [2]]] * 4)),
        (lambda: zoo.models.esn(input_shape=(None, 2), output_dim=1, units=8), np.zeros((4, 3))),
    ],
    ids=["binary", "regression", "tagging", "esn"],
)
def test_arrays_and_datasets_of_either_target_shape_train_one_model(build, y):
    """NumPy targets reach Keras in one shape; a dataset's are mapped to it, so that a model
    fitted on arrays then trains and scores on a dataset of the other shape (Keras: "Cannot
    take the length of shape with unknown rank"), and the other way round."""
    import tensorflow as tf

    x = np.random.default_rng(0).normal(size=(4, 3, 2)).astype("float32")
    y = y.astype("float32") if y.dtype.kind == "f" else y  # one dtype: one traced step
    other = y[..., 0] if y.shape[-1] == 1 else y[..., None]
    for arrays, dataset in ((y, y), (y, other), (other, y)):
        model = build()
        model.fit(x, arrays, verbose=0)
        data = tf.data.Dataset.from_tensor_slices((x, dataset)).batch(2)
        history = model.fit(data, validation_data=data, verbose=0).history
        assert np.isfinite(history["val_loss"][0])
        assert np.isfinite(model.evaluate(data, verbose=0, return_dict=True)["loss"])


def test_stateless_copies_keep_the_model_s_checks():
    stateful = lstm(task="sequence_regression", stateful=True, batch_size=2)
    text = zoo.models.gru(text=True, vocab_size=20, task="binary", units=4)
    assert type(zoo.tbptt.stateless_copy(stateful)) is zoo.models.recurrent_model.RecurrentModel
    assert type(zoo.tbptt.stateless_copy(text)) is zoo.models.recurrent_model.TextModel
    with pytest.raises(ValueError, match="x holds NaN or inf"):
        zoo.tbptt.stateless_copy(stateful).predict(np.full((3, 4, 2), np.nan))


def test_case_ids_are_unique():
    ids = [case[0] for case in CASES]
    assert len(ids) == len(set(ids))


def _import_zoo(backend=None, keras_home=None, code="import zoo"):
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "KERAS_BACKEND")}
    env.update(PYTHONPATH=str(ROOT), TF_CPP_MIN_LOG_LEVEL="3")
    if backend:
        env["KERAS_BACKEND"] = backend
    if keras_home:
        env["KERAS_HOME"] = str(keras_home)
    return subprocess.run(
        [sys.executable, "-c", code],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_modules_load_on_first_use_after_import_zoo():
    code = (
        "import sys, zoo\n"
        "assert 'zoo.tuning' not in sys.modules\n"
        "import keras_tuner\n"
        "hm = zoo.tuning.hypermodel('gru', task='binary', vocab_size=20)\n"
        "print(isinstance(hm, keras_tuner.HyperModel))\n"
        "print(zoo.decoding.ctc_beam_search.__name__, zoo.data.audio.__name__)\n"
        "print('tuning' in dir(zoo))\n"
        "zoo.tunning\n"
    )
    result = _import_zoo(code=code)
    assert result.stdout.split() == ["True", "ctc_beam_search", "zoo.data.audio", "True"]
    assert "module 'zoo' has no attribute 'tunning'" in result.stderr


@pytest.mark.parametrize("backend", ["numpy", "jax"])
def test_other_backend_fails_on_import(backend):
    result = _import_zoo(backend)
    assert result.returncode != 0
    assert "ImportError" in result.stderr
    assert "TensorFlow backend" in result.stderr
    assert f"configured for {backend!r} by KERAS_BACKEND" in result.stderr
    assert "KERAS_BACKEND=tensorflow" in result.stderr


def test_backend_from_keras_json_fails_on_import(tmp_path):
    (tmp_path / "keras.json").write_text('{"backend": "jax"}')
    result = _import_zoo(keras_home=tmp_path)
    assert result.returncode != 0
    assert "configured for 'jax' by" in result.stderr and "keras.json" in result.stderr


def test_one_weight_per_sequence_weighs_every_step_of_a_tagger():
    # Keras broadcast a (batch,) weight along time: "Dimensions must be equal, but are 32 and
    # 12" (and, after per-step weights, "Cannot take the length of shape with unknown rank").
    model = zoo.models.gru(input_shape=(None, 3), task="tagging", num_classes=4, units=4, seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(6, 12, 3)).astype("float32"), rng.integers(0, 4, (6, 12))
    rows = np.array([1.0, 0.0, 1.0, 1.0, 2.0, 1.0])
    steps = np.repeat(rows[:, None], 12, axis=1)
    by_step = model.evaluate(x, y, sample_weight=steps, verbose=0)
    np.testing.assert_allclose(model.evaluate(x, y, sample_weight=rows, verbose=0), by_step)
    history = model.fit(x, y, sample_weight=rows, validation_data=(x, y, rows), verbose=0)
    assert np.isfinite(history.history["val_loss"][0])


def test_a_padding_label_out_of_range_is_told_how_to_pad():
    # Labels of -1 at padded steps were refused without saying that padded steps are masked.
    model = zoo.models.gru(input_shape=(None, 3), task="tagging", num_classes=4, units=4, seed=0)
    x = np.zeros((2, 5, 3), "float32")
    with pytest.raises(ValueError, match=r"got -1 at index \(0, 3\).*If these are padded steps"):
        model.fit(x, np.array([[0, 1, 2, -1, -1], [1, 1, 1, 1, 1]]), verbose=0)


def test_suggestions_ignore_case():
    # 'ESN' and 'TANH' got no suggestion where 'lsmt' got 'lstm' (difflib compares case).
    with pytest.raises(ValueError, match=r"got 'TANH'.*Did you mean 'tanh'"):
        zoo.models.gru(input_shape=(None, 1), task="regression", activation="TANH")
    with pytest.raises(ValueError, match=r"got 'ESN'. Did you mean 'esn'\?"):
        zoo.build("ESN")


def test_a_dataset_of_one_weight_per_sequence_trains_a_tagger():
    # (x, y, w) batches with w of shape (batch,): "Incompatible shapes: [2] vs. [2,6]".
    model = zoo.models.gru(input_shape=(None, 3), task="tagging", num_classes=4, units=4, seed=0)
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(4, 6, 3)).astype("float32"), rng.integers(0, 4, (4, 6))
    rows = np.array([1.0, 0.0, 2.0, 1.0], "float32")
    data = tf.data.Dataset.from_tensor_slices((x, y, rows)).batch(2)
    assert np.isfinite(model.fit(data, verbose=0).history["loss"][0])
    np.testing.assert_allclose(
        model.evaluate(data, verbose=0), model.evaluate(x, y, sample_weight=rows, verbose=0)
    )


def _weighted_data(family):
    """A tiny model of `family` and one batch of two examples `(x, y)` it trains on."""
    if family == "gru":
        model = zoo.models.gru(**REAL, seed=0)
        return model, np.zeros((2, 4, 2), "float32"), np.zeros((2, 1), "float32")
    if family == "char_lm":
        model = zoo.models.char_lm("ab", units=4, seed=0)
        ids = np.array([[1, 2, 3], [2, 3, 1]])
        return model, ids, ids
    if family == "seq2seq":
        model = zoo.models.seq2seq("ab", "ab", units=4, seed=0)
        t_in, t_out = model.encode_targets(["ab", "b"])
        return model, {"source": model.encode_sources(["a", "ba"]), "target_in": t_in}, t_out
    model = zoo.models.ctc_speech(vocabulary="ab", units=4, num_layers=1, conv_filters=2,
                                  frontend="log_mel", seed=0)  # fmt: skip
    x = {"waveform": np.zeros((2, 4000), "float32"), "length": np.array([4000, 4000])}
    return model, x, model.encode_texts(["ab", "a"])


@pytest.mark.parametrize("family", ["gru", "char_lm", "seq2seq", "ctc_speech"])
def test_negative_or_nan_sample_weights_are_refused(family):
    # A negative weight trained toward a larger loss (loss -1.408, -1.414, ...); seq2seq,
    # char_lm and ctc_speech took NaN weights too.
    model, x, y = _weighted_data(family)
    for weights, match in (
        (np.array([1.0, -1.0]), r"sample_weight must hold weights >= 0, got -1.0 at index \(1,\)"),
        (np.array([1.0, np.nan]), r"sample_weight .*NaN"),
    ):
        with pytest.raises(ValueError, match=match):
            model.fit(x, y, sample_weight=weights, epochs=1, verbose=0)
        with pytest.raises(ValueError, match=match):
            model.evaluate(x, y, sample_weight=weights, verbose=0)
    with pytest.raises(ValueError, match=r"validation_data\[2\] must hold weights >= 0"):
        model.fit(x, y, validation_data=(x, y, np.array([1.0, -1.0])), verbose=0)


@pytest.mark.parametrize("family", ["gru", "char_lm", "seq2seq", "esn"])
def test_one_batch_methods_check_data_as_fit_does(family):
    # train_on_batch and test_on_batch trained on ids out of range, NaN targets, negative
    # weights that fit refuses.
    if family == "esn":
        model = zoo.models.esn(input_shape=(None, 2), units=8, seed=0)
        x, y = np.zeros((2, 4, 2)), np.zeros((2, 4, 2))  # the next step of each feature
    else:
        model, x, y = _weighted_data(family)
    bad = np.full(y.shape, np.nan) if y.dtype.kind == "f" else y + 100
    for method in (model.train_on_batch, model.test_on_batch):
        with pytest.raises(ValueError, match=r"^y (holds NaN|must (hold|be) .*ids in \[0, )"):
            method(x, bad)
        with pytest.raises(ValueError, match=r"sample_weight must hold weights >= 0"):
            method(x, y, sample_weight=np.array([1.0, -1.0]))
        assert np.all(np.isfinite(method(x, y)))


def test_sample_weights_given_as_lists_are_checked_and_train():
    # Keras failed inside its data adapter: "IndexError: tuple index out of range".
    model = zoo.models.gru(**REAL, seed=0)
    x, y = np.zeros((4, 3, 2), "float32"), np.zeros((4, 1), "float32")
    assert np.isfinite(
        model.fit(x, y, sample_weight=[1.0, 2.0, 0.0, 1.0], verbose=0).history["loss"][0]
    )
    with pytest.raises(ValueError, match=r"sample_weight must hold weights >= 0, got -1"):
        model.fit(x, y, sample_weight=[1.0, -1.0, 1.0, 1.0], verbose=0)
    with pytest.raises(TypeError, match=r"sample_weight must be numbers, .* got a list of object"):
        model.fit(x, y, sample_weight=[[1.0], [1.0, 2.0], 1.0, 1.0], verbose=0)


def test_the_loss_message_names_keras_names_too():
    with pytest.raises(ValueError, match=r"one of 'mse', 'mae', 'mean_squared_error', 'mean_abs"):
        zoo.models.gru(**REAL, loss="huber")
