"""Endpoint detection and resolution, and the transport pieces that need no network: the tolerant SSE parser, the
retry policy's decisions, the api-version strip and the client keyword arguments."""

from __future__ import annotations

import asyncio
import email.utils
import json
import time
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineContext, PipelineRequest, PipelineResponse
from azure.core.rest import HttpRequest
from hypothesis import given
from hypothesis import strategies as st

from langchain_azure_multimodal import _transport
from langchain_azure_multimodal._transport import (
    MAX_RETRY_AFTER,
    AsyncAzureRetryPolicy,
    AsyncTolerantStreamingChatCompletions,
    AzureRetryPolicy,
    StreamError,
    StripApiVersionPolicy,
    TolerantStreamingChatCompletions,
    client_kwargs,
    retry_policy,
)
from langchain_azure_multimodal.endpoints import (
    AOAI_MIN_AUDIO_API_VERSION,
    AZURE_AI_SCOPE,
    AZURE_ML_SCOPE,
    COGNITIVE_SERVICES_SCOPE,
    EndpointError,
    EndpointKind,
    detect_endpoint_kind,
    resolve_endpoint,
)

K = EndpointKind
SDK_DEFAULT = "2024-05-01-preview"
COGNITIVE = (COGNITIVE_SERVICES_SCOPE,)

# ---------------------------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://res.services.ai.azure.com/models", K.FOUNDRY),
        ("https://res.services.ai.azure.com/api/models", K.FOUNDRY),
        ("https://res.services.ai.azure.com", K.FOUNDRY),
        ("https://res.openai.azure.com/openai/deployments/gpt-4o", K.AZURE_OPENAI),
        ("https://res.cognitiveservices.azure.com/openai/deployments/gpt-4o", K.AZURE_OPENAI),
        ("https://res.services.ai.azure.com/openai/deployments/gpt-4o", K.AZURE_OPENAI),
        ("https://res.openai.azure.us/openai/deployments/gpt-4o", K.AZURE_OPENAI),
        ("https://res.openai.azure.cn/openai/deployments/gpt-4o", K.AZURE_OPENAI),
        ("https://res.openai.azure.com/openai/v1", K.OPENAI_V1),
        ("https://res.services.ai.azure.com/openai/v1/", K.OPENAI_V1),
        ("https://my-llama.eastus2.inference.ai.azure.com", K.SERVERLESS),
        ("https://my-endpoint.westus.inference.ml.azure.com", K.SERVERLESS),
        ("https://Meta-Llama-3-1-8B.eastus2.models.ai.azure.com", K.SERVERLESS),
        ("https://models.github.ai/inference", K.GITHUB_MODELS),
        ("https://models.inference.ai.azure.com", K.GITHUB_MODELS),
        ("http://localhost:8000/v1", K.OPENAI_COMPATIBLE),
        ("http://127.0.0.1:8765", K.OPENAI_COMPATIBLE),
        ("https://api.example.com/v1", K.OPENAI_COMPATIBLE),
        # The emulator's routes on loopback, and the same shapes behind a proxy.
        ("http://127.0.0.1:8765/models", K.FOUNDRY),
        ("http://127.0.0.1:8765/api/models", K.FOUNDRY),
        ("http://127.0.0.1:8765/openai/deployments/phi-4-multimodal-instruct", K.AZURE_OPENAI),
        ("http://localhost:8765/openai/v1", K.OPENAI_V1),
        ("http://[::1]:8765/openai/v1", K.OPENAI_V1),
        ("https://apim.azure-api.net/openai/deployments/gpt-4o", K.AZURE_OPENAI),
    ],
)
def test_detection(url: str, kind: EndpointKind) -> None:
    assert detect_endpoint_kind(url) is kind
    assert resolve_endpoint(url).kind is kind


