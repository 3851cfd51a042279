"""What the recurrent factories' models make of their data: weights, ignored classes, bad inputs."""

import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo

X = np.array([[1, 2, 3, 0], [4, 5, 6, 7]])  # token ids, the first sequence padded
TAGS = np.array([[0, 2, 1, 0], [1, 1, 0, 2]])
CLASS_WEIGHT = {0: 1.0, 1: 10.0, 2: 100.0}


def tagger(**kwargs):
    """A tagging model over 3 classes that does not learn (its loss reads the same every step)."""
    model = zoo.models.gru(vocab_size=10, task="tagging", num_classes=3, units=4, seed=0, **kwargs)
    model.optimizer.learning_rate = 0.0
    return model


def test_class_weight_weighs_each_step_of_a_per_step_model_by_its_class():
    # Keras read each row of tags as one one-hot label: the whole sequence took one weight.
    model = tagger()
    per_token = keras.losses.sparse_categorical_crossentropy(TAGS, model.predict(X, verbose=0))
    steps = np.vectorize(CLASS_WEIGHT.get)(TAGS)
    real = X != 0  # the padded step is masked, as without weights
    expected = (per_token.numpy() * steps * real).sum() / real.sum()
    fitted = model.fit(X, TAGS, class_weight=CLASS_WEIGHT, verbose=0).history["loss"][0]
    assert fitted == pytest.approx(expected, rel=1e-5)
    # Times a sample weight; a dataset's batches are weighed the same, with or without one.
    doubled = model.fit(X, TAGS, sample_weight=[2.0, 2.0], class_weight=CLASS_WEIGHT, verbose=0)
    assert doubled.history["loss"][0] == pytest.approx(2 * expected, rel=1e-5)
    for batch in ((X, TAGS), (X, TAGS, np.array([2.0, 2.0]))):
        data = tf.data.Dataset.from_tensors(batch)
        loss = model.fit(data, class_weight=CLASS_WEIGHT, shuffle=False, verbose=0)
        assert loss.history["loss"][0] == pytest.approx((len(batch) - 1) * expected, rel=1e-5)
    loss = model.train_on_batch(X, TAGS, class_weight=CLASS_WEIGHT, return_dict=True)["loss"]
    assert loss == pytest.approx(expected, rel=1e-5)


def test_class_weight_of_a_sequence_level_model_weighs_as_keras_does():
    model = zoo.models.gru(vocab_size=10, task="classification", num_classes=3, units=4, seed=0)
    model.optimizer.learning_rate = 0.0
    labels = np.array([2, 0])
    weighed = model.fit(X, labels, class_weight={2: 3.0}, verbose=0).history["loss"][0]
    sampled = model.fit(X, labels, sample_weight=np.array([3.0, 1.0]), verbose=0)
    assert weighed == pytest.approx(sampled.history["loss"][0])
    # A dataset's labels above the largest key given fail no more in Keras's tf.gather.
    data = tf.data.Dataset.from_tensors((X, labels))
    assert model.fit(data, class_weight={0: 3.0}, shuffle=False, verbose=0).history["loss"][0] > 0


@pytest.mark.parametrize(
    "class_weight, error, match",
    [
        ({1: float("nan")}, ValueError, r"class_weight\[1\] must be a finite number >= 0, got nan"),
        ({1: float("inf")}, ValueError, r"class_weight\[1\] must be a finite number >= 0, got inf"),
        ({0: -1.0}, ValueError, r"class_weight\[0\] must be a finite number >= 0, got -1.0"),
        ({0: "a"}, ValueError, r"class_weight\[0\] must be a finite number >= 0, got 'a'"),
        ({3: 1.0}, ValueError, r"class ids \(ints in \[0, 3\)\) to weights, got the key 3"),
        ({-1: 1.0}, ValueError, r"class ids \(ints in \[0, 3\)\) to weights, got the key -1"),
        ({1.0: 1.0}, ValueError, r"class ids \(ints in \[0, 3\)\) to weights, got the key 1.0"),
        ([1.0, 2.0], TypeError, r"class_weight must be a dict \{class id: weight\}, got \[1.0"),
    ],
)
def test_class_weight_is_checked_up_front(class_weight, error, match):
    for task in ("tagging", "classification"):
        model = zoo.models.gru(vocab_size=10, task=task, num_classes=3, units=4)
        with pytest.raises(error, match=match):
            model.fit(X, TAGS if task == "tagging" else TAGS[:, 0], class_weight=class_weight)


