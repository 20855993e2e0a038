"""Hostile answers: a 200 answer of the wrong shape reaches the caller of ``invoke``, ``ainvoke``, ``stream`` and
``astream`` as one typed error (``ResponseShapeError``) that says where and what,
never as a bare ``KeyError``/``TypeError`` or a pydantic ``ValidationError``; answers the service may send (nulls,
extra keys, unknown finish reasons) still read."""

from __future__ import annotations

import copy
import math
from collections.abc import Callable
from functools import reduce
from operator import add
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, AIMessageChunk

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.errors import ResponseShapeError
from langchain_azure_multimodal.testing import MockWire, WireCall

V1 = "https://r.openai.azure.com/openai/v1"
Path = tuple[str | int, ...]


def full_completion() -> dict[str, Any]:
    """A ``ChatCompletions`` with every field the converters read."""
    return {
        "id": "c-1",
        "object": "chat.completion",
        "created": 1700000000,
        "model": "gpt-4o",
        "system_fingerprint": "fp",
        "prompt_filter_results": [{"prompt_index": 0, "content_filter_results": {}}],
        "choices": [
            {
                "index": 0,
                "finish_reason": "tool_calls",
                "logprobs": {"content": []},
                "content_filter_results": {"hate": {"filtered": False}},
                "message": {
                    "role": "assistant",
                    "content": "Hi.",
                    "reasoning_content": "Think.",
                    "tool_calls": [
                        {"id": "t1", "type": "function", "function": {"name": "f", "arguments": '{"a": 1}'}},
                        {"id": "t2", "type": "function", "function": {"name": "g", "arguments": "{bad"}},
                    ],
                    "audio": {"id": "a1", "data": "AAAA", "transcript": "Hi.", "expires_at": 1, "format": "wav"},
                },
            }
        ],
        "usage": {
            "prompt_tokens": 10,
            "completion_tokens": 5,
            "total_tokens": 15,
            "prompt_tokens_details": {"audio_tokens": 1, "cached_tokens": 2},
            "completion_tokens_details": {"audio_tokens": 3, "reasoning_tokens": 4},
        },
    }


def full_stream() -> list[dict[str, Any]]:
    """A stream with reasoning, text, a tool call in pieces, audio pieces, a finish reason and a usage event."""

    def event(delta: dict[str, Any] | None = None, **choice: Any) -> dict[str, Any]:
        body = {"index": 0, "delta": delta or {}, "finish_reason": None, **choice}
        return {"id": "s-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o", "choices": [body]}

    call = {"index": 0, "id": "t1", "type": "function", "function": {"name": "f", "arguments": '{"a"'}}
    return [
        event({"role": "assistant", "content": ""}),
        event({"reasoning_content": "Think."}),
        event({"content": "Hi."}, logprobs={"content": [{"token": "Hi", "logprob": -0.1}]}),
        event({"tool_calls": [call]}),
        event({"tool_calls": [{"index": 0, "function": {"arguments": ": 1}"}}]}),
        event({"audio": {"id": "a1", "data": "AA", "transcript": "Hi", "expires_at": 1}}),
        event({"audio": {"data": "AA"}}),
        event({}, finish_reason="tool_calls", content_filter_results={}),
        {"id": "s-1", "object": "chat.completion.chunk", "created": 1, "model": "gpt-4o", "choices": [],
         "usage": {"prompt_tokens": 3, "completion_tokens": 4, "total_tokens": 7}},
    ]  # fmt: skip


def model_answering(complete: dict[str, Any] | None = None, stream: list[dict[str, Any]] | None = None) -> Any:
    def handler(call: WireCall) -> Any:
        return stream if call.kind == "stream" else complete

    return ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=MockWire(handler))


def put(data: Any, path: Path, value: Any) -> Any:
    """``data`` (copied) with the node at ``path`` replaced by ``value``."""
    data = copy.deepcopy(data)
    node = data
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return data


def streamed(model: Any) -> AIMessageChunk:
    return reduce(add, model.stream("Hi"))


# ---------------------------------------------------------------------------------------------- the listed cases

