import doctest
import pathlib
import types
import warnings

import numpy as np
import pytest
import scipy.io.wavfile
import tensorflow_datasets as tfds

from zoo.datasets.fsdd import files, fsdd_dataset_builder
from zoo.datasets.fsdd.fsdd_dataset_builder import Builder, FsddConfig, split_clips

DATA = pathlib.Path(__file__).parent / "data" / "fsdd"  # george, jackson, theo; index 0, 5, 10
SPLITS = ("train", "validation", "test")


def _prepare(name, data_dir, manual_dir=DATA):
    builder = tfds.builder(name, data_dir=str(data_dir))
    config = tfds.download.DownloadConfig(manual_dir=str(manual_dir))
    builder.download_and_prepare(download_config=config)
    return builder


def _load(name, data_dir):
    out = {}
    for split in SPLITS:
        ds = tfds.load(name, data_dir=str(data_dir), split=split)
        out[split] = list(tfds.as_numpy(ds))
    return out


@pytest.fixture(scope="module")
def prepared(tfds_data_dir):
    out = {}
    for config in ("all", "holdout_theo"):
        builder = _prepare(f"fsdd/{config}", tfds_data_dir)
        out[config] = builder, _load(f"fsdd/{config}", tfds_data_dir)
    return out


def _ids(examples):
    return {(int(e["label"]), e["speaker"].decode(), int(e["index"])) for e in examples}


def test_registered_with_configs():
    assert "fsdd" in tfds.list_builders()
    names = [c.name for c in Builder.BUILDER_CONFIGS]
    assert names == ["all"] + [f"holdout_{s}" for s in files.SPEAKERS]
    assert "holdout_lucas" in names
    assert [c.test_speakers for c in Builder.BUILDER_CONFIGS] == [()] + [
        (s,) for s in files.SPEAKERS
    ]
    assert Builder.DEFAULT_CONFIG_NAME == "all"


def test_info(prepared):
    builder, _ = prepared["all"]
    info = builder.info
    assert info.supervised_keys == ("audio", "label")
    audio = info.features["audio"]
    assert isinstance(audio, tfds.features.Audio)
    assert audio.sample_rate == 8000 and audio.shape == (None,) and audio.np_dtype == np.int16
    assert info.features["label"].names == list(files.DIGIT_NAMES)
    assert info.features["index"].np_dtype == np.int32
    assert "Jackson" in info.citation and "CC BY-SA 4.0" in info.description


def test_all_splits_by_index(prepared):
    _, data = prepared["all"]
    expected = {"train": 10, "validation": 5, "test": 0}
    for split, index in expected.items():
        ids = _ids(data[split])
        assert len(data[split]) == len(ids) == 30
        assert {i for _, _, i in ids} == {index}
        assert {s for _, s, _ in ids} == {"george", "jackson", "theo"}
        assert {d for d, _, _ in ids} == set(range(10))


def test_holdout_speaker_never_leaks(prepared):
    _, data = prepared["holdout_theo"]
    ids = {split: _ids(data[split]) for split in SPLITS}
    assert {s for _, s, _ in ids["test"]} == {"theo"}
    assert len(ids["test"]) == 30  # every clip of theo
    for split in ("train", "validation"):
        assert {s for _, s, _ in ids[split]} == {"george", "jackson"}
    assert {i for _, _, i in ids["train"]} == {5, 10}
    assert {i for _, _, i in ids["validation"]} == {0}
    assert [len(ids[s]) for s in SPLITS] == [40, 20, 30]
    assert not (ids["train"] & ids["validation"])


def test_audio_decodes_to_the_wav_samples(prepared):
    _, data = prepared["all"]
    for example in data["test"]:
        name = f"{example['label']}_{example['speaker'].decode()}_{example['index']}.wav"
        rate, expected = scipy.io.wavfile.read(DATA / name)
        assert rate == 8000 and example["audio"].dtype == np.int16
        np.testing.assert_array_equal(example["audio"], expected)


