"""keras-tuner glue: a `HyperModel` from any registered factory and its search space.

`hypermodel(name, **fixed)` turns a registry row into a `keras_tuner.HyperModel`: `build(hp)`
calls the factory with the row's `search_space(hp)`, `fit(hp, model, ...)` tunes the batch size
(and, if asked, the epochs). Around it, what any search needs: the random, Bayesian and Hyperband
tuners (`make_tuner`), keras-tuner's chief/worker settings (`parse_distributed`, `tuner_env`,
`wait_for_chief`), and a search's results (`trial_rows`, `write_csv`, `plot_objective`).

A recipe's search (`rnnzoo tune`) stands above `zoo.training`, in `zoo.recipe_tuning`.

Memory: every traced train step registers a `tf.custom_gradient` (Keras's gradient all-reduce) in
TensorFlow's global gradient registry, and that entry keeps the step's whole graph alive after
`keras.backend.clear_session()` (tensorflow/tensorflow#27492 and #97697; keras-team/tf-keras#898
proposes the same cure inside `clear_session`). A hypermodel's `build`, which runs after
keras-tuner has cleared the session, drops the entries registered since its first build
(`release_custom_gradients`), so a search's memory stays flat across trials.
"""

import contextlib
import csv
import hashlib
import inspect
import os
import re
import time
import warnings

import keras
import keras_tuner
import numpy as np
import tensorflow as tf

from zoo import registry
from zoo.data import batches
from zoo.layers.speech_embedding import SAMPLE_RATES, STRIDES
from zoo.models.recurrent_model import text_vectorizer
from zoo.registry import CLOSED_FORM
from zoo.validation import check_choice, check_positive_int, is_int, suggest

TUNERS = ("random", "bayesian", "hyperband")
BATCH_SIZES = (16, 32, 64, 128)
ROLES = ("chief", "worker")
_ENV = ("KERASTUNER_TUNER_ID", "KERASTUNER_ORACLE_IP", "KERASTUNER_ORACLE_PORT")
_HP_METHODS = ("Boolean", "Choice", "Fixed", "Float", "Int")
_CUSTOM_GRADIENT = re.compile(r"CustomGradient-\d+$")


def _gradient_registry():
    """TensorFlow's global gradient registry (a dict), or `None` where its internals differ."""
    try:
        from tensorflow.python.framework import ops as tf_ops
    except ImportError:  # pragma: no cover - another TensorFlow layout: nothing to release
        return None
    entries = getattr(getattr(tf_ops, "_gradient_registry", None), "_registry", None)
    return entries if isinstance(entries, dict) else None


def custom_gradient_names():
    """The names of the `tf.custom_gradient` functions TensorFlow holds now (a set).

    Example:
        >>> isinstance(custom_gradient_names(), set)
        True
    """
    return {name for name in _gradient_registry() or () if _CUSTOM_GRADIENT.match(name)}


def release_custom_gradients(keep):
    """Unregisters the `tf.custom_gradient` functions not in `keep`, so their graphs can be freed.

    A graph-mode `tf.custom_gradient` registers its gradient function in TensorFlow's global
    registry under a fresh name, and never removes it: the function holds the traced graph (for
    Keras, a whole train step), so the graph outlives its model. A gradient function is only
    looked up while its graph is being differentiated, i.e. while that graph is traced, so the
    entries of graphs whose tracing has ended (e.g. an earlier trial's) can go. Call it between
    trainings, not while another thread traces a graph.

    Args:
        keep: names to keep (`custom_gradient_names()` taken before the trainings).

    Returns:
        How many functions were unregistered (0 where TensorFlow's internals differ).

    Example:
        >>> before = custom_gradient_names()
        >>> release_custom_gradients(before)  # nothing registered since
        0
    """
    entries = _gradient_registry()
    if entries is None:
        return 0
    stale = [name for name in custom_gradient_names() if name not in keep]
    for name in stale:
        del entries[name]
    return len(stale)


class _Narrowed:
    """Wraps a keras-tuner `hp` so that the names in `fixed` return their fixed value untuned.

    A fixed argument is then absent from the search space instead of being tuned and ignored.
    A name in `allowed` (`{name: (test(value), why)}`) is defined with only the values that
    pass its test (`_narrow`). Everything else (conditional scopes, values, ...) passes through
    to the real `hp`.
    """

    def __init__(self, hp, fixed, allowed=None):
        self._hp, self._fixed, self._allowed = hp, fixed, allowed or {}

    def __getattr__(self, attr):
        method = getattr(self._hp, attr)
        if attr not in _HP_METHODS:
            return method

        def define(name, *args, **kwargs):
            if name in self._fixed:
                return self._fixed[name]
            if name in self._allowed and attr != "Float":  # (no rule rules out a Float's)
                return _narrow(self._hp, attr, name, args, kwargs, *self._allowed[name])
            return method(name, *args, **kwargs)

        return define


