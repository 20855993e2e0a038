"""Responses and streamed updates become LangChain messages with usage, tool calls and metadata."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessageChunk

from langchain_azure_multimodal._responses import StreamState, to_ai_message, to_ai_message_chunk, usage_metadata
from tests.support.chat import completion


def test_text_usage_and_metadata() -> None:
    usage = {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15}
    message = to_ai_message(completion({"content": "Hello"}, id="chatcmpl-1", model="gpt-4o", usage=usage))
    assert message.content == "Hello"
    assert message.id == "chatcmpl-1"
    assert message.usage_metadata == {"input_tokens": 10, "output_tokens": 5, "total_tokens": 15}
    assert message.response_metadata["model_name"] == "gpt-4o"
    assert message.response_metadata["finish_reason"] == "stop"
    assert message.response_metadata["model_provider"] == "azure_ai"
    assert message.response_metadata["content_filtered"] is False


def test_usage_details() -> None:
    usage = usage_metadata(
        {
            "prompt_tokens": 100,
            "completion_tokens": 50,
            "total_tokens": 150,
            "prompt_tokens_details": {"audio_tokens": 30, "cached_tokens": 20},
            "completion_tokens_details": {"audio_tokens": 0, "reasoning_tokens": 40, "total_tokens": 50},
        }
    )
    assert usage == {
        "input_tokens": 100,
        "output_tokens": 50,
        "total_tokens": 150,
        "input_token_details": {"audio": 30, "cache_read": 20},
        "output_token_details": {"audio": 0, "reasoning": 40},
    }
    assert usage_metadata(None) is None


def test_tool_calls_and_bad_json_goes_to_invalid_tool_calls() -> None:
    message = to_ai_message(
        completion(
            {
                "content": None,
                "tool_calls": [
                    {
                        "id": "a",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    },
                    {"id": "b", "type": "function", "function": {"name": "broken", "arguments": '{"city": '}},
                ],
            },
            "tool_calls",
        )
    )
    assert message.content == ""
    assert message.tool_calls == [{"name": "get_weather", "args": {"city": "Paris"}, "id": "a", "type": "tool_call"}]
    [invalid] = message.invalid_tool_calls
    assert (invalid["name"], invalid["id"], invalid["args"]) == ("broken", "b", '{"city": ')
    assert invalid["error"]


def test_content_filter_is_easy_to_see() -> None:
    filters = {"hate": {"filtered": True, "severity": "high"}}
    data = completion({"content": ""}, "content_filter", prompt_filter_results=[{"prompt_index": 0}])
    data["choices"][0]["content_filter_results"] = filters
    metadata = to_ai_message(data).response_metadata
    assert metadata["content_filtered"] is True
    assert metadata["content_filter_results"] == filters
    assert metadata["prompt_filter_results"] == [{"prompt_index": 0}]


def test_reasoning_content_becomes_a_reasoning_block() -> None:
    message = to_ai_message(completion({"content": "42", "reasoning_content": "Six times seven."}))
    assert message.content == [{"type": "reasoning", "reasoning": "Six times seven."}, {"type": "text", "text": "42"}]
    assert message.text == "42"


def chunk(delta: dict[str, Any] | None, finish_reason: str | None = None, usage: dict | None = None) -> dict[str, Any]:
    choices = [] if delta is None else [{"index": 0, "delta": delta, "finish_reason": finish_reason}]
    data: dict[str, Any] = {
        "id": "c",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": choices,
    }
    if usage:
        data["usage"] = usage
    return data


def test_stream_chunks_merge_into_one_message_with_usage_and_metadata_on_the_last() -> None:
    state = StreamState()
    updates = [
        chunk({"role": "assistant", "content": ""}),
        chunk({"content": "Hel"}),
        chunk({"content": "lo"}),
        chunk({}, "stop"),
        chunk(None, usage={"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}),
    ]
    chunks = [c for u in updates if (c := to_ai_message_chunk(u, state)) is not None]
    merged = chunks[0]
    for part in chunks[1:]:
        merged += part
    assert isinstance(merged, AIMessageChunk)
    assert merged.content == "Hello"
    assert merged.usage_metadata == {"input_tokens": 3, "output_tokens": 2, "total_tokens": 5}
    assert merged.response_metadata["finish_reason"] == "stop"
    assert merged.response_metadata["model_name"] == "m"
    assert to_ai_message_chunk(chunk(None), state) is None


def test_streamed_tool_call_chunks() -> None:
    state = StreamState()
    first = to_ai_message_chunk(
        chunk(
            {
                "tool_calls": [
                    {"index": 0, "id": "t1", "type": "function", "function": {"name": "lookup", "arguments": '{"q": '}}
                ]
            }
        ),
        state,
    )
    second = to_ai_message_chunk(chunk({"tool_calls": [{"index": 0, "function": {"arguments": '"x"}'}}]}), state)
    assert first is not None and second is not None
    merged = first + second
    assert merged.tool_call_chunks == [
        {"name": "lookup", "args": '{"q": "x"}', "id": "t1", "index": 0, "type": "tool_call_chunk"}
    ]
    assert merged.tool_calls == [{"name": "lookup", "args": {"q": "x"}, "id": "t1", "type": "tool_call"}]


def test_streamed_reasoning_then_text() -> None:
    state = StreamState()
    parts = [
        to_ai_message_chunk(chunk({"reasoning_content": "Think"}), state),
        to_ai_message_chunk(chunk({"reasoning_content": "ing."}), state),
        to_ai_message_chunk(chunk({"content": "Done"}), state),
    ]
    merged = parts[0]
    for part in parts[1:]:
        merged = merged + part  # type: ignore[operator]
    assert merged is not None
    assert merged.content == [
        {"type": "reasoning", "reasoning": "Thinking.", "index": 0},
        {"type": "text", "text": "Done", "index": 1},
    ]
