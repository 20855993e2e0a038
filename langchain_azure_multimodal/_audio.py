"""Audio the service takes: probe it, normalise it to WAV or MP3, and split long recordings.

The rules:

* The service takes WAV and MP3 (``profiles.AUDIO_FORMATS``). The bytes decide what a clip is, never its name or
  MIME type: PyAV probes the content (no hand-written sniffer), so a WAV named ``clip.mp3`` is a WAV.
* PCM WAV and MP3 are sent untouched. Everything else PyAV decodes (M4A/AAC voice memos, Ogg/Opus WhatsApp notes,
  WebM browser recordings, FLAC...) is transcoded to MP3 with libmp3lame.
* ``split_audio_bytes`` cuts a long recording into parts, each within ``max_seconds`` and ``max_bytes``, lazily:
  WAV into exact WAV sample slices, anything else into MP3 parts encoded as the decoder goes. ``split_audio_file``
  does the same from a seekable file, which it reads as it goes: one part is in memory at a time, whatever the
  file's size.
* Without PyAV (the ``media`` extra) PCM WAV still works through the standard library's ``wave`` module; anything
  that needs PyAV raises :class:`MediaExtraRequiredError`.

Example:
    >>> import io, wave
    >>> buffer = io.BytesIO()
    >>> with wave.open(buffer, "wb") as clip:
    ...     clip.setnchannels(1); clip.setsampwidth(2); clip.setframerate(16000)
    ...     clip.writeframes(bytes(2 * 16000 * 3))  # three seconds of silence
    >>> info = inspect_audio(buffer.getvalue(), name="memo.mp3")  # the name does not matter, the bytes do
    >>> info.container, info.codec, info.wire_format, info.duration_s, info.sample_rate, info.channels
    ('wav', 'pcm_s16le', 'wav', 3.0, 16000, 1)
    >>> normalize_audio(buffer.getvalue()).changed
    False
    >>> [(part.start_s, part.end_s) for part in split_audio_bytes(buffer.getvalue(), max_seconds=2)]
    [(0.0, 2.0), (2.0, 3.0)]
"""

from __future__ import annotations

import io
import math
import wave
from collections.abc import Iterator
from dataclasses import dataclass, replace
from types import ModuleType
from typing import TYPE_CHECKING, BinaryIO, TypeAlias

from .errors import MediaDecodeError, MediaExtraRequiredError, MediaValidationError
from .profiles import MAX_AUDIO_BYTES, MEBIBYTE, AudioFormat, audio_mime_type

if TYPE_CHECKING:
    import av
    from av.audio.frame import AudioFrame
    from av.audio.stream import AudioStream
    from av.container import InputContainer
    from av.stream import Stream
else:
    #: PyAV (the media extra) once :func:`_load_av` has imported it, ``None`` when it is missing (tests set it to
    #: ``None`` to simulate that). Not imported with the module: text-only use never pays for it. Every path that
    #: uses PyAV starts with :func:`inspect_audio`, which loads it.
    av = ModuleType("av, not imported yet")
_AV_NOT_LOADED = av


def _load_av() -> ModuleType | None:
    """Import PyAV on first use; ``None`` when it is not installed."""
    global av
    if av is _AV_NOT_LOADED:
        try:
            import av as module
        except ImportError:  # pragma: no cover - exercised by monkeypatching ``av`` to None
            module = None  # type: ignore[assignment]
        av = module
    return av


