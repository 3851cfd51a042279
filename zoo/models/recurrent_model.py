"""The `keras.Model` classes the recurrent factories return: they check NumPy data first.

`build_rnn` returns a `RecurrentModel` (a functional model whose `fit`, `evaluate` and `predict`
check NumPy inputs and targets against the model and its loss), a `TextModel` on raw strings, a
`WaveformModel` on whole waveforms or a `StatefulModel` for truncated BPTT; all are registered
serializable and load with `safe_mode=True`. `check_validation_data` serves every zoo model's
`fit` (the ESN's and seq2seq's too).
"""

import warnings

import keras
import numpy as np
import tensorflow as tf

from zoo import heads
from zoo.data.waveforms import check_float_samples, waveform_to_float
from zoo.tbptt import reset_states, stateless_copy, states_kept
from zoo.validation import (
    as_array,
    check_batch_shape,
    check_class_weight,
    check_features,
    check_ids,
    check_targets,
    sequence_weights,
)


def as_strings(x):
    """Turns a list or NumPy array of `str` or `bytes` into the object array of `str` Keras takes.

    Keras's adapters take object arrays of `str` only; `bytes` (UTF-8, what TFDS's `as_numpy`
    gives) are decoded, an invalid byte becoming U+FFFD. Anything else passes unchanged.

    Example:
        >>> as_strings([b"a great film", "dull"]).tolist()
        ['a great film', 'dull']
    """
    if isinstance(x, str | bytes):
        raise TypeError(f"a text model takes a list of texts; for one text pass [{x!r}].")
    if isinstance(x, list | tuple | np.ndarray) and len(x) == 0:
        raise ValueError("got no texts (an empty list): pass at least one.")
    if isinstance(x, list | tuple) and all(isinstance(s, str | bytes) for s in x):
        x = np.array(x, dtype=object)
    if not isinstance(x, np.ndarray) or x.dtype.kind not in "USO":
        return x
    if x.dtype.kind == "S" or (x.dtype.kind == "O" and any(isinstance(s, bytes) for s in x.flat)):
        decoded = [s.decode("utf-8", "replace") if isinstance(s, bytes) else s for s in x.flat]
        return np.array(decoded, dtype=object).reshape(x.shape)
    return x.astype(object) if x.dtype.kind == "U" else x


def check_validation_data(kwargs, check_pair, check_dataset=None, check_weights=None):
    """`fit`'s `kwargs`, an `(x, y[, sample_weight])` `validation_data` passed through a check.

    Args:
        kwargs: the keyword arguments of `fit`.
        check_pair: `f(x, y, x_name, y_name) -> (x, y)`, a model's check of its data (names
            `"validation_data[0]"` and `"validation_data[1]"` here).
        check_dataset: `f(dataset) -> dataset` for a `tf.data.Dataset` `validation_data`, or
            `None` to pass one unchanged.
        check_weights: `f(x, sample_weight, name) -> sample_weight` for the third item, or
            `None` to pass it unchanged.

    Example:
        >>> def positive(x, y, x_name, y_name):
        ...     if min(y) < 0:
        ...         raise ValueError(f"{y_name} must be >= 0")
        ...     return x, y
        >>> check_validation_data({"epochs": 2, "validation_data": ([1], [-1])}, positive)
        Traceback (most recent call last):
        ...
        ValueError: validation_data[1] must be >= 0
    """
    val = kwargs.get("validation_data")
    if isinstance(val, tuple | list) and len(val) in (2, 3):
        x, y = check_pair(val[0], val[1], "validation_data[0]", "validation_data[1]")
        rest = val[2:]
        if rest and check_weights is not None:
            rest = (check_weights(x, rest[0], "validation_data[2]"),)
        kwargs = {**kwargs, "validation_data": (x, y, *rest)}
    elif isinstance(val, tf.data.Dataset) and check_dataset is not None:
        kwargs = {**kwargs, "validation_data": check_dataset(val)}
    return kwargs