MESSAGE = ("choices", 0, "message")
USAGE = ("usage",)
CALLS = (*MESSAGE, "tool_calls")
# (path to replace, value, the error's path)
COMPLETE_CASES: list[tuple[Path, Any, str]] = [
    (("choices",), "oops", "choices"),
    (("choices",), {"index": 0}, "choices"),
    (("choices",), 3, "choices"),
    (("choices",), [], "choices"),
    (("choices",), ["a"], "choices[0]"),
    (("choices",), [None], "choices[0]"),
    (MESSAGE, "hello", "choices[0].message"),
    (USAGE, "ten", "usage"),
    (USAGE, [1, 2], "usage"),
    ((*USAGE, "prompt_tokens"), math.inf, "usage.prompt_tokens"),
    ((*USAGE, "completion_tokens"), math.nan, "usage.completion_tokens"),
    ((*USAGE, "total_tokens"), "ten", "usage.total_tokens"),
    ((*USAGE, "total_tokens"), -1, "usage.total_tokens"),
    ((*USAGE, "prompt_tokens"), True, "usage.prompt_tokens"),
    ((*USAGE, "prompt_tokens"), 1.5, "usage.prompt_tokens"),
    ((*USAGE, "prompt_tokens_details"), "many", "usage.prompt_tokens_details"),
    ((*USAGE, "completion_tokens_details", "reasoning_tokens"), -math.inf,
     "usage.completion_tokens_details.reasoning_tokens"),
    (CALLS, "call f", "choices[0].message.tool_calls"),
    (CALLS, ["f", "g"], "choices[0].message.tool_calls[0]"),
    ((*CALLS, 1, "function"), "g", "choices[0].message.tool_calls[1].function"),
    ((*CALLS, 0, "function", "arguments"), {"a": 1}, "choices[0].message.tool_calls[0].function.arguments"),
    ((*CALLS, 0, "id"), 7, "choices[0].message.tool_calls[0].id"),
    ((*MESSAGE, "content"), {"text": "hi"}, "choices[0].message.content"),
    ((*MESSAGE, "content"), 5, "choices[0].message.content"),
    (("id",), {"x": 1}, "id"),
    (("model",), ["gpt"], "model"),
    (("choices", 0, "finish_reason"), 1, "choices[0].finish_reason"),
    ((*MESSAGE, "audio", "data"), 12, "choices[0].message.audio.data"),
    ((*MESSAGE, "audio"), "AAAA", "choices[0].message.audio"),
]  # fmt: skip

DELTA = ("choices", 0, "delta")
STREAM_CASES: list[tuple[int, Path, Any, str]] = [
    (1, ("choices",), "oops", "choices"),
    (1, ("choices",), {"index": 0}, "choices"),
    (1, ("choices",), 3, "choices"),
    (1, ("choices",), ["a"], "choices[0]"),
    (1, ("choices",), [None], "choices[0]"),
    (1, DELTA, "hello", "choices[0].delta"),
    (8, USAGE, "ten", "usage"),
    (8, USAGE, [1], "usage"),
    (8, (*USAGE, "prompt_tokens"), math.inf, "usage.prompt_tokens"),
    (8, (*USAGE, "completion_tokens"), math.nan, "usage.completion_tokens"),
    (8, (*USAGE, "total_tokens"), "ten", "usage.total_tokens"),
    (8, (*USAGE, "prompt_tokens_details"), "many", "usage.prompt_tokens_details"),
    (3, (*DELTA, "tool_calls"), "call f", "choices[0].delta.tool_calls"),
    (3, (*DELTA, "tool_calls"), ["f"], "choices[0].delta.tool_calls[0]"),
    (3, (*DELTA, "tool_calls", 0, "function"), "f", "choices[0].delta.tool_calls[0].function"),
    (3, (*DELTA, "tool_calls", 0, "function", "arguments"), {"a": 1},
     "choices[0].delta.tool_calls[0].function.arguments"),
    (3, (*DELTA, "tool_calls", 0, "index"), "0", "choices[0].delta.tool_calls[0].index"),
    (2, (*DELTA, "content"), {"text": "hi"}, "choices[0].delta.content"),
    (2, (*DELTA, "content"), 5, "choices[0].delta.content"),
    (2, ("id",), {"x": 1}, "id"),
    (5, (*DELTA, "audio", "data"), 12, "choices[0].delta.audio.data"),
    (5, (*DELTA, "audio"), "AA", "choices[0].delta.audio"),
    (7, ("choices", 0, "finish_reason"), ["stop"], "choices[0].finish_reason"),
    (2, ("choices", 0, "logprobs"), "x", "choices[0].logprobs"),
]  # fmt: skip


