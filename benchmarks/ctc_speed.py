"""CTC speech recogniser speed: training seconds per epoch and the real-time factor of transcribe.

Uses the `spoken_digit_strings_ctc` recipe's model and data pipeline (augmentation and length
buckets included) on the Free Spoken Digit Dataset strings:

    python benchmarks/ctc_speed.py --manual-dir ../shared/data/fsdd/recordings \
        [--model runs/spoken_digit_strings_ctc/model.keras] [--steps 40]

- training: the median seconds of `--steps` training steps (after 3 warm-up steps), times the
  batches of one epoch, gives seconds per epoch;
- transcription: the real-time factor (compute seconds / audio seconds) of `model.transcribe`
  over the test split's utterances, greedy and with the digit lexicon, in batches of 32 and one
  utterance at a time (the interactive case). Target: RTF ≤ 0.05 on 2 CPU cores.

A trained `--model` gives representative beam-search times (its outputs are peaked); without
one, a freshly initialised model of the recipe's shape is timed.
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from recipes._speech import DIGITS  # noqa: E402
from recipes.spoken_digit_strings_ctc import RECIPE  # noqa: E402
from zoo import registry  # noqa: E402
from zoo.data import batches  # noqa: E402
from zoo.recipe_data import length_boundaries, load_splits  # noqa: E402
from zoo.validation import check_flag_minimums  # noqa: E402

WARM_UP_STEPS = 3  # untimed training steps first: the train function is traced in them
FEW_STEPS = 5  # fewer timed steps than this: a warning that their median is a rough figure


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--manual-dir", required=True, help="folder of FSDD WAV files")
    p.add_argument("--data-dir", help="TFDS data folder")
    p.add_argument(
        "--dataset",
        default=RECIPE.dataset,
        help=f"the TFDS dataset/config timed (default {RECIPE.dataset})",
    )
    p.add_argument("--model", help="a trained model.keras (default: a fresh recipe model)")
    p.add_argument(
        "--steps", type=int, default=40,
        help=f"timed training steps, after {WARM_UP_STEPS} untimed ones (default: %(default)s)",
    )  # fmt: skip
    p.add_argument(
        "--utterances", type=int, default=300,
        help="test utterances transcribed (default: %(default)s)",
    )  # fmt: skip
    args = p.parse_args(argv)
    check_flag_minimums(p, args, {"steps": 1, "utterances": 1})  # before any data is loaded
    if args.steps < FEW_STEPS:
        print(
            f"warning: --steps {args.steps}: the median of fewer than {FEW_STEPS} steps is a "
            f"rough figure (tracing is left to the {WARM_UP_STEPS} warm-up steps, but a step of "
            "a bucket length not seen yet, or a busy moment, can still land in it)",
            file=sys.stderr,
        )
    if args.model and not os.path.isfile(args.model):
        p.error(f"--model must be a .keras file, got {args.model!r} (no such file)")
    return args


def main(argv=None):
    args = parse_args(argv)

    recipe = RECIPE if args.dataset == RECIPE.dataset else _with_dataset(args.dataset)
    train, _, test = load_splits(recipe, args.data_dir, args.manual_dir, seed=0)
    bounds = length_boundaries(train, recipe.buckets)
    train_b = batches(
        train, recipe.batch_size, shuffle=True, seed=0, boundaries=bounds, augment=recipe.augment
    )
    num_batches = sum(1 for _ in train_b)  # one pass: the epoch's batches (and fills the cache)
    model = registry.build(recipe.model, task=recipe.task, seed=0, **recipe.model_kwargs)
    print(f"model: {recipe.model} {recipe.model_kwargs}, {model.count_params():,} parameters")
    print(f"threads: {tf.config.threading.get_inter_op_parallelism_threads() or 'default'}, "
          f"CPUs visible: {os.cpu_count()}")  # fmt: skip

    step_times = []

    class Timer(keras.callbacks.Callback):
        def on_train_batch_begin(self, batch, logs=None):
            self.t = time.perf_counter()

        def on_train_batch_end(self, batch, logs=None):
            step_times.append(time.perf_counter() - self.t)

    model.fit(
        train_b.repeat(), steps_per_epoch=args.steps + WARM_UP_STEPS, epochs=1, verbose=0,
        check=False, shuffle=False, callbacks=[Timer()],  # (`batches` shuffles)
    )  # fmt: skip
    per_step = float(np.median(step_times[WARM_UP_STEPS:]))
    print(f"\ntraining: {per_step:.3f} s per step (median of {args.steps}), {num_batches} "
          f"batches per epoch -> {per_step * num_batches:.0f} s per epoch")  # fmt: skip

    if args.model:
        model = keras.models.load_model(args.model, safe_mode=True)
    waves = [
        audio for audio, _ in tfds_numpy(test.take(args.utterances))
    ]  # int16 as a user would pass them
    if not waves:
        raise SystemExit(f"the test split of {recipe.dataset} holds no utterances to transcribe")
    seconds = sum(len(w) for w in waves) / model.sample_rate
    print(f"\ntranscription of {len(waves)} test utterances, {seconds:.0f} s of audio:")
    model.transcribe(waves[:8])  # trace once
    for name, kwargs, size in (
        ("greedy, batches of 32", {}, 32),
        ("greedy, one at a time", {}, 1),
        ("digit lexicon, batches of 32", {"lexicon": DIGITS}, 32),
        ("digit lexicon, one at a time", {"lexicon": DIGITS}, 1),
    ):
        start = time.perf_counter()
        model.transcribe(waves, batch_size=size, **kwargs)
        rtf = (time.perf_counter() - start) / seconds
        print(f"  {name:<30} RTF {rtf:.4f}")


def tfds_numpy(ds):
    """`(int16 audio, text)` pairs of a split of `(x, labels)` examples, as NumPy."""
    for x, y in ds.as_numpy_iterator():
        yield np.round(x["waveform"][: x["length"]] * 32768).astype("int16"), y


def _with_dataset(name):
    import dataclasses

    return dataclasses.replace(RECIPE, dataset=name)


if __name__ == "__main__":
    main()