def test_class_weight_names_the_classes_of_a_binary_model_and_refuses_real_values():
    binary = zoo.models.gru(vocab_size=10, task="binary", units=4)
    with pytest.raises(
        ValueError, match=r"class ids \(ints in \[0, 2\)\) to weights, got the key 2"
    ):
        binary.fit(X, np.array([1, 0]), class_weight={2: 1.0})
    for task, y in (("regression", np.ones((2, 1))), ("sequence_regression", np.ones((2, 4)))):
        model = zoo.models.gru(vocab_size=10, task=task, units=4)
        with pytest.raises(ValueError, match=r"class_weight weighs class ids, but model 'gru' pre"):
            model.fit(X, y, class_weight={0: 1.0})


def test_the_compiled_accuracy_skips_the_class_the_loss_ignores(tmp_path):
    # Keras's "accuracy" counted the targets the loss skips (-1 here) as wrong.
    ignoring = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    model = zoo.models.gru(
        vocab_size=10, task="tagging", num_classes=3, units=4, seed=0, loss=ignoring
    )
    x = np.array([[1, 2, 3, 4], [5, 6, 7, 8], [1, 2, 3, 0], [4, 4, 4, 4]])  # one step padded
    y = np.array([[0, -1, 1, 2], [-1, -1, 0, 1], [2, 2, 1, 0], [0, 0, 0, 0]])
    predicted = model.predict(x, verbose=0).argmax(-1)
    counted = (y != -1) & (x != 0)
    expected = (predicted == y)[counted].mean()
    assert model.evaluate(x, y, return_dict=True, verbose=0)["accuracy"] == pytest.approx(expected)
    model.save(tmp_path / "tagger.keras")
    loaded = keras.models.load_model(tmp_path / "tagger.keras", safe_mode=True)
    assert loaded.evaluate(x, y, return_dict=True, verbose=0)["accuracy"] == pytest.approx(expected)
    fitted = model.fit(x, y, epochs=1, verbose=0).history["accuracy"][0]
    assert fitted == pytest.approx(expected)


def test_entity_scores_skip_the_steps_whose_tag_the_loss_ignores():
    from zoo.metrics import entity_scores, tagging_entity_scores

    tags = ["O", "B-PER", "I-PER"]
    x = np.array([[1, 2, 3, 4, 0], [5, 6, 7, 8, 9]])
    y = np.array([[1, -1, 2, 0, 0], [0, 1, -1, -1, 2]])  # -1: a word's later pieces, say
    ignoring = keras.losses.SparseCategoricalCrossentropy(ignore_class=-1)
    model = zoo.models.gru(vocab_size=10, task="tagging", num_classes=3, units=4, loss=ignoring)
    data = tf.data.Dataset.from_tensors((x, y))
    scores = tagging_entity_scores(model, data, tags)
    predicted = model.predict(x, verbose=0).argmax(-1)
    kept = (x != 0) & (y != -1)
    true = [[tags[k] for k in row[keep]] for row, keep in zip(y, kept, strict=True)]
    pred = [[tags[k] for k in row[keep]] for row, keep in zip(predicted, kept, strict=True)]
    assert scores == {f"entity_{k}": v for k, v in entity_scores(true, pred).items()}
    plain = zoo.models.gru(vocab_size=10, task="tagging", num_classes=3, units=4)
    with pytest.raises(ValueError, match=r"tag ids \[-1\] are outside .* skips no class: compile"):
        tagging_entity_scores(plain, data, tags)


