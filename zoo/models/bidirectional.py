"""`bidirectional`: every recurrent layer reads the sequence both ways (Schuster & Paliwal 1997)."""

from zoo.models.base import build_rnn
from zoo.models.recurrent import named, with_common_args
from zoo.models.recurrent import search_space as _recurrent_space


@with_common_args
def bidirectional(cell="lstm", merge_mode="concat", **kwargs):
    """Builds a bidirectional recurrent network: a forward and a backward layer per level.

    Args:
        cell: the recurrent cell: `simple_rnn`, `lstm` or `gru`.
        merge_mode: how the two directions combine: `concat`, `sum`, `mul` or `ave`.
        {common_args}

    Example:
        >>> import zoo
        >>> model = zoo.models.bidirectional(
        ...     cell="gru", input_shape=(None, 4), task="tagging", num_classes=3, units=8
        ... )
        >>> model.output_shape
        (None, None, 3)
    """
    return build_rnn(
        cell=cell, bidirectional=True, merge_mode=merge_mode, **named(kwargs, "bidirectional")
    )


def search_space(hp):
    """The recurrent search space plus the cell type and the merge mode.

    Example:
        >>> import keras_tuner
        >>> search_space(keras_tuner.HyperParameters())["merge_mode"]
        'concat'
    """
    return {
        **_recurrent_space(hp),
        "cell": hp.Choice("cell", ["lstm", "gru", "simple_rnn"]),
        "merge_mode": hp.Choice("merge_mode", ["concat", "sum", "ave", "mul"]),
    }
