"""The retry policy and the client settings with no network: which failures are retried and how long each wait is
(Retry-After with jitter), the loop run against a scripted pipeline, the typed network errors, the v1 api-version
strip, and the client keyword arguments (default timeouts, User-Agent)."""

from __future__ import annotations

import email.utils
import pickle
import socket
import time
from collections.abc import Sequence
from typing import Any, cast

import aiohttp
import pytest
import requests
import urllib3.exceptions
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)
from azure.core.pipeline import PipelineContext, PipelineRequest, PipelineResponse
from azure.core.rest import HttpRequest
from pydantic import SecretStr

from langchain_azure_multimodal import __version__
from langchain_azure_multimodal._azure import clients
from langchain_azure_multimodal._azure.pipeline import (
    DEFAULT_CONNECT_TIMEOUT,
    DEFAULT_READ_TIMEOUT,
    USER_AGENT,
    AsyncNetworkErrorPolicy,
    NetworkErrorPolicy,
    StripApiVersionPolicy,
    client_kwargs,
)
from langchain_azure_multimodal._azure.retry import (
    MAX_RETRY_AFTER,
    MAX_RETRY_AFTER_JITTER,
    RETRY_AFTER_JITTER,
    RETRY_STATUSES,
    AsyncAzureRetryPolicy,
    AzureRetryPolicy,
    retry_policy,
)
from langchain_azure_multimodal._azure.service_errors import explain_network_error
from langchain_azure_multimodal._azure.wire import ChatWire
from langchain_azure_multimodal.endpoints import AZURE_AI_SCOPE, resolve_endpoint
from langchain_azure_multimodal.errors import (
    EndpointConnectionLostError,
    EndpointConnectTimeoutError,
    EndpointNetworkError,
    EndpointReadTimeoutError,
    EndpointTimeoutError,
    EndpointUnreachableError,
)

# ---------------------------------------------------------------------------------------------- decisions


@pytest.mark.parametrize("is_async", [False, True])
def test_backoff_is_exponential_with_25_percent_jitter_and_capped(is_async: bool) -> None:
    policy = retry_policy(10, backoff_factor=0.5, backoff_max=30.0, is_async=is_async)
    for retry in range(1, 11):
        nominal = min(30.0, 0.5 * 2 ** (retry - 1))
        delays = [policy.backoff_time(retry) for _ in range(200)]
        assert all(0.75 * nominal <= d <= min(1.25 * nominal, 30.0) for d in delays), retry
        assert len(set(delays)) > 1  # jittered, not fixed
    assert 0.375 <= policy.backoff_time(1) <= 0.625  # the first retry waits too


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({}, None),
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after-ms": "250"}, 0.25),
        ({"x-ms-retry-after-ms": "1500"}, 1.5),
        ({"Retry-After": "3600"}, MAX_RETRY_AFTER),
        ({"Retry-After": "inf"}, MAX_RETRY_AFTER),
        ({"Retry-After": "soon, probably"}, None),
        ({"retry-after-ms": "9999999"}, MAX_RETRY_AFTER),
    ],
)
def test_retry_after_is_honoured_and_capped(headers: dict[str, str], expected: float | None) -> None:
    for policy in (retry_policy(3, is_async=False), retry_policy(3, is_async=True)):
        assert policy.retry_after(headers) == expected


def test_retry_after_as_an_http_date_is_capped() -> None:
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    policy = retry_policy(3, is_async=False, retry_after_max=5.0)
    assert policy.retry_after({"Retry-After": later}) == 5.0
    soon = email.utils.formatdate(time.time() + 3, usegmt=True)
    assert 1.0 <= (policy.retry_after({"Retry-After": soon}) or 0) <= 3.0


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retried_statuses(status: int) -> None:
    policy = retry_policy(2, is_async=False)
    assert policy.should_retry(status, retries_done=0) and policy.should_retry(status, retries_done=1)
    assert not policy.should_retry(status, retries_done=2)  # the budget is spent
    none = retry_policy(0, is_async=False)
    assert not none.should_retry(status, retries_done=0)


@pytest.mark.parametrize("status", [200, 400, 401, 404, 413, 422, 501, 505, 520])
def test_other_statuses_are_not_retried(status: int) -> None:
    assert not retry_policy(2, is_async=True).should_retry(status, retries_done=0)


