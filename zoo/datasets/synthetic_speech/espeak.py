"""Offline speech synthesis with eSpeak NG, bound with ctypes (the `[speech]` extra).

The `espeakng-loader` wheel ships `libespeak-ng` and its data but no Python API; the few C calls
needed are bound here. A private copy of the library and of the data it needs is made once per
process, on the first `speak()`. Synthesis runs in `AUDIO_OUTPUT_SYNCHRONOUS` mode: `espeak_Synth`
returns when all the samples (int16, mono, 22050 Hz) have gone through the callback.

Voices are English accents (`en-us`, `en-gb-scotland`, ...) optionally combined with an eSpeak
voice variant (`en-us+m3`, `en-gb+f2`, `en-029+klatt4`, ...): the variant sets the timbre
(formants, voicing, glottal source), the accent the pronunciation.

`speak()` is a pure function of its arguments: every utterance is synthesised by a freshly loaded
instance of the library (see `_Engine`), with eSpeak's noise generators seeded (libc's `rand()`
among them: `speak()` calls `srand(1)`).
"""

from __future__ import annotations

import _ctypes
import atexit
import ctypes
import difflib
import os
import re
import shutil
import tempfile
import threading

import numpy as np

NATIVE_SAMPLE_RATE = 22050
RATE_MIN, RATE_MAX = 80, 450  # espeakRATE_MINIMUM, espeakRATE_MAXIMUM (words per minute)
# Output rates: below 8 kHz speech loses the formants that tell sounds apart (and soxr gives
# nothing usable at a few Hz); above 48 kHz is only upsampled 22 kHz audio.
SAMPLE_RATE_MIN, SAMPLE_RATE_MAX = 8000, 48000

# Accent name -> eSpeak language file (under espeak-ng-data/lang/). All use the `en` dictionary.
ACCENTS = {
    "en-us": "gmw/en-US",
    "en-gb": "gmw/en",
    "en-gb-scotland": "gmw/en-GB-scotland",
    "en-gb-x-rp": "gmw/en-GB-x-rp",
    "en-gb-x-gbclan": "gmw/en-GB-x-gbclan",
    "en-gb-x-gbcwmd": "gmw/en-GB-x-gbcwmd",
    "en-us-nyc": "gmw/en-US-nyc",
    "en-029": "gmw/en-029",
}

# eSpeak's voice variants (espeak-ng-data/voices/!v/, names lowercased) that sound like a person
# speaking: the robot, echo and effect variants (robosoft*, RicishayMax*, UniRobot, announcer,
# Demonic, Tweaky, ...) are left out.
VARIANTS = (
    *(f"m{i}" for i in range(1, 9)),
    *(f"f{i}" for i in range(1, 6)),
    "klatt",
    *(f"klatt{i}" for i in range(2, 7)),
    *("adam", "alex", "andrea", "andy", "annie", "anika", "antonio", "aunty", "belinda"),
    *("benjamin", "boris", "caleb", "croak", "david", "denis", "diogo", "ed", "edward"),
    *("edward2", "gene", "gene2", "grandma", "grandpa", "gustave", "henrique", "hugo", "ian"),
    *("iven", "iven2", "iven3", "iven4", "jacky", "john", "kaukovalta", "lee", "linda"),
    *("marcelo", "mario", "max", "michael", "michel", "miguel", "mike", "mike2", "norbert"),
    *("paul", "pedro", "quincy", "rob", "robert", "sandro", "shelby", "steph", "steph2"),
    *("steph3", "travis", "victor", "whisper", "whisperf", "zac"),
)

_DATA_FILES = ("phontab", "phonindex", "phondata", "intonations", "en_dict")
_AUDIO_OUTPUT_SYNCHRONOUS = 2
_INITIALIZE_DONT_EXIT = 0x8000  # a missing data file gives an error code, not exit()
_POS_CHARACTER = 1
_CHARS_UTF8 = 1
_RATE, _PITCH, _RANGE = 1, 3, 4  # espeak_PARAMETER
_INSTALL_HINT = 'eSpeak NG is not installed: pip install "rnn-zoo[speech]"'

_lock = threading.Lock()
_engine = None


def voices() -> list[str]:
    """Lists the usable English voices: every accent, alone and with every voice variant.

    Returns:
        Names for `speak(voice=...)`: `"en-us"`, `"en-us+m1"`, ..., `"en-029+zac"`.

    Example:
        >>> names = voices()
        >>> "en-us" in names and "en-gb+f2" in names and "en-029+klatt4" in names
        True
        >>> len(names) == len(ACCENTS) * (1 + len(VARIANTS))
        True
    """
    return [
        f"{accent}{suffix}" for accent in ACCENTS for suffix in ("", *("+" + v for v in VARIANTS))
    ]


