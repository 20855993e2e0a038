"""Server-Sent Events for streamed answers, and the stream faults real endpoints show.

A stream is: a first chunk carrying the role, one chunk per content word (or one per tool call), a chunk with
``finish_reason``, then, when ``stream_options.include_usage`` reached the model, a chunk with ``choices: []`` and
``usage``, and finally ``data: [DONE]``.
"""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Iterator, Mapping
from typing import Any

from aiohttp import web

from . import responder
from .script import Fault, ScriptedResponse

DONE = "data: [DONE]"


class DeliberateResetError(Exception):
    """Raised after the emulator reset a connection on purpose; the server sends nothing more."""


def abort(request: web.Request) -> None:
    """Reset the TCP connection (RST, not FIN), as a dropped load-balancer connection looks to the client."""
    transport = request.transport
    if transport is not None:
        sock = transport.get_extra_info("socket")
        if sock is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        transport.abort()
    raise DeliberateResetError


def answer_events(
    completion_id: str, model: str, result: responder.Answer, include_usage: bool, chunk_object: str
) -> Iterator[Mapping[str, Any]]:
    """The chunks of a streamed default answer."""
    created = int(time.time())

    def chunk(delta: dict[str, Any], finish_reason: str | None = None) -> dict[str, Any]:
        return {
            "id": completion_id,
            "object": chunk_object,
            "created": created,
            "model": model,
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish_reason}],
        }

    yield chunk({"role": "assistant", "content": ""})
    for piece in responder.content_pieces(result.content or ""):
        yield chunk({"content": piece})
    for index, call in enumerate(result.tool_calls):
        yield chunk({"tool_calls": [{"index": index, **call}]})
    yield chunk({}, result.finish_reason)
    if include_usage:
        yield {
            "id": completion_id,
            "object": chunk_object,
            "created": created,
            "model": model,
            "choices": [],
            "usage": result.usage,
        }


async def send_events(
    request: web.Request,
    events: Iterator[Mapping[str, Any] | str],
    fault: Fault | None,
    *,
    status: int = 200,
    headers: Mapping[str, str] | None = None,
    append_done: bool = True,
) -> web.StreamResponse:
    """Write ``events`` as SSE, then ``[DONE]`` if ``append_done``, with any stream fault applied."""
    response = web.StreamResponse(status=status, headers={"Content-Type": "text/event-stream", **(headers or {})})
    response.headers["Cache-Control"] = "no-cache"
    await response.prepare(request)
    for sent, event in enumerate(events):
        if fault is not None:
            if fault.reset_after_events is not None and sent >= fault.reset_after_events:
                abort(request)
            if fault.stream_error is not None and sent >= fault.stream_error_after_events:
                await response.write(_line(json.dumps({"error": dict(fault.stream_error)})))
                await response.write_eof()
                return response
            if fault.keep_alive_comments:
                prefix = "event: message\n" if fault.sse_event_lines else ""
                await response.write(b": keep-alive\n\n" + prefix.encode())
        text = event if isinstance(event, str) else json.dumps(event)
        if fault is not None and fault.malformed_json and not isinstance(event, str):
            text = text[: len(text) // 2]
        await response.write(text.encode() + b"\n\n" if isinstance(event, str) else _line(text))
    if fault is not None and fault.reset_after_events is not None:
        abort(request)
    if append_done:
        await response.write(_line_raw(DONE))
    await response.write_eof()
    return response


def _line(data: str) -> bytes:
    return f"data: {data}\n\n".encode()


def _line_raw(text: str) -> bytes:
    return f"{text}\n\n".encode()


async def scripted(request: web.Request, response: ScriptedResponse, fault: Fault | None) -> web.StreamResponse:
    """Send a queued response exactly as the test wrote it."""
    if response.events is not None:
        return await send_events(
            request, iter(response.events), fault, status=response.status, headers=response.headers, append_done=False
        )
    body = json.dumps(response.json)
    if fault is not None and fault.malformed_json:
        body = body[: len(body) // 2]
    return web.Response(
        status=response.status, body=body.encode(), content_type="application/json", headers=response.headers
    )
