"""TFDS builder for spoken digit strings: FSDD recordings of one speaker, joined with pauses.

Each utterance is 1 to 7 FSDD recordings of one speaker (the number of digits drawn uniformly,
then each digit uniformly, then a recording of that digit uniformly among the split's), joined
by pauses of 50-300 ms, with a lead-in and a tail of 0-150 ms (all uniform, in whole samples).
Pauses, lead-in and tail are not digital silence: they hold Gaussian noise at the background
level of the neighbouring recordings (the mean and standard deviation of each recording's
quietest 10 ms frames, see `background`), so that a model cannot find the digit boundaries
from runs of zeros. The transcript is the spoken words: ``"four two nine"``.

Splits and configs follow the `fsdd` builder (``all`` and ``holdout_<speaker>``, see
`zoo.datasets.fsdd.fsdd_dataset_builder.split_clips`): a split's utterances are made only of
that split's recordings, so no recording and no held-out speaker leaks across splits. Default
sizes: train 6000, validation 300, test 500 utterances; with 4 digits on average an utterance
lasts about 2.3 s (0.2-6 s), so train holds about 3.8 h of audio. Seeded: a config gives the same
data bit for bit, and each utterance depends only on the seed, its split and its number.
"""

from __future__ import annotations

import dataclasses
import zlib
from collections.abc import Iterator, Sequence

import numpy as np
import tensorflow_datasets as tfds

from zoo.datasets.fsdd import files
from zoo.datasets.fsdd.fsdd_dataset_builder import FsddConfig, speaker_configs, split_clips

BASE_SEED = 2016
FRAME = files.SAMPLE_RATE // 100  # 10 ms frames for the background estimate
QUIETEST = 0.1  # the share of a recording's frames that estimates its background
MIN_NOISE_STD = 1.0  # so that a pause never rounds to all zeros, even after a clean recording

_DESCRIPTION = """\
Spoken digit strings for speech recognition (e.g. CTC): each utterance joins 1 to 7 recordings
of the Free Spoken Digit Dataset (FSDD, 8 kHz, int16) by one speaker; the number of digits is
uniform in 1..7, each digit uniform in 0..9, each recording uniform among the split's recordings
of that speaker and digit. Recordings are separated by pauses of 50-300 ms, with a lead-in and
tail of 0-150 ms, filled with Gaussian noise at the background level (mean and standard
deviation of the quietest 10 ms frames) of the neighbouring recordings, never digital silence.
Features: `audio` (int16, 8 kHz), `text` (the spoken words, lowercase, space-separated: "four
two nine"), `speaker`, `digits` (int32).

Configs and split rules follow the `fsdd` dataset: `all` (default; every speaker, recordings
index 10-49 train, 5-9 validation, 0-4 test) and `holdout_<speaker>` (test: that speaker only;
train: the others' index 5-49; validation: their index 0-4). A split's utterances use only that
split's recordings. Sizes: train 6000, validation 300, test 500 utterances (about 2.3 s each
on average, 3.8 h of training audio). Generated from a seed: the same config gives the same
data bit for bit. Licence: CC BY-SA 4.0 (FSDD).
"""


@dataclasses.dataclass(eq=False)
class SpokenDigitStringsConfig(FsddConfig):
    """Builder config for spoken digit strings.

    Attributes:
        test_speakers: the held-out speakers (empty: split every speaker by recording index).
        num_train: utterances in train.
        num_validation: utterances in validation.
        num_test: utterances in test.
        min_digits: the fewest digits in an utterance (at least 1).
        max_digits: the most digits in an utterance.
        pause_ms: the shortest and longest pause between two recordings, in ms.
        edge_ms: the shortest and longest lead-in (and tail), in ms.
        seed: the seed of every random draw.

    Example:
        >>> config = SpokenDigitStringsConfig(
        ...     name="short", num_train=10, pause_ms=[20, 100], test_speakers=("theo",)
        ... )
        >>> config.num_train, config.num_test, config.pause_ms, config.test_speakers
        (10, 500, (20, 100), ('theo',))
        >>> SpokenDigitStringsConfig(name="bad", min_digits=3, max_digits=2)
        Traceback (most recent call last):
        ...
        ValueError: max_digits must be an int >= min_digits (3), got 2
    """

    num_train: int = 6000
    num_validation: int = 300
    num_test: int = 500
    min_digits: int = 1
    max_digits: int = 7
    pause_ms: tuple[int, int] = (50, 300)
    edge_ms: tuple[int, int] = (0, 150)
    seed: int = 0

    def __post_init__(self):
        super().__post_init__()
        for name in ("num_train", "num_validation", "num_test", "min_digits"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"{name} must be a positive int, got {value!r}")
        if (
            isinstance(self.max_digits, bool)
            or not isinstance(self.max_digits, int)
            or self.max_digits < self.min_digits
        ):
            raise ValueError(
                f"max_digits must be an int >= min_digits ({self.min_digits}), "
                f"got {self.max_digits!r}"
            )
        for name in ("pause_ms", "edge_ms"):
            value = tuple(getattr(self, name))
            if len(value) != 2 or not all(
                isinstance(v, int) and not isinstance(v, bool) for v in value
            ):
                raise ValueError(f"{name} must be two ints (shortest, longest), got {value!r}")
            if not 0 <= value[0] <= value[1]:
                raise ValueError(f"{name} must satisfy 0 <= shortest <= longest, got {value!r}")
            setattr(self, name, value)
        if isinstance(self.seed, bool) or not isinstance(self.seed, int) or self.seed < 0:
            raise ValueError(f"seed must be a non-negative int, got {self.seed!r}")


