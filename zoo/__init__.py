"""rnn-zoo: recurrent neural networks for Keras 3, ready to train.

Example:
    >>> import zoo
    >>> model = zoo.build("gru", input_shape=(None, 3), task="regression", units=8)
    >>> [m.name for m in zoo.list_models()][:2]
    ['simple_rnn', 'lstm']
"""

import json
import os


def _configured_backend():
    """The backend Keras will load: `KERAS_BACKEND`, else `keras.json`'s, else TensorFlow."""
    if os.environ.get("KERAS_BACKEND"):
        return os.environ["KERAS_BACKEND"], "KERAS_BACKEND"
    home = os.environ.get("KERAS_HOME") or os.path.join(os.path.expanduser("~"), ".keras")
    path = os.path.join(home, "keras.json")
    try:
        with open(path) as f:
            return json.load(f).get("backend", "tensorflow"), path
    except (OSError, ValueError):
        return "tensorflow", None


_BACKEND, _SOURCE = _configured_backend()
if _BACKEND != "tensorflow":
    raise ImportError(
        f"rnn-zoo runs on Keras 3's TensorFlow backend (it uses tf.data, TFDS and "
        f"tf.distribute), but Keras is configured for {_BACKEND!r} by {_SOURCE}. "
        "Set KERAS_BACKEND=tensorflow."
    )

import keras  # noqa: E402

if keras.backend.backend() != "tensorflow":  # Keras was imported earlier with another backend
    raise ImportError(
        f"rnn-zoo runs on Keras 3's TensorFlow backend, but Keras was already loaded with "
        f"{keras.backend.backend()!r}. Set KERAS_BACKEND=tensorflow before importing Keras."
    )

from zoo import activations, heads, inspect, layers, models, tbptt  # noqa: E402
from zoo.registry import ModelSpec, build, list_models  # noqa: E402

# Modules loaded on first use (PEP 562), so that `import zoo` then `zoo.tuning.hypermodel(...)`
# works without paying for keras-tuner, TFDS or the speech code at import time.
_LAZY = (
    "data",
    "datasets",
    "decoding",
    "losses",
    "metrics",
    "plots",
    "recipe_tuning",
    "registry",
    "training",
    "tuning",
    "validation",
)


def __getattr__(name):
    if name in _LAZY:
        import importlib

        return importlib.import_module(f"zoo.{name}")
    raise AttributeError(f"module 'zoo' has no attribute {name!r}")


def __dir__():
    return sorted({*globals(), *_LAZY})


__version__ = "0.1.0"
__all__ = [
    "ModelSpec",
    "activations",
    "build",
    "heads",
    "inspect",
    "layers",
    "list_models",
    "models",
    "tbptt",
]
