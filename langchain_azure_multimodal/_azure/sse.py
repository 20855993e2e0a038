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
import zlib
from collections.abc import AsyncGenerator, Callable, Generator, Iterator
from typing import Any, NoReturn

from azure.core.exceptions import AzureError, DecodeError

from .answers import AsyncByteStream, ByteStream, as_azure_error, is_undecodable, within
from .limits import AnswerLimits, Budget
from .service_errors import AnswerLimitError, StreamError

_SHOWN_EVENT_CHARS = 200
#: The longest event (one ``data:`` line) read: generous, as a spoken answer's audio may come in one piece.
DEFAULT_MAX_EVENT_BYTES = 64 * 1024 * 1024


class SSEDecoder:
    """Bytes in, event data out, as https://html.spec.whatwg.org/multipage/server-sent-events.html says: lines end
    in CRLF, LF or CR; ``:`` starts a comment; ``data:`` (one optional space) lines accumulate until a blank line
    dispatches them; ``event``, ``id``, ``retry`` and unknown fields are ignored; an unfinished event at the end of
    the stream is dropped. Lines are only decoded once complete, so a UTF-8 character split across chunks is safe.

    Linear in the stream's size: bytes of an unfinished line are kept as a list of chunks and joined once, when the
    line ends (copying the pending bytes on every chunk made one 16 MB event take 33 s). A line (so an event) longer
    than ``max_line_bytes`` is a :class:`StreamError` instead of unbounded memory.

    Example:
        >>> decoder = SSEDecoder()
        >>> decoder.feed(b": ping\\r\\ndata: a\\ndata:b\\n"), decoder.feed(b"\\nid: 7\\ndata: c\\n\\n")
        ([], ['a\\nb', 'c'])
        >>> decoder.feed(b"data: d\\r\\r"), decoder.close()  # CR alone ends lines too; the last one at the end
        ([], ['d'])
    """

    def __init__(self, *, max_line_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> None:
        self._pending: list[bytes] = []
        self._pending_size = 0
        self._data: list[str] = []
        self._first = True
        self._max_line_bytes = max_line_bytes

    def feed(self, chunk: bytes) -> list[str]:
        if b"\n" not in chunk and b"\r" not in chunk:  # no line ends here: keep it, copy nothing
            self._keep(chunk)
            return []
        text = b"".join((*self._pending, chunk)) if self._pending else chunk
        self._pending, self._pending_size = [], 0
        lines = text.splitlines(keepends=True)
        # An unterminated last line waits for more bytes; so does one ending in CR, whose LF may be in the next chunk.
        if lines and not lines[-1].endswith(b"\n"):
            self._keep(lines.pop())
        return self._lines(lines)

    def close(self) -> list[str]:
        """The events the stream's end completes: a last line ended by a CR alone had been waiting for an LF."""
        pending = b"".join(self._pending)
        self._pending, self._pending_size = [], 0
        return self._lines(pending.splitlines(keepends=True)) if pending.endswith(b"\r") else []

    def _keep(self, part: bytes) -> None:
        self._pending.append(part)
        self._pending_size += len(part)
        if self._pending_size > self._max_line_bytes:
            limit = f"{self._max_line_bytes:,}"
            raise StreamError(
                "event_too_large",
                f"an event over {limit} bytes",
                text=f"The stream sent a line (one event) over {limit} bytes without ending it; it was not read on",
            )

    def _lines(self, lines: list[bytes]) -> list[str]:
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
    """``text`` as a JSON object, or ``None`` when it is not one (not JSON, or JSON of another type, or JSON this
    process cannot hold: a number past Python's digit limit, nesting past the recursion limit)."""
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # not JSON, a number past the digit limit, or nesting past the stack
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

    def __init__(self, budget: Budget) -> None:
        self._sse = SSEDecoder()
        self.budget = budget
        self.events = 0
        self.done = False
        self.finished = False  # a choice has said why it ended

    def feed(self, chunk: bytes) -> Iterator[dict[str, Any]]:
        """The chunk's events in order; a bad event raises when reached, so the ones before it are delivered. Each
        chunk counts towards the answer's size; one that brought no event counts towards a stall."""
        self.budget.count(len(chunk))
        found = self._sse.feed(chunk)
        if found:
            self.budget.progressed()
        yield from self._deliver(found)

    def end(self) -> Iterator[dict[str, Any]]:
        """The events the end of the bytes completes; then, unless ``[DONE]`` or a finish reason came, the stream
        was cut short: a :class:`StreamError`, never a partial answer passed off as whole."""
        yield from self._deliver(self._sse.close())
        if not (self.done or self.finished):
            raise StreamError(
                "stream_incomplete",
                f"ended after {self.events} events",
                text=f"The stream ended after {self.events} events with neither [DONE] nor a finish reason: the "
                "answer is incomplete",
            )

    def _deliver(self, found: list[str]) -> Iterator[dict[str, Any]]:
        for data in found:
            if data.strip() == "[DONE]":
                self.done = True
                return
            if not data.strip():  # an empty event is only a heartbeat
                continue
            self.events += 1
            event = _parse_event(data)
            choices = event.get("choices")
            if isinstance(choices, list) and any(isinstance(c, dict) and c.get("finish_reason") for c in choices):
                self.finished = True
            if choices or event.get("usage"):  # as the SDK: skip events with neither
                yield event

    def interrupted(self, error: AzureError) -> StreamError:
        text = f"The stream broke off after {self.events} events: {error}"
        return StreamError("stream_interrupted", str(error), text=text, error=error)


def _as_is(error: AzureError) -> AzureError:
    return error


def _interrupted(reader: _EventReader, error: Exception, explain: Callable[[AzureError], AzureError]) -> Exception:
    """What a stream raises when reading it failed: ``error`` itself unless it is the transport's (then the
    ``stream_interrupted`` error, caused by the explained transport error)."""
    azure = as_azure_error(error)
    if azure is None:
        return error
    cause = explain(azure)
    interrupted = reader.interrupted(cause)
    interrupted.__cause__ = cause  # raised from it
    return interrupted


def _broken_off(reader: _EventReader, error: Exception, explain: Callable[[AzureError], AzureError]) -> NoReturn:
    """Raise what a read that failed part-way means: the limit's error when the budget ran out (the watchdog cut
    it), else ``stream_interrupted`` for the transport's error, else ``error`` itself."""
    if (passed := reader.budget.explain(error)) is not error:
        raise passed from error
    failure = _interrupted(reader, error, explain)
    if failure is error:
        raise error
    raise failure from failure.__cause__


def _undecodable_stream(reader: _EventReader, error: BaseException) -> StreamError:
    text = (
        f"The stream does not decompress as its Content-Encoding says, after {reader.events} events ({error}): "
        "the service or a proxy sent it broken"
    )
    return StreamError("undecodable_stream", str(error), text=text)


def read_events(
    response: ByteStream,
    *,
    explain: Callable[[AzureError], AzureError] = _as_is,
    budget: Budget | None = None,
) -> Generator[dict[str, Any]]:
    """The stream's events as dicts, until ``[DONE]`` or the end; closes ``response`` when done or abandoned.
    ``explain`` turns a transport error part-way into the error the ``stream_interrupted`` one wraps (the wire makes
    a typed network error of it); ``budget`` holds the stream to its :class:`~.limits.AnswerLimits` (by default
    the size limit only)."""
    reader = _EventReader(budget or Budget(AnswerLimits()))
    try:
        for chunk in response.iter_bytes():
            for event in reader.feed(chunk):
                yield event
                reader.budget.progressed()  # the time the caller spent on the event is not the stream's
            if reader.done:  # anything after [DONE] is never read
                return
        yield from reader.end()
    except (StreamError, AnswerLimitError):
        raise
    except (DecodeError, zlib.error) as error:
        if is_undecodable(error):
            raise _undecodable_stream(reader, error) from error
        _broken_off(reader, error, explain)
    except Exception as error:  # the transport's, e.g. a reset or a read timeout part-way through
        _broken_off(reader, error, explain)
    finally:
        response.close()


async def aread_events(
    response: AsyncByteStream,
    *,
    explain: Callable[[AzureError], AzureError] = _as_is,
    budget: Budget | None = None,
) -> AsyncGenerator[dict[str, Any]]:
    """The async :func:`read_events`."""
    reader = _EventReader(budget or Budget(AnswerLimits()))
    chunks = response.iter_bytes().__aiter__()
    try:
        while True:
            async with within(reader.budget):
                try:
                    chunk = await chunks.__anext__()
                except StopAsyncIteration:
                    break
            for event in reader.feed(chunk):
                yield event
                reader.budget.progressed()
            if reader.done:
                return
        for event in reader.end():
            yield event
    except (StreamError, AnswerLimitError):
        raise
    except (DecodeError, zlib.error) as error:  # aiohttp lets zlib's own error out
        if is_undecodable(error):
            raise _undecodable_stream(reader, error) from error
        _broken_off(reader, error, explain)  # its DecodeError for a connection lost part-way
    except Exception as error:  # the transport's, e.g. a reset or a read timeout part-way through
        _broken_off(reader, error, explain)
    finally:
        closed = response.close()  # async on azure.core.rest responses
        if inspect.isawaitable(closed):
            await closed
