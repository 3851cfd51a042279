"""`stacked`: a deep recurrent network (Graves et al. 2013), with residual links and layer norm."""

from zoo.models.base import build_rnn
from zoo.models.recurrent import named, with_common_args
from zoo.models.recurrent import search_space as _recurrent_space


@with_common_args
def stacked(
    cell="lstm",
    num_layers=2,
    bidirectional=False,
    merge_mode="concat",
    residual=False,
    layer_norm=False,
    **kwargs,
):
    """Builds a deep recurrent network: `num_layers` layers, each feeding the next.

    Args:
        cell: the recurrent cell: `simple_rnn`, `lstm` or `gru`.
        num_layers: number of layers (2 by default).
        bidirectional: make every layer bidirectional.
        merge_mode: with `bidirectional=True`: `concat`, `sum`, `mul` or `ave`.
        residual: add each layer's input to its output from the second layer on (He et al.
            2016; lets deep stacks train); in a sequence-level model the last layer, which
            returns one vector, adds its input's last real step.
        layer_norm: layer normalisation between layers (Ba et al. 2016).
        {common_args}

    Example:
        >>> import zoo
        >>> model = zoo.models.stacked(
        ...     cell="gru", num_layers=3, residual=True, layer_norm=True,
        ...     input_shape=(None, 2), task="regression", units=8,
        ... )
        >>> len([la for la in model.layers if "gru" in la.name])
        3
    """
    return build_rnn(
        cell=cell,
        bidirectional=bidirectional,
        num_layers=num_layers,
        merge_mode=merge_mode,
        residual=residual,
        layer_norm=layer_norm,
        **named(kwargs, "stacked"),
    )


def search_space(hp):
    """The recurrent search space with deeper stacks, the cell, direction and the layer links.

    Example:
        >>> import keras_tuner
        >>> search_space(keras_tuner.HyperParameters())["num_layers"]
        2
    """
    return {
        **_recurrent_space(hp, num_layers=(2, 4)),
        "cell": hp.Choice("cell", ["lstm", "gru", "simple_rnn"]),
        "bidirectional": hp.Boolean("bidirectional"),
        "residual": hp.Boolean("residual"),
        "layer_norm": hp.Boolean("layer_norm"),
    }