def test_retry_policy_budget_and_types() -> None:
    sync, aio = retry_policy(3, is_async=False), retry_policy(3, is_async=True)
    assert isinstance(sync, AzureRetryPolicy) and isinstance(aio, AsyncAzureRetryPolicy)
    assert (sync.max_retries, aio.max_retries) == (3, 3)
    assert {408, 429, 500, 502, 503, 504} == RETRY_STATUSES
    with pytest.raises(ValueError, match="max_retries must be 0 or more, got -1"):
        retry_policy(-1, is_async=False)


# ---------------------------------------------------------------------------------------------- the loop


class FakeHttpResponse:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status_code, self.headers, self.closed = status, headers or {}, False

    def close(self) -> None:
        self.closed = True


class FakeAsyncHttpResponse(FakeHttpResponse):
    async def close(self) -> None:  # type: ignore[override]
        super().close()


class SleepingTransport:
    """Records the sleeps the policy asks the transport for, as azure-core's transports do them."""

    def __init__(self) -> None:
        self.slept: list[float] = []

    def sleep(self, duration: float) -> None:
        self.slept.append(duration)


class AsyncSleepingTransport(SleepingTransport):
    async def sleep(self, duration: float) -> None:  # type: ignore[override]
        super().sleep(duration)


Outcome = int | tuple[int, dict[str, str]] | Exception


