"""A fast proxy of one leave-one-speaker-out fold of `spoken_digit_strings_ctc`.

A full fold costs about 10 minutes of both cores, and one run per setting cannot tell apart
changes of a few points (george's fold: 16.3 / 24.7 / 20.5% test CER over three seeds). This
proxy trains the recipe's model (its `model_kwargs`, its waveform augmentation, warm-up + cosine)
on 1,000 strings of 1-3 digits of the four other speakers, built exactly as the
`spoken_digit_strings` builder builds them (`compose`: noise-filled pauses), for 10 epochs, and
prints the greedy CER and WER on 400 strings of 1-4 digits of the held-out speaker, as one JSON
line. One run takes about 2.5 minutes of both cores, so several seeds per setting are affordable:

    python benchmarks/ctc_fold_proxy.py --manual-dir ../shared/data/fsdd/recordings \
        --speaker george --seed 0 [--set time_stride=2] [--augment "speed=(0.8, 1.2)"]

`--set` overrides a `ctc_speech` argument of the recipe, `--augment` an `augment_waveform`
argument (values are Python literals, as `rnnzoo run --set` takes them); `ema=0.99` trains with
Adam's exponential moving average of the weights (`keras.optimizers.Adam(use_ema=True)`);
`speaker_adversary=1.0` trains the recipe's speaker adversary on each training string's speaker
id (as the recipe does; a string of several voices, see below, counts as of an unknown speaker).
`--mix-speakers P` has each training digit spoken by another of the four speakers with
probability P (strings of several voices).
The proxy's CERs are higher than the full runs' (smaller training set, shorter training); use it
to rank settings, then confirm a winner with full folds. The recipe's earlier log-mel model is
`--set frontend='log_mel' --set num_mels=20 --set fmax=3000.0 --set normalize='utterance'
--set time_stride=3` (the proxy tables of docs/speech_experiments.md before the speech embedding).
"""

import argparse
import inspect
import json
import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

import zoo  # noqa: E402, F401  (registers the layers and the datasets)
from recipes.spoken_digit_strings_ctc import RECIPE  # noqa: E402
from zoo.data.augmentation import augment_waveform  # noqa: E402
from zoo.datasets.fsdd import files  # noqa: E402
from zoo.datasets.fsdd.files import SPEAKERS  # noqa: E402
from zoo.datasets.spoken_digit_strings.spoken_digit_strings_dataset_builder import (  # noqa: E402
    background,
    compose,
    transcript,
)
from zoo.models.speech import make_speech_examples  # noqa: E402
from zoo.recipe import RecipeError, parse_overrides  # noqa: E402
from zoo.recipe_fit import quiet_end_of_data  # noqa: E402
from zoo.schedules import WarmupCosine  # noqa: E402
from zoo.validation import check_flag_minimums, suggest  # noqa: E402

# What `--set` and `--augment` may name: the factory's and the augmentation's arguments (and
# `ema`, the proxy's own); `--seed` gives the model's seed.
SET_NAMES = [n for n in inspect.signature(zoo.models.ctc_speech).parameters if n != "seed"]
SET_NAMES.append("ema")
AUGMENT_NAMES = list(inspect.signature(augment_waveform).parameters)

# The recipe's augmentation (`augment_waveform(...)` in recipes/spoken_digit_strings_ctc.py).
AUGMENT = dict(speed=(0.85, 1.15), gain_db=(-6.0, 6.0), noise_snr_db=(15.0, 40.0))


def strings(pool, speakers, count, rng, max_digits, mix_speakers=0.0):
    """`count` (int16 audio, transcript, speaker) strings of 1..max_digits digits, one speaker each.

    With `mix_speakers` > 0, each digit is spoken by another of `speakers`, drawn at random,
    with that probability (a string of several voices, whose speaker is then `""`: unknown).
    """
    out = []
    for _ in range(count):
        speaker = speakers[rng.integers(len(speakers))]
        digits = [int(d) for d in rng.integers(10, size=rng.integers(1, max_digits + 1))]
        voices = [speaker] * len(digits)
        if mix_speakers > 0:  # (no extra draws otherwise: the strings stay those of earlier runs)
            voices = [
                speakers[rng.integers(len(speakers))] if rng.random() < mix_speakers else speaker
                for _ in digits
            ]
        chosen = [
            pool[v][d][rng.integers(len(pool[v][d]))] for v, d in zip(voices, digits, strict=True)
        ]
        audio, _ = compose([c for c, _ in chosen], [b for _, b in chosen], rng)
        out.append((audio, transcript(digits), speaker if set(voices) == {speaker} else ""))
    return out


def batched(items, seed, augment=None, speakers=None):
    """Padded batches of 32 `(x, labels)` from (audio, transcript, speaker) triples.

    With `speakers` (names), `x["speaker"]` is each string's speaker id in that list (-1 for a
    speaker not in it, or `""`), as the recipe gives them to its speaker adversary.
    """
    if speakers is None:
        items = [(audio, text) for audio, text, _ in items]
    spec = (tf.TensorSpec([None], tf.int16), tf.TensorSpec([], tf.string))
    if speakers is not None:
        spec += (tf.TensorSpec([], tf.string),)
    ds = tf.data.Dataset.from_generator(lambda: iter(items), output_signature=spec).map(
        make_speech_examples(speakers=speakers)
    )
    if augment is not None:
        ds = ds.shuffle(len(items), seed=seed).map(augment)
    return ds.padded_batch(32).prefetch(2)