def checked_weights(kwargs, x, check_weights):
    """`kwargs` (of `fit` or `evaluate`) with its `sample_weight` for `x` passed through a check.

    Example:
        >>> checked_weights({"sample_weight": [1, 2]}, None, lambda x, w: [2 * v for v in w])
        {'sample_weight': [2, 4]}
    """
    if kwargs.get("sample_weight") is None:
        return kwargs
    return {**kwargs, "sample_weight": check_weights(x, kwargs["sample_weight"])}


def check_weight_values(x, weight, name="sample_weight"):
    """`weight` after the checks every model's NumPy weights get: finite and >= 0.

    The `check_weights` of models whose losses take weights of any shape Keras takes
    (`seq2seq`, `char_lm`, `ctc_speech`); `x` is unused.

    Example:
        >>> import numpy as np
        >>> check_weight_values(None, np.array([1.0, -0.5]))
        Traceback (most recent call last):
        ...
        ValueError: sample_weight must hold weights >= 0, got -0.5 at index (1,) (a negative ...
    """
    return sequence_weights(name, weight, per_step=False)


def dataset_targets(data, loss, output_shape):
    """A dataset of `(x, y[, weights])` batches whose `y` has the shape NumPy targets are given.

    `zoo.validation.check_targets` gives NumPy targets one shape (class ids without a trailing
    axis of 1, other targets of a one-value output with it); this maps a dataset's targets
    (lazily) to the same, so that a model fitted on arrays, then on a dataset of `(batch,)`
    labels, does not fail with "Cannot take the length of shape with unknown rank" (Keras
    relaxes its traced step to targets of any rank once it has seen two). Anything else (not a
    dataset, targets of unknown rank, a loss `heads.target_kind` does not know) passes unchanged.

    Args:
        data: what `fit` or `evaluate` was given as `x`.
        loss: the compiled loss.
        output_shape: the model's output shape, `(None, ...)`.

    Example:
        >>> import tensorflow as tf
        >>> ds = tf.data.Dataset.from_tensors((tf.zeros((4, 3)), tf.zeros((4,))))
        >>> dataset_targets(ds, "mse", (None, 1)).element_spec[1].shape
        TensorShape([4, 1])
        >>> dataset_targets(ds, "sparse_categorical_crossentropy", (None, 5)) is ds
        True
    """
    if not isinstance(data, tf.data.Dataset):
        return data
    spec = data.element_spec
    if not (isinstance(spec, tuple) and len(spec) in (2, 3)):
        return data
    target, rank = spec[1], len(output_shape)
    known = isinstance(target, tf.TensorSpec) and target.shape.rank is not None
    kind = heads.target_kind(loss)
    squeeze = known and kind == "class_ids" and target.shape.rank == rank and target.shape[-1] == 1
    expand = (
        known
        and kind in ("binary", "values")
        and target.shape.rank == rank - 1
        and output_shape[-1] == 1
    )
    # One weight per sequence of a per-step output weighs its steps (as `sequence_weights`).
    weight = spec[2] if len(spec) == 3 else None
    per_sequence = rank == 3 and isinstance(weight, tf.TensorSpec) and weight.shape.rank == 1
    if not (squeeze or expand or per_sequence):
        return data

    def fix(x, y, *weights):
        if squeeze:
            y = tf.squeeze(y, -1)
        elif expand:
            y = tf.expand_dims(y, -1)
        return (x, y, *(w[:, None] if per_sequence else w for w in weights))

    return data.map(fix)


def check_output_targets(model, y, steps, name="y"):
    """NumPy targets `y` checked against a compiled model's output and loss.

    Returns them in the one shape `zoo.validation.check_targets` gives.

    Args:
        model: a compiled Keras model of one output.
        y: the targets.
        steps: the time steps of the inputs (fills a per-step output's unknown time axis), or
            `None`.
        name: the argument's name in messages.

    Example:
        >>> import numpy as np, zoo
        >>> m = zoo.models.gru(input_shape=(None, 2), task="tagging", num_classes=3, units=2)
        >>> check_output_targets(m, np.zeros((4, 5, 1)), steps=5).shape
        (4, 5)
    """
    shape = tuple(model.outputs[0].shape)
    if len(shape) == 3 and shape[1] is None:
        shape = (None, steps, shape[2])
    ignore = getattr(model.loss, "ignore_class", None)
    return check_targets(name, y, heads.target_kind(model.loss), shape, ignore)


