import doctest
import pathlib
import re
import sys

import numpy as np
import pytest
import tensorflow_datasets as tfds

from zoo.datasets.fsdd.files import BytesAudio
from zoo.datasets.synthetic_speech import espeak
from zoo.datasets.synthetic_speech import synthetic_speech_dataset_builder as ssb
from zoo.datasets.synthetic_speech.espeak import speak, voices
from zoo.datasets.synthetic_speech.synthetic_speech_dataset_builder import (
    TEST_VARIANTS,
    TRAIN_VARIANTS,
    WORDS,
    Builder,
    SyntheticSpeechConfig,
    synthesize_example,
)

TEXT = "four two nine seven"
SPLITS = ("train", "validation", "test")
TINY = dict(num_train=12, num_validation=4, num_test=6, seed=3)


def _rms(audio):
    return float(np.sqrt(np.mean(audio.astype(np.float64) ** 2)))


def _variant(speaker):
    voice = speaker.split(",")[0]
    assert voice in voices()
    return voice.partition("+")[2]


def _prepare(data_dir, **kwargs):
    builder = Builder(config=SyntheticSpeechConfig(name="t", **kwargs), data_dir=str(data_dir))
    builder.download_and_prepare()
    out = {}
    for split in SPLITS:
        examples = tfds.as_numpy(builder.as_dataset(split=split))
        out[split] = [
            {
                "audio": e["audio"],
                "text": e["text"].decode(),
                "speaker": e["speaker"].decode(),
                "digits": e["digits"],
            }
            for e in examples
        ]
    return builder, out


@pytest.fixture(scope="module")
def tiny(tfds_data_dir):
    return _prepare(tfds_data_dir, **TINY)


# speak() and voices()


def test_speak_gives_int16_mono_speech():
    audio = speak(TEXT)
    assert audio.dtype == np.int16 and audio.ndim == 1
    assert 0.8 < len(audio) / 8000 < 2.5
    assert _rms(audio) > 500


def test_duration_grows_with_text_and_shrinks_with_rate():
    one, six = speak("one"), speak("one two three four five six")
    assert len(six) > 2.5 * len(one)
    slow, fast = speak(TEXT, rate=100), speak(TEXT, rate=300)
    assert len(fast) < 0.6 * len(slow)


def test_resampling_gives_the_requested_rate():
    native = speak(TEXT, sample_rate=espeak.NATIVE_SAMPLE_RATE)
    for rate in (8000, 16000):
        ratio = len(speak(TEXT, sample_rate=rate)) / len(native)
        assert ratio == pytest.approx(rate / espeak.NATIVE_SAMPLE_RATE, rel=1e-3)


def test_speak_is_deterministic_whatever_came_before():
    first = speak(TEXT, voice="en-gb+f2", pitch=30, rate=200)
    speak("something else entirely", voice="en-029+croak", pitch=90, rate=400)
    speak("one", voice="en-us+caleb")  # Klatt noise: libc's rand()
    np.testing.assert_array_equal(speak(TEXT, voice="en-gb+f2", pitch=30, rate=200), first)
    assert not np.array_equal(speak(TEXT, voice="en-gb+f2", pitch=60, rate=200), first)
    for voice in ("en-us+whisper", "en-us+caleb", "en-gb-scotland+m1"):
        np.testing.assert_array_equal(speak(TEXT, voice=voice), speak(TEXT, voice=voice))


def test_voices_list_accents_and_variants_that_all_speak():
    names = voices()
    assert len(names) == len(set(names)) == len(espeak.ACCENTS) * (1 + len(espeak.VARIANTS))
    assert {"en-us", "en-gb", "en-gb-scotland", "en-029", "en-us+m3", "en-gb+f2"} <= set(names)
    checked = list(espeak.ACCENTS) + [f"en-gb+{v}" for v in espeak.VARIANTS]
    for voice in checked:
        audio = speak("seven", voice=voice)
        assert 0.2 < len(audio) / 8000 < 1.5 and _rms(audio) > 300, voice


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"text": ""}, "text must be a non-empty string, got ''"),
        ({"text": "  "}, "text must be a non-empty string"),
        ({"text": "four\x00 two"}, "text must not hold NUL characters"),
        ({"text": "four \ud800"}, "text must be encodable as UTF-8"),
        ({"pitch": 100}, "pitch must be an int from 0 to 99, got 100"),
        ({"pitch": -1}, "pitch must be an int from 0 to 99, got -1"),
        ({"pitch": 50.5}, "pitch must be an int"),
        ({"rate": 79}, "rate must be an int from 80 to 450, got 79"),
        ({"rate": 451}, "rate must be an int from 80 to 450, got 451"),
        ({"pitch_range": 101}, "pitch_range must be an int from 0 to 100, got 101"),
        ({"sample_rate": 0}, "sample_rate must be an int from 8000 to 48000 \\(Hz\\), got 0"),
        ({"sample_rate": 1}, "sample_rate must be an int from 8000 to 48000 \\(Hz\\), got 1"),
        ({"sample_rate": 7999}, "got 7999"),
        ({"sample_rate": 96000}, "got 96000"),
        ({"sample_rate": 8000.0}, "sample_rate must be an int from 8000 to 48000"),
        ({"voice": "en-usa"}, "voice must be one of voices.*got 'en-usa'.*Did you mean 'en-us'"),
        ({"voice": "en-us+m33"}, "got 'en-us\\+m33'.*Did you mean 'en-us\\+m3'"),
        ({"voice": "fr-fr"}, "voice must be one of voices"),
    ],
)
def test_speak_bad_arguments(kwargs, message):
    kwargs = {"text": TEXT, **kwargs}
    with pytest.raises(ValueError, match=message):
        speak(**kwargs)