def speak(
    text: str,
    voice: str = "en-us",
    pitch: int = 50,
    rate: int = 175,
    sample_rate: int = 8000,
    pitch_range: int = 50,
) -> np.ndarray:
    """Synthesises `text` with eSpeak NG.

    Deterministic: the same arguments give the same samples, whatever was spoken before.

    Args:
        text: what to say (non-empty; UTF-8, spoken as plain text: no SSML, no phonemes).
        voice: one of `voices()`: an accent (`"en-us"`) or an accent and variant (`"en-us+m3"`).
        pitch: base pitch, 0 to 99 (50 is the voice's own).
        rate: speed in words per minute, 80 to 450 (eSpeak's range; 175 is its default).
        sample_rate: the rate of the returned samples in Hz, an int from 8000 to 48000;
            eSpeak's 22050 Hz output is resampled with soxr when they differ.
        pitch_range: how much the pitch moves, 0 (monotone) to 100 (50 is the voice's own).

    Returns:
        The waveform: a 1-D int16 array (mono) at `sample_rate`.

    Raises:
        ImportError: eSpeak NG (the `[speech]` extra) is not installed.
        ValueError: an argument is out of range or the voice is unknown.

    Example:
        >>> audio = speak("four two nine", voice="en-gb+f2", sample_rate=16000)
        >>> audio.dtype, audio.ndim, 0.5 < len(audio) / 16000 < 2.0
        (dtype('int16'), 1, True)
    """
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"text must be a non-empty string, got {text!r}.")
    if "\0" in text:
        raise ValueError(
            f"text must not hold NUL characters (eSpeak stops reading at the first), got {text!r}."
        )
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as e:
        raise ValueError(f"text must be encodable as UTF-8, got {text!r}: {e}") from None
    _check_voice(voice)
    _check_int("pitch", pitch, 0, 99)
    _check_int("rate", rate, RATE_MIN, RATE_MAX)
    _check_int("pitch_range", pitch_range, 0, 100)
    check_sample_rate(sample_rate)
    with _lock:
        audio = _get_engine().synthesize(text, voice, int(pitch), int(rate), int(pitch_range))
    if sample_rate != NATIVE_SAMPLE_RATE and len(audio):
        try:
            import soxr
        except ImportError as error:
            raise ImportError('soxr is not installed: pip install "rnn-zoo[speech]"') from error
        audio = soxr.resample(audio, NATIVE_SAMPLE_RATE, int(sample_rate), quality="HQ")
    return np.asarray(audio, dtype=np.int16)


def check_sample_rate(sample_rate):
    """Raises unless `sample_rate` is an int from `SAMPLE_RATE_MIN` to `SAMPLE_RATE_MAX` (Hz).

    Example:
        >>> check_sample_rate(16000)
        16000
        >>> check_sample_rate(1)
        Traceback (most recent call last):
        ...
        ValueError: sample_rate must be an int from 8000 to 48000 (Hz), got 1.
    """
    _check_int("sample_rate", sample_rate, SAMPLE_RATE_MIN, SAMPLE_RATE_MAX, unit=" (Hz)")
    return int(sample_rate)


def _check_int(name, value, low, high, unit=""):
    if (
        isinstance(value, bool)
        or not isinstance(value, int | np.integer)
        or not low <= value <= high
    ):
        raise ValueError(f"{name} must be an int from {low} to {high}{unit}, got {value!r}.")


def _check_voice(voice):
    if voice in _VOICE_SET:
        return
    close = difflib.get_close_matches(str(voice), voices(), n=3, cutoff=0.6)
    hint = f" Did you mean {' or '.join(map(repr, close))}?" if close else ""
    raise ValueError(
        f"voice must be one of voices() (an accent such as 'en-us', optionally with a variant "
        f"such as 'en-us+m3'), got {voice!r}.{hint}"
    )


_VOICE_SET = frozenset(voices())


def _get_engine():
    global _engine
    if _engine is None:
        _engine = _Engine()
    return _engine


