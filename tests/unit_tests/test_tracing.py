"""OpenTelemetry GenAI spans and metrics, through a ``MockWire`` (no sockets): the attributes of every call kind, a
stream's span ending however the stream does, errors, content only when asked for with media summarised, nothing
secret, ``tracing=False``, and the package without OpenTelemetry.

Providers are passed to the model (``tracer_provider=``, ``meter_provider=``); the global ones are set only in a
subprocess.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import subprocess
import sys
import textwrap
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from langchain_core.messages import AIMessage, HumanMessage, SystemMessage, ToolMessage
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode
from pydantic import BaseModel

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal._model_arguments import constructor_names
from langchain_azure_multimodal._tracing import (
    CONTENT_RECORDING_ENV_VARS,
    DURATION_BUCKETS,
    TOKEN_BUCKETS,
    TracedWire,
    _Choice,
    traced,
)
from langchain_azure_multimodal.endpoints import resolve_endpoint
from langchain_azure_multimodal.testing import MockWire, WireCall, completion, stream_events
from tests.support.media import b64, image_bytes, wav_bytes

ROOT = Path(__file__).resolve().parents[2]
V1 = "https://r.openai.azure.com/openai/v1"
FOUNDRY = "https://r.services.ai.azure.com/models"
USAGE = {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14}


@dataclass
class Telemetry:
    """Providers for one test, and what they got."""

    exporter: InMemorySpanExporter
    reader: InMemoryMetricReader
    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    def spans(self) -> list[ReadableSpan]:
        return list(self.exporter.get_finished_spans())

    def span(self) -> ReadableSpan:
        (only,) = self.spans()
        return only

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        return [
            point
            for resource in (data.resource_metrics if data else ())
            for scope in resource.scope_metrics
            for metric in scope.metrics
            if metric.name == name
            for point in metric.data.data_points
        ]

    def metric(self, name: str) -> Any:
        data = self.reader.get_metrics_data()
        found = [m for r in data.resource_metrics for s in r.scope_metrics for m in s.metrics if m.name == name]
        assert len(found) == 1, found
        return found[0]

    def model(self, endpoint: str = V1, handler: Any = None, **kwargs: Any) -> tuple[ChatAzureMultimodal, MockWire]:
        wire = MockWire(handler or answer)
        kwargs.setdefault("model", "gpt-4o")
        model = ChatAzureMultimodal(
            endpoint=endpoint, wire=wire, tracer_provider=self.tracer_provider, meter_provider=self.meter_provider,
            **kwargs,
        )  # fmt: skip
        return model, wire


def make_telemetry() -> Telemetry:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    reader = InMemoryMetricReader()
    return Telemetry(exporter, reader, tracer_provider, MeterProvider(metric_readers=[reader]))


@pytest.fixture
def telemetry(monkeypatch: pytest.MonkeyPatch) -> Iterator[Telemetry]:
    for name in CONTENT_RECORDING_ENV_VARS:  # content is off unless a test turns it on
        monkeypatch.delenv(name, raising=False)
    found = make_telemetry()
    yield found
    found.tracer_provider.shutdown()
    found.meter_provider.shutdown()


def answer(call: WireCall) -> Any:
    if call.kind == "stream":
        events = stream_events("Hel", "lo", model="gpt-4o-2024-11-20")
        return [*events, {"id": "mock-0", "model": "gpt-4o-2024-11-20", "choices": [], "usage": USAGE}]
    if call.kind == "model_info":
        return {"model_name": "gpt-4o", "model_type": "chat-completion", "model_provider_name": "OpenAI"}
    return {**completion("Hello", model="gpt-4o-2024-11-20"), "id": "chatcmpl-1", "usage": USAGE}


def all_attribute_values(telemetry: Telemetry) -> list[str]:
    """Every attribute value of every span, span event and metric point, as text."""
    values: list[Any] = []
    for span in telemetry.spans():
        values += [span.name, *(span.attributes or {}).values(), span.status.description]
        for event in span.events:
            values += [event.name, *(event.attributes or {}).values()]
    data = telemetry.reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                values += [value for point in metric.data.data_points for value in (point.attributes or {}).values()]
    return [str(value) for value in values]


def events(span: ReadableSpan) -> list[tuple[str, Any]]:
    return [(e.name, json.loads(str((e.attributes or {})["gen_ai.event.content"]))) for e in span.events]


# ----------------------------------------------------------------------------------------------- the attributes


def test_invoke_records_one_client_span_with_the_genai_attributes(telemetry: Telemetry) -> None:
    model, _ = telemetry.model(temperature=0.2, top_p=0.9, max_tokens=50, seed=7, stop=["END"],
                               presence_penalty=0.5, frequency_penalty=0.25, n=1)  # fmt: skip
    assert model.invoke("Hi").text == "Hello"
    span = telemetry.span()
    assert span.name == "chat gpt-4o" and span.kind is SpanKind.CLIENT
    assert span.instrumentation_scope is not None and span.instrumentation_scope.name == "langchain_azure_multimodal"
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "chat",
        "gen_ai.provider.name": "azure.ai.openai",
        "gen_ai.system": "az.ai.inference",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.request.temperature": 0.2,
        "gen_ai.request.top_p": 0.9,
        "gen_ai.request.max_tokens": 50,
        "gen_ai.request.seed": 7,
        "gen_ai.request.stop_sequences": ("END",),
        "gen_ai.request.presence_penalty": 0.5,
        "gen_ai.request.frequency_penalty": 0.25,
        "gen_ai.request.choice.count": 1,
        "server.address": "r.openai.azure.com",
        "server.port": 443,
        "gen_ai.response.id": "chatcmpl-1",
        "gen_ai.response.model": "gpt-4o-2024-11-20",
        "gen_ai.response.finish_reasons": ("stop",),
        "gen_ai.usage.input_tokens": 11,
        "gen_ai.usage.output_tokens": 3,
    }
    assert span.status.status_code is StatusCode.UNSET and span.events == ()


def test_model_inference_routes_name_their_provider_and_max_completion_tokens_is_the_limit(
    telemetry: Telemetry,
) -> None:
    model, _ = telemetry.model("http://gateway.example:8080/models", model="phi-4", max_completion_tokens=9)
    model.invoke("Hi")
    attributes = telemetry.span().attributes or {}
    assert attributes["gen_ai.provider.name"] == "azure.ai.inference"
    assert attributes["gen_ai.request.max_tokens"] == 9
    assert (attributes["server.address"], attributes["server.port"]) == ("gateway.example", 8080)
    plain, _ = telemetry.model("http://gateway.example/models", model="phi-4")
    plain.invoke("Hi")
    assert telemetry.spans()[-1].attributes["server.port"] == 80  # type: ignore[index]


def test_the_deployment_names_the_span_when_the_body_has_no_model(telemetry: Telemetry) -> None:
    model, wire = telemetry.model("https://r.openai.azure.com", model=None, azure_deployment="gpt-4o-mini")
    model.invoke("Hi")
    assert "model" not in wire.calls[0].body
    span = telemetry.span()
    assert span.name == "chat gpt-4o-mini" and span.attributes["gen_ai.request.model"] == "gpt-4o-mini"  # type: ignore[index]


async def test_ainvoke_records_the_same_span(telemetry: Telemetry) -> None:
    model, _ = telemetry.model(temperature=0)
    assert (await model.ainvoke("Hi")).text == "Hello"
    attributes = telemetry.span().attributes or {}
    assert attributes["gen_ai.request.temperature"] == 0 and attributes["gen_ai.usage.output_tokens"] == 3
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)


def test_stream_adds_up_id_model_finish_reasons_and_usage_from_the_events(telemetry: Telemetry) -> None:
    model, _ = telemetry.model()
    assert "".join(chunk.text for chunk in model.stream("Hi")) == "Hello"
    attributes = telemetry.span().attributes or {}
    assert attributes["gen_ai.response.id"] == "mock-0"
    assert attributes["gen_ai.response.model"] == "gpt-4o-2024-11-20"
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",)
    assert (attributes["gen_ai.usage.input_tokens"], attributes["gen_ai.usage.output_tokens"]) == (11, 3)


async def test_astream_adds_them_up_too(telemetry: Telemetry) -> None:
    model, _ = telemetry.model()
    assert "".join([chunk.text async for chunk in model.astream("Hi")]) == "Hello"
    attributes = telemetry.span().attributes or {}
    assert attributes["gen_ai.response.finish_reasons"] == ("stop",) and attributes["gen_ai.usage.input_tokens"] == 11


def test_batch_records_one_span_per_input(telemetry: Telemetry) -> None:
    model, _ = telemetry.model()
    assert [m.text for m in model.batch(["a", "b", "c"])] == ["Hello"] * 3
    spans = telemetry.spans()
    assert [s.name for s in spans] == ["chat gpt-4o"] * 3
    assert len({s.context.span_id for s in spans if s.context}) == 3


async def test_abatch_records_one_span_per_input(telemetry: Telemetry) -> None:
    model, _ = telemetry.model()
    await model.abatch(["a", "b"])
    assert len(telemetry.spans()) == 2


def _tool_call_answer(call: WireCall) -> Any:
    calls = [{"id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a": 1, "b": 2}'}}]
    message = {"role": "assistant", "content": None, "tool_calls": calls}
    return {**completion(), "choices": [{"index": 0, "finish_reason": "tool_calls", "message": message}]}


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


def test_bound_tools_calls_are_spans_and_tool_arguments_stay_out_by_default(telemetry: Telemetry) -> None:
    model, wire = telemetry.model(handler=_tool_call_answer)
    reply = model.bind_tools([add], tool_choice="add").invoke("What is 1 + 2?")
    assert reply.tool_calls[0]["args"] == {"a": 1, "b": 2}
    span = telemetry.span()
    assert span.attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)  # type: ignore[index]
    assert span.events == ()
    assert not any('"a": 1' in value or "What is" in value for value in all_attribute_values(telemetry))
    assert wire.calls[0].body["tools"][0]["function"]["name"] == "add"


class Answer(BaseModel):
    city: str


@pytest.mark.parametrize("method", ["json_schema", "json_mode"])
def test_structured_output_calls_record_json_output(telemetry: Telemetry, method: str) -> None:
    model, _ = telemetry.model(handler=lambda call: completion('{"city": "Paris"}'))
    structured = model.with_structured_output(Answer if method == "json_schema" else None, method=method)  # type: ignore[arg-type]
    assert structured.invoke("Where? Answer in JSON.") in (Answer(city="Paris"), {"city": "Paris"})
    assert telemetry.span().attributes["gen_ai.output.type"] == "json"  # type: ignore[index]


def test_a_text_response_format_records_text_output(telemetry: Telemetry) -> None:
    model, _ = telemetry.model()
    model.invoke("Hi", response_format={"type": "text"})
    assert telemetry.span().attributes["gen_ai.output.type"] == "text"  # type: ignore[index]


def test_model_info_gets_no_span(telemetry: Telemetry) -> None:
    model, _ = telemetry.model(FOUNDRY, model="unknown-model")
    assert model.get_model_info()["model_name"] == "gpt-4o"
    assert telemetry.spans() == []


# ------------------------------------------------------------------------------------------------ stream endings


def test_a_stream_left_early_still_ends_its_span_without_an_error(telemetry: Telemetry) -> None:
    model, _ = telemetry.model()
    for _ in model.stream("Hi"):
        break
    span = telemetry.span()
    assert span.end_time is not None and span.status.status_code is StatusCode.UNSET
    assert "error.type" not in (span.attributes or {})
    assert telemetry.points("gen_ai.client.operation.duration")[0].count == 1


async def test_an_async_stream_left_early_still_ends_its_span(telemetry: Telemetry) -> None:
    model, _ = telemetry.model()
    stream = model.astream("Hi")
    async for _ in stream:
        break
    await stream.aclose()  # type: ignore[attr-defined]
    span = telemetry.span()
    assert span.end_time is not None and span.status.status_code is StatusCode.UNSET


class BrokenStreamWire(MockWire):
    """A wire whose streams fail after their first event, as a connection lost mid-stream does."""

    @contextmanager
    def stream(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> Iterator[Iterator[Any]]:
        def events() -> Iterator[dict[str, Any]]:
            yield stream_events("Hel")[0]
            raise ConnectionResetError("connection lost")

        yield events()


def test_a_stream_that_fails_part_way_ends_its_span_with_the_error(telemetry: Telemetry) -> None:
    wire = BrokenStreamWire(answer)
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=wire, tracer_provider=telemetry.tracer_provider)
    with pytest.raises(ConnectionResetError, match="connection lost"):
        list(model.stream("Hi"))
    span = telemetry.span()
    assert span.attributes["error.type"] == "ConnectionResetError"  # type: ignore[index]
    assert span.status.status_code is StatusCode.ERROR and span.status.description == "connection lost"
    assert span.attributes["gen_ai.response.id"] == "mock-0"  # type: ignore[index]


# ------------------------------------------------------------------------------------------------------- errors


def _throttled(call: WireCall) -> Any:
    error = HttpResponseError(message="(429) Rate limit exceeded. Try again in 1 second.\nCode: 429")
    error.status_code = 429
    raise error


@pytest.mark.parametrize("kind", ["invoke", "ainvoke", "stream", "astream"])
def test_an_error_answer_sets_error_type_to_its_status_and_is_raised_unchanged(telemetry: Telemetry, kind: str) -> None:
    model, _ = telemetry.model(handler=_throttled)

    async def run_async() -> None:
        if kind == "ainvoke":
            await model.ainvoke("Hi")
        else:
            _ = [chunk async for chunk in model.astream("Hi")]

    def run() -> None:
        if kind == "invoke":
            model.invoke("Hi")
        elif kind == "stream":
            list(model.stream("Hi"))
        else:
            asyncio.run(run_async())

    with pytest.raises(HttpResponseError) as caught:
        run()
    assert caught.value.status_code == 429
    span = telemetry.span()
    assert span.attributes["error.type"] == "429"  # type: ignore[index]
    assert span.status.status_code is StatusCode.ERROR
    assert span.status.description == "(429) Rate limit exceeded. Try again in 1 second."
    (exception,) = span.events
    assert exception.name == "exception" and exception.attributes["exception.type"].endswith("HttpResponseError")  # type: ignore[index]
    (failed,) = telemetry.points("gen_ai.client.operation.duration")
    assert failed.attributes["error.type"] == "429"
    assert telemetry.points("gen_ai.client.token.usage") == []


def test_another_error_is_named_by_its_class(telemetry: Telemetry) -> None:
    def broken(call: WireCall) -> Any:
        raise TimeoutError("read timed out")

    model, _ = telemetry.model(handler=broken)
    with pytest.raises(TimeoutError):
        model.invoke("Hi")
    assert telemetry.span().attributes["error.type"] == "TimeoutError"  # type: ignore[index]


def test_error_texts_lose_their_media(telemetry: Telemetry) -> None:
    payload = b64(image_bytes(32, 32))

    def echoes(call: WireCall) -> Any:
        raise ValueError(f"bad image data:image/png;base64,{payload} and {payload}")

    model, _ = telemetry.model(handler=echoes)
    with pytest.raises(ValueError, match="bad image"):
        model.invoke("Hi")
    values = all_attribute_values(telemetry)
    assert any(value.startswith("bad image") for value in values)
    assert not any(payload[:40] in value for value in values)


# ------------------------------------------------------------------------------------------------------ content

MULTIMODAL = "phi-4-multimodal-instruct"  # takes images and audio
PNG = image_bytes(40, 30)
WAV = wav_bytes(0.25)


def _rich_conversation() -> list[Any]:
    return [
        SystemMessage("Be brief."),
        HumanMessage([
            {"type": "text", "text": "What is in these?"},
            {"type": "image", "base64": b64(PNG), "mime_type": "image/png", "extras": {"detail": "low"}},
            {"type": "image_url", "image_url": {"url": "https://img.example/cat.png?sig=SECRET-SAS&x=1"}},
            {"type": "audio", "base64": b64(WAV), "mime_type": "audio/wav"},
        ]),
        AIMessage("", tool_calls=[{"id": "c1", "name": "add", "args": {"a": 1, "b": 2}}]),
        ToolMessage("3", tool_call_id="c1"),
    ]  # fmt: skip


def test_no_content_is_recorded_by_default(telemetry: Telemetry) -> None:
    model, _ = telemetry.model(FOUNDRY, model=MULTIMODAL, normalize_media=False)
    model.invoke(_rich_conversation())
    assert telemetry.span().events == ()
    values = " ".join(all_attribute_values(telemetry))
    assert "Be brief" not in values and "Hello" not in values and "img.example" not in values


@pytest.mark.parametrize("variable", CONTENT_RECORDING_ENV_VARS)
def test_content_when_asked_has_every_media_item_summarised(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch, variable: str
) -> None:
    monkeypatch.setenv(variable, "TRUE")
    model, wire = telemetry.model(FOUNDRY, model=MULTIMODAL, normalize_media=False)
    model.invoke(_rich_conversation())
    span = telemetry.span()
    recorded = events(span)
    assert [name for name, _ in recorded] == [
        "gen_ai.system.message", "gen_ai.user.message", "gen_ai.assistant.message", "gen_ai.tool.message",
        "gen_ai.choice",
    ]  # fmt: skip
    assert all(e.attributes["gen_ai.system"] == "az.ai.inference" for e in span.events)  # type: ignore[index]
    assert [e.timestamp for e in span.events] == sorted({e.timestamp for e in span.events})  # in order, distinct
    assert recorded[0][1] == {"role": "system", "content": "Be brief."}
    text, image, linked, audio = recorded[1][1]["content"]
    assert text == {"type": "text", "text": "What is in these?"}
    assert image == {"type": "image", "mime_type": "image/png", "size": len(PNG), "detail": "low",
                     "sha256": hashlib.sha256(PNG).hexdigest()}  # fmt: skip
    assert linked == {"type": "image_url", "image_url": {"url": "https://img.example/cat.png"}}
    assert audio == {"type": "audio", "mime_type": "audio/wav", "size": len(WAV),
                     "sha256": hashlib.sha256(WAV).hexdigest()}  # fmt: skip
    assert recorded[2][1]["tool_calls"][0]["function"] == {"name": "add", "arguments": '{"a": 1, "b": 2}'}
    assert recorded[3][1] == {"role": "tool", "content": "3", "tool_call_id": "c1"}
    assert recorded[4][1] == {"index": 0, "finish_reason": "stop", "message": {"content": "Hello"}}
    values = all_attribute_values(telemetry)
    for secret in (b64(PNG)[:40], b64(WAV)[:40], "SECRET-SAS", "base64,"):
        assert not any(secret in value for value in values), secret
    # The wire got the media as it was: tracing changed nothing it sends.
    assert wire.calls[0].body["messages"][1]["content"][1]["image_url"]["url"].endswith(b64(PNG))


def test_content_off_when_the_variable_is_not_true(telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(CONTENT_RECORDING_ENV_VARS[0], "1")
    model, _ = telemetry.model()
    model.invoke("Hi")
    assert telemetry.span().events == ()


def test_a_streamed_answer_is_one_choice_event_with_its_tool_calls(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONTENT_RECORDING_ENV_VARS[0], "true")

    def streamed_call(call: WireCall) -> Any:
        first = {"index": 0, "id": "call_1", "type": "function", "function": {"name": "add", "arguments": '{"a": '}}
        rest = {"index": 0, "function": {"arguments": "1}"}}

        def event(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
            return {"id": "s-1", "model": "gpt-4o", "choices": [{"index": 0, "delta": delta, "finish_reason": finish}]}

        return [event({"role": "assistant", "content": "Adding."}), event({"tool_calls": [first]}),
                event({"tool_calls": [rest]}), event({}, "tool_calls")]  # fmt: skip

    model, _ = telemetry.model(handler=streamed_call)
    list(model.bind_tools([add]).stream("add 1"))
    name, choice = events(telemetry.span())[-1]
    assert name == "gen_ai.choice"
    assert choice == {"index": 0, "finish_reason": "tool_calls", "message": {
        "content": "Adding.", "tool_calls": [{"function": {"name": "add", "arguments": '{"a": 1}'}, "id": "call_1",
                                              "type": "function"}]}}  # fmt: skip


SPOKEN = wav_bytes(0.1, freq=220)


def _spoken(call: WireCall) -> Any:
    audio = {"id": "audio_1", "data": b64(SPOKEN), "expires_at": 2_000_000_000, "transcript": "Hola."}
    if call.kind == "complete":
        message = {"role": "assistant", "content": None, "audio": audio}
        return {**completion(), "choices": [{"index": 0, "finish_reason": "stop", "message": message}]}
    data = audio["data"]
    pieces = [{"id": "audio_1", "transcript": "Ho"}, {"transcript": "la."}]
    pieces += [{"data": data[i : i + 400]} for i in range(0, len(data), 400)] + [{"expires_at": 2_000_000_000}]
    choice = {"index": 0, "finish_reason": None}
    return [{"id": "s", "choices": [{**choice, "delta": {"audio": piece}}]} for piece in pieces] + [
        {"id": "s", "choices": [{**choice, "delta": {}, "finish_reason": "stop"}]}
    ]


@pytest.mark.parametrize("kind", ["invoke", "stream"])
def test_a_spoken_answer_is_summarised_with_its_transcript(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    monkeypatch.setenv(CONTENT_RECORDING_ENV_VARS[1], "true")
    model, _ = telemetry.model(
        "https://r.openai.azure.com/openai/deployments/gpt-4o-audio-preview", model="gpt-4o-audio-preview",
        handler=_spoken, modalities=["text", "audio"], audio={"voice": "alloy", "format": "wav"},
    )  # fmt: skip
    if kind == "invoke":
        model.invoke("Say hola")
    else:
        list(model.stream("Say hola"))
    _, choice = events(telemetry.span())[-1]
    assert choice["message"]["audio"] == {
        "type": "audio", "mime_type": "audio/wav", "size": len(SPOKEN), "sha256": hashlib.sha256(SPOKEN).hexdigest(),
        "id": "audio_1", "expires_at": 2_000_000_000, "transcript": "Hola.",
    }  # fmt: skip
    assert not any(b64(SPOKEN)[:40] in value for value in all_attribute_values(telemetry))


def test_audio_pieces_that_split_a_base64_quantum_still_add_up() -> None:
    data = base64.b64encode(SPOKEN).decode()
    choice = _Choice()
    for start in range(0, len(data), 7):
        choice.add({"audio": {"data": data[start : start + 7]}})
    audio = choice.content(0, "stop", "mp3")["message"]["audio"]
    assert audio["mime_type"] == "audio/mpeg"
    assert (audio["size"], audio["sha256"]) == (len(SPOKEN), hashlib.sha256(SPOKEN).hexdigest())


# -------------------------------------------------------------------------------------------- nothing secret


def test_headers_and_the_endpoint_query_are_never_recorded(
    telemetry: Telemetry, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(CONTENT_RECORDING_ENV_VARS[0], "true")
    inner = MockWire(answer)
    settings = resolve_endpoint("https://r.openai.azure.com/openai/deployments/gpt-4o?api-version=2025-01-01-preview")
    wire = TracedWire(inner, settings=settings, model="gpt-4o", tracer_provider=telemetry.tracer_provider,
                      meter_provider=telemetry.meter_provider)  # fmt: skip
    body = {"messages": [{"role": "user", "content": "Hi"}], "temperature": 0}
    headers = {"api-key": "SECRET-KEY-1", "Authorization": "Bearer SECRET-TOKEN", "extra-parameters": "pass-through"}
    assert wire.complete(body, headers)["id"] == "chatcmpl-1"
    with wire.stream(body, headers) as streamed:
        list(streamed)
    values = " ".join(all_attribute_values(telemetry))
    for secret in ("SECRET-KEY-1", "SECRET-TOKEN", "api-version", "2025-01-01", "pass-through"):
        assert secret not in values
    # The inner wire got exactly what it would untraced.
    assert [call.body for call in inner.calls] == [body, {**body, "stream": True}]
    assert [call.headers for call in inner.calls] == [headers, headers]


def test_the_inner_wire_gets_the_same_objects() -> None:
    seen: list[tuple[object, object]] = []

    class Recorder(MockWire):
        def complete(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
            seen.append((body, headers))
            return completion()

    body: dict[str, Any] = {"messages": [{"role": "user", "content": "Hi"}]}
    headers = {"extra-parameters": "drop"}
    traced(Recorder(answer), settings=resolve_endpoint(V1), model="m").complete(body, headers)
    assert seen[0][0] is body and seen[0][1] is headers


# ------------------------------------------------------------------------------------------ switched off, missing


def test_the_new_fields_are_known_arguments_not_model_extras(telemetry: Telemetry) -> None:
    assert {"tracing", "tracer_provider", "meter_provider"} <= constructor_names(ChatAzureMultimodal)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # an unknown argument would warn and become a model extra
        model, wire = telemetry.model(tracing=True)
    assert model.model_extras == {}
    model.invoke("Hi")
    assert set(wire.calls[0].body) == {"messages", "model"}


def test_tracing_false_records_nothing_and_leaves_the_wire_unwrapped(telemetry: Telemetry) -> None:
    model, wire = telemetry.model(tracing=False)
    model.invoke("Hi")
    list(model.stream("Hi"))
    assert telemetry.spans() == [] and telemetry.points("gen_ai.client.operation.duration") == []
    assert model._chat_wire() is wire


def test_tracing_is_on_by_default_and_never_serialised(telemetry: Telemetry) -> None:
    from langchain_core.load import dumpd

    model, _ = telemetry.model()
    assert model.tracing is True and isinstance(model._chat_wire(), TracedWire)
    kwargs = dumpd(model)["kwargs"]
    assert "tracer_provider" not in kwargs and "meter_provider" not in kwargs
    assert "tracer_provider" not in repr(model)


def test_traced_gives_back_a_wire_it_need_not_wrap() -> None:
    inner = MockWire(answer)
    settings = resolve_endpoint(V1)
    assert traced(inner, settings=settings, model=None, enabled=False) is inner
    once = traced(inner, settings=settings, model=None)
    assert isinstance(once, TracedWire) and traced(once, settings=settings, model=None) is once


def run_python(code: str) -> str:
    done = subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_the_package_works_without_opentelemetry() -> None:
    out = run_python(
        """
        import sys
        sys.modules["opentelemetry"] = None  # as if it were not installed: importing it raises ImportError
        from langchain_azure_multimodal import ChatAzureMultimodal
        from langchain_azure_multimodal.testing import MockWire, completion
        wire = MockWire(lambda call: completion("Hello"))
        model = ChatAzureMultimodal(endpoint="https://r.openai.azure.com/openai/v1", model="gpt-4o", wire=wire)
        assert model.invoke("Hi").text == "Hello"
        assert model._chat_wire() is wire
        assert not any(name.startswith("opentelemetry.") for name in sys.modules)
        print("ok")
        """
    )
    assert out.strip() == "ok"


def test_the_global_providers_are_used_when_none_is_given() -> None:
    out = run_python(
        """
        from opentelemetry import metrics, trace
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader
        from opentelemetry.sdk.trace import TracerProvider
        from opentelemetry.sdk.trace.export import SimpleSpanProcessor
        from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
        from langchain_azure_multimodal import ChatAzureMultimodal
        from langchain_azure_multimodal.testing import MockWire, completion

        # The model is made, and even called, before the app sets its providers: the proxies follow them.
        model = ChatAzureMultimodal(endpoint="https://r.openai.azure.com/openai/v1", model="gpt-4o",
                                    wire=MockWire(lambda call: completion("Hello")))
        model.invoke("before")
        exporter, reader = InMemorySpanExporter(), InMemoryMetricReader()
        provider = TracerProvider()
        provider.add_span_processor(SimpleSpanProcessor(exporter))
        trace.set_tracer_provider(provider)
        metrics.set_meter_provider(MeterProvider(metric_readers=[reader]))
        model.invoke("after")
        names = [m.name for r in reader.get_metrics_data().resource_metrics for s in r.scope_metrics for m in s.metrics]
        print([s.name for s in exporter.get_finished_spans()], sorted(names))
        """
    )
    assert out.strip() == "['chat gpt-4o'] ['gen_ai.client.operation.duration', 'gen_ai.client.token.usage']"


# ------------------------------------------------------------------------------------------------------ metrics


def test_metrics_record_duration_and_tokens_with_the_semconv_attributes(telemetry: Telemetry) -> None:
    model, _ = telemetry.model()
    model.invoke("Hi")
    list(model.stream("Hi"))
    common = {
        "gen_ai.operation.name": "chat", "gen_ai.provider.name": "azure.ai.openai", "gen_ai.request.model": "gpt-4o",
        "gen_ai.response.model": "gpt-4o-2024-11-20", "server.address": "r.openai.azure.com", "server.port": 443,
    }  # fmt: skip
    (duration,) = telemetry.points("gen_ai.client.operation.duration")
    assert dict(duration.attributes) == common and duration.count == 2 and 0 < duration.sum < 5
    assert tuple(duration.explicit_bounds) == DURATION_BUCKETS
    tokens = {p.attributes["gen_ai.token.type"]: p for p in telemetry.points("gen_ai.client.token.usage")}
    assert set(tokens) == {"input", "output"}
    assert (tokens["input"].sum, tokens["input"].count, tokens["output"].sum) == (22, 2, 6)
    assert dict(tokens["input"].attributes) == {**common, "gen_ai.token.type": "input"}
    assert tuple(tokens["input"].explicit_bounds) == TOKEN_BUCKETS
    assert telemetry.metric("gen_ai.client.token.usage").unit == "{token}"
    assert telemetry.metric("gen_ai.client.operation.duration").unit == "s"


# ------------------------------------------------------------------------------------------------------ context


def test_the_span_is_a_child_of_the_callers_span(telemetry: Telemetry) -> None:
    model, _ = telemetry.model()
    tracer = telemetry.tracer_provider.get_tracer("app")
    with tracer.start_as_current_span("handle request") as parent:
        model.invoke("Hi")
        list(model.stream("Hi"))
    chats = [s for s in telemetry.spans() if s.name == "chat gpt-4o"]
    assert len(chats) == 2
    for chat in chats:
        assert chat.parent is not None and chat.parent.span_id == parent.get_span_context().span_id
        assert chat.context is not None and chat.context.trace_id == parent.get_span_context().trace_id


def test_the_span_is_current_while_the_inner_wire_works(telemetry: Telemetry) -> None:
    from opentelemetry import trace

    seen: list[Any] = []

    def handler(call: WireCall) -> Any:
        seen.append(trace.get_current_span().get_span_context().span_id)
        return answer(call)

    model, _ = telemetry.model(handler=handler)
    model.invoke("Hi")
    list(model.stream("Hi"))
    assert seen == [s.context.span_id for s in telemetry.spans() if s.context]
    assert trace.get_current_span().get_span_context().is_valid is False  # nothing left attached


def test_no_global_providers_tells_the_api_proxies_from_a_set_provider() -> None:
    # The meter proxy's class is private to opentelemetry-api: if the API renames it, this fails, loudly, instead of
    # the package tracing nothing (or everything) without a word.
    out = run_python(
        """
        from opentelemetry import metrics
        from opentelemetry.sdk.metrics import MeterProvider
        from langchain_azure_multimodal import _tracing

        before = _tracing.no_global_providers()
        metrics.set_meter_provider(MeterProvider())
        print(before, _tracing.no_global_providers())
        """
    )
    assert out.split() == ["True", "False"]
