"""Length bucketing against random batching: timesteps processed per epoch and epoch time.

On an IMDB-like length distribution (log-normal, median ~180 tokens, mean ~240, tail to 2,500),
side by side in one run:

- `global max`: every batch padded to the longest sequence of the data set (arithmetic only);
- `random`: shuffled batches, each padded to its own longest sequence (`zoo.data.batches`);
- `bucketed`: `zoo.data.batches(..., boundaries=quantile_boundaries(lengths, N))`.

For each it prints the timesteps processed per epoch (real + padding, counted from the batches
the pipeline yields), that figure over the real tokens, and the time of one training epoch of a
small embedding + GRU classifier (`zoo.models.gru`), measured in alternating order after a warm-up
epoch of each. Run from the repository root:

    python benchmarks/bucketing.py                    # 25,000 sequences, batch 32
    python benchmarks/bucketing.py --time-examples 2000    # quicker
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402
from zoo.data import batches, quantile_boundaries  # noqa: E402
from zoo.recipe_fit import quiet_end_of_data  # noqa: E402
from zoo.validation import check_flag_minimums  # noqa: E402


def imdb_like_lengths(n, seed=0):
    """Log-normal lengths with median 180 and mean 240, clipped to [10, 2500]."""
    sigma = np.sqrt(2 * np.log(240 / 180))
    lengths = np.random.default_rng(seed).lognormal(np.log(180), sigma, n)
    return np.clip(lengths.round(), 10, 2500).astype(np.int64)


def dataset(lengths, vocab_size, seed=0):
    """Random token ids of the given lengths with random binary labels, cached in memory."""
    rng = np.random.default_rng(seed)
    examples = [
        (rng.integers(1, vocab_size, n, dtype=np.int32), rng.integers(0, 2)) for n in lengths
    ]
    signature = (tf.TensorSpec([None], tf.int32), tf.TensorSpec([], tf.int64))
    return tf.data.Dataset.from_generator(lambda: iter(examples), output_signature=signature)


def processed_timesteps(batched):
    return sum(int(tf.size(x)) for x, _ in batched)


def epoch_seconds(model, batched):
    start = time.perf_counter()
    with quiet_end_of_data():  # the batches are shuffled by the pipeline (`shuffle=True` there)
        model.fit(batched, epochs=1, verbose=0, shuffle=False)
    return time.perf_counter() - start


# The smallest value of each numeric flag (`--vocab-size`: token ids are drawn from 1..N-1).
MINIMUM = dict(examples=1, batch_size=1, buckets=1, units=1, vocab_size=2, rounds=1,
               time_examples=1)  # fmt: skip


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description=__doc__.splitlines()[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    p.add_argument("--examples", type=int, default=25_000, help="sequences in the data set")
    p.add_argument("--batch-size", type=int, default=32, help="sequences per batch")
    p.add_argument("--buckets", type=int, default=20, help="length buckets (quantiles)")
    p.add_argument("--units", type=int, default=16, help="GRU units of the timed classifier")
    p.add_argument("--vocab-size", type=int, default=5000, help="token ids are drawn from 1..N-1")
    p.add_argument("--rounds", type=int, default=2, help="timed epochs of each (alternating)")
    p.add_argument(
        "--time-examples",
        type=int,
        default=5000,
        help="epoch times are measured on the first N sequences (timesteps on all of them)",
    )
    args = p.parse_args(argv)
    check_flag_minimums(p, args, MINIMUM)
    return args


def main(argv=None):
    args = parse_args(argv)
    lengths = imdb_like_lengths(args.examples)
    ds = dataset(lengths, args.vocab_size)
    bounds = quantile_boundaries(lengths, args.buckets)
    pipelines = {
        "random": batches(ds, args.batch_size, shuffle=True, seed=0),
        "bucketed": batches(ds, args.batch_size, shuffle=True, seed=0, boundaries=bounds),
    }
    real = int(lengths.sum())
    # Every sequence padded to the longest (the last, partial batch holds only its own rows).
    steps = {"global max": args.examples * int(lengths.max())}
    steps.update({k: processed_timesteps(v) for k, v in pipelines.items()})

    timed_lengths = lengths[: args.time_examples]
    timed = dataset(timed_lengths, args.vocab_size)
    pipelines = {
        "random": batches(timed, args.batch_size, shuffle=True, seed=0),
        "bucketed": batches(timed, args.batch_size, shuffle=True, seed=0, boundaries=bounds),
    }
    models = {
        k: zoo.models.gru(
            vocab_size=args.vocab_size, embedding_dim=16, units=args.units, task="binary", seed=0
        )
        for k in pipelines
    }
    seconds = {k: [] for k in pipelines}
    for k in pipelines:  # warm-up: tracing, and the cache filled
        epoch_seconds(models[k], pipelines[k])
    for r in range(args.rounds):
        order = list(pipelines) if r % 2 == 0 else list(pipelines)[::-1]
        for k in order:
            seconds[k].append(epoch_seconds(models[k], pipelines[k]))

    print(
        f"{args.examples} sequences: median length {int(np.median(lengths))}, mean "
        f"{lengths.mean():.0f}, max {lengths.max()}; batch {args.batch_size}; "
        f"{len(bounds) + 1} buckets; epoch times: GRU({args.units}) on the first "
        f"{len(timed_lengths)} sequences; {os.cpu_count()} CPUs"
    )
    print(f"{'batching':<12}{'timesteps/epoch':>17}{'× real':>9}{'epoch s':>10}")
    for k, n in steps.items():
        t = f"{np.median(seconds[k]):.1f}" if k in seconds else "-"
        print(f"{k:<12}{n:>17,}{n / real:>9.2f}{t:>10}")
    fewer = 1 - steps["bucketed"] / steps["random"]
    speedup = np.median(seconds["random"]) / np.median(seconds["bucketed"])
    pace = f"{speedup:.2f}× faster" if speedup >= 1 else f"{1 / speedup:.2f}× slower"
    print(f"bucketed vs random: {fewer:.0%} fewer timesteps processed, epochs {pace}")


if __name__ == "__main__":
    main()
