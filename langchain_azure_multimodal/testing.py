"""Test a chain without a server: :class:`MockWire` answers the chat model's requests from a function.

It stands where :class:`~langchain_azure_multimodal._azure.wire.ChatWire` (the Azure SDK's pipeline) stands, behind
the chat model's one seam (see ``wire=`` on :class:`~langchain_azure_multimodal.ChatAzureMultimodal`), so
everything before the network runs as it does against Azure: block conversion, media checks and normalisation,
tool and structured-output formatting. What the handler sees is the request body the service would get. For the
HTTP protocol itself (status codes, streams over sockets, retries, faults) use the emulator instead.

Example:
    >>> from langchain_azure_multimodal import ChatAzureMultimodal
    >>> def handler(call: WireCall) -> dict:
    ...     return completion(f"{len(call.body['messages'])} message(s)")
    >>> wire = MockWire(handler)
    >>> llm = ChatAzureMultimodal(endpoint="https://r.openai.azure.com/openai/v1", model="gpt-4o", wire=wire)
    >>> llm.invoke("Hi", temperature=0).content
    '1 message(s)'
    >>> wire.calls[0].body["temperature"], wire.calls[0].kind
    (0, 'complete')
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["MockWire", "WireCall", "completion", "stream_events"]

CallKind = Literal["complete", "stream", "model_info"]
Handler = Callable[["WireCall"], "Mapping[str, Any] | Iterable[Mapping[str, Any]]"]


@dataclass(frozen=True)
class WireCall:
    """One request as the wire got it: ``kind``, the JSON ``body`` (``{}`` for ``model_info``) and the headers the
    chat model set (``extra-parameters``; the pipeline's own headers, such as the key, are not part of it)."""

    kind: CallKind
    body: dict[str, Any] = field(default_factory=dict)
    headers: dict[str, str] = field(default_factory=dict)


class MockWire:
    """A wire whose answers come from ``handler(call)``: a completion dict for ``complete``, the ``/info`` dict for
    ``model_info``, and an iterable of event dicts for ``stream``. Whatever the handler raises (for example an
    azure-core ``HttpResponseError``) reaches the caller as the real wire's errors do. Every call is kept in
    :attr:`calls`, in order; a copy of the body is kept, so later changes to it do not show.
    """

    def __init__(self, handler: Handler) -> None:
        self.handler = handler
        self.calls: list[WireCall] = []
        self.closed = 0

    def _answer(self, kind: CallKind, body: Mapping[str, Any], headers: Mapping[str, str] | None) -> Any:
        call = WireCall(kind, _copy(body), dict(headers or {}))
        self.calls.append(call)
        return self.handler(call)

    def _one(self, kind: CallKind, body: Mapping[str, Any], headers: Mapping[str, str] | None) -> dict[str, Any]:
        answer = self._answer(kind, body, headers)
        if not isinstance(answer, Mapping):
            raise TypeError(f"MockWire's handler must return a dict for a {kind!r} call, not {type(answer).__name__}")
        return dict(answer)

    def _events(self, body: Mapping[str, Any], headers: Mapping[str, str] | None) -> list[dict[str, Any]]:
        answer = self._answer("stream", {**body, "stream": True}, headers)
        if isinstance(answer, Mapping) or not isinstance(answer, Iterable):
            raise TypeError(
                "MockWire's handler must return an iterable of event dicts for a 'stream' call (see stream_events), "
                f"not {type(answer).__name__}"
            )
        return [dict(event) for event in answer]

    def complete(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._one("complete", body, headers)

    @contextmanager
    def stream(
        self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> Iterator[Iterator[dict[str, Any]]]:
        yield iter(self._events(body, headers))

    def model_info(self) -> dict[str, Any]:
        return self._one("model_info", {}, None)

    def close(self) -> None:
        self.closed += 1

    async def acomplete(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        return self._one("complete", body, headers)

    @asynccontextmanager
    async def astream(
        self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        events = self._events(body, headers)

        async def each() -> AsyncIterator[dict[str, Any]]:
            for event in events:
                yield event

        yield each()

    async def amodel_info(self) -> dict[str, Any]:
        return self._one("model_info", {}, None)

    async def aclose(self) -> None:
        self.closed += 1


def completion(text: str = "OK", *, model: str = "mock-model", finish_reason: str = "stop") -> dict[str, Any]:
    """A ``ChatCompletions`` answer of one assistant message with ``text``, as the service sends it."""
    return {
        "id": "mock-0",
        "object": "chat.completion",
        "created": 0,
        "model": model,
        "choices": [{"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": 1, "completion_tokens": 1, "total_tokens": 2},
    }


def stream_events(*pieces: str, model: str = "mock-model") -> list[dict[str, Any]]:
    """The events of a stream that sends ``pieces`` as content deltas, then ``finish_reason: "stop"``."""

    def event(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish_reason}
        return {"id": "mock-0", "object": "chat.completion.chunk", "created": 0, "model": model, "choices": [choice]}

    first = [event({"role": "assistant", "content": ""})]
    return first + [event({"content": piece}) for piece in pieces] + [event({}, "stop")]


def _copy(body: Mapping[str, Any]) -> dict[str, Any]:
    # Only containers are copied: a large image's base64 string is shared, not duplicated.
    def copy(value: Any) -> Any:
        if isinstance(value, Mapping):
            return {key: copy(item) for key, item in value.items()}
        if isinstance(value, list):
            return [copy(item) for item in value]
        return value

    return {key: copy(item) for key, item in body.items()}