def test_a_per_step_text_model_needs_a_fixed_number_of_tokens():
    # Each batch was padded to its longest text: labels matched only by chance, else an
    # InvalidArgumentError deep in the loss.
    for task, extra in (("tagging", {"num_classes": 3}), ("sequence_regression", {})):
        with pytest.raises(ValueError, match=rf"task='{task}' .* give sequence_length=N"):
            zoo.models.gru(text=True, vocab_size=20, task=task, units=2, **extra)
    loose = keras.layers.TextVectorization(max_tokens=20)
    with pytest.raises(ValueError, match=r"vectorizer built with output_sequence_length=N"):
        zoo.models.gru(vectorizer=loose, task="tagging", num_classes=3, units=2)
    with pytest.raises(ValueError, match=r"sequence_length=4 with vectorizer=..., which brings"):
        zoo.models.gru(vectorizer=loose, task="binary", units=2, sequence_length=4)


def test_entity_scores_of_a_text_tagger_leave_its_padding_out():
    from zoo.metrics import entity_scores, tagging_entity_scores

    tags = ["O", "B-PER", "I-PER"]
    model = zoo.models.gru(
        text=True, vocab_size=20, task="tagging", num_classes=3, units=4, sequence_length=5
    )
    texts = ["ann lee met bob", "bob sat"]
    zoo.models.adapt_text(model, texts)
    y = np.array([[1, 2, 0, 1, 0], [1, 0, 0, 0, 0]])  # the last steps are padding
    with pytest.raises(ValueError, match=r"y must be class ids of shape \(batch, 5\)"):
        model.fit(np.array(texts, object), y[:, :4], verbose=0)
    model.fit(np.array(texts, object), y, verbose=0)
    scores = tagging_entity_scores(model, tf.data.Dataset.from_tensors((texts, y)), tags)
    predicted = model.predict(texts, verbose=0).argmax(-1)
    true = [[tags[k] for k in y[0, :4]], [tags[k] for k in y[1, :2]]]
    pred = [[tags[k] for k in predicted[0, :4]], [tags[k] for k in predicted[1, :2]]]
    assert scores == {f"entity_{k}": v for k, v in entity_scores(true, pred).items()}


def ids_model():
    return zoo.models.gru(vocab_size=10, task="binary", units=4, seed=0)


def features_model():
    return zoo.models.gru(input_shape=(None, 2), task="binary", units=4, seed=0)


@pytest.mark.parametrize(
    "model, x, error, match",
    [
        (ids_model, np.ones(4, "int32"), ValueError, r"x must be token ids of shape \(batch, T\), "
         r"got shape \(4,\): for one sequence pass x\[None\]"),
        (ids_model, np.ones((2, 4, 2), "int32"), ValueError, r"token ids of shape \(batch, T\)"),
        (ids_model, np.zeros((0, 4), "int32"), ValueError, r"x holds no examples \(shape \(0, 4"),
        (ids_model, np.zeros((2, 0), "int32"), ValueError, r"x has no time steps \(shape \(2, 0"),
        (ids_model, np.ones((2, 4), bool), TypeError, r"x must hold token ids .* dtype bool"),
        (ids_model, [[1, 2, 30]], ValueError, r"x must hold token ids in \[0, 10\), got 30"),
        (ids_model, [[1, 2], [3]], ValueError, r"x is a list of rows of different lengths"),
        (features_model, np.zeros((5, 2)), ValueError, r"features of shape \(batch, T, 2\), got "
         r"shape \(5, 2\): for one sequence pass x\[None\]"),
        (features_model, np.zeros((1, 5, 3)), ValueError, r"features of shape \(batch, T, 2\)"),
        (features_model, np.zeros((0, 3, 2)), ValueError, r"x holds no examples"),
        (features_model, np.zeros((2, 0, 2)), ValueError, r"x has no time steps \(shape \(2, 0"),
        (features_model, np.ones((1, 5, 2), complex), TypeError, r"real numbers .* complex128"),
        (features_model, [[[1.0, float("nan")]] * 5], ValueError, r"x holds NaN or inf"),
    ],
)  # fmt: skip
def test_inputs_keras_fails_on_or_misreads_are_named(model, x, error, match):
    # Keras: "as_list() is not defined on an unknown TensorShape", UnboundLocalError, graph
    # errors, "Unrecognized data type" printing the list whole; bools read as ids, the
    # imaginary part dropped, no example fitted with only a warning.
    model = model()
    y = np.zeros(len(x))
    for call in (
        lambda: model.predict(x, verbose=0),
        lambda: model.predict_on_batch(x),  # (it had none of predict's checks)
        lambda: model.fit(x, y, verbose=0),
        lambda: model.evaluate(x, y, verbose=0),
    ):
        with pytest.raises(error, match=match):
            call()