class Script:
    """The rest of the pipeline: each try gets the next outcome, a status (with headers) or an exception."""

    def __init__(self, outcomes: Sequence[Outcome], *, is_async: bool = False) -> None:
        self.outcomes, self.is_async = list(outcomes), is_async
        self.tries: list[int] = []
        self.responses: list[FakeHttpResponse] = []

    def _next(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        self.tries.append(request.context.get("retry_count", -1))  # -1: no retry policy in front
        outcome = self.outcomes.pop(0)
        if isinstance(outcome, Exception):
            raise outcome
        status, headers = outcome if isinstance(outcome, tuple) else (outcome, {})
        response = (FakeAsyncHttpResponse if self.is_async else FakeHttpResponse)(status, headers)
        self.responses.append(response)
        return PipelineResponse(request.http_request, response, request.context)

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        return self._next(request)


class AsyncScript(Script):
    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:  # type: ignore[override]
        return self._next(request)


def _run(policy: Any, script: Script, transport: SleepingTransport) -> PipelineResponse[Any, Any]:
    policy.next = script
    request = PipelineRequest(HttpRequest("POST", "https://r/chat/completions"), PipelineContext(cast(Any, transport)))
    return policy.send(request)  # type: ignore[no-any-return]


def test_statuses_are_retried_with_retry_after_then_backoff_and_error_bodies_closed() -> None:
    script, transport = Script([(429, {"retry-after-ms": "20"}), 503, 200]), SleepingTransport()
    response = _run(retry_policy(2, backoff_factor=1.0, is_async=False), script, transport)
    assert response.http_response.status_code == 200
    assert script.tries == [0, 1, 2]  # the resend count azure-core's tracing reports
    assert 0.02 <= transport.slept[0] <= 0.025 and 1.5 <= transport.slept[1] <= 2.5  # the second retry: 1 s * 2, ±25 %
    assert [r.closed for r in script.responses] == [True, True, False]  # the answer is left to its reader


@pytest.mark.parametrize(
    ("headers", "asked"),
    [
        ({"Retry-After": "2"}, 2.0),
        ({"retry-after-ms": "400"}, 0.4),
        ({"Retry-After": "30"}, 30.0),
        ({"Retry-After": "3600"}, MAX_RETRY_AFTER),  # capped first, then jittered by at most the bound
    ],
)
@pytest.mark.parametrize("is_async", [False, True])
async def test_retry_after_gets_jitter_on_top_never_less_and_bounded(
    headers: dict[str, str], asked: float, is_async: bool
) -> None:
    tries = 300
    script = (AsyncScript if is_async else Script)([(429, headers)] * tries + [200], is_async=is_async)
    transport = AsyncSleepingTransport() if is_async else SleepingTransport()
    policy = retry_policy(tries, is_async=is_async)
    if is_async:
        policy.next = script  # type: ignore[assignment]
        request = PipelineRequest(HttpRequest("POST", "https://r/chat"), PipelineContext(cast(Any, transport)))
        await policy.send(request)  # type: ignore[misc]
    else:
        _run(policy, script, transport)
    bound = asked + min(RETRY_AFTER_JITTER * asked, MAX_RETRY_AFTER_JITTER)
    assert len(transport.slept) == tries
    assert all(asked <= delay <= bound for delay in transport.slept)  # never sooner than asked
    assert len(set(transport.slept)) > tries // 2  # spread out, not one instant for every throttled call
    assert max(transport.slept) - min(transport.slept) > (bound - asked) / 2  # over the window, not a corner of it


def test_the_jitter_bounds() -> None:
    assert (RETRY_AFTER_JITTER, MAX_RETRY_AFTER_JITTER, MAX_RETRY_AFTER) == (0.25, 5.0, 60.0)
    policy = retry_policy(1, is_async=False)
    assert all(MAX_RETRY_AFTER <= policy.jittered(MAX_RETRY_AFTER) <= MAX_RETRY_AFTER + 5.0 for _ in range(100))


def test_the_last_retryable_status_is_returned_when_the_budget_is_spent() -> None:
    script, transport = Script([502, 502, 502]), SleepingTransport()
    assert _run(retry_policy(2, is_async=False), script, transport).http_response.status_code == 502
    assert len(script.tries) == 3 and len(transport.slept) == 2


def test_other_statuses_are_returned_at_once_even_with_retry_after() -> None:
    script, transport = Script([(400, {"Retry-After": "1"})]), SleepingTransport()
    assert _run(retry_policy(2, is_async=False), script, transport).http_response.status_code == 400
    assert len(script.tries) == 1 and transport.slept == []


def test_connection_and_read_errors_are_retried_then_raised() -> None:
    script = Script([ServiceRequestError("refused"), ServiceResponseError("reset"), ServiceResponseError("again")])
    with pytest.raises(ServiceResponseError, match="again"):
        _run(retry_policy(2, is_async=False), script, SleepingTransport())
    assert len(script.tries) == 3


def test_a_failed_sign_in_is_not_retried() -> None:
    script = Script([ClientAuthenticationError("no identity")])
    with pytest.raises(ClientAuthenticationError):
        _run(retry_policy(2, is_async=False), script, SleepingTransport())
    assert len(script.tries) == 1


async def test_the_async_loop_retries_and_closes_error_bodies() -> None:
    script, transport = AsyncScript([429, ServiceResponseError("reset"), 200], is_async=True), AsyncSleepingTransport()
    policy = retry_policy(2, backoff_factor=0.01, is_async=True)
    policy.next = script  # type: ignore[assignment]
    request = PipelineRequest(HttpRequest("POST", "https://r/chat/completions"), PipelineContext(cast(Any, transport)))
    response = await policy.send(request)  # type: ignore[misc]
    assert response.http_response.status_code == 200 and script.tries == [0, 1, 2]
    assert len(transport.slept) == 2 and script.responses[0].closed
    script.outcomes = [ClientAuthenticationError("no identity")]
    with pytest.raises(ClientAuthenticationError):
        await policy.send(request)  # type: ignore[misc]
    assert len(script.tries) == 4  # not retried


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://r/openai/v1/chat/completions?api-version=2024-05-01-preview", "https://r/openai/v1/chat/completions"),
        ("https://r/x?a=1&api-version=v&b=%2F%20+", "https://r/x?a=1&b=%2F%20+"),
        ("https://r/x?API-Version=v&api%2Dversion=w&flag", "https://r/x?flag"),
        ("https://r/x", "https://r/x"),
    ],
)
def test_strip_api_version_keeps_everything_else(url: str, expected: str) -> None:
    request = PipelineRequest(HttpRequest("POST", url), PipelineContext(None))
    StripApiVersionPolicy().on_request(request)
    assert request.http_request.url == expected


