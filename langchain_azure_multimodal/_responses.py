"""Pure conversion of Azure AI Model Inference responses into LangChain messages.

Both the complete answer (``ChatCompletions``) and each streamed update (``StreamingChatCompletionsUpdate``) arrive
as their wire JSON (see :class:`~._azure.wire.ChatWire`), so fields the SDK has no attribute for —
``reasoning_content``, Azure OpenAI's ``content_filter_results``, a tool call's ``index`` — are not lost.

Example:
    >>> message = to_ai_message({
    ...     "id": "c1", "model": "phi-4", "choices": [{"index": 0, "finish_reason": "stop",
    ...     "message": {"role": "assistant", "content": "Hola."}}],
    ...     "usage": {"prompt_tokens": 77, "completion_tokens": 7, "total_tokens": 84}})
    >>> message.content, message.usage_metadata["total_tokens"], message.response_metadata["finish_reason"]
    ('Hola.', 84, 'stop')
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NoReturn, cast

from langchain_core.messages import AIMessage, AIMessageChunk, InvalidToolCall, ToolCall, ToolCallChunk
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from .errors import ResponseShapeError
from .profiles import AUDIO_OUTPUT_MIME_TYPES

#: ``response_metadata["model_provider"]`` of every message this package makes.
MODEL_PROVIDER = "azure_ai"

# ---------------------------------------------------------------------------------------------- shape checks
# An answer of the wrong shape (``choices`` a string, ``usage`` with NaN tokens) is one typed error, raised where the
# converters first meet the wrong value: ResponseShapeError. Only what is read is
# checked, with isinstance (a few microseconds an answer); missing optional fields, nulls and extra keys are fine.

_STRING = "a string"
_OBJECT = "a JSON object"
_COUNT = "a non-negative integer (a token count)"
_EXCERPT_CHARS = 200


def _excerpt(value: Any) -> str:
    try:
        text = json.dumps(value, ensure_ascii=False, default=repr)
    except (ValueError, TypeError, RecursionError):  # an int of more digits than Python prints, a deep nest
        text = f"<a {type(value).__name__} too large to show>"
    return text if len(text) <= _EXCERPT_CHARS else text[: _EXCERPT_CHARS - 1] + "\u2026"


def _malformed(path: str, expected: str, value: Any, response_id: str | None) -> NoReturn:
    raise ResponseShapeError(path, expected, excerpt=_excerpt(value), response_id=response_id)


def _object(
    value: Any, path: str, rid: str | None, expected: str = _OBJECT, *, required: bool = False
) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, ``{}`` for a missing one (``null``) unless it is ``required``."""
    if value is None and not required:
        return {}
    if not isinstance(value, Mapping):
        _malformed(path, expected, value, rid)
    return value


def _array(value: Any, path: str, rid: str | None, expected: str) -> list[Any]:
    if value is None:
        return []
    if not isinstance(value, list):
        _malformed(path, expected, value, rid)
    return value


def _string(value: Any, path: str, rid: str | None) -> str | None:
    if value is not None and not isinstance(value, str):
        _malformed(path, _STRING, value, rid)
    return value


def _integer(value: Any, path: str, rid: str | None, *, count: bool = False) -> int | None:
    """An integer (``12.0`` is read as 12); ``count`` ones are also not negative. NaN, inf, bools, strings fail."""
    if value is None:
        return None
    if isinstance(value, float) and math.isfinite(value) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or (count and value < 0):
        _malformed(path, _COUNT if count else "an integer", value, rid)
    return value


def _fields(data: Mapping[str, Any], keys: tuple[str, ...], path: str, rid: str | None) -> None:
    for key in keys:
        _string(data.get(key), f"{path}{key}", rid)


def _answer_id(data: Any) -> str | None:
    if not isinstance(data, Mapping):
        _malformed("", "a JSON object", data, None)
    answer_id = data.get("id")
    if answer_id is not None and not isinstance(answer_id, str):
        _malformed("id", _STRING, answer_id, None)
    return answer_id


def _token_details(
    usage: Mapping[str, Any], key: str, expected: str, names: tuple[tuple[str, str], ...], path: str, rid: str | None
) -> dict[str, int]:
    """The counts of ``usage[key]`` (``prompt_tokens_details``, ...) under LangChain's names."""
    details = _object(usage.get(key), f"{path}.{key}", rid, expected)
    found: dict[str, int] = {}
    for wire_name, name in names:
        if (count := _integer(details.get(wire_name), f"{path}.{key}.{wire_name}", rid, count=True)) is not None:
            found[name] = count
    return found