def _narrow(hp, kind, name, args, kwargs, test, why):
    """Defines `hp.<kind>(name, *args, **kwargs)` with only the values that pass `test`.

    A single value left is returned undefined, as a fixed one would be.
    """
    method = getattr(hp, kind)
    given = inspect.signature(method).bind(name, *args, **kwargs).arguments
    if kind == "Boolean":
        values = [False, True]
    elif kind == "Choice":
        values = list(given["values"])
    elif kind == "Int":
        low, high, step = given["min_value"], given["max_value"], given.get("step")
        if given.get("sampling") == "log" and step:  # (the step multiplies)
            values = [low * step**k for k in range(64) if low * step**k <= high]
        else:
            values = list(range(low, high + 1, step or 1))
    else:  # Fixed
        values = [given["value"]]
    kept = [v for v in values if test(v)]
    if not kept:
        raise ValueError(
            f"{why}, and the search space draws {name} from {values}: fix {name} too, or "
            f"change the fixed argument."
        )
    if len(kept) == len(values):
        return method(**given)
    if len(kept) == 1:
        return kept[0]
    default = given.pop("default", None)  # (kept only if still among the values)
    default = {"default": default} if default in kept else {}
    if kind == "Int" and kept == values[values.index(kept[0]) : values.index(kept[-1]) + 1]:
        return method(**{**given, "min_value": kept[0], "max_value": kept[-1], **default})
    return hp.Choice(name, kept, ordered=kind == "Int", **default)


def decided_by_fixed(fixed):
    """What fixed arguments decide among the drawn hyperparameters: no trial draws a clash.

    Returns `(decided, allowed)`. `decided` maps a hyperparameter to the one value the fixed
    arguments leave it, drawn no longer, as if fixed: units as a list has one entry per layer
    (`num_layers`); a stateful model is unidirectional (`bidirectional=False`); units that
    differ from layer to layer take no residual links (`residual=False`); a sample rate or time
    stride the pretrained speech front end does not take leaves the log-mel one (`frontend`).
    `allowed` maps a hyperparameter to `(test(value), why)`: only the values that pass are
    drawn (`adversary_layer=k`: more than k layers). A hyperparameter fixed itself stays as
    fixed (the factory judges the pair when the hypermodel is made).

    Example:
        >>> decided_by_fixed({"units": [8, 4], "stateful": True})[0]
        {'num_layers': 2, 'residual': False, 'bidirectional': False}
    """
    decided, allowed = {}, {}
    units = fixed.get("units")
    if isinstance(units, list | tuple) and units:
        decided["num_layers"] = len(units)
        if len(set(units)) > 1:
            decided["residual"] = False
    if fixed.get("stateful") is True:
        decided["bidirectional"] = False
    if fixed.get("sample_rate", SAMPLE_RATES[0]) not in SAMPLE_RATES or (
        fixed.get("time_stride", STRIDES[0]) not in STRIDES
    ):
        decided["frontend"] = "log_mel"
    layer = fixed.get("adversary_layer")
    if is_int(layer):
        allowed["num_layers"] = (
            lambda n: n > layer,
            f"adversary_layer={layer} needs num_layers > {layer} (the speaker adversary reads "
            "one of the recurrent layers)",
        )
    return (
        {k: v for k, v in decided.items() if k not in fixed},
        {k: v for k, v in allowed.items() if k not in fixed and k not in decided},
    )


def without_moot_arguments(model, kwargs):
    """`kwargs` less the fixed arguments that drawn values make moot for factory `model`.

    merge_mode when the model is unidirectional, recurrent_activation for a gateless
    simple_rnn, the log-mel settings of a speech model with the pretrained front end: a direct
    factory call refuses them, a trial (and the retraining of the best one) leaves them out.

    Example:
        >>> without_moot_arguments("gru", {"units": 8, "merge_mode": "sum"})
        {'units': 8}
    """
    kwargs = dict(kwargs)
    if not kwargs.get("bidirectional", model == "bidirectional"):
        kwargs.pop("merge_mode", None)
    if kwargs.get("cell") == "simple_rnn" or model == "simple_rnn":
        kwargs.pop("recurrent_activation", None)
    if kwargs.get("frontend") == "speech_embedding":  # ctc_speech's pretrained front end
        from zoo.models.speech import LOG_MEL_ONLY

        for key in LOG_MEL_ONLY:
            kwargs.pop(key, None)
    return kwargs


