"""How much of a speech front end's features survive a change of speaker: a linear probe.

For every speaker of an FSDD folder in turn, a logistic regression learns to name the digit of
each of the other speakers' recordings from its pooled features (mean and maximum over time,
standardised), and names the left-out speaker's: the accuracy says how far the features carry
what was said rather than who said it, with no recurrent model and no training noise. Compared:
log-mels (40 bands, `zoo.data.audio.log_mel_spectrogram`; their spread over time pooled too) and
`zoo.layers.SpeechEmbedding` at levels 3, 4 and 5 (5: the embedding). Each recording gets 0.2 s
of zeros each side, as the embedding's 0.76 s windows need some context. Prints a Markdown table
(about 3 minutes of both cores for FSDD's 2,500 recordings)::

    python benchmarks/speech_feature_probe.py --manual-dir ../shared/data/fsdd/recordings
"""

import argparse
import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

from zoo.data.audio import log_mel_spectrogram  # noqa: E402
from zoo.data.waveforms import waveform_to_float  # noqa: E402
from zoo.datasets.fsdd import files  # noqa: E402
from zoo.layers.speech_embedding import LEVELS, SpeechEmbedding  # noqa: E402


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--manual-dir", required=True, help="folder of FSDD WAV files")
    p.add_argument(
        "--c",
        type=float,
        default=0.1,
        help="inverse L2 strength of the probe (default: %(default)s)",
    )
    args = p.parse_args(argv)
    if not files.find_clips(args.manual_dir):
        p.error(f"--manual-dir must be a folder of FSDD WAV files, got {args.manual_dir!r}")
    if not args.c > 0:
        p.error(f"--c must be a positive number, got {args.c}")
    return args


def pooled_features(paths):
    """`{name: (recordings, features)}` for log-mels and each embedding level."""
    layers = {f"level {lv}": SpeechEmbedding(8000, 4, level=lv) for lv in LEVELS}
    out = {name: [] for name in ("log-mel", *layers)}
    for path in paths:
        wave = np.pad(waveform_to_float(files.read_wav(path)), 1600)
        length = np.array([len(wave)])
        for name, layer in layers.items():
            e = np.asarray(layer([wave[None], length]))[0]
            out[name].append(np.concatenate([e.mean(0), e.max(0)]))
        m = np.asarray(log_mel_spectrogram(wave[None], 8000, 40))[0]
        out["log-mel"].append(np.concatenate([m.mean(0), m.max(0), m.std(0)]))
    return {name: np.array(rows) for name, rows in out.items()}


def main(argv=None):
    args = parse_args(argv)
    recordings = files.find_clips(args.manual_dir)
    speakers = sorted({r.speaker for r in recordings})
    digits = np.array([r.digit for r in recordings])
    who = np.array([r.speaker for r in recordings])
    features = pooled_features([r.path for r in recordings])
    print("| features | " + " | ".join(speakers) + " |")
    print("|---|" + "---|" * len(speakers))
    for name, x in features.items():
        accuracy = []
        for speaker in speakers:
            probe = make_pipeline(StandardScaler(), LogisticRegression(C=args.c, max_iter=3000))
            probe.fit(x[who != speaker], digits[who != speaker])
            accuracy.append((probe.predict(x[who == speaker]) == digits[who == speaker]).mean())
        print(f"| {name} | " + " | ".join(f"{100 * a:.1f}%" for a in accuracy) + " |")


if __name__ == "__main__":
    main()