def class_step_weights(table, y, sample_weight=None):
    """One weight per step: `table[k]` for the class id `k` of each step, times `sample_weight`.

    An id outside the table (a loss's `ignore_class`) takes an edge class's weight: the loss
    skips that step whatever its weight.

    Example:
        >>> import numpy as np
        >>> table = np.array([1.0, 10.0, 100.0], "float32")
        >>> class_step_weights(table, np.array([[0, 2, 1, -1]]), np.array([[0.5]])).numpy().tolist()
        [[0.5, 50.0, 5.0, 0.5]]
    """
    ids = tf.clip_by_value(tf.cast(y, "int32"), 0, len(table) - 1)
    weights = tf.gather(tf.constant(table), ids)
    return weights if sample_weight is None else weights * tf.cast(sample_weight, weights.dtype)


def per_step_class_weights(x, y, kwargs, num_classes):
    """`(x, kwargs)` of `fit` with a per-step model's `class_weight` checked, made step weights.

    Keras reads each row of class ids as one one-hot label, and weighs the whole sequence by
    one class's weight; here each step is weighed by its own class's (times any
    `sample_weight`), given to arrays as `sample_weight` and to a dataset's batches as their
    third item.

    Args:
        x: the inputs, or a dataset of `(x, y)` or `(x, y, sample_weight)` batches.
        y: the `(batch, T)` class ids (with array inputs).
        kwargs: `fit`'s keyword arguments; without a `class_weight` they come back unchanged.
        num_classes: the classes `class_weight` may weigh (`check_class_weight`).

    Example:
        >>> import numpy as np
        >>> y = np.array([[0, 2, 1]])
        >>> _, kw = per_step_class_weights(None, y, {"class_weight": {2: 5.0}}, num_classes=3)
        >>> kw["sample_weight"].numpy().tolist()
        [[1.0, 5.0, 1.0]]
    """
    if kwargs.get("class_weight") is None:
        return x, kwargs
    class_weight = check_class_weight(kwargs["class_weight"], num_classes)
    table = np.array(list(class_weight.values()), "float32")
    kwargs = {k: v for k, v in kwargs.items() if k != "class_weight"}
    if not isinstance(x, tf.data.Dataset):
        weights = class_step_weights(table, y, kwargs.get("sample_weight"))
        return x, {**kwargs, "sample_weight": weights}
    spec = x.element_spec
    if not (isinstance(spec, tuple) and len(spec) in (2, 3)):
        raise ValueError(
            "class_weight weighs the steps of a dataset of (x, y) or (x, y, sample_weight) "
            f"batches, got a dataset of {spec!r:.120}."
        )
    return x.map(lambda x, y, *w: (x, y, class_step_weights(table, y, *w))), kwargs