class ZooHyperModel(keras_tuner.HyperModel):
    """A registered model as a `keras_tuner.HyperModel` (build it with `hypermodel(...)`).

    Args:
        model: a registered model name.
        fixed: factory arguments held fixed (not tuned).
        space: `space(hp) -> {factory argument: value}` defining extra or narrower
            hyperparameters; it runs before the registry's search space, and keras-tuner keeps
            the first definition of a name, so a name defined here replaces the registry's range.
        batch_sizes: the batch sizes to try, or `None` not to tune the batch size (the default
            for a model fitted in closed form, `registry.CLOSED_FORM`: its readout does not
            depend on the batch size).
        epochs: `(min, max)` to tune the number of epochs, or `None` (the `epochs` given to
            `fit` then count; Hyperband sets them itself, so leave this `None` with it).

    `fit` adapts a text model's vectorizer (`text=True`) to the trial's training texts, and
    fits a closed-form model's readout with `fit_readout` (the tuned `ridge`), as the recipes
    do; other models train with `model.fit`.

    Example:
        >>> import keras_tuner
        >>> hm = ZooHyperModel("gru", {"input_shape": (None, 2), "task": "regression"})
        >>> hm.build(keras_tuner.HyperParameters()).output_shape
        (None, 1)
    """

    def __init__(self, model, fixed, space=None, batch_sizes=BATCH_SIZES, epochs=None):
        self.spec = registry.get(model)
        super().__init__(name=f"{model}_hypermodel")
        args = set(inspect.signature(self.spec.factory).parameters)
        for key in fixed:
            if key not in args:
                raise ValueError(
                    f"{key!r} is not an argument of model {model!r}, so it cannot be fixed or "
                    f"tuned (its arguments: {', '.join(sorted(args))})." + suggest(key, args)
                )
        if space is not None and not callable(space):
            raise TypeError(f"space must be a function of a keras-tuner hp, got {space!r}.")
        closed_form = self.spec.name in CLOSED_FORM
        if closed_form and batch_sizes is BATCH_SIZES:  # the default
            batch_sizes = None
        if closed_form and epochs is not None:
            raise ValueError(
                f"epochs={epochs!r}: model {model!r} fits its readout in closed form, in one "
                "pass over the data, so there are no epochs to tune; leave epochs out."
            )
        if batch_sizes is not None:
            if isinstance(batch_sizes, int | str) or not batch_sizes:
                raise ValueError(
                    f"batch_sizes must be a non-empty list of positive ints or None, "
                    f"got {batch_sizes!r}."
                )
            batch_sizes = [check_positive_int("batch_sizes", b) for b in batch_sizes]
        if epochs is not None:
            if not (isinstance(epochs, tuple | list) and len(epochs) == 2):
                raise ValueError(f"epochs must be (min, max) or None, got {epochs!r}.")
            lo, hi = (check_positive_int("epochs", e) for e in epochs)
            if lo > hi:
                raise ValueError(f"epochs must be (min, max) with min <= max, got {epochs!r}.")
            epochs = (lo, hi)
        self.model, self.fixed, self.space = model, dict(fixed), space
        self._decided, self._allowed = decided_by_fixed(self.fixed)
        self.batch_sizes, self.epochs = batch_sizes, epochs
        self.tuned_kwargs(keras_tuner.HyperParameters())  # a space naming no argument fails now
        self._kept_gradients = None  # custom gradients registered before the first build
        # A text model's vocabulary (not among the weights keras-tuner checkpoints), per
        # vectorizer configuration: `get_best_models` rebuilds the models with it.
        self._vocabularies = {}  # {vectorizer key: (training texts' marker, vocabulary)}
        self._texts = None  # the marker of the texts the latest trial trained on

    def tuned_kwargs(self, hp):
        """The tuned factory arguments for `hp` (defining them in `hp` on first use).

        Example:
            >>> import keras_tuner
            >>> hm = hypermodel("gru", input_shape=(None, 2), task="regression", units=8)
            >>> "units" in hm.tuned_kwargs(keras_tuner.HyperParameters())
            False
        """
        narrowed = _Narrowed(hp, {**self._decided, **self.fixed}, self._allowed)
        own = dict(self.space(narrowed)) if self.space is not None else {}
        kwargs = {**self.spec.search_space(narrowed), **own}
        args = set(inspect.signature(self.spec.factory).parameters)
        for key in kwargs:
            if key not in args:
                raise ValueError(
                    f"the search space of model {self.model!r} yields {key!r}, which is not an "
                    "argument of the model." + suggest(key, args)
                )
        return {k: v for k, v in kwargs.items() if k not in self.fixed}

    def fit_values(self, hp):
        """The tuned `fit` settings for `hp`: `batch_size` and `epochs` when they are tuned.

        Example:
            >>> import keras_tuner
            >>> hm = hypermodel("gru", input_shape=(None, 2), task="regression", batch_sizes=[8])
            >>> hm.fit_values(keras_tuner.HyperParameters())
            {'batch_size': 8}
        """
        narrowed, out = _Narrowed(hp, self.fixed), {}
        if self.batch_sizes:
            out["batch_size"] = narrowed.Choice("batch_size", self.batch_sizes)
        if self.epochs:
            out["epochs"] = narrowed.Int("epochs", *self.epochs)
        return out

    def declare_hyperparameters(self, hp):
        """Defines the whole search space in `hp` without building a model.

        Example:
            >>> import keras_tuner
            >>> hm = hypermodel("gru", input_shape=(None, 2), task="regression", units=8)
            >>> hp = keras_tuner.HyperParameters()
            >>> hm.declare_hyperparameters(hp)
            >>> sorted(hp.values)  # units is fixed, so not tuned
            ['activation', 'batch_size', 'dropout', 'learning_rate', 'num_layers']
        """
        self.tuned_kwargs(hp)
        self.fit_values(hp)

    def build(self, hp):
        """Builds the model for the values in `hp` (the fixed arguments added).

        It first frees what earlier trials' traced graphs left in TensorFlow's gradient registry
        (see the module's docstring): keras-tuner has cleared the session before this build.
        """
        if self._kept_gradients is None:
            self._kept_gradients = custom_gradient_names()
        else:
            release_custom_gradients(self._kept_gradients)
        self.fit_values(hp)  # keras-tuner discovers the space by building
        model = self._build_model(hp)
        if not getattr(model, "adapted", True):  # a text model without a vocabulary: `fit`'s
            model.zoo_vectorizer_key = key = _vectorizer_key(model)
            texts, vocabulary = self._vocabularies.get(key, (None, None))
            if vocabulary is not None and texts == self._texts:  # this search's training texts
                text_vectorizer(model).set_vocabulary(vocabulary)
        return model

    def _build_model(self, hp):
        """The factory's model for the values in `hp` and the fixed arguments."""
        kwargs = without_moot_arguments(self.model, {**self.fixed, **self.tuned_kwargs(hp)})
        return registry.build(self.model, **kwargs)

    def check(self):
        """Builds the model once, with the fixed arguments and the search space's first values.

        A fixed argument the factory refuses (a bad value, a missing input, a task the model
        does not support) is then refused at once, with the factory's own message, instead of
        in every trial of the search. `hypermodel` calls it; the model is thrown away.

        Example:
            >>> hypermodel("gru", input_shape=(None, 2), task="regression", units=0)
            Traceback (most recent call last):
            ...
            ValueError: units must be a positive int, got 0...
        """
        hp = keras_tuner.HyperParameters()
        try:
            self._build_model(hp)
        except (ValueError, TypeError) as e:
            drawn = ", ".join(f"{k}={v!r}" for k, v in hp.values.items())
            e.add_note(
                f"(checked by building model {self.model!r} once, with the fixed arguments and "
                f"the search space's first values: {drawn or 'none'})"
            )
            raise

    def fit(self, hp, model, x, *args, validation_data=None, epochs=1, batch_size=32, **kwargs):
        """Trains `model` with the tuned batch size and epochs.

        A `tf.data.Dataset` `x` (and `validation_data`) must hold single `(x, y)` examples: they
        are batched here with the tuned batch size (`zoo.data.batches`, shuffled each epoch).
        A text model's vectorizer is first adapted to the training texts (without the part
        `validation_split` holds out). A closed-form model (the ESN) fits its readout with
        `fit_readout` (a `washout=` given to the search is passed on) and is scored with
        `evaluate` on the training and validation data: `loss`, `val_loss` and the metrics,
        as `fit` reports them. The returned history also holds `seconds`, the trial's
        training time, which then reaches the oracle with the trial's metrics.

        Returns:
            The `keras.callbacks.History` of `model.fit` (or of the closed-form fit).
        """
        tuned = self.fit_values(hp)
        batch_size, epochs = tuned.get("batch_size", batch_size), tuned.get("epochs", epochs)
        key = getattr(model, "zoo_vectorizer_key", None)  # built here without a vocabulary
        if key is None and not getattr(model, "adapted", True):
            key = _vectorizer_key(model)
        if key is not None:
            texts = _training_texts(x, kwargs.get("validation_split"))
            marker = _marker(texts)  # (a digest of every text: computed once)
            if not model.adapted or self._vocabularies.get(key, (None,))[0] != marker:
                from zoo.models import adapt_text  # (zoo.models imports no tuning)

                adapt_text(model, texts)
                self._vocabularies[key] = (marker, text_vectorizer(model).get_vocabulary())
            self._texts = marker
        if self.spec.name in CLOSED_FORM:
            return _fit_closed_form(model, x, args, validation_data, batch_size, kwargs)
        if isinstance(x, tf.data.Dataset):
            seed = self.fixed.get("seed")
            x = batches(x, batch_size, shuffle=True, seed=seed, cache=False)
            kwargs.setdefault("shuffle", False)  # shuffled by tf.data, reshuffled each epoch
            if isinstance(validation_data, tf.data.Dataset):
                validation_data = batches(validation_data, batch_size, cache=False)
        else:
            kwargs["batch_size"] = batch_size
        start = time.perf_counter()
        history = model.fit(x, *args, validation_data=validation_data, epochs=epochs, **kwargs)
        history.history["seconds"] = [time.perf_counter() - start] * len(history.epoch)
        return history


