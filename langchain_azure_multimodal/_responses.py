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


def to_ai_message(data: Mapping[str, Any], index: int = 0) -> AIMessage:
    """The ``AIMessage`` for a non-streamed ``ChatCompletions``: its first choice, or the one at ``index``."""
    choices = data.get("choices") or []
    if not choices:
        raise ValueError(f"the service answered with no choices (response id {data.get('id')!r})")
    choice = choices[index]
    message = choice.get("message") or {}
    tool_calls, invalid_tool_calls = _tool_calls(message.get("tool_calls") or [])
    return AIMessage(
        content=_content(message.get("content"), message.get("reasoning_content")),
        tool_calls=tool_calls,
        invalid_tool_calls=invalid_tool_calls,
        usage_metadata=usage_metadata(data.get("usage")),
        response_metadata=_response_metadata(data, choice),
        id=data.get("id"),
    )


@dataclass
class StreamState:
    """What one stream has shown so far; streamed chunks depend on it (reasoning comes before text)."""

    saw_reasoning: bool = False


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
    if reasoning:
        state.saw_reasoning = True
        content = [{"type": "reasoning", "reasoning": reasoning, "index": 0}]
    elif content and state.saw_reasoning:
        content = [{"type": "text", "text": content, "index": 1}]
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
        tool_call_chunks=chunks,
        usage_metadata=usage,
        response_metadata=metadata,
        id=data.get("id"),
    )


def to_chat_result(data: Mapping[str, Any]) -> ChatResult:
    """A generation per choice (``n`` of them when ``n`` was asked), and the ``llm_output`` LangChain's callbacks
    read (``token_usage``, ``model_name``)."""
    messages = [to_ai_message(data, index) for index in range(len(data.get("choices") or [None]))]
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
