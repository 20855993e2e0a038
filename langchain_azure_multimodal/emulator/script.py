"""The emulator's scripted mode: recorded requests, queued responses and injected faults.

Tests use it to see exactly what a client sent and to make the emulator misbehave the way real endpoints do::

    emu.inject(Fault.throttle(retry_after=0.1), times=2)   # two 429s, then normal answers
    emu.inject(Fault.connection_reset(after_events=2))      # cut the next stream after two events
    emu.inject(Fault.empty_error(502))                      # a gateway's 502 with no body at all
    emu.enqueue(ScriptedResponse(json={...}))               # answer the next request with this body
    emu.requests[-1].body["messages"]                       # what the client sent
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from ..endpoints import SECRET_HEADERS


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the emulator received it; ``received_at`` is ``time.monotonic()`` when it arrived.
    ``body_read`` is ``False`` for a request answered before its body was read (a wrong key, a missing api-version)
    or whose body never arrived whole (too slow, too large): its ``body`` is then ``None``."""

    method: str
    path: str
    query: Mapping[str, str]
    headers: Mapping[str, str] = field(repr=False)
    body: Any
    body_bytes: int
    received_at: float = field(default_factory=time.monotonic)
    body_read: bool = True

    def header(self, name: str) -> str | None:
        """A header's value, case-insensitively."""
        lowered = name.lower()
        return next((v for k, v in self.headers.items() if k.lower() == lowered), None)

    def __repr__(self) -> str:
        # Secret headers (endpoints.SECRET_HEADERS, the list the client's network trace masks too) are kept for
        # assertions but masked here.
        shown = {k: ("***" if k.lower() in SECRET_HEADERS else v) for k, v in self.headers.items()}
        return (
            f"RecordedRequest({self.method} {self.path} query={dict(self.query)} headers={shown} "
            f"body_bytes={self.body_bytes})"
        )


@dataclass(frozen=True)
class Fault:
    """A misbehaviour applied to one request. Build them with the class methods; they can be combined with
    :func:`dataclasses.replace` (for example a delay followed by a 503).

    Example:
        >>> Fault.throttle(retry_after_ms=250).status
        429
    """

    status: int | None = None
    retry_after: float | None = None
    retry_after_ms: int | None = None
    delay: float = 0.0
    reset: bool = False
    reset_after_events: int | None = None
    keep_alive_comments: bool = False
    sse_event_lines: bool = False
    stream_error: Mapping[str, Any] | None = None
    stream_error_after_events: int = 1
    malformed_json: bool = False
    empty_body: bool = False

    @classmethod
    def http_status(cls, status: int, *, retry_after: float | None = None, retry_after_ms: int | None = None) -> Fault:
        """Answer with ``status`` and Azure's error body, optionally with ``Retry-After``/``retry-after-ms``."""
        return cls(status=status, retry_after=retry_after, retry_after_ms=retry_after_ms)

    @classmethod
    def empty_error(cls, status: int = 502, *, retry_after: float | None = None) -> Fault:
        """Answer with ``status`` and an empty body (``Content-Length: 0``, no ``x-ms-error-code``), as a gateway or
        proxy in front of the service does (a 502 or 504 from a load balancer, an empty 429 or 500), optionally with
        ``Retry-After``.

        Example:
            >>> fault = Fault.empty_error(429, retry_after=1)
            >>> fault.status, fault.empty_body, fault.retry_after
            (429, True, 1)
        """
        return cls(status=status, retry_after=retry_after, empty_body=True)

    @classmethod
    def throttle(cls, *, retry_after: float | None = None, retry_after_ms: int | None = None) -> Fault:
        """A 429 "too many requests", as a deployment over its quota answers."""
        return cls.http_status(429, retry_after=retry_after, retry_after_ms=retry_after_ms)

    @classmethod
    def slow(cls, seconds: float) -> Fault:
        """Wait ``seconds`` before answering."""
        return cls(delay=seconds)

    @classmethod
    def connection_reset(cls, *, after_events: int | None = None) -> Fault:
        """Reset the TCP connection before any response, or part-way through a stream after ``after_events``."""
        return cls(reset=after_events is None, reset_after_events=after_events)

    @classmethod
    def keep_alive(cls, *, with_event_lines: bool = False) -> Fault:
        """Put ``: keep-alive`` comment lines (and ``event:`` lines, if asked) between the stream's events."""
        return cls(keep_alive_comments=True, sse_event_lines=with_event_lines)

    @classmethod
    def error_in_stream(
        cls, *, code: str = "server_error", message: str = "The model failed mid-stream.", after_events: int = 1
    ) -> Fault:
        """Send ``{"error": {...}}`` as a stream event after ``after_events`` events, then end the stream."""
        return cls(stream_error={"code": code, "message": message}, stream_error_after_events=after_events)

    @classmethod
    def malformed(cls) -> Fault:
        """Answer 200 with a body (or stream event) that is not valid JSON."""
        return cls(malformed_json=True)


@dataclass(frozen=True)
class ScriptedResponse:
    """An exact answer for the next request: a JSON body, or a list of SSE events.

    Events that are dicts are sent as ``data: <json>``; strings are sent as written (``"data: [DONE]"``,
    ``": comment"``), each followed by a blank line.
    """

    status: int = 200
    json: Any = None
    events: tuple[Mapping[str, Any] | str, ...] | None = None
    headers: Mapping[str, str] = field(default_factory=dict)


#: Recorded requests kept by default; older ones are forgotten so a long-lived emulator does not grow without end.
DEFAULT_MAX_RECORDED = 10_000
#: And at most this many body bytes between them (300 requests of 2 MiB once kept 600 MiB): the newest is always kept.
DEFAULT_MAX_RECORDED_BYTES = 256 * 1024 * 1024


class Script:
    """Thread-safe store of recorded requests (the latest ``max_recorded``, holding at most ``max_recorded_bytes`` of
    bodies between them), queued responses and pending faults."""

    def __init__(
        self, max_recorded: int = DEFAULT_MAX_RECORDED, max_recorded_bytes: int = DEFAULT_MAX_RECORDED_BYTES
    ) -> None:
        self._lock = threading.Lock()
        self._requests: deque[RecordedRequest] = deque()
        self._max_recorded, self._max_bytes, self._bytes = max_recorded, max_recorded_bytes, 0
        self._faults: deque[Fault] = deque()
        self._responses: deque[ScriptedResponse] = deque()

    def record(self, request: RecordedRequest) -> None:
        with self._lock:
            self._requests.append(request)
            self._bytes += request.body_bytes
            while len(self._requests) > 1 and (
                len(self._requests) > self._max_recorded or self._bytes > self._max_bytes
            ):
                self._bytes -= self._requests.popleft().body_bytes

    def inject(self, fault: Fault, times: int = 1) -> None:
        if times < 1:
            raise ValueError(f"times must be at least 1, got {times}")
        with self._lock:
            self._faults.extend([fault] * times)

    def enqueue(self, response: ScriptedResponse) -> None:
        with self._lock:
            self._responses.append(response)

    def next_fault(self) -> Fault | None:
        with self._lock:
            return self._faults.popleft() if self._faults else None

    def next_response(self) -> ScriptedResponse | None:
        with self._lock:
            return self._responses.popleft() if self._responses else None

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._requests)

    def reset(self) -> None:
        with self._lock:
            self._requests.clear()
            self._bytes = 0
            self._faults.clear()
            self._responses.clear()