def _vectorizer_key(model):
    """What a vocabulary adapted for `model` depends on: its vectorizer's settings (or `None`)."""
    layer = text_vectorizer(model)
    if layer is None:
        return None
    config = layer.get_config()
    return repr(sorted((k, v) for k, v in config.items() if k not in ("name", "vocabulary_size")))


def _training_texts(x, validation_split=None):
    """The texts of `x` that `fit` trains on.

    `x` is a list or array of texts (Keras holds out its last `validation_split` share) or a
    dataset of single `(text, label)` examples (`adapt_text` reads its texts).
    """
    if validation_split and not isinstance(x, tf.data.Dataset) and hasattr(x, "__len__"):
        x = x[: int(len(x) * (1 - validation_split))]
    return x


def _marker(texts):
    """Tells one search's training texts from another's: a digest of a list's, a dataset's id."""
    if isinstance(texts, tf.data.Dataset):
        return ("dataset", id(texts))
    items = texts.tolist() if hasattr(texts, "tolist") else list(texts)
    digest = hashlib.sha1(repr(items).encode("utf-8", "replace")).hexdigest()
    return ("texts", len(items), digest)


def _fit_closed_form(model, x, args, validation_data, batch_size, kwargs):
    """A trial of a closed-form model: `fit_readout`, then `evaluate`, as a one-epoch history.

    keras-tuner's callbacks (its checkpoint of the best epoch's weights among them) see one
    epoch end with the scores (over the steps after the washout, as the readout was fitted),
    so that `get_best_models` loads the fitted readout.
    """
    y = args[0] if args else kwargs.pop("y", None)
    if len(args) > 1:
        raise TypeError(f"a closed-form trial takes x and y, got {len(args) + 1} arrays.")
    callbacks = kwargs.pop("callbacks", None) or []
    washout = kwargs.pop("washout", 0)
    split = kwargs.pop("validation_split", None)
    for ignored in ("verbose", "shuffle", "initial_epoch"):  # one pass: Hyperband's rounds too
        kwargs.pop(ignored, None)
    if kwargs:
        raise TypeError(
            f"unexpected fit arguments for a closed-form readout: {sorted(kwargs)} (it takes "
            "x, y, validation_data or validation_split, batch_size and washout)."
        )
    if split and validation_data is None:
        if isinstance(x, tf.data.Dataset) or y is None:
            raise ValueError(
                "validation_split needs arrays x and y; give a dataset's validation examples "
                "as validation_data."
            )
        x, y = np.asarray(x), np.asarray(y)
        cut = int(len(x) * (1 - split))
        if cut < 1 or cut >= len(x):
            raise ValueError(
                f"validation_split={split!r} leaves no training or no validation sequences of "
                f"{len(x)}; give validation_data (e.g. a later stretch of the series)."
            )
        x, y, validation_data = x[:cut], y[:cut], (x[cut:], y[cut:])
    if isinstance(x, tf.data.Dataset):
        x = batches(x, batch_size, cache=False)
    if isinstance(validation_data, tf.data.Dataset):
        validation_data = batches(validation_data, batch_size, cache=False)
    start = time.perf_counter()
    model.fit_readout(x, y, washout=washout, batch_size=batch_size)
    seconds = time.perf_counter() - start
    # Scored after the washout too: the transient of a zero state is no fault of the readout
    # (and would favour the reservoirs that forget fastest).
    score = dict(washout=washout, batch_size=batch_size, return_dict=True, verbose=0)
    logs = model.evaluate(x, y, **score)
    if validation_data is not None:
        pair = isinstance(validation_data, tuple | list)
        val_x, val_y, *weights = validation_data if pair else (validation_data, None)
        weight = weights[0] if weights else None  # (x, y, sample_weight)
        scores = model.evaluate(val_x, val_y, sample_weight=weight, **score)
        logs.update({f"val_{name}": value for name, value in scores.items()})
    logs = {name: float(value) for name, value in logs.items()}
    hooks = keras.callbacks.CallbackList(callbacks, model=model)
    hooks.on_train_begin()
    hooks.on_epoch_begin(0)
    hooks.on_epoch_end(0, logs)
    hooks.on_train_end(logs)
    history = keras.callbacks.History()
    history.history = {name: [value] for name, value in {**logs, "seconds": seconds}.items()}
    history.epoch = [0]
    return history


