"""Streaming, the scripted mode (queued responses, recorded requests) and injected faults."""

from __future__ import annotations

import http.client
import json
import socket
import time

import pytest

from langchain_azure_multimodal.emulator import Emulator, Fault, ScriptedResponse
from tests.support.http import call, user

OPENAI_V1 = "/openai/v1/chat/completions"


def stream_body(**extra: object) -> dict:
    return {**user("one two three"), "stream": True, **extra}


def test_stream_is_role_then_content_then_finish_then_done(emulator: Emulator) -> None:
    reply = call(emulator, body=stream_body())
    assert reply.status == 200
    assert reply.headers["content-type"].startswith("text/event-stream")
    events = reply.events()
    assert events[-1] == "[DONE]"
    chunks = [json.loads(e) for e in events[:-1]]
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    assert all(c["choices"][0]["finish_reason"] is None for c in chunks[:-1])
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"
    assert all("usage" not in c for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content") or "" for c in chunks)
    assert text == call(emulator, body=user("one two three")).json["choices"][0]["message"]["content"]
    assert len(chunks) > 5  # one chunk per word, not one blob
    assert {c["object"] for c in chunks} == {"chat.completion"}  # the spec's name on Azure AI routes


def test_include_usage_adds_a_usage_chunk_with_no_choices(emulator: Emulator) -> None:
    body = stream_body(model="phi-4-multimodal-instruct", stream_options={"include_usage": True})
    events = call(emulator, OPENAI_V1, body).events()
    usage_chunk = json.loads(events[-2])
    assert usage_chunk["choices"] == []
    assert (
        usage_chunk["usage"]["total_tokens"]
        == usage_chunk["usage"]["prompt_tokens"] + usage_chunk["usage"]["completion_tokens"]
    )
    assert json.loads(events[-3])["choices"][0]["finish_reason"] == "stop"
    assert json.loads(events[0])["choices"] == []  # Azure OpenAI opens with the content-filter chunk
    assert json.loads(events[1])["object"] == "chat.completion.chunk"  # OpenAI's name on OpenAI routes


def test_stream_options_reach_azure_ai_routes_only_by_pass_through(emulator: Emulator) -> None:
    body = stream_body(stream_options={"include_usage": True})
    assert call(emulator, body=body).status == 422
    dropped = call(emulator, body=body, headers={"extra-parameters": "drop"}).events()
    assert "usage" not in json.loads(dropped[-2])
    passed = call(emulator, body=body, headers={"extra-parameters": "pass-through"}).events()
    assert json.loads(passed[-2])["choices"] == []


def test_streamed_tool_calls(emulator: Emulator) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "lookup",
            "parameters": {"type": "object", "properties": {"q": {"type": "string"}}, "required": ["q"]},
        },
    }
    events = call(emulator, body=stream_body(tools=[tool], tool_choice="required")).events()
    chunks = [json.loads(e) for e in events[:-1]]
    calls = [c["choices"][0]["delta"]["tool_calls"] for c in chunks if "tool_calls" in c["choices"][0]["delta"]]
    # The service's shape (.NET SDK, StreamingFunctionToolCallUpdate): the id and name once, with empty arguments,
    # then the arguments in fragments that must be accumulated.
    head, *fragments = [update for (update,) in calls]
    assert head == {"index": 0, "id": head["id"], "type": "function", "function": {"name": "lookup", "arguments": ""}}
    assert len(fragments) >= 2 and all(set(f) == {"index", "function"} and f["index"] == 0 for f in fragments)
    assert all(set(f["function"]) == {"arguments"} for f in fragments)
    assert json.loads("".join(f["function"]["arguments"] for f in fragments)) == {"q": "one two three"}
    assert chunks[-1]["choices"][0]["finish_reason"] == "tool_calls"
    assert [c["choices"][0]["finish_reason"] for c in chunks].count("tool_calls") == 1