def check(error: BaseException, path: str, response_id: str | None) -> None:
    assert type(error) is ResponseShapeError  # the converters' own error, not a wrapper of it
    assert isinstance(error, ValueError)
    assert error.path == path and error.response_id == response_id
    assert len(error.excerpt) <= 200
    assert str(error).startswith("The service answered something this client cannot read: at " + path)
    assert "where the spec has" in str(error)


@pytest.mark.parametrize(("path", "value", "where"), COMPLETE_CASES, ids=[c[2] for c in COMPLETE_CASES])
def test_invoke_raises_the_typed_error(path: Path, value: Any, where: str) -> None:
    model = model_answering(put(full_completion(), path, value))
    with pytest.raises(ResponseShapeError) as caught:
        model.invoke("Hi")
    check(caught.value, where, None if path == ("id",) else "c-1")


@pytest.mark.parametrize(("event", "path", "value", "where"), STREAM_CASES, ids=[c[3] for c in STREAM_CASES])
def test_stream_raises_the_typed_error(event: int, path: Path, value: Any, where: str) -> None:
    events = full_stream()
    events[event] = put(events[event], path, value)
    with pytest.raises(ResponseShapeError) as caught:
        streamed(model_answering(stream=events))
    check(caught.value, where, None if path == ("id",) else "s-1")


async def test_ainvoke_raises_the_typed_error() -> None:
    model = model_answering(put(full_completion(), (*CALLS, 1, "function"), "g"))
    with pytest.raises(ResponseShapeError) as caught:
        await model.ainvoke("Hi")
    check(caught.value, "choices[0].message.tool_calls[1].function", "c-1")
    assert caught.value.excerpt == '"g"'


async def test_astream_raises_the_typed_error() -> None:
    events = full_stream()
    events[8] = put(events[8], (*USAGE, "prompt_tokens"), math.nan)
    model = model_answering(stream=events)
    with pytest.raises(ResponseShapeError) as caught:
        async for _ in model.astream("Hi"):
            pass
    check(caught.value, "usage.prompt_tokens", "s-1")
    assert caught.value.excerpt == "NaN"


def test_the_error_says_what_belongs_there_and_shows_the_start_of_what_came() -> None:
    model = model_answering(put(full_completion(), MESSAGE, "x" * 1000))
    with pytest.raises(ResponseShapeError) as caught:
        model.invoke("Hi")
    assert caught.value.expected == "a ChatResponseMessage object"
    assert caught.value.excerpt.startswith('"xxx') and len(caught.value.excerpt) == 200


# ---------------------------------------------------------------------------------------------- still lenient


def test_answers_the_service_may_send_still_read() -> None:
    answer = full_completion()
    answer["choices"][0]["message"]["content"] = None  # beside tool calls and audio
    answer["choices"][0]["finish_reason"] = "brand_new_reason"
    answer["choices"][0]["logprobs"] = None
    answer["usage"]["prompt_tokens"] = 10.0
    answer["usage"]["completion_tokens_details"] = None
    answer["extra"] = {"anything": [1, "x"]}
    answer["choices"][0]["message"]["future_field"] = 1
    message = model_answering(answer).invoke("Hi")
    assert message.response_metadata["finish_reason"] == "brand_new_reason"
    assert message.usage_metadata is not None and message.usage_metadata["input_tokens"] == 10
    assert [call["name"] for call in message.tool_calls] == ["f"] and len(message.invalid_tool_calls) == 1
    bare = {"choices": [{"message": {"content": "ok"}}]}  # no id, usage, finish reason or role
    assert model_answering(bare).invoke("Hi").content == "ok"