def hypermodel(name=None, /, *, space=None, batch_sizes=BATCH_SIZES, epochs=None, **fixed):
    """Returns a `keras_tuner.HyperModel` of registered model `name`.

    Args:
        name: a registered model name (`zoo.list_models()`). Given first, a `name=` among
            `fixed` is the factory's (the Keras model's name); alone, `name=` is this one.
        space: `space(hp) -> {factory argument: value}`, run before the registry's search
            space: narrows it (a name it defines wins) or extends it, without copying it.
        batch_sizes: batch sizes for `fit` to try, or `None` not to tune the batch size.
        epochs: `(min, max)` to tune the epochs too, or `None`.
        **fixed: factory arguments held fixed; a fixed argument is not tuned. They are
            checked at once, by building the model with them and the space's first values.

    Returns:
        A `ZooHyperModel`.

    Raises:
        ValueError: a fixed argument or a search-space entry is not an argument of the model,
            or the model does not build with the fixed arguments (`ZooHyperModel.check`: the
            factory's own error, e.g. a bad value or a task the model does not support).

    Example:
        >>> import keras_tuner
        >>> hm = hypermodel("gru", task="binary", vocab_size=100, units=8)
        >>> tuner = keras_tuner.RandomSearch(hm, objective="val_loss", max_trials=1,
        ...                                  directory="/tmp/hm_example", overwrite=True)
        >>> sorted(p.name for p in tuner.oracle.get_space().space)[:3]
        ['activation', 'batch_size', 'dropout']
    """
    name = registry.registered_name(name, fixed, "hypermodel")
    hm = ZooHyperModel(name, fixed, space=space, batch_sizes=batch_sizes, epochs=epochs)
    hm.check()
    return hm


