"""OpenTelemetry GenAI spans and metrics for every chat call, by the GenAI semantic conventions; safe by default.

:func:`traced` wraps the chat model's wire (:class:`~._azure.interface.Wire`) in a :class:`TracedWire`, as an httpx
transport wrapper wraps a transport: the inner wire gets exactly the body and headers it would get untraced. Nothing
here imports ``opentelemetry`` at import time: without ``opentelemetry-api`` (the ``tracing`` extra) :func:`traced`
gives the wire back unwrapped, and with the API but no SDK set up its tracer and meter are no-ops.

What is recorded, for each ``complete``/``acomplete``/``stream``/``astream`` (``model_info`` gets no span):

- one CLIENT span ``chat {model}``, a child of the caller's current span, with ``gen_ai.operation.name`` ``chat``;
  ``gen_ai.provider.name`` (``azure.ai.openai`` on OpenAI-protocol routes, else ``azure.ai.inference``) and the
  older ``gen_ai.system`` ``az.ai.inference`` (what azure-ai-inference's ``AIInferenceInstrumentor`` sets);
  ``gen_ai.request.model`` and each request setting sent (``temperature``, ``top_p``, ``max_tokens`` or
  ``max_completion_tokens``, ``seed``, ``stop_sequences``, ``presence_penalty``, ``frequency_penalty``,
  ``choice.count`` from ``n``, ``gen_ai.output.type`` from ``response_format``); ``server.address`` and
  ``server.port``; from the answer ``gen_ai.response.id``, ``.model``, ``.finish_reasons`` and
  ``gen_ai.usage.input_tokens``/``output_tokens``. A stream's span lasts from ``stream()`` until its events end, it
  fails, or it is left early. A failure sets ``error.type`` (the HTTP status for an error answer, such as ``429``,
  else the exception's class name), status ERROR and an exception event; the exception is re-raised unchanged.
- histograms ``gen_ai.client.operation.duration`` (s) and ``gen_ai.client.token.usage`` (``{token}``, by
  ``gen_ai.token.type``), with the semantic conventions' bucket boundaries.
- message content only when ``OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT`` or
  ``AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED`` is ``true`` (read at each call): span events
  ``gen_ai.{role}.message`` per request message and ``gen_ai.choice`` per answer, as azure-ai-inference records
  them, with every image and audio clip summarised by type, MIME type, size, detail and SHA-256 of its bytes.

What never is: headers, the endpoint's query string, keys, tokens or anything else of the credential; media bytes,
base64 or data URLs (also not in error texts: long base64 runs are cut out of them); the query string and user info
of a media URL; and, unless asked for as above, any message content, tool argument or answer text.

Example:
    >>> from langchain_azure_multimodal.endpoints import resolve_endpoint
    >>> from langchain_azure_multimodal.testing import MockWire, completion
    >>> settings = resolve_endpoint("https://r.openai.azure.com/openai/v1")
    >>> wire = MockWire(lambda call: completion("Hi"))
    >>> traced(wire, settings=settings, model="gpt-4o", enabled=False) is wire
    True
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import time
import traceback
from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AsyncExitStack, ExitStack, asynccontextmanager, contextmanager
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from ._azure.interface import Wire
from ._urls import decode_base64, is_data_url, is_http_url, parse_data_url
from .endpoints import EndpointSettings
from .profiles import AUDIO_MIME_TYPES, AUDIO_OUTPUT_MIME_TYPES
from .protocols import Protocol

__all__ = [
    "CONTENT_RECORDING_ENV_VARS", "DURATION_BUCKETS", "GEN_AI_SYSTEM", "INSTRUMENTATION_NAME", "TOKEN_BUCKETS",
    "TracedWire", "content_recording_enabled", "error_type", "provider_name", "request_attributes", "summarise_item",
    "summarise_message", "traced",
]  # fmt: skip

#: The instrumentation scope's name (its version is the package's).
INSTRUMENTATION_NAME = "langchain_azure_multimodal"
#: ``gen_ai.system`` as azure-ai-inference's instrumentor sets it, so that dashboards built on it keep working.
GEN_AI_SYSTEM = "az.ai.inference"
#: Either set to ``true`` (any case) records message content as span events; read at each call.
CONTENT_RECORDING_ENV_VARS = (
    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT",
    "AZURE_TRACING_GEN_AI_CONTENT_RECORDING_ENABLED",
)
#: The semantic conventions' advised bucket boundaries for ``gen_ai.client.token.usage``.
TOKEN_BUCKETS = (1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864)
#: The semantic conventions' advised bucket boundaries for ``gen_ai.client.operation.duration`` (seconds).
DURATION_BUCKETS = (0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92)
#: Request settings recorded as they are: body key -> attribute.
_SETTINGS = {
    "temperature": "gen_ai.request.temperature", "top_p": "gen_ai.request.top_p", "seed": "gen_ai.request.seed",
    "presence_penalty": "gen_ai.request.presence_penalty", "frequency_penalty": "gen_ai.request.frequency_penalty",
    "n": "gen_ai.request.choice.count",
}  # fmt: skip
_OUTPUT_TYPES = {"json_object": "json", "json_schema": "json", "text": "text"}
_SHORT = 200
_MAPPINGS = (dict, Mapping)  # dict first: wire JSON is dicts, and the ABC's check is slow
# A data URL, or a long run of base64, in an error's text: cut out, so no media reaches a span through an error.
_MEDIA_TEXT = re.compile(r"data:[^,\s]*,[A-Za-z0-9+/=%]*|[A-Za-z0-9+/]{120,}={0,2}", re.IGNORECASE)


def content_recording_enabled() -> bool:
    """Whether message content is recorded: one of :data:`CONTENT_RECORDING_ENV_VARS` is ``true`` (any case)."""
    return any(os.environ.get(name, "").strip().lower() == "true" for name in CONTENT_RECORDING_ENV_VARS)


def provider_name(settings: EndpointSettings) -> str:
    """``gen_ai.provider.name``: ``azure.ai.openai`` on OpenAI-protocol routes, else ``azure.ai.inference``."""
    return "azure.ai.openai" if settings.protocol is Protocol.OPENAI else "azure.ai.inference"


def traced(
    inner: Wire,
    *,
    settings: EndpointSettings,
    model: str | None,
    enabled: bool = True,
    tracer_provider: Any = None,
    meter_provider: Any = None,
) -> Wire:
    """``inner`` wrapped in a :class:`TracedWire`; ``inner`` itself when ``enabled`` is False, when it is traced
    already, or when ``opentelemetry-api`` is not installed."""
    if not enabled or isinstance(inner, TracedWire):
        return inner
    try:
        import opentelemetry.metrics
        import opentelemetry.trace  # noqa: F401 - only whether it imports
    except ImportError:
        return inner
    return TracedWire(
        inner, settings=settings, model=model, tracer_provider=tracer_provider, meter_provider=meter_provider
    )


def no_global_providers() -> bool:
    """Whether neither a tracer provider nor a meter provider has been set globally (the API hands out proxies
    until one is). The meter proxy's class is private to opentelemetry-api: this is the one place that names it, and
    ``test_tracing`` fails loudly if the API stops answering with it. A provider once set stays set (the API refuses
    to replace it), so after the first "no" the answer is kept."""
    global _PROVIDERS_SET, _LOOKUPS
    if _PROVIDERS_SET:
        return False
    if _LOOKUPS is None:  # imported once: this runs before every call
        from opentelemetry import metrics, trace

        _LOOKUPS = (trace.get_tracer_provider, trace.ProxyTracerProvider, metrics.get_meter_provider)
    tracer_provider, proxy, meter_provider = _LOOKUPS
    idle = isinstance(tracer_provider(), proxy) and type(meter_provider()).__name__ == "_ProxyMeterProvider"
    _PROVIDERS_SET = not idle
    return idle


_PROVIDERS_SET = False
_LOOKUPS: tuple[Any, Any, Any] | None = None


class _Instruments:
    """The tracer and the two histograms of one :class:`TracedWire`, made on its first call."""

    def __init__(self, tracer_provider: Any, meter_provider: Any) -> None:
        from opentelemetry import context, metrics, trace

        from . import __version__

        self.tracer = trace.get_tracer(INSTRUMENTATION_NAME, __version__, tracer_provider=tracer_provider)
        meter = metrics.get_meter(INSTRUMENTATION_NAME, __version__, meter_provider=meter_provider)
        self.duration = _histogram(meter, "gen_ai.client.operation.duration", "s", "GenAI operation duration.",
                                   DURATION_BUCKETS)  # fmt: skip
        self.tokens = _histogram(meter, "gen_ai.client.token.usage", "{token}",
                                 "Number of input and output tokens used.", TOKEN_BUCKETS)  # fmt: skip
        self.client_kind = trace.SpanKind.CLIENT
        self.in_context = trace.set_span_in_context
        self.attach, self.detach = context.attach, context.detach


def _histogram(meter: Any, name: str, unit: str, description: str, buckets: tuple[float, ...]) -> Any:
    try:
        return meter.create_histogram(name, unit=unit, description=description,
                                      explicit_bucket_boundaries_advisory=list(buckets))  # fmt: skip
    except TypeError:  # an API without advisory boundaries
        return meter.create_histogram(name, unit=unit, description=description)


class TracedWire:
    """A :class:`~._azure.interface.Wire` that records a GenAI span and metrics for each chat call to ``inner``.

    ``settings`` give the server and the provider name; ``model`` (the deployment name) names the model when the
    body does not. The tracer and meter come from ``tracer_provider``/``meter_provider``, else OpenTelemetry's
    global providers; they are made on the first call. Errors reach the caller unchanged.
    """

    def __init__(
        self,
        inner: Wire,
        *,
        settings: EndpointSettings,
        model: str | None,
        tracer_provider: Any = None,
        meter_provider: Any = None,
    ) -> None:
        self.inner, self.settings, self.model = inner, settings, model
        self._providers = (tracer_provider, meter_provider)
        self._instruments: _Instruments | None = None
        self._named: dict[Any, tuple[str, dict[str, Any], dict[str, Any]]] = {}
        url = urlsplit(settings.endpoint)
        self._base: dict[str, Any] = {
            "gen_ai.operation.name": "chat",
            "gen_ai.provider.name": provider_name(settings),
            "server.address": url.hostname or "",
            "server.port": url.port or (443 if url.scheme == "https" else 80),
        }

    def _idle(self) -> bool:
        """No provider given and none set globally: every span and record would be a no-op, so none is made."""
        return self._providers == (None, None) and no_global_providers()

    def _call(self, body: Mapping[str, Any]) -> _Call:
        if self._instruments is None:
            self._instruments = _Instruments(*self._providers)
        model = body.get("model") or self.model
        named = self._named.get(model)
        if named is None:  # the span's name and the attributes known before the call, once per model
            attributes = {**self._base, "gen_ai.request.model": model} if model else dict(self._base)
            named = (f"chat {model}" if model else "chat", attributes, {**attributes, "gen_ai.system": GEN_AI_SYSTEM})
            if len(self._named) < 64:
                self._named[model] = named
        return _Call(self._instruments, named, body)

    def complete(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        if self._idle():
            return self.inner.complete(body, headers)
        call = self._call(body)
        with call:
            with call.current():
                answer = self.inner.complete(body, headers)
            call.read(answer, "message")
        return answer

    @contextmanager
    def stream(
        self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> Iterator[Iterator[dict[str, Any]]]:
        if self._idle():
            with self.inner.stream(body, headers) as events:
                yield events
            return
        call = self._call(body)
        with call, ExitStack() as stack:
            with call.current():  # the current span while the request is sent, not across the yields
                events = stack.enter_context(self.inner.stream(body, headers))
            yield call.watch(events)

    def model_info(self) -> dict[str, Any]:
        return self.inner.model_info()

    def close(self) -> None:
        self.inner.close()

    async def acomplete(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        if self._idle():
            return await self.inner.acomplete(body, headers)
        call = self._call(body)
        with call:
            with call.current():
                answer = await self.inner.acomplete(body, headers)
            call.read(answer, "message")
        return answer

    @asynccontextmanager
    async def astream(
        self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        if self._idle():
            async with self.inner.astream(body, headers) as events:
                yield events
            return
        call = self._call(body)
        with call:
            async with AsyncExitStack() as stack:
                with call.current():
                    events = await stack.enter_async_context(self.inner.astream(body, headers))
                yield call.awatch(events)

    async def amodel_info(self) -> dict[str, Any]:
        return await self.inner.amodel_info()

    async def aclose(self) -> None:
        await self.inner.aclose()


class _Call:
    """One chat call: its span, what the answer said so far, and the metrics recorded when it ends."""

    def __init__(self, tools: _Instruments, named: tuple[str, dict[str, Any], dict[str, Any]], body: Mapping[str, Any]):
        self.tools, self.started, self.ended = tools, time.perf_counter(), False
        name, self.attributes, span_attributes = named  # shared between calls: never changed
        self.span = tools.tracer.start_span(name, kind=tools.client_kind, attributes=span_attributes)
        self.found: dict[str, Any] = {}  # response attributes read so far
        self.finish_reasons: dict[int, str] = {}
        self.choices: dict[int, _Choice] = {}
        self.last_event_ns = 0
        self.audio_format = _map(body.get("audio")).get("format")
        self.content = False
        if self.span.is_recording():
            self.span.set_attributes(request_attributes(body))
            self.content = content_recording_enabled()
        for message in body.get("messages") or () if self.content else ():
            if isinstance(message, Mapping) and message.get("role"):
                self.event(f"gen_ai.{message['role']}.message", summarise_message(message))

    def __enter__(self) -> _Call:
        return self

    def __exit__(self, kind: object, error: BaseException | None, trace: object) -> None:
        """The call ends with its block: failed if it raised, not if it was closed (a stream left early)."""
        self.end(None if isinstance(error, GeneratorExit) else error)

    def current(self) -> _Current:
        """A block in which the call's span is the current one."""
        return _Current(self.tools, self.span)

    def event(self, name: str, content: Any) -> None:
        # Each 1 µs after the last at least, as azure-ai-inference does, so that backends keep the order.
        self.last_event_ns = max(time.time_ns(), self.last_event_ns + 1000)
        attributes = {
            "gen_ai.system": GEN_AI_SYSTEM,
            "gen_ai.event.content": json.dumps(content, ensure_ascii=False, default=str),
        }
        self.span.add_event(name, attributes, self.last_event_ns)

    def read(self, answer: Mapping[str, Any], part: str = "delta") -> None:
        """Read an answer (``part="message"``) or one streamed event (``"delta"``; ``choices: []`` too)."""
        found = self.found
        if answer.get("id"):
            found["gen_ai.response.id"] = str(answer["id"])
        if answer.get("model"):
            found["gen_ai.response.model"] = str(answer["model"])
        if isinstance(usage := answer.get("usage"), _MAPPINGS):
            if isinstance(tokens := usage.get("prompt_tokens"), int):
                found["gen_ai.usage.input_tokens"] = tokens
            if isinstance(tokens := usage.get("completion_tokens"), int):
                found["gen_ai.usage.output_tokens"] = tokens
        for position, choice in enumerate(answer.get("choices") or ()):
            if not isinstance(choice, _MAPPINGS):
                continue
            index = choice.get("index", position)
            if choice.get("finish_reason"):
                self.finish_reasons[index] = str(choice["finish_reason"])
            if self.content and part in choice:
                self.choices.setdefault(index, _Choice()).add(_map(choice[part]))

    def watch(self, events: Iterator[dict[str, Any]]) -> Iterator[dict[str, Any]]:
        for event in events:
            self.read(event)
            yield event

    async def awatch(self, events: AsyncIterator[dict[str, Any]]) -> AsyncIterator[dict[str, Any]]:
        async for event in events:
            self.read(event)
            yield event

    def end(self, error: BaseException | None = None) -> None:
        """End the span (once) and record the metrics; ``error`` is what the call failed with, if it did."""
        if self.ended:
            return
        self.ended, span, attributes = True, self.span, self.attributes
        if "gen_ai.response.model" in self.found:
            attributes = {**attributes, "gen_ai.response.model": self.found["gen_ai.response.model"]}
        if span.is_recording():
            span.set_attributes(self.found)
            if reasons := self.finish_reasons:
                span.set_attribute("gen_ai.response.finish_reasons", tuple(reasons[i] for i in sorted(reasons)))
            for index in sorted(self.choices):
                self.event("gen_ai.choice", self.choices[index].content(index, reasons.get(index), self.audio_format))
        timed = attributes
        if error is not None:
            timed = {**attributes, "error.type": error_type(error)}
            if span.is_recording():
                from opentelemetry.trace import Status, StatusCode

                short = _short(error)
                span.set_attribute("error.type", timed["error.type"])
                span.set_status(Status(StatusCode.ERROR, short))
                stack = _MEDIA_TEXT.sub("…", "".join(traceback.format_exception(error)))
                span.record_exception(error, attributes={"exception.message": short, "exception.stacktrace": stack})
        span.end()
        self.tools.duration.record(time.perf_counter() - self.started, timed)
        for token_type, name in (("input", "gen_ai.usage.input_tokens"), ("output", "gen_ai.usage.output_tokens")):
            if name in self.found:
                self.tools.tokens.record(self.found[name], {**attributes, "gen_ai.token.type": token_type})


