"""Synthetic digit strings spoken by eSpeak NG: the offline CTC speech demo for any machine.

`synthetic_speech/digits` speaks 1-7 digit strings ("four two nine") with many eSpeak NG voices,
pitches and speeds (test voices never heard in training), generated locally from the
`espeakng-loader` wheel (`pip install "rnn-zoo[speech]"`). The model and training are those of
`spoken_digit_strings_ctc`; the scores are test CER and WER, greedy and constrained to the ten
digit words. No download and no manual folder needed.
"""

from recipes._speech import DIGITS, plot_transcripts, scores, speech_callbacks
from zoo.data.audio import augment_waveform
from zoo.models.speech import make_speech_examples
from zoo.training import Recipe, main

RECIPE = Recipe(
    name="synthetic_speech_ctc",
    model="ctc_speech",
    dataset="synthetic_speech/digits",
    task="ctc",
    model_kwargs=dict(
        time_stride=3, units=128, num_layers=3, conv_filters=32, dropout=0.1, learning_rate=2e-3
    ),
    description="eSpeak NG digit strings (offline), waveform to text: conv, 3 x BiGRU, CTC",
    preprocess=make_speech_examples(),
    augment=augment_waveform(),
    callbacks=speech_callbacks(warmup_steps=150),
    epochs=8,
    batch_size=32,
    buckets=8,
    monitor="val_cer",
    evaluate=scores(lexicon=DIGITS),
    plot=plot_transcripts,
    plot_name="transcripts.png",
)

if __name__ == "__main__":
    main(RECIPE)