def check_tuner_options(tuner, max_trials=None, epochs=None, max_epochs=None, factor=None):
    """Checks the options of a `tuner` search; returns `(max_trials, factor)` with defaults.

    Hyperband decides its trial count and each trial's epochs from `max_epochs` and `factor`;
    the random and Bayesian searches take `max_trials` (default 10) and `epochs`.

    Example:
        >>> check_tuner_options("random"), check_tuner_options("hyperband", max_epochs=9)
        ((10, None), (None, 3))
    """
    check_choice("tuner", tuner, TUNERS)
    if tuner == "hyperband":
        if max_trials is not None:
            raise ValueError(
                f"--max-trials is not for hyperband, got {max_trials!r}: Hyperband decides "
                "how many trials to run from --max-epochs and --factor."
            )
        if epochs is not None:
            raise ValueError(
                f"--epochs is not for hyperband, got {epochs!r}: Hyperband sets each trial's "
                "epochs itself, up to --max-epochs."
            )
        factor = 3 if factor is None else factor
        if isinstance(factor, bool) or not isinstance(factor, int) or factor < 2:
            raise ValueError(f"--factor must be an int >= 2, got {factor!r}.")
        return None, factor
    for flag, value in (("--max-epochs", max_epochs), ("--factor", factor)):
        if value is not None:
            raise ValueError(f"{flag} is for --tuner hyperband, got {value!r} with {tuner}.")
    return check_positive_int("max_trials", 10 if max_trials is None else max_trials), None


def parse_chief(value):
    """Splits `HOST:PORT` into `(host, port)`.

    Example:
        >>> parse_chief("127.0.0.1:8000")
        ('127.0.0.1', 8000)
    """
    match = re.fullmatch(r"(.+):(-?\d+)", str(value))
    if not match:
        raise ValueError(f"--chief must be HOST:PORT (e.g. 10.0.0.1:8000), got {value!r}.")
    if not 0 < int(match.group(2)) < 65536:
        raise ValueError(f"--chief port must be in 1-65535, got {match.group(2)} in {value!r}.")
    return match.group(1), int(match.group(2))


def parse_distributed(role, chief, worker_id):
    """Checks the chief/worker options; returns `(role, host, port, keras-tuner tuner id)`.

    All `None` is a search in this process (refused while keras-tuner's own variables are set,
    which would make it distributed unasked); `role="chief"` serves the oracle at `chief`;
    `worker_id` (with `role` `None` or `"worker"`) runs trials for the chief at `chief`.

    Example:
        >>> parse_distributed(None, "10.0.0.1:8000", "tuner0")
        ('worker', '10.0.0.1', 8000, 'tuner0')
        >>> parse_distributed("chief", "0.0.0.0:8000", None)
        ('chief', '0.0.0.0', 8000, 'chief')
    """
    if role is None and chief is None and worker_id is None:
        for key in _ENV:
            if key in os.environ:
                raise ValueError(
                    f"{key} is set in the environment, which would make keras-tuner run "
                    "distributed behind our back; unset it and use --role chief --chief "
                    "HOST:PORT or --chief HOST:PORT --worker-id ID."
                )
        return None, None, None, None
    if role is not None:
        check_choice("--role", role, ROLES)
    if chief is None:
        raise ValueError(
            f"--{'role ' + role if role else 'worker-id'} needs --chief HOST:PORT, the address "
            "the chief serves the oracle on."
        )
    host, port = parse_chief(chief)
    role = role or ("worker" if worker_id is not None else None)
    if role is None:
        raise ValueError(
            "--chief needs --role chief (the process serving the oracle) or --worker-id ID "
            "(a process running trials)."
        )
    if role == "chief":
        if worker_id is not None:
            raise ValueError(
                f"--worker-id is for workers, got --role chief --worker-id {worker_id}."
            )
        return role, host, port, "chief"
    if worker_id is None:
        raise ValueError("--role worker needs --worker-id ID, one per worker (e.g. tuner0).")
    if not re.fullmatch(r"[A-Za-z0-9_.-]+", str(worker_id)) or "chief" in str(worker_id):
        raise ValueError(
            "--worker-id must be letters, digits, '_', '-' or '.', without 'chief' (keras-tuner "
            f"takes such an id for the chief's), got {worker_id!r}."
        )
    return role, host, port, str(worker_id)


