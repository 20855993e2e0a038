"""LangChain messages to Azure AI Model Inference request messages.

Data walks one way::

    LangChain message / content block
        --parse_messages-->  ParsedMessage (role, text, and its content: ordered text and ParsedMedia)
        --parsed_media-->     checked against the model profile by the chat model (not here)
        --to_wire_messages--> the request's ``messages`` as wire JSON (plain dicts)

Every block form a caller may hold is accepted: OpenAI Chat Completions (``image_url``, ``input_audio``), LangChain
v0 (``source_type``) and v1 standard blocks. ``BaseChatModel`` already rewrites v0 blocks and OpenAI
``input_audio``/``file`` blocks to v1 before ``_generate`` but passes ``image_url`` through unchanged, and these
functions are also called directly, so each form is handled here. All functions are pure: nothing is fetched, read
or transcoded, and the input messages are left untouched.

What the wire cannot carry raises :class:`UnsupportedContentError`, naming the block type, where it is
(``messages[i].content[j]``) and what to send instead. Choices where the wire leaves room:

* A user message with string content stays a string; list content is sent as a list even when it is all text, so
  block boundaries survive (an empty list is sent as ``""``: the service refuses an empty list).
* Only user messages carry media. Media in a system or developer message is an error. A ToolMessage keeps its
  text, and its images/audio go to one user message placed after the whole run of consecutive ToolMessages, because
  every tool call must be answered before any other message.
* Assistant messages keep their text and tool calls; any other block (reasoning, provider ``tool_use``, images) is
  history the service has no field for, and is dropped. A spoken answer (an audio block with an ``id``, as the chat
  model makes them, or ChatOpenAI's ``additional_kwargs["audio"]``) is sent back as ``"audio": {"id": ...}``, never
  its bytes, and its transcript is not sent again; once its ``expires_at`` has passed the service would refuse the
  id, so the transcript is sent as text instead, with a warning.
* A non-user message whose content is a list of blocks has its text blocks joined with newlines.
"""

from __future__ import annotations

import json
import time
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal, cast

from langchain_core import messages as lc

from ._urls import DataUrlError, is_data_url, is_http_url, parse_data_url, to_data_url
from .errors import MEDIA_EXTRA_INSTALL, UnsupportedContentError
from .profiles import AUDIO_MIME_TYPES, IMAGE_DETAILS, AudioFormat, audio_format_for_mime, audio_mime_type
from .profiles import ImageDetail as ImageDetail  # re-exported: the chat model takes it from here

_MEDIA_TYPES = ("image", "image_url", "audio", "input_audio")
_V0_KEYS = frozenset({"type", "source_type", "data", "url", "mime_type", "id", "metadata", "extras"})
_BLOCK_FORMS = 'text, image or audio blocks ({"type": "text" | "image" | "audio", ...})'
_FIXES: Mapping[str, str] = {
    "video": "The service takes no video: extract frames and send them as image blocks.",
    "video_url": "The service takes no video: extract frames and send them as image blocks.",
    "file": "The service takes no files: extract the text and send a text block, or render the pages to images.",
}
_GENERIC_FIX = f"The service takes {_BLOCK_FORMS} only: convert the content to one of those."
#: Sent as a tool result whose only content was media, so the model looks for it in the user message that follows.
_TOOL_MEDIA_NOTE = "[The result is media; it is attached to the user message after the tool results.]"


@dataclass(frozen=True)
class BlockLocation:
    """Where a block sits in the caller's message list.

    >>> str(BlockLocation(2, 1)), str(BlockLocation(0, None))
    ('messages[2].content[1]', 'messages[0].content')
    """

    message_index: int
    block_index: int | None

    def __str__(self) -> str:
        suffix = "" if self.block_index is None else f"[{self.block_index}]"
        return f"messages[{self.message_index}].content{suffix}"


