"""Blob parsers for RAG: image descriptions and audio transcripts (or translations) as ``Document`` objects.

:class:`ImageDescriptionParser` turns each image blob into one ``Document`` whose text is the model's description;
:class:`AudioTranscriptionParser` cuts each recording with :func:`~.parts.split_audio` and makes one ``Document``
per segment, with ``start_s``/``end_s`` in its metadata. Both are LangChain ``BaseBlobParser`` objects: they
parse ``Blob`` objects (``Blob.from_path``, ``Blob.from_data``). For a folder, the loaders feed them directly:
``ImageLoader(folder).load_and_parse(parser)`` (also ``lazy_load_and_parse`` and ``alazy_load_and_parse``), with the
loader's metadata (``sha256``, ``width``, ``detail``...) kept on each document; :func:`~.document_loaders.to_blob`
turns one loader Document into a Blob. A Document passed where a Blob belongs raises a ``TypeError`` that says so.
Their async side is native (``ainvoke``): :meth:`~_MediaParser.alazy_parse` for one blob and
:meth:`~_MediaParser.aparse_many` for many, with at most ``max_concurrency`` model calls in flight and documents
yielded in input order.

Example:
    >>> from langchain_core.documents.base import Blob
    >>> from langchain_azure_multimodal import ChatAzureMultimodal
    >>> from langchain_azure_multimodal.emulator import Emulator
    >>> import io
    >>> from PIL import Image
    >>> png = io.BytesIO()
    >>> Image.new("RGB", (64, 48), "teal").save(png, "PNG")
    >>> with Emulator(model="phi-4-multimodal-instruct", api_key="k") as emu:
    ...     llm = ChatAzureMultimodal(endpoint=emu.endpoint, api_key="k", model="phi-4-multimodal-instruct")
    ...     parser = ImageDescriptionParser(llm, prompt="Describe the chart.")
    ...     [doc] = parser.parse(Blob.from_data(png.getvalue(), path="chart.png"))
    >>> doc.page_content.startswith("[emulator:phi-4-multimodal-instruct] Received 1 image: #1 png 64x48")
    True
    >>> doc.metadata["source"], doc.metadata["mime_type"], doc.metadata["model"]
    ('chart.png', 'image/png', 'phi-4-multimodal-instruct')
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterable, AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, ClassVar, TypeVar

from langchain_core.document_loaders import BaseBlobParser
from langchain_core.documents import Document
from langchain_core.documents.base import Blob
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from ._concurrency import aiter_of, in_order
from .parts import image_part, split_audio
from .profiles import ImageDetail, MediaKind

__all__ = ["AudioTranscriptionParser", "ImageDescriptionParser"]

#: The instructions sent by default, by these parsers, the agent tools and the ingest command alike.
DESCRIBE_PROMPT = "Describe this image for a search index."
TRANSCRIBE_PROMPT = "Transcribe this audio."
TRANSLATE_PROMPT = "Translate this audio to {language}."

T = TypeVar("T")
#: One unit of work: the message to send and the metadata the answer's document gets.
_Job = tuple[list[BaseMessage], dict[str, Any]]


class _MediaParser(BaseBlobParser):
    """What both parsers share: the model, the concurrency bound and the answer-to-document step."""

    #: What the parser reads, so that a loader of the other kind is refused before any file is read.
    _kind: ClassVar[MediaKind]

    def __init__(self, model: BaseChatModel, *, max_concurrency: int) -> None:
        if max_concurrency < 1:
            raise ValueError(f"max_concurrency must be at least 1, not {max_concurrency}")
        self.model = model
        self.max_concurrency = max_concurrency

    def _jobs(self, blob: Blob) -> Iterator[_Job]:
        raise NotImplementedError

    def _checked_jobs(self, blob: Blob) -> Iterator[_Job]:
        if not isinstance(blob, Blob):
            raise _not_a_blob(self, blob)
        return self._jobs(blob)

    def lazy_parse(self, blob: Blob) -> Iterator[Document]:
        """The blob's documents, one model call at a time, made as they are iterated."""
        for messages, metadata in self._checked_jobs(blob):
            yield self._document(self.model.invoke(messages), metadata)

    async def alazy_parse(self, blob: Blob) -> AsyncIterator[Document]:
        """The blob's documents with native async calls, at most ``max_concurrency`` at once, in order."""
        async for document in self.aparse_many([blob]):
            yield document

    async def aparse_many(
        self, blobs: Iterable[Blob] | AsyncIterable[Blob], *, max_concurrency: int | None = None
    ) -> AsyncIterator[Document]:
        """The documents of all ``blobs`` in input order, with at most ``max_concurrency`` model calls in flight
        (the parser's own bound by default)."""
        limit = self.max_concurrency if max_concurrency is None else max_concurrency
        if limit < 1:
            raise ValueError(f"max_concurrency must be at least 1, not {limit}")

        async def jobs() -> AsyncIterator[Callable[[], Awaitable[Document]]]:
            async for blob in aiter_of(blobs):
                for messages, metadata in self._checked_jobs(blob):
                    yield _bind(self._adocument, messages, metadata)

        # A window of 2 * limit started calls keeps the model busy while an early one is slow.
        async for document in in_order(jobs(), limit=limit):
            yield document

    async def _adocument(self, messages: list[BaseMessage], metadata: dict[str, Any]) -> Document:
        return self._document(await self.model.ainvoke(messages), metadata)

    def _document(self, answer: BaseMessage, metadata: dict[str, Any]) -> Document:
        model = answer.response_metadata.get("model_name") or _model_name(self.model)
        extra: dict[str, Any] = {"model": model} if model else {}
        usage = answer.usage_metadata if isinstance(answer, AIMessage) else None
        if usage:
            extra.update(
                input_tokens=usage["input_tokens"],
                output_tokens=usage["output_tokens"],
                total_tokens=usage["total_tokens"],
            )
        return Document(page_content=answer.text, metadata={**metadata, **extra})