@contextlib.contextmanager
def tuner_env(tuner_id, host, port):
    """Sets keras-tuner's distribution variables for the search, restoring them afterwards.

    Example:
        >>> with tuner_env("tuner0", "10.0.0.1", 8000):
        ...     os.environ["KERASTUNER_ORACLE_PORT"]
        '8000'
    """
    saved = {key: os.environ.get(key) for key in _ENV}
    if tuner_id is not None:
        os.environ["KERASTUNER_TUNER_ID"] = tuner_id
        os.environ["KERASTUNER_ORACLE_IP"] = host
        os.environ["KERASTUNER_ORACLE_PORT"] = str(port)
    try:
        yield
    finally:
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def check_chief_address(host, port):
    """Refuses an address this machine cannot serve the chief's oracle on, before it writes.

    gRPC's server binds with `SO_REUSEPORT`, so a second chief on a port a first one holds
    would start silently and share the workers' calls with it; a port another program holds
    fails only after the search's files are written, with a traceback.

    Raises:
        ValueError: the port is in use, or `host` is not one of this machine's addresses.

    Example:
        >>> check_chief_address("127.0.0.1", 0)  # any free port will do
    """
    import errno
    import socket

    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host.strip("[]"), port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except socket.gaierror as e:
        raise ValueError(
            f"--chief {host}:{port}: cannot resolve {host!r} ({e.strerror})."
        ) from None
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # a past chief's TIME_WAIT
        try:
            probe.bind(address)
        except OSError as e:
            if e.errno == errno.EADDRINUSE:
                raise ValueError(
                    f"--chief {host}:{port}: port {port} is in use on this machine (another "
                    "chief, or another program); stop it or choose another port."
                ) from None
            raise ValueError(
                f"--chief {host}:{port}: the chief cannot serve on {host} ({e.strerror}); give "
                "one of this machine's addresses, or 0.0.0.0 for all of them."
            ) from None


def search_finished(oracle):
    """Whether `oracle` has no trial left to hand out, none running and none to retry.

    A chief serves its oracle until a worker asks for a trial and is told to stop, so a chief
    restarted on a finished search would wait for a worker to come; this lets it skip the
    serving. `False` when unsure (e.g. random values that collide end a search early).

    Example:
        >>> import keras_tuner
        >>> search_finished(keras_tuner.oracles.RandomSearchOracle(objective="loss", max_trials=2))
        False
    """
    if oracle.ongoing_trials or oracle._retry_queue:
        return False
    if isinstance(oracle, keras_tuner.oracles.HyperbandOracle):
        oracle._remove_completed_brackets()  # as its next trial request would, first
        last = oracle._current_iteration + 1 == oracle.hyperband_iterations
        return (
            bool(oracle.trials) and not oracle._brackets and last and oracle._current_bracket == 0
        )
    return bool(oracle.max_trials) and len(oracle.trials) >= oracle.max_trials


def wait_for_chief(host, port, timeout):
    """Waits up to `timeout` seconds for the chief's oracle service, else `ConnectionError`.

    keras-tuner's own client waits up to an hour per call; a worker started against a wrong
    address or a dead chief should say so much sooner.

    Example:
        >>> wait_for_chief("127.0.0.1", 1, 0.1)  # doctest: +SKIP
    """
    import grpc

    channel = grpc.insecure_channel(f"{host}:{port}")
    try:
        grpc.channel_ready_future(channel).result(timeout=timeout)
    except grpc.FutureTimeoutError:
        raise ConnectionError(
            f"no chief answered at {host}:{port} within {timeout:g} s (--chief-timeout); start "
            f"it first (`rnnzoo tune RECIPE --role chief --chief {host}:{port}`) and check the "
            "host, the port and the firewall."
        ) from None
    finally:
        channel.close()


def _warn_if_random(hm, max_trials):
    """Warns when a Bayesian search of `max_trials` would draw most of its trials at random.

    keras-tuner's oracle draws its first `max(3 * dimensions, 3)` trials at random before its
    Gaussian process proposes any; `dimensions` counts the hyperparameters, at least those the
    search space's first values define.
    """
    if not hasattr(hm, "tuned_kwargs"):
        return
    hp = keras_tuner.HyperParameters()
    hm.tuned_kwargs(hp)
    hm.fit_values(hp)
    initial = max(3 * len(hp.space), 3)
    if max_trials < 2 * initial:
        proposed = max(max_trials - initial, 0)
        warnings.warn(
            f"bayesian: keras-tuner draws the first {min(initial, max_trials)} of max_trials="
            f"{max_trials} trials at random (3 per hyperparameter; this search tunes at least "
            f"{len(hp.space)}), so its Gaussian process proposes {proposed}; raise max_trials "
            f"(--max-trials; to {2 * initial} or more for half of them), or fix some "
            "hyperparameters.",
            stacklevel=3,
        )


