"""Data-parallel training with `tf.distribute`: the strategies `--strategy` offers, their checks.

`distribution_strategy` returns the strategy `zoo.training.run` builds the model under;
`check_whole_batches` refuses a run whose batches would leave a replica without examples.
"""

import math

import tensorflow as tf

from zoo.recipe import RecipeError
from zoo.validation import check_choice

STRATEGIES = ("mirrored",)
# Multi-worker training is left out: Keras 3's fit fails under MultiWorkerMirroredStrategy
# (keras-team/keras#20585; re-checked with Keras 3.15.1 and TensorFlow 2.21 on two localhost
# workers): `TensorFlowTrainer._maybe_symbolic_build` reduces the first batch's nested `(x, y)`
# with `strategy.reduce`, which the collective strategy takes only for a single value.
_NOT_OFFERED = {
    "multiworker": "Keras 3's fit fails under MultiWorkerMirroredStrategy with 'Attempt to "
    "convert a value (PerReplica...)' (keras-team/keras#20585); train on one machine with "
    "--strategy mirrored, or search on many with rnnzoo tune --chief/--worker-id"
}


def _check_strategy(name):
    """Returns `name` if it is one of `STRATEGIES`, else raises a `ValueError` saying why."""
    if name in _NOT_OFFERED:
        raise ValueError(f"strategy {name!r} is not offered: {_NOT_OFFERED[name]}.")
    return check_choice("strategy", name, STRATEGIES)


def distribution_strategy(name=None):
    """Returns the `tf.distribute` strategy named `name` (`None`: the default, one device).

    Example:
        >>> distribution_strategy().num_replicas_in_sync
        1
    """
    if name is None:
        return tf.distribute.get_strategy()
    _check_strategy(name)
    return tf.distribute.MirroredStrategy()


# Models that fail on a replica's share of no examples, and where.
_NO_EMPTY_REPLICA = {
    "seq2seq": "the decoder fails",
    "ctc_speech": "the front end's convolutions fail",  # (Keras's stft, TF's conv2d)
}


def check_whole_batches(recipe, splits, batch_size, replicas, strategy_name):
    """Refuses a mirrored run whose batches would leave a replica without examples.

    A split of fewer examples than replicas is refused for every model (a Mackey-Glass split is
    one series: its evaluation failed with "Inputs to operation AddN ... must have the same
    size and shape", after training).

    tf.distribute cuts each global batch into per-replica slices handed out in turn, so a
    split's last, partial batch can leave a replica a stand-in of no examples and no time steps,
    on which a seq2seq decoder's loop fails (`Tried to stack elements of an empty list`) at the
    end of the first epoch, and a CTC model's front end ("Incompatible shapes"). For those
    models every split must then hold whole batches (length buckets leave partial ones); splits
    of unknown size pass.

    Args:
        recipe: the configured recipe.
        splits: `{name: dataset}` of single examples.
        batch_size: the global batch size.
        replicas: the strategy's replica count.
        strategy_name: the `--strategy` given, for the message.

    Raises:
        RecipeError: naming the split sizes and a batch size that divides them all (if any).

    Example:
        >>> import tensorflow as tf
        >>> from zoo.recipe import Recipe
        >>> r = Recipe(name="r", model="seq2seq", dataset="d", task="seq2seq")
        >>> ds = tf.data.Dataset.range(100)
        >>> check_whole_batches(r, {"train": ds, "test": ds.take(40)}, 20, 2, "mirrored")
        >>> check_whole_batches(r, {"train": ds, "test": ds.take(40)}, 64, 2, "mirrored")
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --strategy mirrored: over 2 replicas a seq2seq model needs whole
        batches (a partial last batch can leave a replica no examples, on which the decoder
        fails), but the splits hold 100 (train) and 40 (test) examples, not all multiples of
        batch size 64; use --batch-size 20 (it divides every split), or train on one device.
    """
    if replicas < 2:
        return
    sizes = {name: int(ds.cardinality()) for name, ds in splits.items()}
    few = {name: n for name, n in sizes.items() if 0 <= n < replicas}
    if few:  # (a replica with no examples fails in evaluate, after all of training)
        listed = " and ".join(f"{n} ({name})" for name, n in few.items())
        raise RecipeError(
            f"--strategy {strategy_name}: each of the {replicas} replicas needs examples, but "
            f"the splits hold {listed} example{'s' * (sum(few.values()) != 1)}, fewer than the "
            "replicas; train on one device (leave --strategy out)."
        )
    if recipe.model not in _NO_EMPTY_REPLICA:
        return
    why = _NO_EMPTY_REPLICA[recipe.model]
    whole = f"over {replicas} replicas a {recipe.model} model needs whole batches"
    if recipe.buckets:
        raise RecipeError(
            f"--strategy {strategy_name}: {whole}, which length buckets do not give (each "
            "bucket ends in a partial batch); leave buckets out (--set buckets=0)."
        )
    if any(n < 0 for n in sizes.values()) or all(n % batch_size == 0 for n in sizes.values()):
        return
    common = math.gcd(*sizes.values())
    fits = [d for d in range(replicas, common + 1, replicas) if common % d == 0]
    advice = (
        f"use --batch-size {min(fits, key=lambda d: (abs(d - batch_size), -d))} (it divides "
        "every split), or train on one device"
        if fits
        else f"no batch size divides them all over {replicas} replicas: train on one device "
        "(leave --strategy out)"
    )
    listed = " and ".join(f"{n} ({name})" for name, n in sizes.items())
    raise RecipeError(
        f"--strategy {strategy_name}: {whole} (a partial last batch can leave a replica no "
        f"examples, on which {why}), but the splits hold {listed} examples, not "
        f"all multiples of batch size {batch_size}; {advice}."
    )
