"""Leave-one-speaker-out table of `spoken_digit_strings_ctc` runs: CER/WER greedy and with lexicon.

Train one run per fold first, e.g. for every speaker S of the five in `../shared`:

    rnnzoo run spoken_digit_strings_ctc --manual-dir ../shared/data/fsdd/recordings \
        --set dataset=spoken_digit_strings/holdout_S --output runs/sds_holdout_S

then `python benchmarks/ctc_folds.py runs/sds_* --manual-dir ../shared/data/fsdd/recordings`
prints one Markdown row per run: the held-out speaker, the in-domain CER (the validation split:
unseen clips of the training speakers, at the kept epoch), the test CER and WER of greedy decoding
and of the beam search restricted to the ten digit words (decoded anew by the current code), and
the training time (wall, and CPU seconds / 2: the time alone on 2 cores), then the mean over the
held-out-speaker folds (a `spoken_digit_strings/all` run among them has a row, not a share of it).
"""

import argparse
import json
import os
import pathlib

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import zoo  # noqa: E402, F401  (registers the layers and the datasets)
from recipes._speech import DIGITS  # noqa: E402
from recipes.spoken_digit_strings_ctc import RECIPE  # noqa: E402
from zoo.data import batches  # noqa: E402
from zoo.recipe import configure  # noqa: E402
from zoo.recipe_data import load_splits  # noqa: E402

RUN_FILES = ("config.json", "metrics.json", "model.keras")  # what `rnnzoo run --output` writes


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("runs", nargs="+", help="output folders of spoken_digit_strings_ctc runs")
    p.add_argument("--manual-dir", required=True, help="folder of FSDD WAV files")
    p.add_argument("--data-dir", help="TFDS data folder")
    args = p.parse_args(argv)
    for run in args.runs:  # all checked before the first fold is evaluated
        if not os.path.isdir(run):
            p.error(f"runs must be output folders of spoken_digit_strings_ctc runs, got {run!r} "
                    "(no such folder)")  # fmt: skip
        missing = [name for name in RUN_FILES if not os.path.isfile(os.path.join(run, name))]
        if missing:
            p.error(f"runs must be output folders of spoken_digit_strings_ctc runs, got {run!r} "
                    f"(no {', '.join(missing)} in it)")  # fmt: skip
    for run in args.runs:  # then what each run was
        try:
            config = json.loads(pathlib.Path(run, "config.json").read_text())
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as e:
            p.error(f"runs must be output folders of spoken_digit_strings_ctc runs, got {run!r} "
                    f"(its config.json is not readable JSON: {e})")  # fmt: skip
        recipe = config.get("recipe") if isinstance(config, dict) else None
        if recipe != RECIPE.name:
            p.error(f"runs must be output folders of {RECIPE.name} runs, got {run!r} (a run "
                    f"of {recipe!r} by its config.json)")  # fmt: skip
    return args


def main(argv=None):
    args = parse_args(argv)

    print("| test speakers | in-domain CER | test CER | test WER | lexicon CER | lexicon WER "
          "| train wall / CPU÷2 (s) |")  # fmt: skip
    print("|---|---|---|---|---|---|---|")
    rows = []  # the held-out-speaker folds' (an `all` run's test speakers were heard)
    for run in map(pathlib.Path, args.runs):
        config = json.loads((run / "config.json").read_text())
        metrics = json.loads((run / "metrics.json").read_text())
        recipe, _ = configure(RECIPE, {"dataset": config["dataset"]})
        _, _, test = load_splits(recipe, args.data_dir, args.manual_dir, seed=0)
        model = keras.models.load_model(run / "model.keras", safe_mode=True)
        test_b = batches(test, 32)
        greedy = model.error_rates(test_b)
        lexicon = model.error_rates(test_b, lexicon=DIGITS)
        fold = config["dataset"].split("/")[-1].replace("holdout_", "")
        row = (
            metrics["best_val_cer"], greedy["cer"], greedy["wer"], lexicon["cer"], lexicon["wer"]
        )  # fmt: skip
        if config["dataset"].split("/")[-1].startswith("holdout_"):
            rows.append(row)
        cpu = metrics.get("train_cpu_seconds", float("nan")) / 2
        print(f"| {fold} | " + " | ".join(f"{100 * v:.2f}%" for v in row)
              + f" | {metrics['train_seconds']:.0f} / {cpu:.0f} |")  # fmt: skip
    if rows:
        mean = np.mean(rows, axis=0)
        print(f"| mean of the {len(rows)} held-out-speaker folds | "
              + " | ".join(f"{100 * v:.2f}%" for v in mean) + " | |")  # fmt: skip


if __name__ == "__main__":
    main()
