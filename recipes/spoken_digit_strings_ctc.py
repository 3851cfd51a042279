"""Spoken digit strings, real speech of the Free Spoken Digit Dataset: CTC speech recognition.

Utterances of 1-7 digits by one speaker (`spoken_digit_strings`, built from FSDD recordings)
are transcribed character by character ("four two nine") by `ctc_speech` on a pretrained front
end: Google's speech embedding (`frontend="speech_embedding"`, `zoo.layers.SpeechEmbedding`,
frozen; trained on about 200 million clips of many speakers), one embedding every 40 ms
(`time_stride=4`), then 3 × BiGRU(128) and CTC. Four training voices are too few to learn
speech that a new voice is transcribed from; the embedding brings the voices it was trained on.
On the fold proxy (`benchmarks/ctc_fold_proxy.py`, seed 0) it gives george 8.3% and nicolas
7.1% test CER against 20.0% and 19.7% with the log-mel front end learnt from scratch; the full
leave-one-speaker-out folds are in the README. The earlier log-mel model is one `--set` away
(`--set frontend='log_mel' --set num_mels=20 --set fmax=3000.0 --set normalize='utterance'
--set time_stride=3`; see docs/speech_experiments.md for how it was tuned). Training draws new
speed (0.85-1.15), gain and noise perturbations every epoch, and SpecAugment masks inside the
model (on the embeddings); the learning rate warms up, then follows a cosine over the run
(`--epochs` stretches it).

Every example carries its speaker's id (`with_speakers`), so that `--set speaker_adversary=1.0`
trains a speaker adversary through a gradient reversal on the first recurrent layer (off by
default: with the log-mel front end, over the five folds and two seeds, 7.88% mean CER against
8.41% without, but better in only 5 of the 10 fold-seed pairs; see docs/speech_experiments.md).
The best epoch by validation CER is kept. Scores: test CER and WER of greedy decoding, and of a
beam search restricted to the ten digit words (`lexicon_cer`).

Offline: `--manual-dir ../shared/data/fsdd/recordings` (a folder of FSDD WAV files). Speakers
the model never heard: `--set dataset=spoken_digit_strings/holdout_theo` (train on four
speakers, test on the fifth; the validation split then holds unseen clips of the four).
"""

from recipes._speech import (
    DIGITS,
    plot_transcripts,
    scores,
    speech_callbacks,
    with_speakers,
)
from zoo.data.audio import augment_waveform
from zoo.datasets.fsdd.files import SPEAKERS
from zoo.models.speech import make_speech_examples
from zoo.recipe import fixed_by_preprocess
from zoo.training import Recipe, main

PREPROCESS = make_speech_examples(speakers=SPEAKERS)

RECIPE = Recipe(
    name="spoken_digit_strings_ctc",
    model="ctc_speech",
    dataset="spoken_digit_strings/all",
    task="ctc",
    model_kwargs=dict(
        frontend="speech_embedding",
        time_stride=4,
        units=128,
        num_layers=3,
        dropout=0.1,
        learning_rate=2e-3,
        speaker_adversary=0.0,  # `--set speaker_adversary=1.0` turns it on (see the docstring)
        num_speakers=len(SPEAKERS),
        adversary_layer=0,
    ),
    description="FSDD digit strings, waveform to text: pretrained speech embedding, 3 x BiGRU, CTC",
    examples=with_speakers,
    preprocess=PREPROCESS,
    augment=augment_waveform(speed=(0.85, 1.15), gain_db=(-6.0, 6.0), noise_snr_db=(15.0, 40.0)),
    callbacks=speech_callbacks(warmup_steps=150),
    check_model=fixed_by_preprocess(vocabulary=PREPROCESS.vocabulary),
    epochs=6,
    batch_size=32,
    buckets=8,
    monitor="val_cer",
    evaluate=scores(lexicon=DIGITS),
    plot=plot_transcripts,
    plot_name="transcripts.png",
)

if __name__ == "__main__":
    main(RECIPE)
