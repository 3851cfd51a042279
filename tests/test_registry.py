"""The registry: one readable row per model, each with a search space its factory accepts."""

import inspect
import re

import keras
import keras_tuner
import pytest

import zoo

SPECS = zoo.list_models()
IDS = [spec.name for spec in SPECS]
OWN_INPUTS = {
    "seq2seq": dict(source_vocabulary="ab", target_vocabulary="ab"),
    "char_lm": dict(vocabulary="ab"),
    "ctc_speech": dict(vocabulary="ab"),  # the far end draws the speech embedding: no conv
}


def test_rows():
    assert IDS[:5] == ["simple_rnn", "lstm", "gru", "bidirectional", "stacked"]
    assert len(IDS) == len(set(IDS))
    for spec in SPECS:
        assert isinstance(spec, zoo.ModelSpec)
        assert spec.name == spec.factory.__name__
        assert spec.factory is getattr(zoo.models, spec.name)  # found by its name
        assert isinstance(spec.tasks, tuple) and spec.tasks
        assert all(isinstance(t, str) for t in spec.tasks)
        assert isinstance(spec.description, str) and spec.description.strip()
        assert "\n" not in spec.description
        assert callable(spec.search_space)
        assert zoo.registry.get(spec.name) is spec


def test_list_models_is_a_copy():
    zoo.list_models().clear()
    assert [spec.name for spec in zoo.list_models()] == IDS


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_factory_signature_and_docstring(spec):
    params = inspect.signature(spec.factory).parameters
    # The ESN has no dropout, and its reservoirs are larger than an RNN layer (units=500); the
    # speech recogniser's 128 units per direction are the size that transcribes unseen speakers.
    rnn_only = ("dropout",) if spec.name == "esn" else ()
    for name in ("task", "units", "dropout", "activation", "seed", "compile"):
        if name not in rnn_only:
            assert name in params, f"{spec.name} does not show {name!r} in its signature"
    assert params["units"].default == {"esn": 500, "ctc_speech": 128}.get(spec.name, 64)
    assert "{common_args}" not in spec.factory.__doc__
    assert "Args:" in spec.factory.__doc__ and "Example:" in spec.factory.__doc__


@pytest.mark.filterwarnings("ignore:.*cuDNN:UserWarning")  # some activations leave cuDNN
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_search_space_fits_the_factory(spec):
    hp = keras_tuner.HyperParameters()
    kwargs = spec.search_space(hp)
    assert kwargs, f"{spec.name} has an empty search space"
    assert set(kwargs) <= set(inspect.signature(spec.factory).parameters)
    assert set(kwargs) <= set(hp.values)  # every value is a registered hyperparameter
    # The defaults build, and so do the other ends of the ranges.
    far = _other_end(spec, hp)
    assert far != kwargs
    for choice in (kwargs, far):
        if spec.name in OWN_INPUTS:  # models on vocabularies or waveforms, not on input_shape
            assert isinstance(zoo.build(spec.name, **OWN_INPUTS[spec.name], **choice), keras.Model)
            continue
        task = "classification" if "classification" in spec.tasks else spec.tasks[0]
        model = zoo.build(spec.name, input_shape=(None, 3), task=task, num_classes=3, **choice)
        assert isinstance(model, keras.Model) and model.output_shape == (None, 3)


def _other_end(spec, hp):
    """Search-space values at the far end of each range (last choice, max, True)."""
    far = keras_tuner.HyperParameters()
    for p in hp.space:
        config = p.get_config()
        if "values" in config:
            far.Fixed(p.name, config["values"][-1])
        elif "max_value" in config:
            far.Fixed(p.name, config["max_value"])
        else:  # a Boolean
            far.Fixed(p.name, not hp.values[p.name])
    return spec.search_space(far)