class _Engine:
    """eSpeak NG in a private folder: a copy of the library and of the data it reads.

    The library keeps synthesis state in globals that outlive an utterance and even
    `espeak_Terminate` (the phase of the pitch flutter, the parity of the glottal cycles, filter
    memories): left loaded, it says the same text differently depending on what it said before.
    So every utterance gets a fresh instance: the private copy is loaded, initialised, used and
    unloaded (about 0.5 ms with the small data folder). Being private, the copy is never shared
    with another user of libespeak-ng in the process, whose instance would keep that state.
    """

    def __init__(self):
        try:
            import espeakng_loader
        except ImportError as error:
            raise ImportError(_INSTALL_HINT) from error
        self.home = tempfile.mkdtemp(prefix="rnnzoo-espeak-")
        atexit.register(shutil.rmtree, self.home, ignore_errors=True)
        self._write_data(espeakng_loader.get_data_path())
        library = espeakng_loader.get_library_path()
        self.library = os.path.join(self.home, os.path.basename(library))
        shutil.copyfile(library, self.library)
        callback_type = ctypes.CFUNCTYPE(
            ctypes.c_int, ctypes.POINTER(ctypes.c_short), ctypes.c_int, ctypes.c_void_p
        )
        self._callback = callback_type(self._collect)  # kept alive: the library holds a pointer
        self._chunks: list[np.ndarray] = []
        # Klatt voices with breath noise (caleb) also draw from libc's rand().
        try:
            self._srand = ctypes.CDLL(None).srand
        except (OSError, TypeError, AttributeError):  # no process-wide libc handle (Windows)
            self._srand = lambda seed: None
        self._unload = getattr(_ctypes, "dlclose", None) or _ctypes.FreeLibrary

    def _write_data(self, source):
        data = os.path.join(self.home, "espeak-ng-data")
        os.makedirs(os.path.join(data, "voices", "zoo"))
        os.makedirs(os.path.join(data, "voices", "!v"))
        for name in _DATA_FILES:
            shutil.copyfile(os.path.join(source, name), os.path.join(data, name))
        for accent, path in ACCENTS.items():
            text = _read_voice_file(os.path.join(source, "lang", *path.split("/")))
            _write_voice_file(os.path.join(data, "voices", "zoo", accent), text)
        variant_dir = os.path.join(source, "voices", "!v")
        files = {name.lower(): name for name in os.listdir(variant_dir)}
        for variant in VARIANTS:
            text = _read_voice_file(os.path.join(variant_dir, files[variant]), variant=True)
            _write_voice_file(os.path.join(data, "voices", "!v", variant), text)

    def _collect(self, wav, num_samples, events):
        del events
        if wav and num_samples > 0:
            self._chunks.append(np.ctypeslib.as_array(wav, shape=(num_samples,)).copy())
        return 0  # continue synthesis

    def _load(self):
        lib = ctypes.CDLL(self.library)
        lib.espeak_Initialize.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_char_p, ctypes.c_int]
        lib.espeak_SetVoiceByName.argtypes = [ctypes.c_char_p]
        lib.espeak_SetParameter.argtypes = [ctypes.c_int, ctypes.c_int, ctypes.c_int]
        lib.espeak_Synth.argtypes = [
            ctypes.c_char_p,  # text
            ctypes.c_size_t,  # size
            ctypes.c_uint,  # position
            ctypes.c_int,  # position_type
            ctypes.c_uint,  # end_position
            ctypes.c_uint,  # flags
            ctypes.c_void_p,  # unique_identifier
            ctypes.c_void_p,  # user_data
        ]
        lib.espeak_ng_SetRandSeed.argtypes = [ctypes.c_long]
        options = _INITIALIZE_DONT_EXIT
        rate = lib.espeak_Initialize(_AUDIO_OUTPUT_SYNCHRONOUS, 0, self.home.encode(), options)
        if rate != NATIVE_SAMPLE_RATE:
            self._close(lib)
            raise RuntimeError(f"espeak_Initialize failed (returned {rate}) on {self.home}")
        lib.espeak_SetSynthCallback(self._callback)
        return lib

    def _close(self, lib):
        lib.espeak_Terminate()
        self._unload(lib._handle)

    def synthesize(self, text, voice, pitch, rate, pitch_range):
        lib = self._load()
        try:
            if lib.espeak_SetVoiceByName(f"zoo/{voice}".encode()) != 0:
                raise RuntimeError(f"eSpeak NG could not load the voice {voice!r}")
            for parameter, value in ((_RATE, rate), (_PITCH, pitch), (_RANGE, pitch_range)):
                lib.espeak_SetParameter(parameter, value, 0)
            lib.espeak_ng_SetRandSeed(1)  # espeak_Initialize seeds it from the clock
            self._srand(1)
            self._chunks = []
            data = text.encode("utf-8") + b"\0"
            flags = _CHARS_UTF8
            status = lib.espeak_Synth(data, len(data), 0, _POS_CHARACTER, 0, flags, None, None)
            lib.espeak_Synchronize()
            if status != 0:
                raise RuntimeError(f"espeak_Synth failed with status {status}")
        finally:
            self._close(lib)
        chunks, self._chunks = self._chunks, []
        return np.concatenate(chunks) if chunks else np.zeros(0, np.int16)


def _read_voice_file(path, variant=False):
    lines = []
    with open(path, encoding="utf-8", errors="replace") as f:
        for line in f:
            line = re.sub(r"(#|//).*", "", line).strip()
            # A variant is applied on top of an accent: its own language and name lines go.
            if line and not (variant and line.split()[0] in ("language", "name")):
                lines.append(line)
    return lines


def _write_voice_file(path, lines):
    with open(path, "w", encoding="utf-8") as f:
        f.write("\n".join([*lines, ""]))