WireFormat = AudioFormat
#: What the decoders read: bytes, or a seekable binary file read from its start (``split_audio_file``).
_Clip: TypeAlias = "bytes | BinaryIO"
#: PyAV container names: what people call them, and the canonical MIME type (the wire formats' from profiles).
_CONTAINERS: dict[str, tuple[str, str]] = {
    "wav": ("WAV", audio_mime_type("wav")),
    "mp3": ("MP3", audio_mime_type("mp3")),
    "ogg": ("Ogg", "audio/ogg"),
    "mov,mp4,m4a,3gp,3g2,mj2": ("MP4/MOV", "audio/mp4"),
    "matroska,webm": ("WebM/Matroska", "audio/webm"),
    "flac": ("FLAC", "audio/flac"),
    "aac": ("ADTS", "audio/aac"),
    "aiff": ("AIFF", "audio/aiff"),
}
_CODECS = {"opus": "Opus", "vorbis": "Vorbis", "aac": "AAC", "flac": "FLAC", "mp3": "MP3", "alac": "ALAC"}
#: The sample rates MPEG-1/2/2.5 layer III can carry; anything else is resampled to the nearest.
_MP3_RATES = (8000, 11025, 12000, 16000, 22050, 24000, 32000, 44100, 48000)
#: The audio models resample speech to 16-24 kHz mono, where 64 kb/s MP3 is already transparent for voice (and an
#: hour fits in 29 MB); stereo gets twice that so two-speaker or music recordings keep their image. Constant bitrate
#: (libmp3lame's default when a bitrate is set) makes the size predictable for ``max_bytes``.
_MP3_BITRATES = {"mono": 64_000, "stereo": 128_000}
#: Counting samples means decoding everything: only when the container states no duration and the clip is small.
_DECODE_FOR_DURATION_MAX = 8 * MEBIBYTE
_WAV_HEADER_BYTES = 44  # what the standard library's wave writer puts before the samples
#: A part's size when the caller sets only ``max_seconds``: the service's cap on one clip, so that every part can be
#: sent, and so that one part (not the recording, and not a header's claim of 4 GB a second) is what memory holds.
_DEFAULT_PART_BYTES = MAX_AUDIO_BYTES
#: Past these a WAV header is corrupt, not a recording: 768 kHz is the fastest converters sample at, 256 channels
#: more than any microphone array writes to one file.
_MAX_WAV_RATE, _MAX_WAV_CHANNELS = 768_000, 256
_FORMATS_HINT = "send a recording as WAV, MP3, M4A, Ogg, WebM or FLAC"
_REEXPORT_HINT = "check that the file is complete, or re-export the recording"


@dataclass(frozen=True)
class AudioInfo:
    """What a clip is, from its bytes: PyAV's container and codec names and the facts of its first audio stream."""

    container: str
    codec: str
    mime_type: str
    wire_format: WireFormat | None
    duration_s: float | None
    sample_rate: int | None
    channels: int | None


@dataclass(frozen=True)
class NormalizedAudio:
    """Audio ready for the service: ``data`` in ``format``, and ``steps`` saying what was done to it."""

    data: bytes
    format: WireFormat
    mime_type: str
    duration_s: float | None
    original_bytes: int
    original_mime_type: str
    steps: tuple[str, ...]

    @property
    def changed(self) -> bool:
        return bool(self.steps)


@dataclass(frozen=True)
class AudioSegment:
    """One part of a split recording: ``data`` covers ``start_s`` to ``end_s`` of the original."""

    index: int
    data: bytes
    format: WireFormat
    mime_type: str
    start_s: float
    end_s: float


def inspect_audio(data: bytes, *, name: str | None = None) -> AudioInfo:
    """Probe ``data`` with PyAV (the content decides, not ``name``; ``name`` only labels errors).

    The duration is the container's, else the stream's, else counted by decoding (clips up to 8 MiB only).
    Raises :class:`MediaDecodeError` for empty data, data that is not audio, or audio that does not decode; without
    PyAV, PCM WAV is read with the standard library and anything else raises :class:`MediaExtraRequiredError`.

    Example:
        >>> inspect_audio(b"hello, this is a text file")
        Traceback (most recent call last):
        ...
        langchain_azure_multimodal.errors.MediaDecodeError: PyAV recognises no audio or video format in these 26 bytes (they start with b'hello, this is a'). Fix: send a recording as WAV, MP3, M4A, Ogg, WebM or FLAC.
    """  # noqa: E501 - the doctest output is one line
    if not data:
        raise MediaDecodeError("the audio data is empty", where=name, fix=f"{_FORMATS_HINT}, with at least one sample")
    return _inspect(data, len(data), name)