@pytest.mark.parametrize(
    ("url", "api_version", "scopes", "model_required", "native", "info"),
    [
        ("https://r.services.ai.azure.com/models", SDK_DEFAULT, COGNITIVE, False, False, True),
        ("https://r.openai.azure.com/openai/deployments/d", "2025-01-01-preview", COGNITIVE, False, True, False),
        ("https://r.openai.azure.com/openai/v1", None, (AZURE_AI_SCOPE,), True, True, False),
        ("https://e.eastus2.inference.ai.azure.com", SDK_DEFAULT, (AZURE_ML_SCOPE,), False, False, True),
        ("https://models.github.ai/inference", SDK_DEFAULT, (), False, False, False),
        ("http://localhost:8000/v1", SDK_DEFAULT, (), False, True, False),
        ("https://api.example.com/v1", SDK_DEFAULT, (), False, True, False),
        # The emulator's root serves the Azure AI protocol: /info, and stream_options only as an extra parameter.
        ("http://127.0.0.1:8765", SDK_DEFAULT, (), False, False, True),
        ("http://127.0.0.1:8765/models", SDK_DEFAULT, (), False, False, True),
        ("http://127.0.0.1:8765/openai/deployments/d", AOAI_MIN_AUDIO_API_VERSION, (), False, True, False),
        ("http://127.0.0.1:8765/openai/v1", None, (), True, True, False),
    ],
)
def test_settings_per_kind(
    url: str, api_version: str | None, scopes: tuple[str, ...], model_required: bool, native: bool, info: bool
) -> None:
    settings = resolve_endpoint(url)
    assert settings.api_version == api_version
    assert settings.credential_scopes == scopes
    assert (settings.model_required, settings.native_stream_options, settings.has_model_info) == (
        model_required,
        native,
        info,
    )


def test_sovereign_azure_openai_gets_its_clouds_scope() -> None:
    gov = resolve_endpoint("https://r.openai.azure.us/openai/deployments/d")
    china = resolve_endpoint("https://r.cognitiveservices.azure.cn/openai/deployments/d")
    assert gov.credential_scopes == ("https://cognitiveservices.azure.us/.default",)
    assert china.credential_scopes == ("https://cognitiveservices.azure.cn/.default",)


@pytest.mark.parametrize(
    ("pasted", "endpoint", "api_version"),
    [
        (
            "https://r.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
            "https://r.openai.azure.com/openai/deployments/gpt-4o",
            "2024-10-21",
        ),
        (
            "https://R.Services.AI.Azure.com/models/chat/completions/",
            "https://r.services.ai.azure.com/models",
            SDK_DEFAULT,
        ),
        ("  https://r.openai.azure.com/openai/v1/chat/completions\n", "https://r.openai.azure.com/openai/v1", None),
        ("https://r.services.ai.azure.com/", "https://r.services.ai.azure.com/models", SDK_DEFAULT),
        ("https://models.github.ai", "https://models.github.ai/inference", SDK_DEFAULT),
        ("http://127.0.0.1:8765/?x=1#frag", "http://127.0.0.1:8765", SDK_DEFAULT),
        ("http://[::1]:8765/models?api-version=2025-05-01", "http://[::1]:8765/models", "2025-05-01"),
        # Deployment names keep their case; only the host is lowercased.
        (
            "https://r.openai.azure.com/openai/deployments/GPT-4o/",
            "https://r.openai.azure.com/openai/deployments/GPT-4o",
            None,
        ),
    ],
)
def test_pasted_urls_are_normalised(pasted: str, endpoint: str, api_version: str | None) -> None:
    settings = resolve_endpoint(pasted)
    assert settings.endpoint == endpoint
    if api_version is not None:
        assert settings.api_version == api_version


def test_explicit_api_version_beats_the_pasted_one() -> None:
    url = "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21"
    assert resolve_endpoint(url, api_version="2025-04-01-preview").api_version == "2025-04-01-preview"


