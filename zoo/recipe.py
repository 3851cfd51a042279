"""A recipe: the declaration pairing a registered model with a TFDS dataset, and its settings.

`Recipe` is what a module in `recipes/` declares; `configure` applies `--set` overrides to it
(recipe fields to a copy of the recipe, the rest to the model's arguments) and checks them before
anything runs. `zoo.training.run` trains and evaluates one.
"""

import ast
import dataclasses
import inspect
from collections.abc import Callable

import tensorflow_datasets as tfds

from zoo import registry
from zoo.registry import CLOSED_FORM
from zoo.validation import check_fraction, check_positive_int, is_int, suggest


class RecipeError(Exception):
    """A recipe cannot run as asked; the message is one line saying what failed and the way out.

    Example:
        >>> parse_overrides(["units"])
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --set takes key=value, got 'units'.
    """


@dataclasses.dataclass
class Recipe:
    """A pairing of a registered model and a TFDS dataset, with its hyperparameters.

    Attributes:
        name: the recipe's name (its module's name in `recipes/`).
        model: a registered model name (`zoo.list_models()`).
        dataset: a TFDS name with its config, e.g. `"adding_problem/t200"`.
        task: the model's task head.
        model_kwargs: the factory's keyword arguments.
        description: one line for `rnnzoo list`.
        preprocess: maps one `(x, y)` example to the model's `(x, y)`; `None` keeps it.
        train_split: the TFDS split to train on.
        validation_split: the TFDS validation split, or `None` to carve it from the training split.
        validation_fraction: the share of the training split carved for validation.
        test_split: the TFDS split to evaluate on.
        epochs: training epochs.
        batch_size: examples per batch.
        monitor: the validation metric whose best epoch is kept, e.g. `"val_loss"`.
        early_stopping: patience in epochs, or `None` (or 0) for no early stopping.
        plot: `f(model, test_batches, path)` writing the recipe's own PNG, or `None`.
        plot_name: file name of that plot.
        buckets: batch by length into about this many buckets (boundaries at the training
            lengths' quantiles, see `zoo.data.bucketing`), or `None` (or 0) to pad random batches.
        search_space: `f(hp) -> {factory argument: value}` narrowing or extending the model's
            registered search space for `rnnzoo tune` (see `zoo.tuning.hypermodel`), or `None`.
        evaluate: `f(model, test_batches) -> {name: value}`, extra test metrics beyond
            `model.evaluate`'s (e.g. exact match through decoding), written to `metrics.json`
            as `test_<name>`; or `None`.
        examples: `f(split) -> split` turning each TFDS split, loaded without supervised keys (a
            dataset of feature dicts), into the examples `preprocess` takes: for datasets with no
            supervised keys, or where one record makes many examples (windows of a long text);
            or `None` to load `(input, target)` pairs by the dataset's supervised keys.
        fit: `f(model, train_batches, validation_batches, epochs, callbacks) -> history` used
            instead of `model.fit` (a closed-form readout, or windows cut from one long series);
            it returns a Keras `History` or a `{metric: [value per epoch]}` dict; or `None`.
        augment: a `tf.data` map `(x, y) -> (x, y)` applied to the training examples afresh
            every epoch (after caching and shuffling, before batching), e.g.
            `zoo.data.audio.augment_waveform()`; or `None`.
        mix: `{"dataset/config": share}`: other TFDS datasets whose training split is mixed
            into training, each example drawn from them with probability `share` (e.g.
            synthetic voices beside real ones: `--set "mix={'synthetic_speech/digits': 0.3}"`);
            the same `preprocess` applies. `None` mixes nothing.
        callbacks: `f(model, validation_batches) -> [keras callbacks]` run before the standard
            ones, so that the logs they add (e.g. `val_cer`) are monitored, checkpointed and
            logged like Keras's own; or `None`.
        check_model: `f(model)` raising `RecipeError` for a model the recipe cannot train
            (e.g. a `--set` that contradicts its preprocess), called as soon as the model is
            built, before any data are read; or `None`.

    Example:
        >>> r = Recipe(name="adding_tiny", model="gru", dataset="adding_problem/t50",
        ...            task="regression", model_kwargs={"input_shape": (None, 2), "units": 4})
        >>> r.epochs, r.batch_size, r.monitor, r.closed_form
        (10, 64, 'val_loss', False)
    """

    name: str
    model: str
    dataset: str
    task: str
    model_kwargs: dict = dataclasses.field(default_factory=dict)
    description: str = ""
    preprocess: Callable | None = None
    train_split: str = "train"
    validation_split: str | None = "validation"
    validation_fraction: float = 0.1
    test_split: str = "test"
    epochs: int = 10
    batch_size: int = 64
    monitor: str = "val_loss"
    early_stopping: int | None = None
    plot: Callable | None = None
    plot_name: str = "plot.png"
    buckets: int | None = None
    search_space: Callable | None = None
    evaluate: Callable | None = None
    examples: Callable | None = None
    fit: Callable | None = None
    augment: Callable | None = None
    callbacks: Callable | None = None
    mix: dict | None = None
    check_model: Callable | None = None

    @property
    def closed_form(self):
        """Whether the recipe fits its model in one closed-form pass (an ESN's ridge readout).

        Such a recipe has no epochs: `--epochs` and Hyperband do not apply.
        """
        return self.fit is not None and self.model in CLOSED_FORM

    @property
    def offline(self):
        """Whether the dataset builds offline by itself (`offline_status == "yes"`)."""
        return self.offline_status == "yes"

    @property
    def offline_status(self):
        """How the dataset builds: `"yes"` offline, `"manual"` offline with `--manual-dir`, `"no"`.

        `"yes"`: it builds offline by itself; `"manual"`: offline only with `--manual-dir`
        holding its files, else it downloads; `"no"`: it downloads. rnn-zoo's own builders say
        which in their `OFFLINE` attribute; any other TFDS dataset downloads.

        Example:
            >>> Recipe(name="r", model="gru", dataset="fsdd/all", task="sequence").offline_status
            'manual'
        """
        import zoo.datasets  # noqa: F401 (registers rnn-zoo's builders with TFDS)

        try:
            cls = tfds.builder_cls(self.dataset.split("/")[0])
        except Exception:  # an unknown name: certainly not one of ours
            return "no"
        if not cls.__module__.startswith("zoo.datasets"):
            return "no"
        return getattr(cls, "OFFLINE", "no")