def usage_metadata(
    usage: Mapping[str, Any] | None, *, path: str = "usage", response_id: str | None = None
) -> UsageMetadata | None:
    """LangChain usage from the wire's ``usage``, with token details where the service gave them.

    ``path`` and ``response_id`` place the :class:`~.errors.ResponseShapeError` raised for a ``usage`` that is not a
    ``CompletionsUsage`` (a token count that is not a non-negative integer, details that are not objects).
    """
    rid = response_id
    usage = _object(usage, path, rid, "a CompletionsUsage object")
    if not usage:
        return None
    input_tokens = _integer(usage.get("prompt_tokens"), f"{path}.prompt_tokens", rid, count=True) or 0
    output_tokens = _integer(usage.get("completion_tokens"), f"{path}.completion_tokens", rid, count=True) or 0
    total_tokens = _integer(usage.get("total_tokens"), f"{path}.total_tokens", rid, count=True)
    result = UsageMetadata(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=total_tokens or input_tokens + output_tokens,
    )
    prompt = (("audio_tokens", "audio"), ("cached_tokens", "cache_read"))
    if input_details := _token_details(
        usage, "prompt_tokens_details", "a PromptUsageDetails object", prompt, path, rid
    ):
        result["input_token_details"] = cast("InputTokenDetails", input_details)
    completion = (("audio_tokens", "audio"), ("reasoning_tokens", "reasoning"))
    details = "completion_tokens_details"
    if output_details := _token_details(usage, details, "a CompletionsUsageDetails object", completion, path, rid):
        result["output_token_details"] = cast("OutputTokenDetails", output_details)
    return result


def _response_metadata(
    completion: Mapping[str, Any], choice: Mapping[str, Any], path: str = "choices[0]"
) -> dict[str, Any]:
    rid = _answer_id(completion)
    _fields(completion, ("model", "system_fingerprint"), "", rid)
    _integer(completion.get("created"), "created", rid)
    _string(choice.get("finish_reason"), f"{path}.finish_reason", rid)
    _object(choice.get("content_filter_results"), f"{path}.content_filter_results", rid)
    _object(choice.get("logprobs"), f"{path}.logprobs", rid)
    metadata: dict[str, Any] = {"model_provider": MODEL_PROVIDER}
    for key, name in (("model", "model_name"), ("id", "id"), ("created", "created"), ("system_fingerprint", None)):
        if completion.get(key) is not None:
            metadata[name or key] = completion[key]
    if choice.get("finish_reason") is not None:
        metadata["finish_reason"] = choice["finish_reason"]
        # Azure OpenAI stops with "content_filter" when its filters cut the answer; surface it without digging.
        metadata["content_filtered"] = metadata["finish_reason"] == "content_filter"
    if choice.get("content_filter_results") is not None:
        metadata["content_filter_results"] = choice["content_filter_results"]
    if choice.get("logprobs") is not None:
        metadata["logprobs"] = choice["logprobs"]
    prompt_filters = completion.get("prompt_filter_results")
    if prompt_filters is not None:
        metadata["prompt_filter_results"] = prompt_filters
    return metadata


def _function(raw: Any, path: str, rid: str | None) -> tuple[str | None, str | None]:
    """The ``name`` and ``arguments`` of a tool call's ``function`` (a ``FunctionCall``)."""
    function = _object(raw, path, rid, "a FunctionCall object ({name, arguments})")
    return _string(function.get("name"), f"{path}.name", rid), _string(
        function.get("arguments"), f"{path}.arguments", rid
    )


def _tool_calls(
    raw_calls: Any, path: str = "choices[0].message.tool_calls", response_id: str | None = None
) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    rid = response_id
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for position, raw in enumerate(_array(raw_calls, path, rid, "an array of ChatCompletionsToolCall objects")):
        call = _object(raw, f"{path}[{position}]", rid, "a ChatCompletionsToolCall object", required=True)
        if call.get("function") is None:  # a call of no function cannot be made
            _malformed(f"{path}[{position}]", "a ChatCompletionsToolCall object with a function", raw, rid)
        name, arguments = _function(call.get("function"), f"{path}[{position}].function", rid)
        as_openai = {
            "id": _string(call.get("id"), f"{path}[{position}].id", rid),
            "function": {"name": name or "", "arguments": arguments or ""},
        }
        try:
            parsed = parse_tool_call(as_openai, return_id=True)
            if parsed is not None and not isinstance(parsed["args"], dict):
                raise ValueError(f"the arguments of {name!r} are JSON but not an object: {arguments!r}")
        except Exception as error:  # parse_tool_call raises OutputParserException on bad JSON
            invalid.append(make_invalid_tool_call(as_openai, str(error)))
            continue
        if parsed is not None:
            valid.append(ToolCall(name=parsed["name"], args=parsed["args"], id=parsed.get("id"), type="tool_call"))
    return valid, invalid