def _clips(speakers=files.SPEAKERS, indices=range(50)):
    return [
        files.Clip(s, d, i, f"{d}_{s}_{i}.wav")
        for s in speakers
        for d in range(10)
        for i in indices
    ]


def test_split_rules_on_the_full_dataset():
    clips = _clips()
    splits = split_clips(clips)
    assert [len(splits[s]) for s in SPLITS] == [2400, 300, 300]
    assert {c.index for c in splits["test"]} == set(range(5))
    assert {c.index for c in splits["validation"]} == set(range(5, 10))
    assert {c.index for c in splits["train"]} == set(range(10, 50))
    splits = split_clips(clips, ("lucas", "theo"))
    assert {c.speaker for c in splits["test"]} == {"lucas", "theo"}
    assert [len(splits[s]) for s in SPLITS] == [4 * 450, 4 * 50, 2 * 500]
    for split in ("train", "validation"):
        assert not {c.speaker for c in splits[split]} & {"lucas", "theo"}
    assert {c.index for c in splits["validation"]} == set(range(5))
    assert sum(len(v) for v in splits.values()) == len({c.key for c in clips}) == 3000


def test_split_rules_errors():
    clips = _clips(("george", "theo"), (0, 5))
    with pytest.raises(ValueError, match="'lucas' is not in the FSDD source.*george, theo"):
        split_clips(clips, ("lucas",))
    with pytest.raises(ValueError, match="holds out every speaker"):
        split_clips(clips, ("george", "theo"))
    with pytest.raises(ValueError, match="test_speakers must be a tuple of speaker names"):
        FsddConfig(name="bad", test_speakers="theo")
    assert FsddConfig(name="list", test_speakers=["theo"]).test_speakers == ("theo",)


def test_unknown_held_out_speaker(tmp_path):
    with pytest.raises(
        ValueError, match="'lucas' is not in the FSDD source.*george, jackson, theo"
    ):
        _prepare("fsdd/holdout_lucas", tmp_path)


