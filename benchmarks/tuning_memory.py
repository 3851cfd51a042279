"""Does memory stay flat across tuning trials? Prints the process's RSS after 5 and after 20 trials.

keras-tuner issues #395/#873: memory grew with every trial. keras-tuner 1.4.8 clears the Keras
session before each build; this checks that `zoo.tuning` itself keeps nothing alive per trial.
One random search of tiny GRUs (2 or 4 units, 1 epoch, 256 adding-problem sequences of 50 steps)
through `zoo.tuning.tune`, the RSS read at the end of every trial's training.

    TF_CPP_MIN_LOG_LEVEL=3 python benchmarks/tuning_memory.py [--trials 20] [--data-dir DIR]
"""

import argparse
import dataclasses
import os
import resource
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402

from recipes.adding_gru import RECIPE  # noqa: E402
from zoo import tuning  # noqa: E402

RSS_MB = []  # one entry per trial (the callback below is deep-copied per trial by keras-tuner)


def rss_mb():
    """The resident set size of this process now, in MiB (peak RSS where /proc is missing)."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


class RecordRSS(keras.callbacks.Callback):
    """Appends the RSS to `RSS_MB` when a trial's training ends."""

    def on_train_end(self, logs=None):  # noqa: D102
        RSS_MB.append(rss_mb())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20)
    parser.add_argument("--data-dir", help="TFDS data folder (the builder is offline)")
    args = parser.parse_args()
    if args.trials < 5:
        parser.error(f"--trials must be at least 5, got {args.trials}")
    recipe = dataclasses.replace(
        RECIPE,
        dataset="adding_problem/t50",
        train_split="train[:256]",
        validation_split="validation[:64]",
        test_split="test[:64]",
        search_space=lambda hp: {"units": hp.Choice("units", [2, 4])},
    )
    with tempfile.TemporaryDirectory() as out:
        tuning.tune(
            recipe,
            max_trials=args.trials,
            epochs=1,
            output=out,
            data_dir=args.data_dir,
            callbacks=[RecordRSS()],
            verbose=0,
        )
    if len(RSS_MB) != args.trials:
        raise SystemExit(f"expected {args.trials} RSS readings, got {len(RSS_MB)}")
    at5, last = RSS_MB[4], RSS_MB[-1]
    growth = (last - at5) / (args.trials - 5)
    print(f"RSS after  5 trials: {at5:8.1f} MiB")
    print(f"RSS after {args.trials:2d} trials: {last:8.1f} MiB")
    print(f"growth: {last - at5:+.1f} MiB over {args.trials - 5} trials ({growth:+.2f} MiB/trial)")
    print("per trial (MiB): " + " ".join(f"{v:.0f}" for v in RSS_MB))


if __name__ == "__main__":
    main()
