"""Answers that never end, or end too slowly, through the real SDK clients and transports (requests, aiohttp) from a
hostile server on loopback: an endless body, a body sent a byte at a time, an endless stream, a stream of keep-alive
comments only, a line that never ends, a body that does not decompress. Each ends with the typed error of the limit it
passed (``AnswerLimitError``: size, the body's time, a stall, the call's deadline), sync and async, and none runs
past its limit (each call is guarded: a hang fails the test instead of stalling the suite)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
from azure.core.exceptions import AzureError
from pydantic import SecretStr

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal._azure.limits import AnswerLimits, Budget, watch_response
from langchain_azure_multimodal._azure.wire import ChatWire
from langchain_azure_multimodal.endpoints import resolve_endpoint
from langchain_azure_multimodal.errors import AnswerLimitError, MalformedResponseError, StreamError
from tests.conftest import API_KEY

BODY = {"model": "phi-4-multimodal-instruct", "messages": [{"role": "user", "content": "Hi"}]}
PATHS = ["complete", "acomplete"]
STREAM_PATHS = ["stream", "astream"]
#: Longer than any limit below passes in; a call still running then has hung.
GUARD = 30.0
EVENT = b'data: {"id": "c", "choices": [{"index": 0, "delta": {"content": "x"}, "finish_reason": null}]}\n\n'

Send = Callable[[socket.socket], None]


@contextlib.contextmanager
def _serving(send: Send) -> Iterator[str]:
    """An endpoint whose every connection reads the request's head, then runs ``send`` until it returns or the
    client goes away."""
    listener = socket.create_server(("127.0.0.1", 0))
    stop = threading.Event()

    def one(connection: socket.socket) -> None:
        with connection, contextlib.suppress(OSError):
            received = b""
            while b"\r\n\r\n" not in received:
                received += connection.recv(65536)
            send(connection)
            stop.wait(GUARD)

    def serve() -> None:
        with contextlib.suppress(OSError):
            while not stop.is_set():
                connection, _ = listener.accept()
                threading.Thread(target=one, args=(connection,), daemon=True).start()

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}/models"
    finally:
        stop.set()
        listener.close()


def _head(content_type: str, *, length: int | None = None, extra: str = "") -> bytes:
    framing = f"Content-Length: {length}" if length is not None else "Transfer-Encoding: chunked"
    return f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n{framing}\r\n{extra}\r\n".encode()


def _chunk(data: bytes) -> bytes:
    return f"{len(data):x}\r\n".encode() + data + b"\r\n"


def _endless_json(connection: socket.socket) -> None:
    connection.sendall(_head("application/json", length=10**12) + b'{"id": "c", "choices": [], "pad": "')
    while True:
        connection.sendall(b"x" * 65536)


def _trickled_json(connection: socket.socket) -> None:
    body = json.dumps({"id": "c", "choices": [], "pad": "x" * 5000}).encode()
    connection.sendall(_head("application/json", length=len(body)))
    for byte in body:
        connection.sendall(bytes([byte]))
        time.sleep(0.02)


def _endless_stream(connection: socket.socket) -> None:
    connection.sendall(_head("text/event-stream"))
    while True:
        connection.sendall(_chunk(EVENT * 200))


def _slow_endless_stream(connection: socket.socket) -> None:
    connection.sendall(_head("text/event-stream"))
    while True:
        connection.sendall(_chunk(EVENT))
        time.sleep(0.05)


def _keep_alive_only(connection: socket.socket) -> None:
    connection.sendall(_head("text/event-stream") + _chunk(EVENT))
    while True:
        connection.sendall(_chunk(b": keep-alive\n\n"))
        time.sleep(0.05)


def _line_without_end(connection: socket.socket) -> None:
    connection.sendall(_head("text/event-stream") + _chunk(b"data: {"))
    while True:
        connection.sendall(_chunk(b"x" * 10))
        time.sleep(0.05)


def _run(endpoint: str, path: str, *, timeout: float = 10.0, **limits: Any) -> BaseException:
    """What one call on ``path`` raises, run in a thread and given :data:`GUARD` seconds."""
    outcome: list[BaseException] = []

    async def call() -> None:
        wire = ChatWire(
            resolve_endpoint(endpoint),
            SecretStr(API_KEY),
            max_retries=0,
            timeout=timeout,
            limits=AnswerLimits(**limits),
        )
        try:
            if path == "complete":
                wire.complete(BODY)
            elif path == "stream":
                with wire.stream(BODY) as events:
                    for _ in events:
                        pass
            elif path == "acomplete":
                await wire.acomplete(BODY)
            else:
                async with wire.astream(BODY) as events:
                    async for _ in events:
                        pass
        except BaseException as error:
            outcome.append(error)
        finally:
            await wire.aclose()

    worker = threading.Thread(target=asyncio.run, args=(call(),), daemon=True)
    worker.start()
    worker.join(GUARD)
    assert not worker.is_alive(), f"{path} still running after {GUARD} s: the limit did not cut it"
    assert outcome, f"{path} raised nothing"
    return outcome[0]


# ---------------------------------------------------------------------------------------------- size


@pytest.mark.parametrize("path", PATHS)
def test_an_endless_body_stops_at_the_size_limit(path: str) -> None:
    with _serving(_endless_json) as endpoint:
        error = _run(endpoint, path, max_bytes=1_000_000)
    assert isinstance(error, AnswerLimitError) and isinstance(error, AzureError)
    assert error.limit == "max_answer_bytes" and error.code == "answer_too_large"
    assert 1_000_000 < error.received <= 1_000_000 + 256 * 1024  # it stopped at the chunk that passed the limit
    assert "max_answer_bytes=1000000" in str(error) and "Fix: raise max_answer_bytes=" in str(error)


@pytest.mark.parametrize("path", STREAM_PATHS)
def test_an_endless_stream_stops_at_the_size_limit(path: str) -> None:
    with _serving(_endless_stream) as endpoint:
        error = _run(endpoint, path, max_bytes=2_000_000)
    assert isinstance(error, AnswerLimitError) and error.limit == "max_answer_bytes"


def test_the_size_limit_is_the_chat_models_setting() -> None:
    """``max_answer_bytes=`` on the chat model reaches the wire; ``invoke`` of a streaming model on an endless stream
    ends."""
    with _serving(_endless_stream) as endpoint:
        model = ChatAzureMultimodal(
            endpoint=endpoint,
            credential=API_KEY,
            model="phi-4",
            max_retries=0,
            max_answer_bytes=500_000,
            streaming=True,
        )
        with pytest.raises(AnswerLimitError, match="500,000 bytes"):
            model.invoke("Hi")


# ---------------------------------------------------------------------------------------------- time


@pytest.mark.parametrize("path", PATHS)
def test_a_trickled_body_stops_at_the_read_timeout(path: str) -> None:
    """One byte every 20 ms never trips the read timeout (the longest wait between reads), yet the whole body takes
    100 s; it must arrive within the read timeout. The sync transport's reads block until 4 KiB are in: the cut is
    the watchdog shutting the socket down, found through requests' response hook."""
    with _serving(_trickled_json) as endpoint:
        error = _run(endpoint, path, timeout=0.5)
    assert isinstance(error, AnswerLimitError) and error.limit == "body_time" and error.code == "answer_too_slow"
    assert "did not arrive whole within the read timeout of 0.5 s" in str(error)