def test_missing_espeak_says_how_to_install(monkeypatch):
    monkeypatch.setattr(espeak, "_engine", None)
    monkeypatch.setitem(sys.modules, "espeakng_loader", None)
    with pytest.raises(ImportError, match=re.escape('pip install "rnn-zoo[speech]"')):
        speak(TEXT)


@pytest.mark.parametrize("module", [espeak, ssb])
def test_docstring_examples(module):
    flags = doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    result = doctest.testmod(module, optionflags=flags, verbose=False)
    assert result.failed == 0 and result.attempted > 0


# The builder


def test_registered_with_configs():
    assert "synthetic_speech" in tfds.list_builders()
    assert [c.name for c in Builder.BUILDER_CONFIGS] == ["digits", "tiny"]
    assert Builder.DEFAULT_CONFIG_NAME == "digits"
    digits = Builder.BUILDER_CONFIGS[0]
    assert (digits.num_train, digits.num_validation, digits.num_test) == (3000, 200, 300)
    assert digits.sample_rate == 8000 and digits.texts is None


def test_voice_split_constants():
    assert set(TEST_VARIANTS).isdisjoint(TRAIN_VARIANTS)
    assert set(TEST_VARIANTS) | set(TRAIN_VARIANTS) == {"", *espeak.VARIANTS}
    assert {"iven", "iven2", "steph", "steph3", "edward", "edward2"} <= set(TEST_VARIANTS)


def test_info(tiny):
    builder, _ = tiny
    assert builder.info.supervised_keys == ("audio", "text")
    assert {k: v.num_examples for k, v in builder.info.splits.items()} == {
        "train": 12,
        "validation": 4,
        "test": 6,
    }
    audio = builder.info.features["audio"]
    assert audio.sample_rate == 8000 and audio.shape == (None,) and audio.np_dtype == np.int16


def test_audio_is_stored_as_int16_bytes_and_decodes_to_the_samples_synthesised(tiny):
    builder, data = tiny
    assert isinstance(builder.info.features["audio"], BytesAudio)
    config = SyntheticSpeechConfig(name="t", **TINY)
    samples = 0
    for split in SPLITS:
        made = [synthesize_example(config, split, i) for i in range(len(data[split]))]
        expected = {(m["speaker"], m["text"]): m["audio"] for m in made}  # records are shuffled
        assert len(expected) == len(data[split])
        for e in data[split]:
            np.testing.assert_array_equal(e["audio"], expected[e["speaker"], e["text"]])
            samples += len(e["audio"])
    stored = sum(f.stat().st_size for f in pathlib.Path(builder.data_dir).glob("*.tfrecord*"))
    assert stored < 2.3 * samples  # 2 bytes a sample (an int64 list took about 5.5)


def test_examples_are_noisy_digit_strings(tiny):
    _, data = tiny
    for examples in data.values():
        for e in examples:
            audio, digits = e["audio"], e["digits"]
            assert audio.dtype == np.int16 and audio.ndim == 1 and len(audio) > 0.3 * 8000
            lead_in = audio[:400]  # >= 50 ms of silence, with noise: not digital zero
            assert np.mean(lead_in == 0) < 0.25 and _rms(lead_in) < 0.1 * _rms(audio)
            assert digits.dtype == np.int32 and 1 <= len(digits) <= 7
            assert e["text"] == " ".join(WORDS[d] for d in digits)
            assert re.fullmatch(r"[a-z']+( [a-z']+)*", e["text"])
            assert re.fullmatch(r"[^,]+,pitch=\d+,rate=\d+,range=\d+", e["speaker"])