# The Recipe fields `--set` may change; every other key goes to the model factory.
_RECIPE_KEYS = (
    "dataset",
    "validation_fraction",
    "epochs",
    "batch_size",
    "monitor",
    "early_stopping",
    "buckets",
    "mix",
)


def fixed_by_preprocess(**settings):
    """A recipe's `check_model`: refuses a model whose `settings` differ from its preprocess's.

    A recipe's preprocess is built with the recipe (e.g. `make_seq2seq_examples(SOURCE,
    TARGET)`), so its ids follow those settings whatever `--set` gives the model: a model of
    another vocabulary or split would learn ids it reads as other tokens, its scores (computed
    on ids) looking right and its translations or samples wrong. Refused before any data are
    read. A vocabulary given as a string stands for its characters, as the factories take it.

    Example:
        >>> import zoo
        >>> check = fixed_by_preprocess(vocabulary="abc", split="char")
        >>> check(zoo.models.char_lm("abc", units=4))  # as the preprocess encodes
        >>> check(zoo.models.char_lm("cba", units=4))
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --set vocabulary='cba': this recipe's preprocess encodes its data
        with vocabulary='abc' (it is built with the recipe), so the model would learn ids it reads
        as other tokens; leave vocabulary out (or declare a recipe whose preprocess uses the
        model's).
    """

    def spelt(value):
        if isinstance(value, list | tuple) and all(
            isinstance(t, str) and len(t) == 1 for t in value
        ):
            return "".join(value)
        return value

    def check_model(model):
        config = model.get_config()
        for key, value in settings.items():
            given = config.get(key)
            if spelt(given) != spelt(value):
                raise RecipeError(
                    f"--set {key}={spelt(given)!r}: this recipe's preprocess encodes its data "
                    f"with {key}={value!r} (it is built with the recipe), so the model would "
                    f"learn ids it reads as other tokens; leave {key} out (or declare a recipe "
                    "whose preprocess uses the model's)."
                )

    return check_model


