import doctest
import functools
import pathlib

import numpy as np
import pytest
import tensorflow_datasets as tfds

from zoo.datasets.fsdd import files
from zoo.datasets.fsdd.fsdd_dataset_builder import split_clips
from zoo.datasets.spoken_digit_strings import spoken_digit_strings_dataset_builder as sds
from zoo.datasets.spoken_digit_strings.spoken_digit_strings_dataset_builder import (
    Builder,
    SpokenDigitStringsConfig,
    background,
    compose,
)

DATA = pathlib.Path(__file__).parent / "data" / "fsdd"  # george, jackson, theo; index 0, 5, 10
SPLITS = ("train", "validation", "test")
SIZES = {"num_train": 12, "num_validation": 4, "num_test": 6}
MS = 8  # samples per ms


def _config(name, **kwargs):
    return SpokenDigitStringsConfig(name=name, **{**SIZES, "seed": 3, **kwargs})


def _prepare(config, data_dir, manual_dir=DATA):
    builder = tfds.builder("spoken_digit_strings", config=config, data_dir=str(data_dir))
    download_config = tfds.download.DownloadConfig(manual_dir=str(manual_dir))
    builder.download_and_prepare(download_config=download_config)
    return builder


def _load(builder):
    return {split: list(tfds.as_numpy(builder.as_dataset(split=split))) for split in SPLITS}


@pytest.fixture(scope="module")
def tiny(tfds_data_dir):
    out = {}
    for name, speakers in (("tiny_all", ()), ("tiny_holdout_theo", ("theo",))):
        builder = _prepare(_config(name, test_speakers=speakers), tfds_data_dir)
        out[speakers] = builder, _load(builder)
    return out


@functools.cache
def _samples(path):
    return files.read_wav(path)


def _find_clips(audio, speaker, digits, pool):
    """Finds each digit's recording in the audio, in order; returns the clips and their spans."""
    found, position = [], 0
    for k, digit in enumerate(digits):
        low, high = (0, 150 * MS) if k == 0 else (50 * MS, 300 * MS)
        match = None
        for clip in pool:
            if (clip.speaker, clip.digit) != (speaker, digit):
                continue
            x = _samples(clip.path)
            window = audio[position + low : position + high + 1]
            for offset in np.flatnonzero(window == x[0]):
                start = position + low + int(offset)
                if np.array_equal(audio[start : start + len(x)], x):
                    match = clip, (start, start + len(x))
                    break
            if match:
                break
        assert match, f"recording {k} ({digit}) of {speaker} not found in its place"
        found.append(match)
        position = match[1][1]
    assert 0 <= len(audio) - position <= 150 * MS  # the tail
    return found


def test_registered_with_configs():
    assert "spoken_digit_strings" in tfds.list_builders()
    names = [c.name for c in Builder.BUILDER_CONFIGS]
    assert names == ["all"] + [f"holdout_{s}" for s in files.SPEAKERS] + ["tiny"]
    assert Builder.DEFAULT_CONFIG_NAME == "all"
    default = Builder.BUILDER_CONFIGS[0]
    assert default.test_speakers == () and default.seed == 0
    assert (default.num_train, default.num_validation, default.num_test) == (6000, 300, 500)
    assert (default.min_digits, default.max_digits) == (1, 7)
    assert (default.pause_ms, default.edge_ms) == ((50, 300), (0, 150))
    assert Builder.BUILDER_CONFIGS[3].test_speakers == ("lucas",)


def test_info(tiny):
    builder, _ = tiny[()]
    info = builder.info
    assert info.supervised_keys == ("audio", "text")
    assert info.features["audio"].sample_rate == 8000
    assert info.features["audio"].np_dtype == np.int16
    assert info.features["digits"].np_dtype == np.int32
    assert {k: v.num_examples for k, v in info.splits.items()} == {
        "train": 12,
        "validation": 4,
        "test": 6,
    }
    assert "6000" in info.description and "CC BY-SA 4.0" in info.description


@pytest.mark.parametrize("speakers", [(), ("theo",)])
def test_strings_are_the_split_recordings_in_order(tiny, speakers):
    _, data = tiny[speakers]
    pools = split_clips(files.find_clips(DATA), speakers)
    for split in SPLITS:
        for example in data[split]:
            digits = example["digits"].tolist()
            speaker = example["speaker"].decode()
            assert 1 <= len(digits) <= 7 and set(digits) <= set(range(10))
            assert example["text"].decode() == " ".join(files.DIGIT_NAMES[d] for d in digits)
            audio = example["audio"]
            assert audio.dtype == np.int16
            found = _find_clips(audio, speaker, digits, pools[split])  # only this split's pool
            spans = [span for _, span in found]
            length = sum(e - s for s, e in spans)
            gaps = [audio[: spans[0][0]], audio[spans[-1][1] :]]
            gaps += [audio[e0:s1] for (_, e0), (s1, _) in zip(spans, spans[1:], strict=False)]
            assert length + sum(len(g) for g in gaps) == len(audio)
            for (_, e0), (s1, _) in zip(spans, spans[1:], strict=False):
                assert 50 * MS <= s1 - e0 <= 300 * MS
            for gap in gaps:
                if len(gap) >= 50:  # a noise-filled pause: not silence, yet quieter than speech
                    assert np.count_nonzero(gap) > 0.5 * len(gap)
                    assert gap.astype(float).std() < audio.astype(float).std()
    if speakers:
        assert {e["speaker"].decode() for e in data["test"]} == {"theo"}
        for split in ("train", "validation"):
            assert "theo" not in {e["speaker"].decode() for e in data[split]}


