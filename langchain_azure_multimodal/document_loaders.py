"""Document loaders for images and audio: files, folders, URLs and bytes, one light :class:`Document` each.

:class:`ImageLoader` and :class:`AudioLoader` are LangChain ``BaseLoader``s. Each Document holds metadata only,
never the file's bytes, so loading 100k files keeps memory flat; :func:`to_message_part` (or the loader's
``to_message_part`` method) reads the file when the message part is made.

* ``page_content`` is a short label: the file name, the URL, or ``bytes[#i]``.
* ``metadata``: ``source`` (the path as walked, the URL, or ``bytes[#i]`` with ``i`` the position in ``sources``),
  ``kind`` (``"image"``/``"audio"``), ``mime_type`` (from the bytes; a URL's is guessed from its extension, or
  ``None``), ``size_bytes`` and ``sha256`` (not for URLs), ``width``/``height`` for images,
  ``duration_s``/``sample_rate``/``channels`` for audio, and ``detail`` when the ImageLoader was given one.
  In-memory bytes are kept on their Document as ``metadata["data"]`` (the caller holds them anyway); paths never.
* A directory is walked in sorted order. ``recursive=True`` matches ``glob`` at any depth (like ``Path.rglob``),
  ``recursive=False`` only in the top level. ``exclude`` holds fnmatch patterns matched against each name and its
  path relative to the root; an excluded folder is not entered. Files whose extension is not an image (or audio)
  type, e.g. ``notes.txt``, are skipped silently (logged at DEBUG); a file named explicitly is always inspected.
* Symlinks (files or folders) whose target is outside the walked root are not followed (logged at INFO); those
  inside are. A folder is entered once, so symlink loops end.
* A file that cannot be read (missing, permission denied, empty, truncated, not the right media) raises the typed
  :class:`~.errors.MediaError` naming the path and a fix with ``on_error="raise"`` (the default), or is skipped
  with a ``UserWarning`` carrying that message with ``on_error="skip"``.
* URLs are kept as URLs, never fetched. Files are read one at a time, hashed, inspected (images fully decoded, so
  truncated files are caught) and dropped. ``alazy_load`` is natively async: a few files are read in worker
  threads at once, and Documents come out in the same order as ``lazy_load``.

Example:
    >>> import io, pathlib, tempfile
    >>> from PIL import Image
    >>> from langchain_core.messages import HumanMessage
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> Image.new("RGB", (64, 48), "teal").save(folder / "chart.png")
    >>> _ = (folder / "notes.txt").write_text("not an image")
    >>> [doc] = ImageLoader(folder, detail="low").load()
    >>> doc.page_content, doc.metadata["mime_type"], doc.metadata["width"], doc.metadata["height"]
    ('chart.png', 'image/png', 64, 48)
    >>> part = to_message_part(doc)  # the file is read now
    >>> part["type"], part["mime_type"], part["extras"]["detail"]
    ('image', 'image/png', 'low')
    >>> message = HumanMessage(content=[{"type": "text", "text": "Describe it."}, part])
    >>> [url_doc] = ImageLoader("https://example.com/cat.jpg").load()  # never fetched
    >>> url_doc.metadata, to_message_part(url_doc)
    ({'source': 'https://example.com/cat.jpg', 'kind': 'image', 'mime_type': 'image/jpeg'}, {'type': 'image', 'url': 'https://example.com/cat.jpg'})
"""

from __future__ import annotations

import asyncio
import fnmatch
import hashlib
import logging
import mimetypes
import os
import urllib.parse
import warnings
from collections import deque
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path, PurePosixPath
from typing import Any, Literal, TypeAlias, Union

from langchain_core.document_loaders import BaseLoader
from langchain_core.documents import Document

from . import _audio, _images, parts
from .errors import MediaError, MediaExtraRequiredError, MediaSourceError
from .profiles import ImageDetail

__all__ = ["AudioLoader", "ImageLoader", "to_message_part"]

logger = logging.getLogger(__name__)

Item: TypeAlias = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]
Sources: TypeAlias = Item | Sequence[Item]
OnError = Literal["raise", "skip"]
Kind = Literal["image", "audio"]

_EXTRA_TYPES = {".weba": "audio/webm", ".opus": "audio/ogg", ".jfif": "image/jpeg", ".heif": "image/heif"}
_WINDOW = 8  # files read at once by alazy_load


def to_message_part(doc: Document) -> dict[str, Any]:
    """The v1 image or audio block for a Document from these loaders; a path is read (and its sha256 checked) now.

    Raises :class:`~.errors.MediaSourceError` when the file is gone or changed since it was loaded.
    """
    meta = doc.metadata
    kind, source = meta.get("kind"), meta.get("source")
    if kind not in ("image", "audio") or not isinstance(source, str):
        fix = "pass a Document made by ImageLoader or AudioLoader"
        raise MediaSourceError("the Document has no 'kind'/'source' metadata", where=str(source), fix=fix)
    detail = meta.get("detail")
    if "data" in meta:
        data: str | bytes = meta["data"]
        name = None
    elif _is_url(source):
        data, name = source, None
    else:
        loaded = _read(source, kind)
        if meta.get("sha256") not in (None, hashlib.sha256(loaded.data).hexdigest()):
            raise MediaSourceError("the file changed since it was loaded", where=source, fix="load it again")
        data, name = loaded.data, os.path.basename(source)
    if kind == "image":
        return parts.image_part(data, detail=detail, name=name)
    return parts.audio_part(data, name=name)


