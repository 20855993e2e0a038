"""Agent tools on the chat model: ``describe_image`` and ``translate_audio``.

A tool needs a model to answer with, so each is made by a factory: :func:`describe_image_tool` returns a LangChain
tool named ``describe_image`` (arguments ``source``, a path or http(s) URL, and an optional ``question``), and
:func:`translate_audio_tool` one named ``translate_audio`` (``source`` and ``target_language``). The tool builds
the content blocks with :func:`~.parts.image_part` / :func:`~.parts.split_audio`, calls the model (``invoke`` or
natively ``ainvoke``) and returns its text. A source that cannot be used (a missing file, not an image, a request
the model refuses) comes back to the agent as an error message, so it can correct itself instead of crashing.
They work in ``langchain.agents.create_agent`` and LangGraph's prebuilt ReAct agent.

Example:
    >>> import io
    >>> from PIL import Image
    >>> from langchain_azure_multimodal import ChatAzureMultimodal
    >>> from langchain_azure_multimodal.emulator import Emulator
    >>> with Emulator(model="phi-4-multimodal-instruct", api_key="k") as emu:
    ...     llm = ChatAzureMultimodal(endpoint=emu.endpoint, api_key="k", model="phi-4-multimodal-instruct")
    ...     tool = describe_image_tool(llm)
    ...     answer = tool.invoke({"source": "/no/such/chart.png"})
    >>> tool.name
    'describe_image'
    >>> answer.split(". Fix:")[0]  # the agent reads the error and can try another path
    'Error: /no/such/chart.png: no such file'

"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage, HumanMessage
from langchain_core.tools import BaseTool, StructuredTool, ToolException
from pydantic import BaseModel, Field

from ._azure.types import HttpResponseError
from ._urls import is_http_url
from .errors import MediaError
from .parsers import TRANSLATE_PROMPT
from .parts import audio_part, image_part, split_audio
from .profiles import AUDIO_OUTPUT_SUFFIXES, ImageDetail

__all__ = ["DESCRIBE_IMAGE", "TRANSLATE_AUDIO", "describe_image_tool", "translate_audio_tool"]

#: The tools' names, as the agent sees them.
DESCRIBE_IMAGE = "describe_image"
TRANSLATE_AUDIO = "translate_audio"

#: Statuses that mean the service refused this request's content: the agent can do something about them.
_REFUSED = frozenset({400, 413, 415, 422})
T = TypeVar("T")


class DescribeImageInput(BaseModel):
    """Arguments of ``describe_image``."""

    source: str = Field(description="A local file path or an http(s) URL of the image.")
    question: str | None = Field(
        default=None, description="What to find out about the image; by default, a general description."
    )


class TranslateAudioInput(BaseModel):
    """Arguments of ``translate_audio``."""

    source: str = Field(description="A local file path or an http(s) URL of the audio recording.")
    target_language: str = Field(description="The language to translate the speech into, e.g. 'Spanish' or 'es'.")


def describe_image_tool(
    model: BaseChatModel,
    *,
    detail: ImageDetail | None = None,
    prompt: str = "Describe this image in detail.",
    name: str = DESCRIBE_IMAGE,
) -> BaseTool:
    """A tool that describes the image at a path or URL with ``model``, or answers ``question`` about it.

    Args:
        model: A chat model that takes images.
        detail: The image ``detail`` (``"auto"``, ``"low"``, ``"high"``), or ``None`` for the model's default.
        prompt: The instruction when the agent asks no question.
        name: The tool's name.
    """

    def messages(source: str, question: str | None) -> list[HumanMessage]:
        block = _built(lambda: image_part(source, detail=detail))
        return [HumanMessage(content=[{"type": "text", "text": question or prompt}, block])]

    def run(source: str, question: str | None = None) -> str:
        return _answer(model, messages(source, question))

    async def arun(source: str, question: str | None = None) -> str:
        return await _aanswer(model, messages(source, question))

    return StructuredTool.from_function(
        func=run,
        coroutine=arun,
        name=name,
        description=(
            "Look at an image and describe it, or answer a question about it. "
            "Pass the image's local file path or http(s) URL as `source`."
        ),
        args_schema=DescribeImageInput,
        handle_tool_error=True,
    )


def translate_audio_tool(
    model: BaseChatModel,
    *,
    segment_seconds: float = 300,
    name: str = TRANSLATE_AUDIO,
    speak: bool = False,
    voice: str = "alloy",
    audio_format: str = "wav",
    output_dir: str | Path | None = None,
) -> BaseTool:
    """A tool that translates the speech in the recording at a path or URL into ``target_language`` with ``model``.

    A local recording longer than ``segment_seconds`` is cut with :func:`~.parts.split_audio` and translated part
    by part; the parts' translations are joined with newlines. A URL is sent as one part.

    With ``speak=True`` the model answers in speech too (``modalities=["text", "audio"]``, ``voice`` and
    ``audio_format``; a model that speaks, such as gpt-4o-audio-preview): each part's spoken translation is written
    to ``output_dir`` (named after the recording, the language and the audio's digest, so a file is never overwritten
    with other speech) and the tool answers with the transcript and the file's path.

    Args:
        model: A chat model that takes audio (and, to speak, answers in audio).
        segment_seconds: The longest part sent in one call.
        name: The tool's name.
        speak: Answer with a spoken translation as well as the text.
        voice: The voice to speak in.
        audio_format: The spoken translation's format (``wav``, ``mp3``, ``flac``, ``opus`` or ``pcm16``).
        output_dir: Where spoken translations are written (needed with ``speak=True``).

    Example:
        >>> from langchain_azure_multimodal import ChatAzureMultimodal
        >>> llm = ChatAzureMultimodal(endpoint="http://127.0.0.1:9", api_key="k", model="gpt-4o-audio-preview")
        >>> translate_audio_tool(llm, speak=True)
        Traceback (most recent call last):
        ...
        ValueError: speak=True writes the spoken translations to files: pass output_dir='...' (a folder)
    """
    if segment_seconds <= 0:
        raise ValueError(f"segment_seconds must be positive, not {segment_seconds}")
    if speak and output_dir is None:
        raise ValueError("speak=True writes the spoken translations to files: pass output_dir='...' (a folder)")
    speech = {"modalities": ["text", "audio"], "audio": {"voice": voice, "format": audio_format}} if speak else {}
    folder = Path(output_dir) if output_dir is not None else None

    def requests(source: str, target_language: str) -> Iterator[list[HumanMessage]]:
        text = {
            "type": "text",
            "text": TRANSLATE_PROMPT.format(language=target_language) + " Answer with the translation only.",
        }
        if is_http_url(source):
            blocks: Iterator[dict[str, Any]] = iter([_built(lambda: audio_part(source))])
        else:
            # Made as they are sent: a long recording's parts (20 MiB each at most) are never all in memory at once.
            blocks = _built_each(_built(lambda: split_audio(source, max_seconds=segment_seconds)))
        return ([HumanMessage(content=[text, block])] for block in blocks)

    def said(source: str, target_language: str, reply: BaseMessage, part: int) -> str:
        if folder is None:
            return reply.text
        path = _write_speech(reply, folder, f"{Path(source).stem or 'audio'}.{target_language}.{part}", audio_format)
        return f"{reply.text}\n[spoken translation: {path}]"

    def run(source: str, target_language: str) -> str:
        replies = [_reply(model, m, speech) for m in requests(source, target_language)]
        return "\n".join(said(source, target_language, reply, i) for i, reply in enumerate(replies, 1))

    async def arun(source: str, target_language: str) -> str:
        replies = [await _areply(model, m, speech) for m in requests(source, target_language)]
        return "\n".join(said(source, target_language, reply, i) for i, reply in enumerate(replies, 1))

    return StructuredTool.from_function(
        func=run,
        coroutine=arun,
        name=name,
        description=(
            "Translate the speech in an audio recording into another language. Pass the recording's local file "
            "path or http(s) URL as `source` and the language to translate into as `target_language`."
        ),
        args_schema=TranslateAudioInput,
        handle_tool_error=True,
    )


def _built(build: Callable[[], T]) -> T:
    """What ``build`` makes, or a ToolException the agent sees as a message."""
    try:
        return build()
    except MediaError as error:
        raise ToolException(f"Error: {error}") from error


def _built_each(made: Iterator[T]) -> Iterator[T]:
    """``made`` one at a time; a MediaError on the way (a recording corrupt past its first part) is the
    ToolException the agent sees."""
    while True:
        try:
            item = next(made)
        except StopIteration:
            return
        except MediaError as error:
            raise ToolException(f"Error: {error}") from error
        yield item


def _reply(model: BaseChatModel, messages: list[HumanMessage], settings: dict[str, Any] | None = None) -> BaseMessage:
    try:
        return model.invoke(messages, **(settings or {}))
    except (MediaError, HttpResponseError) as error:
        raise _tool_error(error) from error


async def _areply(
    model: BaseChatModel, messages: list[HumanMessage], settings: dict[str, Any] | None = None
) -> BaseMessage:
    try:
        return await model.ainvoke(messages, **(settings or {}))
    except (MediaError, HttpResponseError) as error:
        raise _tool_error(error) from error


def _answer(model: BaseChatModel, messages: list[HumanMessage]) -> str:
    return _reply(model, messages).text


async def _aanswer(model: BaseChatModel, messages: list[HumanMessage]) -> str:
    return (await _areply(model, messages)).text


def _write_speech(reply: BaseMessage, folder: Path, stem: str, audio_format: str) -> Path:
    """Write the spoken answer in ``reply`` to ``folder``; the name ends with the audio's digest, so two different
    answers never share a file, and the write is atomic (a crash leaves no half file under that name)."""
    blocks = reply.content if isinstance(reply.content, list) else []
    spoken = next((b for b in blocks if isinstance(b, dict) and b.get("type") == "audio" and b.get("base64")), None)
    if spoken is None:
        raise ToolException("Error: the model answered without speech; use a model that speaks (gpt-4o-audio-preview)")
    data = base64.b64decode(spoken["base64"])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"{stem}.{hashlib.sha256(data).hexdigest()[:12]}{AUDIO_OUTPUT_SUFFIXES.get(audio_format, '.audio')}"
    if not path.exists():
        partial = path.with_name(path.name + ".partial")
        partial.write_bytes(data)
        os.replace(partial, path)
    return path


def _tool_error(error: MediaError | HttpResponseError) -> Exception:
    """A ToolException for what the agent can fix (the media, a refused request); anything else as it is."""
    if isinstance(error, MediaError):
        return ToolException(f"Error: {error}")
    if error.status_code in _REFUSED:
        return ToolException(f"Error: the model refused the request ({error.status_code}): {error.message}")
    return error