def _inspect(clip: _Clip, size: int, name: str | None) -> AudioInfo:
    if _load_av() is None:
        return _inspect_wav(clip, name)
    with _open(clip, name) as container:
        stream = _audio_stream(container, name)
        fmt, codec = container.format.name, _codec(stream)  # "mp3", not the decoder's name "mp3float"
        wire: WireFormat | None = None
        if fmt == "wav" and codec.startswith("pcm_"):
            wire = "wav"
        elif fmt == "mp3" and codec == "mp3":  # the mp3 demuxer also reads MPEG layer 1 and 2
            wire = "mp3"
        duration: float | None = None
        if container.duration:
            duration = container.duration / av.time_base
        elif stream.duration and stream.time_base:
            duration = float(stream.duration * stream.time_base)
        count_all = duration is None and size <= _DECODE_FOR_DURATION_MAX
        samples = 0
        try:  # decode at least one frame: probing alone does not prove the audio decodes
            for frame in container.decode(stream):
                samples += frame.samples
                if samples and not count_all:
                    break
        except av.FFmpegError as error:
            raise _undecodable(container, stream, "does not decode", error, name) from None
        if not samples or not stream.sample_rate:
            raise MediaDecodeError("the audio holds no samples that decode", where=name, fix=_REEXPORT_HINT)
        duration = samples / stream.sample_rate if count_all else duration
        return AudioInfo(fmt, codec, _describe(fmt)[1], wire, duration, stream.sample_rate or None, stream.channels)


def normalize_audio(data: bytes, *, name: str | None = None, max_bytes: int | None = None) -> NormalizedAudio:
    """``data`` as the service takes it: WAV and MP3 untouched, anything else (and a WAV over ``max_bytes``)
    transcoded to MP3.

    MP3 keeps the sample rate when MP3 has it (else the nearest MP3 rate) and mono or stereo (more channels are
    downmixed to stereo), at 64 kb/s mono or 128 kb/s stereo. A result over ``max_bytes`` raises
    :class:`MediaValidationError`; split such recordings with ``split_audio``.

    Example:
        >>> import io, av
        >>> buffer = io.BytesIO()
        >>> with av.open(buffer, "w", format="flac") as container:  # two seconds of FLAC silence
        ...     stream = container.add_stream("flac", rate=16000, layout="mono")
        ...     frame = av.AudioFrame(format="s16", layout="mono", samples=32000)
        ...     frame.planes[0].update(bytes(64000)); frame.sample_rate = 16000
        ...     container.mux(stream.encode(frame) + stream.encode(None))
        >>> audio = normalize_audio(buffer.getvalue(), name="note.flac")
        >>> audio.format, audio.mime_type, audio.original_mime_type, audio.duration_s, audio.steps
        ('mp3', 'audio/mpeg', 'audio/flac', 2.0, ('transcoded FLAC to MP3 (64 kb/s mono)',))
    """
    info = inspect_audio(data, name=name)
    if info.wire_format is None:
        result = _transcode(data, info, name)
    else:
        mime = _describe(info.wire_format)[1]
        result = NormalizedAudio(data, info.wire_format, mime, info.duration_s, len(data), info.mime_type, ())
    if max_bytes is not None and len(result.data) > max_bytes and result.format == "wav":
        # WAV is sent as it is while it fits; MP3 holds the same recording in a tenth of the bytes or less.
        result = _transcode(data, info, name)
        result = replace(result, steps=(*result.steps, f"to fit the {max_bytes:,}-byte limit on a clip"))
    if max_bytes is not None and len(result.data) > max_bytes:
        raise MediaValidationError(
            f"the audio is {len(result.data):,} bytes as {result.format.upper()}, over the {max_bytes:,}-byte limit",
            where=name,
            limit=f"{max_bytes:,} bytes per clip",
            fix=f"split it with split_audio(source, max_bytes={max_bytes}) and send the parts",
        )
    return result


def _transcode(data: bytes, info: AudioInfo, name: str | None) -> NormalizedAudio:
    rate, layout = _mp3_target(info)
    writer, samples = _Mp3Writer(rate, layout), 0
    for frame in _pcm_frames(data, name, rate, layout):
        samples += frame.samples
        writer.write(frame)
    steps = [f"transcoded {_label(info.container, info.codec)} to MP3 ({_MP3_BITRATES[layout] // 1000} kb/s {layout})"]
    if info.channels and info.channels > 2:
        steps.append(f"downmixed {info.channels} channels to stereo")
    if info.sample_rate and info.sample_rate != rate:
        steps.append(f"resampled {info.sample_rate:,} Hz to {rate:,} Hz (MP3 has no {info.sample_rate:,} Hz rate)")
    return NormalizedAudio(
        writer.finish(), "mp3", _describe("mp3")[1], samples / rate, len(data), info.mime_type, tuple(steps)
    )