def test_stacked_search_space_is_deeper():
    # keras-tuner keeps the first definition of a name: a second hp.Int("num_layers", 2, 4) after
    # the recurrent space's would be ignored and stacked would be tuned at depth 1.
    hp = keras_tuner.HyperParameters()
    kwargs = zoo.registry.get("stacked").search_space(hp)
    (depth,) = [p for p in hp.space if p.name == "num_layers"]
    assert (depth.min_value, depth.max_value) == (2, 4)
    assert kwargs["num_layers"] == 2
    hp = keras_tuner.HyperParameters()
    assert zoo.registry.get("lstm").search_space(hp)["num_layers"] == 1


def test_build_passes_arguments_through():
    model = zoo.build("gru", input_shape=(7, 2), task="forecast", horizon=3, units=5, seed=0)
    assert model.name == "gru" and model.input_shape == (None, 7, 2)
    assert model.output_shape == (None, 3, 1)
    assert model.get_layer("gru_0").units == 5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"name": "ESN"}, "got 'ESN'. Did you mean 'esn'?"),  # suggested whatever the case
        ({"name": "LSMT"}, "got 'LSMT'. Did you mean 'lstm'?"),
        ({"name": "lsmt"}, "got 'lsmt'. Did you mean 'lstm'?"),
        ({"name": "gru", "task": "TAGGING"}, "got 'TAGGING'. Did you mean 'tagging'?"),
    ],
)
def test_unknown_names_get_suggestions_whatever_their_case(kwargs, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        zoo.build(**kwargs)
    with pytest.raises(ValueError, match="model name must be one of 'simple_rnn'"):
        zoo.registry.get(["esn"])  # not a name at all: no suggestion, the same error


def _cell_activations(model):
    """The names of the activations of every recurrent cell in `model` (wrappers included)."""
    names = set()
    for layer in model._flatten_layers():
        cell = getattr(layer, "cell", None)
        if cell is not None and hasattr(cell, "activation"):
            act = cell.activation
            names.add(act if isinstance(act, str) else getattr(act, "__name__", repr(act)))
    return names


@pytest.mark.filterwarnings("ignore:.*cuDNN:UserWarning")  # all but tanh leave cuDNN
@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_every_factory_takes_the_common_activations(spec):
    # char_lm and seq2seq took four of the six, the ESN's reservoir three.
    for activation in zoo.activations.ACTIVATIONS:
        kwargs = dict(units=4, activation=activation, seed=0, compile=False)
        if spec.name in OWN_INPUTS:
            model = zoo.build(spec.name, **OWN_INPUTS[spec.name], **kwargs)
        else:
            task = "classification" if "classification" in spec.tasks else spec.tasks[0]
            model = zoo.build(spec.name, input_shape=(None, 3), task=task, num_classes=3, **kwargs)
        assert _cell_activations(model) == {activation}, spec.name


@pytest.mark.parametrize("spec", SPECS, ids=IDS)
def test_build_passes_the_factorys_own_name(spec):
    # zoo.build("esn", ..., name="my_esn"): "build() got multiple values for argument 'name'"
    kwargs = dict(units=4, seed=0, compile=False, name=f"my_{spec.name}")
    if spec.name in OWN_INPUTS:
        model = zoo.build(spec.name, **OWN_INPUTS[spec.name], **kwargs)
    else:
        task = "classification" if "classification" in spec.tasks else spec.tasks[0]
        model = zoo.build(spec.name, input_shape=(None, 3), task=task, num_classes=3, **kwargs)
    assert model.name == f"my_{spec.name}"


def test_a_hypermodel_passes_the_factorys_own_name():
    # zoo.tuning.hypermodel("gru", ..., name="x"): "got multiple values for argument 'name'"
    import keras_tuner

    hm = zoo.tuning.hypermodel("gru", input_shape=(None, 2), task="regression", name="mine")
    assert hm.build(keras_tuner.HyperParameters()).name == "mine"
    hm = zoo.tuning.hypermodel(name="gru", input_shape=(None, 2), task="regression")
    assert hm.build(keras_tuner.HyperParameters()).name == "gru"
    with pytest.raises(TypeError, match=r"hypermodel needs a registered model name first"):
        zoo.tuning.hypermodel(task="regression")
