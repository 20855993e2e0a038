"""The emulator's voice: a deterministic stand-in for speech, encoded in the formats Azure OpenAI's audio models give.

Real speech cannot be synthesized offline without a model, and tests need audio they can check, so each word of the
transcript becomes one tone: 24 kHz mono 16-bit PCM (what gpt-4o-audio-preview speaks), :data:`WORD_SECONDS` per
word at a pitch from 220 to 880 Hz chosen by a hash of the word, with :data:`GAP_SECONDS` of silence between words.
The same transcript always gives the same bytes, and the clip's length follows the transcript (:func:`duration`),
so audio-token counts and decoded durations can be asserted.

``wav`` (the standard library's ``wave``) and ``pcm16`` (the raw little-endian samples) always work; ``mp3``,
``flac`` and ``opus`` (Ogg Opus, as OpenAI's ``opus`` is) are encoded with PyAV, the ``media`` extra, imported only
when present so the emulator runs without it (:func:`available` tells which formats can be made).

Example:
    >>> import io, wave
    >>> clip = synthesize("Hello there", "wav")
    >>> with wave.open(io.BytesIO(clip)) as w:
    ...     (w.getframerate(), w.getnchannels(), w.getsampwidth(), w.getnframes() / w.getframerate())
    (24000, 1, 2, 0.55)
    >>> duration("Hello there"), synthesize("Hello there", "wav") == clip
    (0.55, True)
    >>> len(synthesize("Hello there", "pcm16"))  # two bytes a sample, 0.55 s at 24 kHz
    26400
"""

from __future__ import annotations

import array
import functools
import hashlib
import io
import math
import sys
import wave
from types import ModuleType

from ..errors import MEDIA_EXTRA_INSTALL
from ..profiles import AUDIO_OUTPUT_FORMATS

av: ModuleType | None
try:  # the media extra
    import av
except ImportError:  # pragma: no cover - exercised in the no-extra environment
    av = None

__all__ = ["FORMATS", "PYAV_FORMATS", "SAMPLE_RATE", "SpeechUnavailableError", "available", "duration", "synthesize"]

SAMPLE_RATE = 24_000
WORD_SECONDS = 0.25
GAP_SECONDS = 0.05
LOW_HZ, HIGH_HZ = 220, 880
#: Every format this module makes: every ``audio.format`` a request may name (the profiles' one list of them).
FORMATS: frozenset[str] = AUDIO_OUTPUT_FORMATS
#: The formats that need PyAV: ``format`` -> (PyAV container, codec).
PYAV_FORMATS: dict[str, tuple[str, str]] = {"mp3": ("mp3", "libmp3lame"), "flac": ("flac", "flac"),
                                           "opus": ("ogg", "libopus")}  # fmt: skip

_WORD_SAMPLES = round(WORD_SECONDS * SAMPLE_RATE)
_GAP = bytes(2 * round(GAP_SECONDS * SAMPLE_RATE))  # 16-bit silence
_AMPLITUDE = 0.3 * 32767  # loud enough to decode clearly, far from clipping
_FADE_SAMPLES = SAMPLE_RATE // 100  # 10 ms ramps: no clicks for the lossy encoders to smear


class SpeechUnavailableError(ValueError):
    """A format that needs PyAV (the ``media`` extra) was asked for where it is not installed."""


def available(fmt: str) -> bool:
    """Whether :func:`synthesize` can make ``fmt`` here (PyAV's formats need the ``media`` extra)."""
    return fmt in FORMATS and (fmt not in PYAV_FORMATS or av is not None)


def unavailable_reason(fmt: str) -> str:
    """Why ``fmt`` cannot be made here, naming the extra to install."""
    return f"audio format {fmt!r} needs PyAV to encode it: {MEDIA_EXTRA_INSTALL} (wav and pcm16 need nothing)"


def duration(transcript: str) -> float:
    """Seconds of the clip :func:`synthesize` makes of ``transcript``.

    An empty transcript is one gap of silence, so that every format still holds a decodable frame.
    """
    words = len(transcript.split())
    if not words:
        return GAP_SECONDS
    return round(words * WORD_SECONDS + (words - 1) * GAP_SECONDS, 6)


def synthesize(transcript: str, fmt: str) -> bytes:
    """The clip of ``transcript`` encoded as ``fmt`` (one of :data:`FORMATS`).

    Raises ``ValueError`` for an unknown format and :class:`SpeechUnavailableError` for a PyAV format without PyAV.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown audio format {fmt!r}; use one of {', '.join(sorted(FORMATS))}")
    if not available(fmt):
        raise SpeechUnavailableError(unavailable_reason(fmt))
    samples = _samples(transcript)
    if fmt == "pcm16":
        return samples
    if fmt == "wav":
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as clip:
            clip.setnchannels(1)
            clip.setsampwidth(2)
            clip.setframerate(SAMPLE_RATE)
            clip.writeframes(samples)
        return buffer.getvalue()
    return _encode(samples, *PYAV_FORMATS[fmt])


def _samples(transcript: str) -> bytes:
    """Little-endian 16-bit mono samples: a tone per word, silence between words."""
    words = transcript.split()
    if not words:
        return _GAP
    return _GAP.join(_tone(_pitch(word)) for word in words)


def _pitch(word: str) -> int:
    """A whole number of hertz from :data:`LOW_HZ` to :data:`HIGH_HZ`, the same for the same word everywhere (a
    stable hash: Python's ``hash`` of a string changes between processes)."""
    digest = hashlib.sha256(word.encode("utf-8")).digest()
    return LOW_HZ + int.from_bytes(digest[:4], "big") % (HIGH_HZ - LOW_HZ + 1)


@functools.cache
def _sine_table() -> tuple[float, ...]:
    # A whole-hertz tone at sample i is sin(2*pi*f*i/RATE) = table[(f*i) % RATE]: a lookup, not a sin() per sample.
    return tuple(math.sin(2 * math.pi * k / SAMPLE_RATE) for k in range(SAMPLE_RATE))


@functools.lru_cache(maxsize=256)  # a few MB at most; answers repeat words ("emulator", "Received", ...)
def _tone(hertz: int) -> bytes:
    table, last = _sine_table(), _WORD_SAMPLES - 1
    tone = array.array("h")
    for i in range(_WORD_SAMPLES):
        envelope = min(1.0, i / _FADE_SAMPLES, (last - i) / _FADE_SAMPLES)
        tone.append(round(_AMPLITUDE * envelope * table[(hertz * i) % SAMPLE_RATE]))
    if sys.byteorder == "big":  # pragma: no cover - the wire is little-endian everywhere
        tone.byteswap()
    return tone.tobytes()


def _encode(samples: bytes, container_format: str, codec: str) -> bytes:
    assert av is not None
    buffer = io.BytesIO()
    # bitexact: no random Ogg serial number and no encoder version in the headers, so the same text gives the same
    # bytes (and streamed pieces equal a second, non-streamed answer).
    with av.open(buffer, "w", format=container_format, options={"fflags": "+bitexact"}) as container:
        stream = container.add_stream(codec, rate=SAMPLE_RATE)
        stream.layout = "mono"
        frame = av.AudioFrame(format="s16", layout="mono", samples=len(samples) // 2)
        frame.planes[0].update(samples)
        frame.sample_rate, frame.pts = SAMPLE_RATE, 0
        # PyAV converts the frame to the encoder's sample format and frame size itself.
        for packet in stream.encode(frame):
            container.mux(packet)
        for packet in stream.encode(None):
            container.mux(packet)
    return buffer.getvalue()