@dataclass(frozen=True)
class ParsedMedia:
    """One image or audio input, normalised from any LangChain block form."""

    kind: Literal["image", "audio"]
    location: BlockLocation
    url: str | None = None
    data: str | None = None
    mime_type: str | None = None
    detail: ImageDetail | None = None
    extras: Mapping[str, Any] = field(default_factory=dict, hash=False)

    @property
    def audio_format(self) -> AudioFormat | None:
        """The wire's audio format for :attr:`mime_type`, or ``None`` when the service has no name for it."""
        return audio_format_for_mime(self.mime_type)


@dataclass(frozen=True)
class ParsedMessage:
    """A LangChain message in wire terms, before media checks.

    ``index`` is the message's position in the input list; the user message that carries the media of a run of
    ToolMessages has the index of the first of them. ``content`` is set for a user message whose content was a list.
    """

    role: str
    index: int
    text: str
    content: tuple[str | ParsedMedia, ...] = ()
    tool_calls: tuple[dict[str, Any], ...] = field(default=(), hash=False)
    tool_call_id: str | None = None
    #: The id of an earlier spoken answer this assistant message is (sent as ``"audio": {"id": ...}``).
    audio_id: str | None = None


def _fail(loc: BlockLocation, kind: str, problem: str, fix: str, where: str = "") -> UnsupportedContentError:
    text = f"Unsupported content at {where or loc} (block type {kind!r}): {problem}. {fix}"
    return UnsupportedContentError(text, message_index=loc.message_index, block_index=loc.block_index, block_type=kind)


def _fail_message(index: int, kind: str, problem: str, fix: str) -> UnsupportedContentError:
    return _fail(BlockLocation(index, None), kind, problem, fix, where=f"messages[{index}]")


def _split_data_url(url: str, loc: BlockLocation, kind: str) -> tuple[str, str]:
    """``(mime_type, base64)`` of a ``data:`` URL; the service decodes base64 data URLs only."""
    try:
        parsed = parse_data_url(url, require_base64=True)
    except DataUrlError as error:
        if error.what == "is not base64-encoded":
            raise _fail(loc, kind, str(error), "Encode the bytes as data:<mime>;base64,<data>.") from None
        raise _fail(loc, kind, str(error), f"Write it as data:{kind}/<format>;base64,<data>.") from None
    return parsed.mime_type, parsed.payload


def _source(block: dict[str, Any], loc: BlockLocation, kind: str) -> tuple[str | None, str | None, object]:
    """``(url, base64, mime_type)`` of an OpenAI, LangChain v0 or v1 media block; data URLs are split."""
    block_type = cast(str, block["type"])
    mime: object = block.get("mime_type")
    url: object = None
    data: object = None
    if block_type == "image_url":
        inner = block.get("image_url")
        url = inner.get("url") if isinstance(inner, dict) else inner
    elif block_type == "input_audio":
        inner = block.get("input_audio")
        fmt = inner.get("format") if isinstance(inner, dict) else None
        if not isinstance(inner, dict) or not isinstance(fmt, str):
            raise _fail(loc, kind, "input_audio needs 'data' and a 'format'", 'Send {"data": ..., "format": "wav"}.')
        named = fmt.lower()
        data, mime = (
            inner.get("data"),
            (audio_mime_type(cast(AudioFormat, named)) if named in AUDIO_MIME_TYPES else f"audio/{named}"),
        )
    elif "source_type" in block:  # LangChain v0
        source_type = block.get("source_type")
        if source_type in ("id", "file_id"):
            raise _fail(loc, kind, "file ids cannot be sent", "The Azure wire has no file ids: send base64 or a URL.")
        if source_type not in ("base64", "url"):
            raise _fail(loc, kind, f"unknown source_type {source_type!r}", 'Use source_type "base64" or "url".')
        data, url = (block.get("data"), None) if source_type == "base64" else (None, block.get("url"))
        if data is None and url is None:
            field_name = "data" if source_type == "base64" else "url"
            raise _fail(loc, kind, f'a source_type "{source_type}" block needs "{field_name}"', f'Add "{field_name}".')
    else:  # LangChain v1; its "id" names the block, not a file
        data, url = block.get("base64"), block.get("url")
        if data is None and url is None:
            problem = "file ids cannot be sent" if "file_id" in block else "the block has no base64 or url"
            raise _fail(loc, kind, problem, "The Azure wire has no file ids: send base64 or a URL.")
    if (url is not None and not isinstance(url, str)) or (data is not None and not isinstance(data, str)):
        raise _fail(loc, kind, "the url or base64 data is not a string", "Send the data as a base64 string.")
    if data is None and isinstance(url, str):
        if is_data_url(url):
            mime, data = _split_data_url(url, loc, kind)
            url = None
        elif not is_http_url(url):
            # The service fetches http(s) only, and reading a local path here would be I/O.
            raise _fail(loc, kind, f"{url[:40]!r} is not an http(s) URL", "Read the file and send it as base64.")
    return url, data, mime


