"""Image and audio content blocks from paths, bytes, file objects, URLs and PIL images.

:func:`image_part` and :func:`audio_part` return standard LangChain v1 blocks, ready for
``HumanMessage(content=[...])``; :func:`split_audio` cuts a long recording into such blocks, with start and end
times. The builders describe the media faithfully and change nothing: the type comes from the bytes (Pillow
identifies images, PyAV probes audio), and the original file name and size go in the block's ``extras``.
Converting, downscaling and the model's limits are applied when the chat model sends the message, so a 25 MB phone
photo makes a valid block here (it may be 200 KB once normalised).

A source is a path (``str`` or ``os.PathLike``), ``bytes``/``bytearray``/``memoryview``, a binary file object (read
from its current position), an http(s) URL (kept as a URL, never fetched), a ``data:`` URL, or a PIL image (encoded
losslessly as PNG). One that cannot be read raises a :class:`~.errors.MediaError` saying what, where and the fix.

Pillow and PyAV are the ``media`` extra. Without them a block is still built when its type is known anyway (a data
URL's MIME type, a file name's extension in :data:`~.profiles.MEDIA_TYPES_BY_EXTENSION`; PCM WAV is read by the
standard library), with ``extras["inspected"]`` ``False``; when it is not, :class:`~.errors.MediaExtraRequiredError`
names the extra to install.
"""

from __future__ import annotations

import base64
import binascii
import errno
import io
import os
import re
import stat
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, BinaryIO, Literal, TypeAlias, Union

from . import _audio, _images
from ._urls import DataUrlError, is_data_url, is_http_url, parse_data_url
from .errors import MediaDecodeError, MediaExtraRequiredError, MediaSourceError, MediaValidationError
from .profiles import MAX_IMAGE_BYTES, MAX_SOURCE_BYTES, MEBIBYTE, ImageDetail, check_image_detail, media_type_for_name

if TYPE_CHECKING:
    import PIL.Image

#: Everything the builders read media from.
Source: TypeAlias = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, BinaryIO, "PIL.Image.Image"]
Kind = Literal["image", "audio"]

#: A long recording is what split_audio is for: 4 GiB is hours of studio WAV.
_MAX_SPLIT_BYTES = 4096 * MEBIBYTE
_ACCEPTED = "a path, bytes, a binary file object, an http(s) or data: URL, or a PIL image"
#: Two letters at least, so a Windows drive (``C:\\``) stays a path.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+):")


@dataclass(frozen=True)
class _Loaded:
    """A source read into memory (or a URL kept as one); ``where`` names it in errors."""

    data: bytes = b""
    url: str | None = None
    where: str | None = None
    filename: str | None = None
    declared: str | None = None  # a data URL's MIME type, or the format a PIL image was encoded in


def image_part(source: Source, *, detail: ImageDetail | None = None, name: str | None = None) -> dict[str, Any]:
    """A v1 image block for ``source``; ``detail`` goes in ``extras``, ``name`` overrides the file name.

    The pixels are decoded once (a JPEG at 1/8 scale) so that truncated or corrupt data fails here, with
    :class:`~.errors.MediaDecodeError`, rather than at the service.

    Example:
        >>> import io
        >>> from PIL import Image
        >>> from langchain_core.messages import HumanMessage
        >>> png = io.BytesIO()
        >>> Image.new("RGB", (64, 48), "teal").save(png, "PNG")
        >>> block = image_part(png.getvalue(), detail="low", name="chart.jpg")  # the bytes say PNG, not the name
        >>> block["type"], block["mime_type"], block["extras"]["size_bytes"] == len(png.getvalue())
        ('image', 'image/png', True)
        >>> {key: value for key, value in block["extras"].items() if key != "size_bytes"}
        {'filename': 'chart.jpg', 'width': 64, 'height': 48, 'format': 'png', 'detail': 'low', 'inspected': True}
        >>> image_part("https://example.com/cat.jpg", detail="high")  # kept as a URL, never fetched
        {'type': 'image', 'url': 'https://example.com/cat.jpg', 'extras': {'detail': 'high'}}
        >>> message = HumanMessage(content=[{"type": "text", "text": "What is this?"}, block])
    """
    check_image_detail(detail)
    loaded = _load(source, name, "image", MAX_SOURCE_BYTES)
    if loaded.url is not None:
        return _block("image", loaded, None, {"filename": loaded.filename, "detail": detail})
    extras: dict[str, Any] = {"filename": loaded.filename, "size_bytes": len(loaded.data)}
    try:
        info = _images.check_image(loaded.data, name=loaded.where)
    except MediaExtraRequiredError as missing:
        mime = _known_mime(loaded, "image", missing)
        return _block("image", loaded, mime, {**extras, "detail": detail, "inspected": False})
    extras.update(width=info.width, height=info.height, format=info.format, detail=detail, inspected=True)
    return _block("image", loaded, info.mime_type, {**extras, **_declared(loaded, info.mime_type)})