class BatchChecks:
    """`train_on_batch` and `test_on_batch` that check NumPy data as `fit` and `evaluate` do.

    A mixin of the zoo's models, before `keras.Model`: their `_check_pair(x, y, x_name,
    y_name)` checks inputs and targets, their `_check_weights(x, weight)` (else
    `check_weight_values`) the sample weights, their `_class_weights(x, y, kwargs)` the class
    weights. Without it, Keras's one-batch methods trained on class ids out of range or NaN
    targets that `fit` refuses.
    """

    def _checked_batch(self, x, y, sample_weight):
        x, y = self._check_pair(x, y, "x", "y")
        if sample_weight is not None:
            sample_weight = getattr(self, "_check_weights", check_weight_values)(x, sample_weight)
        return x, y, sample_weight

    _target_classes = None  # a model of per-step class-id targets: how many classes

    def _class_weights(self, x, y, kwargs):
        """`(x, kwargs)` of `fit`, a `class_weight` made per-step weights (`_target_classes`).

        Unchanged for a model without `_target_classes` (Keras's own reading).
        """
        if self._target_classes is None:
            return x, kwargs
        return per_step_class_weights(x, y, kwargs, self._target_classes)

    def train_on_batch(self, x, y=None, sample_weight=None, class_weight=None, return_dict=False):
        """`keras.Model.train_on_batch`, checking NumPy inputs, targets and weights first."""
        x, y, sample_weight = self._checked_batch(x, y, sample_weight)
        weights = {"sample_weight": sample_weight, "class_weight": class_weight}
        x, weights = self._class_weights(x, y, weights)
        return super().train_on_batch(x, y, return_dict=return_dict, **weights)

    def test_on_batch(self, x, y=None, sample_weight=None, *args, **kwargs):
        """`keras.Model.test_on_batch`, checking NumPy inputs, targets and weights first."""
        return super().test_on_batch(*self._checked_batch(x, y, sample_weight), *args, **kwargs)