class _Current:
    __slots__ = ("span", "token", "tools")

    def __init__(self, tools: _Instruments, span: Any) -> None:
        self.tools, self.span = tools, span

    def __enter__(self) -> None:
        self.token = self.tools.attach(self.tools.in_context(self.span))

    def __exit__(self, *_: object) -> None:
        self.tools.detach(self.token)


def request_attributes(body: Mapping[str, Any]) -> dict[str, Any]:
    """The span attributes of the request settings ``body`` sends (model and server aside)."""
    found: dict[str, Any] = {attribute: body[key] for key, attribute in _SETTINGS.items() if _is_scalar(body.get(key))}
    limit = body.get("max_tokens")
    limit = limit if limit is not None else body.get("max_completion_tokens")
    if _is_scalar(limit):
        found["gen_ai.request.max_tokens"] = limit
    stop = body.get("stop")
    if isinstance(stop, str):
        stop = [stop]
    if isinstance(stop, list | tuple) and stop and all(isinstance(s, str) for s in stop):
        found["gen_ai.request.stop_sequences"] = tuple(stop)
    response_format = body.get("response_format")
    if isinstance(response_format, Mapping) and response_format.get("type") in _OUTPUT_TYPES:
        found["gen_ai.output.type"] = _OUTPUT_TYPES[response_format["type"]]
    return found


