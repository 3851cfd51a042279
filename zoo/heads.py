"""Task heads shared by every recurrent factory: the output layers, the loss and the metrics.

A head turns the recurrent stack's output into the task's prediction and says how to compile it:

| task                  | recurrent output | prediction shape          | loss (default)            |
|-----------------------|------------------|---------------------------|---------------------------|
| `binary`              | last step        | `(batch, 1)` probability  | binary cross-entropy      |
| `classification`      | last step        | `(batch, num_classes)`    | sparse cross-entropy      |
| `regression`          | last step        | `(batch, output_dim)`     | MSE (or `loss="mae"`)     |
| `forecast`            | last step        | `(batch, horizon, out)`   | MSE (or `loss="mae"`)     |
| `tagging`             | every step       | `(batch, T, num_classes)` | masked sparse CE per step |
| `sequence_regression` | every step       | `(batch, T, output_dim)`  | masked MSE per step (*)   |

Per-step losses are masked: the recurrent stack's Keras mask (from `mask_value` or `mask_zero`)
reaches the loss and the metrics, which then average over real steps only, so padding a batch to
another length changes neither. (*) `zoo.losses.PerStepError`: its targets may be `(batch, T)`
when `output_dim` is 1.
"""

import dataclasses

import keras

from zoo.losses import (
    BinaryCrossentropy,
    Huber,
    MaskedSequenceCrossentropy,
    MeanAbsoluteError,
    MeanSquaredError,
    PerStepError,
    SparseCategoricalCrossentropy,
    ignored_class,
    per_step_metric,
)
from zoo.metrics import SparseAccuracy
from zoo.validation import check_choice, check_positive_int


@dataclasses.dataclass(frozen=True)
class Task:
    """What a task needs from the recurrent stack and how it is compiled.

    Example:
        >>> task = TASKS["sequence_regression"]
        >>> task.per_step, task.categorical, task.losses
        (True, False, ('mse', 'mae'))
    """

    name: str
    per_step: bool
    categorical: bool
    losses: tuple
    description: str


TASKS = {
    t.name: t
    for t in (
        Task("binary", False, True, ("crossentropy",), "one probability per sequence"),
        Task("classification", False, True, ("crossentropy",), "one of num_classes per sequence"),
        Task("regression", False, False, ("mse", "mae"), "output_dim values per sequence"),
        Task("forecast", False, False, ("mse", "mae"), "horizon steps of output_dim values"),
        Task("tagging", True, True, ("crossentropy",), "one of num_classes per step"),
        Task("sequence_regression", True, False, ("mse", "mae"), "output_dim values per step"),
    )
}


def get_task(task, supported=None):
    """Returns the `Task` named `task`, checking it against the tasks a model supports.

    Example:
        >>> get_task("tagging").per_step
        True
    """
    check_choice("task", task, tuple(supported or TASKS))
    return TASKS[task]


