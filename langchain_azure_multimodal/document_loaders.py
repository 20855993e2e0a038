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
* A directory is walked by :func:`~._walk.walk_folder`, the walk the ingest command uses too: sorted order;
  ``recursive=True`` matches ``glob`` at any depth (like ``Path.rglob``), ``recursive=False`` only in the top
  level; ``exclude`` holds fnmatch patterns matched against each name and its path relative to the root, and an
  excluded folder is not entered; symlinks whose target is outside the root are not followed (logged at INFO), those
  inside are, and a folder is entered once; a symlink loop or a broken symlink is skipped with a ``UserWarning``
  naming it, whatever ``on_error``; any depth is walked, and a path longer than the OS allows is a
  :class:`~.errors.MediaSourceError` (raised or skipped as ``on_error`` says). Of the files found, those whose extension
  :data:`~.profiles.MEDIA_TYPES_BY_EXTENSION` does not give the loader's kind (``notes.txt``; ``.webm``/``.mp4`` are
  audio) are skipped silently (logged at DEBUG); a file named explicitly is always inspected.
* A file that cannot be read (missing, permission denied, empty, truncated, not the right media) raises the typed
  :class:`~.errors.MediaError` naming the path and a fix with ``on_error="raise"`` (the default), or is skipped
  with a ``UserWarning`` carrying that message with ``on_error="skip"``.
* URLs are kept as URLs, never fetched. Files are read one at a time, hashed, inspected (images fully decoded, so
  truncated files are caught) and dropped. ``alazy_load`` is natively async: a few files are read in worker
  threads at once, and Documents come out in the same order as ``lazy_load``.
* ``loader.load_and_parse(parser)`` (and ``lazy_load_and_parse``, ``alazy_load_and_parse``) feeds the Documents to a
  blob parser such as :class:`~.parsers.ImageDescriptionParser` through :func:`to_blob`; the parsed Documents keep
  the loader's metadata.

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
import functools
import hashlib
import logging
import os
import urllib.parse
import warnings
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import aclosing
from pathlib import Path
from typing import Any, Literal, TypeAlias, Union

from langchain_core.document_loaders import BaseBlobParser, BaseLoader
from langchain_core.documents import Document
from langchain_core.documents.base import Blob

from . import _audio, _images, parts
from ._concurrency import in_order
from ._urls import is_http_url
from ._walk import check_walk_options, walk_folder
from .errors import MediaError, MediaExtraRequiredError, MediaSourceError
from .parsers import _MediaParser
from .profiles import (
    MAX_SOURCE_BYTES,
    ImageDetail,
    MediaKind,
    check_image_detail,
    media_kind_for_name,
    media_type_for_name,
)

__all__ = ["AudioLoader", "ImageLoader", "to_blob", "to_message_part"]

logger = logging.getLogger(__name__)

Item: TypeAlias = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview]
Sources: TypeAlias = Item | Sequence[Item]
OnError = Literal["raise", "skip"]

_WINDOW = 8  # files read at once by alazy_load


def to_message_part(doc: Document) -> dict[str, Any]:
    """The v1 image or audio block for a Document from these loaders; a path is read (and its sha256 checked) now.

    Raises :class:`~.errors.MediaSourceError` when the file is gone or changed since it was loaded.
    """
    meta = doc.metadata
    kind, source = _kind_and_source(doc)
    detail = meta.get("detail")
    if "data" in meta:
        data: str | bytes = meta["data"]
        name = None
    elif is_http_url(source):
        data, name = source, None
    else:
        loaded = _read(source, kind)
        if meta.get("sha256") not in (None, hashlib.sha256(loaded.data).hexdigest()):
            raise MediaSourceError("the file changed since it was loaded", where=source, fix="load it again")
        data, name = loaded.data, os.path.basename(source)
    if kind == "image":
        return parts.image_part(data, detail=detail, name=name)
    return parts.audio_part(data, name=name)