def error_type(error: BaseException) -> str:
    """``error.type``: an error answer's HTTP status (``"429"``), else the exception's class name."""
    status = getattr(error, "status_code", None)
    if isinstance(status, int) and not isinstance(status, bool):
        return str(status)
    return type(error).__name__


def _short(error: BaseException) -> str:
    lines = str(error).strip().splitlines()
    text = _MEDIA_TEXT.sub("…", lines[0]) if lines else type(error).__name__
    return text if len(text) <= _SHORT else text[: _SHORT - 1] + "…"


def _is_scalar(value: object) -> bool:
    return isinstance(value, bool | int | float | str)


# ------------------------------------------------------------------------------------------------ content events


def summarise_message(message: Mapping[str, Any]) -> dict[str, Any]:
    """A request message as its ``gen_ai.{role}.message`` event records it: each media item summarised
    (:func:`summarise_item`)."""
    shown = dict(message)
    content = message.get("content")
    if isinstance(content, list):
        shown["content"] = [summarise_item(item) if isinstance(item, Mapping) else item for item in content]
    elif is_data_url(content):  # text that is a data URL: no bytes either
        shown["content"] = _data_url_summary("image", str(content), None)
    return shown


def summarise_item(item: Mapping[str, Any]) -> Any:
    """A content item without media bytes: an ``image_url`` data URL or ``input_audio`` becomes ``{"type",
    "mime_type", "size", "detail", "sha256"}`` (the decoded bytes'); an http(s) URL loses its query and user info."""
    kind = str(item.get("type"))
    if kind in ("image_url", "audio_url"):
        media = item.get(kind)
        url, detail = (media.get("url"), media.get("detail")) if isinstance(media, Mapping) else (media, None)
        if is_data_url(url):
            return _data_url_summary(kind.removesuffix("_url"), str(url), detail)
        shown = {key: value for key, value in (("url", _bare_url(url)), ("detail", detail)) if value is not None}
        return {"type": kind, kind: shown if isinstance(media, Mapping) else shown.get("url")}
    if kind == "input_audio":
        audio = _map(item.get("input_audio"))
        mime = next((names[0] for name, names in AUDIO_MIME_TYPES.items() if name == audio.get("format")), None)
        return _media_summary("audio", _decoded(audio.get("data")), mime)
    return dict(item)