def test_several_referred_tools_are_called_in_parallel_unless_told_not_to(emulator: Emulator) -> None:
    def tool(name: str) -> dict[str, object]:
        schema = {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]}
        return {"type": "function", "function": {"name": name, "parameters": schema}}

    body = {**user("Use get_weather and get_time for Oslo"), "model": emulator.model}
    body["tools"] = [tool("get_weather"), tool("get_time")]

    def names(reply_events: list[str]) -> list[tuple[int, str]]:
        deltas = [json.loads(e)["choices"] for e in reply_events[:-1]]
        heads = [d[0]["delta"]["tool_calls"][0] for d in deltas if d and "tool_calls" in d[0]["delta"]]
        return [(h["index"], h["function"]["name"]) for h in heads if "id" in h]

    calls = call(emulator, OPENAI_V1, body).json["choices"][0]["message"]["tool_calls"]
    assert [c["function"]["name"] for c in calls] == ["get_weather", "get_time"]
    assert [json.loads(c["function"]["arguments"]) for c in calls] == [{"city": "Oslo"}, {"city": "Oslo"}]
    assert len({c["id"] for c in calls}) == 2
    assert names(call(emulator, OPENAI_V1, {**body, "stream": True}).events()) == [(0, "get_weather"), (1, "get_time")]
    one = call(emulator, OPENAI_V1, {**body, "parallel_tool_calls": False}).json["choices"][0]["message"]
    assert [c["function"]["name"] for c in one["tool_calls"]] == ["get_weather"]
    assert names(call(emulator, OPENAI_V1, {**body, "stream": True, "parallel_tool_calls": False}).events()) == [
        (0, "get_weather")
    ]


def test_recorded_requests_keep_method_path_query_headers_and_body(emulator: Emulator) -> None:
    call(emulator, body={**user("hello"), "seed": 0, "temperature": 0}, headers={"x-ms-client-request-id": "abc"})
    recorded = emulator.requests[-1]
    assert (recorded.method, recorded.path) == ("POST", "/chat/completions")
    assert recorded.query == {"api-version": "2024-05-01-preview"}
    assert recorded.header("X-MS-CLIENT-REQUEST-ID") == "abc"
    assert recorded.body == {**user("hello"), "seed": 0, "temperature": 0}
    assert "test-key" not in repr(recorded)  # secrets are masked in repr
    emulator.reset()
    assert emulator.requests == []


def test_queued_json_and_sse_responses_are_served_in_order(emulator: Emulator) -> None:
    exact = {
        "id": "x",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "queued"}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }
    emulator.enqueue(ScriptedResponse(json=exact, headers={"x-test": "1"}))
    emulator.enqueue(ScriptedResponse(events=({"choices": []}, ": comment", "data: [DONE]")))
    first = call(emulator, body=user())
    assert first.json == exact and first.headers["x-test"] == "1"
    second = call(emulator, body=stream_body())
    assert second.text == 'data: {"choices": []}\n\n: comment\n\ndata: [DONE]\n\n'
    assert "emulator" in call(emulator, body=user()).json["choices"][0]["message"]["content"]


def test_a_queued_response_still_needs_a_valid_request(emulator: Emulator) -> None:
    emulator.enqueue(ScriptedResponse(json={"queued": True}))
    assert call(emulator, body=user(), key="wrong").status == 401
    assert call(emulator, body=user()).json == {"queued": True}


@pytest.mark.parametrize(
    ("fault", "headers"),
    [
        (Fault.throttle(retry_after=2), {"retry-after": "2"}),
        (Fault.throttle(retry_after_ms=250), {"retry-after-ms": "250"}),
        (Fault.http_status(503), {}),
        (Fault.http_status(502), {}),
    ],
)
def test_status_faults_apply_to_the_next_n_requests(emulator: Emulator, fault: Fault, headers: dict) -> None:
    emulator.inject(fault, times=2)
    for _ in range(2):
        reply = call(emulator, body=user())
        assert reply.status == fault.status
        assert reply.error["code"] == str(fault.status)
        for name, value in headers.items():
            assert reply.headers[name] == value
        assert "retry-after" in reply.headers or "retry-after" not in headers
    assert call(emulator, body=user()).status == 200


def test_delay_fault(emulator: Emulator) -> None:
    emulator.inject(Fault.slow(0.3))
    started = time.perf_counter()
    assert call(emulator, body=user()).status == 200
    assert time.perf_counter() - started >= 0.3