def to_blob(doc: Document) -> Blob:
    """The ``Blob`` a blob parser reads for a Document from these loaders; nothing is read now.

    A file becomes a path-backed Blob (the parser reads it), in-memory bytes a data Blob, and a URL a Blob with no
    data whose ``path`` is the URL: this package's parsers send it as a URL (the image parser as an image URL the
    service fetches; the audio parser refuses it, as cutting audio needs its bytes), and it is never fetched here.
    The Blob's ``mimetype`` is the Document's ``mime_type`` and its ``metadata`` the Document's (less the bytes), so
    the parsed Documents keep ``sha256``, ``width``, ``duration_s``, ``detail``... For a whole loader,
    ``loader.lazy_load_and_parse(parser)`` does this for each Document.

    Example:
        >>> import io
        >>> from PIL import Image
        >>> png = io.BytesIO()
        >>> Image.new("RGB", (64, 48), "teal").save(png, "PNG")
        >>> [doc] = ImageLoader(png.getvalue(), detail="low").load()
        >>> blob = to_blob(doc)
        >>> blob.source, blob.mimetype, blob.as_bytes() == png.getvalue(), blob.metadata["detail"]
        ('bytes[#0]', 'image/png', True, 'low')
        >>> "data" in blob.metadata  # the bytes are the blob's data, not its metadata
        False
        >>> url = to_blob(ImageLoader("https://example.com/cat.jpg").load()[0])
        >>> url.data, url.path, url.mimetype
        (None, 'https://example.com/cat.jpg', 'image/jpeg')
    """
    _, source = _kind_and_source(doc)
    metadata = {key: value for key, value in doc.metadata.items() if key != "data"}
    mime = doc.metadata.get("mime_type")
    if "data" in doc.metadata:
        return Blob.from_data(doc.metadata["data"], mime_type=mime, metadata=metadata)
    return Blob.from_path(source, mime_type=mime, guess_type=False, metadata=metadata)


def _kind_and_source(doc: Document) -> tuple[MediaKind, str]:
    meta = doc.metadata
    kind, source = meta.get("kind"), meta.get("source")
    if kind not in ("image", "audio") or not isinstance(source, str):
        fix = "pass a Document made by ImageLoader or AudioLoader"
        raise MediaSourceError("the Document has no 'kind'/'source' metadata", where=str(source), fix=fix)
    return kind, source