def _data_url_summary(kind: str, url: str, detail: Any) -> dict[str, Any]:
    try:
        parsed = parse_data_url(url)
        return _media_summary(kind, parsed.decode(), parsed.mime_type, detail)
    except ValueError:  # DataUrlError, binascii.Error
        return _media_summary(kind, None, None, detail)


def _media_summary(kind: str, data: bytes | None, mime_type: str | None, detail: Any = None) -> dict[str, Any]:
    size, digest = (None, None) if data is None else (len(data), hashlib.sha256(data).hexdigest())
    shown = {"detail": detail} if kind == "image" else {}
    return {"type": kind, "mime_type": mime_type, "size": size, **shown, "sha256": digest}


def _decoded(text: object) -> bytes | None:
    try:
        return decode_base64(text) if isinstance(text, str) else None
    except ValueError:
        return None


def _bare_url(url: object) -> Any:
    if not is_http_url(url):
        return url
    parts = urlsplit(str(url))
    return urlunsplit((parts.scheme, parts.netloc.rpartition("@")[2], parts.path, "", ""))


def _map(value: object) -> Mapping[str, Any]:
    return value if isinstance(value, _MAPPINGS) else {}


class _Choice:
    """An answer's content for its ``gen_ai.choice`` event: a whole message, or added up from a stream's deltas."""

    def __init__(self) -> None:
        self.text: list[str] = []
        self.tool_calls: dict[int, dict[str, Any]] = {}
        self.audio: dict[str, Any] | None = None
        self.audio_hash, self.audio_size, self.audio_rest = hashlib.sha256(), 0, ""  # rest: short of a quantum
        self.audio_whole = True

    def add(self, delta: Mapping[str, Any]) -> None:
        if isinstance(delta.get("content"), str):
            self.text.append(delta["content"])
        for position, call in enumerate(delta.get("tool_calls") or ()):
            call = _map(call)
            kept = self.tool_calls.setdefault(call.get("index", position), {"function": {}})
            kept.update({key: call[key] for key in ("id", "type") if call.get(key)})
            function = _map(call.get("function"))
            if function.get("name"):
                kept["function"]["name"] = function["name"]
            if isinstance(function.get("arguments"), str):
                kept["function"]["arguments"] = kept["function"].get("arguments", "") + function["arguments"]
        if isinstance(audio := delta.get("audio"), Mapping):
            kept = self.audio = self.audio if self.audio is not None else {"transcript": ""}
            kept.update({key: audio[key] for key in ("id", "expires_at", "format") if audio.get(key) is not None})
            if isinstance(audio.get("transcript"), str):
                kept["transcript"] += audio["transcript"]
            if isinstance(audio.get("data"), str):  # decoded a whole quantum at a time: pieces may split one
                text = self.audio_rest + audio["data"]
                cut = len(text) - len(text) % 4
                self.audio_rest, decoded = text[cut:], _decoded(text[:cut])
                self.audio_whole = self.audio_whole and decoded is not None
                self.audio_hash.update(decoded or b"")
                self.audio_size += len(decoded or b"")

    def content(self, index: int, finish_reason: str | None, audio_format: str | None) -> dict[str, Any]:
        message: dict[str, Any] = {"content": "".join(self.text) if self.text else None}
        if self.tool_calls:
            message["tool_calls"] = [self.tool_calls[i] for i in sorted(self.tool_calls)]
        if self.audio is not None:
            fmt = self.audio.pop("format", None) or audio_format
            whole = self.audio_whole and not self.audio_rest
            message["audio"] = {
                "type": "audio",
                "mime_type": AUDIO_OUTPUT_MIME_TYPES.get(fmt) if isinstance(fmt, str) else None,
                "size": self.audio_size if whole else None,
                "sha256": self.audio_hash.hexdigest() if whole else None,
                **self.audio,
            }
        return {"index": index, "finish_reason": finish_reason or "none", "message": message}