def _detail(block: dict[str, Any], loc: BlockLocation) -> ImageDetail | None:
    """The detail the block asks for: OpenAI ``image_url.detail``, a top-level key, or v1/v0 extras/metadata."""
    holders: list[Any] = [block.get("image_url"), block, block.get("extras"), block.get("metadata")]
    if isinstance(holders[2], dict):
        holders.append(holders[2].get("metadata"))  # v0 metadata, moved into extras by core's normalisation
    for holder in holders:
        value = holder.get("detail") if isinstance(holder, dict) else None
        if value is None:
            continue
        if not isinstance(value, str) or value not in IMAGE_DETAILS:
            raise _fail(loc, "image", f"detail {value!r} is not auto, low or high", 'Use "auto", "low" or "high".')
        return value
    return None


def _media(block: dict[str, Any], loc: BlockLocation, default_detail: ImageDetail | None) -> ParsedMedia:
    kind: Literal["image", "audio"] = "image" if block["type"] in ("image", "image_url") else "audio"
    url, data, raw_mime = _source(block, loc, kind)
    if raw_mime is not None and not isinstance(raw_mime, str):
        raise _fail(loc, kind, "mime_type is not a string", f'Set mime_type to e.g. "{kind}/png".')
    mime = raw_mime.split(";")[0].strip().lower() if raw_mime else None  # drop parameters such as codecs=
    example = "image/png" if kind == "image" else "audio/wav"
    if mime is not None and not mime.startswith(kind + "/"):
        raise _fail(loc, kind, f"{mime!r} is not an {kind} MIME type", f"Send {mime} content in its own block type.")
    if data is not None and mime is None:
        raise _fail(loc, kind, "base64 data has no MIME type", f'Set mime_type, e.g. "{example}".')
    if kind == "audio" and url is not None and mime is not None and audio_format_for_mime(mime) is None:
        # Base64 audio in other formats is transcoded before sending (see _preflight); a URL is never fetched.
        fix = "Link a wav or mp3 file, or download it and send its bytes, which are transcoded to mp3."
        raise _fail(loc, kind, f"the service takes wav or mp3 audio, not {mime}", fix)
    extras: dict[str, Any] = {}
    if "source_type" in block:  # v0 kept unknown keys at the top level
        extras.update((k, v) for k, v in block.items() if k not in _V0_KEYS)
    for key in ("metadata", "extras"):
        if isinstance(block.get(key), dict):
            extras.update(block[key])
    detail = (_detail(block, loc) or default_detail) if kind == "image" else None
    return ParsedMedia(kind, loc, url=url, data=data, mime_type=mime, detail=detail, extras=extras)