class _MediaLoader(BaseLoader):
    _kind: Kind

    def __init__(
        self,
        sources: Sources,
        *,
        glob: str = "**/*",
        recursive: bool = True,
        exclude: Sequence[str] = (),
        on_error: OnError = "raise",
    ) -> None:
        if on_error not in ("raise", "skip"):
            raise ValueError(f"on_error must be 'raise' or 'skip', not {on_error!r}")
        if isinstance(sources, (str, bytes, bytearray, memoryview, os.PathLike)):
            self.sources: list[Item] = [sources]
        else:
            self.sources = list(sources)
        self.glob, self.recursive, self.exclude, self.on_error = glob, recursive, tuple(exclude), on_error
        pattern = tuple(part for part in PurePosixPath(glob).parts if part != "**" or recursive)
        self._pattern = pattern if not recursive or pattern[:1] == ("**",) else ("**", *pattern)
        self._extra: dict[str, Any] = {}

    def lazy_load(self) -> Iterator[Document]:
        """The Documents one at a time; a file is read only when its Document is made."""
        for task in self._tasks():
            try:
                doc = task()
            except MediaExtraRequiredError:
                raise
            except MediaError as error:
                self._failed(error)
                continue
            if doc is not None:
                yield doc

    async def alazy_load(self) -> AsyncIterator[Document]:
        """Like :meth:`lazy_load`, reading up to 8 files at once in worker threads; same Documents, same order."""
        tasks, pending, more = self._tasks(), deque[asyncio.Future[Document | None]](), True
        try:
            while True:
                while more and len(pending) < _WINDOW:
                    task = await asyncio.to_thread(next, tasks, None)  # the walk reads directories: off the loop
                    if task is None:
                        more = False
                    else:
                        pending.append(asyncio.ensure_future(asyncio.to_thread(task)))
                if not pending:
                    return
                try:
                    doc = await pending.popleft()
                except MediaExtraRequiredError:
                    raise
                except MediaError as error:
                    self._failed(error)
                    continue
                if doc is not None:
                    yield doc
        finally:
            for future in pending:
                future.cancel()

    def to_message_part(self, doc: Document) -> dict[str, Any]:
        """Same as the module's :func:`to_message_part`."""
        return to_message_part(doc)

    def _failed(self, error: MediaError) -> None:
        if self.on_error == "raise":
            raise error
        warnings.warn(f"skipped: {error}", UserWarning, stacklevel=3)

    def _tasks(self) -> Iterator[Any]:
        """Zero-argument callables, each making one Document (or ``None``) or raising a MediaError."""
        for index, source in enumerate(self.sources):
            if isinstance(source, (bytes, bytearray, memoryview)):
                data = source.tobytes() if isinstance(source, memoryview) else bytes(source)
                yield lambda data=data, label=f"bytes[#{index}]": self._from_bytes(data, label)
            elif isinstance(source, str) and _is_url(source):
                yield lambda url=source: self._from_url(url)
            elif isinstance(source, (str, os.PathLike)):
                path = Path(source)
                if path.is_dir():
                    for found in self._walk(path):
                        yield lambda found=found: self._from_path(found)
                else:
                    yield lambda path=path: self._from_path(path)
            else:
                what = f"cannot load from an object of type {type(source).__name__}"
                raise TypeError(f"{what}; pass a path, a folder, an http(s) URL or bytes")

    def _walk(self, root: Path) -> Iterator[Path]:
        real_root = os.path.realpath(root)
        yield from self._walk_dir(root, real_root, (), {real_root})

    def _walk_dir(self, folder: Path, real_root: str, rel: tuple[str, ...], seen: set[str]) -> Iterator[Path]:
        try:
            entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
        except OSError as error:
            fix = "make the folder readable by this process, or exclude it"
            self._failed(MediaSourceError(f"cannot list the folder ({error.strerror})", where=str(folder), fix=fix))
            return
        for entry in entries:
            child, path = (*rel, entry.name), Path(entry.path)
            if any(fnmatch.fnmatch(entry.name, p) or fnmatch.fnmatch("/".join(child), p) for p in self.exclude):
                continue
            real = os.path.realpath(path)
            if entry.is_symlink() and os.path.commonpath([real_root, real]) != real_root:
                logger.info("not following %s: the symlink leaves %s", path, real_root)
                continue
            if _safe(entry.is_dir):
                if self.recursive and real not in seen:  # a folder once: no loops, no duplicates
                    seen.add(real)
                    yield from self._walk_dir(path, real_root, child, seen)
            elif not _safe(entry.is_file):
                logger.debug("skipping %s: not a regular file (or a broken symlink)", path)
            elif not _glob_match(self._pattern, child):
                continue
            elif not (_guess_type(entry.name) or "").startswith(f"{self._kind}/"):
                logger.debug("skipping %s: its extension is not an %s type", path, self._kind)
            else:
                yield path

    def _from_path(self, path: Path) -> Document:
        loaded = _read(os.fspath(path), self._kind)
        return self._document(loaded.data, str(path), path.name, {})

    def _from_bytes(self, data: bytes, label: str) -> Document:
        if not data:
            raise MediaSourceError("the data is empty", where=label, fix=f"pass bytes that hold the {self._kind}")
        return self._document(data, label, label, {"data": data})

    def _from_url(self, url: str) -> Document:
        mime = _guess_type(urllib.parse.urlsplit(url).path)
        meta = {"source": url, "kind": self._kind, "mime_type": mime if (mime or "").startswith(self._kind) else None}
        return Document(page_content=url, metadata={**meta, **self._extra})

    def _document(self, data: bytes, source: str, label: str, kept: dict[str, Any]) -> Document:
        meta: dict[str, Any] = {"source": source, "kind": self._kind}
        if self._kind == "image":
            image = _images.check_image(data, name=source)  # the header alone does not show a truncated file
            meta.update(mime_type=image.mime_type, width=image.width, height=image.height)
        else:
            audio = _audio.inspect_audio(data, name=source)
            meta.update(mime_type=audio.mime_type, duration_s=audio.duration_s, sample_rate=audio.sample_rate,
                        channels=audio.channels)  # fmt: skip
        meta.update(size_bytes=len(data), sha256=hashlib.sha256(data).hexdigest(), **self._extra, **kept)
        return Document(page_content=label, metadata=meta)


