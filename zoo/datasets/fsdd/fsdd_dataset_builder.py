"""TFDS builder for the Free Spoken Digit Dataset (FSDD): one example per recording.

FSDD holds mono 8 kHz recordings of the digits 0-9, 50 per digit and speaker (index 0-49), by six
speakers in v1.0.10 (george, jackson, lucas, nicolas, theo, yweweler): 3000 clips of 0.14-2.3 s
(the copy in ../shared/data/fsdd has 2500, without lucas). Source: the recordings in the manual dir
when it holds FSDD files, otherwise the FSDD GitHub archive (see `files.locate_clips`).

Configs split by speaker, so that a held-out test measures speakers a model never heard:

* ``all`` (default): every speaker in every split, by clip index: train = index 10-49,
  validation = 5-9, test = 0-4 (FSDD's own test indices). With 5 speakers: 2000/250/250 clips.
* ``holdout_<speaker>`` for each of `files.SPEAKERS`: test = every clip of that speaker; train =
  the other speakers' clips with index 5-49, validation = their clips 0-4 (in-domain). With
  5 speakers: 1800/200/500 clips.

A custom `FsddConfig` may hold out several speakers (``test_speakers``). No speaker of the test
split is ever in train or validation, and no clip is in two splits.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator, Sequence

import numpy as np
import tensorflow_datasets as tfds

from zoo.datasets.fsdd import files

TEST_INDICES = range(0, 5)  # FSDD's own test split
VALIDATION_INDICES = range(5, 10)  # of config `all`; train there is index 10 and above
SPLITS = ("train", "validation", "test")

_DESCRIPTION = """\
The Free Spoken Digit Dataset (FSDD, Jackson et al.): recordings of the spoken digits 0-9 in
English, mono, 8 kHz, 16-bit, trimmed to near-minimal silence (0.14-2.3 s, 0.4 s on average),
50 per digit and speaker, six speakers in v1.0.10 (george, jackson, lucas, nicolas, theo,
yweweler). One example per recording: `audio` (int16 samples), `label` ("zero".."nine"),
`speaker`, `index`.