def _parse_block(block: object, loc: BlockLocation, default_detail: ImageDetail | None) -> str | ParsedMedia:
    """A text string or a media part for one content block, whatever its form."""
    if isinstance(block, str):
        return block
    if not isinstance(block, dict):
        name = type(block).__name__
        raise _fail(loc, name, "a content block must be a string or a dict", f"Use {_BLOCK_FORMS}.")
    block_type = block.get("type")
    name = block_type if isinstance(block_type, str) else f"dict without a 'type' ({type(block_type).__name__})"
    if name == "text" or name == "text-plain" or (name == "file" and block.get("source_type") == "text"):
        text = block.get("url") if name == "file" else block.get("text")  # v0 kept plain text under "url"
        if isinstance(text, str):
            return text
        fix = "Send the text itself in 'text'." if name == "text-plain" else "Set 'text' to a string."
        raise _fail(loc, name, "the block has no text string", fix)
    if name in _MEDIA_TYPES:
        return _media(block, loc, default_detail)
    raise _fail(loc, name, "the Azure chat wire format cannot carry this block", _FIXES.get(name, _GENERIC_FIX))


def _blocks(content: object, index: int) -> list[tuple[BlockLocation, object]]:
    if isinstance(content, str):
        return [(BlockLocation(index, None), content)]
    if isinstance(content, list):
        return [(BlockLocation(index, j), block) for j, block in enumerate(content)]
    loc = BlockLocation(index, None)
    raise _fail(loc, type(content).__name__, "content must be a string or a list of blocks", f"Use {_BLOCK_FORMS}.")


def _joined(parts: Sequence[str | ParsedMedia]) -> str:
    return "\n".join(part for part in parts if isinstance(part, str))


def _user(index: int, content: object, default_detail: ImageDetail | None) -> ParsedMessage:
    if isinstance(content, str):
        return ParsedMessage("user", index, content)
    parts = tuple(_parse_block(block, loc, default_detail) for loc, block in _blocks(content, index))
    return ParsedMessage("user", index, _joined(parts), parts)


def _text_only(role: str, index: int, content: object) -> ParsedMessage:
    texts: list[str | ParsedMedia] = []
    for loc, block in _blocks(content, index):
        if isinstance(block, dict) and block.get("type") in _MEDIA_TYPES:
            fix = "Move them to a HumanMessage (the service takes media in user messages only)."
            raise _fail(loc, str(block["type"]), f"a {role} message carries text only, not images or audio", fix)
        texts.append(_parse_block(block, loc, None))
    return ParsedMessage(role, index, _joined(texts))


def _json(value: object, loc: BlockLocation, what: str, where: str = "") -> str:
    try:  # allow_nan=False: NaN and Infinity are not JSON, and the service refuses the body
        return json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError) as error:
        fix = "Use JSON types only (dict, list, str, numbers, bool, None)."
        raise _fail(loc, type(value).__name__, f"{what} is not JSON ({error})", fix, where=where) from error


def _spoken(message: lc.BaseMessage) -> Mapping[str, Any] | None:
    """The id, transcript and expiry of the spoken answer ``message`` holds, if any."""
    for block in message.content if isinstance(message.content, list) else []:
        if isinstance(block, dict) and block.get("type") == "audio" and block.get("id"):
            return {"id": block["id"], **(block.get("extras") or {})}
    audio = message.additional_kwargs.get("audio")  # where ChatOpenAI keeps it
    return audio if isinstance(audio, Mapping) and audio.get("id") else None


def _audio_reference(
    message: lc.BaseMessage, index: int, texts: list[str | ParsedMedia], now: float
) -> tuple[str | None, list[str | ParsedMedia]]:
    """The audio id to send for ``message`` and the texts to send beside it."""
    spoken = _spoken(message)
    if spoken is None:
        return None, texts
    transcript = spoken.get("transcript")
    expires_at = spoken.get("expires_at")
    if isinstance(expires_at, int | float) and expires_at <= now:
        warnings.warn(
            f"messages[{index}]: the spoken answer {spoken['id']!r} expired at {time.ctime(expires_at)}, so the "
            "service would refuse its id; its transcript is sent as text instead",
            stacklevel=6,
        )
        return None, texts or ([transcript] if isinstance(transcript, str) else [])
    return str(spoken["id"]), [t for t in texts if t != transcript]  # the audio carries its transcript