def test_tool_arguments_that_are_json_but_not_an_object_are_an_invalid_call() -> None:
    message = model_answering(put(full_completion(), (*CALLS, 0, "function", "arguments"), "[1, 2]")).invoke("Hi")
    assert [call["name"] for call in message.invalid_tool_calls] == ["f", "g"] and message.tool_calls == []


# ---------------------------------------------------------------------------------------------- any mutation

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.sampled_from([2**63, -(2**63)])
    | st.builds(pow, st.just(10), st.sampled_from([400, 5000]))  # 10**5000: more digits than str() prints
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=12)
)
KEYS = st.sampled_from(["id", "index", "content", "function", "arguments", "name", "data", "audio", "usage"]) | st.text(
    max_size=6
)
JSON = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(KEYS, inner, max_size=4),
    max_leaves=12,
)


def _deep(leaf_and_depth: tuple[Any, int, bool]) -> Any:
    value, depth, in_lists = leaf_and_depth
    for _ in range(depth):
        value = [value] if in_lists else {"content": value}
    return value


VALUES = JSON | st.tuples(SCALARS, st.integers(1, 50), st.booleans()).map(_deep)


def paths(node: Any, prefix: Path = ()) -> list[Path]:
    """Every path below the root (the root itself is the wire's: a dict, or MockWire refuses it)."""
    found: list[Path] = []
    items = node.items() if isinstance(node, dict) else enumerate(node) if isinstance(node, list) else ()
    for key, child in items:
        found.append((*prefix, key))
        found.extend(paths(child, (*prefix, key)))
    return found


COMPLETION_PATHS = paths(full_completion())
STREAM_PATHS = [(index, path) for index, event in enumerate(full_stream()) for path in paths(event)]


def outcome(run: Callable[[], Any]) -> Any:
    try:
        return run()
    except ResponseShapeError as error:
        caught = error
    assert isinstance(caught, ResponseShapeError) and len(caught.excerpt) <= 200 and str(caught)
    return caught


def test_the_unmutated_answers_are_messages() -> None:
    assert isinstance(model_answering(full_completion()).invoke("Hi"), AIMessage)
    message = streamed(model_answering(stream=full_stream()))
    assert isinstance(message, AIMessageChunk) and message.tool_calls[0]["args"] == {"a": 1}


def _mutated_completion(path: Path, value: Any) -> None:
    model = model_answering(put(full_completion(), path, value))
    result = outcome(lambda: model.invoke("Hi"))
    assert isinstance(result, AIMessage | ResponseShapeError)


def _mutated_stream_event(where: tuple[int, Path], value: Any) -> None:
    index, path = where
    events = full_stream()
    events[index] = put(events[index], path, value)
    model = model_answering(stream=events)
    result = outcome(lambda: streamed(model))
    assert isinstance(result, AIMessageChunk | ResponseShapeError)


def _fuzz(body: Callable[..., None], examples: int, **strategies: Any) -> Callable[..., None]:
    """``body`` as a hypothesis test of ``examples`` cases (each call makes a test of its own settings)."""
    return settings(max_examples=examples, deadline=None, suppress_health_check=[HealthCheck.too_slow])(
        given(**strategies)(body)
    )


COMPLETIONS = {"path": st.sampled_from(COMPLETION_PATHS), "value": VALUES}
STREAM_EVENTS = {"where": st.sampled_from(STREAM_PATHS), "value": VALUES}
test_any_mutated_completion_is_a_message_or_the_typed_error = _fuzz(_mutated_completion, 400, **COMPLETIONS)
test_any_mutated_stream_event_is_a_message_or_the_typed_error = _fuzz(_mutated_stream_event, 400, **STREAM_EVENTS)
# The bar: at least 10,000 malformed answers of each kind raise only the documented error (the slow step).
test_10000_mutated_completions = pytest.mark.slow(_fuzz(_mutated_completion, 10_000, **COMPLETIONS))
test_10000_mutated_stream_events = pytest.mark.slow(_fuzz(_mutated_stream_event, 10_000, **STREAM_EVENTS))