def background(samples: np.ndarray) -> tuple[float, float]:
    """Estimates a recording's background: the mean and std of its quietest 10 ms frames.

    The quietest 10% of the frames (at least one), by standard deviation, are pooled. The mean
    keeps a recording's DC offset (some FSDD speakers have one) in the pauses next to it.

    Args:
        samples: the recording, a 1-D array of at least one sample (shorter than a frame: the
            whole of it is one frame).

    Returns:
        ``(mean, std)`` of the pooled frames, as floats.

    Example:
        >>> import numpy as np
        >>> rng = np.random.default_rng(0)
        >>> quiet, loud = rng.normal(-50, 3, 800), rng.normal(0, 3000, 7200)
        >>> mean, std = background(np.concatenate([quiet, loud]))
        >>> bool(-51 < mean < -49 and 2.5 < std < 3.5)
        True
    """
    samples = np.asarray(samples, dtype=np.float64)
    if not len(samples):  # its mean and std would be NaN: NaN noise, then digital silence
        raise ValueError("background: samples must hold at least one sample, got 0.")
    n = max(1, len(samples) // FRAME)
    frames = samples[: n * FRAME].reshape(n, -1) if len(samples) >= FRAME else samples[None]
    quiet = frames[np.argsort(frames.std(axis=1), kind="stable")[: max(1, int(n * QUIETEST))]]
    return float(quiet.mean()), float(quiet.std())


def compose(
    clips: Sequence[np.ndarray],
    backgrounds: Sequence[tuple[float, float]],
    rng: np.random.Generator,
    pause_ms: tuple[int, int] = (50, 300),
    edge_ms: tuple[int, int] = (0, 150),
) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Joins recordings with noise-filled pauses, a lead-in and a tail.

    A gap's noise is Gaussian with the mean and the root-mean-square std of its neighbours'
    backgrounds (the lead-in: the first recording's; the tail: the last one's), at least
    `MIN_NOISE_STD`, rounded and clipped to int16.

    Args:
        clips: the int16 recordings, in order (at least one).
        backgrounds: ``(mean, std)`` of each recording, e.g. from `background`.
        rng: the generator of the gap lengths and the noise.
        pause_ms: shortest and longest pause between two recordings, in ms.
        edge_ms: shortest and longest lead-in and tail, in ms.

    Returns:
        ``(audio, spans)``: the int16 utterance and each recording's ``(start, end)`` in it.

    Example:
        >>> import numpy as np
        >>> clip = np.full(800, 1000, np.int16)
        >>> audio, spans = compose([clip, clip], [(0.0, 5.0)] * 2, np.random.default_rng(0))
        >>> (s0, e0), (s1, e1) = spans
        >>> bool(e0 - s0 == 800 and 400 <= s1 - e0 <= 2400 and np.all(audio[e0:s1] != 1000))
        True
    """
    if not clips or len(clips) != len(backgrounds):
        raise ValueError(
            f"clips must be non-empty and match backgrounds, got {len(clips)} clips and "
            f"{len(backgrounds)} backgrounds"
        )
    ms = files.SAMPLE_RATE // 1000
    lengths = [rng.integers(edge_ms[0] * ms, edge_ms[1] * ms + 1)]
    lengths += [rng.integers(pause_ms[0] * ms, pause_ms[1] * ms + 1) for _ in clips[1:]]
    lengths.append(rng.integers(edge_ms[0] * ms, edge_ms[1] * ms + 1))
    # Gap i lies before clip i (the last one is the tail): its neighbours are clips i-1 and i.
    neighbours = [backgrounds[max(i - 1, 0) : i + 1] for i in range(len(clips))]
    neighbours.append(backgrounds[-1:])
    parts, spans, position = [], [], 0
    for i, (length, near) in enumerate(zip(lengths, neighbours, strict=True)):
        mean = float(np.mean([m for m, _ in near]))
        std = max(MIN_NOISE_STD, float(np.sqrt(np.mean([s**2 for _, s in near]))))
        noise = np.clip(np.rint(rng.normal(mean, std, int(length))), -32768, 32767)
        parts.append(noise.astype(np.int16))
        position += int(length)
        if i < len(clips):
            parts.append(np.asarray(clips[i], dtype=np.int16))
            spans.append((position, position + len(clips[i])))
            position += len(clips[i])
    return np.concatenate(parts), spans


def transcript(digits: Sequence[int]) -> str:
    """The spoken words of a digit string, lowercase and space-separated.

    Args:
        digits: the digits, 0-9.

    Returns:
        The words, e.g. ``"four two nine"``.

    Example:
        >>> transcript([4, 2, 9])
        'four two nine'
    """
    return " ".join(files.DIGIT_NAMES[d] for d in digits)


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for spoken digit strings made of FSDD recordings (see the module doc).

    Example:
        >>> [c.name for c in Builder.BUILDER_CONFIGS][-2:], str(Builder.VERSION), Builder.OFFLINE
        (['holdout_yweweler', 'tiny'], '1.0.0', 'manual')
        >>> tiny = Builder.builder_configs["tiny"]
        >>> tiny.num_train, tiny.num_validation, tiny.num_test, tiny.max_digits
        (48, 8, 8, 3)
    """

    VERSION = tfds.core.Version("1.0.0")
    OFFLINE = "manual"  # offline only with --manual-dir (the FSDD recordings), else downloads
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = [
        *speaker_configs(SpokenDigitStringsConfig),
        SpokenDigitStringsConfig(
            name="tiny",
            num_train=48,
            num_validation=8,
            num_test=8,
            max_digits=3,
            description="Every speaker in every split, as `all`, but 48/8/8 utterances of 1-3 "
            "digits: for tests and smoke runs.",
        ),
    ]
    DEFAULT_CONFIG_NAME = "all"
    MANUAL_DOWNLOAD_INSTRUCTIONS = files.MANUAL_DOWNLOAD_INSTRUCTIONS
    BASE_SEED = BASE_SEED

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        return tfds.core.DatasetInfo(
            builder=self,
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    "audio": files.BytesAudio(dtype=np.int16, sample_rate=files.SAMPLE_RATE),
                    "text": tfds.features.Text(),
                    "speaker": tfds.features.Text(),
                    "digits": tfds.features.Tensor(shape=(None,), dtype=np.int32),
                }
            ),
            supervised_keys=("audio", "text"),
            homepage=files.HOMEPAGE,
            citation=files.CITATION,
            license="CC BY-SA 4.0",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Finds the recordings, splits them as `fsdd` does, and draws each split's strings."""
        config = self.builder_config
        splits = split_clips(files.locate_clips(dl_manager), config.test_speakers)
        sizes = {
            "train": config.num_train,
            "validation": config.num_validation,
            "test": config.num_test,
        }
        return {name: self._generate_examples(name, splits[name], sizes[name]) for name in sizes}

    def _generate_examples(self, split: str, clips, n: int) -> Iterator[tuple[int, dict]]:
        """Yields ``(number, utterance)`` for the split's ``n`` utterances."""
        config = self.builder_config
        # pool[speaker][digit]: the split's recordings, in sorted (hence reproducible) order.
        pool: dict[str, dict[int, list[tuple[np.ndarray, tuple[float, float]]]]] = {}
        for clip in sorted(clips):
            samples = files.read_wav(clip.path)
            entry = (samples, background(samples))
            pool.setdefault(clip.speaker, {}).setdefault(clip.digit, []).append(entry)
        speakers = sorted(pool)
        if not speakers:
            raise ValueError(
                f"split {split!r} has no FSDD recordings to draw from (the source holds no "
                "recording that its rules assign to it); see fsdd_dataset_builder.split_clips"
            )
        split_id = zlib.crc32(split.encode())
        for number in range(n):
            seed = np.random.SeedSequence([self.BASE_SEED, config.seed, split_id, number])
            rng = np.random.default_rng(seed)
            speaker = speakers[rng.integers(len(speakers))]
            available = sorted(pool[speaker])
            count = rng.integers(config.min_digits, config.max_digits + 1)
            digits = [available[i] for i in rng.integers(len(available), size=count)]
            chosen = [pool[speaker][d][rng.integers(len(pool[speaker][d]))] for d in digits]
            audio, _ = compose(
                [samples for samples, _ in chosen],
                [noise for _, noise in chosen],
                rng,
                pause_ms=config.pause_ms,
                edge_ms=config.edge_ms,
            )
            yield (
                number,
                {
                    "audio": audio,
                    "text": transcript(digits),
                    "speaker": speaker,
                    "digits": np.asarray(digits, dtype=np.int32),
                },
            )