def _assistant(message: lc.BaseMessage, index: int, now: float) -> ParsedMessage:
    texts: list[str | ParsedMedia] = []
    for loc, block in _blocks(message.content, index):
        # Only text has a field on the wire; reasoning, provider tool_use and generated media are dropped.
        if not isinstance(block, dict) or block.get("type") == "text":
            texts.append(_parse_block(block, loc, None))
    audio_id, texts = _audio_reference(message, index, texts, now)
    calls: list[dict[str, Any]] = []
    if isinstance(message, lc.AIMessage):
        for call in message.tool_calls:
            if not call.get("id") or not isinstance(call["id"], str):
                fix = "Give every tool call a string id, so that its ToolMessage can answer it."
                problem = f"tool call {call.get('name')!r} has no id" if not call.get("id") else "its id is not text"
                raise _fail_message(index, "tool_call", problem, fix)
            arguments = _json(call["args"], BlockLocation(index, None), "tool call arguments", f"messages[{index}]")
            calls.append({"id": call["id"], "name": call["name"], "arguments": arguments})
        # Invalid calls are kept, raw, so the ToolMessages that answer them still find their ids.
        for bad in message.invalid_tool_calls:
            if bad.get("id"):
                args = bad["args"] if isinstance(bad.get("args"), str) else ""
                calls.append({"id": bad["id"], "name": bad.get("name") or "", "arguments": args})
    return ParsedMessage("assistant", index, _joined(texts), tool_calls=tuple(calls), audio_id=audio_id)


def _is_block(value: object) -> bool:
    return isinstance(value, str) or (isinstance(value, dict) and "type" in value)


def _tool(message: lc.ToolMessage, index: int, detail: ImageDetail | None) -> tuple[ParsedMessage, list[ParsedMedia]]:
    content: object = message.content
    texts: list[str] = []
    media: list[ParsedMedia] = []
    if isinstance(content, list) and content and not any(_is_block(b) for b in content):
        texts.append(_json(content, BlockLocation(index, None), "the tool result"))  # plain data, not blocks
    else:
        for loc, block in _blocks(content, index):
            part = _parse_block(block, loc, detail)
            if isinstance(part, ParsedMedia):
                media.append(part)
            else:
                texts.append(part)
    text = "\n".join(texts) or (_TOOL_MEDIA_NOTE if media else "")
    return ParsedMessage("tool", index, text, tool_call_id=message.tool_call_id), media


def _parse(message: lc.BaseMessage, index: int, default_detail: ImageDetail | None, now: float) -> ParsedMessage:
    if isinstance(message, lc.HumanMessage):
        return _user(index, message.content, default_detail)
    if isinstance(message, lc.AIMessage):
        return _assistant(message, index, now)
    if isinstance(message, lc.SystemMessage):
        # langchain-openai's marker for a developer message; honoured so the same history works here.
        developer = message.additional_kwargs.get("__openai_role__") == "developer"
        return _text_only("developer" if developer else "system", index, message.content)
    if isinstance(message, lc.ChatMessage):
        if message.role == "user":
            return _user(index, message.content, default_detail)
        if message.role == "assistant":
            return _assistant(message, index, now)
        if message.role == "tool":
            fix = "Use a ToolMessage, which carries the tool_call_id the service requires."
            raise _fail_message(index, "ChatMessage(role='tool')", "a tool message needs a tool_call_id", fix)
        if message.role not in ("system", "developer"):  # the spec's ChatRole; the service refuses others (400)
            fix = "Use role system, developer, user or assistant (or a ToolMessage)."
            raise _fail_message(index, f"ChatMessage(role={message.role!r})", "the service has no such role", fix)
        return _text_only(message.role, index, message.content)
    kind = type(message).__name__
    fixes = {
        "FunctionMessage": "Use a ToolMessage with the tool_call_id of the AIMessage's tool call.",
        "RemoveMessage": "RemoveMessage only edits graph state; drop it before calling the model.",
    }
    use = "Use SystemMessage, HumanMessage, AIMessage, ToolMessage or ChatMessage."
    raise _fail_message(index, kind, "the Azure chat wire format has no such message", fixes.get(kind, use))