Configs split by speaker. `all` (default): every speaker everywhere, by recording index: train =
10-49, validation = 5-9, test = 0-4 (FSDD's own test indices). `holdout_<speaker>`: test = every
recording of that speaker, which no other split contains; train = the other speakers' index
5-49, validation = their index 0-4. From the recordings in the manual dir when it holds them
(e.g. ../shared/data/fsdd/recordings: 2500 recordings, no lucas), otherwise from the FSDD GitHub
archive v1.0.10. Licence: CC BY-SA 4.0.
"""


@dataclasses.dataclass(eq=False)
class FsddConfig(tfds.core.BuilderConfig):
    """Builder config for the FSDD-based builders: which speakers form the test split.

    Attributes:
        test_speakers: the held-out speakers; empty (config ``all``) splits every speaker by
            recording index instead. See `split_clips`.

    Example:
        >>> FsddConfig(name="holdout_two", test_speakers=["george", "theo"]).test_speakers
        ('george', 'theo')
        >>> FsddConfig(name="bad", test_speakers="theo")
        Traceback (most recent call last):
        ...
        ValueError: test_speakers must be a tuple of speaker names such as ('theo',), got 'theo'
    """

    test_speakers: tuple[str, ...] = ()

    def __post_init__(self):
        if isinstance(self.test_speakers, str) or not all(
            isinstance(s, str) and s for s in self.test_speakers
        ):
            raise ValueError(
                "test_speakers must be a tuple of speaker names such as ('theo',), "
                f"got {self.test_speakers!r}"
            )
        self.test_speakers = tuple(self.test_speakers)


def speaker_configs(config_class=FsddConfig, **kwargs) -> list[FsddConfig]:
    """Makes the predefined configs: ``all`` and one ``holdout_<speaker>`` per FSDD speaker.

    Args:
        config_class: `FsddConfig` or a subclass of it.
        **kwargs: further fields of every config (e.g. a subclass's sizes).

    Returns:
        The configs, ``all`` first, then the holdouts in the order of `files.SPEAKERS`.

    Example:
        >>> [c.name for c in speaker_configs()][:3]
        ['all', 'holdout_george', 'holdout_jackson']
        >>> speaker_configs()[1].test_speakers
        ('george',)
    """
    configs = [
        config_class(
            name="all",
            test_speakers=(),
            description="Every speaker in every split; train index 10-49, validation 5-9, "
            "test 0-4.",
            **kwargs,
        )
    ]
    for speaker in files.SPEAKERS:
        configs.append(
            config_class(
                name=f"holdout_{speaker}",
                test_speakers=(speaker,),
                description=f"Test: every clip of {speaker}; train: the other speakers' "
                "index 5-49, validation: their index 0-4.",
                **kwargs,
            )
        )
    return configs


def split_clips(
    clips: Sequence[files.Clip], test_speakers: Sequence[str] = ()
) -> dict[str, list[files.Clip]]:
    """Splits FSDD clips into train, validation and test, by speaker and recording index.

    Without ``test_speakers``: train = index 10 and above, validation = 5-9, test = 0-4, every
    speaker in every split. With them: test = every clip of the test speakers; train = the
    other speakers' clips with index 5 and above, validation = their clips 0-4.

    Args:
        clips: the clips, e.g. from `files.find_clips`.
        test_speakers: the held-out speakers; each must be among the clips' speakers.

    Returns:
        ``{"train": [...], "validation": [...], "test": [...]}``, each in the order of ``clips``.

    Raises:
        ValueError: a test speaker is absent from the clips, or every speaker is held out.

    Example:
        >>> clips = [files.Clip(s, 3, i, "") for s in ("theo", "george") for i in (0, 5, 10)]
        >>> {k: [c.key for c in v] for k, v in split_clips(clips).items()}["validation"]
        ['3_theo_5', '3_george_5']
        >>> {k: len(v) for k, v in split_clips(clips, ["theo"]).items()}
        {'train': 2, 'validation': 1, 'test': 3}
    """
    found = sorted({clip.speaker for clip in clips})
    for speaker in test_speakers:
        if speaker not in found:
            raise ValueError(
                f"test_speakers: speaker {speaker!r} is not in the FSDD source; the speakers "
                f"found are {', '.join(found)}"
            )
    if test_speakers and set(found) <= set(test_speakers):
        raise ValueError(
            f"test_speakers {tuple(test_speakers)!r} holds out every speaker found ({found}); "
            "leave at least one for training"
        )
    out = {split: [] for split in SPLITS}
    for clip in clips:
        if test_speakers:
            if clip.speaker in test_speakers:
                split = "test"
            else:
                split = "validation" if clip.index in TEST_INDICES else "train"
        elif clip.index in TEST_INDICES:
            split = "test"
        elif clip.index in VALIDATION_INDICES:
            split = "validation"
        else:
            split = "train"
        out[split].append(clip)
    return out


class Builder(tfds.core.GeneratorBasedBuilder):
    """DatasetBuilder for FSDD, one example per recording, split by speaker (see the configs).

    Example:
        >>> [c.name for c in Builder.BUILDER_CONFIGS][:3], str(Builder.VERSION), Builder.OFFLINE
        (['all', 'holdout_george', 'holdout_jackson'], '1.0.0', 'manual')
    """

    VERSION = tfds.core.Version("1.0.0")
    OFFLINE = "manual"  # offline only with --manual-dir (the FSDD recordings), else downloads
    RELEASE_NOTES = {"1.0.0": "Initial release."}
    BUILDER_CONFIGS = speaker_configs()
    DEFAULT_CONFIG_NAME = "all"
    MANUAL_DOWNLOAD_INSTRUCTIONS = files.MANUAL_DOWNLOAD_INSTRUCTIONS

    def _info(self) -> tfds.core.DatasetInfo:
        """Returns the dataset metadata."""
        return tfds.core.DatasetInfo(
            builder=self,
            description=_DESCRIPTION,
            features=tfds.features.FeaturesDict(
                {
                    "audio": files.BytesAudio(dtype=np.int16, sample_rate=files.SAMPLE_RATE),
                    "label": tfds.features.ClassLabel(names=files.DIGIT_NAMES),
                    "speaker": tfds.features.Text(),
                    "index": tfds.features.Scalar(dtype=np.int32),
                }
            ),
            supervised_keys=("audio", "label"),
            homepage=files.HOMEPAGE,
            citation=files.CITATION,
            license="CC BY-SA 4.0",
        )

    def _split_generators(self, dl_manager: tfds.download.DownloadManager):
        """Finds the recordings (manual dir or download) and splits them by the config's rules."""
        clips = files.locate_clips(dl_manager)
        splits = split_clips(clips, self.builder_config.test_speakers)
        empty = [name for name, part in splits.items() if not part]
        if empty:
            rule = (
                "test holds the held-out speakers' clips, train and validation the others' "
                "with index 5-49 and 0-4"
                if self.builder_config.test_speakers
                else "train holds recordings with index 10-49, validation 5-9, test 0-4"
            )
            raise ValueError(
                f"the {self.builder_config.name!r} config's {' and '.join(empty)} split would "
                f"be empty with the {len(clips)} recordings found ({rule}): the manual dir "
                "must hold every recording index of FSDD (0-49), as FSDD's recordings/ does."
            )
        return {name: self._generate_examples(part) for name, part in splits.items()}

    def _generate_examples(self, clips) -> Iterator[tuple[str, dict]]:
        """Yields ``(file name stem, example)`` for each clip."""
        for clip in clips:
            yield (
                clip.key,
                {
                    "audio": files.read_wav(clip.path),
                    "label": clip.digit,
                    "speaker": clip.speaker,
                    "index": clip.index,
                },
            )