def validate(task, num_classes=None, output_dim=1, horizon=None, loss=None):
    """Checks the head's arguments for `task` before anything is built.

    Args:
        task: a `Task` (see `get_task`).
        num_classes: classes for `classification` and `tagging` (at least 2).
        output_dim: values per prediction for the real-valued tasks.
        horizon: steps ahead for `forecast`.
        loss: `None` for the task's natural loss, one of the task's loss names, or a
            `keras.losses.Loss` instance.

    Returns:
        `(num_classes, output_dim, horizon)`, NumPy ints turned into ints.

    Example:
        >>> validate(get_task("classification"), num_classes=3)
        (3, 1, None)
    """
    if task.name in ("classification", "tagging"):
        if num_classes is None:
            raise ValueError(f"task={task.name!r} needs num_classes (an int >= 2), got None.")
        num_classes = check_positive_int("num_classes", num_classes)
        if num_classes < 2:
            raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}.")
    elif num_classes is not None:
        hint = " (a binary head has one sigmoid output)" if task.name == "binary" else ""
        raise ValueError(
            f"num_classes is for task='classification' or 'tagging', got num_classes="
            f"{num_classes!r} with task={task.name!r}{hint}: leave it None."
        )
    if not task.categorical:
        output_dim = check_positive_int("output_dim", output_dim)
    elif output_dim != 1 or isinstance(output_dim, bool):
        raise ValueError(
            f"output_dim is for the real-valued tasks (regression, forecast, "
            f"sequence_regression), got output_dim={output_dim!r} with task={task.name!r}"
            + (" (its outputs are num_classes)" if task.name != "binary" else "")
            + ": leave it 1."
        )
    if task.name == "forecast":
        if horizon is None:
            raise ValueError("task='forecast' needs horizon (a positive int), got None.")
        horizon = check_positive_int("horizon", horizon)
    elif horizon is not None:
        raise ValueError(
            f"horizon is for task='forecast', got horizon={horizon!r} with task={task.name!r}: "
            "leave it None."
        )
    loss = loss_name(task, loss)
    if isinstance(loss, str) and loss not in task.losses and loss in _KERAS_LOSSES:
        raise ValueError(
            f"loss={loss!r} is Keras's loss for {_KERAS_LOSSES[loss][2]}, not for task="
            f"{task.name!r} ({task.description}), which takes loss="
            f"{' or '.join(map(repr, task.losses))}: leave loss out for the task's own."
        )
    if loss is not None and not isinstance(loss, keras.losses.Loss):
        keras_names = tuple(k for k, (_, tasks, _) in _KERAS_LOSSES.items() if task.name in tasks)
        check_choice(f"loss (for task={task.name!r})", loss, task.losses + keras_names)
    kind = target_kind(loss) if isinstance(loss, keras.losses.Loss) else None
    softmax = task.name in ("classification", "tagging")
    one_hot = keras.losses.CategoricalCrossentropy | keras.losses.CategoricalFocalCrossentropy
    if isinstance(loss, one_hot) and not softmax:
        instead = "keras.losses.BinaryCrossentropy()" if task.name == "binary" else "'mse'"
        raise ValueError(
            f"loss={type(loss).__name__} reads a distribution over classes (one-hot rows), "
            f"which task={task.name!r} does not give ({task.description}): over one output it "
            f"is 0 whatever the model predicts. Use {instead} or leave loss out, or pick task="
            "'classification' or 'tagging'."
        )
    if isinstance(loss, MaskedSequenceCrossentropy) and task.name == "classification":
        raise ValueError(
            f"loss=MaskedSequenceCrossentropy skips targets equal to its pad_id as padding "
            f"steps, but task={task.name!r} has one class per sequence: its class "
            f"{loss.pad_id} would never be learnt. Leave loss out for the task's own."
        )
    if kind == "class_ids" and not softmax:
        raise ValueError(
            f"loss={type(loss).__name__} reads class ids, which task={task.name!r} does not "
            f"give ({task.description}): leave loss out for the task's own, or pick the task "
            "'classification' or 'tagging'."
        )
    if kind == "values" and softmax:  # (it compared one-hot rows: the heads take class ids)
        raise ValueError(
            f"loss={type(loss).__name__} reads real values of the output's shape, but task="
            f"{task.name!r} gives a softmax over num_classes and takes class ids: leave loss "
            "out for the task's own cross-entropy, or pick a real-valued task ('regression', "
            "'forecast', 'sequence_regression')."
        )
    if kind == "binary" and softmax:
        raise ValueError(
            f"loss={type(loss).__name__} reads 0/1 labels, but task={task.name!r} gives a "
            "softmax over num_classes (one class each): leave loss out for the task's own, or "
            "pick task='binary'."
        )
    if kind == "binary" and not task.categorical and not _from_logits(loss):
        raise ValueError(
            f"loss={type(loss).__name__}(from_logits=False) takes probabilities, but task="
            f"{task.name!r} gives unbounded values: pass from_logits=True (several 0/1 labels "
            "at once, one logit each), or pick task='binary'."
        )
    if isinstance(loss, keras.losses.Loss) and task.categorical and _from_logits(loss):
        raise ValueError(
            f"loss={type(loss).__name__}(from_logits=True) would apply a second softmax: the "
            f"{task.name!r} head already outputs probabilities (softmax or sigmoid). Pass the "
            "loss with from_logits=False."
        )
    return num_classes, output_dim, horizon


def loss_name(task, loss):
    """`loss` as the task names it: Keras's name for the task's own loss taken as that loss.

    Example:
        >>> loss_name(get_task("regression"), "mean_absolute_error")
        'mae'
        >>> loss_name(get_task("tagging"), "sparse_categorical_crossentropy")
        'crossentropy'
    """
    if isinstance(loss, str) and task.name in _KERAS_LOSSES.get(loss, (None, ()))[1]:
        return _KERAS_LOSSES[loss][0]
    return loss


_REAL = ("regression", "forecast", "sequence_regression")
# Keras's names of losses a user may try: (the name a head takes instead, the tasks where it
# means that, what it is for).
_KERAS_LOSSES = {
    "mean_squared_error": ("mse", _REAL, "real values"),
    "mean_absolute_error": ("mae", _REAL, "real values"),
    "binary_crossentropy": ("crossentropy", ("binary",), "0/1 labels (task='binary')"),
    "sparse_categorical_crossentropy": (
        "crossentropy", ("classification", "tagging"), "class ids (task='classification' or "
        "'tagging')"),
    "categorical_crossentropy": (None, (), "one-hot rows (the heads take class ids: give "
                                 "y.argmax(-1) with loss left out)"),
}  # fmt: skip


def target_kind(loss):
    """What a compiled loss reads in its targets, as `zoo.validation.check_targets` takes it.

    Example:
        >>> import keras
        >>> target_kind("binary_crossentropy"), target_kind(keras.losses.Huber())
        ('binary', 'values')
    """
    if isinstance(loss, str):
        for kind, names in _TARGET_KINDS.items():
            if loss in names:
                return kind
        return None
    if isinstance(loss, keras.losses.BinaryCrossentropy | keras.losses.BinaryFocalCrossentropy):
        return "binary"
    if isinstance(loss, keras.losses.SparseCategoricalCrossentropy | MaskedSequenceCrossentropy):
        return "class_ids"
    if isinstance(
        loss, keras.losses.CategoricalCrossentropy | keras.losses.CategoricalFocalCrossentropy
    ):
        return "one_hot"
    values = (keras.losses.MeanSquaredError, keras.losses.MeanAbsoluteError, keras.losses.Huber)
    if isinstance(loss, values + (keras.losses.LogCosh, PerStepError)):
        return "values"
    return None