class ImageLoader(_MediaLoader):
    """Images from paths, folders, http(s) URLs or bytes; see the module docs for the metadata and options.

    ``detail`` (``"auto"``, ``"low"``, ``"high"``) is kept in each Document's metadata and its message part.

    Example:
        >>> import io
        >>> from PIL import Image
        >>> gif = io.BytesIO()
        >>> Image.new("P", (32, 16)).save(gif, "GIF")
        >>> [doc] = ImageLoader(gif.getvalue()).lazy_load()
        >>> doc.page_content, doc.metadata["mime_type"], doc.metadata["width"], doc.metadata["size_bytes"] > 0
        ('bytes[#0]', 'image/gif', 32, True)
    """

    _kind = "image"

    def __init__(
        self,
        sources: Sources,
        *,
        glob: str = "**/*",
        recursive: bool = True,
        exclude: Sequence[str] = (),
        on_error: OnError = "raise",
        detail: ImageDetail | None = None,
    ) -> None:
        super().__init__(sources, glob=glob, recursive=recursive, exclude=exclude, on_error=on_error)
        if detail not in (None, "auto", "low", "high"):
            raise ValueError(f"detail must be 'auto', 'low', 'high' or None, not {detail!r}")
        self.detail = detail
        self._extra = {"detail": detail} if detail else {}


class AudioLoader(_MediaLoader):
    """Audio from paths, folders, http(s) URLs or bytes; probed with PyAV (PCM WAV also without it).

    Example:
        >>> import io, wave
        >>> wav = io.BytesIO()
        >>> with wave.open(wav, "wb") as clip:  # half a second of 8 kHz silence
        ...     clip.setnchannels(1); clip.setsampwidth(2); clip.setframerate(8000)
        ...     clip.writeframes(bytes(2 * 4000))
        >>> [doc] = AudioLoader([wav.getvalue()]).load()
        >>> {key: doc.metadata[key] for key in ("mime_type", "duration_s", "sample_rate", "channels")}
        {'mime_type': 'audio/wav', 'duration_s': 0.5, 'sample_rate': 8000, 'channels': 1}
    """

    _kind = "audio"


def _read(path: str, kind: Kind) -> Any:
    """The file's bytes; the buffer is sized to the file (``read(limit)`` would reserve the 512 MiB guard)."""
    try:
        size = os.stat(path).st_size
    except OSError:
        size = parts._MAX_PART_BYTES  # reading fails too, with the right error
    return parts._read_path(path, None, kind, min(max(size, 1), parts._MAX_PART_BYTES))


def _safe(test: Any) -> bool:
    try:
        return bool(test())
    except OSError:  # a symlink loop
        return False


def _is_url(source: str) -> bool:
    return source[:8].lower().startswith(("http://", "https://"))


def _guess_type(name: str) -> str | None:
    return _EXTRA_TYPES.get(os.path.splitext(name)[1].lower()) or mimetypes.guess_type(name)[0]


def _glob_match(pattern: tuple[str, ...], path: tuple[str, ...]) -> bool:
    """pathlib-style matching, segment by segment: ``**`` is any number of folders, other segments are fnmatch."""
    if not pattern:
        return not path
    head, rest = pattern[0], pattern[1:]
    if head == "**":
        return any(_glob_match(rest, path[start:]) for start in range(len(path) + 1))
    return bool(path) and fnmatch.fnmatchcase(path[0], head) and _glob_match(rest, path[1:])
