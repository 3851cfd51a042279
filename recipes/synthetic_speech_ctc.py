"""Synthetic digit strings spoken by eSpeak NG: the offline CTC speech demo for any machine.

`synthetic_speech/digits` speaks 1-7 digit strings ("four two nine") with many eSpeak NG voices,
pitches and speeds (test voices never heard in training), generated locally from the
`espeakng-loader` wheel (`pip install "rnn-zoo[speech]"`). The augmentation, schedule and scores
are those of `spoken_digit_strings_ctc` (test CER and WER, greedy and constrained to the ten
digit words); the model is the one that recipe used before it took the pretrained speech
embedding: a log-mel front end learnt from scratch (20 bands to 4 kHz, one scale per utterance,
two convolutions with time stride 3), 3 × BiGRU(128). No download, no manual folder and no
pretrained weights needed.
"""

import dataclasses

from recipes.spoken_digit_strings_ctc import RECIPE as REAL_SPEECH
from zoo.training import main

RECIPE = dataclasses.replace(
    REAL_SPEECH,
    name="synthetic_speech_ctc",
    dataset="synthetic_speech/digits",
    model_kwargs={
        **{k: v for k, v in REAL_SPEECH.model_kwargs.items() if k != "frontend"},
        "num_mels": 20,
        "normalize": "utterance",
        "time_stride": 3,
        "conv_filters": 32,
    },
    description="eSpeak NG digit strings (offline), waveform to text: log-mel, conv, BiGRU, CTC",
)

if __name__ == "__main__":
    main(RECIPE)
