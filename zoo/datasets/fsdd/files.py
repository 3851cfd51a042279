"""Finding and reading the Free Spoken Digit Dataset's WAV files, for the FSDD-based builders.

FSDD (Jackson et al., CC BY-SA 4.0) is a folder of mono 8 kHz WAV files named
``{digit}_{speaker}_{index}.wav`` (e.g. ``7_jackson_32.wav``): 50 recordings (index 0-49) of each
digit by each speaker. The `fsdd` and `spoken_digit_strings` builders both read it through this
module: from ``dl_manager.manual_dir`` when that holds FSDD files, otherwise from the FSDD GitHub
archive, downloaded by TFDS.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import re
import warnings

import numpy as np
import scipy.io.wavfile
import tensorflow_datasets as tfds
from etils import epath

SAMPLE_RATE = 8000
RECORDINGS_PER_DIGIT = 50  # per speaker, index 0-49
DIGIT_NAMES = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
# The speakers of FSDD v1.0.10; the copy in ../shared/data/fsdd has all of them but lucas.
SPEAKERS = ("george", "jackson", "lucas", "nicolas", "theo", "yweweler")
FILENAME_PATTERN = "{digit}_{speaker}_{index}.wav"
ARCHIVE_URL = (
    "https://github.com/Jakobovski/free-spoken-digit-dataset/archive/refs/tags/v1.0.10.tar.gz"
)
HOMEPAGE = "https://github.com/Jakobovski/free-spoken-digit-dataset"
MANUAL_DOWNLOAD_INSTRUCTIONS = f"""\
Optional. Put the FSDD recordings (WAV files named {FILENAME_PATTERN}, e.g. 7_jackson_32.wav,
as in ../shared/data/fsdd/recordings or the recordings/ folder of {HOMEPAGE}) in the manual
dir itself, or in recordings/, fsdd/ or fsdd/recordings/ below it. Without a manual dir (or
with an empty one) the builder downloads {ARCHIVE_URL}.
"""
CITATION = """\
@misc{jackson2018fsdd,
  title        = {Free Spoken Digit Dataset (FSDD)},
  author       = {Jackson, Zohar and Souza, C{\\'e}sar and Flaks, Jason and Pan, Yuxin and
                  Nicolas, Hereman and Thite, Adhish},
  year         = {2018},
  publisher    = {Zenodo},
  doi          = {10.5281/zenodo.1342401},
  howpublished = {\\url{https://github.com/Jakobovski/free-spoken-digit-dataset}}
}
"""

_NAME = re.compile(r"(\d)_([A-Za-z]+)_(\d+)\.wav")
# Where a manual dir may hold the recordings, relative to it (a shared TFDS manual dir may hold
# other datasets' files too, so the recordings can sit in a folder of their own).
_MANUAL_SUBDIRS = ("", "recordings", "fsdd", "fsdd/recordings")


class BytesAudio(tfds.features.Audio):
    r"""A `tfds.features.Audio` whose arrays are stored as raw bytes: 2 bytes per int16 sample.

    TFDS 4.9's `Audio` passes arrays to the TF example unencoded, ignoring ``encoding``; that
    stores int16 samples in an int64 list, where a negative sample takes 10 bytes. This feature
    encodes arrays like `tfds.features.Tensor` does, so ``encoding=BYTES`` applies. Decoding is
    `Audio`'s own.

    Example:
        >>> import numpy as np
        >>> feature = BytesAudio(dtype=np.int16, sample_rate=8000)
        >>> feature.encode_example(np.array([1, -2], np.int16))
        b'\x01\x00\xfe\xff'
    """

    def __init__(self, *, encoding=tfds.features.Encoding.BYTES, **kwargs):
        super().__init__(encoding=encoding, **kwargs)

    def encode_example(self, audio_or_path_or_fobj):
        """Encodes an array as a `Tensor` would; paths and files as `Audio` does."""
        if isinstance(audio_or_path_or_fobj, np.ndarray):
            return tfds.features.Tensor.encode_example(self, audio_or_path_or_fobj)
        return super().encode_example(audio_or_path_or_fobj)


@dataclasses.dataclass(frozen=True, order=True)
class Clip:
    """One FSDD recording; clips sort by speaker, digit, then index.

    Attributes:
        speaker: the speaker's name, e.g. ``"jackson"``.
        digit: the spoken digit, 0-9.
        index: the recording's number for this speaker and digit (0-49 in FSDD).
        path: the WAV file.

    Example:
        >>> clips = [Clip("theo", 7, 32, "7_theo_32.wav"), Clip("george", 7, 3, "7_george_3.wav")]
        >>> [clip.key for clip in sorted(clips)]
        ['7_george_3', '7_theo_32']
    """

    speaker: str
    digit: int
    index: int
    path: str

    @property
    def key(self) -> str:
        """The file name without ``.wav``, e.g. ``"7_jackson_32"``: unique within FSDD."""
        return f"{self.digit}_{self.speaker}_{self.index}"


def parse_name(name: str) -> tuple[int, str, int] | None:
    """Parses an FSDD file name into ``(digit, speaker, index)``.

    Args:
        name: a file name (no folder), e.g. ``"7_jackson_32.wav"``.

    Returns:
        ``(digit, speaker, index)``, or None when the name does not follow
        ``{digit}_{speaker}_{index}.wav``.

    Example:
        >>> parse_name("7_jackson_32.wav")
        (7, 'jackson', 32)
        >>> parse_name("README.md") is None
        True
    """
    match = _NAME.fullmatch(name)
    if match is None:
        return None
    return int(match[1]), match[2], int(match[3])


def find_clips(directory) -> list[Clip]:
    """Lists the FSDD recordings in a folder (not its subfolders), sorted.

    Args:
        directory: the folder (a path or string); files not named ``{digit}_{speaker}_{index}.wav``
            are ignored.

    Returns:
        The sorted `Clip` list; empty when the folder holds none or does not exist.

    Example:
        >>> import tempfile, pathlib
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> for name in ["3_theo_0.wav", "1_theo_7.wav", "notes.txt"]:
        ...     _ = (folder / name).write_bytes(b"")
        >>> [clip.key for clip in find_clips(folder)]
        ['1_theo_7', '3_theo_0']
    """
    directory = epath.Path(directory)
    if not directory.is_dir():
        return []
    clips = []
    for path in directory.iterdir():
        parsed = parse_name(path.name)
        if parsed is not None:
            digit, speaker, index = parsed
            clips.append(Clip(speaker=speaker, digit=digit, index=index, path=str(path)))
    return sorted(clips)


def read_wav(path) -> np.ndarray:
    """Reads one FSDD recording: a mono 8 kHz 16-bit WAV file.

    Args:
        path: the WAV file (a path or string).

    Returns:
        The samples, an int16 array of shape ``(length,)``.

    Raises:
        ValueError: the file is not mono, not 8 kHz, not 16-bit PCM, or holds no samples.

    Example:
        >>> import tempfile, pathlib, numpy as np, scipy.io.wavfile
        >>> path = pathlib.Path(tempfile.mkdtemp()) / "0_theo_0.wav"
        >>> scipy.io.wavfile.write(path, 8000, np.array([0, 5, -7], np.int16))
        >>> read_wav(path)
        array([ 0,  5, -7], dtype=int16)
    """
    data = epath.Path(path).read_bytes()
    try:
        rate, samples = scipy.io.wavfile.read(io.BytesIO(data))
    except (ValueError, EOFError) as e:
        raise ValueError(
            f"{path}: not a readable WAV file (expected mono 8 kHz 16-bit PCM, as FSDD's "
            f"recordings are): {e}"
        ) from None
    if rate != SAMPLE_RATE:
        raise ValueError(
            f"{path}: sample rate must be {SAMPLE_RATE} Hz (FSDD's rate), got {rate} Hz; "
            "resample it first"
        )
    if samples.ndim != 1:
        raise ValueError(
            f"{path}: audio must be mono (one channel), got {samples.shape[1]} channels"
        )
    if samples.dtype != np.int16:
        raise ValueError(f"{path}: samples must be 16-bit PCM (int16), got {samples.dtype}")
    if not len(samples):
        raise ValueError(
            f"{path}: the recording is empty (0 samples); a recording must hold at least one "
            "sample (remove the file or record it again)"
        )
    return samples


def locate_clips(dl_manager) -> list[Clip]:
    """Finds the FSDD recordings for a builder: in the manual dir if there is one, else downloaded.

    A manual dir that exists and is not empty must hold FSDD files, in itself or in
    ``recordings/``, ``fsdd/`` or ``fsdd/recordings/`` below it. TFDS's default manual dir,
    ``<download_dir>/manual``, missing or empty means: download `ARCHIVE_URL`; another (one the
    user gave) missing or empty is refused (a typo must not download another dataset).

    Args:
        dl_manager: the builder's ``tfds.download.DownloadManager`` (the builder must set
            ``MANUAL_DOWNLOAD_INSTRUCTIONS``).

    Returns:
        The sorted `Clip` list, never empty.

    Raises:
        ValueError: the manual dir holds files but no FSDD recordings, or the downloaded archive
            holds none.

    Example:
        >>> import tempfile, pathlib, types
        >>> folder = pathlib.Path(tempfile.mkdtemp())
        >>> _ = (folder / "3_theo_0.wav").write_bytes(b"")
        >>> [clip.key for clip in locate_clips(types.SimpleNamespace(manual_dir=folder))]
        ['3_theo_0']
    """
    checked = getattr(dl_manager, "_manual_dir", None)  # the path, whether or not it exists
    try:
        manual_dir = epath.Path(dl_manager.manual_dir)
    except AssertionError:  # TFDS's way to say: the manual dir is missing or empty
        manual_dir = None
    if manual_dir is not None:
        for subdir in _MANUAL_SUBDIRS:
            clips = find_clips(manual_dir / subdir if subdir else manual_dir)
            if clips:
                _warn_if_incomplete(clips, manual_dir / subdir if subdir else manual_dir)
                return clips
        raise ValueError(
            f"manual_dir {manual_dir} holds no FSDD recordings: expected WAV files named "
            f"{FILENAME_PATTERN} (e.g. 7_jackson_32.wav) in it or in recordings/, fsdd/ or "
            "fsdd/recordings/ below it, such as ../shared/data/fsdd/recordings. Point manual_dir "
            f"at such a folder, or use no manual dir (or an empty one) to download {ARCHIVE_URL}"
        )
    download_dir = getattr(dl_manager, "_download_dir", None)
    default = epath.Path(download_dir) / "manual" if download_dir is not None else None
    if checked is not None and default is not None and epath.Path(checked) != default:
        # A manual dir the user gave (not TFDS's default): a typo must not mean "download".
        state = "is empty" if epath.Path(checked).exists() else "does not exist"
        raise ValueError(
            f"manual_dir {checked} {state}: give the folder holding the FSDD recordings (WAV "
            f"files named {FILENAME_PATTERN}, such as ../shared/data/fsdd/recordings), or no "
            f"manual_dir to download {ARCHIVE_URL}."
        )
    try:
        extracted = epath.Path(dl_manager.download_and_extract(ARCHIVE_URL))
    except Exception as e:  # offline, or the archive moved: say where recordings were looked for
        where = f"manual_dir {checked} is missing or empty" if checked else "there is no manual_dir"
        raise ValueError(
            f"found no FSDD recordings: {where}, and downloading {ARCHIVE_URL} failed "
            f"({type(e).__name__}: {_first_line(e)}). Offline, point manual_dir (--manual-dir) at "
            f"a folder of WAV files named {FILENAME_PATTERN}, such as "
            "../shared/data/fsdd/recordings."
        ) from e
    for folder in [extracted / "recordings", *sorted(extracted.glob("*/recordings"))]:
        clips = find_clips(folder)
        if clips:
            return clips
    raise ValueError(
        f"the FSDD archive {ARCHIVE_URL}, extracted to {extracted}, holds no recordings/ folder "
        f"of files named {FILENAME_PATTERN}"
    )


def _warn_if_incomplete(clips, folder):
    """Warns when a manual dir holds fewer than every recording of each speaker it names.

    FSDD has `RECORDINGS_PER_DIGIT` recordings of each digit by each speaker: a copy missing
    some builds smaller splits than the published dataset's, and scores that compare with
    nobody's.
    """
    full = RECORDINGS_PER_DIGIT * len(DIGIT_NAMES)
    counts = collections.Counter(clip.speaker for clip in clips)
    short = {speaker: n for speaker, n in sorted(counts.items()) if n < full}
    if short:
        listed = ", ".join(f"{speaker} {n}" for speaker, n in short.items())
        warnings.warn(
            f"manual_dir {folder} holds an incomplete FSDD: {listed} of {full} recordings "
            f"({RECORDINGS_PER_DIGIT} of each digit per speaker); the splits built from it are "
            "smaller than the published dataset's.",
            stacklevel=2,
        )


def _first_line(error, limit=300):
    """`error`'s message on one line, cut at a word boundary past `limit` characters."""
    text = " ".join(str(error).split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " ..."
