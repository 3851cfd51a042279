"""TFDS builder for synthetic speech: digit strings (or given sentences) spoken by eSpeak NG.

Every example is one utterance synthesised offline by `espeak.speak()`: a voice (an English
accent, alone or with an eSpeak voice variant), a random base pitch, pitch range and speaking rate,
a random gain, 50-300 ms of silence either side and a little white noise (30-50 dB below the
speech), so that silence is not digital zero. Transcripts are lowercase words separated by single
spaces ("four two nine"), as in the real-speech `spoken_digit_strings`.

The splits are made by voice: a voice variant (a timbre) is heard in `train` and `validation` or
in `test`, never in both, so the test set measures voices never heard in training. Variants that
share their formants (the `iven`, `steph`, `edward` families) are kept on one side. Accents are
drawn at random per example: the full configs hold every accent in every split (`tiny`, of a few
examples, may miss some). Each example is drawn from its own seed (`seed`, split, index): building
twice gives identical records.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import numpy as np
import tensorflow_datasets as tfds

from zoo.datasets.fsdd import files
from zoo.datasets.synthetic_speech import espeak

BASE_SEED = 4242
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
MAX_DIGITS = 7

# Timbres held out for `test` (whole families: variants that share their formants go together).
TEST_VARIANTS = (
    *("m3", "m7", "f2", "f4", "denis", "gustave", "quincy", "belinda", "david"),
    *("iven", "iven2", "iven3", "iven4", "steph", "steph2", "steph3", "edward", "edward2"),
)
# "" is an accent's own voice, without a variant.
TRAIN_VARIANTS = ("", *(v for v in espeak.VARIANTS if v not in TEST_VARIANTS))

PITCH = (20, 80)  # espeakPITCH, 0-99 (50: the voice's own)
PITCH_RANGE = (25, 75)  # espeakRANGE, 0-100 (50: the voice's own)
RATE = (120, 260)  # words per minute (eSpeak's default: 175)
GAIN = (0.5, 1.0)
PAD_SECONDS = (0.05, 0.3)
SNR_DB = (30.0, 50.0)
NOISE_FLOOR = 4.0  # the least noise standard deviation (int16 units)

_ALLOWED = re.compile(r"[a-z' ]")
# Words that eSpeak does not read as written, so that the audio would not say the transcript:
# a word without a vowel letter is an abbreviation it expands ("mr" is said "mister", "dr"
# "doctor", "st" "saint", "ltd" "limited", "lbs" "pounds") or spells out ("nth"); two or more
# of i, v and x are a Roman numeral ("iii" is said "roman three", or "the third" after a name);
# and these few abbreviations with a vowel are expanded too. Not exhaustive: eSpeak's
# dictionary has other rare expansions.
_EXPANDED = ("dept", "eg", "etc", "ie", "tho")
_ROMAN = re.compile(r"[ivx]{2,}")
_VOWEL = re.compile(r"[aeiouy]")

_DESCRIPTION = """\
Speech synthesised offline with eSpeak NG: strings of 1 to 7 digits spoken as lowercase words
("four two nine"), or the sentences of a config's `texts`. Each utterance has its own voice (one
of 8 English accents, alone or with one of eSpeak's voice variants), base pitch, pitch range and
rate, a random gain, 50-300 ms of silence either side and white noise 30-50 dB below the speech.
Features: `audio` (int16, mono, at the config's sample rate), `text` (the transcript: lowercase
letters, apostrophes and single spaces), `speaker` ("voice,pitch=P,rate=R,range=G"), `digits`
(the digits spoken; empty for a sentence that is not all digit words).

