"""How a recipe's model is fitted, alike in `zoo.training.run` and in `rnnzoo tune`'s trials.

The callbacks in their order (`fit_callbacks`), the recipe's `fit` hook or `model.fit`
(`fit_model`), and the monitored metric: which way it improves (`monitor_mode`) and what a model
reports (`metric_names`).
"""

import contextlib
import re
import warnings

import keras

from zoo.recipe import RecipeError
from zoo.recipe_data import batched


def fit_callbacks(
    recipe, model, validation_batches, standard=(), extra=(), stopping=keras.callbacks.EarlyStopping
):
    """The callbacks of a recipe's training, in `run`'s order.

    The recipe's own (its `callbacks` hook) come first, so that the logs they add (e.g.
    `val_cer`) are seen by the `standard` ones (checkpoints, logs) and the caller's `extra`;
    the recipe's early stopping (a `stopping`, given `EarlyStopping`'s arguments) comes last.

    Example:
        >>> from zoo.recipe import Recipe
        >>> r = Recipe(name="r", model="gru", dataset="d", task="regression", early_stopping=2)
        >>> [type(c).__name__ for c in fit_callbacks(r, None, None)]
        ['EarlyStopping']
    """
    own = recipe.callbacks(model, validation_batches) if recipe.callbacks is not None else []
    callbacks = [*own, *standard, *extra]
    if recipe.early_stopping:
        callbacks.append(
            stopping(
                monitor=recipe.monitor,
                mode=monitor_mode(recipe.monitor),
                patience=recipe.early_stopping,
            )
        )
    return callbacks


def fit_model(
    recipe,
    model,
    train_batches,
    validation_batches,
    epochs,
    callbacks,
    verbose="auto",
    initial_epoch=0,
):
    """Trains `model` the way `run` does: the recipe's `fit` hook if it has one, else `model.fit`.

    Args:
        recipe: the `Recipe`.
        model: the built model.
        train_batches: the batched, shuffled training split (`batched(..., training=True)`).
        validation_batches: the batched validation split.
        epochs: the epoch to stop after (a `fit` hook is given `epochs - initial_epoch`).
        callbacks: Keras callbacks (`fit_callbacks`).
        verbose: Keras's `fit` verbosity (a `fit` hook chooses its own).
        initial_epoch: the epoch to start from (Hyperband continuing a trial).

    Returns:
        `{metric: [value per epoch]}`: what the training reported.

    Example:
        >>> import numpy as np, tensorflow as tf, zoo
        >>> from zoo.recipe import Recipe
        >>> r = Recipe(name="r", model="gru", dataset="d", task="regression")
        >>> m = zoo.models.gru(input_shape=(3, 1), task="regression", units=4, seed=0)
        >>> ds = tf.data.Dataset.from_tensor_slices((np.zeros((4, 3, 1)), np.zeros(4)))
        >>> train, val = batched(r, ds, 4, training=True, seed=0), batched(r, ds, 4)
        >>> history = fit_model(r, m, train, val, epochs=1, callbacks=[], verbose=0)
        >>> sorted(history), len(history["loss"])  # one epoch of one step
        (['loss', 'mae', 'val_loss', 'val_mae'], 1)
    """
    if recipe.fit is not None:
        history = recipe.fit(
            model, train_batches, validation_batches, epochs - initial_epoch, callbacks
        )
    else:
        epoch = getattr(train_batches, "epoch", None)  # `zoo.data.batches`'s seeded shuffle
        if epoch is not None:  # epoch e draws e's order, also when resumed in a new process
            at_epoch = keras.callbacks.LambdaCallback(on_epoch_begin=lambda e, _: epoch.assign(e))
            callbacks = [at_epoch, *callbacks]
        with quiet_end_of_data():
            history = model.fit(
                train_batches,
                validation_data=validation_batches,
                epochs=epochs,
                initial_epoch=initial_epoch,
                callbacks=callbacks,
                shuffle=False,  # train_batches is shuffled by tf.data, reshuffled each epoch
                verbose=verbose,
            )
    history = getattr(history, "history", history)
    return {k: [float(v) for v in vs] for k, vs in history.items()}


