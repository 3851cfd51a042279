"""Train-step overhead of zoo models against the same models written by hand in plain Keras.

For each of three architectures (a 2-layer LSTM, a 2-layer GRU and a 2-layer bidirectional GRU,
all with a softmax classification head) the script builds the zoo model
(`zoo.models.lstm`, `zoo.models.gru`, `zoo.models.bidirectional(cell="gru")`) and the same network
written by hand as a `keras.Sequential`, compiled the same way (Adam, learning rate 1e-3,
`clipnorm=1.0`, sparse categorical cross-entropy, accuracy). It asserts that both have the same
weights (shapes and parameter count) and the same resolved `jit_compile`, then times their train
steps side by side in one process:

- both models are warmed up first (the train function is traced before any timing);
- rounds of `--steps` train steps then alternate between the two in the order A B, B A, A B, ...,
  so that slow drifts of a shared machine hit both alike; a pair is one round of each;
- with `--method batch` (the default) every step is one `train_on_batch` on the same in-memory
  batch and is timed on its own; a round's per-step time is the median of its steps, which
  ignores the odd step stalled by another process. With `--method fit` a round is one
  `fit(verbose=0)` over a cached `tf.data` dataset of `--steps` batches, and its per-step time is
  the round's time over `--steps` (a per-epoch cost is included, and a stall is not filtered
  out: noisier on a busy machine);
- `--clock cpu` times the CPU seconds of this process (all its threads), `--clock wall` the
  elapsed seconds. CPU time counts the work the step does and hardly what other processes on a
  shared machine take from it, so it resolves a few percent where wall time cannot; it misses
  work done on an accelerator, so `--clock auto` (the default) picks `cpu` without a GPU and
  `wall` with one;
- the table gives each model's median per-step time over its rounds, their ratio (zoo/hand), and
  the median of the per-pair ratios with its interquartile range. The verdict uses the median
  pair ratio, the estimate least moved by load that comes and goes: PASS when it is at most
  `--target` (1.02 by default); `--quick` gives none (its 4 rounds are too few). `--control`
  adds, per model, the hand-written model timed against a copy of itself (A/A): how far from 1.0
  noise alone moves the ratio right now.

Run it from the repository root (a full run takes one to three minutes on two CPU cores):

    python benchmarks/step_overhead.py            # the report, exit code 0
    python benchmarks/step_overhead.py --quick    # tiny sizes, a smoke test in < 30 s: no verdict
    python benchmarks/step_overhead.py --check    # exit code 1 when a ratio is above --target
    python benchmarks/step_overhead.py --control  # plus A/A rows: the machine's noise floor

The exit code is 0 whatever the ratios (it is a report) unless `--check` is given.
"""

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import argparse
import gc
import statistics
import sys
import time
import warnings
from pathlib import Path

import keras
import numpy as np
import tensorflow as tf

if __package__ in (None, ""):
    # Run as a script: make the repository's `zoo` importable without installing it.
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import zoo  # noqa: E402
from zoo.validation import check_flag_minimums  # noqa: E402

NUM_CLASSES = 10
QUICK = dict(steps=3, rounds=4, batch_size=8, units=8, timesteps=10, features=4, warmup=2)
FULL = dict(steps=8, rounds=20, batch_size=64, units=64, timesteps=50, features=16, warmup=5)


def hand_lstm(shape, units, num_classes):
    return keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.LSTM(units, return_sequences=True),
            keras.layers.LSTM(units),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


def hand_gru(shape, units, num_classes):
    return keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.GRU(units, return_sequences=True),
            keras.layers.GRU(units),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


def hand_bigru(shape, units, num_classes):
    return keras.Sequential(
        [
            keras.Input(shape),
            keras.layers.Bidirectional(keras.layers.GRU(units, return_sequences=True)),
            keras.layers.Bidirectional(keras.layers.GRU(units)),
            keras.layers.Dense(num_classes, activation="softmax"),
        ]
    )


def zoo_model(name, shape, units, num_classes):
    kwargs = dict(
        input_shape=shape,
        task="classification",
        num_classes=num_classes,
        units=units,
        num_layers=2,
        seed=0,
    )
    if name == "bigru":
        return zoo.models.bidirectional(cell="gru", **kwargs)
    return getattr(zoo.models, name)(**kwargs)


CLOCKS = {"wall": time.perf_counter, "cpu": time.process_time}
HAND = {"lstm": hand_lstm, "gru": hand_gru, "bigru": hand_bigru}
LABELS = {"lstm": "LSTM x2", "gru": "GRU x2", "bigru": "BiGRU x2"}


def require(condition, message):
    """Raises `AssertionError(message)` unless `condition` (also under `python -O`)."""
    if not condition:
        raise AssertionError(message)