_TARGET_KINDS = {
    "binary": ("binary_crossentropy", "bce", "binary_focal_crossentropy"),
    "class_ids": ("sparse_categorical_crossentropy",),
    "values": ("mse", "mae", "mean_squared_error", "mean_absolute_error", "huber", "log_cosh"),
}


def _from_logits(loss):
    """Whether a Keras loss takes logits (its own attribute, or in its config)."""
    if getattr(loss, "from_logits", False):
        return True
    try:
        return bool(loss.get_config().get("from_logits", False))
    except (NotImplementedError, AttributeError, TypeError):
        return False


def output(x, task, num_classes=None, output_dim=1, horizon=None, seed=None):
    """Adds the head's layers on top of the recurrent features `x`.

    The last layer computes in float32 so that mixed-precision models keep a stable loss.

    Args:
        x: the recurrent output: `(batch, units)`, or `(batch, T, units)` for per-step tasks.
        task: a `Task`.
        num_classes: see `validate`.
        output_dim: see `validate`.
        horizon: see `validate`.
        seed: seed of the output layer's initialiser.

    Returns:
        The prediction tensor.

    Example:
        >>> import keras
        >>> feats = keras.Input((8,))
        >>> output(feats, get_task("classification"), num_classes=3).shape
        (None, 3)
    """
    init = keras.initializers.GlorotUniform(seed=seed)
    dense = dict(kernel_initializer=init, dtype="float32", name="head")
    if task.name == "binary":
        return keras.layers.Dense(1, activation="sigmoid", **dense)(x)
    if task.name in ("classification", "tagging"):
        return keras.layers.Dense(num_classes, activation="softmax", **dense)(x)
    if task.name == "forecast":
        y = keras.layers.Dense(horizon * output_dim, **dense)(x)
        return keras.layers.Reshape((horizon, output_dim), dtype="float32", name="forecast")(y)
    return keras.layers.Dense(output_dim, **dense)(x)


def compile_args(task, loss=None):
    """Returns `(loss, metrics)` for compiling a model with the head of `task`.

    `sequence_regression` gets `zoo.losses.PerStepError` and a per-step metric, which take
    `(batch, T, output_dim)` targets or, with `output_dim=1`, `(batch, T)`; masked or not.
    `classification` and `tagging` get `zoo.losses.SparseCategoricalCrossentropy`, `binary`
    `zoo.losses.BinaryCrossentropy`, `regression` and `forecast` `zoo.losses.MeanSquaredError`
    (or `MeanAbsoluteError`): Keras's losses, but over several replicas the mean over the whole
    batch's examples or real steps, as on one device. A
    loss that skips a class (`zoo.losses.ignored_class`) gets an accuracy that skips it too.

    Example:
        >>> loss, metrics = compile_args(get_task("binary"))
        >>> loss.name, metrics
        ('binary_crossentropy', ['accuracy'])
        >>> compile_args(get_task("sequence_regression"), "mae")[0].error
        'mae'
    """
    loss = loss_name(task, loss)
    delta = getattr(loss, "_fn_kwargs", {}).get("delta")  # (Keras's wrapper of huber())
    if type(loss) is keras.losses.Huber and "delta" not in loss.get_config() and delta:
        # Keras 3.15's Huber drops delta from its config (keras-team/keras#23286): a saved
        # model came back with delta=1.0.
        kept = {k: v for k, v in loss.get_config().items() if k in ("reduction", "name")}
        loss = Huber(delta=delta, dtype=loss.dtype, **kept)
    if isinstance(loss, keras.losses.Loss):
        metrics = ["accuracy"] if task.categorical else ["mae"]
        if ignored_class(loss) is not None:  # (a loss of class ids: validate saw to it)
            metrics = [SparseAccuracy(ignored_class(loss))]
        if task.name == "sequence_regression":
            metrics = [per_step_metric("mae")]
        return loss, metrics
    # (the zoo's losses average over every replica's real values: global_average)
    if task.name == "binary":
        return BinaryCrossentropy(), ["accuracy"]
    if task.categorical:
        return SparseCategoricalCrossentropy(), ["accuracy"]
    loss = loss or "mse"
    other = "mae" if loss == "mse" else "mse"
    if task.name == "sequence_regression":
        # Keras's "mse" squeezes (batch, T, 1) predictions to (batch, T) targets and averages
        # over time, which a per-step mask cannot weigh: these take the targets per step.
        return PerStepError(loss), [per_step_metric(other)]
    return (MeanSquaredError() if loss == "mse" else MeanAbsoluteError()), [other]