def split_audio_bytes(
    data: bytes, *, max_seconds: float | None = None, max_bytes: int | None = None, name: str | None = None
) -> Iterator[AudioSegment]:
    """Cut ``data`` into consecutive parts, each at most ``max_seconds`` long and ``max_bytes`` large.

    The parts cover the whole clip without gaps or overlap. Integer PCM WAV (what the standard library's ``wave``
    reads) gives exact WAV slices, without PyAV; anything else gives MP3 parts, encoded while decoding, so the
    first part comes before the rest is decoded and a long recording is never held decoded in memory. Without
    ``max_bytes``, parts stay within the service's 20 MiB per clip (``profiles.MAX_AUDIO_BYTES``). Arguments are
    checked at once, the audio lazily. A limit under one second of audio raises :class:`MediaValidationError`.

    Example:
        >>> import io, wave
        >>> buffer = io.BytesIO()
        >>> with wave.open(buffer, "wb") as clip:  # 95 seconds of 8 kHz silence
        ...     clip.setnchannels(1); clip.setsampwidth(2); clip.setframerate(8000)
        ...     clip.writeframes(bytes(2 * 8000 * 95))
        >>> [(p.index, p.format, p.start_s, p.end_s) for p in split_audio_bytes(buffer.getvalue(), max_seconds=30)]
        [(0, 'wav', 0.0, 30.0), (1, 'wav', 30.0, 60.0), (2, 'wav', 60.0, 90.0), (3, 'wav', 90.0, 95.0)]
        >>> split_audio_bytes(buffer.getvalue())
        Traceback (most recent call last):
        ...
        ValueError: split_audio_bytes needs max_seconds or max_bytes (or both), e.g. max_seconds=600
    """
    _check_limits("split_audio_bytes", max_seconds, max_bytes)
    if not data:
        inspect_audio(data, name=name)  # raises the empty-data error now rather than at the first part
    return _split(data, len(data), max_seconds, max_bytes, name)


def split_audio_file(
    file: BinaryIO,
    *,
    max_seconds: float | None = None,
    max_bytes: int | None = None,
    name: str | None = None,
    size: int | None = None,
) -> Iterator[AudioSegment]:
    """:func:`split_audio_bytes` for a seekable binary file, read from its start as the parts are made: only the
    part being made is in memory (at most ``max_bytes``, by default 20 MiB), however long the recording is.

    ``size`` is the file's size if known (it only decides whether counting samples for a clip that states no
    duration is cheap); the file must stay open until the parts are made.

    Example:
        >>> import io, wave
        >>> buffer = io.BytesIO()
        >>> with wave.open(buffer, "wb") as clip:  # 25 seconds of 8 kHz silence
        ...     clip.setnchannels(1); clip.setsampwidth(2); clip.setframerate(8000)
        ...     clip.writeframes(bytes(2 * 8000 * 25))
        >>> [(p.start_s, p.end_s) for p in split_audio_file(buffer, max_seconds=10)]
        [(0.0, 10.0), (10.0, 20.0), (20.0, 25.0)]
    """
    _check_limits("split_audio_file", max_seconds, max_bytes)
    return _split(file, _DECODE_FOR_DURATION_MAX + 1 if size is None else size, max_seconds, max_bytes, name)


def _check_limits(function: str, max_seconds: float | None, max_bytes: int | None) -> None:
    if max_seconds is None and max_bytes is None:
        raise ValueError(f"{function} needs max_seconds or max_bytes (or both), e.g. max_seconds=600")
    if max_seconds is not None and not (max_seconds > 0 and math.isfinite(max_seconds)):
        raise ValueError(f"max_seconds must be a positive number of seconds, not {max_seconds!r}")
    if max_bytes is not None and not (isinstance(max_bytes, int) and max_bytes > 0):
        raise ValueError(f"max_bytes must be a positive whole number of bytes, not {max_bytes!r}")


