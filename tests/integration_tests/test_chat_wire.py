"""The seam's contract, against the emulator: ``ChatWire`` per endpoint kind (path, query, body as given), retries,
timeouts, error answers (with and without a body), the User-Agent and tolerant streaming, sync and async, through the
real SDK clients and azure-core pipelines. The network failures are in ``test_network_errors.py``."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from azure.core.exceptions import (
    ClientAuthenticationError,
    HttpResponseError,
    ResourceNotFoundError,
    ServiceResponseError,
)
from pydantic import SecretStr

from langchain_azure_multimodal import __version__
from langchain_azure_multimodal._azure.retry import retry_policy
from langchain_azure_multimodal._azure.wire import ChatWire
from langchain_azure_multimodal.emulator import Emulator, Fault
from langchain_azure_multimodal.endpoints import EndpointSettings, resolve_endpoint
from langchain_azure_multimodal.errors import StreamError
from tests.conftest import API_KEY
from tests.support.http import call, streamed_text
from tests.support.media import b64, wav_bytes

ROUTES = {
    "foundry": ("/models/chat/completions", {"api-version": "2024-05-01-preview"}),
    "azure-openai": ("/openai/deployments/{model}/chat/completions", {"api-version": "2025-01-01-preview"}),
    "openai-v1": ("/openai/v1/chat/completions", {}),
    "root": ("/chat/completions", {"api-version": "2024-05-01-preview"}),
}
# Retries in these tests wait about 10 ms, not the default half second and more.
FAST = 0.01


def _settings(emulator: Emulator, route: str = "root") -> EndpointSettings:
    return resolve_endpoint(emulator.endpoint if route == "root" else emulator.endpoint_for(route))


def _wire(
    emulator: Emulator,
    route: str = "root",
    *,
    key: str = API_KEY,
    max_retries: int = 3,
    timeout: float = 10.0,
    is_async: bool = False,
    settings: EndpointSettings | None = None,
) -> ChatWire:
    # One wire per test, sync or async, because the fast retry policy given here is one or the other.
    fast = retry_policy(max_retries, backoff_factor=FAST, is_async=is_async)
    return ChatWire(
        settings or _settings(emulator, route),
        SecretStr(key),
        max_retries=max_retries,
        timeout=timeout,
        client_kwargs={"retry_policy": fast},
    )


def _body(emulator: Emulator, text: str = "Tell me about retries", **extra: Any) -> dict[str, Any]:
    return {"model": emulator.model, "messages": [{"role": "user", "content": text}], **extra}


@pytest.fixture
def wire(emulator: Emulator) -> Iterator[ChatWire]:
    chat_wire = _wire(emulator)
    yield chat_wire
    chat_wire.close()


def _content(answer: dict[str, Any]) -> str:
    return str(answer["choices"][0]["message"]["content"])


def _stream(emulator: Emulator, route: str = "root", headers: dict[str, str] | None = None, **body: Any) -> list[Any]:
    return _streamed(_wire(emulator, route), _body(emulator, **body), headers)


def _streamed(wire: ChatWire, body: dict[str, Any], headers: dict[str, str] | None = None) -> list[Any]:
    with wire.stream(body, headers) as events:
        return list(events)


async def _astream(
    emulator: Emulator, route: str = "root", headers: dict[str, str] | None = None, **body: Any
) -> list[Any]:
    wire = _wire(emulator, route, is_async=True)
    try:
        async with wire.astream(_body(emulator, **body), headers) as events:
            return [event async for event in events]
    finally:
        await wire.aclose()


# ---------------------------------------------------------------------------------------------- the wire per kind


@pytest.mark.parametrize("route", ROUTES)
def test_each_kind_sends_its_path_exact_query_and_the_body_as_given(emulator: Emulator, route: str) -> None:
    # A key the route's protocol does not define: Azure OpenAI refuses any (400), so there it is one of OpenAI's.
    extra = {"user": "u-1"} if route in ("azure-openai", "openai-v1") else {"top_k": 3}
    body = _body(emulator, "Tell me about \u00e9t\u00e9", temperature=0, **extra)
    reply = _wire(emulator, route).complete(body, {"extra-parameters": "pass-through"})
    path, query = ROUTES[route]
    sent = emulator.requests[-1]
    assert _content(reply).startswith("[emulator:")
    assert (sent.path, dict(sent.query)) == (path.format(model=emulator.model), query)
    assert sent.body == body and sent.header("extra-parameters") == "pass-through"


@pytest.mark.parametrize("route", ROUTES)
async def test_each_kind_sends_its_path_and_exact_query_async(emulator: Emulator, route: str) -> None:
    wire = _wire(emulator, route, is_async=True)
    await wire.acomplete(_body(emulator))
    await wire.aclose()
    path, query = ROUTES[route]
    assert (emulator.requests[-1].path, dict(emulator.requests[-1].query)) == (path.format(model=emulator.model), query)


@pytest.mark.parametrize("route", ROUTES)
def test_streaming_sends_the_same_path_and_query(emulator: Emulator, route: str) -> None:
    assert streamed_text(_stream(emulator, route)).startswith("[emulator:")
    path, query = ROUTES[route]
    sent = emulator.requests[-1]
    assert (sent.path, dict(sent.query), sent.body["stream"]) == (path.format(model=emulator.model), query, True)


@pytest.mark.parametrize(("api_version", "status"), [(None, 200), ("2024-10-21", 400)])
def test_audio_on_azure_openai_works_with_the_default_api_version(
    emulator: Emulator, api_version: str | None, status: int
) -> None:
    settings = resolve_endpoint(emulator.endpoint_for("azure-openai"), api_version=api_version)
    assert settings.supports_audio_input() is (status == 200)
    audio = {"type": "input_audio", "input_audio": {"data": b64(wav_bytes(0.5)), "format": "wav"}}
    body = {"messages": [{"role": "user", "content": [{"type": "text", "text": "Transcribe."}, audio]}]}
    wire = _wire(emulator, settings=settings)
    if status == 200:
        assert "audio" in _content(wire.complete(body))
    else:
        with pytest.raises(HttpResponseError, match="Audio input needs api-version 2025-01-01-preview"):
            wire.complete(body)
    assert emulator.requests[-1].query.get("api-version") == settings.api_version  # from the settings


# ---------------------------------------------------------------------------------------------- retries

TRANSIENT = [
    pytest.param(Fault.throttle(), id="429"),
    pytest.param(Fault.throttle(retry_after_ms=20), id="429-retry-after-ms"),
    pytest.param(Fault.throttle(retry_after=0.02), id="429-retry-after"),
    pytest.param(Fault.http_status(502), id="502"),
    pytest.param(Fault.http_status(503), id="503"),
    pytest.param(Fault.http_status(408), id="408"),
    pytest.param(Fault.connection_reset(), id="reset"),
]


@pytest.mark.parametrize("fault", TRANSIENT)
def test_transient_failures_are_retried(emulator: Emulator, wire: ChatWire, fault: Fault) -> None:
    emulator.inject(fault)
    assert wire.complete(_body(emulator))["choices"]
    assert len(emulator.requests) == 2


@pytest.mark.parametrize("fault", TRANSIENT)
async def test_transient_failures_are_retried_async(emulator: Emulator, fault: Fault) -> None:
    emulator.inject(fault)
    wire = _wire(emulator, is_async=True)
    assert (await wire.acomplete(_body(emulator)))["choices"]
    await wire.aclose()
    assert len(emulator.requests) == 2


@pytest.mark.parametrize("fault", [Fault.throttle(), Fault.http_status(502), Fault.connection_reset()])
def test_streams_are_retried_too(emulator: Emulator, fault: Fault) -> None:
    emulator.inject(fault)
    assert streamed_text(_stream(emulator)).startswith("[emulator:")
    assert len(emulator.requests) == 2


@pytest.mark.parametrize("fault", [Fault.throttle(), Fault.http_status(502), Fault.connection_reset()])
async def test_streams_are_retried_too_async(emulator: Emulator, fault: Fault) -> None:
    emulator.inject(fault)
    assert streamed_text(await _astream(emulator)).startswith("[emulator:")
    assert len(emulator.requests) == 2


def test_retry_after_ms_is_waited_for(emulator: Emulator, wire: ChatWire) -> None:
    emulator.inject(Fault.throttle(retry_after_ms=300))
    started = time.monotonic()
    wire.complete(_body(emulator))
    assert time.monotonic() - started >= 0.29


@pytest.mark.parametrize(
    ("fault", "error"),
    [
        (Fault.throttle(), HttpResponseError),
        (Fault.http_status(503), HttpResponseError),
        (Fault.connection_reset(), ServiceResponseError),
    ],
)
def test_no_retries_with_max_retries_0(emulator: Emulator, fault: Fault, error: type[Exception]) -> None:
    emulator.inject(fault)
    with pytest.raises(error):
        _wire(emulator, max_retries=0).complete(_body(emulator))
    assert len(emulator.requests) == 1


async def test_no_retries_with_max_retries_0_async(emulator: Emulator) -> None:
    emulator.inject(Fault.throttle())
    wire = _wire(emulator, max_retries=0, is_async=True)
    with pytest.raises(HttpResponseError) as caught:
        await wire.acomplete(_body(emulator))
    await wire.aclose()
    assert caught.value.status_code == 429 and len(emulator.requests) == 1


@pytest.mark.parametrize("fault", [Fault.http_status(502), Fault.connection_reset()])
def test_retries_stop_at_max_retries(emulator: Emulator, fault: Fault) -> None:
    emulator.inject(fault, times=3)
    with pytest.raises((HttpResponseError, ServiceResponseError)):
        _wire(emulator, max_retries=2).complete(_body(emulator))
    assert len(emulator.requests) == 3


async def test_retries_stop_at_max_retries_async(emulator: Emulator) -> None:
    emulator.inject(Fault.http_status(502), times=3)
    wire = _wire(emulator, max_retries=2, is_async=True)
    with pytest.raises(HttpResponseError) as caught:
        await wire.acomplete(_body(emulator))
    await wire.aclose()
    assert caught.value.status_code == 502 and len(emulator.requests) == 3


def test_errors_that_retrying_cannot_fix_are_not_retried(emulator: Emulator, wire: ChatWire) -> None:
    emulator.inject(Fault.http_status(400, retry_after=1))
    with pytest.raises(HttpResponseError):
        wire.complete(_body(emulator))
    assert len(emulator.requests) == 1


# ---------------------------------------------------------------------------------------------- error answers

# Each status with the error type azure-core's map gives it; 400 and 404 are not retried, 502 is (max_retries=0 here).
ERROR_ANSWERS = [
    pytest.param(400, HttpResponseError, id="400"),
    pytest.param(404, ResourceNotFoundError, id="404"),
    pytest.param(502, HttpResponseError, id="502"),
]
REASONS = {400: "Bad Request", 404: "Not Found", 502: "Bad Gateway"}
PATHS = ["complete", "stream", "acomplete", "astream"]


async def _call(wire: ChatWire, path: str, body: dict[str, Any]) -> None:
    """One call on ``path``: ``complete``, ``stream``, ``acomplete`` or ``astream`` (read to the end)."""
    if path == "complete":
        wire.complete(body)
    elif path == "stream":
        _streamed(wire, body)
    elif path == "acomplete":
        await wire.acomplete(body)
    else:
        async with wire.astream(body) as events:
            _ = [event async for event in events]


async def _error_of(emulator: Emulator, path: str) -> HttpResponseError:
    """The error one call on ``path`` raises, with no retries; the wire is closed afterwards."""
    wire = _wire(emulator, max_retries=0, is_async=path.startswith("a"))
    try:
        await _call(wire, path, _body(emulator))
    except HttpResponseError as error:
        return error
    finally:
        if path.startswith("a"):
            await wire.aclose()
        wire.close()
    raise AssertionError(f"{path} raised nothing")


def test_the_empty_error_fault_answers_the_status_and_nothing_else(emulator: Emulator) -> None:
    emulator.inject(Fault.empty_error(429, retry_after=2))
    reply = call(emulator, body=_body(emulator))
    headers = {name.lower(): value for name, value in reply.headers.items()}
    assert (reply.status, reply.text, headers["content-length"], headers["retry-after"]) == (429, "", "0", "2")
    assert "x-ms-error-code" not in headers  # a gateway adds nothing Azure would


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("status", "error_type"), ERROR_ANSWERS)
async def test_an_error_answer_with_an_empty_body_keeps_its_status(
    emulator: Emulator, path: str, status: int, error_type: type[HttpResponseError]
) -> None:
    emulator.inject(Fault.empty_error(status))
    error = await _error_of(emulator, path)
    assert type(error) is error_type and error.status_code == status
    assert REASONS[status] in str(error) and len(emulator.requests) == 1


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(("status", "error_type"), ERROR_ANSWERS)
async def test_an_error_answer_with_a_body_keeps_its_status_and_the_service_message(
    emulator: Emulator, path: str, status: int, error_type: type[HttpResponseError]
) -> None:
    emulator.inject(Fault.http_status(status))
    error = await _error_of(emulator, path)
    assert type(error) is error_type and error.status_code == status
    assert error.message is not None and f"Injected fault: HTTP {status}." in error.message


@pytest.mark.parametrize("is_async", [False, True])
async def test_an_empty_throttle_is_retried_after_its_retry_after(emulator: Emulator, is_async: bool) -> None:
    emulator.inject(Fault.empty_error(429, retry_after=0.01))
    wire = _wire(emulator, is_async=is_async)
    answer = await wire.acomplete(_body(emulator)) if is_async else wire.complete(_body(emulator))
    await wire.aclose()
    assert answer["choices"] and len(emulator.requests) == 2


# ---------------------------------------------------------------------------------------------- the User-Agent

OURS = f"langchain-azure-multimodal/{__version__}"


@pytest.mark.parametrize("path", PATHS)
async def test_every_request_names_this_package_and_the_sdk_in_its_user_agent(emulator: Emulator, path: str) -> None:
    wire = ChatWire(_settings(emulator), SecretStr(API_KEY), max_retries=0)
    await _call(wire, path, _body(emulator))
    await wire.aclose()
    agent = emulator.requests[-1].header("user-agent") or ""
    assert agent.startswith(OURS + " ") and "azsdk-python-ai-inference/" in agent


@pytest.mark.parametrize("is_async", [False, True])
async def test_a_user_agent_of_your_own_is_kept_before_ours(emulator: Emulator, is_async: bool) -> None:
    wire = ChatWire(_settings(emulator), SecretStr(API_KEY), client_kwargs={"user_agent": "my-app/2.1"})
    _ = await wire.acomplete(_body(emulator)) if is_async else wire.complete(_body(emulator))
    await wire.aclose()
    agent = emulator.requests[-1].header("user-agent") or ""
    assert agent.startswith(f"my-app/2.1 {OURS} azsdk-python-ai-inference/")


# ---------------------------------------------------------------------------------------------- timeouts


def test_timeout(emulator: Emulator) -> None:
    emulator.inject(Fault.slow(1.2))
    with pytest.raises(ServiceResponseError):
        _wire(emulator, max_retries=0, timeout=0.5).complete(_body(emulator))


async def test_timeout_async(emulator: Emulator) -> None:
    emulator.inject(Fault.slow(1.2))
    wire = _wire(emulator, max_retries=0, timeout=0.5, is_async=True)
    with pytest.raises(ServiceResponseError):
        await wire.acomplete(_body(emulator))
    await wire.aclose()


def test_a_timed_out_try_is_retried(emulator: Emulator) -> None:
    emulator.inject(Fault.slow(1.0))
    assert _wire(emulator, max_retries=1, timeout=0.3).complete(_body(emulator))["choices"]
    assert len(emulator.requests) == 2


# ---------------------------------------------------------------------------------------------- tolerant streams


@pytest.fixture
def plain_text(emulator: Emulator) -> str:
    """What the stream says with no fault, to compare the faulty ones against."""
    text = streamed_text(_stream(emulator))
    emulator.reset()
    return text


def test_keep_alive_comments_and_event_lines(emulator: Emulator, plain_text: str) -> None:
    emulator.inject(Fault.keep_alive(with_event_lines=True))
    events = _stream(emulator)
    assert streamed_text(events) == plain_text
    assert events[-1]["choices"][0]["finish_reason"] == "stop"


async def test_keep_alive_comments_and_event_lines_async(emulator: Emulator, plain_text: str) -> None:
    emulator.inject(Fault.keep_alive(with_event_lines=True))
    assert streamed_text(await _astream(emulator)) == plain_text


def test_error_inside_the_stream(emulator: Emulator) -> None:
    emulator.inject(Fault.error_in_stream(code="server_error", message="The model failed mid-stream.", after_events=2))
    received: list[Any] = []
    with _wire(emulator).stream(_body(emulator)) as events, pytest.raises(StreamError) as caught:
        received.extend(events)
    assert (caught.value.code, caught.value.message) == ("server_error", "The model failed mid-stream.")
    assert (
        str(caught.value) == "The service sent an error inside the stream: server_error: The model failed mid-stream."
    )
    assert len(received) == 2  # what came before the error is delivered first


async def test_error_inside_the_stream_async(emulator: Emulator) -> None:
    emulator.inject(Fault.error_in_stream(code="content_filter", message="Filtered."))
    with pytest.raises(StreamError) as caught:
        await _astream(emulator)
    assert (caught.value.code, caught.value.message) == ("content_filter", "Filtered.")


def test_malformed_event(emulator: Emulator) -> None:
    emulator.inject(Fault.malformed())
    with pytest.raises(StreamError) as caught:
        _stream(emulator)
    assert caught.value.code == "malformed_event" and caught.value.message.startswith('{"id": "chatcmpl-')


def test_connection_reset_mid_stream(emulator: Emulator) -> None:
    emulator.inject(Fault.connection_reset(after_events=3))
    with pytest.raises(StreamError) as caught:
        _stream(emulator)
    assert caught.value.code == "stream_interrupted"
    assert str(caught.value).startswith("The stream broke off after 3 events")
    assert len(emulator.requests) == 1  # a 200 was already streaming: no retry


async def test_connection_reset_mid_stream_async(emulator: Emulator) -> None:
    emulator.inject(Fault.connection_reset(after_events=3))
    with pytest.raises(StreamError, match="The stream broke off after 3 events"):
        await _astream(emulator)


def test_usage_on_the_v1_route_with_native_stream_options(emulator: Emulator) -> None:
    assert _settings(emulator, "openai-v1").native_stream_options
    events = _stream(emulator, "openai-v1", stream_options={"include_usage": True})
    assert events[-1]["usage"]["total_tokens"] > 0 and not events[-1]["choices"]
    assert "extra-parameters" not in {k.lower() for k in emulator.requests[-1].headers}


def test_usage_on_the_foundry_route_by_pass_through(emulator: Emulator) -> None:
    assert not _settings(emulator, "foundry").native_stream_options
    events = _stream(emulator, "foundry", {"extra-parameters": "pass-through"}, stream_options={"include_usage": True})
    assert events[-1]["usage"]["total_tokens"] > 0
    assert emulator.requests[-1].header("extra-parameters") == "pass-through"


async def test_usage_async(emulator: Emulator) -> None:
    native = await _astream(emulator, "openai-v1", stream_options={"include_usage": True})
    passed = await _astream(
        emulator, "foundry", {"extra-parameters": "pass-through"}, stream_options={"include_usage": True}
    )
    assert native[-1]["usage"]["total_tokens"] > 0 and passed[-1]["usage"]["total_tokens"] > 0


def test_wrong_key_is_an_authentication_error_with_the_service_message(emulator: Emulator) -> None:
    with pytest.raises(ClientAuthenticationError) as caught:
        _streamed(_wire(emulator, key="wrong"), _body(emulator))
    assert "Access denied due to invalid subscription key" in str(caught.value)
    assert caught.value.status_code == 401 and len(emulator.requests) == 1


async def test_wrong_key_is_an_authentication_error_async(emulator: Emulator) -> None:
    wire = _wire(emulator, key="wrong", is_async=True)
    with pytest.raises(ClientAuthenticationError, match="Access denied due to invalid subscription key"):
        async with wire.astream(_body(emulator)):
            pass
    await wire.aclose()


def test_unknown_deployment_is_resource_not_found(emulator: Emulator) -> None:
    settings = resolve_endpoint(emulator.endpoint_for("azure-openai", deployment="nope"))
    with pytest.raises(ResourceNotFoundError, match="DeploymentNotFound") as caught:
        _streamed(_wire(emulator, settings=settings), _body(emulator))
    assert caught.value.status_code == 404


def test_a_stream_left_early_frees_its_connection_for_the_next_call(emulator: Emulator, wire: ChatWire) -> None:
    for _ in range(3):
        with wire.stream(_body(emulator)) as events:
            next(events)  # the rest is never read
    assert wire.complete(_body(emulator))["choices"] and len(emulator.requests) == 4