def make_tuner(
    kind, hm, objective, direction, max_trials, max_epochs, factor, seed, out, worker=False
):
    """The keras-tuner tuner `kind` over hypermodel `hm`, its project in `out/search`.

    Args:
        kind: `random`, `bayesian` or `hyperband` (`check_tuner_options` checks the rest).
        hm: a `keras_tuner.HyperModel`.
        objective: the metric to optimise.
        direction: `min` or `max`.
        max_trials: trials in all (random, bayesian).
        max_epochs: Hyperband's most epochs for one model.
        factor: Hyperband's reduction factor.
        seed: seeds the oracle (0 included, which keras-tuner itself takes for no seed).
        out: the output folder; keras-tuner's project is `out/search` (reloaded if present).
        worker: a worker of a distributed search: the chief's oracle decides the trials, so
            no warning about `max_trials` (a worker's is not the search's).

    Example:
        >>> search = make_tuner("random", hypermodel("gru", task="binary", vocab_size=50),
        ...                     "val_loss", "min", 2, None, None, 0, "/tmp/make_tuner_example")
        >>> type(search).__name__, search.oracle.max_trials
        ('RandomSearch', 2)
    """
    common = dict(
        objective=keras_tuner.Objective(objective, direction),
        # keras-tuner's oracle takes a seed of 0 for none (`seed or random.randint(...)`), so
        # --seed 0, our default, would draw other trials on every run.
        seed=seed + 1 if seed >= 0 else seed,
        directory=str(out),
        project_name="search",
    )
    if kind == "random":
        search = keras_tuner.RandomSearch(hm, max_trials=max_trials, **common)
    elif kind == "bayesian":
        if not worker:
            _warn_if_random(hm, max_trials)
        search = keras_tuner.BayesianOptimization(hm, max_trials=max_trials, **common)
    else:
        search = keras_tuner.Hyperband(hm, max_epochs=max_epochs, factor=factor, **common)
    # keras-tuner reloads the oracle only from a process with the same tuner id (`tuner0`
    # searching alone, `chief`): a chief continuing a search begun alone, or the reverse,
    # would start again from trial 0 over the trials on disk.
    saved = os.path.exists(os.path.join(search.project_dir, "oracle.json"))
    if saved and not search._is_worker() and not search.oracle.trials:
        search.oracle.reload()
    return search


def _trial_key(trial_id):
    return (0, int(trial_id)) if str(trial_id).isdigit() else (1, str(trial_id))


def trial_rows(oracle, objective):
    """One dict per trial of `oracle`, in trial order: id, status, objective, seconds, values.

    Example:
        >>> import keras_tuner
        >>> trial_rows(keras_tuner.oracles.RandomSearchOracle(objective="val_loss"), "val_loss")
        []
    """
    rows = []
    for trial_id in sorted(oracle.trials, key=_trial_key):
        trial = oracle.trials[trial_id]
        seconds = None
        if trial.metrics.exists("seconds"):
            seconds = round(float(trial.metrics.get_last_value("seconds")), 3)
        rows.append(
            {
                "trial": trial_id,
                "status": trial.status,
                objective: trial.score,
                "seconds": seconds,
                **trial.hyperparameters.values,
            }
        )
    return rows


def write_csv(rows, path):
    """Writes `rows` (dicts, e.g. `trial_rows`) to CSV `path` atomically; columns in order seen.

    Example:
        >>> import pathlib
        >>> write_csv([{"trial": "0", "units": 8}, {"trial": "1", "lr": 0.1}],
        ...           pathlib.Path("/tmp/rows.csv")).read_text().splitlines()
        ['trial,units,lr', '0,8,', '1,,0.1']
    """
    fields = []
    for row in rows:
        fields += [k for k in row if k not in fields]
    tmp = path.with_suffix(".tmp")
    with open(tmp, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=fields)
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)
    return path


def plot_objective(rows, objective, direction, path, title=""):
    """Plots each finished trial's objective and the best so far, one point per trial.

    Example:
        >>> rows = [{"trial": "0", "val_loss": 0.3}, {"trial": "1", "val_loss": 0.2}]
        >>> plot_objective(rows, "val_loss", "min", "/tmp/objective.png")
        '/tmp/objective.png'
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    done = [(i + 1, r[objective]) for i, r in enumerate(rows) if r.get(objective) is not None]
    fig, ax = plt.subplots(figsize=(6, 3.6))
    if done:
        xs, ys = zip(*done, strict=True)
        pick = min if direction == "min" else max
        best = [pick(ys[: i + 1]) for i in range(len(ys))]
        ax.plot(xs, ys, "o", label="trial")
        ax.step(xs, best, where="post", label=f"best so far ({direction})")
        ax.legend()
    ax.set_xlabel("trial")
    ax.xaxis.set_major_locator(matplotlib.ticker.MaxNLocator(integer=True))  # (not 1.2, 1.4)
    ax.set_ylabel(objective)
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
    return path
