"""What the emulator can tell about the images and audio in a request, and the documented limits it enforces.

With the ``media`` extra installed, images are decoded with Pillow and audio is probed with PyAV, so the emulator
reports real formats, sizes and durations and refuses data that does not decode. Without it, the emulator reports
what it can (the declared MIME type or format and the byte size; WAV durations through the standard library) and
says that it did not inspect the rest. Nothing is ever fetched: URLs are reported as "remote, not fetched".
"""

from __future__ import annotations

import binascii
import io
import wave
from dataclasses import dataclass
from types import ModuleType

from .._pixel_budget import check_pixels, draft_size, quiet
from .._urls import DataUrlError, is_data_url, is_http_url, parse_data_url
from .._urls import decode_base64 as _strict_base64
from ..errors import MEDIA_EXTRA_INSTALL, MediaError
from ..profiles import IMAGE_MIME_ALIASES, MAX_DECODED_PIXELS, PILLOW_IMAGE_FORMATS, ModelProfile

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

NOT_INSPECTED = f"not inspected: {MEDIA_EXTRA_INSTALL}"


class RefusedMediaError(ValueError):
    """A media item in a request that the service would refuse (the emulator answers 400 with it); ``target`` is
    its JSON path in the request body. Not the client's :class:`~langchain_azure_multimodal.errors.MediaError`,
    which is raised before any request is sent."""

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


def decode_base64(target: str, data: str) -> bytes:
    try:
        return _strict_base64(data)
    except binascii.Error as error:
        raise RefusedMediaError(target, f"the base64 data does not decode ({error}); send standard base64") from None


def read_data_url(target: str, url: str) -> tuple[str, bytes]:
    """The MIME type and decoded bytes of ``data:<mime>;base64,<data>``, by the client's parser (``_urls``)."""
    if not is_data_url(url):
        raise RefusedMediaError(target, "expected an http(s) URL or a data URL of the form data:<mime>;base64,<data>")
    try:
        parsed = parse_data_url(url, require_base64=True)
    except DataUrlError as error:
        raise RefusedMediaError(target, f"{error}; use e.g. data:image/png;base64,<data>") from None
    return parsed.mime_type, decode_base64(target, parsed.payload)


def inspect_image(target: str, url: str, detail: str | None, profile: ModelProfile) -> ImageFacts:
    """Facts about one ``image_url`` item; raises :class:`RefusedMediaError` for what the service refuses."""
    detail = detail or "auto"  # what the service reads a missing detail as
    if is_http_url(url):
        return ImageFacts(detail=detail, remote=True)
    mime, data = read_data_url(target, url)
    kind, _, subtype = mime.partition("/")
    declared = IMAGE_MIME_ALIASES.get(subtype) if kind == "image" else None
    if declared is None or declared not in profile.image_formats:
        allowed = ", ".join(sorted(profile.image_formats))
        raise RefusedMediaError(target, f"unsupported image type {mime!r}; {profile.name} takes {allowed}")
    if not data:
        raise RefusedMediaError(target, "the image data is empty")
    if len(data) > profile.max_image_bytes:
        raise RefusedMediaError(
            target,
            f"the image is {len(data):,} bytes, over the {profile.max_image_bytes:,}-byte limit; "
            "downscale or re-encode it",
        )
    if Image is None:
        return ImageFacts(detail=detail, format=declared, size_bytes=len(data), note=NOT_INSPECTED)
    try:
        with quiet():  # the pixel budget below is stricter than Pillow's warning
            image = Image.open(io.BytesIO(data))
    except Image.DecompressionBombError as error:  # past twice Pillow's own limit: refused on the header alone
        what = f"the image is over the {MAX_DECODED_PIXELS:,} pixels decoded per image ({error})"
        raise RefusedMediaError(target, f"{what}; downscale it before sending") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise RefusedMediaError(target, f"the image data does not decode as {declared} ({error})") from None
    with image:
        actual = PILLOW_IMAGE_FORMATS.get(image.format or "", (None, None))[0]
        if actual is None or actual not in profile.image_formats:
            raise RefusedMediaError(target, f"the image data is {image.format}, which {profile.name} does not take")
        width, height = image.size
        if image.format in ("JPEG", "MPO"):  # read at a libjpeg scale within the budget, as the client reads it
            image.draft(None, draft_size(image.size, None))
        try:
            check_pixels(image, image.format or declared, None)
        except MediaError as error:  # the client's own error, as the service's 400
            raise RefusedMediaError(target, f"{error.what}; {error.fix}") from None
        try:
            image.load()  # decoding is the only way to find truncated or corrupt data
        except (OSError, ValueError, SyntaxError) as error:
            raise RefusedMediaError(target, f"the image data does not decode as {declared} ({error})") from None
    note = None if actual == declared else f"declared {mime}"
    return ImageFacts(detail=detail, format=actual, width=width, height=height, size_bytes=len(data), note=note)


def inspect_audio(target: str, data_b64: str, declared: str, profile: ModelProfile) -> AudioFacts:
    """Facts about one ``input_audio`` item; raises :class:`RefusedMediaError` for what the service refuses."""
    if declared not in profile.audio_formats:
        allowed = ", ".join(sorted(profile.audio_formats))
        raise RefusedMediaError(target, f"unsupported audio format {declared!r}; {profile.name} takes {allowed}")
    data = decode_base64(target, data_b64)
    if not data:
        raise RefusedMediaError(target, "the audio data is empty")
    if len(data) > profile.max_audio_bytes:
        raise RefusedMediaError(
            target, f"the audio is {len(data):,} bytes, over the {profile.max_audio_bytes:,}-byte limit"
        )
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
        raise RefusedMediaError(target, f"the audio data does not decode as wav ({error})") from None


def _probe_duration(target: str, data: bytes, declared: str) -> float:
    assert av is not None
    try:
        with av.open(io.BytesIO(data), format=declared) as container:
            # PyAV's demuxer for each wire format has the format's name ("wav", "mp3").
            if declared not in container.format.name.split(",") or not container.streams.audio:
                raise RefusedMediaError(target, f"the audio data is not {declared}")
            stream = container.streams.audio[0]
            if container.duration is not None:
                return float(container.duration) / float(av.time_base)
            if stream.duration is not None and stream.time_base is not None:
                return float(stream.duration * stream.time_base)
            return float(sum(float(frame.samples) / frame.sample_rate for frame in container.decode(stream)))
    except av.FFmpegError as error:
        raise RefusedMediaError(
            target, f"the audio data does not decode as {declared} ({error.strerror or error})"
        ) from None