def test_user_overrides() -> None:
    settings = resolve_endpoint(
        "http://127.0.0.1:8765", kind="serverless", api_version="2025-05-01", credential_scopes=["api://app/.default"]
    )
    assert (settings.kind, settings.api_version, settings.credential_scopes) == (
        K.SERVERLESS,
        "2025-05-01",
        ("api://app/.default",),
    )
    assert settings.has_model_info and not settings.native_stream_options
    assert resolve_endpoint("http://127.0.0.1:8765", kind="azure-openai").native_stream_options
    # Kind strings are forgiving about case and underscores; a lone scope string is one scope.
    assert resolve_endpoint("https://proxy.example.com/aoai", kind="AZURE_OPENAI").kind is K.AZURE_OPENAI
    assert resolve_endpoint("https://r.services.ai.azure.com/models", credential_scopes="s").credential_scopes == ("s",)
    assert resolve_endpoint("https://r.services.ai.azure.com/models", credential_scopes=[]).credential_scopes == ()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: resolve_endpoint("my-resource.openai.azure.com"),
            "endpoint must be an http(s) URL such as https://<resource>.services.ai.azure.com/models; "
            "got 'my-resource.openai.azure.com'",
        ),
        (
            lambda: resolve_endpoint("ftp://example.com/models?key=SECRET"),
            "endpoint must be an http(s) URL such as https://<resource>.services.ai.azure.com/models; "
            "got 'ftp://example.com/models'",
        ),
        (lambda: resolve_endpoint(""), "got ''"),
        (lambda: resolve_endpoint("https://<resource>.openai.azure.com/openai/v1"), "got 'https://<resource>"),
        (lambda: resolve_endpoint("https://host:99999/"), "endpoint must be an http(s) URL"),
        (lambda: resolve_endpoint(42), "got a int"),  # type: ignore[arg-type]
        (
            lambda: resolve_endpoint("https://user:hunter2@r.openai.azure.com/openai/v1"),
            "endpoint must not carry credentials before '@'; pass the key as the credential instead",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com/openai/v1", api_version="2024-10-21"),
            "/openai/v1 endpoints take no api-version (https://r.openai.azure.com/openai/v1); "
            "remove api_version='2024-10-21'",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com/openai/v1/chat/completions?api-version=preview"),
            "/openai/v1 endpoints take no api-version (https://r.openai.azure.com/openai/v1); "
            "remove '?api-version=…' from the URL",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com/openai/v1", kind="azure"),
            "unknown endpoint kind 'azure'; use one of: foundry, azure-openai, openai-v1, serverless, github-models, "
            "openai-compatible",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com/openai/deployments/d", api_version="v2025"),
            "api_version 'v2025' does not look like an Azure OpenAI API version: use YYYY-MM-DD or "
            "YYYY-MM-DD-preview, such as '2025-01-01-preview'",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com/models", kind="foundry", api_version=" "),
            "api_version is empty",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com"),
            "Azure OpenAI endpoint https://r.openai.azure.com names no deployment: use "
            "https://r.openai.azure.com/openai/deployments/<deployment> or https://r.openai.azure.com/openai/v1",
        ),
    ],
)
def test_endpoint_errors_say_what_to_change(call: Any, message: str) -> None:
    with pytest.raises(EndpointError) as caught:
        call()
    assert message in str(caught.value)
    assert "SECRET" not in str(caught.value) and "hunter2" not in str(caught.value)


def test_endpoint_error_is_a_value_error() -> None:
    assert issubclass(EndpointError, ValueError)


@pytest.mark.parametrize(
    ("api_version", "audio"),
    [("2024-10-21", False), ("2024-12-01-preview", False), ("2025-01-01-preview", True), ("2025-04-01", True)],
)
def test_audio_needs_a_recent_api_version_on_azure_openai_only(api_version: str, audio: bool) -> None:
    assert (
        resolve_endpoint(
            "https://r.openai.azure.com/openai/deployments/d", api_version=api_version
        ).supports_audio_input()
        is audio
    )
    assert resolve_endpoint("https://r.services.ai.azure.com/models", api_version=api_version).supports_audio_input()
    assert resolve_endpoint("https://r.openai.azure.com/openai/v1").supports_audio_input()


_pieces = st.sampled_from(
    [
        "http",
        "https",
        "ftp",
        "://",
        "/",
        "?",
        "#",
        "&",
        "=",
        ":",
        "@",
        "[",
        "]",
        "%",
        " ",
        "\n",
        ".",
        "-",
        "localhost",
        "127.0.0.1",
        "::1",
        "r.openai.azure.com",
        "models.github.ai",
        "x.services.ai.azure.com",
        "openai",
        "v1",
        "deployments",
        "models",
        "api",
        "chat",
        "completions",
        "api-version",
        "2024-10-21",
        "é",
    ]
)


