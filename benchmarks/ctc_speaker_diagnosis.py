"""Why a speech model fails on a speaker: isolated-clip confusions and test-time filters.

Transcribes every FSDD recording of one speaker (one digit each) with a trained
`spoken_digit_strings_ctc` model, prints how many it writes exactly, the commonest confusions
("four" written "one"), and the same count after filtering the recordings at test time:
de-emphasis (a first-order low-pass tilting the spectrum down), Butterworth low-pass filters and
spectral subtraction of each recording's stationary noise floor. If a filter that brings the
speaker's channel nearer the training speakers' (a brighter microphone, a hum) does not help, the
errors come from the voice, not the recording. It first prints every speaker's median share of
energy above 3 kHz (Welch spectra of each recording), the band the recipe's mel filters leave out:

    python benchmarks/ctc_speaker_diagnosis.py MODEL.keras --speaker george --manual-dir DIR

with DIR a folder of FSDD WAV files (here `../shared/data/fsdd/recordings`).
"""

import argparse
import collections
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import scipy.signal as sg  # noqa: E402

import zoo  # noqa: E402, F401  (registers the model for loading)
from recipes._speech import DIGITS  # noqa: E402
from zoo.data.waveforms import waveform_to_float  # noqa: E402
from zoo.datasets.fsdd import files  # noqa: E402
from zoo.models.speech import SpeechRecognizer  # noqa: E402
from zoo.validation import check_flag_minimums  # noqa: E402


def spectral_subtraction(audio, percentile=10.0, alpha=1.0, floor=0.05, rate=8000):
    """`audio` less its stationary noise: per-bin power minus `alpha` × its `percentile`."""
    _, _, z = sg.stft(audio, rate, nperseg=200, noverlap=120)
    power = np.abs(z) ** 2
    noise = np.percentile(power, percentile, axis=1, keepdims=True)
    kept = np.maximum(power - alpha * noise, floor * power)
    _, y = sg.istft(z * np.sqrt(kept / (power + 1e-20)), rate, nperseg=200, noverlap=120)
    return y[: len(audio)].astype("float32")


def share_above(audio, hz=3000.0, rate=8000):
    """The share of `audio`'s power above `hz` (Welch spectrum, 256-sample segments)."""
    freqs, power = sg.welch(audio, rate, nperseg=256)
    return float(power[freqs > hz].sum() / power.sum())


def filters():
    """Name → function of a float32 recording: the test-time variants compared."""
    out = {"none": lambda a: a}
    for c in (0.5, 0.9):
        out[f"de-emphasis {c}"] = lambda a, c=c: sg.lfilter([1 - c], [1, -c], a).astype("float32")
    for hz in (1500, 2500):
        b, a_ = sg.butter(4, hz / 4000)
        out[f"low-pass {hz} Hz"] = lambda a, b=b, a_=a_: sg.lfilter(b, a_, a).astype("float32")
    out["spectral subtraction"] = spectral_subtraction
    return out


def parse_args(argv=None):
    """The arguments, checked, the loaded model and the FSDD clips of `--manual-dir` (listed)."""
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("model", help="a trained ctc_speech .keras file")
    p.add_argument("--manual-dir", required=True, help="folder of FSDD WAV files")
    p.add_argument("--speaker", required=True, help="the speaker whose recordings are transcribed")
    p.add_argument("--top", type=int, default=8, help="confusions to list (default: %(default)s)")
    args = p.parse_args(argv)
    check_flag_minimums(p, args, {"top": 1})
    if not os.path.isfile(args.model):
        p.error(f"model must be a trained .keras file, got {args.model!r} (no such file)")
    every = sorted(files.find_clips(args.manual_dir))
    speakers = sorted({c.speaker for c in every})
    if args.speaker not in speakers:
        p.error(
            f"--speaker must be one of the speakers of --manual-dir {args.manual_dir!r} "
            f"({', '.join(speakers) or 'none: no DIGIT_SPEAKER_INDEX.wav files'}), "
            f"got {args.speaker!r}"
        )
    model = keras.models.load_model(args.model, safe_mode=True)
    if not isinstance(model, SpeechRecognizer):
        p.error(
            f"model must be a ctc_speech model (a spoken_digit_strings_ctc run's model.keras), "
            f"got {args.model!r}, a {type(model).__name__} without transcribe()"
        )
    return args, model, every


def main(argv=None):
    args, model, every = parse_args(argv)
    clips = [c for c in every if c.speaker == args.speaker]
    waves, shares = {}, {}
    for clip in every:  # each recording read once, its DC offset removed
        a = waveform_to_float(files.read_wav(clip.path))
        waves[clip] = a - a.mean()
        shares.setdefault(clip.speaker, []).append(share_above(waves[clip].astype("float64")))
    print("median share of energy above 3 kHz: " + ", ".join(
        f"{s} {100 * np.median(v):.2f}%" for s, v in sorted(shares.items())
    ))  # fmt: skip
    audio = [waves[clip] for clip in clips]
    truth = [DIGITS[c.digit] for c in clips]

    for name, fn in filters().items():
        out = model.transcribe([fn(a) for a in audio], sample_rate=files.SAMPLE_RATE)
        exact = sum(o == t for o, t in zip(out, truth, strict=True))
        print(f"{name:22s} {exact}/{len(truth)} recordings transcribed exactly")
        if name == "none":
            wrong = collections.Counter((t, o) for o, t in zip(out, truth, strict=True) if o != t)
            for (t, o), n in wrong.most_common(args.top):
                print(f"    {n:3d} × {t!r} written {o!r}")


if __name__ == "__main__":
    main()
