"""What the emulator can tell about the images and audio in a request, and the documented limits it enforces.

With the ``media`` extra installed, images are decoded with Pillow and audio is probed with PyAV, so the emulator
reports real formats, sizes and durations and refuses data that does not decode. Without it, the emulator reports
what it can (the declared MIME type or format and the byte size; WAV durations through the standard library) and
says that it did not inspect the rest. Nothing is ever fetched: URLs are reported as "remote, not fetched".
"""

from __future__ import annotations

import base64
import binascii
import io
import wave
from dataclasses import dataclass
from types import ModuleType

from ..profiles import IMAGE_MIME_ALIASES, ModelProfile

Image: ModuleType | None
av: ModuleType | None
try:  # the media extra
    from PIL import Image, UnidentifiedImageError
except ImportError:  # pragma: no cover - exercised in the no-extra environment
    Image = None
try:
    import av
except ImportError:  # pragma: no cover
    av = None

NOT_INSPECTED = "not inspected: install langchain-azure-multimodal[media]"
#: Pillow's format names for the formats the service takes.
_PILLOW_FORMATS = {"JPEG": "jpeg", "PNG": "png", "GIF": "gif", "WEBP": "webp", "MPO": "jpeg"}
#: PyAV container names for the audio formats the service takes.
_AV_CONTAINERS = {"wav": {"wav"}, "mp3": {"mp3"}}


class MediaError(ValueError):
    """A media item the service would refuse; ``target`` is its JSON path in the request body."""

    def __init__(self, target: str, message: str) -> None:
        super().__init__(f"{target}: {message}")
        self.target = target
        self.message = message


@dataclass(frozen=True)
class ImageFacts:
    detail: str
    remote: bool = False
    format: str | None = None
    width: int | None = None
    height: int | None = None
    size_bytes: int | None = None
    note: str | None = None

    def describe(self) -> str:
        if self.remote:
            return f"remote URL (remote, not fetched), detail={self.detail}"
        size = f"{self.width}x{self.height}, " if self.width else ""
        note = f" ({self.note})" if self.note else ""
        return f"{self.format} {size}{self.size_bytes:,} bytes, detail={self.detail}{note}"


@dataclass(frozen=True)
class AudioFacts:
    remote: bool = False
    format: str | None = None
    duration_s: float | None = None
    size_bytes: int | None = None
    note: str | None = None

    def describe(self) -> str:
        if self.remote:
            return "remote URL (remote, not fetched)"
        duration = f"{self.duration_s:.2f} s, " if self.duration_s is not None else "duration unknown, "
        note = f" ({self.note})" if self.note else ""
        return f"{self.format} {duration}{self.size_bytes:,} bytes{note}"


def is_remote(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def decode_base64(target: str, data: str) -> bytes:
    try:
        return base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError) as error:
        raise MediaError(target, f"the base64 data does not decode ({error}); send standard base64") from None


def parse_data_url(target: str, url: str) -> tuple[str, bytes]:
    """Split ``data:<mime>;base64,<data>`` into the MIME type and the decoded bytes."""
    header, sep, data = url.partition(",")
    if not url.startswith("data:") or not sep:
        raise MediaError(target, "expected an http(s) URL or a data URL of the form data:<mime>;base64,<data>")
    mime, *params = header[len("data:") :].split(";")
    if "base64" not in params:
        raise MediaError(target, "the data URL is not base64-encoded; use data:<mime>;base64,<data>")
    if not mime:
        raise MediaError(target, "the data URL has no MIME type; use e.g. data:image/png;base64,<data>")
    return mime.strip().lower(), decode_base64(target, data)


def inspect_image(target: str, url: str, detail: str | None, profile: ModelProfile) -> ImageFacts:
    """Facts about one ``image_url`` item; raises :class:`MediaError` for what the service refuses."""
    detail = detail or "auto"
    if is_remote(url):
        return ImageFacts(detail=detail, remote=True)
    mime, data = parse_data_url(target, url)
    kind, _, subtype = mime.partition("/")
    declared = IMAGE_MIME_ALIASES.get(subtype) if kind == "image" else None
    if declared is None or declared not in profile.image_formats:
        allowed = ", ".join(sorted(profile.image_formats))
        raise MediaError(target, f"unsupported image type {mime!r}; {profile.name} takes {allowed}")
    if not data:
        raise MediaError(target, "the image data is empty")
    if len(data) > profile.max_image_bytes:
        raise MediaError(
            target,
            f"the image is {len(data):,} bytes, over the {profile.max_image_bytes:,}-byte limit; "
            "downscale or re-encode it",
        )
    if Image is None:
        return ImageFacts(detail=detail, format=declared, size_bytes=len(data), note=NOT_INSPECTED)
    try:
        with Image.open(io.BytesIO(data)) as image:
            actual = _PILLOW_FORMATS.get(image.format or "")
            width, height = image.size
            image.load()  # decoding is the only way to find truncated or corrupt data
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as error:
        raise MediaError(target, f"the image data does not decode as {declared} ({error})") from None
    if actual is None or actual not in profile.image_formats:
        raise MediaError(target, f"the image data is {image.format}, which {profile.name} does not take")
    note = None if actual == declared else f"declared {mime}"
    return ImageFacts(detail=detail, format=actual, width=width, height=height, size_bytes=len(data), note=note)


def inspect_audio(target: str, data_b64: str, declared: str, profile: ModelProfile) -> AudioFacts:
    """Facts about one ``input_audio`` item; raises :class:`MediaError` for what the service refuses."""
    if declared not in profile.audio_formats:
        allowed = ", ".join(sorted(profile.audio_formats))
        raise MediaError(target, f"unsupported audio format {declared!r}; {profile.name} takes {allowed}")
    data = decode_base64(target, data_b64)
    if not data:
        raise MediaError(target, "the audio data is empty")
    if len(data) > profile.max_audio_bytes:
        raise MediaError(target, f"the audio is {len(data):,} bytes, over the {profile.max_audio_bytes:,}-byte limit")
    if av is not None:
        return AudioFacts(format=declared, size_bytes=len(data), duration_s=_probe_duration(target, data, declared))
    if declared == "wav":
        return AudioFacts(format="wav", size_bytes=len(data), duration_s=_wav_duration(target, data))
    return AudioFacts(format=declared, size_bytes=len(data), note=NOT_INSPECTED)


def _wav_duration(target: str, data: bytes) -> float:
    try:
        with wave.open(io.BytesIO(data)) as clip:
            return float(clip.getnframes()) / float(clip.getframerate())
    except (wave.Error, EOFError, ZeroDivisionError) as error:
        raise MediaError(target, f"the audio data does not decode as wav ({error})") from None


def _probe_duration(target: str, data: bytes, declared: str) -> float:
    assert av is not None
    try:
        with av.open(io.BytesIO(data), format=declared) as container:
            names = set(container.format.name.split(","))
            if not names & _AV_CONTAINERS[declared] or not container.streams.audio:
                raise MediaError(target, f"the audio data is not {declared}")
            stream = container.streams.audio[0]
            if container.duration is not None:
                return float(container.duration) / float(av.time_base)
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            return float(sum(float(frame.samples) / frame.sample_rate for frame in container.decode(stream)))
    except av.FFmpegError as error:
        raise MediaError(target, f"the audio data does not decode as {declared} ({error.strerror or error})") from None