@given(st.one_of(st.text(max_size=80), st.lists(_pieces, max_size=14).map("".join)))
def test_resolve_endpoint_raises_only_endpoint_error_and_never_keeps_a_query(text: str) -> None:
    try:
        settings = resolve_endpoint(text)
    except EndpointError:
        return
    assert "?" not in settings.endpoint and "#" not in settings.endpoint
    assert not settings.endpoint.endswith("/")
    again = resolve_endpoint(settings.endpoint, kind=settings.kind, api_version=settings.api_version)
    assert again == settings  # resolving is idempotent


# ---------------------------------------------------------------------------------------------- SSE parsing


def _chunk(content: str, **extra: Any) -> dict[str, Any]:
    return {
        "id": "c1",
        "object": "chat.completion.chunk",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "delta": {"content": content}, "finish_reason": None}],
        **extra,
    }


def _data(event: dict[str, Any], *, space: bool = True) -> bytes:
    return b"data:" + (b" " if space else b"") + json.dumps(event, ensure_ascii=False).encode() + b"\n\n"


USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
# Everything the SDK's own parser chokes on, with non-ASCII content so chunk splits land inside characters.
MESSY_STREAM = (
    b"\xef\xbb\xbf: keep-alive\n\n"
    + b"event: message\nid: 1\nretry: 1000\n"
    + _data(_chunk("h\u00e9llo "))
    + b": keep-alive\r\n\r\n"
    + _data(_chunk("\u4e16\u754c "), space=False)
    + b'data: {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",\r\n'
    + b'data: "choices": [{"index": 0, "delta": {"content": "\xf0\x9f\x8e\x89"}, "finish_reason": "stop"}]}\r\r'
    + b"event: message\ndata:\n\ndata: \n\n"
    + _data({**_chunk(""), "choices": [], "usage": USAGE})
    + b"data: [DONE]\n\n"
    + _data(_chunk("after done"))
)
EXPECTED = "h\u00e9llo \u4e16\u754c \U0001f389"


class FakeResponse:
    def __init__(self, chunks: Iterable[bytes], *, fail_after: int | None = None) -> None:
        self.chunks, self.fail_after, self.closed = list(chunks), fail_after, 0

    def iter_bytes(self) -> Iterator[bytes]:
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_after:
                raise HttpResponseError("Connection broken: ConnectionResetError(104, 'Connection reset by peer')")
            yield chunk

    def close(self) -> None:
        self.closed += 1


class FakeAsyncResponse(FakeResponse):
    async def iter_bytes(self) -> AsyncIterator[bytes]:  # type: ignore[override]
        for chunk in super().iter_bytes():
            await asyncio.sleep(0)
            yield chunk

    async def close(self) -> None:  # type: ignore[override]
        super().close()


def _text(updates: Iterable[Any]) -> str:
    return "".join(u.choices[0].delta.content or "" for u in updates if u.choices)


def _splits(data: bytes) -> Iterator[list[bytes]]:
    yield [data]
    yield [data[i : i + 1] for i in range(len(data))]
    for i in range(1, len(data)):
        yield [data[:i], data[i:]]


def test_messy_stream_split_at_every_position() -> None:
    for chunks in _splits(MESSY_STREAM):
        response = FakeResponse(chunks)
        updates = list(TolerantStreamingChatCompletions(response))  # type: ignore[arg-type]
        assert _text(updates) == EXPECTED, chunks
        assert updates[-1].usage.total_tokens == 5 and not updates[-1].choices
        assert response.closed  # closed at [DONE]; the event after it is never read as an update


async def test_messy_stream_async() -> None:
    for chunks in [[MESSY_STREAM], [MESSY_STREAM[i : i + 7] for i in range(0, len(MESSY_STREAM), 7)]]:
        response = FakeAsyncResponse(chunks)
        async with AsyncTolerantStreamingChatCompletions(response) as stream:  # type: ignore[arg-type]
            updates = [u async for u in stream]
        assert _text(updates) == EXPECTED and updates[-1].usage.total_tokens == 5
        assert response.closed


