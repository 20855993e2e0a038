"""Server-Sent Events for streamed answers, and the stream faults real endpoints show.

A stream is: on Azure OpenAI routes, the content-filter chunk (``choices: []``, :mod:`.annotate`); per choice a
chunk carrying the role, one chunk per content word, each tool call as its id and name then its arguments in
fragments, and a chunk with ``finish_reason``; then, when ``stream_options.include_usage`` reached the model, a
chunk with ``choices: []`` and ``usage``, and finally ``data: [DONE]``. A spoken choice streams ``delta.audio``
instead of content: its id with the first transcript word, the other words, the data in pieces, then ``expires_at``
(:func:`.speaking.audio_deltas`).
"""

from __future__ import annotations

import json
import socket
import struct
import time
from collections.abc import Callable, Iterator, Mapping
from itertools import zip_longest
from typing import Any

from aiohttp import web

from ..protocols import ProtocolRules
from . import annotate, responder, speaking
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
    completion_id: str, model: str, reply: responder.Reply, include_usage: bool, rules: ProtocolRules
) -> Iterator[Mapping[str, Any]]:
    """The chunks of a streamed default answer, as ``rules``' protocol streams them."""
    created = int(time.time())
    if rules.content_filter:
        yield annotate.filter_chunk()

    def chunk(index: int, delta: dict[str, Any], finish_reason: str | None = None, **more: Any) -> dict[str, Any]:
        choice = {"index": index, "delta": delta, "finish_reason": finish_reason, **more}
        return {"id": completion_id, "object": rules.chunk_object, "created": created, "model": model,
                "choices": [choice]}  # fmt: skip

    streams = [_choice_events(index, choice, chunk, rules) for index, choice in enumerate(reply.choices)]
    for events in zip_longest(*streams):  # n choices arrive interleaved, as OpenAI streams them
        yield from (event for event in events if event is not None)
    if include_usage:
        yield {"id": completion_id, "object": rules.chunk_object, "created": created, "model": model, "choices": [],
               "usage": reply.usage}  # fmt: skip


def _choice_events(
    index: int, choice: responder.Choice, chunk: Callable[..., dict[str, Any]], rules: ProtocolRules
) -> Iterator[dict[str, Any]]:
    filtered = {"content_filter_results": annotate.completion_filter_results()} if rules.content_filter else {}
    # A spoken choice has no content (null in the whole answer), so its role chunk carries none either.
    role = {"role": "assistant"} if choice.audio is not None else {"role": "assistant", "content": ""}
    yield chunk(index, role, **({"content_filter_results": {}} if filtered else {}))
    if choice.audio is not None:
        for kind, audio in speaking.audio_deltas(choice.audio):
            # The transcript is the text the filter reads; the data and expiry chunks carry nothing it judged.
            yield chunk(index, {"audio": audio}, **(filtered if kind == "transcript" else {}))
    tokens = (choice.logprobs or {}).get("content") or []  # one per piece: each chunk carries its own
    for position, piece in enumerate(choice.pieces):
        more = {"logprobs": {"content": tokens[position : position + 1]}} if tokens else {}
        yield chunk(index, {"content": piece}, **more, **filtered)
    # .NET SDK, StreamingFunctionToolCallUpdate: the name comes in one update, typically the first, and the
    # arguments "must be accumulated" from the updates that follow.
    for position, call in enumerate(choice.tool_calls):
        function = call["function"]
        head = {"index": position, "id": call["id"], "type": "function",
                "function": {"name": function["name"], "arguments": ""}}  # fmt: skip
        yield chunk(index, {"tool_calls": [head]})
        for piece in responder.argument_pieces(function["arguments"]):
            yield chunk(index, {"tool_calls": [{"index": position, "function": {"arguments": piece}}]})
    yield chunk(index, {}, choice.finish_reason, **filtered)


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
