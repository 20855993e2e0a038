"""Server-sent events of a chat stream, read from the response's ``iter_bytes()``, as wire JSON dicts.

The SDK's own SSE parser raises on ``: keep-alive`` comments and ``event:`` lines, which proxies and some endpoints
send. :func:`read_events` parses the stream as the SSE spec says, stops at ``[DONE]``, and turns an ``{"error": ...}``
event, a malformed event or a connection lost mid-stream into :class:`~langchain_azure_multimodal.errors.StreamError`.
The response is closed when the stream ends, fails or is abandoned.

Example:
    >>> class Response:  # what azure-core's streamed HttpResponse offers: bytes as they arrive, and close()
    ...     def iter_bytes(self):
    ...         yield b': keep-alive\\n\\nevent: message\\ndata: {"choices": [{"delta": {"content": "Hi"}}]}\\n\\n'
    ...         yield b"data: [DONE]\\n\\n"
    ...     def close(self): pass
    >>> [event["choices"][0]["delta"]["content"] for event in read_events(Response())]
    ['Hi']
"""

from __future__ import annotations

import inspect
import json
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from typing import Any, Protocol

from azure.core.exceptions import AzureError, ServiceResponseError

from .service_errors import StreamError, is_transport_error

_SHOWN_EVENT_CHARS = 200


class ByteStream(Protocol):
    """A streamed response, as azure-core's ``HttpResponse`` is one."""

    def iter_bytes(self) -> Iterator[bytes]: ...

    def close(self) -> None: ...


class AsyncByteStream(Protocol):
    """An async streamed response, as azure-core's ``AsyncHttpResponse`` is one."""

    def iter_bytes(self) -> AsyncIterator[bytes]: ...

    def close(self) -> Any: ...


class SSEDecoder:
    """Bytes in, event data out, as https://html.spec.whatwg.org/multipage/server-sent-events.html says: lines end
    in CRLF, LF or CR; ``:`` starts a comment; ``data:`` (one optional space) lines accumulate until a blank line
    dispatches them; ``event``, ``id``, ``retry`` and unknown fields are ignored; an unfinished event at the end of
    the stream is dropped. Lines are only decoded once complete, so a UTF-8 character split across chunks is safe.

    Example:
        >>> decoder = SSEDecoder()
        >>> decoder.feed(b": ping\\r\\ndata: a\\ndata:b\\n"), decoder.feed(b"\\nid: 7\\ndata: c\\n\\n")
        ([], ['a\\nb', 'c'])
    """

    def __init__(self) -> None:
        self._pending = b""
        self._data: list[str] = []
        self._first = True

    def feed(self, chunk: bytes) -> list[str]:
        lines = (self._pending + chunk).splitlines(keepends=True)
        # An unterminated last line waits for more bytes; so does one ending in CR, whose LF may be in the next chunk.
        self._pending = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        events = []
        for raw in lines:
            line = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
            if self._first:
                line, self._first = line.removeprefix("\ufeff"), False
            if not line:
                if self._data:
                    events.append("\n".join(self._data))
                    self._data = []
                continue
            field, _, value = line.partition(":")
            if field == "data":
                self._data.append(value.removeprefix(" "))
        return events


def json_object(text: str) -> dict[str, Any] | None:
    """``text`` as a JSON object, or ``None`` when it is not one (not JSON, or JSON of another type)."""
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def _parse_event(data: str) -> dict[str, Any]:
    event = json_object(data)
    if event is None:
        shown = data[:_SHOWN_EVENT_CHARS]
        raise StreamError(
            "malformed_event", shown, text=f"The stream carried an event that is not a JSON object: {shown!r}"
        )
    if "error" in event:
        error = event["error"] if isinstance(event["error"], dict) else {"message": str(event["error"])}
        raise StreamError(str(error.get("code") or "error"), str(error.get("message") or error))
    return event


class _EventReader:
    """The parsing shared by the sync and async readers: chunks in, the events worth delivering out."""

    def __init__(self) -> None:
        self._sse = SSEDecoder()
        self.events = 0
        self.done = False

    def feed(self, chunk: bytes) -> Iterator[dict[str, Any]]:
        """The chunk's events in order; a bad event raises when reached, so the ones before it are delivered."""
        for data in self._sse.feed(chunk):
            if data.strip() == "[DONE]":
                self.done = True
                return
            if not data.strip():  # an empty event is only a heartbeat
                continue
            self.events += 1
            event = _parse_event(data)
            if event.get("choices") or event.get("usage"):  # as the SDK: skip events with neither
                yield event

    def interrupted(self, error: AzureError) -> StreamError:
        text = f"The stream broke off after {self.events} events: {error}"
        return StreamError("stream_interrupted", str(error), text=text, error=error)


def _as_is(error: AzureError) -> AzureError:
    return error


def _as_azure(error: Exception) -> AzureError | None:
    """``error`` as azure-core's error for a broken read, or ``None`` when it is not the transport's (a bug of ours
    stays as it is). azure-core 1.36 lets some out of ``iter_bytes()`` unwrapped (a requests read timeout part-way
    through a stream); later releases wrap them in ``ServiceResponseError``, as this does."""
    if isinstance(error, AzureError):
        return error
    if not is_transport_error(error):
        return None
    # The message is ours: the transports' own text carries the whole URL, query string included.
    shown = f"the transport failed while reading the stream ({type(error).__name__})"
    return ServiceResponseError(shown, error=error)


def _interrupted(reader: _EventReader, error: Exception, explain: Callable[[AzureError], AzureError]) -> Exception:
    """What a stream raises when reading it failed: ``error`` itself unless it is the transport's (then the
    ``stream_interrupted`` error, caused by the explained transport error)."""
    azure = _as_azure(error)
    if azure is None:
        return error
    cause = explain(azure)
    interrupted = reader.interrupted(cause)
    interrupted.__cause__ = cause  # raised from it
    return interrupted


def read_events(
    response: ByteStream, *, explain: Callable[[AzureError], AzureError] = _as_is
) -> Generator[dict[str, Any]]:
    """The stream's events as dicts, until ``[DONE]`` or the end; closes ``response`` when done or abandoned.
    ``explain`` turns a transport error part-way into the error the ``stream_interrupted`` one wraps (the wire makes
    a typed network error of it)."""
    reader = _EventReader()
    try:
        for chunk in response.iter_bytes():
            yield from reader.feed(chunk)
            if reader.done:  # anything after [DONE] is never read
                return
    except StreamError:
        raise
    except Exception as error:  # the transport's, e.g. a reset or a read timeout part-way through
        failure = _interrupted(reader, error, explain)
        if failure is error:
            raise
        raise failure from failure.__cause__
    finally:
        response.close()


async def aread_events(
    response: AsyncByteStream, *, explain: Callable[[AzureError], AzureError] = _as_is
) -> AsyncGenerator[dict[str, Any]]:
    """The async :func:`read_events`."""
    reader = _EventReader()
    try:
        async for chunk in response.iter_bytes():
            for event in reader.feed(chunk):
                yield event
            if reader.done:
                return
    except StreamError:
        raise
    except Exception as error:  # the transport's, e.g. a reset or a read timeout part-way through
        failure = _interrupted(reader, error, explain)
        if failure is error:
            raise
        raise failure from failure.__cause__
    finally:
        closed = response.close()  # async on azure.core.rest responses
        if inspect.isawaitable(closed):
            await closed