@pytest.mark.parametrize("path", [*PATHS, *STREAM_PATHS])
def test_the_deadline_bounds_the_whole_call(path: str) -> None:
    send = _trickled_json if path in PATHS else _slow_endless_stream
    with _serving(send) as endpoint:
        error = _run(endpoint, path, timeout=10.0, deadline=0.5)
    assert isinstance(error, AnswerLimitError) and error.limit == "deadline"
    assert "passed its deadline of 0.5 s (deadline=0.5)" in str(error)


def _silent(connection: socket.socket) -> None:
    """Accepts the request and never answers."""


@pytest.mark.parametrize("path", [*PATHS, *STREAM_PATHS])
def test_the_deadline_bounds_the_wait_for_the_headers(path: str) -> None:
    """No answer at all: the read timeout (10 s here) would fire late; the deadline shortens each try's timeouts
    (sync) or cancels the wait (async)."""
    with _serving(_silent) as endpoint:
        error = _run(endpoint, path, timeout=10.0, deadline=0.5)
    assert isinstance(error, AnswerLimitError) and error.limit == "deadline", repr(error)


def test_no_retry_waits_past_the_deadline() -> None:
    """A 503 asking for 5 s: with a 1 s deadline there is no retry, and the 503 is the answer."""
    tries: list[int] = []

    def unavailable(connection: socket.socket) -> None:
        tries.append(1)
        body = b'{"error": {"code": "ServiceUnavailable", "message": "busy"}}'
        head = "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nRetry-After: 5\r\n"
        connection.sendall(f"{head}Content-Length: {len(body)}\r\n\r\n".encode() + body)

    with _serving(unavailable) as endpoint:
        wire = ChatWire(
            resolve_endpoint(endpoint), SecretStr(API_KEY), max_retries=3, limits=AnswerLimits(deadline=1.0)
        )
        with pytest.raises(AzureError, match="busy") as caught:
            wire.complete(BODY)
        wire.close()
    assert getattr(caught.value, "status_code", None) == 503 and len(tries) == 1