def audio_part(source: Source, *, name: str | None = None) -> dict[str, Any]:
    """A v1 audio block for ``source``, probed with PyAV (PCM WAV also without it); ``name`` overrides the file name.

    Example:
        >>> import io, wave
        >>> wav = io.BytesIO()
        >>> with wave.open(wav, "wb") as clip:  # two seconds of 16 kHz silence
        ...     clip.setnchannels(1); clip.setsampwidth(2); clip.setframerate(16000)
        ...     clip.writeframes(bytes(2 * 16000 * 2))
        >>> block = audio_part(io.BytesIO(wav.getvalue()), name="memo.mp3")  # a WAV, whatever its name
        >>> block["type"], block["mime_type"], block["base64"][:8]
        ('audio', 'audio/wav', 'UklGRiT6')
        >>> block["extras"]  # doctest: +NORMALIZE_WHITESPACE
        {'filename': 'memo.mp3', 'size_bytes': 64044, 'duration_s': 2.0, 'sample_rate': 16000, 'channels': 1,
         'codec': 'pcm_s16le', 'inspected': True}
    """
    loaded = _load(source, name, "audio", MAX_SOURCE_BYTES)
    if loaded.url is not None:
        return _block("audio", loaded, None, {"filename": loaded.filename})
    extras: dict[str, Any] = {"filename": loaded.filename, "size_bytes": len(loaded.data)}
    try:
        info = _audio.inspect_audio(loaded.data, name=loaded.where)
    except MediaExtraRequiredError as missing:
        return _block("audio", loaded, _known_mime(loaded, "audio", missing), {**extras, "inspected": False})
    extras.update(duration_s=info.duration_s, sample_rate=info.sample_rate, channels=info.channels, codec=info.codec)
    return _block("audio", loaded, info.mime_type, {**extras, "inspected": True, **_declared(loaded, info.mime_type)})


def split_audio(
    source: Source, *, max_seconds: float | None = None, max_bytes: int | None = None, name: str | None = None
) -> Iterator[dict[str, Any]]:
    """Audio blocks for consecutive parts of ``source``, each within ``max_seconds`` and ``max_bytes``.

    PCM WAV is cut into exact WAV slices; anything else becomes MP3 parts, encoded as the decoder goes. The limits
    are checked and the source is opened (bytes, file objects and data URLs are read) at call time; the parts are
    made one at a time, as they are iterated. A path is read as the parts are made, so only one part is in memory
    at a time, however large the file; without ``max_bytes``, a part is at most 20 MiB (the service's limit on a
    clip). Each part's ``extras`` has ``index``, ``start_s`` and ``end_s`` in the original, its own
    ``size_bytes`` and ``duration_s``, and the source's ``filename``.

    Example:
        >>> import io, wave
        >>> wav = io.BytesIO()
        >>> with wave.open(wav, "wb") as clip:  # 65 seconds of 8 kHz silence
        ...     clip.setnchannels(1); clip.setsampwidth(2); clip.setframerate(8000)
        ...     clip.writeframes(bytes(2 * 8000 * 65))
        >>> parts = split_audio(wav.getvalue(), max_seconds=30, name="call.wav")
        >>> [(p["mime_type"], p["extras"]["start_s"], p["extras"]["end_s"]) for p in parts]
        [('audio/wav', 0.0, 30.0), ('audio/wav', 30.0, 60.0), ('audio/wav', 60.0, 65.0)]
    """
    path = _local_path(source, name)
    if path is not None:
        return _FileParts(path, name, max_seconds, max_bytes)
    loaded = _load(source, name, "audio", _MAX_SPLIT_BYTES)
    if loaded.url is not None:
        what = "split_audio needs the audio's bytes; a URL is never fetched"
        raise MediaSourceError(what, where=loaded.where, fix="download it first, then pass the file or its bytes")
    segments = _audio.split_audio_bytes(loaded.data, max_seconds=max_seconds, max_bytes=max_bytes, name=loaded.where)
    return _split_blocks(segments, loaded)


