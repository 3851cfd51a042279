"""Recipe declarations and their settings: `--set` overrides, checks before anything runs."""

import pytest

from recipes.adding_gru import RECIPE as ADDING
from zoo import recipe


def test_overrides_reach_model_and_recipe():
    configured, kwargs = recipe.configure(
        ADDING,
        recipe.parse_overrides(["units=8", "dataset=adding_problem/t50", "activation=relu"]),
    )
    assert configured.dataset == "adding_problem/t50" and kwargs["units"] == 8
    assert kwargs["activation"] == "relu" and ADDING.dataset == "adding_problem/t200"
    with pytest.raises(recipe.RecipeError, match="unitz.*Did you mean 'units'"):
        recipe.configure(ADDING, {"unitz": 3})
    with pytest.raises(
        recipe.RecipeError, match=r"--set unit: .*model 'gru'.*Did you mean 'units'"
    ):
        recipe.configure(ADDING, {"unit": 8})
    with pytest.raises(recipe.RecipeError, match="--set task: not an argument"):
        recipe.configure(ADDING, {"task": "binary"})
    with pytest.raises(recipe.RecipeError, match="key=value"):
        recipe.parse_overrides(["units"])
    # With no close name, the keys it takes are listed (it had named none).
    match = r"--set nosuch: .* Recipe settings: dataset, .*; the arguments of model 'gru': .*units"
    with pytest.raises(recipe.RecipeError, match=match):
        recipe.configure(ADDING, {"nosuch": 1})


@pytest.mark.parametrize(
    "mix, match",
    [
        ("synthetic_speech/digits", "mix must be a dict"),
        ({"adding_problem/t50": 1.5}, r"mix\['adding_problem/t50'\] must be a share in \(0, 1\)"),
        ({"a/x": 0.6, "b/y": 0.5}, "add up to less than 1"),
    ],
)
def test_bad_mix_is_refused(mix, match):
    with pytest.raises(recipe.RecipeError, match=match):
        recipe.check_mix(mix)


def test_offline_status_reads_our_builders():
    def of(dataset):
        return recipe.Recipe(name="r", model="gru", dataset=dataset, task="sequence")

    assert of("adding_problem/t50").offline_status == "yes" and of("adding_problem/t50").offline
    assert of("fsdd/all").offline_status == "manual"
    assert of("mnist").offline_status == "no" and of("no_such_dataset").offline_status == "no"


@pytest.mark.parametrize("seed", [-1, 2**32, 1.5, True, "0"])
def test_bad_seed_is_refused(seed):
    with pytest.raises(ValueError, match="--seed must be an int"):
        recipe.check_seed(seed)


@pytest.mark.parametrize(
    "name, override",
    [
        ("reversal_seq2seq", {"target_vocabulary": "jihgfedcba"}),  # (exact match 0.94 by
        ("addition_seq2seq", {"split": "whitespace"}),  # ids, 0.0 by its own translate)
        ("ted_hrlr_translate_seq2seq", {"source_vocabulary": "abc"}),
        ("tiny_shakespeare_char_lm", {"vocabulary": "abc"}),  # (failed mid-training in Gather)
    ],
)
def test_a_vocabulary_setting_the_preprocess_does_not_follow_is_refused(name, override):
    import importlib

    from zoo import registry

    declared = importlib.import_module(f"recipes.{name}").RECIPE
    for overrides, refused in (({"units": 4}, False), ({"units": 4, **override}, True)):
        configured, kwargs = recipe.configure(declared, overrides)
        model = registry.build(configured.model, task=configured.task, **kwargs)
        if not refused:
            configured.check_model(model)  # the recipe's own settings pass
            continue
        key = next(iter(override))
        with pytest.raises(recipe.RecipeError, match=rf"--set {key}=.*leave {key} out"):
            configured.check_model(model)