def require_messages(messages: Sequence[object]) -> None:
    """Refuse an empty message list: the spec's ``messages`` has ``minItems: 1`` (the service answers 400)."""
    if not messages:
        raise UnsupportedContentError(
            "No messages to send: the service needs at least one. Pass a HumanMessage (or a list with one).",
            message_index=0,
            block_index=None,
            block_type="messages",
        )


def parse_messages(
    messages: Sequence[lc.BaseMessage],
    *,
    default_image_detail: ImageDetail | None = None,
    now: float | None = None,
) -> list[ParsedMessage]:
    """Parse LangChain messages into wire terms, raising :class:`UnsupportedContentError` for what cannot be sent.

    ``default_image_detail`` applies to images whose block sets no detail of its own; ``now`` (default: the clock)
    decides whether an earlier spoken answer's audio id has expired.

    >>> from langchain_core.messages import HumanMessage, SystemMessage
    >>> parsed = parse_messages([
    ...     SystemMessage("Be brief."),
    ...     HumanMessage([{"type": "text", "text": "What is this?"},
    ...                   {"type": "image", "base64": "iVBORw0KGgo=", "mime_type": "image/png"}]),
    ... ], default_image_detail="low")
    >>> [(m.role, m.text) for m in parsed]
    [('system', 'Be brief.'), ('user', 'What is this?')]
    >>> part = parsed[1].content[1]
    >>> part.kind, part.mime_type, part.detail, str(part.location)
    ('image', 'image/png', 'low', 'messages[1].content[1]')
    """
    if default_image_detail is not None and default_image_detail not in IMAGE_DETAILS:
        raise ValueError(f"default_image_detail must be auto, low or high, not {default_image_detail!r}")
    now = time.time() if now is None else now
    parsed: list[ParsedMessage] = []
    tool_media: list[str | ParsedMedia] = []  # media of the current run of ToolMessages, with a header per call
    run_start = 0
    for index, message in enumerate(messages):
        if not isinstance(message, lc.ToolMessage):
            if tool_media:
                parsed.append(ParsedMessage("user", run_start, _joined(tool_media), tuple(tool_media)))
                tool_media = []
            parsed.append(_parse(message, index, default_image_detail, now))
            continue
        tool, media = _tool(message, index, default_image_detail)
        parsed.append(tool)
        if media:
            run_start = run_start if tool_media else index
            tool_media += [f"Media returned by tool call {message.tool_call_id}:", *media]
    if tool_media:
        parsed.append(ParsedMessage("user", run_start, _joined(tool_media), tuple(tool_media)))
    return parsed


def parsed_media(parsed: Sequence[ParsedMessage]) -> list[ParsedMedia]:
    """Every media part, in request order, for checks against the model profile.

    >>> from langchain_core.messages import HumanMessage
    >>> parsed = parse_messages([HumanMessage([{"type": "image_url", "image_url": "https://example.com/a.png"}])])
    >>> [(p.kind, p.url) for p in parsed_media(parsed)]
    [('image', 'https://example.com/a.png')]
    """
    return [part for message in parsed for part in message.content if isinstance(part, ParsedMedia)]