Split by voice: the variants of `test` (m3, m7, f2, f4, denis, gustave, quincy, belinda, david and
the iven, steph and edward families) are never heard in `train` or `validation`. Seeded: building
twice gives identical records. Configs: `digits` (default; 3000/200/300 examples, 8 kHz) and
`tiny` (40/10/10).
"""


def normalize_transcript(text: str) -> str:
    """Lowercases `text`, collapses its whitespace and checks that eSpeak says it as written.

    eSpeak reads some words as other words; those are refused, since the audio would not say
    the transcript: a word of more than one letter without a vowel letter (a, e, i, o, u, y),
    which eSpeak expands as an abbreviation ("mr" is said "mister", "dr" "doctor", "st" "saint")
    or spells out; a Roman numeral of i, v and x ("iii" is said "roman three"); and the
    abbreviations "dept", "eg", "etc", "ie" and "tho". Every word needs a letter (a lone
    apostrophe is silence). The list is not exhaustive: eSpeak's dictionary knows a few rarer
    expansions.

    Args:
        text: a sentence of letters, apostrophes and spaces, in any case.

    Returns:
        The transcript: lowercase words separated by single spaces.

    Raises:
        ValueError: `text` is empty, has characters other than a-z, apostrophe and space, or a
            word that eSpeak would not say as written.

    Example:
        >>> normalize_transcript("  Don't   Panic ")
        "don't panic"
        >>> normalize_transcript("Mr Smith")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        ValueError: texts: 'mr' in 'Mr Smith' has no vowel: eSpeak reads it as an abbreviation ...
    """
    if not isinstance(text, str):
        raise ValueError(f"a text must be a string, got {text!r}.")
    normalized = " ".join(text.lower().split())
    bad = sorted({c for c in normalized if not _ALLOWED.fullmatch(c)})
    if bad:
        raise ValueError(
            f"texts may hold only letters a-z, apostrophes and spaces; {text!r} has "
            f"{', '.join(map(repr, bad))}."
        )
    if not normalized:
        raise ValueError(f"a text must have at least one word, got {text!r}.")
    for word in normalized.split(" "):
        letters = word.replace("'", "")
        if not letters:
            raise ValueError(
                f"texts: every word needs a letter a-z, got {word!r} in {text!r} "
                "(eSpeak says nothing for it)."
            )
        if len(letters) > 1 and not _VOWEL.search(letters):
            raise ValueError(
                f"texts: {word!r} in {text!r} has no vowel: eSpeak reads it as an abbreviation "
                "('mr' as 'mister', 'dr' as 'doctor') or spells it out, so the audio would not "
                "say the transcript; write the words spoken (e.g. 'mister'). Words of more than "
                "one letter need a vowel (a, e, i, o, u or y)."
            )
        if _ROMAN.fullmatch(letters):
            raise ValueError(
                f"texts: {word!r} in {text!r} is read by eSpeak as a Roman numeral "
                "('iii' as 'roman three'); write the words spoken (e.g. 'the third')."
            )
        if letters in _EXPANDED:
            raise ValueError(
                f"texts: eSpeak expands the abbreviation {word!r} in {text!r} (it does "
                f"{', '.join(map(repr, _EXPANDED))}); write the words spoken (e.g. 'et cetera')."
            )
    return normalized


def digits_of(transcript: str) -> list[int]:
    """The digits a transcript spells, or `[]` when it is not all digit words.

    Args:
        transcript: lowercase words separated by single spaces.

    Returns:
        The digits, e.g. `[4, 2, 9]` for "four two nine".

    Example:
        >>> digits_of("four two nine"), digits_of("hello world")
        ([4, 2, 9], [])
    """
    words = transcript.split(" ")
    if all(w in WORDS for w in words):
        return [WORDS.index(w) for w in words]
    return []


@dataclasses.dataclass(eq=False)
class SyntheticSpeechConfig(tfds.core.BuilderConfig):
    """Builder config for synthetic speech.

    Attributes:
        num_train: examples in `train` (voices of `TRAIN_VARIANTS`).
        num_validation: examples in `validation` (the same voices as `train`).
        num_test: examples in `test` (voices of `TEST_VARIANTS`, never heard in training).
        sample_rate: sample rate of the audio in Hz, 8000 to 48000.
        seed: seed of the whole dataset (voices, pitches, rates, texts, noise).
        texts: sentences to speak instead of digit strings (normalised by
            `normalize_transcript`); example `i` of a split says `texts[i % len(texts)]`.

    Example:
        >>> config = SyntheticSpeechConfig(
        ...     name="hello", num_train=2, num_validation=1, num_test=1, texts=("Hello  World",)
        ... )
        >>> config.texts, config.sample_rate, config.seed
        (('hello world',), 8000, 0)
        >>> SyntheticSpeechConfig(name="bad", num_train=0)
        Traceback (most recent call last):
        ...
        ValueError: num_train must be a positive int, got 0.
    """

    num_train: int = 3000
    num_validation: int = 200
    num_test: int = 300
    sample_rate: int = 8000
    seed: int = 0
    texts: tuple[str, ...] | None = None

    def __post_init__(self):
        for field in ("num_train", "num_validation", "num_test"):
            value = getattr(self, field)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{field} must be a positive int, got {value!r}.")
        self.sample_rate = espeak.check_sample_rate(self.sample_rate)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be an int >= 0, got {self.seed!r}.")
        if self.texts is not None:
            if isinstance(self.texts, str) or not self.texts:
                raise ValueError(
                    f"texts must be None or a non-empty tuple of strings, got {self.texts!r}."
                )
            self.texts = tuple(normalize_transcript(t) for t in self.texts)


def synthesize_example(
    config: SyntheticSpeechConfig, split: str, index: int
) -> dict[str, np.ndarray | str]:
    """Synthesises example `index` of `split`: a pure function of its arguments.

    Args:
        config: the dataset's config (its seed, sample rate and texts).
        split: "train", "validation" or "test" (it picks the voices).
        index: the example's index in the split.

    Returns:
        The example's features: `audio` (int16), `text`, `speaker` and `digits` (int32).

    Example:
        >>> config = SyntheticSpeechConfig(name="demo", num_train=1)
        >>> example = synthesize_example(config, "train", 0)
        >>> example["audio"].dtype, example["digits"].tolist() == digits_of(example["text"])
        (dtype('int16'), True)
    """
    if split not in _SPLIT_INDEX:
        raise ValueError(f"split must be one of {list(_SPLIT_INDEX)}, got {split!r}.")
    rng = np.random.default_rng([BASE_SEED, config.seed, _SPLIT_INDEX[split], index])
    variants = TEST_VARIANTS if split == "test" else TRAIN_VARIANTS
    accent = str(rng.choice(list(espeak.ACCENTS)))
    variant = str(rng.choice(variants))
    voice = f"{accent}+{variant}" if variant else accent
    pitch = int(rng.integers(PITCH[0], PITCH[1] + 1))
    pitch_range = int(rng.integers(PITCH_RANGE[0], PITCH_RANGE[1] + 1))
    rate = int(rng.integers(RATE[0], RATE[1] + 1))
    if config.texts:
        text = config.texts[index % len(config.texts)]
    else:
        length = int(rng.integers(1, MAX_DIGITS + 1))
        text = " ".join(WORDS[d] for d in rng.integers(0, 10, size=length))
    speech = espeak.speak(text, voice, pitch, rate, config.sample_rate, pitch_range)
    speech = speech.astype(np.float64) * rng.uniform(*GAIN)
    pad = (rng.uniform(*PAD_SECONDS, size=2) * config.sample_rate).astype(int)
    audio = np.concatenate([np.zeros(pad[0]), speech, np.zeros(pad[1])])
    rms = np.sqrt(np.mean(speech**2)) if len(speech) else 0.0
    noise_std = max(rms * 10 ** (-rng.uniform(*SNR_DB) / 20), NOISE_FLOOR)
    audio += rng.normal(0.0, noise_std, size=audio.shape)
    return {
        "audio": np.clip(np.round(audio), -32768, 32767).astype(np.int16),
        "text": text,
        "speaker": f"{voice},pitch={pitch},rate={rate},range={pitch_range}",
        "digits": np.asarray(digits_of(text), dtype=np.int32),
    }


_SPLIT_INDEX = {"train": 0, "validation": 1, "test": 2}


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for synthetic speech (offline, seeded, split by voice).

    Example:
        >>> [c.name for c in Builder.BUILDER_CONFIGS], str(Builder.VERSION), Builder.OFFLINE
        (['digits', 'tiny'], '1.1.0', 'yes')
        >>> tiny = Builder.builder_configs["tiny"]
        >>> tiny.num_train, tiny.num_validation, tiny.num_test, tiny.sample_rate
        (40, 10, 10, 8000)
    """

    VERSION = tfds.core.Version("1.1.0")
    OFFLINE = "yes"  # generated here: builds offline
    RELEASE_NOTES = {
        "1.0.0": "Initial release.",
        "1.1.0": "Audio stored as raw int16 bytes (`BytesAudio`), about 2.7 times smaller; the "
        "same samples.",
    }
    BUILDER_CONFIGS = [
        SyntheticSpeechConfig(
            name="digits", description="Digit strings: 3000/200/300 examples at 8 kHz."
        ),
        SyntheticSpeechConfig(
            name="tiny",
            num_train=40,
            num_validation=10,
            num_test=10,
            description="Digit strings: 40/10/10 examples at 8 kHz, for quick checks.",
        ),
    ]
    DEFAULT_CONFIG_NAME = "digits"

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        return tfds.core.DatasetInfo(
            builder=self,
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    # 2 bytes a sample (tfds.features.Audio stores an int64 list: see BytesAudio).
                    "audio": files.BytesAudio(
                        shape=(None,), dtype=np.int16, sample_rate=self.builder_config.sample_rate
                    ),
                    "text": tfds.features.Text(),
                    "speaker": tfds.features.Text(),
                    "digits": tfds.features.Sequence(np.int32),
                }
            ),
            supervised_keys=("audio", "text"),
            homepage="https://github.com/espeak-ng/espeak-ng",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Returns one generator per split; nothing is downloaded."""
        del dl_manager
        config = self.builder_config
        sizes = {
            "train": config.num_train,
            "validation": config.num_validation,
            "test": config.num_test,
        }
        return {split: self._generate_examples(split, n) for split, n in sizes.items()}

    def _generate_examples(self, split: str, n: int) -> Iterator[tuple[int, dict]]:
        """Yields the split's `n` utterances, keyed by index."""
        for index in range(n):
            yield index, synthesize_example(self.builder_config, split, index)
