"""The examples in the docstrings of the library run and print what they say.

Some modules' examples run in their own test files (zoo.tuning, zoo.models.esn, the reservoir
layer, the dataset builders).
"""

import doctest
import importlib

import pytest

MODULES = [
    "zoo",
    "zoo.validation",
    "zoo.activations",
    "zoo.heads",
    "zoo.models.base",
    "zoo.models.recurrent_model",
    "zoo.models.recurrent",
    "zoo.models.bidirectional",
    "zoo.models.stacked",
    "zoo.registry",
    "zoo.tbptt",
    "zoo.inspect",
]
MODULES += ["zoo.losses", "zoo.metrics", "zoo.decoding", "zoo.models.vocabulary"]
MODULES += ["zoo.models.seq2seq", "zoo.models.char_lm"]
MODULES += [
    "zoo.training",
    "zoo.recipe_data",
    "zoo.recipe_fit",
    "zoo.distribute",
    "zoo.schedules",
    "zoo.downloads",
    "zoo.recipe",
    "zoo.run_folder",
    "zoo.recipe_tuning",
    "zoo.data.audio",
    "zoo.data.waveforms",
    "zoo.data.augmentation",
    "zoo.data.bucketing",
]
MODULES += ["zoo.data.speech"]
MODULES += ["zoo.data.pipeline", "zoo.layers.audio", "zoo.layers.pooling", "zoo.models.speech"]
MODULES += ["recipes._mackey_glass", "recipes.synthetic_speech_ctc"]
MODULES += ["zoo.cli", "zoo.layers.speech_embedding"]
MODULES += ["zoo.models.speech_transcription", "zoo.datasets.splits"]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} failed"
    assert result.attempted > 0, f"{name} has no docstring examples"