def to_content_item(part: ParsedMedia) -> dict[str, Any]:
    """The wire content item for one media part.

    >>> wav = ParsedMedia("audio", BlockLocation(0, 1), data="UklGRg==", mime_type="audio/x-wav")
    >>> to_content_item(wav)
    {'type': 'input_audio', 'input_audio': {'data': 'UklGRg==', 'format': 'wav'}}
    >>> to_content_item(ParsedMedia("audio", BlockLocation(0, 2), url="https://example.com/a.mp3"))
    {'type': 'audio_url', 'audio_url': {'url': 'https://example.com/a.mp3'}}
    >>> to_content_item(ParsedMedia("image", BlockLocation(0, 3), url="https://example.com/a.png", detail="low"))
    {'type': 'image_url', 'image_url': {'url': 'https://example.com/a.png', 'detail': 'low'}}
    """
    if part.data is None and part.url is None:
        raise _fail(part.location, part.kind, "the media part has neither url nor data", "Set one of them.")
    if part.kind == "image":
        image: dict[str, Any] = {
            "url": part.url if part.data is None else to_data_url(cast(str, part.mime_type), part.data)
        }
        if part.detail is not None:  # the service's own default applies when none is sent
            image["detail"] = part.detail
        return {"type": "image_url", "image_url": image}
    if part.data is None:
        return {"type": "audio_url", "audio_url": {"url": part.url}}
    audio_format = part.audio_format
    if audio_format is None:
        fix = f"Convert it to wav or mp3, or install the media extra ({MEDIA_EXTRA_INSTALL})."
        raise _fail(part.location, "audio", f"the service takes wav or mp3 audio, not {part.mime_type}", fix)
    return {"type": "input_audio", "input_audio": {"data": part.data, "format": audio_format}}


def _wire_message(message: ParsedMessage) -> dict[str, Any]:
    if message.role == "user" and message.content:
        items = [{"type": "text", "text": p} if isinstance(p, str) else to_content_item(p) for p in message.content]
        return {"role": "user", "content": items}
    if message.role == "assistant":
        calls = [
            {"id": c["id"], "function": {"name": c["name"], "arguments": c["arguments"]}, "type": "function"}
            for c in message.tool_calls
        ]
        if message.audio_id is not None:  # as the spec's AudioModality example sends an earlier spoken answer
            spoken: dict[str, Any] = {"role": "assistant", "content": message.text or None}
            spoken["audio"] = {"id": message.audio_id}
            return {**spoken, "tool_calls": calls} if calls else spoken
        if not calls:
            return {"role": "assistant", "content": message.text}
        # With tool calls and no text the content is omitted: an empty string would read as an empty answer.
        sent: dict[str, Any] = {"role": "assistant", "content": message.text} if message.text else {"role": "assistant"}
        sent["tool_calls"] = calls
        return sent
    if message.role == "tool":
        return {"role": "tool", "content": message.text, "tool_call_id": message.tool_call_id or ""}
    return {"role": message.role, "content": message.text}


def to_wire_messages(parsed: Sequence[ParsedMessage]) -> list[dict[str, Any]]:
    """The request's ``messages``, as the wire JSON: dicts ready for ``json.dumps``.

    >>> from langchain_core.messages import AIMessage, ChatMessage, HumanMessage
    >>> block = {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg", "detail": "high"}}
    >>> parsed = parse_messages([
    ...     ChatMessage(role="developer", content="Too long."),
    ...     HumanMessage(["Describe:", block]),
    ...     AIMessage("", tool_calls=[{"id": "c1", "name": "add", "args": {"a": 1}}]),
    ... ])
    >>> to_wire_messages(parsed)  # doctest: +NORMALIZE_WHITESPACE
    [{'role': 'developer', 'content': 'Too long.'},
     {'role': 'user', 'content': [{'type': 'text', 'text': 'Describe:'},
                                  {'type': 'image_url', 'image_url': {'url': 'https://example.com/cat.jpg',
                                                                      'detail': 'high'}}]},
     {'role': 'assistant', 'tool_calls': [{'id': 'c1', 'function': {'name': 'add', 'arguments': '{"a": 1}'},
                                           'type': 'function'}]}]
    """
    return [_wire_message(message) for message in parsed]