class _FileParts(Iterator[dict[str, Any]]):
    """split_audio's blocks for a path: the file is opened and checked now, read as the parts are made, and closed
    when they are all made, when iteration stops with an error, or when the iterator is dropped unfinished."""

    def __init__(self, path: str, name: str | None, max_seconds: float | None, max_bytes: int | None) -> None:
        self._file: BinaryIO | None = None
        file, size = _open_capped(path, "audio", _MAX_SPLIT_BYTES)  # a source error comes before a limit's
        self._file = file
        try:
            _audio._check_limits("split_audio", max_seconds, max_bytes)
            segments = _audio.split_audio_file(file, max_seconds=max_seconds, max_bytes=max_bytes, name=path, size=size)
        except BaseException:
            self.close()
            raise
        self._blocks = _split_blocks(segments, _Loaded(where=path, filename=name or os.path.basename(path)))

    def __next__(self) -> dict[str, Any]:
        try:
            return next(self._blocks)
        except BaseException:
            self.close()
            raise

    def close(self) -> None:
        file, self._file = self._file, None
        if file is not None:
            blocks = getattr(self, "_blocks", None)  # None when __init__ failed after opening
            if blocks is not None:
                blocks.close()
            file.close()

    def __del__(self) -> None:
        self.close()


def _split_blocks(segments: Iterator[_audio.AudioSegment], loaded: _Loaded) -> Iterator[dict[str, Any]]:
    for segment in segments:
        duration = round(segment.end_s - segment.start_s, 6)  # no 4.999999999 from float subtraction
        extras = {"filename": loaded.filename, "size_bytes": len(segment.data), "duration_s": duration,
                  "index": segment.index, "start_s": segment.start_s, "end_s": segment.end_s}  # fmt: skip
        yield _block("audio", _Loaded(segment.data), segment.mime_type, extras)


def _block(kind: Kind, loaded: _Loaded, mime: str | None, extras: dict[str, Any]) -> dict[str, Any]:
    block: dict[str, Any] = {"type": kind}
    if loaded.url is not None:
        block["url"] = loaded.url
    else:
        block.update(base64=base64.b64encode(loaded.data).decode("ascii"), mime_type=mime)
    kept = {key: value for key, value in extras.items() if value is not None}
    if kept:
        block["extras"] = kept
    return block


def _declared(loaded: _Loaded, detected: str) -> dict[str, str]:
    """``declared_mime_type`` when a data URL said something else than the bytes (which win)."""
    declared = loaded.declared
    return {"declared_mime_type": declared} if declared is not None and declared != detected else {}


def _known_mime(loaded: _Loaded, kind: Kind, missing: MediaExtraRequiredError) -> str:
    """Without the media extra, the type a data URL declares or the file name implies; else the extra's error."""
    mime = loaded.declared or (media_type_for_name(loaded.filename) if loaded.filename else None)
    if mime is None or not mime.startswith(f"{kind}/"):
        what = f"{missing.what}, and without it the {kind}'s type is not known (no {kind} MIME type or file extension)"
        raise MediaExtraRequiredError(what, where=loaded.where) from None
    return mime


def _load(source: Source, name: str | None, kind: Kind, limit: int) -> _Loaded:
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = source.tobytes() if isinstance(source, memoryview) else bytes(source)
        return _checked(_Loaded(data, where=name, filename=name), "the data", kind, limit)
    path = _local_path(source, name)
    if path is not None:
        return _read_path(path, name, kind, limit)
    if isinstance(source, str) and is_http_url(source):
        return _Loaded(url=source, where=name or source, filename=name)
    if isinstance(source, str) and is_data_url(source):
        return _data_url(source, name, kind, limit)
    pil = sys.modules.get("PIL.Image")  # a PIL image exists only if Pillow was imported: no import needed here
    if pil is not None and isinstance(source, pil.Image):
        if kind == "audio":
            raise MediaSourceError("a PIL image is not audio", where=name, fix="pass it to image_part instead")
        return _encode_pil(source, name)
    if callable(getattr(source, "read", None)):
        return _read_file(source, name, kind, limit)
    what = f"cannot read the {kind} from an object of type {type(source).__name__}"
    raise MediaSourceError(what, where=name, fix=f"pass {_ACCEPTED}")


def _local_path(source: object, name: str | None) -> str | None:
    """The path ``source`` names, or ``None`` when it is no path (bytes, a file object, an http(s) or data URL);
    other URL schemes are refused."""
    if not isinstance(source, (str, os.PathLike)):
        return None
    if isinstance(source, str):
        if is_http_url(source) or is_data_url(source):
            return None
        if scheme := _SCHEME.match(source):
            scheme_name = scheme.group(1).lower()
            if scheme_name == "file":
                raise MediaSourceError("file: URLs are not read", where=name or source, fix="pass the path itself")
            if source[scheme.end() : scheme.end() + 2] == "//":  # else a path with a colon in its name
                fix = "download it first and pass the file or its bytes; only http(s) URLs are sent as URLs"
                raise MediaSourceError(f"{scheme_name}: URLs are not read", where=name or source[:80], fix=fix)
    return os.fsdecode(source)