class ImageDescriptionParser(_MediaParser):
    """One ``Document`` per image blob: the model's description of it, for a search index.

    ``metadata`` holds the blob's metadata, ``source``, ``mime_type`` (from the bytes), ``filename``, ``width`` and
    ``height``, the answering ``model`` and the call's ``input_tokens``/``output_tokens``/``total_tokens``.

    A blob without data whose path is an http(s) URL (what :func:`~.document_loaders.to_blob` makes of a URL) is sent
    as a URL, for the service to fetch; it is never fetched here.

    Args:
        model: A chat model that takes images (a ``ChatAzureMultimodal`` or any LangChain chat model).
        prompt: The instruction sent with each image.
        detail: The image ``detail`` (``"auto"``, ``"low"``, ``"high"``), or ``None`` for the model's default. A
            blob's own ``metadata["detail"]`` (``ImageLoader(detail=...)`` puts it there) wins: it is the more
            specific choice.
        max_concurrency: Model calls in flight at once on the async side.
    """

    _kind = "image"

    def __init__(
        self,
        model: BaseChatModel,
        *,
        prompt: str = DESCRIBE_PROMPT,
        detail: ImageDetail | None = None,
        max_concurrency: int = 8,
    ) -> None:
        super().__init__(model, max_concurrency=max_concurrency)
        self.prompt = prompt
        self.detail = detail

    def _jobs(self, blob: Blob) -> Iterator[_Job]:
        name = _name(blob)
        detail = blob.metadata.get("detail") or self.detail
        block = image_part(_source(blob), detail=detail, name=name)
        extras = block.get("extras", {})
        metadata = {
            **blob.metadata,
            "source": blob.source,
            "mime_type": block.get("mime_type") or blob.mimetype,
            **{key: extras[key] for key in ("filename", "width", "height") if key in extras},
        }
        yield [HumanMessage(content=[{"type": "text", "text": self.prompt}, block])], metadata


class AudioTranscriptionParser(_MediaParser):
    """One ``Document`` per segment of each audio blob: its transcript, or its translation to ``translate_to``.

    The recording is cut with :func:`~.parts.split_audio` into segments of at most ``segment_seconds``; each
    document's ``metadata`` holds the blob's metadata, ``source``, ``segment`` (0, 1, ...), ``start_s`` and ``end_s``
    (seconds in the original), ``mime_type``, the answering ``model`` and the call's token counts.

    Args:
        model: A chat model that takes audio.
        prompt: The instruction sent with each segment; by default ``"Transcribe this audio."``, or
            ``"Translate this audio to {translate_to}."`` when ``translate_to`` is set.
        translate_to: A language to translate to, or ``None`` for a transcript.
        segment_seconds: The longest segment sent in one call.
        max_concurrency: Model calls in flight at once on the async side.
    """

    _kind = "audio"

    def __init__(
        self,
        model: BaseChatModel,
        *,
        prompt: str | None = None,
        translate_to: str | None = None,
        segment_seconds: float = 300,
        max_concurrency: int = 4,
    ) -> None:
        super().__init__(model, max_concurrency=max_concurrency)
        if segment_seconds <= 0:
            raise ValueError(f"segment_seconds must be positive, not {segment_seconds}")
        if prompt is None:
            prompt = TRANSLATE_PROMPT.format(language=translate_to) if translate_to else TRANSCRIBE_PROMPT
        self.prompt = prompt
        self.translate_to = translate_to
        self.segment_seconds = segment_seconds

    def _jobs(self, blob: Blob) -> Iterator[_Job]:
        base = {**blob.metadata, "source": blob.source}
        if self.translate_to:
            base["language"] = self.translate_to
        for block in split_audio(_source(blob), max_seconds=self.segment_seconds, name=_name(blob)):
            extras = block["extras"]
            metadata = {
                **base,
                "segment": extras["index"],
                "start_s": extras["start_s"],
                "end_s": extras["end_s"],
                "mime_type": block["mime_type"],
            }
            yield [HumanMessage(content=[{"type": "text", "text": self.prompt}, block])], metadata


def _source(blob: Blob) -> bytes | str:
    """The blob's bytes, or its path when it has no data (read by the part builder, which names it in errors)."""
    if blob.data is None and blob.path is not None:
        return os.fspath(blob.path)
    return blob.as_bytes()


def _not_a_blob(parser: _MediaParser, given: object) -> TypeError:
    what = f"{type(parser).__name__} parses Blobs, not {type(given).__name__} objects"
    if isinstance(given, Document):
        fix = (
            "a loader's Document holds metadata, not the media: use loader.lazy_load_and_parse(parser) (or "
            "load_and_parse, alazy_load_and_parse), or parse to_blob(doc) (from "
            "langchain_azure_multimodal.document_loaders)"
        )
    else:
        fix = "make one with Blob.from_path(path) or Blob.from_data(data, path=name)"
    return TypeError(f"{what}; {fix}")


def _name(blob: Blob) -> str | None:
    source = blob.source
    return os.path.basename(source) if source else None


def _model_name(model: BaseChatModel) -> str | None:
    for attribute in ("model", "model_name", "deployment_name"):
        value = getattr(model, attribute, None)
        if isinstance(value, str) and value:
            return value
    return None


def _bind(
    function: Callable[[list[BaseMessage], dict[str, Any]], Awaitable[T]],
    messages: list[BaseMessage],
    metadata: dict[str, Any],
) -> Callable[[], Awaitable[T]]:
    return lambda: function(messages, metadata)