def random_state(model):
    """The model's variables beside its weights: its layers' seed generator states.

    Each draw (a dropout mask, a SpecAugment mask) advances a layer's `SeedGenerator`, whose
    state is not a weight: `model.weights`, and so `save_weights`, leave it out.

    Example:
        >>> import zoo
        >>> m = zoo.models.gru(input_shape=(None, 2), task="regression", units=4, dropout=0.2)
        >>> [v.name for v in random_state(m)]
        ['seed_generator_state']
    """
    weights = {id(v) for v in model.weights}
    return [v for v in model.variables if id(v) not in weights]


@contextlib.contextmanager
def quiet_end_of_data():
    """Hides Keras's "Your input ran out of data" warning, which is wrong for our datasets.

    Keras 3 (up to 3.15) warns at the end of every first epoch over a dataset of unknown length
    (batched by length, filtered), although iterating to the end is how it learns the length;
    the warning's advice is for `steps_per_epoch`, which rnn-zoo never sets. Fixed upstream in
    keras-team/keras#23360, not yet released.

    Example:
        >>> with warnings.catch_warnings(record=True) as caught:
        ...     warnings.simplefilter("always")
        ...     with quiet_end_of_data():
        ...         warnings.warn("Your input ran out of data; interrupting training.")
        ...     warnings.warn("another warning")
        >>> [str(w.message) for w in caught]
        ['another warning']
    """
    with warnings.catch_warnings():
        warnings.filterwarnings(
            "ignore", message="Your input ran out of data", category=UserWarning
        )
        yield


def monitor_mode(monitor):
    """`"max"` for a monitor that grows as the model improves (accuracy, AUC, ...), else `"min"`.

    Example:
        >>> monitor_mode("val_accuracy"), monitor_mode("val_loss"), monitor_mode("val_cer")
        ('max', 'min', 'min')
    """
    return "max" if any(k in monitor for k in ("acc", "auc", "precision", "recall")) else "min"


def metric_names(model, recipe, val):
    """What `model.fit` reports for `model`: its metrics, plain and `val_` (read on 2 examples).

    The model's random state is put back after: an evaluation draws from its seed generators
    too (Keras's recurrent layers, even with `training=False`), and the training that follows
    must draw as it would without this look (as a `rnnzoo tune` trial does, whose names were
    read on another model).

    Example:
        >>> import numpy as np, tensorflow as tf, zoo
        >>> from zoo.recipe import Recipe
        >>> r = Recipe(name="r", model="gru", dataset="d", task="regression")
        >>> m = zoo.models.gru(input_shape=(5, 2), task="regression", units=4)
        >>> val = tf.data.Dataset.from_tensor_slices((np.zeros((2, 5, 2)), np.zeros((2, 1))))
        >>> metric_names(m, r, val)
        ['loss', 'mae', 'val_loss', 'val_mae']
    """
    sample = batched(recipe, val.take(2), 2, cache=False)
    state = [(v, v.numpy()) for v in random_state(model)]
    try:  # the data's first meeting with the model
        scores = model.evaluate(sample, return_dict=True, verbose=0)
    except ValueError as e:  # Keras's layer input checks, not the data pipeline's own
        if not any(words in str(e) for words in _KERAS_INPUT_CHECKS):
            raise
        raise RecipeError(
            f"model {recipe.model!r} of recipe {recipe.name!r} cannot read the examples of "
            f"dataset {recipe.dataset!r} (--set dataset / --set input_shape?): {_reason(e)}"
        ) from None
    for variable, value in state:
        variable.assign(value)
    return [*scores, *(f"val_{name}" for name in scores)]


_KERAS_INPUT_CHECKS = ("is incompatible with the layer", "Invalid input shape for input")


def _reason(error):
    """The line of a Keras error that says what is wrong, without its terminal colours."""
    lines = [re.sub(r"\x1b\[[0-9;]*m", "", line).strip() for line in str(error).splitlines()]
    lines = [line for line in lines if line and not line.startswith("Exception encountered")]
    return lines[0] if lines else type(error).__name__