def test_split_by_voice_never_leaks(tiny):
    _, data = tiny
    heard = {_variant(e["speaker"]) for s in ("train", "validation") for e in data[s]}
    tested = {_variant(e["speaker"]) for e in data["test"]}
    assert heard <= set(TRAIN_VARIANTS) and tested <= set(TEST_VARIANTS)
    assert heard.isdisjoint(tested)
    # Voices, pitches and rates vary within a split.
    assert len({e["speaker"] for e in data["train"]}) == len(data["train"])


def test_seeded_determinism(tiny, tmp_path):
    _, first = tiny
    _, again = _prepare(tmp_path / "again", **TINY)
    for split in SPLITS:
        assert [e["speaker"] for e in again[split]] == [e["speaker"] for e in first[split]]
        assert [e["text"] for e in again[split]] == [e["text"] for e in first[split]]
        for a, b in zip(again[split], first[split], strict=True):
            np.testing.assert_array_equal(a["audio"], b["audio"])
    config = SyntheticSpeechConfig(name="x", **TINY)
    other = SyntheticSpeechConfig(name="x", **{**TINY, "seed": 4})
    assert (
        synthesize_example(config, "train", 0)["speaker"]
        != (synthesize_example(other, "train", 0)["speaker"])
    )


def test_sample_rate_and_texts_config():
    config = SyntheticSpeechConfig(
        name="s", sample_rate=16000, texts=("Hello  World", "don't stop", "Four TWO")
    )
    assert config.texts == ("hello world", "don't stop", "four two")
    examples = [synthesize_example(config, "test", i) for i in range(3)]
    assert [e["text"] for e in examples] == list(config.texts)
    assert [e["digits"].tolist() for e in examples] == [[], [], [4, 2]]
    assert len(examples[0]["audio"]) / 16000 > 0.5


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"texts": ("Hello, world!",)}, "letters a-z, apostrophes and spaces.*'!', ','"),
        ({"texts": ("café",)}, "'é'"),
        ({"texts": ("   ",)}, "at least one word"),
        ({"texts": ()}, "texts must be None or a non-empty tuple of strings"),
        ({"texts": "hello"}, "texts must be None or a non-empty tuple of strings"),
        ({"num_train": 0}, "num_train must be a positive int, got 0"),
        ({"num_test": 2.5}, "num_test must be a positive int, got 2.5"),
        (
            {"sample_rate": -8000},
            "sample_rate must be an int from 8000 to 48000 \\(Hz\\), got -8000",
        ),
        ({"sample_rate": 1}, "sample_rate must be an int from 8000 to 48000 \\(Hz\\), got 1"),
        ({"sample_rate": 100}, "got 100"),
        ({"sample_rate": 96000}, "got 96000"),
        ({"seed": -1}, "seed must be an int >= 0, got -1"),
    ],
)
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        SyntheticSpeechConfig(name="bad", **kwargs)


@pytest.mark.parametrize(
    "text, message",
    [
        ("Mr Smith", "'mr' in 'Mr Smith' has no vowel: eSpeak reads it as an abbreviation"),
        ("dr who", "'dr' in 'dr who' has no vowel"),
        ("st john", "'st' in 'st john' has no vowel"),
        ("the ltd company", "'ltd'.*has no vowel"),
        ("'", 'every word needs a letter a-z, got "\'"'),
        ("''' '''", "every word needs a letter"),
        ("king george iii", "'iii' in 'king george iii' is read by eSpeak as a Roman numeral"),
        ("chapter iv", "'iv'.*Roman numeral"),
        ("apples etc", "eSpeak expands the abbreviation 'etc'"),
        ("fruit eg apples", "expands the abbreviation 'eg'"),
    ],
)
def test_texts_that_espeak_does_not_say_as_written_are_refused(text, message):
    with pytest.raises(ValueError, match=message):
        SyntheticSpeechConfig(name="bad", texts=(text,))


def test_texts_of_words_said_as_written_are_kept():
    texts = ("Mister Smith", "plan b", "i saw a lynx", "don't stop", "a rhythm", "mix it")
    config = SyntheticSpeechConfig(name="ok", texts=texts)
    assert config.texts == (
        "mister smith", "plan b", "i saw a lynx", "don't stop", "a rhythm", "mix it"
    )  # fmt: skip


def test_bad_split():
    with pytest.raises(ValueError, match="split must be one of"):
        synthesize_example(SyntheticSpeechConfig(name="x"), "dev", 0)