def test_manual_dir_without_fsdd_files(tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    (manual / "digits.wav").write_bytes(b"")
    with pytest.raises(
        ValueError, match=r"holds no FSDD recordings.*\{digit\}_\{speaker\}_\{index\}"
    ):
        _prepare("fsdd/all", tmp_path / "data", manual)


def test_manual_dir_missing_a_split_says_which(tmp_path):
    manual = tmp_path / "manual"
    manual.mkdir()
    for path in DATA.glob("*_0.wav"):  # only FSDD's test indices
        (manual / path.name).write_bytes(path.read_bytes())
    with pytest.raises(ValueError, match=r"'all' config's train and validation split would be"):
        _prepare("fsdd/all", tmp_path / "data", manual)


def test_missing_manual_dir_and_failed_download_name_both(tmp_path):
    class Offline:
        _manual_dir = tmp_path / "typo"

        @property
        def manual_dir(self):
            raise AssertionError("Manual directory does not exist or is empty.")

        def download_and_extract(self, url):
            raise ConnectionError("no network")

    with pytest.raises(ValueError, match=r"manual_dir .*typo is missing or empty.*no network"):
        files.locate_clips(Offline())


def test_an_incomplete_manual_dir_is_warned_about(tmp_path):
    # A copy missing recordings built smaller splits without a word.
    for digit in range(10):
        for index in range(files.RECORDINGS_PER_DIGIT):
            (tmp_path / f"{digit}_theo_{index}.wav").write_bytes(b"")
    (tmp_path / "3_george_0.wav").write_bytes(b"")
    manual = types.SimpleNamespace(manual_dir=tmp_path)
    with pytest.warns(UserWarning, match=r"holds an incomplete FSDD: george 1 of 500 recordings"):
        clips = files.locate_clips(manual)
    assert len(clips) == 501
    (tmp_path / "3_george_0.wav").unlink()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every recording of each speaker: no warning
        assert len(files.locate_clips(manual)) == 500


def test_locate_clips_in_subfolder_or_download(tmp_path):
    recordings = tmp_path / "manual" / "fsdd" / "recordings"
    recordings.mkdir(parents=True)
    (tmp_path / "manual" / "other_dataset.zip").write_bytes(b"")
    (recordings / "3_theo_7.wav").write_bytes(b"")
    manual = types.SimpleNamespace(manual_dir=tmp_path / "manual")
    assert [c.key for c in files.locate_clips(manual)] == ["3_theo_7"]

    archive = tmp_path / "extracted" / "free-spoken-digit-dataset-1.0.10" / "recordings"
    archive.mkdir(parents=True)
    (archive / "9_lucas_49.wav").write_bytes(b"")
    urls = []

    class NoManualDir:
        @property
        def manual_dir(self):
            raise AssertionError("Manual directory does not exist or is empty.")

        def download_and_extract(self, url):
            urls.append(url)
            return tmp_path / "extracted"

    clips = files.locate_clips(NoManualDir())
    assert urls == [files.ARCHIVE_URL]
    assert [(c.digit, c.speaker, c.index) for c in clips] == [(9, "lucas", 49)]


@pytest.mark.parametrize(
    "rate, samples, message",
    [
        (16000, np.zeros(8, np.int16), "sample rate must be 8000 Hz.*got 16000"),
        (8000, np.zeros((8, 2), np.int16), "must be mono.*got 2 channels"),
        (8000, np.zeros(8, np.float32), "16-bit PCM.*float32"),
    ],
)
def test_read_wav_rejects_other_formats(tmp_path, rate, samples, message):
    path = tmp_path / "0_theo_0.wav"
    scipy.io.wavfile.write(path, rate, samples)
    with pytest.raises(ValueError, match=message):
        files.read_wav(path)


@pytest.mark.parametrize("content", [b"", b"junk"])
def test_read_wav_names_an_unreadable_file(tmp_path, content):
    path = tmp_path / "3_theo_7.wav"
    path.write_bytes(content)
    with pytest.raises(ValueError, match=r"3_theo_7.wav: not a readable WAV file"):
        files.read_wav(path)


def test_find_clips_parses_names():
    clips = files.find_clips(DATA)
    assert len(clips) == 90 and clips == sorted(clips)
    assert {(c.speaker, c.index) for c in clips} == {
        (s, i) for s in ("george", "jackson", "theo") for i in (0, 5, 10)
    }
    assert files.parse_name("10_theo_1.wav") is None and files.parse_name("1_theo.wav") is None
    assert files.find_clips(DATA / "missing") == []


@pytest.mark.parametrize("module", [files, fsdd_dataset_builder])
def test_docstring_examples(module):
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0 and result.attempted > 0


def test_read_wav_names_an_empty_recording(tmp_path):
    path = tmp_path / "4_theo_2.wav"
    scipy.io.wavfile.write(path, 8000, np.zeros(0, np.int16))
    with pytest.raises(ValueError, match=r"4_theo_2.wav: the recording is empty \(0 samples\)"):
        files.read_wav(path)


def test_a_manual_dir_given_that_is_missing_or_empty_is_refused_without_a_download(tmp_path):
    # A mistyped manual_dir was read as "no manual dir": offline 3.5 minutes of retries,
    # online the GitHub archive (six speakers) instead of the user's folder.
    class Manager:
        _download_dir = tmp_path / "downloads"

        def __init__(self, manual):
            self._manual_dir = manual

        @property
        def manual_dir(self):
            raise AssertionError("Manual directory does not exist or is empty.")

        def download_and_extract(self, url):
            raise AssertionError(f"downloaded {url}")

    (tmp_path / "empty").mkdir()
    for folder, state in (("typo", "does not exist"), ("empty", "is empty")):
        with pytest.raises(ValueError, match=rf"manual_dir .*{folder} {state}: give the folder"):
            files.locate_clips(Manager(tmp_path / folder))
    with pytest.raises(ValueError, match=r"found no FSDD recordings: manual_dir .* downloaded"):
        files.locate_clips(Manager(tmp_path / "downloads" / "manual"))  # TFDS's default: download
