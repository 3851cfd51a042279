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
from zoo.recipe import RecipeError
from zoo.training import main


def check_model(model):
    """The real-speech recipe's check, and no speaker adversary (it would learn nothing here).

    The preprocessing names the FSDD speakers; eSpeak's voices are none of them, so every
    example's speaker id would be -1 (unknown) and the adversary would train on nothing.

    Example:
        >>> from zoo.models.speech import ctc_speech
        >>> check_model(ctc_speech(units=4, num_layers=1, speaker_adversary=1.0,
        ...                        num_speakers=5, compile=False))
        Traceback (most recent call last):
        ...
        zoo.recipe.RecipeError: --set speaker_adversary=1.0: ...
    """
    REAL_SPEECH.check_model(model)
    if model.speaker_adversary:
        raise RecipeError(
            f"--set speaker_adversary={model.speaker_adversary}: synthetic_speech_ctc has no "
            "speaker ids for it (its preprocessing names the FSDD speakers, which eSpeak's "
            "voices are not: every example's id would be -1 and the adversary would learn "
            "nothing); leave it 0, or use it with spoken_digit_strings_ctc."
        )


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
    check_model=check_model,
)

if __name__ == "__main__":
    main(RECIPE)