def parse_overrides(pairs):
    """Parses `["key=value", ...]` into a dict, values read as Python literals when they are.

    Example:
        >>> parse_overrides(["units=32", "cell=gru", "dropout=0.1"])
        {'units': 32, 'cell': 'gru', 'dropout': 0.1}
    """
    out = {}
    for pair in pairs or ():
        if "=" not in pair:
            raise RecipeError(f"--set takes key=value, got {pair!r}.")
        key, value = pair.split("=", 1)
        if not key.strip():
            raise RecipeError(
                f"--set takes key=value, got {pair!r}: the key is empty (e.g. --set units=64)."
            )
        try:
            out[key.strip()] = ast.literal_eval(value)
        except (ValueError, SyntaxError):
            out[key.strip()] = value
    return out


def configure(recipe, overrides):
    """Applies `--set` overrides: recipe fields to a copy of the recipe, the rest to the model.

    Returns:
        `(recipe, model_kwargs)`.

    Example:
        >>> r = Recipe(name="r", model="gru", dataset="d", task="regression",
        ...            model_kwargs={"input_shape": (None, 2), "units": 64})
        >>> r2, kwargs = configure(r, {"units": 4, "epochs": 1})
        >>> r2.epochs, r.epochs, kwargs
        (1, 10, {'input_shape': (None, 2), 'units': 4})
        >>> configure(r, {"unit": 4})
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --set unit: not an argument of model 'gru' nor a recipe
        setting. Did you mean 'units'?
    """
    # The task belongs to the recipe's dataset, so it is not a knob.
    factory_args = set(inspect.signature(registry.get(recipe.model).factory).parameters) - {"task"}
    recipe_changes, model_kwargs = {}, dict(recipe.model_kwargs)
    for key, value in overrides.items():
        if key in _RECIPE_KEYS:
            recipe_changes[key] = value
        elif key in factory_args:
            model_kwargs[key] = value
        else:
            hint = suggest(key, sorted(factory_args | set(_RECIPE_KEYS)))
            raise RecipeError(
                f"--set {key}: not an argument of model {recipe.model!r} nor a recipe setting."
                + (hint or f" Recipe settings: {', '.join(_RECIPE_KEYS)}; the arguments of "
                   f"model {recipe.model!r}: {', '.join(sorted(factory_args))}.")
            )  # fmt: skip
    for key in ("early_stopping", "buckets"):  # 0 turns them off, as None does
        value = recipe_changes.get(key)
        if value is not None and not isinstance(value, bool) and value == 0:
            recipe_changes[key] = None
    configured = dataclasses.replace(recipe, **recipe_changes)
    _check_settings(configured, recipe_changes)
    return configured, model_kwargs


def _check_settings(recipe, changed):
    """Checks the recipe settings `--set` changed (`changed`), before anything runs."""
    for key in ("epochs", "batch_size"):
        if key in changed:
            check_positive_int(key, changed[key])
    if "early_stopping" in changed:
        check_positive_int("early_stopping", changed["early_stopping"], allow_none=True)
    if "buckets" in changed:
        check_positive_int("buckets", changed["buckets"], allow_none=True)
    if "monitor" in changed and not isinstance(changed["monitor"], str):
        raise TypeError(f"monitor must be a metric name, got {changed['monitor']!r}.")
    if "validation_fraction" in changed:
        check_fraction("validation_fraction", changed["validation_fraction"], allow_zero=False)
        if recipe.validation_split is not None:
            raise RecipeError(
                f"--set validation_fraction: recipe {recipe.name!r} validates on dataset "
                f"{recipe.dataset!r}'s own {recipe.validation_split!r} split, so no share of "
                f"the training split is carved for validation; leave validation_fraction out."
            )