def build_pair(name, shape, units, num_classes):
    """Returns `(zoo_model, hand_model)`, checked to be the same network compiled the same way."""
    zm = zoo_model(name, shape, units, num_classes)
    hm = HAND[name](shape, units, num_classes)
    hm.compile(
        optimizer=keras.optimizers.Adam(learning_rate=1e-3, clipnorm=1.0),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    require(
        zm.count_params() == hm.count_params(),
        f"{name}: zoo model has {zm.count_params()} parameters, hand-written {hm.count_params()}",
    )
    shapes = sorted(tuple(w.shape) for w in zm.weights)
    require(shapes == sorted(tuple(w.shape) for w in hm.weights), f"{name}: weight shapes differ")
    zopt, hopt = zm.optimizer.get_config(), hm.optimizer.get_config()
    del zopt["name"], hopt["name"]  # Keras numbers optimizer names: adam, adam_1, ...
    require(
        type(zm.optimizer) is type(hm.optimizer) and zopt == hopt,
        f"{name}: optimizers differ: {zopt} (zoo) != {hopt} (hand)",
    )
    # The zoo's loss is Keras's class (its subclass averages over every replica's examples,
    # the same ops on one device); the hand model names it by its string.
    same_loss = isinstance(zm.loss, keras.losses.SparseCategoricalCrossentropy)
    same_loss = same_loss and zm.loss.get_config()["from_logits"] is False
    require(
        same_loss and hm.loss == "sparse_categorical_crossentropy",
        f"{name}: loss {type(zm.loss).__name__}({zm.loss.get_config()}) (zoo) != {hm.loss!r} "
        "(hand)",
    )
    require(
        zm.jit_compile == hm.jit_compile,
        f"{name}: jit_compile {zm.jit_compile} (zoo) != {hm.jit_compile} (hand)",
    )
    return zm, hm


class Runner:
    """Times rounds of train steps of one model on a fixed batch."""

    def __init__(self, model, x, y, steps, method, clock):
        self.model, self.x, self.y, self.steps, self.method = model, x, y, steps, method
        self.clock = CLOCKS[clock]
        self.dataset = tf.data.Dataset.from_tensors((x, y)).repeat(steps).cache()

    def warm_up(self, steps):
        """Runs `steps` untimed train steps, tracing the train function before any timing."""
        if self.method == "fit":
            # fit feeds the train function an iterator, train_on_batch a generator: warm up
            # with fit alone, so that each model traces once, not twice.
            for _ in range(max(1, -(-steps // self.steps))):
                self.model.fit(self.dataset, epochs=1, verbose=0)
            return
        for _ in range(steps):
            self.model.train_on_batch(self.x, self.y)

    def round(self):
        """Runs one round and returns its per-step time in seconds."""
        gc.collect()
        gc.disable()  # a collection inside a round would land on one model only
        try:
            if self.method == "fit":
                start = self.clock()
                self.model.fit(self.dataset, epochs=1, verbose=0)
                return (self.clock() - start) / self.steps
            times = []
            for _ in range(self.steps):
                start = self.clock()
                self.model.train_on_batch(self.x, self.y)
                times.append(self.clock() - start)
            return statistics.median(times)
        finally:
            gc.enable()


def quartiles(values):
    if len(values) < 2:
        return values[0], values[0]
    q = statistics.quantiles(values, n=4, method="inclusive")
    return q[0], q[2]


def compare(name, args, control=False):
    """Times the zoo and the hand-written `name` model; returns the row of the table.

    With `control=True` the zoo model is replaced by a second hand-written copy: an A/A
    comparison whose spread around 1.0 is the noise floor of this machine at this moment.
    """
    shape = (args.timesteps, args.features)
    zm, hm = build_pair(name, shape, args.units, NUM_CLASSES)
    if control:
        zm = build_pair(name, shape, args.units, NUM_CLASSES)[1]
    rng = np.random.default_rng(0)
    x = tf.constant(rng.standard_normal((args.batch_size, *shape), dtype=np.float32))
    y = tf.constant(rng.integers(0, NUM_CLASSES, size=(args.batch_size,), dtype=np.int32))
    zr = Runner(zm, x, y, args.steps, args.method, args.clock)
    hr = Runner(hm, x, y, args.steps, args.method, args.clock)
    zr.warm_up(args.warmup)
    hr.warm_up(args.warmup)
    zoo_times, hand_times, pair_ratios = [], [], []
    for i in range(args.rounds):
        if i % 2 == 0:
            tz, th = zr.round(), hr.round()
        else:
            th, tz = hr.round(), zr.round()
        zoo_times.append(tz)
        hand_times.append(th)
        pair_ratios.append(tz / th)
    zoo_ms = 1e3 * statistics.median(zoo_times)
    hand_ms = 1e3 * statistics.median(hand_times)
    return dict(
        name=LABELS[name] + (" A/A" if control else ""),
        control=control,
        params=zm.count_params(),
        zoo_ms=zoo_ms,
        hand_ms=hand_ms,
        ratio=zoo_ms / hand_ms,
        pair=statistics.median(pair_ratios),
        iqr=quartiles(pair_ratios),
    )


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description="Train-step time of zoo models against the same models in plain Keras."
    )
    parser.add_argument("--steps", type=int, help=f"train steps per round ({FULL['steps']})")
    parser.add_argument(
        "--rounds", type=int, help=f"rounds per model, alternating A B B A ({FULL['rounds']})"
    )
    parser.add_argument("--batch-size", type=int, help=f"batch size ({FULL['batch_size']})")
    parser.add_argument("--units", type=int, help=f"units per recurrent layer ({FULL['units']})")
    parser.add_argument("--timesteps", type=int, help=f"sequence length ({FULL['timesteps']})")
    parser.add_argument("--features", type=int, help=f"features per step ({FULL['features']})")
    parser.add_argument(
        "--warmup", type=int, help=f"untimed train steps per model first ({FULL['warmup']})"
    )
    parser.add_argument(
        "--method",
        choices=("batch", "fit"),
        default="batch",
        help="batch: train_on_batch, each step timed, median per round (default); "
        "fit: one fit(verbose=0) per round on a cached tf.data dataset",
    )
    parser.add_argument(
        "--clock",
        choices=("auto", "cpu", "wall"),
        default="auto",
        help="cpu: CPU time of this process, robust to other load; wall: elapsed time; "
        "auto (default): cpu without a GPU, wall with one",
    )
    parser.add_argument(
        "--models",
        nargs="+",
        choices=tuple(HAND),
        default=list(HAND),
        help="which models to compare (default: all three)",
    )
    parser.add_argument(
        "--control",
        action="store_true",
        help="also time each hand-written model against a copy of itself (A/A): the noise floor",
    )
    parser.add_argument("--target", type=float, default=1.02, help="the highest ratio to pass")
    parser.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes: a smoke test (< 30 s), too few rounds for a verdict",
    )
    parser.add_argument(
        "--check", action="store_true", help="exit with 1 when a ratio is above --target"
    )
    args = parser.parse_args(argv)
    if args.quick and args.check:
        parser.error(
            f"--check needs a verdict, and --quick's {QUICK['rounds']} rounds are too few for "
            "one: leave --quick out to check"
        )
    if args.clock == "auto":
        args.clock = "wall" if tf.config.list_physical_devices("GPU") else "cpu"
    defaults = QUICK if args.quick else FULL
    for key, value in defaults.items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    check_flag_minimums(parser, args, {key: 0 if key == "warmup" else 1 for key in defaults})
    return args


def main(argv=None):
    args = parse_args(argv)
    keras.utils.set_random_seed(0)
    warnings.filterwarnings("ignore", category=UserWarning)
    sizes = ", ".join(
        f"{key}={getattr(args, key)}"
        for key in ("method", "clock", "steps", "rounds", "batch_size", "timesteps", "features")
    )
    print(
        f"keras {keras.__version__}, tensorflow {tf.__version__} "
        f"({keras.backend.backend()} backend), {os.cpu_count()} CPUs; {sizes}, "
        f"units={args.units}, classes={NUM_CLASSES}",
        flush=True,
    )
    start = time.perf_counter()
    rows = []
    for name in args.models:
        for control in (False, True) if args.control else (False,):
            rows.append(compare(name, args, control))
            print(f"  {rows[-1]['name']}: done ({time.perf_counter() - start:.0f} s)", flush=True)

    header = (
        f"{'model':<14} {'params':>8} {'zoo ms':>9} {'hand ms':>9} {'zoo/hand':>9} "
        f"{'pair med':>9} {'pair IQR':>14}  verdict"
    )
    print()
    print(header)
    print("-" * len(header))
    failed = []
    for row in rows:
        ok = row["pair"] <= args.target
        if row["control"]:
            verdict = "(A/A noise)"
        elif args.quick:
            verdict = "-"
        else:
            verdict = "PASS" if ok else "FAIL"
            if not ok:
                failed.append(row["name"])
        low, high = row["iqr"]
        print(
            f"{row['name']:<14} {row['params']:>8} {row['zoo_ms']:>9.2f} {row['hand_ms']:>9.2f} "
            f"{row['ratio']:>9.4f} {row['pair']:>9.4f} {f'{low:.3f}..{high:.3f}':>14}  {verdict}"
        )
    print()
    worst = max(row["pair"] for row in rows if not row["control"])
    if args.quick:
        print(
            f"no verdict: --quick (a smoke test) runs too few rounds ({args.rounds}) for one; "
            f"worst median pair ratio {worst:.4f} ({time.perf_counter() - start:.0f} s)"
        )
        return 0
    print(
        f"{'FAIL' if failed else 'PASS'}: worst median pair ratio {worst:.4f} vs target "
        f"{args.target} ({time.perf_counter() - start:.0f} s)"
        + (f"; over target: {', '.join(failed)}" if failed else "")
    )
    return 1 if args.check and failed else 0


if __name__ == "__main__":
    sys.exit(main())
