"""Network failures through the real SDK clients and transports (requests, aiohttp), on loopback only: a closed port
(refused), a host name that does not resolve, a listener whose backlog is full (SYNs dropped: a connect timeout), a
slow answer (read timeout) and a reset. Each raises the typed error that subclasses the azure-core one it replaces,
names the endpoint but not its query string, and keeps azure-core's error as ``__cause__``."""

from __future__ import annotations

import contextlib
import json
import pickle
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import (
    AzureError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from pydantic import SecretStr

from langchain_azure_multimodal import errors
from langchain_azure_multimodal._azure.retry import retry_policy
from langchain_azure_multimodal._azure.wire import ChatWire
from langchain_azure_multimodal.emulator import Emulator, Fault
from langchain_azure_multimodal.endpoints import resolve_endpoint
from langchain_azure_multimodal.errors import (
    EndpointConnectionLostError,
    EndpointConnectTimeoutError,
    EndpointNetworkError,
    EndpointReadTimeoutError,
    EndpointTimeoutError,
    EndpointUnreachableError,
    StreamError,
)
from tests.conftest import API_KEY

PATHS = ["complete", "stream", "acomplete", "astream"]
BODY = {"model": "phi-4-multimodal-instruct", "messages": [{"role": "user", "content": "Hi"}]}
UNRESOLVABLE = "no-such-resource.invalid"


async def _failure(endpoint: str, path: str, *, timeout: float = 10.0, max_retries: int = 0) -> AzureError:
    """What one call on ``path`` raises; ``endpoint`` is a URL (the foundry route, so a query string is sent)."""
    is_async = path.startswith("a")
    fast = retry_policy(max_retries, backoff_factor=0.01, is_async=is_async)
    wire = ChatWire(
        resolve_endpoint(endpoint),
        SecretStr(API_KEY),
        max_retries=max_retries,
        timeout=timeout,
        client_kwargs={"retry_policy": fast},
    )
    try:
        if path == "complete":
            wire.complete(BODY)
        elif path == "stream":
            with wire.stream(BODY) as events:
                list(events)
        elif path == "acomplete":
            await wire.acomplete(BODY)
        else:
            async with wire.astream(BODY) as events:
                _ = [event async for event in events]
    except AzureError as error:
        return error
    finally:
        if is_async:
            await wire.aclose()
        wire.close()
    raise AssertionError(f"{path} raised nothing")


def _assert_explained(error: AzureError, replaced: type[AzureError], endpoint: str) -> None:
    """Typed, a subclass of what it replaces, naming the endpoint without the query, and chained to the original."""
    assert isinstance(error, EndpointNetworkError) and isinstance(error, replaced)
    message = str(error)
    assert message.startswith(f"POST {endpoint}/chat/completions: ") and "Fix: " in message
    assert "api-version" not in message and API_KEY not in message
    assert error.endpoint == f"{endpoint}/chat/completions"
    cause = error.__cause__
    # azure-core 1.36 raises a timeout as the plain request/response error (later releases as its timeout subclass).
    raised_as = {ServiceRequestTimeoutError: ServiceRequestError, ServiceResponseTimeoutError: ServiceResponseError}
    assert isinstance(cause, raised_as.get(replaced, replaced)) and not isinstance(cause, EndpointNetworkError)
    assert error.inner_exception is cause


@pytest.fixture
def closed_port() -> int:
    """A loopback port nothing listens on: bound, then closed, so connecting is refused."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def silent_port() -> Iterator[int]:
    """A loopback port whose listener never accepts and whose backlog is full, so new SYNs are dropped and a connect
    can only time out (as behind a firewall that drops them). The fixture checks that this holds here."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = int(listener.getsockname()[1])
    queued: list[socket.socket] = []
    try:
        for _ in range(16):
            probe = socket.socket()
            probe.settimeout(0.2)
            try:
                probe.connect(("127.0.0.1", port))
            except TimeoutError:
                probe.close()
                break
            queued.append(probe)
        else:
            pytest.skip("this system does not drop SYNs to a full backlog, so no connect can time out on loopback")
        yield port
    finally:
        for sock in queued:
            sock.close()
        listener.close()


@pytest.fixture
def unresolvable(monkeypatch: pytest.MonkeyPatch) -> str:
    """A host name (``.invalid`` never resolves, RFC 6761) whose lookup fails at once, with no DNS query sent: both
    transports resolve through ``socket.getaddrinfo`` (aiohttp's default resolver in a thread)."""
    real = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host == UNRESOLVABLE:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return UNRESOLVABLE


# ---------------------------------------------------------------------------------------------- no connection


@pytest.mark.parametrize("path", PATHS)
async def test_a_refused_connection_is_endpoint_unreachable(closed_port: int, path: str) -> None:
    endpoint = f"http://127.0.0.1:{closed_port}"
    error = await _failure(f"{endpoint}/models", path)
    _assert_explained(error, ServiceRequestError, f"{endpoint}/models")
    assert isinstance(error, EndpointUnreachableError) and not isinstance(error, EndpointTimeoutError)
    assert error.failure == "refused" and "the connection was refused" in str(error)
    assert "Connection refused" in str(error) or "Connect call failed" in str(error)  # the OS's reason


@pytest.mark.parametrize("path", PATHS)
async def test_a_host_name_that_does_not_resolve_is_a_dns_failure(unresolvable: str, path: str) -> None:
    endpoint = f"http://{unresolvable}"
    error = await _failure(f"{endpoint}/models", path)
    _assert_explained(error, ServiceRequestError, f"{endpoint}/models")
    assert isinstance(error, EndpointUnreachableError) and error.failure == "dns"
    assert f"the host name '{unresolvable}' did not resolve (DNS: " in str(error)


@pytest.mark.parametrize("path", PATHS)
async def test_a_connect_that_gets_no_answer_times_out(silent_port: int, path: str) -> None:
    endpoint = f"http://127.0.0.1:{silent_port}"
    error = await _failure(f"{endpoint}/models", path, timeout=0.5)
    _assert_explained(error, ServiceRequestTimeoutError, f"{endpoint}/models")
    assert isinstance(error, EndpointConnectTimeoutError) and isinstance(error, EndpointTimeoutError)
    assert isinstance(error, EndpointUnreachableError) and error.failure == "connect_timeout"
    assert "no connection within the 0.5 s connect timeout" in str(error)


async def test_each_try_is_retried_and_the_last_one_is_explained(closed_port: int) -> None:
    endpoint = f"http://127.0.0.1:{closed_port}"
    error = await _failure(endpoint, "acomplete", max_retries=2)
    assert isinstance(error, EndpointUnreachableError) and error.failure == "refused"
    assert not isinstance(error.__cause__, EndpointNetworkError)  # explained once, outside the retries


# ---------------------------------------------------------------------------------------------- connected, then


@pytest.mark.parametrize("path", PATHS)
async def test_an_answer_slower_than_the_read_timeout_is_a_read_timeout(emulator: Emulator, path: str) -> None:
    emulator.inject(Fault.slow(1.0))  # short: the emulator still finishes the answer before the test ends
    error = await _failure(emulator.endpoint_for("foundry"), path, timeout=0.3)
    _assert_explained(error, ServiceResponseTimeoutError, emulator.endpoint_for("foundry"))
    assert isinstance(error, EndpointReadTimeoutError) and isinstance(error, EndpointTimeoutError)
    assert error.failure == "read_timeout" and "nothing arrived for the 0.3 s read timeout" in str(error)


@pytest.mark.parametrize("path", PATHS)
async def test_a_reset_before_the_answer_is_a_lost_connection(emulator: Emulator, path: str) -> None:
    emulator.inject(Fault.connection_reset())
    error = await _failure(emulator.endpoint_for("foundry"), path)
    assert isinstance(error, EndpointNetworkError) and error.failure == "connection_lost"
    # The requests transport reports it as a response error, aiohttp as a request error: each is kept.
    replaced = ServiceRequestError if path.startswith("a") else ServiceResponseError
    _assert_explained(error, replaced, emulator.endpoint_for("foundry"))
    if not path.startswith("a"):
        assert isinstance(error, EndpointConnectionLostError)
    assert "the connection broke before the answer was complete" in str(error)


@contextlib.contextmanager
def _stalling(answer_start: bytes) -> Iterator[str]:
    """An endpoint that sends ``answer_start`` (the head and part of the body) and then nothing, with the connection
    left open: what a stalled model looks like from the client (the emulator's faults all answer or cut; none goes
    silent part-way)."""
    listener = socket.create_server(("127.0.0.1", 0))
    done = threading.Event()

    def serve() -> None:
        with contextlib.suppress(OSError):
            connection, _ = listener.accept()
            with connection:
                received = b""
                while b"\r\n\r\n" not in received:
                    received += connection.recv(65536)
                connection.sendall(answer_start)
                done.wait(30)

    server = threading.Thread(target=serve, daemon=True)
    server.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    done.set()
    listener.close()
    server.join(30)


@pytest.fixture
def stalling_stream() -> Iterator[str]:
    """An endpoint whose streams send one event and then nothing."""
    event = json.dumps({"id": "c", "choices": [{"index": 0, "delta": {"content": "Hi"}, "finish_reason": None}]})
    head = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
    data = f"data: {event}\n\n".encode()
    with _stalling(head + f"{len(data):x}\r\n".encode() + data + b"\r\n") as endpoint:
        yield endpoint


@pytest.fixture
def stalling_body() -> Iterator[str]:
    """An endpoint whose answers send their headers and the start of the JSON body, then nothing."""
    start = b'{"id": "c", "choices": ['
    head = f"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {len(start) + 100}\r\n\r\n"
    with _stalling(head.encode() + start) as endpoint:
        yield endpoint


@pytest.mark.parametrize("path", ["complete", "acomplete"])
async def test_a_body_that_stalls_after_the_headers_is_a_read_timeout(stalling_body: str, path: str) -> None:
    error = await _failure(f"{stalling_body}/models", path, timeout=0.5)
    assert isinstance(error, EndpointReadTimeoutError) and error.failure == "read_timeout"
    assert "nothing arrived for the 0.5 s read timeout" in str(error)
    # The body is read after the pipeline returned (so that its size and time are bounded), as a stream's is.
    _assert_explained(error, ServiceResponseError, f"{stalling_body}/models")


@pytest.mark.parametrize("path", ["stream", "astream"])
async def test_a_stream_that_stalls_part_way_says_read_timeout_and_where(stalling_stream: str, path: str) -> None:
    error = await _failure(f"{stalling_stream}/models", path, timeout=0.5)
    assert isinstance(error, StreamError) and error.code == "stream_interrupted"
    assert str(error).startswith("The stream broke off after 1 events: ")
    cause = error.__cause__
    # azure-core 1.41 wraps it as ServiceResponseTimeoutError; 1.36 as the plain ServiceResponseError, or not at all.
    assert isinstance(cause, EndpointReadTimeoutError) and isinstance(cause.__cause__, ServiceResponseError)
    assert f"POST {stalling_stream}/models/chat/completions: " in str(error) and "api-version" not in str(error)
    assert "0.5 s read timeout" in str(error)


# ---------------------------------------------------------------------------------------------- the classes


def test_the_network_errors_come_from_errors_and_survive_pickling() -> None:
    assert errors.EndpointUnreachableError is EndpointUnreachableError
    error = EndpointReadTimeoutError("https://r/chat/completions", "slow", "wait", failure="read_timeout")
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is EndpointReadTimeoutError and str(copy) == str(error) and copy.failure == "read_timeout"
    assert issubclass(EndpointConnectTimeoutError, ServiceRequestTimeoutError)
    assert issubclass(EndpointConnectionLostError, ServiceResponseError)