def parse_args(argv=None):
    """The arguments, checked, with the FSDD clips of `--manual-dir` (listed, not yet read)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--manual-dir", required=True, help="folder of FSDD WAV files")
    p.add_argument("--speaker", required=True, help="the held-out speaker, e.g. george")
    p.add_argument(
        "--seed", type=int, default=0,
        help="seed of the model, the training strings and their order (default: %(default)s)",
    )  # fmt: skip
    p.add_argument("--epochs", type=int, default=10, help="training epochs (default: %(default)s)")
    p.add_argument(
        "--train", type=int, default=1000, help="training strings (default: %(default)s)"
    )
    p.add_argument(
        "--mix-speakers", type=float, default=0.0,
        help="probability that a training digit is spoken by another training speaker "
        "(default: %(default)s)",
    )  # fmt: skip
    p.add_argument("--set", action="append", default=[], help="ctc_speech key=value (or ema=M)")
    p.add_argument("--augment", action="append", default=[], help="augment_waveform key=value")
    args = p.parse_args(argv)
    check_flag_minimums(p, args, {"epochs": 1, "train": 1})
    if not 0.0 <= args.mix_speakers <= 1.0:
        p.error(f"--mix-speakers must be a probability in [0, 1], got {args.mix_speakers}")
    for flag, function, allowed in (
        ("set", "ctc_speech", SET_NAMES),
        ("augment", "augment_waveform", AUGMENT_NAMES),
    ):
        try:
            overrides = parse_overrides(getattr(args, flag))
        except RecipeError:
            p.error(f"--{flag} takes key=value, got {getattr(args, flag)!r}")
        for key in overrides:
            if key == "seed" and flag == "set":
                p.error("--set seed=...: the seed is --seed (of the model and the strings)")
            if key not in allowed:
                hint = suggest(key, allowed) or f" It takes {', '.join(allowed)}."
                p.error(f"--{flag} {key}=...: {key!r} is no argument of {function}.{hint}")
    kwargs = {**RECIPE.model_kwargs, **parse_overrides(args.set)}
    if kwargs.get("speaker_adversary") and kwargs.get("num_speakers") != len(SPEAKERS):
        p.error(
            f"--set num_speakers must be {len(SPEAKERS)} with a speaker adversary (its ids are "
            f"those of {SPEAKERS}), got {kwargs.get('num_speakers')!r}"
        )
    clips = files.find_clips(args.manual_dir)
    speakers = sorted({c.speaker for c in clips})
    if len(speakers) < 2:
        p.error(
            f"--manual-dir must hold FSDD WAV files named DIGIT_SPEAKER_INDEX.wav of at least two "
            f"speakers, got {args.manual_dir!r} with {len(clips)} files of {speakers or 'none'}"
        )
    if args.speaker not in speakers:
        p.error(f"--speaker must be one of {speakers}, got {args.speaker!r}")
    return args, clips


def main(argv=None):
    args, clips = parse_args(argv)
    pool = {}
    for clip in sorted(clips):
        samples = files.read_wav(clip.path)
        pool.setdefault(clip.speaker, {}).setdefault(clip.digit, []).append(
            (samples, background(samples))
        )
    others = [s for s in sorted(pool) if s != args.speaker]
    keras.utils.set_random_seed(args.seed)
    train = strings(
        pool, others, args.train, np.random.default_rng(args.seed), 3, args.mix_speakers
    )
    test = strings(pool, [args.speaker], 400, np.random.default_rng(12345), 4)

    kwargs = {**RECIPE.model_kwargs, **parse_overrides(args.set)}
    ema = kwargs.pop("ema", None)
    if ema:
        kwargs["optimizer"] = keras.optimizers.Adam(
            kwargs["learning_rate"], clipnorm=1.0, use_ema=True, ema_momentum=ema
        )
    augment = {**AUGMENT, **parse_overrides(args.augment)}
    model = zoo.models.ctc_speech(seed=args.seed, **kwargs)
    start, cpu = time.time(), time.process_time()
    # Each string's speaker id, in the recipe's list (its `num_speakers`), for the adversary.
    speakers = list(SPEAKERS) if kwargs.get("speaker_adversary") else None
    with quiet_end_of_data():
        model.fit(
            batched(train, args.seed, augment_waveform(**augment), speakers),
            epochs=args.epochs,
            verbose=0,
            shuffle=False,  # `batched` shuffles the training strings itself
            callbacks=[WarmupCosine.from_model(model, warmup_steps=100)],
            check=False,  # the strings are built here: each has frames for its label
        )
    rates = model.error_rates(batched(test, args.seed))
    print(json.dumps({
        "speaker": args.speaker, "seed": args.seed, "epochs": args.epochs, "train": args.train,
        "test": len(test), "set": args.set,
        "augment": args.augment, "mix_speakers": args.mix_speakers,
        "cer": round(100 * rates["cer"], 2), "wer": round(100 * rates["wer"], 2),
        "train_wall_s": round(time.time() - start), "train_cpu_s": round(time.process_time() - cpu),
    }))  # fmt: skip


if __name__ == "__main__":
    main()