def raw_exchange(emu: Emulator, body: dict) -> tuple[bytes, BaseException | None]:
    """Send one request on a raw socket; return what arrived and how the connection ended."""
    payload = json.dumps(body).encode()
    head = (
        f"POST /chat/completions?api-version=2024-05-01-preview HTTP/1.1\r\nHost: x\r\n"
        f"api-key: test-key-0123456789\r\nContent-Type: application/json\r\nContent-Length: {len(payload)}\r\n\r\n"
    )
    received = b""
    with socket.create_connection(("127.0.0.1", emu.port or 0), timeout=5) as sock:
        sock.sendall(head.encode() + payload)
        try:
            while chunk := sock.recv(65536):
                received += chunk
                if received.endswith(b"0\r\n\r\n"):
                    return received, None
        except OSError as error:
            return received, error
    return received, None


def test_connection_reset_before_the_response(emulator: Emulator) -> None:
    emulator.inject(Fault.connection_reset())
    received, error = raw_exchange(emulator, user())
    assert received == b""
    assert isinstance(error, ConnectionResetError)
    assert call(emulator, body=user()).status == 200


def test_connection_reset_part_way_through_a_stream(emulator: Emulator) -> None:
    emulator.inject(Fault.connection_reset(after_events=3))
    received, error = raw_exchange(emulator, stream_body())
    assert isinstance(error, ConnectionResetError)
    assert received.count(b"data: ") == 3
    assert b"[DONE]" not in received


def test_keep_alive_comments_and_event_lines_between_events(emulator: Emulator) -> None:
    emulator.inject(Fault.keep_alive(with_event_lines=True))
    reply = call(emulator, body=stream_body())
    assert reply.text.count(": keep-alive\n\n") == len(reply.events()) - 1
    assert "event: message\ndata: " in reply.text
    assert reply.events()[-1] == "[DONE]"


def test_error_object_inside_the_stream(emulator: Emulator) -> None:
    emulator.inject(Fault.error_in_stream(code="server_error", message="boom", after_events=2))
    events = call(emulator, body=stream_body()).events()
    assert len(events) == 3
    assert json.loads(events[-1]) == {"error": {"code": "server_error", "message": "boom"}}


def test_malformed_json_fault(emulator: Emulator) -> None:
    emulator.inject(Fault.malformed(), times=2)
    reply = call(emulator, body=user())
    assert reply.status == 200
    with pytest.raises(json.JSONDecodeError):
        json.loads(reply.text)
    streamed = call(emulator, body=stream_body()).events()
    with pytest.raises(json.JSONDecodeError):
        json.loads(streamed[0])


def test_faults_do_not_break_the_server_for_later_clients(emulator: Emulator) -> None:
    emulator.inject(Fault.connection_reset(), times=3)
    for _ in range(3):
        with pytest.raises((ConnectionError, http.client.RemoteDisconnected)):
            call(emulator, body=user())
    assert call(emulator, body=user()).status == 200


def test_fault_times_must_be_positive(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="at least 1"):
        emulator.inject(Fault.slow(0.1), times=0)


def test_recording_keeps_the_latest_requests_only(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emu = emulator_factory(max_recorded=3)
    for text in ("a", "b", "c", "d"):
        call(emu, body=user(text))
    assert [r.body["messages"][0]["content"] for r in emu.requests] == ["b", "c", "d"]


def test_recording_keeps_at_most_its_byte_budget_of_bodies(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    # Issue 16: 300 requests of 2 MiB once kept 600 MiB; the count alone did not bound memory.
    emu = emulator_factory(max_recorded_bytes=1_000_000)
    for text in ("a", "b", "c"):
        call(emu, body=user(text * 400_000))
    kept = emu.requests
    assert [r.body["messages"][0]["content"][0] for r in kept] == ["b", "c"]
    assert sum(r.body_bytes for r in kept) <= 1_000_000
    call(emu, body=user("x" * 2_000_000))  # one over the budget alone: the newest is always kept
    assert [r.body["messages"][0]["content"][0] for r in emu.requests] == ["x"]


def test_recording_can_be_turned_off(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emu = emulator_factory(record=False)
    assert call(emu, body=user()).status == 200
    assert emu.requests == []