def test_client_kwargs_per_kind() -> None:
    v1 = client_kwargs(
        resolve_endpoint("https://r.openai.azure.com/openai/v1"), max_retries=2, timeout=5.0, is_async=False
    )
    assert [type(p) for p in v1["per_call_policies"]] == [NetworkErrorPolicy, StripApiVersionPolicy]
    assert "api_version" not in v1 and v1["credential_scopes"] == [AZURE_AI_SCOPE]
    assert (v1["connection_timeout"], v1["read_timeout"]) == (5.0, 5.0)  # a timeout given still sets both
    assert isinstance(v1["retry_policy"], AzureRetryPolicy) and v1["retry_policy"].max_retries == 2

    aoai = client_kwargs(
        resolve_endpoint("https://r.openai.azure.com/openai/deployments/d"), max_retries=0, timeout=None, is_async=True
    )
    assert aoai["api_version"] == "2025-01-01-preview"
    assert [type(p) for p in aoai["per_call_policies"]] == [AsyncNetworkErrorPolicy]
    assert isinstance(aoai["retry_policy"], AsyncAzureRetryPolicy)

    local = client_kwargs(resolve_endpoint("http://127.0.0.1:1"), max_retries=1, timeout=1, is_async=False)
    assert "credential_scopes" not in local  # key only


def test_client_kwargs_extra_is_merged_last_and_keeps_our_policies() -> None:
    mine, theirs = object(), StripApiVersionPolicy()
    settings = resolve_endpoint("https://r.openai.azure.com/openai/v1")
    extra = {"retry_policy": mine, "per_call_policies": theirs, "logging_enable": True}
    kwargs = client_kwargs(settings, max_retries=1, timeout=1, extra=extra, is_async=False)
    assert kwargs["retry_policy"] is mine and kwargs["logging_enable"] is True
    assert len(kwargs["per_call_policies"]) == 3 and kwargs["per_call_policies"][2] is theirs
    with pytest.raises(ValueError, match="timeout must be a positive number"):
        client_kwargs(settings, max_retries=1, timeout=0, is_async=False)


