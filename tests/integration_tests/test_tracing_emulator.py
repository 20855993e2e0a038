"""OpenTelemetry GenAI spans and metrics against the emulator, through the Azure SDK's pipeline: each route's
provider and server, streams over sockets (usage in the last event, left early, an error inside), error answers
(429, 400) and retries, content with media summarised, and the key nowhere in what is recorded."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from azure.core.exceptions import HttpResponseError
from langchain_core.messages import HumanMessage, SystemMessage
from opentelemetry.trace import SpanKind, StatusCode

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal._azure.service_errors import StreamError
from langchain_azure_multimodal._tracing import CONTENT_RECORDING_ENV_VARS
from langchain_azure_multimodal.emulator import Emulator, Fault
from langchain_azure_multimodal.ingest import Task, run_ingest
from tests.conftest import API_KEY
from tests.support.chat import model_on
from tests.support.media import b64, image_bytes, wav_bytes
from tests.unit_tests.test_tracing import Telemetry, all_attribute_values, events, make_telemetry


@pytest.fixture
def telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Telemetry]:
    for name in CONTENT_RECORDING_ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    found = make_telemetry()
    yield found
    found.tracer_provider.shutdown()
    found.meter_provider.shutdown()


def traced_model(
    emulator: Emulator, telemetry: Telemetry, route: str = "foundry", **kwargs: object
) -> ChatAzureMultimodal:
    return model_on(
        emulator, route, tracer_provider=telemetry.tracer_provider, meter_provider=telemetry.meter_provider, **kwargs
    )


@pytest.mark.parametrize(
    ("route", "provider"),
    [("foundry", "azure.ai.inference"), ("serverless", "azure.ai.inference"), ("azure-openai", "azure.ai.openai"),
     ("openai-v1", "azure.ai.openai")],
)  # fmt: skip
def test_each_route_names_its_provider_and_server(
    emulator: Emulator, telemetry: Telemetry, route: str, provider: str
) -> None:
    traced_model(emulator, telemetry, route, temperature=0.5, max_tokens=64).invoke("Hi")
    span = telemetry.span()
    attributes = dict(span.attributes or {})
    url = urlsplit(emulator.endpoint)
    assert span.name == f"chat {emulator.model}" and span.kind is SpanKind.CLIENT
    assert attributes["gen_ai.provider.name"] == provider
    assert (attributes["server.address"], attributes["server.port"]) == (url.hostname, url.port)
    assert attributes["gen_ai.request.temperature"] == 0.5 and attributes["gen_ai.request.max_tokens"] == 64
    assert attributes["gen_ai.response.model"] and attributes["gen_ai.response.id"]
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert attributes["gen_ai.usage.input_tokens"] > 0 and attributes["gen_ai.usage.output_tokens"] > 0


@pytest.mark.parametrize("route", ["foundry", "azure-openai"])
def test_a_stream_over_the_socket_gets_its_usage_from_the_last_event(
    emulator: Emulator, telemetry: Telemetry, route: str
) -> None:
    chunks = list(traced_model(emulator, telemetry, route).stream("Hi there"))
    usage = sum((c.usage_metadata or {}).get("input_tokens", 0) for c in chunks)  # type: ignore[misc]
    attributes = telemetry.span().attributes or {}
    assert attributes["gen_ai.usage.input_tokens"] == usage > 0
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    (duration,) = telemetry.points("gen_ai.client.operation.duration")
    assert duration.attributes["gen_ai.response.model"] == attributes["gen_ai.response.model"]


async def test_an_async_stream_and_ainvoke(emulator: Emulator, telemetry: Telemetry) -> None:
    model = traced_model(emulator, telemetry, "azure-openai")
    await model.ainvoke("Hi")
    _ = [chunk async for chunk in model.astream("Hi")]
    await model.aclose()
    spans = telemetry.spans()
    assert len(spans) == 2 and all(s.attributes["gen_ai.usage.output_tokens"] > 0 for s in spans)  # type: ignore[index,operator]


def test_a_stream_left_early_ends_its_span(emulator: Emulator, telemetry: Telemetry) -> None:
    for _ in traced_model(emulator, telemetry).stream("Tell me a long story about the sea"):
        break
    span = telemetry.span()
    assert span.end_time is not None and span.status.status_code is StatusCode.UNSET


def test_a_throttle_is_error_type_429(emulator: Emulator, telemetry: Telemetry) -> None:
    emulator.inject(Fault.throttle(retry_after_ms=10))
    with pytest.raises(HttpResponseError) as caught:
        traced_model(emulator, telemetry, max_retries=0).invoke("Hi")
    assert caught.value.status_code == 429
    span = telemetry.span()
    assert span.attributes["error.type"] == "429" and span.status.status_code is StatusCode.ERROR  # type: ignore[index]
    assert span.status.description and len(span.status.description) <= 200
    (duration,) = telemetry.points("gen_ai.client.operation.duration")
    assert duration.attributes["error.type"] == "429"


def test_a_400_on_a_stream_is_error_type_400(emulator: Emulator, telemetry: Telemetry) -> None:
    emulator.inject(Fault.http_status(400))
    with pytest.raises(HttpResponseError):
        list(traced_model(emulator, telemetry, "azure-openai").stream("Hi"))
    span = telemetry.span()
    assert span.attributes["error.type"] == "400" and span.status.status_code is StatusCode.ERROR  # type: ignore[index]


def test_retries_stay_inside_one_span(emulator: Emulator, telemetry: Telemetry) -> None:
    emulator.inject(Fault.throttle(retry_after_ms=10), times=2)
    traced_model(emulator, telemetry, max_retries=2).invoke("Hi")
    assert len(emulator.requests) == 3
    span = telemetry.span()
    assert span.status.status_code is StatusCode.UNSET and "error.type" not in (span.attributes or {})


def test_an_error_inside_a_stream_fails_its_span(emulator: Emulator, telemetry: Telemetry) -> None:
    emulator.inject(Fault.error_in_stream(code="server_error", message="The model fell over.", after_events=2))
    with pytest.raises(StreamError):
        list(traced_model(emulator, telemetry).stream("Hi"))
    span = telemetry.span()
    assert span.attributes["error.type"] == "StreamError"  # type: ignore[index]
    assert span.status.status_code is StatusCode.ERROR and "The model fell over." in str(span.status.description)


def test_content_with_media_is_summarised_and_the_key_is_nowhere(
    emulator: Emulator, telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT", "true")
    png, wav = image_bytes(48, 32), wav_bytes(0.3)
    message = HumanMessage([
        {"type": "text", "text": "Describe both."},
        {"type": "image", "base64": b64(png), "mime_type": "image/png"},
        {"type": "audio", "base64": b64(wav), "mime_type": "audio/wav"},
    ])  # fmt: skip
    model = traced_model(emulator, telemetry, normalize_media=False)
    model.invoke([SystemMessage("Be brief."), message])
    list(model.stream([message]))
    for span in telemetry.spans():
        user = next(content for name, content in events(span) if name == "gen_ai.user.message")
        image, audio = user["content"][1:]
        assert (image["type"], image["size"], image["sha256"]) == ("image", len(png), hashlib.sha256(png).hexdigest())
        assert (audio["type"], audio["size"], audio["sha256"]) == ("audio", len(wav), hashlib.sha256(wav).hexdigest())
        choice = events(span)[-1]
        assert choice[0] == "gen_ai.choice" and choice[1]["message"]["content"]
    values = all_attribute_values(telemetry)
    assert values and not any(API_KEY in value for value in values)
    assert not any(b64(png)[:40] in value or b64(wav)[:40] in value for value in values)


def test_the_key_is_nowhere_when_calls_fail(emulator: Emulator, telemetry: Telemetry) -> None:
    model = model_on(emulator, api_key="wrong-key-SECRET", tracer_provider=telemetry.tracer_provider,
                     meter_provider=telemetry.meter_provider, max_retries=0)  # fmt: skip
    with pytest.raises(HttpResponseError):
        model.invoke("Hi")
    assert telemetry.span().attributes["error.type"] == "401"  # type: ignore[index]
    assert not any("SECRET" in value or API_KEY in value for value in all_attribute_values(telemetry))


def test_tracing_false_records_nothing(emulator: Emulator, telemetry: Telemetry) -> None:
    model = traced_model(emulator, telemetry, tracing=False)
    model.invoke("Hi")
    list(model.stream("Hi"))
    assert telemetry.spans() == [] and telemetry.points("gen_ai.client.operation.duration") == []


async def test_the_ingest_commands_requests_are_one_span_each(
    emulator: Emulator, telemetry: Telemetry, tmp_path: Path
) -> None:
    for name, colour in (("a.png", "red"), ("b.png", "blue")):
        (tmp_path / name).write_bytes(image_bytes(32, 32, "PNG", colour))
    llm = traced_model(emulator, telemetry, "foundry")
    summary = await run_ingest(
        [tmp_path], task=Task.parse("describe"), out=tmp_path / "out.jsonl", llm=llm, progress=False
    )
    assert summary.done == 2
    spans = telemetry.spans()
    assert [s.name for s in spans] == [f"chat {emulator.model}"] * 2
    assert all(s.attributes and s.attributes["gen_ai.usage.input_tokens"] > 0 for s in spans)