class _MediaLoader(BaseLoader):
    _kind: MediaKind

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
        check_walk_options(glob, exclude)
        if isinstance(sources, (str, bytes, bytearray, memoryview, os.PathLike)):
            self.sources: list[Item] = [sources]
        else:
            self.sources = list(sources)
        self.glob, self.recursive, self.exclude, self.on_error = glob, recursive, tuple(exclude), on_error
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

        async def jobs() -> AsyncIterator[Callable[[], Awaitable[Document | MediaError | None]]]:
            tasks = self._tasks()
            # The walk reads directories: off the loop, like the files.
            while (task := await asyncio.to_thread(next, tasks, None)) is not None:
                yield functools.partial(_read_in_thread, task)

        async with aclosing(in_order(jobs(), limit=_WINDOW, window=_WINDOW)) as outcomes:
            async for outcome in outcomes:
                if isinstance(outcome, MediaError):
                    self._failed(outcome)  # raises with on_error="raise": the files still being read are dropped
                elif outcome is not None:
                    yield outcome

    def to_message_part(self, doc: Document) -> dict[str, Any]:
        """Same as the module's :func:`to_message_part`."""
        return to_message_part(doc)

    def load_and_parse(self, parser: BaseBlobParser) -> list[Document]:
        """All of :meth:`lazy_load_and_parse` in a list."""
        return list(self.lazy_load_and_parse(parser))

    def lazy_load_and_parse(self, parser: BaseBlobParser) -> Iterator[Document]:
        """``parser``'s Documents for each loaded Document (through :func:`to_blob`), in order, one file at a time.

        Any ``BaseBlobParser`` works; a parser of this package that reads the other kind (an
        ``AudioTranscriptionParser`` on an ``ImageLoader``) raises ``TypeError`` before any file is read.
        ``on_error="skip"`` skips files that cannot be loaded; errors while parsing (the model's included) are raised.
        """
        self._check_parser(parser)
        for doc in self.lazy_load():
            yield from parser.lazy_parse(to_blob(doc))

    async def alazy_load_and_parse(self, parser: BaseBlobParser) -> AsyncIterator[Document]:
        """Like :meth:`lazy_load_and_parse`, natively async: files are read as in :meth:`alazy_load`, and this
        package's parsers make their model calls concurrently (``aparse_many``, up to the parser's
        ``max_concurrency``), in order. Another parser's ``parse`` runs in a worker thread, one blob at a time."""
        self._check_parser(parser)
        blobs = (to_blob(doc) async for doc in self.alazy_load())
        if isinstance(parser, _MediaParser):
            async for parsed in parser.aparse_many(blobs):
                yield parsed
            return
        async for blob in blobs:
            for parsed in await asyncio.to_thread(parser.parse, blob):
                yield parsed

    def _check_parser(self, parser: BaseBlobParser) -> None:
        if not isinstance(parser, BaseBlobParser):
            raise TypeError(f"parser must be a BaseBlobParser, not {type(parser).__name__}")
        if isinstance(parser, _MediaParser) and parser._kind != self._kind:
            what = f"{type(parser).__name__} reads {parser._kind}, and {type(self).__name__} loads {self._kind}"
            fix = "pair ImageLoader with ImageDescriptionParser, AudioLoader with AudioTranscriptionParser"
            raise TypeError(f"{what}; {fix}")

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
            elif isinstance(source, str) and is_http_url(source):
                yield lambda url=source: self._from_url(url)
            elif isinstance(source, (str, os.PathLike)):
                path = Path(source)
                if path.is_dir():
                    for found in walk_folder(path, glob=self.glob, recursive=self.recursive, exclude=self.exclude,
                                             on_error=self._failed):  # fmt: skip
                        if media_kind_for_name(found.name) == self._kind:
                            yield lambda found=found: self._from_path(found)
                        else:
                            logger.debug("skipping %s: its extension is not an %s type", found, self._kind)
                else:
                    yield lambda path=path: self._from_path(path)
            else:
                what = f"cannot load from an object of type {type(source).__name__}"
                raise TypeError(f"{what}; pass a path, a folder, an http(s) URL or bytes")

    def _from_path(self, path: Path) -> Document:
        loaded = _read(os.fspath(path), self._kind)
        return self._document(loaded.data, str(path), path.name, {})

    def _from_bytes(self, data: bytes, label: str) -> Document:
        if not data:
            raise MediaSourceError("the data is empty", where=label, fix=f"pass bytes that hold the {self._kind}")
        return self._document(data, label, label, {"data": data})

    def _from_url(self, url: str) -> Document:
        path = urllib.parse.urlsplit(url).path
        mime = media_type_for_name(path) if media_kind_for_name(path) == self._kind else None
        meta = {"source": url, "kind": self._kind, "mime_type": mime}
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
        self.detail = check_image_detail(detail)
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


def _read(path: str, kind: MediaKind) -> Any:
    """The file's bytes; the buffer is sized to the file (``read(limit)`` would reserve the whole limit)."""
    try:
        size = os.stat(path).st_size
    except OSError:
        size = MAX_SOURCE_BYTES  # reading fails too, with the right error
    return parts._read_path(path, None, kind, min(max(size, 1), MAX_SOURCE_BYTES))


async def _read_in_thread(task: Callable[[], Document | None]) -> Document | MediaError | None:
    """One task's Document, or the MediaError that ``on_error`` decides about (the extra's error is raised)."""
    try:
        return await asyncio.to_thread(task)
    except MediaExtraRequiredError:
        raise
    except MediaError as error:
        return error