@pytest.mark.parametrize("path", STREAM_PATHS)
def test_keep_alive_comments_do_not_keep_a_stream_alive(path: str) -> None:
    with _serving(_keep_alive_only) as endpoint:
        error = _run(endpoint, path, timeout=0.5)
    assert isinstance(error, AnswerLimitError) and error.limit == "stream_stall"
    assert "sent no event for 0.5 s" in str(error)


@pytest.mark.parametrize("path", STREAM_PATHS)
def test_a_line_that_never_ends_is_a_stall(path: str) -> None:
    with _serving(_line_without_end) as endpoint:
        error = _run(endpoint, path, timeout=0.5)
    assert isinstance(error, AnswerLimitError) and error.limit == "stream_stall"


def test_a_slow_reader_is_not_a_stalled_stream() -> None:
    """The time the caller spends on each event is not the stream's: a reader slower than the read timeout still
    gets the whole answer."""

    def three_events(connection: socket.socket) -> None:
        done = b'data: {"id": "c", "choices": [{"index": 0, "delta": {}, "finish_reason": "stop"}]}\n\n'
        connection.sendall(_head("text/event-stream") + _chunk(EVENT * 2 + done) + _chunk(b"data: [DONE]\n\n"))
        connection.sendall(b"0\r\n\r\n")

    with _serving(three_events) as endpoint:
        wire = ChatWire(resolve_endpoint(endpoint), SecretStr(API_KEY), max_retries=0, timeout=0.3)
        got = []
        with wire.stream(BODY) as events:
            for event in events:
                got.append(event)
                time.sleep(0.5)
        wire.close()
    assert len(got) == 3


def test_the_watchdog_finds_the_socket_of_a_requests_response() -> None:
    """The one place that reaches below azure-core: requests' ``Response.raw`` (urllib3) ``.connection.sock``. If a
    release moves it, this fails here, not as a hang."""
    with _serving(_trickled_json) as endpoint:
        budget = Budget(AnswerLimits(), timeouts=(5.0, 5.0))
        seen: list[object] = []
        budget.watch = seen.append  # type: ignore[method-assign]
        with budget.sending():
            response = requests.get(endpoint, stream=True, hooks={"response": watch_response}, timeout=5)
        response.close()
    assert len(seen) == 1 and isinstance(seen[0], socket.socket)


# ---------------------------------------------------------------------------------------------- encoding


@pytest.mark.parametrize("path", [*PATHS, *STREAM_PATHS])
def test_a_body_that_does_not_decompress_is_malformed(path: str) -> None:
    junk = b"this is not gzip at all"
    kind = "application/json" if path in PATHS else "text/event-stream"

    def gzip_junk(connection: socket.socket) -> None:
        connection.sendall(_head(kind, length=len(junk), extra="Content-Encoding: gzip\r\n") + junk)

    with _serving(gzip_junk) as endpoint:
        error = _run(endpoint, path)
    if path in PATHS:
        assert isinstance(error, MalformedResponseError), repr(error)
    else:
        assert isinstance(error, StreamError) and error.code == "undecodable_stream", repr(error)
    assert "not decompress" in str(error)


