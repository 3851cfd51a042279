"""One shared check for any model, in the manner of keras-hub's `run_model_saving_test`.

Every model family (recurrent, ESN, speech, seq2seq) goes through `run_model_checks`: fit one step,
predict, `.keras` save/load with `safe_mode=True`, and a config round trip.
"""

import copy

import keras
import numpy as np


def batch_size_of(x):
    """The batch size of `x`: an array, a tensor, a list of strings or a (nested) dict/list."""
    if isinstance(x, list | tuple) and x and all(isinstance(s, str | bytes) for s in x):
        return len(x)
    if isinstance(x, np.ndarray | str | bytes):
        return len(x)
    leaves = keras.tree.flatten(x)
    assert leaves, f"cannot find a batch dimension in {x!r}"
    return int(keras.ops.shape(leaves[0])[0])


def reset_states(model):
    """Zeros the state of every stateful layer so that two predictions start alike."""
    for layer in model._flatten_layers(include_self=False):
        if getattr(layer, "stateful", False) and hasattr(layer, "reset_states"):
            layer.reset_states()


def _predict(model, x, batch_size):
    reset_states(model)  # a stateful model would otherwise start from the last call's state
    preds = model.predict(x, batch_size=batch_size, verbose=0)
    reset_states(model)
    return preds


def _output_shapes(model):
    """`model.output_shape` as a list of shape tuples, in the order `keras.tree.flatten` gives."""
    shape = model.output_shape
    if isinstance(shape, dict):
        return [tuple(shape[k]) for k in sorted(shape)]
    if isinstance(shape, tuple) and all(d is None or isinstance(d, int) for d in shape):
        return [shape]
    return [tuple(s) for s in shape]


def assert_prediction_shape(model, preds, batch_size):
    """Checks each prediction against `model.output_shape` with the batch dimension filled in.

    Dimensions that are `None` in `output_shape` besides the batch (e.g. time) may take any size.
    """
    expected = _output_shapes(model)
    actual = [np.shape(p) for p in keras.tree.flatten(preds)]
    assert len(actual) == len(expected), f"{len(actual)} outputs, output_shape {expected}"
    for want, got in zip(expected, actual, strict=True):
        assert len(got) == len(want), f"prediction shape {got} vs output_shape {want}"
        assert got[0] == batch_size, f"prediction batch {got[0]} != {batch_size}"
        for w, g in zip(want[1:], got[1:], strict=True):
            assert w is None or w == g, f"prediction shape {got} vs output_shape {want}"


def run_model_checks(
    model, x, y=None, tmp_path=None, *, config_equal=True, atol=1e-6, run_eagerly=False
):
    """Checks `model` the way every model in the zoo is checked.

    1. If the model is compiled and `y` is given: `fit` one step (the whole batch), loss finite.
    2. `predict` gives finite values shaped like `model.output_shape` with the batch filled in.
    3. Save to `.keras`, load with `safe_mode=True`: same class, identical predictions (within
       `atol`), and, when compiled, the same compile config (loss, metrics, optimizer) and
       optimizer step count.
    4. Config round trip: `cls.from_config(model.get_config())` builds a model with the same output
       shape and number of weights, and (when `config_equal`) the same `get_config()`.

    Args:
        model: any `keras.Model`.
        x: inputs as `fit`/`predict` take them: an array, a dict of arrays, a list of strings.
        y: targets, or `None` to skip training.
        tmp_path: a folder for the `.keras` file (pytest's `tmp_path`).
        config_equal: compare `get_config()` before and after the round trip. Turn off only
            where state lives outside the config (e.g. an adapted vocabulary).
        atol: tolerance of the prediction comparison after loading.
        run_eagerly: run `fit` and `predict` eagerly. Tracing a tiny RNN's training step
            costs seconds on a CPU, eager steps a fraction of that; leave it `False` for one test
            per model family so that the compiled (graph) path is checked too.

    Returns:
        The predictions of the original model (after its training step).
    """
    assert tmp_path is not None, "run_model_checks needs a folder for the .keras file"
    batch_size = batch_size_of(x)
    model.run_eagerly = run_eagerly

    if model.compiled and y is not None:
        history = model.fit(x, y, batch_size=batch_size, epochs=1, verbose=0, shuffle=False)
        loss = history.history["loss"][-1]
        assert np.isfinite(loss), f"loss after one step is {loss}"

    preds = _predict(model, x, batch_size)
    assert_prediction_shape(model, preds, batch_size)
    for p in keras.tree.flatten(preds):
        assert np.all(np.isfinite(p)), "predictions are not finite"

    path = tmp_path / f"{model.name}.keras"
    model.save(path)
    loaded = keras.models.load_model(path, safe_mode=True)
    assert type(loaded) is type(model), f"loaded {type(loaded)}, saved {type(model)}"
    assert loaded.compiled == model.compiled
    if model.compiled:  # same loss, metrics and optimizer settings, and the optimizer's state
        assert loaded.get_compile_config() == model.get_compile_config()
        assert int(loaded.optimizer.iterations) == int(model.optimizer.iterations)
    loaded.run_eagerly = run_eagerly
    reloaded_preds = keras.tree.flatten(_predict(loaded, x, batch_size))
    for a, b in zip(reloaded_preds, keras.tree.flatten(preds), strict=True):
        np.testing.assert_allclose(a, b, atol=atol, err_msg="predictions differ after load")
    # `from_config` consumes parts of the dict it is given (Keras pops keys), hence the copy.
    config = model.get_config()
    rebuilt = model.__class__.from_config(copy.deepcopy(config))
    assert rebuilt.output_shape == model.output_shape
    assert len(rebuilt.weights) == len(model.weights)
    assert [tuple(w.shape) for w in rebuilt.weights] == [tuple(w.shape) for w in model.weights]
    if config_equal:
        assert rebuilt.get_config() == config, "get_config() changed in the round trip"
    return preds


def assert_recipe_stops_before_training(recipe, dataset, data_dir, out, match):
    """Runs `recipe` on `dataset` (prepared first) and checks it fails with `match` untrained."""
    import pytest
    import tensorflow_datasets as tfds

    from zoo.training import run

    tfds.builder(dataset, data_dir=str(data_dir)).download_and_prepare()
    with pytest.raises(ValueError, match=match):
        run(
            recipe,
            epochs=1,
            batch_size=32,
            output=out,
            data_dir=str(data_dir),
            overrides={"dataset": dataset, "units": 4},
            verbose=0,
        )
    assert not (out / "history.csv").exists()  # it stopped before training