def test_lists_and_token_ids_with_a_trailing_axis_of_1_are_taken_as_arrays():
    model = ids_model()
    x = np.array([[1, 2, 3], [4, 5, 6]])
    expected = model.predict(x, verbose=0)
    np.testing.assert_allclose(model.predict(x.tolist(), verbose=0), expected)
    np.testing.assert_allclose(model.predict(x[..., None], verbose=0), expected)
    assert model.fit(x.tolist(), [0, 1], verbose=0).history["loss"]
    with pytest.raises(ValueError, match=r"y must hold binary labels in \[0, 1\]"):
        model.fit(x, [0, 3])


@pytest.mark.parametrize("texts", [[1, 2], ["a film", None], [["a film"]], np.array([["a", "b"]])])
def test_a_text_model_names_what_is_not_a_list_of_texts(texts):
    model = zoo.models.gru(text=True, vocab_size=20, task="binary", units=2)
    zoo.models.adapt_text(model, ["a great film", "a dull film"])
    with pytest.raises(TypeError, match=r"x must be a list or 1-D array of strings, one text per"):
        model.predict(texts, verbose=0)


def test_entity_scores_name_an_unbatched_dataset():
    from zoo.metrics import tagging_entity_scores

    model = tagger()
    data = tf.data.Dataset.from_tensor_slices((X, TAGS))
    with pytest.raises(ValueError, match=r"got inputs of shape \(4,\): batch it first"):
        tagging_entity_scores(model, data, ["O", "B-PER", "I-PER"])


def test_weights_weigh_the_loss_and_leave_the_compiled_metrics_unweighted():
    # What the README says of sample and class weights (Keras's `metrics`, not
    # `weighted_metrics`).
    model = tagger()
    plain = model.evaluate(X, TAGS, return_dict=True, verbose=0)
    weighed = model.evaluate(
        X, TAGS, sample_weight=np.array([0.0, 3.0]), return_dict=True, verbose=0
    )
    assert weighed["accuracy"] == plain["accuracy"] and weighed["loss"] != plain["loss"]
    fitted = model.fit(X, TAGS, class_weight=CLASS_WEIGHT, verbose=0).history
    assert fitted["accuracy"][0] == pytest.approx(plain["accuracy"])


def test_class_weight_of_a_per_step_model_on_one_hot_targets_is_refused():
    # Its per-step weights took the class axis: "Dimensions must be equal, but are 3 and 4".
    m = zoo.models.gru(input_shape=(4, 2), task="tagging", num_classes=3, units=4, seed=0,
                       compile=False)  # fmt: skip
    m.compile(loss="categorical_crossentropy", optimizer="sgd")
    y = np.eye(3)[np.array([[0, 1, 2, 1], [2, 2, 0, 1]])]
    with pytest.raises(ValueError, match=r"class_weight weighs the steps of a per-step model by"):
        m.fit(np.zeros((2, 4, 2)), y, class_weight={1: 2.0}, verbose=0)


@pytest.mark.parametrize("task, y_shape", [("tagging", (4, 5)), ("classification", (4,))])
def test_class_ids_under_a_categorical_crossentropy_instance_are_named(task, y_shape):
    # (Keras: "Arguments `target` and `output` must have the same rank", and the retry with
    # one-hot rows then failed on "Creating variables on a non-first call")
    model = zoo.models.gru(
        vocab_size=10,
        task=task,
        num_classes=3,
        units=2,
        loss=keras.losses.CategoricalCrossentropy(),
    )
    x, ids = np.ones((4, 5), "int32"), np.zeros(y_shape, "int32")
    with pytest.raises(ValueError, match=r"reads one-hot rows, and these are class ids; give kera"):
        model.fit(x, ids, verbose=0)
    assert np.isfinite(model.fit(x, np.eye(3)[ids], verbose=0).history["loss"][0])