@keras.saving.register_keras_serializable(package="zoo")
class RecurrentModel(BatchChecks, keras.Model):
    """A functional recurrent model (what `build_rnn` returns) that checks NumPy data first.

    Keras trains without a word on binary labels of 2, class ids of 0.5, NaN features or
    targets (the loss turns NaN) and negative token ids (they embed as zeros), and reports
    targets of the wrong shape as "Cannot take the length of shape with unknown rank". Given
    NumPy arrays, `fit`, `evaluate` and `predict` check them against the model first and name
    the argument, the value and what is allowed: token ids must be whole numbers in
    `[0, vocab_size)`, features finite; targets finite, of the output's shape (class ids
    without the class axis) and, for the loss compiled, binary labels in [0, 1] and class ids
    in `[0, num_classes)` (or the loss's `ignore_class`). Tensors and datasets pass unchecked
    (reading them would consume them).

    Example:
        >>> import numpy as np, zoo
        >>> m = zoo.models.gru(input_shape=(5, 2), task="binary", units=4)
        >>> m.fit(np.zeros((4, 5, 2)), np.array([0, 1, 2, 1]))
        Traceback (most recent call last):
        ...
        ValueError: y must hold binary labels in [0, 1] (0/1, or soft labels between), got ...
    """

    def _check_x(self, x, name):
        """`x` checked against the model's input, in the form `fit` takes it (a list as an array).

        Token ids may come with a trailing axis of 1, which is dropped.
        """
        x = as_array(name, x)
        if not isinstance(x, np.ndarray):
            return x
        input_shape = self.inputs[0].shape
        if "int" not in str(self.inputs[0].dtype):
            check_batch_shape(name, x.shape, input_shape, "features")
            return check_features(name, x)
        if x.ndim == 3 and x.shape[-1] == 1:
            x = x[..., 0]
        check_batch_shape(name, x.shape, input_shape, "token ids")
        return check_ids(name, x, self.get_layer("embedding").input_dim, "token ids")

    def _time_steps(self, x):
        """The steps of the output's time axis for inputs `x`, when they are known."""
        return x.shape[1] if isinstance(x, np.ndarray) and x.ndim >= 2 else None

    def _check_y(self, x, y, name):
        """NumPy targets `y` checked against the output for inputs `x` and the loss.

        Returns them in the one shape `zoo.validation.check_targets` gives.
        """
        y = as_array(name, y)
        if not isinstance(y, np.ndarray) or not self.compiled:
            return y
        return check_output_targets(self, y, self._time_steps(x), name)

    def _check_pair(self, x, y, x_name, y_name):
        """`(x, y)` checked (`_check_x`, `_check_y`), in the form `fit` passes on."""
        x = self._check_x(x, x_name)
        return x, self._check_y(x, y, y_name)

    def _dataset_targets(self, data):
        """`data` with a dataset's targets in the shape NumPy ones take (`dataset_targets`)."""
        return dataset_targets(data, self.loss, self.outputs[0].shape) if self.compiled else data

    def _check_weights(self, x, weight, name="sample_weight"):
        """NumPy weights for inputs `x`, one per sequence as `(batch, 1)` for a per-step model.

        One weight per sequence then weighs each of its steps; Keras broadcast it along time
        instead ("Dimensions must be equal, but are 32 and 12").
        """
        shape = x.shape if isinstance(x, np.ndarray) else None
        return sequence_weights(name, weight, shape, len(self.outputs[0].shape) == 3)

    def _class_weights(self, x, y, kwargs):
        """`(x, kwargs)` of `fit` with its `class_weight` checked against the model and loss.

        Class weights weigh class ids (binary labels among them): a model of real values
        refuses them. A per-step model's become per-step sample weights (times any
        `sample_weight`; a dataset's batches get them as their third item): Keras read each
        row of tags as one one-hot label, and weighed the whole sequence by one class's weight.
        """
        if kwargs.get("class_weight") is None or not self.compiled:
            return x, kwargs
        kind = heads.target_kind(self.loss)
        if kind == "values":
            raise ValueError(
                f"class_weight weighs class ids, but model {self.name!r} predicts real values: "
                "weigh its examples with sample_weight instead."
            )
        shape = self.outputs[0].shape
        classes = 2 if kind == "binary" else shape[-1]
        if len(shape) != 3:
            return x, {
                **kwargs,
                "class_weight": check_class_weight(kwargs["class_weight"], classes),
            }
        if kind != "class_ids":  # (one-hot rows, say: their weights would take the class axis)
            raise ValueError(
                f"class_weight weighs the steps of a per-step model by their class ids, but its "
                f"loss {self.loss!r} reads other targets: weigh the steps with sample_weight "
                "((batch, T) weights) instead."
            )
        return per_step_class_weights(x, y, kwargs, classes)

    def fit(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.fit`, checking NumPy inputs, targets and weights first."""
        x, y = self._check_pair(self._dataset_targets(x), y, "x", "y")
        kwargs = check_validation_data(
            kwargs, self._check_pair, self._dataset_targets, self._check_weights
        )
        x, kwargs = self._class_weights(x, y, checked_weights(kwargs, x, self._check_weights))
        return super().fit(x, y, *args, **kwargs)

    def evaluate(self, x=None, y=None, *args, **kwargs):
        """`keras.Model.evaluate`, checking NumPy inputs and targets first."""
        x, y = self._check_pair(self._dataset_targets(x), y, "x", "y")
        return super().evaluate(x, y, *args, **checked_weights(kwargs, x, self._check_weights))

    def predict(self, x, *args, **kwargs):
        """`keras.Model.predict`, checking NumPy inputs first."""
        return super().predict(self._check_x(x, "x"), *args, **kwargs)

    def predict_on_batch(self, x):
        """`keras.Model.predict_on_batch`, checking NumPy inputs first (as `predict`)."""
        return super().predict_on_batch(self._check_x(x, "x"))


def text_vectorizer(model):
    """The `TextVectorization` layer of a model built with `text=True`, or `None`.

    Example:
        >>> import zoo
        >>> text_vectorizer(zoo.models.lstm(text=True, vocab_size=50, task="binary", units=4)).name
        'vectorizer'
        >>> print(text_vectorizer(zoo.models.lstm(input_shape=(None, 2), task="binary", units=4)))
        None
    """
    layers = [la for la in model.layers if isinstance(la, keras.layers.TextVectorization)]
    return layers[0] if layers else None


@keras.saving.register_keras_serializable(package="zoo")
class TextModel(RecurrentModel):
    """A functional model on raw strings that also takes a Python list or NumPy array of strings.

    Keras's data adapters reject a list of `str` and NumPy `str_` arrays (only object arrays of
    `str` and tensors pass), and `bytes` in any of these forms (what TFDS's `as_numpy` gives);
    this converts them, so that a saved text model answers `model.predict(["a great film"])`
    and trains on `np.array(texts)`.

    Example:
        >>> import zoo
        >>> m = zoo.models.lstm(text=True, vocab_size=50, task="binary", units=4)
        >>> type(m).__name__
        'TextModel'
        >>> zoo.models.adapt_text(m, ["a great film", "a dull film"])
        >>> m.predict(["a great film", b"a dull film"], verbose=0).shape
        (2, 1)
    """

    @property
    def adapted(self):
        """Whether the model's `TextVectorization` has a vocabulary (`zoo.models.adapt_text`)."""
        layer = text_vectorizer(self)
        return layer is None or layer.vocabulary_size() > 2

    def _check_adapted(self):
        """Raises unless the vectorizer has a vocabulary (else every id is 1, `[UNK]`)."""
        if not self.adapted:
            raise ValueError(
                f"model {self.name!r} reads text through a TextVectorization layer that has "
                "no vocabulary yet: call zoo.models.adapt_text(model, texts) on training "
                "texts first (or build it with vectorizer=... holding a vocabulary)."
            )

    def save(self, filepath, *args, **kwargs):
        """`keras.Model.save`, once the vectorizer has a vocabulary.

        Keras wrote an unadapted text model but could not load it ("LookupTableImportV2 ...
        keys and values cannot be empty tensors"): it is refused before anything is written.
        """
        self._check_adapted()
        return super().save(filepath, *args, **kwargs)

    def _check_x(self, x, name):
        """Strings in a list or NumPy array as Keras takes them, once the vectorizer is adapted.

        Anything else in a list or array is refused (Keras said "Unrecognized data type").
        """
        self._check_adapted()
        x = as_strings(x)
        if not isinstance(x, list | tuple | np.ndarray):
            return x
        array = np.asarray(x, dtype=object) if not isinstance(x, np.ndarray) else x
        if array.ndim == 1 and all(isinstance(text, str) for text in array):
            return array
        shown = f"an array of shape {x.shape}" if array is x and x.ndim != 1 else f"{x!r:.80}"
        raise TypeError(
            f"{name} must be a list or 1-D array of strings, one text per example, got {shown}."
        )

    def _time_steps(self, x):
        """`None`: the steps are tokens, not known from the texts."""
        return None


@keras.saving.register_keras_serializable(package="zoo")
class WaveformModel(RecurrentModel):
    """A functional model on whole waveforms `(batch, samples)` that checks arrays it is given.

    A clip shorter than one analysis window has no frame, and a single 1-D clip has no batch
    axis: both fail deep inside Keras otherwise; this names them. A NumPy array of integer PCM
    is scaled to floats as `zoo.data.audio.waveform_to_float` does; float samples must be
    finite and within [-1, 1]. (Tensors and datasets pass unchecked.)

    Example:
        >>> import numpy as np, zoo
        >>> m = zoo.models.gru(sample_rate=8000, task="binary", units=4)
        >>> type(m).__name__
        'WaveformModel'
        >>> m.predict(np.zeros((2, 4000), "int16"), verbose=0).shape  # int16 PCM scaled
        (2, 1)
        >>> m.predict(np.zeros(4000, "float32"))
        Traceback (most recent call last):
        ...
        ValueError: model 'gru' takes a batch of waveforms (batch, samples), got an array of
        shape (4000,): for one clip pass x[None].
    """

    def _check_x(self, x, name):
        """`x` checked, integer PCM in a NumPy array scaled to float32."""
        if isinstance(x, list | tuple) and x and all(hasattr(a, "shape") for a in x):
            raise ValueError(
                f"model {self.name!r} takes one (batch, samples) array of waveforms, got a list "
                f"of {len(x)} arrays: pad them with zeros to one length and stack them."
            )
        x = as_array(name, x)
        if not hasattr(x, "shape") or not hasattr(x, "ndim"):
            return x
        log_mel = self.get_layer("log_mel")
        if x.ndim != 2:
            raise ValueError(
                f"model {self.name!r} takes a batch of waveforms (batch, samples), got an array "
                f"of shape {tuple(x.shape)}"
                + (": for one clip pass x[None]." if x.ndim == 1 else ".")
            )
        if x.shape[1] is not None and x.shape[1] < log_mel.span:
            raise ValueError(
                f"waveforms of {x.shape[1]} samples are shorter than one analysis window "
                f"({log_mel.span} samples at sample_rate={log_mel.sample_rate}): pad them with "
                "zeros (silence) to at least that."
            )
        if not isinstance(x, np.ndarray):
            return x
        check_batch_shape(name, x.shape, self.inputs[0].shape, "waveforms")
        if not np.issubdtype(x.dtype, np.floating):
            return waveform_to_float(x)
        return check_float_samples(name, x)

    def _time_steps(self, x):
        """`None`: the output's steps are frames, not samples."""
        return None


class _ZeroStateEachBatch(keras.callbacks.Callback):
    """Zeros a stateful model's states before each batch: its rows are series of their own."""

    def on_train_batch_begin(self, batch, logs=None):
        reset_states(self.model)

    def on_test_batch_begin(self, batch, logs=None):
        reset_states(self.model)

    def on_predict_batch_begin(self, batch, logs=None):
        reset_states(self.model)


@keras.saving.register_keras_serializable(package="zoo")
class StatefulModel(RecurrentModel):
    """A functional model whose recurrent layers carry their state from call to call.

    Built with `stateful=True, batch_size=B` for truncated BPTT (`zoo.tbptt`). Calling the model
    (`model(window)`) carries the state on, window after window: `zoo.tbptt.fit` and
    `zoo.tbptt.predict` feed a long series so, and a stream can be fed chunk by chunk. `fit`,
    `evaluate` and `predict` read their `x` as whole, independent series instead, `B` at a time,
    each batch from a zero state (so the same `x` gives the same prediction, that of
    `zoo.tbptt.stateless_copy`), and leave the carried state as they found it (Keras's
    `train_on_batch`, `test_on_batch` and `predict_on_batch` carry it, as a call does). Its `export`
    writes a stateless copy: a served model that carried its state would answer each request
    from where the previous one (anyone's) left off.

    Example:
        >>> import numpy as np, zoo
        >>> m = zoo.models.gru(input_shape=(None, 1), task="sequence_regression", units=4,
        ...                    stateful=True, batch_size=2)
        >>> type(m).__name__, m.predict(np.zeros((4, 5, 1)), verbose=0).shape
        ('StatefulModel', (4, 5, 1))
        >>> m.predict(np.zeros((3, 5, 1)))
        Traceback (most recent call last):
        ...
        ValueError: x has 3 series, not a multiple of the batch_size=2 stateful model 'gru' ...
    """

    def _batches(self, x, kwargs):
        """`kwargs` with the built batch size, checked against `x` (an array) and `batch_size`.

        The model takes batches of exactly the size it was built with; Keras's default of 32,
        or a last smaller batch, would fail deep inside the recurrent layer.
        """
        batch, x = self.inputs[0].shape[0], as_array("x", x)
        if batch is None or not hasattr(x, "shape"):
            return kwargs
        given = kwargs.get("batch_size")
        if given is not None and given != batch:
            raise ValueError(
                f"batch_size={given!r}: model {self.name!r} is stateful, built with batch_size="
                f"{batch}, so it takes batches of exactly {batch} series; leave batch_size out."
            )
        if x.shape[0] % batch:
            raise ValueError(
                f"x has {x.shape[0]} series, not a multiple of the batch_size={batch} stateful "
                f"model {self.name!r} was built with (one state per batch row); feed a multiple "
                "of it, or zoo.tbptt.stateless_copy(model) for any batch."
            )
        return {**kwargs, "batch_size": batch}

    def _zero_state_batches(self, kwargs):
        """`kwargs` with a callback zeroing the states before each batch.

        Keras calls a callback once per execution: several steps per execution would carry
        the state from one batch to the next within it, so they are refused.
        """
        if self.steps_per_execution != 1:
            raise ValueError(
                f"steps_per_execution={self.steps_per_execution}: model {self.name!r} is "
                "stateful, and its fit, evaluate and predict zero the states before each batch, "
                "which Keras can do only between executions; compile it with "
                "steps_per_execution=1 (the default)."
            )
        callbacks = kwargs.get("callbacks")
        if isinstance(callbacks, keras.callbacks.CallbackList):  # fit's validation: it has one
            return kwargs
        return {**kwargs, "callbacks": [*(callbacks or []), _ZeroStateEachBatch()]}

    def fit(self, x=None, y=None, **kwargs):
        """`keras.Model.fit` on independent series, batch by batch from a zero state.

        The batches have the size the model was built with. A long series in windows (the
        state carried from one to the next): `zoo.tbptt.fit`.
        """
        if kwargs.get("shuffle") is False:  # Keras's way to feed windows of long series
            warnings.warn(
                f"shuffle=False: {type(self).__name__}.fit reads each batch as independent series "
                "from a zero state, not as the continuation of the batch before it; to train on "
                "long series in consecutive windows, use zoo.tbptt.fit(model, x, y, window=...).",
                stacklevel=2,
            )
        with states_kept(self):
            return super().fit(x, y, **self._zero_state_batches(self._batches(x, kwargs)))

    def evaluate(self, x=None, y=None, **kwargs):
        """`keras.Model.evaluate` on independent series, batch by batch from a zero state."""
        with states_kept(self):
            return super().evaluate(x, y, **self._zero_state_batches(self._batches(x, kwargs)))

    def predict(self, x, **kwargs):
        """`keras.Model.predict` on independent series, batch by batch from a zero state."""
        with states_kept(self):
            return super().predict(x, **self._zero_state_batches(self._batches(x, kwargs)))

    def export(self, filepath, format="tf_saved_model", verbose=None, input_signature=None, **kw):
        """`keras.Model.export` of a stateless copy: each request starts from a zero state.

        The served model takes any batch size and reads each request's sequences whole, as
        `zoo.tbptt.predict` reads a series from its start.

        Example:
            >>> import tempfile, numpy as np, tensorflow as tf, zoo
            >>> m = zoo.models.gru(input_shape=(None, 1), task="sequence_regression",
            ...                    units=4, stateful=True, batch_size=2)
            >>> path = tempfile.mkdtemp() + "/export"
            >>> m.export(path, verbose=False)
            >>> served = tf.saved_model.load(path)  # it owns the variables `serve` reads
            >>> served.serve(np.zeros((3, 5, 1), "float32")).shape
            TensorShape([3, 5, 1])
        """
        return stateless_copy(self).export(
            filepath, format=format, verbose=verbose, input_signature=input_signature, **kw
        )


@keras.saving.register_keras_serializable(package="zoo")
class WaveformLengths(keras.layers.Layer):
    """The length of every waveform of a batch, all whole clips: `(batch,)` int32 of `samples`.

    `zoo.layers.LogMel` takes each utterance's real length beside the padded waveforms; a model
    on whole clips (no padding) gives it every clip's full length with this layer.

    Example:
        >>> import numpy as np
        >>> WaveformLengths()(np.zeros((2, 800), "float32")).numpy().tolist()
        [800, 800]
    """

    def call(self, waveforms):
        """`(batch,)` int32, each the number of samples of `waveforms` `(batch, samples)`."""
        shape = keras.ops.shape(waveforms)
        return keras.ops.full((shape[0],), shape[1], dtype="int32")

    def compute_output_spec(self, waveforms):
        """`(batch,)` int32."""
        return keras.KerasTensor((waveforms.shape[0],), dtype="int32")