def _checked(loaded: _Loaded, what: str, kind: Kind, limit: int, *, read: bool = False) -> _Loaded:
    if not loaded.data:
        raise MediaSourceError(f"{what} is empty", where=loaded.where, fix=f"pass a file or bytes that hold the {kind}")
    if len(loaded.data) > limit:
        raise _too_big(None if read else len(loaded.data), loaded.where, kind, limit)
    return loaded


def _too_big(size: int | None, where: str | None, kind: Kind, limit: int) -> MediaValidationError:
    size_text = f"over {limit:,} bytes" if size is None else f"{size:,} bytes"  # a capped read knows no more
    if limit == MAX_SOURCE_BYTES:
        what = f"the {kind} source is {size_text}, over the {limit:,} bytes read whole for one {kind}"
        service = f"the service takes {MAX_IMAGE_BYTES // MEBIBYTE} MiB per image"
        fix = (
            "cut it with split_audio(source, max_seconds=600), which reads a file one part at a time"
            if kind == "audio"
            else f"downscale it, or save it as JPEG, first ({service})"
        )
        return MediaValidationError(what, where=where, limit=f"{limit // MEBIBYTE:,} MiB per source", fix=fix)
    what = f"the {kind} source is {size_text}, over the {limit:,}-byte guard for one recording"
    return MediaValidationError(what, where=where, limit=f"{limit // MEBIBYTE:,} MiB per source",
                                fix="cut it into shorter recordings first")  # fmt: skip


def _data_url(url: str, name: str | None, kind: Kind, limit: int) -> _Loaded:
    """A data URL's bytes: base64 (wrapped lines allowed) or percent-encoded, as RFC 2397 allows for local input."""
    where = name or "data URL"
    try:
        parsed = parse_data_url(url)
        data = parsed.decode()
    except DataUrlError as error:
        fix = f"write it as data:{kind}/<format>;base64,<data>, or pass the bytes themselves"
        raise MediaSourceError(str(error), where=where, fix=fix) from None
    except binascii.Error:
        fix = "encode the bytes with base64.b64encode (standard alphabet, with padding)"
        raise MediaDecodeError("the data URL's base64 does not decode", where=where, fix=fix) from None
    declared = parsed.mime_type
    return _checked(_Loaded(data, where=where, filename=name, declared=declared), "the data URL's data", kind, limit)


#: What a path that is not a regular file is, by its ``stat`` mode.
_SPECIAL_FILES = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISCHR, "a character device"),
    (stat.S_ISBLK, "a block device"),
    (stat.S_ISSOCK, "a socket"),
    (stat.S_ISDIR, "a directory"),
)


