"""Does memory stay flat across tuning trials? Prints the process's RSS after 5 and after 20 trials.

keras-tuner issues #395/#873: memory grew with every trial. keras-tuner 1.4.8 clears the Keras
session before each build; this checks that rnn-zoo's tuning itself keeps nothing alive per trial.
One random search of tiny GRUs (2 or 4 units, 1 epoch, 256 adding-problem sequences of 50 steps)
through `zoo.recipe_tuning.tune`, the RSS read at the end of every trial's training, with the number
of `keras.Model` objects still alive then (1, the trial's own, if nothing is kept). `--baseline`
runs instead plain keras-tuner on a hand-written GRU with numpy data (no zoo code), to compare
the growth that Keras/TensorFlow show by themselves (run it as a separate process). Both print
how many traced TensorFlow graphs are still alive: in plain keras-tuner every trial's train and
test step graphs survive `clear_session()` and `gc.collect()`, held by the `tf.custom_gradient`
that Keras's gradient all-reduce registers in TensorFlow's global gradient registry
(tensorflow/tensorflow#27492, #97697), and the RSS grows with them; rnn-zoo's hypermodels release
those entries between trials (`zoo.tuning.release_custom_gradients`).

    TF_CPP_MIN_LOG_LEVEL=3 python benchmarks/tuning_memory.py [--trials 20] [--data-dir DIR]
    TF_CPP_MIN_LOG_LEVEL=3 python benchmarks/tuning_memory.py --baseline [--release]
"""

import argparse
import dataclasses
import gc
import os
import resource
import tempfile

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import keras_tuner  # noqa: E402
import numpy as np  # noqa: E402

from recipes.adding_gru import RECIPE  # noqa: E402
from zoo import recipe_tuning, tuning  # noqa: E402

RSS_MB = []  # one entry per trial (the callback below is deep-copied per trial by keras-tuner)
LIVE_MODELS = []
LIVE_GRAPHS = []  # traced TensorFlow graphs (FuncGraph) alive at each trial's end


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
    """Appends the RSS and the number of live Keras models when a trial's training ends."""

    def on_train_end(self, logs=None):  # noqa: D102
        RSS_MB.append(rss_mb())
        gc.collect()
        objects = gc.get_objects()
        LIVE_MODELS.append(sum(isinstance(o, keras.Model) for o in objects))
        LIVE_GRAPHS.append(sum(type(o).__name__ == "FuncGraph" for o in objects))


def baseline(trials, directory, release=False):
    """Plain keras-tuner, a hand-written GRU of a similar space, numpy data: no zoo code.

    With `release`, `build` first calls `zoo.tuning.release_custom_gradients` as rnn-zoo's
    hypermodels do (the one difference), to show what holds the memory.
    """
    kept = tuning.custom_gradient_names()

    def build(hp):
        if release:
            tuning.release_custom_gradients(kept)
        model = keras.Sequential([keras.Input((None, 2))])
        for i in range(hp.Int("num_layers", 1, 3)):
            model.add(
                keras.layers.GRU(
                    hp.Choice("units", [2, 4]),
                    activation=hp.Choice("activation", ["tanh", "relu", "softsign"]),
                    dropout=hp.Float("dropout", 0.0, 0.5, step=0.1),
                    return_sequences=i < hp.get("num_layers") - 1,
                )
            )
        model.add(keras.layers.Dense(1))
        lr = hp.Float("learning_rate", 1e-4, 1e-2, sampling="log")
        model.compile(keras.optimizers.Adam(lr, clipnorm=1.0), "mse", metrics=["mae"])
        return model

    rng = np.random.default_rng(0)
    x, y = rng.uniform(size=(320, 50, 2)).astype("float32"), rng.uniform(size=320)
    search = keras_tuner.RandomSearch(
        build, objective="val_loss", max_trials=trials, directory=directory, seed=0
    )
    search.search(x[:256], y[:256], validation_data=(x[256:], y[256:]), epochs=1,
                  batch_size=32, callbacks=[RecordRSS()], verbose=0)  # fmt: skip


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--trials",
        type=int,
        default=20,
        help="tuning trials, at least 6: growth is measured from the 5th (default: %(default)s)",
    )
    parser.add_argument("--data-dir", help="TFDS data folder (the builder is offline)")
    parser.add_argument("--baseline", action="store_true", help="plain keras-tuner, no zoo code")
    parser.add_argument(
        "--release", action="store_true", help="with --baseline: release custom gradients too"
    )
    args = parser.parse_args(argv)
    if args.trials < 6:  # growth is measured from the 5th trial on
        parser.error(f"--trials must be at least 6, got {args.trials}")
    if args.release and not args.baseline:
        # rnn-zoo's hypermodels always release the custom gradients (`zoo.tuning.ZooHyperModel`
        # calls `release_custom_gradients` in every build after the first): there is nothing
        # for --release to switch on in that run.
        parser.error(
            "--release only applies with --baseline (rnn-zoo's tuning always releases the "
            "custom gradients)"
        )
    return args


def main(argv=None):
    args = parse_args(argv)
    recipe = dataclasses.replace(
        RECIPE,
        dataset="adding_problem/t50",
        train_split="train[:256]",
        validation_split="validation[:64]",
        test_split="test[:64]",
        search_space=lambda hp: {"units": hp.Choice("units", [2, 4])},
    )
    with tempfile.TemporaryDirectory() as out:
        if args.baseline:
            baseline(args.trials, out, release=args.release)
        else:
            recipe_tuning.tune(
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
    if args.baseline:
        print("plain keras-tuner (baseline)" + (", custom gradients released" * args.release))
    else:
        print("zoo.recipe_tuning.tune")
    print(f"RSS after  5 trials: {at5:8.1f} MiB")
    print(f"RSS after {args.trials:2d} trials: {last:8.1f} MiB")
    print(f"growth: {last - at5:+.1f} MiB over {args.trials - 5} trials ({growth:+.2f} MiB/trial)")
    print("per trial (MiB): " + " ".join(f"{v:.0f}" for v in RSS_MB))
    print(f"live keras.Model objects at each trial's end: max {max(LIVE_MODELS)}")
    graphs = (LIVE_GRAPHS[-1] - LIVE_GRAPHS[4]) / (args.trials - 5)
    print(f"traced step graphs (FuncGraph) alive: {LIVE_GRAPHS[4]} after 5 trials, "
          f"{LIVE_GRAPHS[-1]} after {args.trials} ({graphs:+.1f} per trial)")  # fmt: skip


if __name__ == "__main__":
    main()