def _split(
    clip: _Clip, size: int, max_seconds: float | None, max_bytes: int | None, name: str | None
) -> Iterator[AudioSegment]:
    max_bytes = _DEFAULT_PART_BYTES if max_bytes is None else max_bytes
    try:
        wav = wave.open(_rewound(clip))  # noqa: SIM115 - the with below closes it; try cannot wrap the yields
    except (wave.Error, EOFError):  # not PCM WAV: the MP3 route, or the errors inspect_audio gives
        wav = None
    if wav is not None:
        with wav:
            yield from _split_wav(wav, max_seconds, max_bytes, name)
        return
    rate, layout = _mp3_target(_inspect(clip, size, name))
    limits = [] if max_seconds is None else [_frames_for(max_seconds, rate)]
    limits.append(_frames_for(_mp3_seconds_within(max_bytes, rate, layout, name), rate))
    index = 0
    for part, start, end in _encode_parts(clip, name, rate, layout, min(limits)):
        for piece, piece_start, piece_end in _fit(part, start, end, max_bytes, name):
            yield AudioSegment(index, piece, "mp3", _describe("mp3")[1], piece_start, piece_end)
            index += 1


def _rewound(clip: _Clip) -> BinaryIO:
    """A file at the clip's start: each reader (wave, the probe, the decoder) reads the clip from the beginning."""
    if isinstance(clip, bytes):
        return io.BytesIO(clip)
    clip.seek(0)
    return clip