def check_flag_overrides(overrides, epochs=None, batch_size=None):
    """Refuses `--set seed` (use `--seed`), and `--set epochs`/`batch_size` against their flags.

    Example:
        >>> check_flag_overrides({"units": 8, "epochs": 3}, epochs=3)
    """
    if "seed" in overrides:
        raise RecipeError(
            "--set seed: use --seed to seed a run (it seeds the model, the shuffling and Keras's "
            "generators together)."
        )
    for key, flag, value in (
        ("epochs", "--epochs", epochs),
        ("batch_size", "--batch-size", batch_size),
    ):
        if value is not None and key in overrides and overrides[key] != value:
            raise RecipeError(
                f"--set {key}={overrides[key]!r} and {flag} {value!r} disagree; give one of them."
            )


def check_closed_form_epochs(recipe, epochs):
    """Refuses `epochs` (from `--epochs` or `--set epochs`) other than a closed-form recipe's.

    Example:
        >>> check_closed_form_epochs(Recipe(name="r", model="gru", dataset="d", task="t"), 5)
    """
    if recipe.closed_form and epochs is not None and epochs != recipe.epochs:
        raise RecipeError(
            f"--epochs: recipe {recipe.name!r} fits its {recipe.model} readout in closed form, "
            "in one pass with no epochs; leave --epochs out."
        )


def check_seed(seed):
    """Raises unless `seed` is an int in `[0, 2**32 - 1]` (what NumPy's generator takes).

    Example:
        >>> check_seed(0)
        0
    """
    if not is_int(seed) or not 0 <= seed < 2**32:
        raise ValueError(f"--seed must be an int in [0, 2**32 - 1], got {seed!r}.")
    return int(seed)


def check_config_name(name):
    """Raises `RecipeError` listing the configs when `name`'s config is not its builder's.

    Example:
        >>> import zoo.datasets  # registers rnn-zoo's builders with TFDS
        >>> check_config_name("adding_problem/t200")
        >>> check_config_name("adding_problem/t20")
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: dataset 'adding_problem/t20': adding_problem has no config 't20';
        its configs are t200, t50, t400. Did you mean 't200' or 't50'?
    """
    builder, _, config = str(name).partition("/")
    config = config.split(":")[0]
    try:
        configs = [c.name for c in tfds.builder_cls(builder).BUILDER_CONFIGS]
    except Exception:  # not a registered builder: name close ones (tfds.load lists them all)
        known = tfds.list_builders(with_community_datasets=False)
        if builder not in known:
            raise RecipeError(
                f"dataset {name!r}: TFDS has no dataset {builder!r}."
                + (suggest(builder, known) or " `tfds.list_builders()` lists them.")
            ) from None
        return
    if config and configs and config not in configs:
        raise RecipeError(
            f"dataset {name!r}: {builder} has no config {config!r}; its configs are "
            f"{', '.join(configs)}." + suggest(config, configs)
        )


def check_mix(mix):
    """Returns `mix` (`{"dataset/config": share}`) after checking each share is in (0, 1).

    Example:
        >>> check_mix({"synthetic_speech/digits": 0.3})
        {'synthetic_speech/digits': 0.3}
        >>> check_mix({"synthetic_speech/digits": 0.5, "fsdd/all": 0.5})
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: the shares of mix must add up to less than 1, got
        {'synthetic_speech/digits': 0.5, 'fsdd/all': 0.5}.
    """
    if not isinstance(mix, dict) or not mix:
        raise RecipeError(f"mix must be a dict {{'dataset/config': share}}, got {mix!r}.")
    for name, share in mix.items():
        if isinstance(share, bool) or not isinstance(share, int | float) or not 0 < share < 1:
            raise RecipeError(f"mix[{name!r}] must be a share in (0, 1), got {share!r}.")
    if sum(mix.values()) >= 1:
        raise RecipeError(f"the shares of mix must add up to less than 1, got {mix!r}.")
    return mix
