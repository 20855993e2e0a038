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

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from langchain_core.messages import AIMessage, AIMessageChunk, InvalidToolCall, ToolCall, ToolCallChunk
from langchain_core.messages.ai import InputTokenDetails, OutputTokenDetails, UsageMetadata
from langchain_core.messages.tool import tool_call_chunk
from langchain_core.output_parsers.openai_tools import make_invalid_tool_call, parse_tool_call
from langchain_core.outputs import ChatGeneration, ChatGenerationChunk, ChatResult

from .profiles import AUDIO_OUTPUT_MIME_TYPES

#: ``response_metadata["model_provider"]`` of every message this package makes.
MODEL_PROVIDER = "azure_ai"


def usage_metadata(usage: Mapping[str, Any] | None) -> UsageMetadata | None:
    """LangChain usage from the wire's ``usage``, with token details where the service gave them."""
    if not usage:
        return None
    input_tokens = int(usage.get("prompt_tokens") or 0)
    output_tokens = int(usage.get("completion_tokens") or 0)
    result = UsageMetadata(
        input_tokens=input_tokens,
        output_tokens=output_tokens,
        total_tokens=int(usage.get("total_tokens") or input_tokens + output_tokens),
    )
    prompt_details = usage.get("prompt_tokens_details") or {}
    input_details = InputTokenDetails()
    if prompt_details.get("audio_tokens") is not None:
        input_details["audio"] = int(prompt_details["audio_tokens"])
    if prompt_details.get("cached_tokens") is not None:
        input_details["cache_read"] = int(prompt_details["cached_tokens"])
    if input_details:
        result["input_token_details"] = input_details
    completion_details = usage.get("completion_tokens_details") or {}
    output_details = OutputTokenDetails()
    if completion_details.get("audio_tokens") is not None:
        output_details["audio"] = int(completion_details["audio_tokens"])
    if completion_details.get("reasoning_tokens") is not None:
        output_details["reasoning"] = int(completion_details["reasoning_tokens"])
    if output_details:
        result["output_token_details"] = output_details
    return result


def _response_metadata(completion: Mapping[str, Any], choice: Mapping[str, Any]) -> dict[str, Any]:
    metadata: dict[str, Any] = {"model_provider": MODEL_PROVIDER}
    for key, name in (("model", "model_name"), ("id", "id"), ("created", "created"), ("system_fingerprint", None)):
        if completion.get(key) is not None:
            metadata[name or key] = completion[key]
    if choice.get("finish_reason") is not None:
        metadata["finish_reason"] = str(choice["finish_reason"])
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


def _tool_calls(raw_calls: list[Mapping[str, Any]]) -> tuple[list[ToolCall], list[InvalidToolCall]]:
    valid: list[ToolCall] = []
    invalid: list[InvalidToolCall] = []
    for raw in raw_calls:
        as_openai = {"id": raw.get("id"), "function": dict(raw.get("function") or {})}
        try:
            parsed = parse_tool_call(as_openai, return_id=True)
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


def audio_block(audio: Mapping[str, Any], audio_format: str | None) -> dict[str, Any]:
    """The LangChain audio block of a spoken answer (the wire's ``message.audio``): the bytes, the id a later turn
    refers to them by, and in ``extras`` the transcript, ``expires_at`` and the format."""
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
    choices = data.get("choices") or []
    if not choices:
        raise ValueError(f"the service answered with no choices (response id {data.get('id')!r})")
    choice = choices[index]
    message = choice.get("message") or {}
    tool_calls, invalid_tool_calls = _tool_calls(message.get("tool_calls") or [])
    content = _content(message.get("content"), message.get("reasoning_content"))
    additional: dict[str, Any] = {}
    if isinstance(audio := message.get("audio"), Mapping):
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
        usage_metadata=usage_metadata(data.get("usage")),
        response_metadata=_response_metadata(data, choice),
        id=data.get("id"),
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
    choices = data.get("choices") or []
    usage = usage_metadata(data.get("usage"))
    if not choices:
        if usage is None:
            return None
        return AIMessageChunk(content="", usage_metadata=usage, response_metadata={"model_provider": MODEL_PROVIDER})
    choice = choices[0]
    delta = choice.get("delta") or {}
    content: str | list[str | dict[str, Any]] = delta.get("content") or ""
    reasoning = delta.get("reasoning_content")
    additional: dict[str, Any] = {}
    if reasoning:
        state.saw_reasoning = True
        content = [{"type": "reasoning", "reasoning": reasoning, "index": 0}]
    elif content and state.saw_reasoning:
        content = [{"type": "text", "text": content, "index": 1}]
    if isinstance(audio := delta.get("audio"), Mapping):
        content = [*(content if isinstance(content, list) else []), *_audio_delta(audio, state)]
        additional["audio"] = dict(audio)  # the pieces add up to the wire's dict, as ChatOpenAI keeps it
    chunks: list[ToolCallChunk] = []
    for position, raw in enumerate(delta.get("tool_calls") or []):
        function = raw.get("function") or {}
        index = raw.get("index", position)
        chunks.append(
            tool_call_chunk(name=function.get("name"), args=function.get("arguments"), id=raw.get("id"), index=index)
        )
    metadata: dict[str, Any] = {"model_provider": MODEL_PROVIDER}
    if choice.get("finish_reason") is not None:
        metadata = _response_metadata(data, choice)
    elif choice.get("logprobs") is not None:  # each piece's; adding the chunks joins their lists
        metadata["logprobs"] = choice["logprobs"]
    return AIMessageChunk(
        content=content,
        additional_kwargs=additional,
        tool_call_chunks=chunks,
        usage_metadata=usage,
        response_metadata=metadata,
        id=data.get("id"),
    )


def to_chat_result(data: Mapping[str, Any], *, audio_format: str | None = None) -> ChatResult:
    """A generation per choice (``n`` of them when ``n`` was asked), and the ``llm_output`` LangChain's callbacks
    read (``token_usage``, ``model_name``)."""
    choices = range(len(data.get("choices") or [None]))
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