def test_multi_line_data_is_joined_with_newlines() -> None:
    event = b'data: {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",\ndata:\n'
    event += b'data: "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": null}]}\n\n'
    assert _text(TolerantStreamingChatCompletions(FakeResponse([event]))) == "ok"  # type: ignore[arg-type]


def test_an_unfinished_event_at_the_end_is_dropped() -> None:
    stream = _data(_chunk("kept")) + _data(_chunk("cut")).rstrip(b"\n")
    assert _text(TolerantStreamingChatCompletions(FakeResponse([stream]))) == "kept"  # type: ignore[arg-type]


def test_error_event_raises_stream_error() -> None:
    stream = (
        _data(_chunk("partial ")) + b'event: error\ndata: {"error": {"code": "server_error", "message": "Boom."}}\n\n'
    )
    for chunks in _splits(stream):
        response = FakeResponse(chunks)
        updates = iter(TolerantStreamingChatCompletions(response))  # type: ignore[arg-type]
        assert next(updates).choices[0].delta.content == "partial "
        with pytest.raises(StreamError) as caught:
            next(updates)
        assert (caught.value.code, caught.value.message) == ("server_error", "Boom.")
        assert str(caught.value) == "The service sent an error inside the stream: server_error: Boom."
        assert response.closed


def test_error_event_with_a_bare_string() -> None:
    with pytest.raises(StreamError, match="error: overloaded"):
        list(TolerantStreamingChatCompletions(FakeResponse([b'data: {"error": "overloaded"}\n\n'])))  # type: ignore[arg-type]


@pytest.mark.parametrize("payload", ['{"id": "c1", "choi', "[1, 2]", "x" * 500])
def test_malformed_event_raises_stream_error(payload: str) -> None:
    with pytest.raises(StreamError) as caught:
        list(TolerantStreamingChatCompletions(FakeResponse([f"data: {payload}\n\n".encode()])))  # type: ignore[arg-type]
    assert caught.value.code == "malformed_event"
    assert caught.value.message == payload[:200]
    assert str(caught.value) == f"The stream carried an event that is not a JSON object: {payload[:200]!r}"


def test_a_connection_lost_mid_stream_is_a_stream_error() -> None:
    response = FakeResponse([_data(_chunk("a")), _data(_chunk("b")), b"never"], fail_after=2)
    with pytest.raises(StreamError) as caught:
        list(TolerantStreamingChatCompletions(response))  # type: ignore[arg-type]
    assert caught.value.code == "stream_interrupted"
    assert str(caught.value).startswith("The stream broke off after 2 events: Connection broken")
    assert isinstance(caught.value.__cause__, HttpResponseError) and response.closed


async def test_a_connection_lost_mid_stream_is_a_stream_error_async() -> None:
    response = FakeAsyncResponse([_data(_chunk("a")), b"never"], fail_after=1)
    with pytest.raises(StreamError, match="broke off after 1 events"):
        async with AsyncTolerantStreamingChatCompletions(response) as stream:  # type: ignore[arg-type]
            _ = [u async for u in stream]
    assert response.closed


# ---------------------------------------------------------------------------------------------- retry policy


class FakeHttpResponse:
    def __init__(self, status: int, headers: dict[str, str] | None = None) -> None:
        self.status_code, self.headers = status, headers or {}


def _pipeline_response(status: int, headers: dict[str, str] | None = None) -> PipelineResponse[Any, Any]:
    request = HttpRequest("POST", "https://r/chat/completions")
    return PipelineResponse(request, FakeHttpResponse(status, headers), PipelineContext(None))


def _settings(policy: Any, retries_so_far: int) -> dict[str, Any]:
    settings: dict[str, Any] = policy.configure_retries({})
    settings["history"] = [object()] * retries_so_far
    return settings