def _content(text: str | None, reasoning: str | None) -> str | list[str | dict[str, Any]]:
    if not reasoning:
        return text or ""
    blocks: list[str | dict[str, Any]] = [{"type": "reasoning", "reasoning": reasoning}]
    if text:
        blocks.append({"type": "text", "text": text})
    return blocks


def _audio(raw: Any, path: str, rid: str | None) -> Mapping[str, Any] | None:
    """The wire's ``audio`` (a ``ChatCompletionsAudio``, or a streamed piece of one) once its fields are checked."""
    if raw is None:
        return None
    audio = _object(raw, path, rid, "a ChatCompletionsAudio object")
    _fields(audio, ("id", "data", "transcript", "format"), f"{path}.", rid)
    _integer(audio.get("expires_at"), f"{path}.expires_at", rid)
    return audio


def audio_block(audio: Mapping[str, Any], audio_format: str | None) -> dict[str, Any]:
    """The LangChain audio block of a spoken answer (the wire's ``message.audio``): the bytes, the id a later turn
    refers to them by, and in ``extras`` the transcript, ``expires_at`` and the format.

    A field of the wrong type (``data`` that is not a string) raises :class:`~.errors.ResponseShapeError`.
    """
    _audio(audio, "audio", None)
    fmt = audio.get("format") or audio_format
    extras = {key: audio[key] for key in ("transcript", "expires_at") if audio.get(key) is not None}
    block: dict[str, Any] = {"type": "audio", "id": audio.get("id"), "base64": audio.get("data") or ""}
    if isinstance(fmt, str) and fmt in AUDIO_OUTPUT_MIME_TYPES:
        block["mime_type"] = AUDIO_OUTPUT_MIME_TYPES[fmt]
    return {**block, "extras": {**extras, "format": fmt} if fmt else extras}


def to_ai_message(data: Mapping[str, Any], index: int = 0, *, audio_format: str | None = None) -> AIMessage:
    """The ``AIMessage`` for a non-streamed ``ChatCompletions``: its first choice, or the one at ``index``.

    A spoken answer (``message.audio``) becomes a text block with its transcript and an audio block
    (:func:`audio_block`; ``audio_format`` is the requested one, for services that do not repeat it), and the wire's
    dict stays in ``additional_kwargs["audio"]``, where code written for ChatOpenAI reads it.
    """
    rid = _answer_id(data)
    choices = _array(data.get("choices"), "choices", rid, "an array of ChatChoice objects")
    if not choices:
        _malformed("choices", "at least one ChatChoice (the service answered with no choices)", choices, rid)
    path = f"choices[{index}]"
    choice = _object(choices[index], path, rid, "a ChatChoice object", required=True)
    message = _object(choice.get("message"), f"{path}.message", rid, "a ChatResponseMessage object")
    tool_calls, invalid_tool_calls = _tool_calls(message.get("tool_calls"), f"{path}.message.tool_calls", rid)
    text = _string(message.get("content"), f"{path}.message.content", rid)
    content = _content(text, _string(message.get("reasoning_content"), f"{path}.message.reasoning_content", rid))
    additional: dict[str, Any] = {}
    if (audio := _audio(message.get("audio"), f"{path}.message.audio", rid)) is not None:
        blocks = content if isinstance(content, list) else ([{"type": "text", "text": content}] if content else [])
        transcript = audio.get("transcript")
        if transcript and not message.get("content"):
            blocks.append({"type": "text", "text": transcript})
        content = [*blocks, audio_block(audio, audio_format)]
        additional["audio"] = dict(audio)
    return AIMessage(
        content=content,
        additional_kwargs=additional,
        tool_calls=tool_calls,
        invalid_tool_calls=invalid_tool_calls,
        usage_metadata=usage_metadata(data.get("usage"), response_id=rid),
        response_metadata=_response_metadata(data, choice, path),
        id=rid,
    )


@dataclass
class StreamState:
    """What one stream has shown so far; streamed chunks depend on it (reasoning comes before text; a spoken
    answer's transcript is its text block, index 1 after reasoning, and its audio block follows)."""

    saw_reasoning: bool = False
    #: The requested ``audio.format`` of a spoken answer (the stream's pieces do not repeat it).
    audio_format: str | None = None
    saw_audio: bool = False


def _audio_delta(audio: Mapping[str, Any], state: StreamState) -> list[str | dict[str, Any]]:
    """The blocks of one streamed ``delta.audio`` piece; added with ``+`` they give :func:`audio_block`'s block."""
    _audio(audio, "choices[0].delta.audio", None)
    text_index, audio_index = (1, 2) if state.saw_reasoning else (0, 1)
    blocks: list[str | dict[str, Any]] = []
    if audio.get("transcript"):
        blocks.append({"type": "text", "text": audio["transcript"], "index": text_index})
    piece: dict[str, Any] = {"type": "audio", "index": audio_index}
    if not state.saw_audio:  # the id and format once: "+" would join strings that repeat
        state.saw_audio = True
        first = audio_block({"id": audio.get("id")}, state.audio_format)
        piece.update({k: v for k, v in first.items() if k != "extras"}, extras=dict(first["extras"]))
    if audio.get("data"):
        piece["base64"] = piece.get("base64", "") + audio["data"]
    extras = piece.setdefault("extras", {})
    extras.update({k: audio[k] for k in ("transcript", "expires_at") if audio.get(k) is not None})
    if audio.get("id") and piece.get("id") is None:
        piece["id"] = audio["id"]
    blocks.append(piece)
    return blocks


