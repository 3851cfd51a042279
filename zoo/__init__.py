"""rnn-zoo: recurrent neural networks for Keras 3, ready to train.

Example:
    >>> import zoo
    >>> model = zoo.build("gru", input_shape=(None, 3), task="regression", units=8)
    >>> [m.name for m in zoo.list_models()][:2]
    ['simple_rnn', 'lstm']
"""

import os

_BACKEND = os.environ.get("KERAS_BACKEND")
if _BACKEND not in (None, "tensorflow"):
    raise ImportError(
        f"rnn-zoo runs on Keras 3's TensorFlow backend (it uses tf.data, TFDS and "
        f"tf.distribute), but KERAS_BACKEND={_BACKEND!r}. Unset it or set KERAS_BACKEND=tensorflow."
    )
os.environ.setdefault("KERAS_BACKEND", "tensorflow")

import keras  # noqa: E402

if keras.backend.backend() != "tensorflow":
    raise ImportError(
        f"rnn-zoo runs on Keras 3's TensorFlow backend, but Keras is configured for "
        f"{keras.backend.backend()!r} (see ~/.keras/keras.json). Set KERAS_BACKEND=tensorflow."
    )

from zoo import activations, heads, inspect, models, tbptt  # noqa: E402
from zoo.registry import ModelSpec, build, list_models  # noqa: E402

__version__ = "0.1.0"
__all__ = [
    "ModelSpec",
    "activations",
    "build",
    "heads",
    "inspect",
    "list_models",
    "models",
    "tbptt",
]
