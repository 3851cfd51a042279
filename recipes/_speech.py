"""What the CTC speech recipes share: per-epoch error rates, test scores and the plot.

Every speech recipe monitors `val_cer` (greedy decoding of the validation split, corpus-level,
from `SpeechRecognizer.error_rates`) and writes the test split's CER and WER, greedy and, where
the recipe knows the words it can hear, constrained to that lexicon.
"""

import numpy as np

from zoo.models.speech import ErrorRates
from zoo.training import WarmupCosine

DIGITS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")


def with_speakers(split):
    """The recipes' `examples` for a speaker adversary: `(audio, text, speaker)` triples.

    Takes a TFDS split of feature dicts (`audio`, `text`, `speaker`), for
    `make_speech_examples(speakers=...)`, which turns the speaker's name into its id.
    """
    return split.map(lambda f: (f["audio"], f["text"], f["speaker"]))


def speech_callbacks(warmup_steps):
    """The recipes' `callbacks`: learning-rate warm-up and cosine decay, `val_cer`/`val_wer`.

    The schedule peaks at the model's own learning rate (`--set learning_rate=...` moves it)
    and decays over the run's length (`--epochs` stretches it).

    Example:
        >>> from zoo.models.speech import ctc_speech
        >>> model = ctc_speech(units=4, num_layers=1)
        >>> [type(c).__name__ for c in speech_callbacks(warmup_steps=10)(model, None)]
        ['WarmupCosine', 'ErrorRates']
    """

    def callbacks(model, validation_batches):
        return [
            WarmupCosine.from_model(model, warmup_steps=warmup_steps),
            ErrorRates(validation_batches),
        ]

    return callbacks


def scores(lexicon=None):
    """The recipes' `evaluate`: test CER/WER greedy, and with `lexicon` beam search over it."""

    def evaluate(model, test_batches):
        out = model.error_rates(test_batches)
        if lexicon is not None:
            constrained = model.error_rates(test_batches, lexicon=lexicon)
            out.update({f"lexicon_{k}": v for k, v in constrained.items()})
        return out

    return evaluate


def plot_transcripts(model, test_batches, path, count=4):
    """Log-mel features and greedy CTC outputs (per-frame best class) of a few test utterances."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x, y = next(iter(test_batches))
    n = min(count, len(y))
    lengths = np.asarray(x["length"])[:n]
    if model.pretrained:  # the embedding's own input: 32 log-mel bands every 10 ms
        features, frames, _ = model.front_end.features(x["waveform"][:n], lengths)
        features, frames = np.asarray(features), np.asarray(frames)
    else:
        features = np.asarray(model.front_end([x["waveform"][:n], lengths]))
        frames = model.front_end.num_frames(lengths.astype("int64"))
    logits = np.asarray(model({"waveform": x["waveform"][:n], "length": lengths}))
    out_frames = model.output_lengths(lengths.astype("int64"))
    hyps = model.decode_logits([lg[:k] for lg, k in zip(logits, out_frames, strict=True)])
    fig, axes = plt.subplots(n, 1, figsize=(10, 2.2 * n), squeeze=False)
    for i, ax in enumerate(axes[:, 0]):
        ax.imshow(features[i, : frames[i]].T, origin="lower", aspect="auto", cmap="magma")
        probs = np.exp(
            logits[i, : out_frames[i]] - logits[i, : out_frames[i]].max(-1, keepdims=True)
        )
        probs /= probs.sum(-1, keepdims=True)
        t = (np.arange(out_frames[i]) + 0.5) * model.time_stride
        ax.plot(t, (1 - probs[:, 0]) * features.shape[-1] * 0.95, color="cyan", linewidth=1)
        ax.set_title(f"ref: {model.decode_ids(np.asarray(y)[i])!r}   hyp: {hyps[i]!r}", fontsize=9)
        ax.set_ylabel("mel")
    axes[-1, 0].set_xlabel("frame (10 ms); cyan: 1 - P(blank)")
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    return path
