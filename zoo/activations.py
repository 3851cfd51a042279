"""Activations by name for every recurrent cell, with a serializable leaky ReLU.

Keras's own `"leaky_relu"` string fixes the slope at 0.2, and a `functools.partial` carrying another
slope cannot be saved. `LeakyReLU` is a small registered callable that stores its slope in
`get_config()`, so a model using it saves and loads with `safe_mode=True`.
"""

import numbers

import keras

from zoo.validation import check_choice

ACTIVATIONS = ("tanh", "sigmoid", "relu", "leaky_relu", "hard_sigmoid", "softsign")


@keras.saving.register_keras_serializable(package="zoo")
class LeakyReLU:
    """Leaky ReLU activation `max(x, negative_slope * x)` that keeps its slope when saved.

    Args:
        negative_slope: slope for `x < 0`, a float in [0, 1).

    Example:
        >>> import keras, zoo
        >>> act = zoo.activations.LeakyReLU(negative_slope=0.1)
        >>> round(float(act(keras.ops.convert_to_tensor(-2.0))), 6)
        -0.2
    """

    def __init__(self, negative_slope=0.2):
        if isinstance(negative_slope, bool) or not isinstance(negative_slope, numbers.Real):
            raise TypeError(f"negative_slope must be a float, got {negative_slope!r}.")
        if not 0 <= negative_slope < 1:
            raise ValueError(f"negative_slope must be in [0, 1), got {negative_slope!r}.")
        self.negative_slope = float(negative_slope)
        self.__name__ = "leaky_relu"

    def __call__(self, x):
        """Applies the activation."""
        return keras.ops.leaky_relu(x, negative_slope=self.negative_slope)

    def get_config(self):
        """Returns the slope, for saving."""
        return {"negative_slope": self.negative_slope}

    @classmethod
    def from_config(cls, config):
        """Rebuilds the activation from `get_config()`."""
        return cls(**config)

    def __eq__(self, other):
        return isinstance(other, LeakyReLU) and other.negative_slope == self.negative_slope

    def __hash__(self):
        return hash(("leaky_relu", self.negative_slope))

    def __repr__(self):
        return f"LeakyReLU(negative_slope={self.negative_slope})"


def get(name, argument="activation"):
    """Resolves an activation name (or a `LeakyReLU`) to what a Keras layer accepts.

    Args:
        name: one of `ACTIVATIONS`, or a `LeakyReLU` instance for another slope.
        argument: the factory argument's name, for the error message.

    Returns:
        A string Keras knows, or a serializable `LeakyReLU`.

    Example:
        >>> get("leaky_relu")
        LeakyReLU(negative_slope=0.2)
    """
    if isinstance(name, LeakyReLU):
        return name
    if not isinstance(name, str):
        raise TypeError(
            f"{argument} must be one of {', '.join(map(repr, ACTIVATIONS))} or a "
            f"zoo.activations.LeakyReLU, got {name!r}."
        )
    check_choice(argument, name, ACTIVATIONS)
    return LeakyReLU() if name == "leaky_relu" else name


def name_of(activation):
    """Returns the activation's name (`"leaky_relu"` for a `LeakyReLU`).

    Example:
        >>> name_of(LeakyReLU(0.1))
        'leaky_relu'
    """
    return "leaky_relu" if isinstance(activation, LeakyReLU) else activation