def to_ai_message_chunk(data: Mapping[str, Any], state: StreamState) -> AIMessageChunk | None:
    """The ``AIMessageChunk`` for one streamed update, or ``None`` if it carries nothing."""
    rid = _answer_id(data)
    choices = _array(data.get("choices"), "choices", rid, "an array of StreamingChatChoiceUpdate objects")
    usage = usage_metadata(data.get("usage"), response_id=rid)
    if not choices:
        if usage is None:
            return None
        return AIMessageChunk(content="", usage_metadata=usage, response_metadata={"model_provider": MODEL_PROVIDER})
    choice = _object(choices[0], "choices[0]", rid, "a StreamingChatChoiceUpdate object", required=True)
    delta = _object(choice.get("delta"), "choices[0].delta", rid, "a StreamingChatResponseMessageUpdate object")
    content: str | list[str | dict[str, Any]] = _string(delta.get("content"), "choices[0].delta.content", rid) or ""
    reasoning = _string(delta.get("reasoning_content"), "choices[0].delta.reasoning_content", rid)
    additional: dict[str, Any] = {}
    if reasoning:
        state.saw_reasoning = True
        content = [{"type": "reasoning", "reasoning": reasoning, "index": 0}]
    elif content and state.saw_reasoning:
        content = [{"type": "text", "text": content, "index": 1}]
    if (audio := _audio(delta.get("audio"), "choices[0].delta.audio", rid)) is not None:
        content = [*(content if isinstance(content, list) else []), *_audio_delta(audio, state)]
        additional["audio"] = dict(audio)  # the pieces add up to the wire's dict, as ChatOpenAI keeps it
    chunks: list[ToolCallChunk] = []
    calls_path = "choices[0].delta.tool_calls"
    for position, raw in enumerate(_array(delta.get("tool_calls"), calls_path, rid, "an array of tool call updates")):
        call = _object(
            raw, f"{calls_path}[{position}]", rid, "a StreamingChatResponseToolCallUpdate object", required=True
        )
        name, arguments = _function(call.get("function"), f"{calls_path}[{position}].function", rid)
        index = _integer(call.get("index", position), f"{calls_path}[{position}].index", rid)
        call_id = _string(call.get("id"), f"{calls_path}[{position}].id", rid)
        chunks.append(tool_call_chunk(name=name, args=arguments, id=call_id, index=index))
    metadata: dict[str, Any] = {"model_provider": MODEL_PROVIDER}
    if choice.get("finish_reason") is not None:
        metadata = _response_metadata(data, choice)
    elif _object(choice.get("logprobs"), "choices[0].logprobs", rid):  # each piece's; adding the chunks joins them
        metadata["logprobs"] = choice["logprobs"]
    return AIMessageChunk(
        content=content,
        additional_kwargs=additional,
        tool_call_chunks=chunks,
        usage_metadata=usage,
        response_metadata=metadata,
        id=rid,
    )


def to_chat_result(data: Mapping[str, Any], *, audio_format: str | None = None) -> ChatResult:
    """A generation per choice (``n`` of them when ``n`` was asked), and the ``llm_output`` LangChain's callbacks
    read (``token_usage``, ``model_name``)."""
    choices = range(
        len(_array(data.get("choices"), "choices", _answer_id(data), "an array of ChatChoice objects")) or 1
    )
    messages = [to_ai_message(data, index, audio_format=audio_format) for index in choices]
    return ChatResult(generations=[ChatGeneration(message=m) for m in messages], llm_output=llm_output(messages[0]))


def llm_output(message: AIMessage) -> dict[str, Any]:
    """``LLMResult.llm_output`` for an answer: its token usage and model name."""
    return {"model_name": message.response_metadata.get("model_name"), "token_usage": message.usage_metadata}


def to_generation_chunk(update: Mapping[str, Any], state: StreamState) -> ChatGenerationChunk | None:
    """The ``ChatGenerationChunk`` for one streamed update, with the finish reason as generation info."""
    message = to_ai_message_chunk(update, state)
    if message is None:
        return None
    reason = message.response_metadata.get("finish_reason")
    return ChatGenerationChunk(message=message, generation_info={"finish_reason": reason} if reason else None)