@pytest.mark.parametrize("is_async", [False, True])
def test_backoff_is_exponential_with_25_percent_jitter_and_capped(is_async: bool) -> None:
    policy = retry_policy(10, backoff_factor=0.5, backoff_max=30.0, is_async=is_async)
    for attempt in range(1, 11):
        nominal = min(30.0, 0.5 * 2 ** (attempt - 1))
        delays = [policy.get_backoff_time(_settings(policy, attempt)) for _ in range(200)]
        assert all(0.75 * nominal <= d <= min(1.25 * nominal, 30.0) for d in delays), attempt
        assert len(set(delays)) > 1  # jittered, not fixed
    assert 0.375 <= policy.get_backoff_time(_settings(policy, 0)) <= 0.625  # the first retry waits too


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
        assert policy.get_retry_after(_pipeline_response(429, headers)) == expected


def test_retry_after_as_an_http_date_is_capped() -> None:
    later = email.utils.formatdate(time.time() + 3600, usegmt=True)
    policy = retry_policy(3, is_async=False, retry_after_max=5.0)
    assert policy.get_retry_after(_pipeline_response(503, {"Retry-After": later})) == 5.0


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504])
def test_retried_statuses_include_post_on_429_and_502(status: int) -> None:
    policy = retry_policy(2, is_async=False)
    assert policy.is_retry(_settings(policy, 0), _pipeline_response(status))
    assert policy._is_method_retryable(_settings(policy, 0), HttpRequest("POST", "https://r"))
    none = retry_policy(0, is_async=False)
    assert not none.is_retry(_settings(none, 0), _pipeline_response(status))


@pytest.mark.parametrize("status", [200, 400, 401, 404, 413, 422, 501, 505, 520])
def test_other_statuses_are_not_retried_even_with_retry_after(status: int) -> None:
    policy = retry_policy(2, is_async=True)
    assert not policy.is_retry(_settings(policy, 0), _pipeline_response(status, {"Retry-After": "1"}))


def test_retry_policy_budget_and_types() -> None:
    sync, aio = retry_policy(3, is_async=False), retry_policy(3, is_async=True)
    assert isinstance(sync, AzureRetryPolicy) and isinstance(aio, AsyncAzureRetryPolicy)
    assert (sync.total_retries, sync.connect_retries, sync.read_retries, sync.status_retries) == (3, 3, 3, 3)
    with pytest.raises(ValueError, match="max_retries must be 0 or more, got -1"):
        retry_policy(-1, is_async=False)


# ---------------------------------------------------------------------------------------------- strip and kwargs


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
    assert isinstance(v1["per_call_policies"][0], StripApiVersionPolicy) and "api_version" not in v1
    assert v1["credential_scopes"] == [AZURE_AI_SCOPE]
    assert (v1["connection_timeout"], v1["read_timeout"]) == (5.0, 5.0)
    assert isinstance(v1["retry_policy"], AzureRetryPolicy) and v1["retry_policy"].total_retries == 2

    aoai = client_kwargs(
        resolve_endpoint("https://r.openai.azure.com/openai/deployments/d"), max_retries=0, timeout=None, is_async=True
    )
    assert aoai["api_version"] == "2025-01-01-preview" and "per_call_policies" not in aoai
    assert "connection_timeout" not in aoai and isinstance(aoai["retry_policy"], AsyncAzureRetryPolicy)

    local = client_kwargs(resolve_endpoint("http://127.0.0.1:1"), max_retries=1, timeout=1, is_async=False)
    assert "credential_scopes" not in local  # key only


def test_client_kwargs_extra_is_merged_last_and_keeps_the_strip_policy() -> None:
    mine, theirs = object(), StripApiVersionPolicy()
    settings = resolve_endpoint("https://r.openai.azure.com/openai/v1")
    extra = {"retry_policy": mine, "per_call_policies": theirs, "logging_enable": True}
    kwargs = client_kwargs(settings, max_retries=1, timeout=1, extra=extra, is_async=False)
    assert kwargs["retry_policy"] is mine and kwargs["logging_enable"] is True
    assert len(kwargs["per_call_policies"]) == 2 and kwargs["per_call_policies"][1] is theirs
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


def test_stream_error_is_an_azure_error() -> None:
    from azure.core.exceptions import AzureError

    assert issubclass(StreamError, AzureError)
    assert {408, 429, 500, 502, 503, 504} == _transport.RETRY_STATUSES