def test_limits_are_checked_when_made() -> None:
    with pytest.raises(ValueError, match="max_answer_bytes must be a positive whole number"):
        AnswerLimits(max_bytes=0)
    with pytest.raises(ValueError, match="deadline must be a positive number"):
        AnswerLimits(deadline=-1)
    with pytest.raises(ValueError, match="greater than 0"):
        ChatAzureMultimodal(endpoint="http://127.0.0.1:9/models", credential="k", deadline=0)


def test_a_stream_error_is_still_a_stream_error() -> None:
    """The limits sit beside the stream's own errors: an error event is still a StreamError."""

    def error_event(connection: socket.socket) -> None:
        connection.sendall(_head("text/event-stream") + _chunk(b'data: {"error": {"code": "x", "message": "m"}}\n\n'))

    with _serving(error_event) as endpoint:
        error = _run(endpoint, "stream")
    assert isinstance(error, StreamError) and error.code == "x"


def test_the_watchdog_cuts_a_blocked_read_once_the_stream_stops_moving() -> None:
    """A socket pair: the budget's stream makes progress for a while (each progress moves the cut later, with no
    new alarm), then stops; the read blocked on it then ends, cut."""
    from langchain_azure_multimodal._azure import limits

    ours, theirs = socket.socketpair()
    with ours, theirs:
        budget = Budget(AnswerLimits(), timeouts=(1.0, 0.3))
        budget.answer_started(streaming=True)
        alarms = limits._WATCHDOG.pending()
        budget.watch(ours)
        for _ in range(1000):
            budget.progressed()
        assert limits._WATCHDOG.pending() <= alarms + 1  # one alarm per socket, not one per event
        assert ours.recv(1) == b"" and budget.cut  # the shutdown woke the read
        assert isinstance(budget.passed(), AnswerLimitError)
        budget.close()


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("max_bytes", [None, "just over the body"])
def test_a_body_cut_off_part_way_is_retried(path: str, max_bytes: str | None) -> None:
    """The body is read inside each try of the retry policy: a connection lost after half the body gets another
    try, as one lost before the headers does; the retry's answer is not charged for the first try's bytes."""
    tries: list[int] = []
    message = {"role": "assistant", "content": "whole"}
    body = json.dumps({"id": "c", "choices": [{"index": 0, "finish_reason": "stop", "message": message}]}).encode()

    def cut_once(connection: socket.socket) -> None:
        tries.append(1)
        head = _head("application/json", length=len(body))
        if len(tries) == 1:
            connection.sendall(head + body[: len(body) // 2])
            connection.shutdown(socket.SHUT_RDWR)
        else:
            connection.sendall(head + body)

    limits = AnswerLimits() if max_bytes is None else AnswerLimits(max_bytes=len(body) + 10)
    with _serving(cut_once) as endpoint:
        wire = ChatWire(resolve_endpoint(endpoint), SecretStr(API_KEY), max_retries=1, timeout=5.0, limits=limits)
        answer = wire.complete(BODY) if path == "complete" else asyncio.run(_acomplete_and_close(wire))
        wire.close()
    assert answer["choices"][0]["message"]["content"] == "whole" and len(tries) == 2


async def _acomplete_and_close(wire: ChatWire) -> dict[str, Any]:
    try:
        return await wire.acomplete(BODY)
    finally:
        await wire.aclose()


@pytest.mark.parametrize("path", PATHS)
def test_an_answer_over_a_limit_is_not_retried(path: str) -> None:
    tries: list[int] = []

    def endless(connection: socket.socket) -> None:
        tries.append(1)
        _endless_json(connection)

    with _serving(endless) as endpoint:
        wire = ChatWire(
            resolve_endpoint(endpoint), SecretStr(API_KEY), max_retries=2, limits=AnswerLimits(max_bytes=100_000)
        )
        with pytest.raises(AnswerLimitError):
            wire.complete(BODY) if path == "complete" else asyncio.run(_acomplete_and_close(wire))
        wire.close()
    assert len(tries) == 1


def test_a_callers_own_retry_policy_still_reads_the_body() -> None:
    """azure-core's RetryPolicy does not take the body's option out: the wire then reads the body itself."""
    from azure.core.pipeline.policies import RetryPolicy

    from langchain_azure_multimodal.emulator import Emulator

    with Emulator(api_key=API_KEY) as emu:
        endpoint = resolve_endpoint(emu.endpoint_for("foundry"))
        wire = ChatWire(endpoint, SecretStr(API_KEY), client_kwargs={"retry_policy": RetryPolicy(retry_total=0)})
        answer = wire.complete(BODY)
        wire.close()
    assert answer["choices"][0]["message"]["content"]


def test_cancelled_alarms_do_not_pile_up() -> None:
    """Each call arms an alarm and cancels it when its answer is in; the heap is rebuilt without them once they are
    most of it, so a long run of calls keeps it bounded."""
    from langchain_azure_multimodal._azure import limits

    ours, theirs = socket.socketpair()
    with ours, theirs:
        for _ in range(3 * limits._Watchdog.COMPACT_AFTER):
            budget = Budget(AnswerLimits(), timeouts=(10.0, 600.0))
            budget.watch(ours)
            budget.answer_started(streaming=False)
            budget.close()
    assert limits._WATCHDOG.pending() <= 2 * limits._Watchdog.COMPACT_AFTER + 2


@pytest.mark.parametrize("how", ["stream", "astream", "invoke"])
def test_a_stalled_stream_reaches_the_chat_models_caller_typed(how: str) -> None:
    """Through LangChain's stream/astream (callbacks, tracing) the limit's error arrives as it is."""
    with _serving(_keep_alive_only) as endpoint:
        model = ChatAzureMultimodal(
            endpoint=endpoint, credential=API_KEY, model="phi-4", max_retries=0, timeout=0.5, streaming=True
        )

        async def consume() -> None:
            async for _ in model.astream("Hi"):
                pass

        def run() -> None:
            if how == "stream":
                for _ in model.stream("Hi"):
                    pass
            elif how == "astream":
                asyncio.run(consume())
            else:
                model.invoke("Hi")

        with pytest.raises(AnswerLimitError) as caught:
            run()
    assert caught.value.limit == "stream_stall"


def test_a_forked_child_gets_its_own_watchdog() -> None:
    """The parent's watchdog thread does not exist in a forked child: the child's blocked read is still cut."""
    import multiprocessing

    from langchain_azure_multimodal._azure import limits

    parent = Budget(AnswerLimits(), timeouts=(1.0, 0.2))
    ours, theirs = socket.socketpair()
    with ours, theirs:
        parent.answer_started(streaming=True)
        parent.watch(ours)  # the parent's thread runs now
        parent.close()
        assert limits._WATCHDOG._thread is not None

        def child() -> None:
            a, _b = socket.socketpair()
            budget = Budget(AnswerLimits(), timeouts=(1.0, 0.2))
            budget.answer_started(streaming=True)
            budget.watch(a)
            raise SystemExit(0 if a.recv(1) == b"" and budget.cut else 1)

        process = multiprocessing.get_context("fork").Process(target=child)
        process.start()
        process.join(GUARD)
        alive = process.is_alive()
        if alive:
            process.kill()
        assert not alive and process.exitcode == 0


def _huge_error(connection: socket.socket) -> None:
    head = "HTTP/1.1 500 Internal Server Error\r\nContent-Type: application/json\r\nContent-Length: 100000000000\r\n"
    connection.sendall(f"{head}\r\n".encode() + b'{"error": {"code": "x", "message": "')
    while True:
        connection.sendall(b"x" * 65536)


@pytest.mark.parametrize("path", [*PATHS, *STREAM_PATHS])
def test_an_error_answer_announcing_more_than_the_limit_is_not_read(path: str) -> None:
    with _serving(_huge_error) as endpoint:
        error = _run(endpoint, path, max_bytes=1_000_000)
    assert isinstance(error, AnswerLimitError) and error.limit == "max_answer_bytes", repr(error)
    assert "The error answer (status 500) announces 100,000,000,000 bytes" in str(error)
