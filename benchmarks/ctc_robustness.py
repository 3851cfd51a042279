"""How a speech model copes with recordings unlike its training strings: pauses, zeros, level.

`spoken_digit_strings` utterances start and end with 0-150 ms of the recording's own noise; a
user's recording may be trimmed to the speech (as FSDD's are), or open and close with a second
of quiet or of exact zeros. This transcribes the unseen FSDD recordings of the `all` config
(index 0-4 of every speaker and digit: its test recordings, 250 here), one digit each, under each
condition, and prints how many it writes exactly, as `transcribe` reads them by default
(`trim_silence=True`: `zoo.data.audio.shorten_pauses` and `standardize_edges` give every
recording short noise-filled pauses and edges) and as they are (`trim_silence=False`); then the
CER of 100 strings of three of those recordings (one speaker each) joined by pauses of 200 ms or
1 s of the recordings' own noise (as a room sounds between two words), or 1 s of zeros:

    python benchmarks/ctc_robustness.py MODEL.keras --manual-dir DIR

with DIR a folder of FSDD WAV files (here `../shared/data/fsdd/recordings`).
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

import zoo  # noqa: E402, F401  (registers the model for loading)
from recipes._speech import DIGITS  # noqa: E402
from zoo.data.waveforms import resample, waveform_to_float  # noqa: E402
from zoo.datasets.fsdd import files  # noqa: E402
from zoo.datasets.spoken_digit_strings.spoken_digit_strings_dataset_builder import (  # noqa: E402
    MIN_NOISE_STD,
    background,
)
from zoo.metrics import character_error_rate  # noqa: E402

RATE = files.SAMPLE_RATE


def noise_std(recording):
    """The std of an int16 recording's background, as a float (the builder's pause noise)."""
    return max(background(recording)[1], MIN_NOISE_STD) / 32768.0


def conditions(rng):
    """Name → function of an int16 recording returning `(float32 waveform, sample rate)`."""
    scaled = waveform_to_float

    def noise_edges(ms):
        def fn(a):
            n = ms * RATE // 1000
            pad = [rng.normal(0.0, noise_std(a), n).astype("float32") for _ in range(2)]
            return np.concatenate([pad[0], scaled(a), pad[1]]), RATE

        return fn

    def zero_edges(ms):
        def fn(a):
            pad = np.zeros(ms * RATE // 1000, "float32")
            return np.concatenate([pad, scaled(a), pad]), RATE

        return fn

    return {
        "trimmed (as recorded)": lambda a: (scaled(a), RATE),
        "100 ms of its noise each side": noise_edges(100),
        "500 ms of its noise each side": noise_edges(500),
        "1 s of its noise each side": noise_edges(1000),
        "300 ms of zeros each side": zero_edges(300),
        "1 s of zeros each side": zero_edges(1000),
        "-20 dB": lambda a: (scaled(a) * 0.1, RATE),
        "16 kHz input": lambda a: (resample(scaled(a), RATE, 16000), 16000),
    }


def parse_args(argv=None):
    """The arguments, and the FSDD test clips (index 0-4) of `--manual-dir`, checked."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", help="a trained ctc_speech .keras file")
    p.add_argument("--manual-dir", required=True, help="folder of FSDD WAV files")
    args = p.parse_args(argv)
    if not os.path.isfile(args.model):
        p.error(f"model must be a trained .keras file, got {args.model!r} (no such file)")
    clips = [c for c in sorted(files.find_clips(args.manual_dir)) if c.index < 5]
    if not clips:
        p.error(
            f"--manual-dir must hold FSDD WAV files named DIGIT_SPEAKER_INDEX.wav (e.g. "
            f"7_jackson_3.wav; those of index 0-4 are used), got {args.manual_dir!r} with none"
        )
    return args, clips


def main(argv=None):
    args, clips = parse_args(argv)
    model = keras.models.load_model(args.model, safe_mode=True)
    recordings = [files.read_wav(c.path) for c in clips]
    truth = [DIGITS[c.digit] for c in clips]
    print(f"{'condition':32s} exact ({len(truth)}): trim_silence=True / False")
    for name, fn in conditions(np.random.default_rng(0)).items():
        waves = [fn(a) for a in recordings]
        exact = []
        for trim in (True, False):
            out = model.transcribe(
                [w for w, _ in waves], sample_rate=waves[0][1], trim_silence=trim
            )
            exact.append(sum(o == t for o, t in zip(out, truth, strict=True)))
        print(f"{name:32s} {exact[0]} / {exact[1]}")

    rng = np.random.default_rng(1)
    speakers = sorted({c.speaker for c in clips})
    picks = []
    for _ in range(100):
        speaker = speakers[rng.integers(len(speakers))]
        own = [i for i, c in enumerate(clips) if c.speaker == speaker]
        picks.append([own[j] for j in rng.integers(len(own), size=3)])
    refs = [" ".join(truth[i] for i in p) for p in picks]
    print(f"\n{'pauses of 3-digit strings':32s} CER (%): trim_silence=True / False")
    pauses = [("200 ms of its noise", 200, True), ("1 s of its noise", 1000, True),
              ("1 s of zeros", 1000, False)]  # fmt: skip
    for name, ms, noisy in pauses:
        waves = []
        for p in picks:
            parts = []
            for k, i in enumerate(p):
                if k:
                    std = noise_std(recordings[i]) * noisy
                    parts.append(rng.normal(0.0, std, ms * RATE // 1000).astype("float32"))
                parts.append(waveform_to_float(recordings[i]))
            waves.append(np.concatenate(parts))
        cer = [
            100 * character_error_rate(refs, model.transcribe(waves, trim_silence=trim))
            for trim in (True, False)
        ]
        print(f"{name:32s} {cer[0]:.2f} / {cer[1]:.2f}")


if __name__ == "__main__":
    main()