def test_client_kwargs_read_the_environment_once(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("HTTPS_PROXY", "https_proxy", "NO_PROXY", "no_proxy", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/corp/ca.pem")
    settings = resolve_endpoint("https://r.openai.azure.com/openai/v1")
    sync = client_kwargs(settings, max_retries=1, timeout=1, is_async=False)
    assert sync["use_env_settings"] is False and sync["proxies"] == {"https": "http://proxy.corp:3128"}
    assert sync["connection_verify"] == "/etc/corp/ca.pem"  # requests' trust_env used it; it still applies
    aio = client_kwargs(settings, max_retries=1, timeout=1, is_async=True)
    assert "connection_verify" not in aio  # aiohttp never read REQUESTS_CA_BUNDLE
    mine = client_kwargs(settings, max_retries=1, timeout=1, is_async=False, extra={"use_env_settings": True})
    assert mine["use_env_settings"] is True  # the caller's choice wins


# ---------------------------------------------------------------------------------------------- timeouts, User-Agent


@pytest.mark.parametrize("is_async", [False, True])
def test_no_timeout_means_10_s_to_connect_and_600_s_between_reads(is_async: bool) -> None:
    assert (DEFAULT_CONNECT_TIMEOUT, DEFAULT_READ_TIMEOUT) == (10.0, 600.0)
    kwargs = client_kwargs(resolve_endpoint("https://r.openai.azure.com/openai/v1"), max_retries=1, timeout=None,
                           is_async=is_async)  # fmt: skip
    assert (kwargs["connection_timeout"], kwargs["read_timeout"]) == (10.0, 600.0)
    [policy] = [p for p in kwargs["per_call_policies"] if isinstance(p, NetworkErrorPolicy | AsyncNetworkErrorPolicy)]
    assert (policy.connect_timeout, policy.read_timeout) == (10.0, 600.0)  # what the errors will name
    mine = client_kwargs(resolve_endpoint("https://r/openai/v1"), max_retries=1, timeout=None, is_async=is_async,
                         extra={"read_timeout": 30})  # fmt: skip
    assert (mine["connection_timeout"], mine["read_timeout"]) == (10.0, 30)  # the caller's own setting wins


class RecordingClient:
    """Stands in for the SDK's ChatCompletionsClient: keeps what it was made with."""

    made: list[dict[str, Any]] = []

    def __init__(self, endpoint: str, credential: Any, **kwargs: Any) -> None:
        self.made.append(kwargs)

    def close(self) -> None:
        pass


def test_the_wire_hands_the_sdk_client_the_default_timeouts(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(clients, "ChatCompletionsClient", RecordingClient)
    RecordingClient.made.clear()
    settings = resolve_endpoint("https://r.openai.azure.com/openai/v1")
    ChatWire(settings, SecretStr("k"))._clients.sync()  # timeout=None, as the chat model passes by default
    ChatWire(settings, SecretStr("k"), timeout=42)._clients.sync()
    made = [(kwargs["connection_timeout"], kwargs["read_timeout"]) for kwargs in RecordingClient.made]
    assert made == [(10.0, 600.0), (42, 42)]


def test_the_user_agent_names_this_package_and_keeps_yours() -> None:
    assert f"langchain-azure-multimodal/{__version__}" == USER_AGENT
    settings = resolve_endpoint("https://r.openai.azure.com/openai/v1")
    assert client_kwargs(settings, max_retries=1, timeout=None, is_async=False)["user_agent"] == USER_AGENT
    mine = client_kwargs(settings, max_retries=1, timeout=None, is_async=True, extra={"user_agent": "my-app/1"})
    assert mine["user_agent"] == f"my-app/1 {USER_AGENT}"


# ---------------------------------------------------------------------------------------------- typed network errors

URL = "https://me:pw@r.openai.azure.com/openai/v1/chat/completions?api-version=x&sig=secret-sig"


def _transport_error(cls: type[AzureError], cause: BaseException) -> AzureError:
    """An azure-core error as its transports raise them: the library's error inside, the OS's reason below it."""
    library = OSError("HTTPSConnection(host='r.openai.azure.com'): /openai/v1/chat/completions?sig=secret-sig")
    library.__cause__ = cause
    return cls(library, error=library)


NETWORK_FAILURES = [
    (_transport_error(ServiceRequestError, ConnectionRefusedError(111, "Connection refused")),
     EndpointUnreachableError, "refused", "the connection was refused ([Errno 111] Connection refused)"),
    (_transport_error(ServiceRequestError, socket.gaierror(-2, "Name or service not known")),
     EndpointUnreachableError, "dns", "'r.openai.azure.com' did not resolve (DNS: [Errno -2] Name or service not"),
    (_transport_error(ServiceRequestError, OSError(101, "Network is unreachable")),
     EndpointUnreachableError, "connect", "could not connect ([Errno 101] Network is unreachable)"),
    (_transport_error(ServiceRequestTimeoutError, TimeoutError("timed out")),
     EndpointConnectTimeoutError, "connect_timeout", "no connection within the 3 s connect timeout"),
    (_transport_error(ServiceResponseTimeoutError, TimeoutError("timed out")),
     EndpointReadTimeoutError, "read_timeout", "nothing arrived for the 60 s read timeout"),
    (_transport_error(ServiceResponseError, ConnectionResetError(104, "Connection reset by peer")),
     EndpointConnectionLostError, "connection_lost", "broke before the answer was complete ([Errno 104] Connection"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "typed", "failure", "says"), NETWORK_FAILURES, ids=[f[2] for f in NETWORK_FAILURES])
@pytest.mark.parametrize("is_async", [False, True])
async def test_the_network_error_policy_raises_the_typed_error(
    raw: Exception, typed: type[EndpointNetworkError], failure: str, says: str, is_async: bool
) -> None:
    policy = (AsyncNetworkErrorPolicy if is_async else NetworkErrorPolicy)(3.0, 60.0)
    policy.next = (AsyncScript if is_async else Script)([raw], is_async=is_async)  # type: ignore[assignment]
    request = PipelineRequest(HttpRequest("POST", URL), PipelineContext(cast(Any, SleepingTransport())))
    with pytest.raises(typed) as caught:
        await policy.send(request) if is_async else policy.send(request)  # type: ignore[misc]
    error = caught.value
    assert isinstance(error, type(raw)) and error.__cause__ is raw and error.failure == failure
    assert str(error).startswith("POST https://r.openai.azure.com/openai/v1/chat/completions: ")
    assert says in str(error) and "Fix: " in str(error)
    assert "secret" not in str(error) and "pw" not in str(error) and "api-version" not in str(error)


@pytest.mark.parametrize("is_async", [False, True])
async def test_errors_a_policy_raised_itself_are_left_as_they_are(is_async: bool) -> None:
    # azure-core's refusal to send a bearer token over http: a ServiceRequestError with no transport error inside.
    refusal = ServiceRequestError("Bearer token authentication is not permitted for non-TLS protected URLs.")
    policy = (AsyncNetworkErrorPolicy if is_async else NetworkErrorPolicy)(3.0, 60.0)
    policy.next = (AsyncScript if is_async else Script)([refusal], is_async=is_async)  # type: ignore[assignment]
    request = PipelineRequest(HttpRequest("POST", URL), PipelineContext(cast(Any, SleepingTransport())))
    with pytest.raises(ServiceRequestError) as caught:
        await policy.send(request) if is_async else policy.send(request)  # type: ignore[misc]
    assert caught.value is refusal


# What the transports raise below azure-core's error, as they raise it. azure-core 1.36 wraps both timeouts in the
# plain request or response error, and 1.36 to 1.41 a body that stalls after the headers in a request error, so the
# kind is read from the cause; the typed class still subclasses the error azure-core raised.
_REQUESTS = requests.exceptions
_SECRET_URL = "/openai/v1/chat/completions?sig=secret-sig"
_URLLIB3_READ = urllib3.exceptions.ReadTimeoutError(None, _SECRET_URL, "Read timed out.")  # type: ignore[arg-type]
_URLLIB3_CONNECT = urllib3.exceptions.ConnectTimeoutError(None, f"{_SECRET_URL} timed out. (connect timeout=3)")
_REFUSED = urllib3.exceptions.NewConnectionError(None, "Failed to establish a new connection")  # type: ignore[arg-type]
_REFUSED.__cause__ = ConnectionRefusedError(111, "Connection refused")


def _wrapped(cls: type[AzureError], error: Exception) -> AzureError:
    return cls(error, error=error)  # as the transports raise them


def _max_retry(reason: Exception) -> urllib3.exceptions.MaxRetryError:
    return urllib3.exceptions.MaxRetryError(None, _SECRET_URL, reason)  # type: ignore[arg-type]


CAUSE_CHAINS = [
    ("requests connect timeout", _wrapped(ServiceRequestError, _REQUESTS.ConnectTimeout(_max_retry(_URLLIB3_CONNECT))),
     EndpointConnectTimeoutError, "connect_timeout"),
    ("requests read timeout", _wrapped(ServiceResponseError, _REQUESTS.ReadTimeout(_URLLIB3_READ)),
     EndpointReadTimeoutError, "read_timeout"),
    ("requests body stalled", _wrapped(ServiceRequestError, _REQUESTS.ConnectionError(_URLLIB3_READ)),
     EndpointReadTimeoutError, "read_timeout"),
    ("requests refused", _wrapped(ServiceRequestError, _REQUESTS.ConnectionError(_max_retry(_REFUSED))),
     EndpointUnreachableError, "refused"),  # urllib3 2's NewConnectionError is a ConnectTimeoutError: not a timeout
    ("aiohttp connect timeout", _wrapped(ServiceRequestError, aiohttp.ConnectionTimeoutError("Connection timeout")),
     EndpointConnectTimeoutError, "connect_timeout"),
    ("aiohttp read timeout", _wrapped(ServiceResponseError, aiohttp.SocketTimeoutError("Timeout on reading")),
     EndpointReadTimeoutError, "read_timeout"),
    ("asyncio timeout", _wrapped(ServiceResponseError, TimeoutError()), EndpointReadTimeoutError, "read_timeout"),
    ("connect timeout as a response error", _wrapped(ServiceResponseError, _REQUESTS.ConnectTimeout("slow")),
     EndpointConnectTimeoutError, "connect_timeout"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "typed", "failure"), [c[1:] for c in CAUSE_CHAINS], ids=[c[0] for c in CAUSE_CHAINS])
def test_the_kind_of_failure_comes_from_the_transports_cause(
    raw: AzureError, typed: type[EndpointNetworkError], failure: str
) -> None:
    error = explain_network_error(raw, "POST", URL, connect_timeout=3.0, read_timeout=60.0)
    assert isinstance(error, typed) and error.failure == failure
    assert isinstance(error, type(raw)) and error.__cause__ is raw  # still caught where azure-core's error was
    if failure.endswith("timeout"):
        assert ("3 s connect" if failure == "connect_timeout" else "60 s read") in str(error)
    else:
        assert not isinstance(error, EndpointTimeoutError)
    assert "secret" not in str(error)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is type(error) and str(copy) == str(error)