def test_pause_noise_matches_the_neighbours_background(tiny):
    _, data = tiny[("theo",)]
    pools = split_clips(files.find_clips(DATA), ("theo",))
    example = max(data["test"], key=lambda e: len(e["digits"]))
    found = _find_clips(example["audio"], "theo", example["digits"].tolist(), pools["test"])
    (clip0, (_, end0)), (clip1, (start1, _)) = found[0], found[1]
    levels = [background(_samples(c.path)) for c in (clip0, clip1)]
    gap = example["audio"][end0:start1].astype(float)
    expected_std = max(1.0, np.sqrt(np.mean([s**2 for _, s in levels])))
    assert 0.7 < gap.std() / expected_std < 1.3
    assert abs(gap.mean() - np.mean([m for m, _ in levels])) < 0.3 * expected_std + 1


def test_seeded_bit_for_bit(tiny, tmp_path):
    builder, _ = tiny[("theo",)]
    again = _prepare(_config("tiny_holdout_theo", test_speakers=("theo",)), tmp_path / "a")
    first = sorted(pathlib.Path(builder.data_dir).glob("*.tfrecord*"))
    second = sorted(pathlib.Path(again.data_dir).glob("*.tfrecord*"))
    assert [p.name for p in first] == [p.name for p in second] and first
    for a, b in zip(first, second, strict=True):
        assert a.read_bytes() == b.read_bytes()
    other = _prepare(_config("tiny_seed4", test_speakers=("theo",), seed=4), tmp_path / "b")
    texts = [e["text"] for e in _load(other)["train"]]
    assert texts != [e["text"] for e in _load(builder)["train"]]


def test_compose_pauses_are_never_digital_silence():
    clip = np.full(400, 300, np.int16)
    rng = np.random.default_rng(0)
    audio, spans = compose([clip] * 3, [(0.0, 0.0), (-200.0, 0.0), (0.0, 0.0)], rng)
    assert [e - s for s, e in spans] == [400] * 3
    pause = audio[spans[0][1] : spans[1][0]]
    assert np.count_nonzero(pause) > 0.5 * len(pause)  # MIN_NOISE_STD even after clean clips
    assert -120 < pause.mean() < -80  # the DC offset of the neighbours, averaged
    audio_b, _ = compose(
        [clip] * 3, [(0.0, 0.0), (-200.0, 0.0), (0.0, 0.0)], np.random.default_rng(0)
    )
    np.testing.assert_array_equal(audio, audio_b)


def test_unknown_held_out_speaker(tmp_path):
    config = _config("tiny_lucas", test_speakers=("lucas",))
    with pytest.raises(
        ValueError, match="'lucas' is not in the FSDD source.*george, jackson, theo"
    ):
        _prepare(config, tmp_path)
    builder = tfds.builder("spoken_digit_strings/holdout_lucas", data_dir=str(tmp_path))
    with pytest.raises(ValueError, match="lucas"):
        builder.download_and_prepare(
            download_config=tfds.download.DownloadConfig(manual_dir=str(DATA))
        )


def test_manual_dir_without_fsdd_files(tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    (manual / "README.md").write_text("no recordings here")
    with pytest.raises(ValueError, match="holds no FSDD recordings"):
        _prepare(_config("tiny_empty"), tmp_path / "data", manual)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"num_train": 0}, "num_train must be a positive int, got 0"),
        ({"num_train": True}, "num_train must be a positive int, got True"),
        ({"seed": -1}, "seed must be a non-negative int, got -1"),
        ({"min_digits": 3, "max_digits": 2}, "max_digits must be an int >= min_digits"),
        ({"pause_ms": (300, 50)}, "pause_ms must satisfy"),
        ({"edge_ms": (0,)}, "edge_ms must be two ints"),
        ({"test_speakers": "theo"}, "test_speakers must be a tuple"),
    ],
)
def test_bad_config(kwargs, message):
    with pytest.raises(ValueError, match=message):
        _config("bad", **kwargs)


def test_docstring_examples():
    result = doctest.testmod(sds, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_background_of_no_samples_is_an_error_not_nan():
    with pytest.raises(ValueError, match="samples must hold at least one sample, got 0"):
        sds.background(np.zeros(0, np.int16))
