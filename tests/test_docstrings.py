"""The examples in the docstrings of the model code run and print what they say."""

import doctest
import importlib

import pytest

MODULES = [
    "zoo",
    "zoo.validation",
    "zoo.activations",
    "zoo.heads",
    "zoo.models.base",
    "zoo.models.recurrent",
    "zoo.models.bidirectional",
    "zoo.models.stacked",
    "zoo.registry",
    "zoo.tbptt",
    "zoo.inspect",
]
MODULES += ["zoo.losses", "zoo.metrics", "zoo.decoding", "zoo.models.vocabulary"]
MODULES += ["zoo.models.seq2seq", "zoo.models.char_lm"]


@pytest.mark.filterwarnings("ignore::UserWarning")
@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name):
    module = importlib.import_module(name)
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0, f"{result.failed} docstring example(s) in {name} failed"
    assert result.attempted > 0, f"{name} has no docstring examples"