def _open_regular(path: str) -> BinaryIO:
    """``path`` opened for reading if it is a regular file. Opened without blocking, then checked: opening a FIFO
    for reading waits for a writer forever, and a device such as /dev/zero never ends."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_CLOEXEC", 0))
    mode = os.fstat(fd).st_mode
    if stat.S_ISREG(mode):
        return os.fdopen(fd, "rb")
    os.close(fd)
    what = next((name for test, name in _SPECIAL_FILES if test(mode)), "not a regular file")
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, what, path)
    fix = "pass a regular file (copy what the pipe or device gives into one first)"
    raise MediaSourceError(f"this is {what}, not a regular file", where=path, fix=fix)


def _read_path(path: str, name: str | None, kind: Kind, limit: int) -> _Loaded:
    with _source_errors(path), _open_regular(path) as file:
        size = os.fstat(file.fileno()).st_size
        if size > limit:  # before reading: the size alone says no
            raise _too_big(size, path, kind, limit)
        # Asking for the size the file has (not the limit) spares a buffer of the whole limit per read. A file that
        # grew, or a device with no size, is read on up to one byte over the limit.
        data = file.read(size + 1)
        if len(data) > size:
            data += file.read(limit + 1 - len(data))
    filename = name or os.path.basename(path)
    return _checked(_Loaded(data, where=path, filename=filename), "the file", kind, limit, read=True)


def _open_capped(path: str, kind: Kind, limit: int) -> tuple[BinaryIO, int]:
    """``path`` opened to be read as it is used, and its size: refused now if it is empty or over ``limit``, and
    refused as it is read if it grows past ``limit`` (the size a file has when it is opened is no promise)."""
    with _source_errors(path):
        file = _open_regular(path)
        size = os.fstat(file.fileno()).st_size
        if not size or size > limit:
            file.close()
            if not size:
                raise MediaSourceError("the file is empty", where=path, fix=f"pass a file that holds the {kind}")
            raise _too_big(size, path, kind, limit)
    raw = _CappedReader(file, limit, _too_big(None, path, kind, limit))
    return io.BufferedReader(raw), size


class _CappedReader(io.RawIOBase):
    """A regular file that raises ``over`` once something reads past ``limit`` bytes into it."""

    def __init__(self, file: BinaryIO, limit: int, over: MediaValidationError) -> None:
        self._file, self._limit, self._over = file, limit, over

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        room = self._limit + 1 - self._file.tell()
        if room <= 0:
            raise self._over
        view = memoryview(buffer).cast("B")
        data = self._file.read(min(len(view), room))
        view[: len(data)] = data
        if self._file.tell() > self._limit:
            raise self._over
        return len(data)

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        return self._file.seek(offset, whence)

    def tell(self) -> int:
        return self._file.tell()

    def fileno(self) -> int:
        return self._file.fileno()

    def close(self) -> None:
        self._file.close()
        super().close()


@contextmanager
def _source_errors(path: str) -> Iterator[None]:
    """The OS's errors on opening or reading ``path``, as MediaSourceErrors that say what to do."""
    try:
        yield
    except FileNotFoundError:
        broken = " (a symlink to a missing file)" if os.path.islink(path) else ""
        fix = f"check the path; a relative one is resolved from {os.getcwd()}"
        raise MediaSourceError(f"no such file{broken}", where=path, fix=fix) from None
    except (IsADirectoryError, PermissionError) as error:
        if isinstance(error, IsADirectoryError) or os.path.isdir(path):  # Windows reports a folder as denied
            fix = "pass a file (for a folder, iterate over its files)"
            raise MediaSourceError("this is a directory", where=path, fix=fix) from None
        fix = "make the file readable by this process, or copy it somewhere it is"
        raise MediaSourceError("permission denied", where=path, fix=fix) from None
    except OSError as error:
        if error.errno == errno.ELOOP:
            fix = "point the symlinks at a real file"
            raise MediaSourceError("the path is a symlink loop", where=path, fix=fix) from None
        raise MediaSourceError(f"cannot read the file ({error.strerror or error})", where=path) from None


def _read_file(file: Any, name: str | None, kind: Kind, limit: int) -> _Loaded:
    own = getattr(file, "name", None)
    filename = name or (os.path.basename(own) if isinstance(own, str) else None)
    where = own if isinstance(own, str) else name or "file object"
    text_mode = MediaSourceError("the file is open in text mode", where=where, fix="open it in binary mode ('rb')")
    if isinstance(file, io.TextIOBase):
        raise text_mode
    try:
        data = file.read(limit + 1)
    except UnicodeDecodeError:
        raise text_mode from None
    except (OSError, ValueError, TypeError) as error:  # ValueError: a closed file; TypeError: read() takes no size
        raise MediaSourceError(f"the file cannot be read ({error})", where=where, fix="pass an open file") from None
    if isinstance(data, str):
        raise text_mode
    if not isinstance(data, (bytes, bytearray, memoryview)):
        fix = "pass an object whose read() returns bytes"
        raise MediaSourceError(f"read() returned a {type(data).__name__}, not bytes", where=where, fix=fix)
    return _checked(_Loaded(bytes(data), where=where, filename=filename), "the file", kind, limit, read=True)


def _encode_pil(image: PIL.Image.Image, name: str | None) -> _Loaded:
    # Lossless, so nothing is lost before normalisation decides the format and size at send time.
    own = getattr(image, "filename", None)
    filename = name or (os.path.basename(own) if isinstance(own, str) and own else None)
    where = filename or "PIL image"
    if image.mode == "PA":
        image = image.convert("RGBA")  # PNG has no palette-with-alpha mode; RGBA holds the same pixels
    buffer, fmt = io.BytesIO(), "PNG" if image.mode not in ("CMYK", "YCbCr", "LAB", "HSV", "F") else "TIFF"
    try:
        image.save(buffer, fmt)  # TIFF for the modes PNG cannot hold; it is lossless too
    except (OSError, ValueError, KeyError) as error:
        fix = "convert it first, e.g. image.convert('RGB')"
        raise MediaDecodeError(f"the PIL image cannot be encoded as {fmt} ({error})", where=where, fix=fix) from None
    loaded = _Loaded(buffer.getvalue(), where=where, filename=filename, declared=f"image/{fmt.lower()}")
    return _checked(loaded, "the image", "image", MAX_SOURCE_BYTES)