def _split_wav(
    clip: wave.Wave_read, max_seconds: float | None, max_bytes: int, name: str | None
) -> Iterator[AudioSegment]:
    params = clip.getparams()
    rate, block = params.framerate, params.nchannels * params.sampwidth
    # A header the wave module reads but no player can (FFmpeg refuses both too): a typed error, not wave.Error, and
    # not a part size computed from 4 GHz.
    if not (0 < rate <= _MAX_WAV_RATE and 0 < params.nchannels <= _MAX_WAV_CHANNELS and block > 0):
        problem = f"the WAV header says {rate} Hz, {params.nchannels} channel(s) of {params.sampwidth} byte(s)"
        raise MediaDecodeError(problem, where=name, fix=_REEXPORT_HINT)
    limits = [] if max_seconds is None else [_frames_for(max_seconds, rate)]
    if (max_bytes - _WAV_HEADER_BYTES) // block < rate:
        raise _second_too_big(max_bytes, f"this {rate:,} Hz WAV", rate * block, name)
    limits.append((max_bytes - _WAV_HEADER_BYTES) // block)
    start = index = 0
    # Each read is one part, and only what the file holds: a header claiming 2**31 frames over 1 KB of data reads
    # 1 KB (the wave module reads the data chunk with a plain read, which stops at the end of the file).
    while samples := clip.readframes(min(limits)):
        count = len(samples) // block
        buffer = io.BytesIO()
        with wave.open(buffer, "wb") as part:
            part.setparams(params)
            part.writeframes(memoryview(samples)[: count * block])
        del samples  # the part's copy is all the next read needs room beside
        yield AudioSegment(index, buffer.getvalue(), "wav", _describe("wav")[1], start / rate, (start + count) / rate)
        start, index = start + count, index + 1
    if index == 0:
        raise MediaDecodeError("the WAV holds no audio samples", where=name, fix=_REEXPORT_HINT)


def _mp3_seconds_within(max_bytes: int, rate: int, layout: str, name: str | None) -> float:
    """How long an MP3 part may be to stay within ``max_bytes``; at least a second, or the limit is unworkable."""
    # CBR: the size is the bitrate times the length plus a few frames (Xing header, encoder delay, padding);
    # 2% spare covers the 44.1 kHz family's padding bytes. Parts are still measured (``_fit``), as a backstop.
    per_second = _MP3_BITRATES[layout] / 8
    seconds = (max_bytes / per_second - 4 * (1152 if rate >= 32000 else 576) / rate) * 0.98
    if seconds < 1:
        raise _second_too_big(max_bytes, f"MP3 at {_MP3_BITRATES[layout] // 1000} kb/s", per_second, name)
    return seconds


def _encode_parts(
    clip: _Clip, name: str | None, rate: int, layout: str, per_part: int
) -> Iterator[tuple[bytes, float, float]]:
    """MP3 parts of ``per_part`` samples; a FIFO cuts the decoder's frames exactly at the part boundaries."""
    fifo = av.AudioFifo()
    writer, written, start = _Mp3Writer(rate, layout), 0, 0
    for frame in _pcm_frames(clip, name, rate, layout):
        fifo.write(frame)
        while piece := fifo.read(min(fifo.samples, per_part - written)):
            writer.write(piece)
            written += piece.samples
            if written == per_part:
                yield writer.finish(), start / rate, (start + written) / rate
                writer, written, start = _Mp3Writer(rate, layout), 0, start + written
    if written:
        yield writer.finish(), start / rate, (start + written) / rate
    elif not start:
        raise MediaDecodeError("the audio holds no samples that decode", where=name, fix=_REEXPORT_HINT)


def _fit(
    part: bytes, start: float, end: float, max_bytes: int | None, name: str | None
) -> Iterator[tuple[bytes, float, float]]:
    """``part`` if it is within ``max_bytes``, else its halves (decoded and re-encoded: a rare backstop)."""
    if max_bytes is None or len(part) <= max_bytes:
        yield part, start, end
        return
    if end - start <= 1:
        raise _second_too_big(max_bytes, "this MP3", len(part) / (end - start), name)
    # A hair over half, so rounding cannot leave a one-sample third piece.
    pieces = list(split_audio_bytes(part, max_seconds=(end - start) / 2 + 1e-3, max_bytes=max_bytes, name=name))
    for piece in pieces:
        yield piece.data, start + piece.start_s, end if piece is pieces[-1] else start + piece.end_s


class _Mp3Writer:
    """A libmp3lame encoder writing one MP3 file to memory."""

    def __init__(self, rate: int, layout: str) -> None:
        self._buffer = io.BytesIO()
        # No ID3v2 tag (it would only name the muxer); the Xing/LAME frame stays so decoders trim the encoder delay.
        self._container = av.open(self._buffer, "w", format="mp3", container_options={"id3v2_version": "0"})
        self._stream = self._container.add_stream("libmp3lame", rate=rate)
        self._stream.layout = layout
        self._stream.bit_rate = _MP3_BITRATES[layout]

    def write(self, frame: AudioFrame) -> None:
        frame.pts = None  # the encoder numbers the samples itself; cut and resampled frames carry stale timestamps
        self._container.mux(self._stream.encode(frame))

    def finish(self) -> bytes:
        self._container.mux(self._stream.encode(None))
        self._container.close()
        return self._buffer.getvalue()


def _pcm_frames(clip: _Clip, name: str | None, rate: int, layout: str) -> Iterator[AudioFrame]:
    """Decode ``clip`` once, yielding float planar frames at ``rate`` and ``layout`` as the decoder produces them."""
    with _open(clip, name) as container:
        stream = _audio_stream(container, name)
        resampler = av.AudioResampler(format="fltp", layout=layout, rate=rate)
        decoded = 0
        try:
            for frame in container.decode(stream):
                decoded += frame.samples
                frame.pts = None  # timestamps can jump (chained Ogg, edit lists) and the resampler needs none
                yield from resampler.resample(frame)
            yield from resampler.resample(None)
        except (av.FFmpegError, ValueError) as error:  # ValueError: the stream changed format midway
            at = f"stops decoding after {decoded / stream.sample_rate:.1f} s" if decoded else "does not decode"
            raise _undecodable(container, stream, at, error, name) from None


def _open(clip: _Clip, name: str | None) -> InputContainer:
    try:
        return av.open(_rewound(clip), "r")
    except av.FFmpegError:
        if isinstance(clip, bytes):
            size, head = f"{len(clip):,} bytes", clip[:16]
        else:
            head = _rewound(clip).read(16)
            size = f"{clip.seek(0, io.SEEK_END):,} bytes of the file"
        raise MediaDecodeError(
            f"PyAV recognises no audio or video format in these {size} (they start with {head!r})",
            where=name,
            fix=_FORMATS_HINT,
        ) from None


def _audio_stream(container: InputContainer, name: str | None) -> AudioStream:
    fmt = container.format.name
    kind = _describe(fmt)[0] if fmt in _CONTAINERS else container.format.long_name
    if not container.streams.audio:
        held = ", ".join(f"{s.type} ({_codec(s)})" for s in container.streams) or "no streams at all"
        raise MediaDecodeError(
            f"PyAV found no audio stream in this {kind} container; it holds {held}",
            where=name,
            fix=f"{_FORMATS_HINT}; images go in image content, and a video's sound must be extracted first",
        )
    stream = container.streams.audio[0]
    if stream.codec_context is None:  # PyAV's FFmpeg has no decoder for it, so it knows no codec name or rate either
        raise MediaDecodeError(
            f"PyAV has no decoder for the audio codec in this {kind} container",
            where=name,
            fix=f"convert it with an audio editor first, or {_FORMATS_HINT}",
        )
    return stream


def _codec(stream: Stream) -> str:
    return stream.codec_context.codec.canonical_name if stream.codec_context is not None else "unknown codec"


def _inspect_wav(source: _Clip, name: str | None) -> AudioInfo:
    """Without PyAV: PCM WAV through the standard library, whose parser knows nothing else."""
    try:
        with wave.open(_rewound(source)) as clip:
            rate, channels, width = clip.getframerate(), clip.getnchannels(), clip.getsampwidth()
            frames = 0
            while chunk := clip.readframes(1 << 16):  # count what is there: a truncated file's header overstates it
                frames += len(chunk) // (channels * width)
    except (wave.Error, EOFError) as error:
        raise MediaExtraRequiredError(
            f"without PyAV only PCM WAV can be read, and this is not PCM WAV the wave module reads ({error})",
            where=name,
        ) from None
    if not frames or not rate:
        raise MediaDecodeError("the WAV holds no audio samples", where=name, fix=_REEXPORT_HINT)
    codec = "pcm_u8" if width == 1 else f"pcm_s{8 * width}le"
    return AudioInfo("wav", codec, _describe("wav")[1], "wav", frames / rate, rate, channels)


def _describe(fmt: str) -> tuple[str, str]:
    """What people call a PyAV container, and its MIME type."""
    return _CONTAINERS.get(fmt, (fmt, f"audio/x-{fmt.split(',')[0]}"))


def _label(fmt: str, codec: str) -> str:
    """``"Opus in Ogg"``; just ``"FLAC"`` where codec and container share the name."""
    codec_label, container_label = _CODECS.get(codec, codec), _describe(fmt)[0]
    return codec_label if codec_label == container_label else f"{codec_label} in {container_label}"


def _mp3_target(info: AudioInfo) -> tuple[int, str]:
    """The MP3 sample rate nearest the clip's (ties go up) and mono or stereo."""
    rate = min(_MP3_RATES, key=lambda r: (abs(r - (info.sample_rate or 48000)), -r))
    return rate, "mono" if info.channels == 1 else "stereo"


def _frames_for(seconds: float, rate: int) -> int:
    # The epsilon keeps 0.29 s at 100 Hz at 29 samples, not 28 (0.29 * 100 == 28.999999999999996).
    return max(1, math.floor(seconds * rate + 1e-6))


def _undecodable(
    container: InputContainer, stream: AudioStream, what: str, error: Exception, name: str | None
) -> MediaDecodeError:
    label = _label(container.format.name, _codec(stream))
    return MediaDecodeError(f"the {label} audio {what} ({error})", where=name, fix=_REEXPORT_HINT)


def _second_too_big(max_bytes: int, what: str, per_second: float, name: str | None) -> MediaValidationError:
    return MediaValidationError(
        f"one second of {what} takes about {per_second:,.0f} bytes, more than max_bytes={max_bytes:,}",
        where=name,
        limit=f"{max_bytes:,} bytes per part",
        fix=f"raise max_bytes to at least {2 * math.ceil(per_second):,}",
    )
