"""The stream reader with no network: SSE as the spec says (keep-alive comments, ``event:`` lines, CR/LF/CRLF, split
UTF-8), ``[DONE]``, and the three ways a stream fails after its 200, each a ``StreamError``."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

import pytest
from azure.core.exceptions import AzureError, HttpResponseError

from langchain_azure_multimodal._azure.sse import SSEDecoder, aread_events, read_events
from langchain_azure_multimodal.errors import StreamError
from tests.support.http import streamed_text


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
    """What the reader needs of azure-core's streamed response: ``iter_bytes()`` and ``close()``."""

    def __init__(self, chunks: Iterable[bytes], *, fail_after: int | None = None) -> None:
        self.chunks, self.fail_after, self.closed = list(chunks), fail_after, 0

    def iter_bytes(self) -> Iterator[bytes]:
        for index, chunk in enumerate(self.chunks):
            if index == self.fail_after:
                raise HttpResponseError("Connection broken: ConnectionResetError(104, 'Connection reset by peer')")
            yield chunk

    def close(self) -> None:
        self.closed += 1


class FakeAsyncResponse:
    def __init__(self, chunks: Iterable[bytes], *, fail_after: int | None = None) -> None:
        self._sync = FakeResponse(chunks, fail_after=fail_after)

    @property
    def closed(self) -> int:
        return self._sync.closed

    async def iter_bytes(self) -> AsyncIterator[bytes]:
        for chunk in self._sync.iter_bytes():
            await asyncio.sleep(0)
            yield chunk

    async def close(self) -> None:
        self._sync.close()


def _splits(data: bytes) -> Iterator[list[bytes]]:
    yield [data]
    yield [data[i : i + 1] for i in range(len(data))]
    for i in range(1, len(data)):
        yield [data[:i], data[i:]]


async def _alist(response: FakeAsyncResponse) -> list[dict[str, Any]]:
    return [event async for event in aread_events(response)]


def test_messy_stream_split_at_every_position() -> None:
    for chunks in _splits(MESSY_STREAM):
        response = FakeResponse(chunks)
        events = list(read_events(response))
        assert streamed_text(events) == EXPECTED, chunks
        assert events[-1]["usage"]["total_tokens"] == 5 and not events[-1]["choices"]
        assert response.closed  # closed at [DONE]; the event after it is never read as an update


async def test_messy_stream_async() -> None:
    for chunks in [[MESSY_STREAM], [MESSY_STREAM[i : i + 7] for i in range(0, len(MESSY_STREAM), 7)]]:
        response = FakeAsyncResponse(chunks)
        events = await _alist(response)
        assert streamed_text(events) == EXPECTED and events[-1]["usage"]["total_tokens"] == 5
        assert response.closed


def test_multi_line_data_is_joined_with_newlines() -> None:
    event = b'data: {"id": "c1", "object": "chat.completion.chunk", "created": 1, "model": "m",\ndata:\n'
    event += b'data: "choices": [{"index": 0, "delta": {"content": "ok"}, "finish_reason": null}]}\n\n'
    assert streamed_text(read_events(FakeResponse([event + b"data: [DONE]\n\n"]))) == "ok"


def test_an_unfinished_event_at_the_end_is_dropped_and_the_cut_stream_is_an_error() -> None:
    stream = _data(_chunk("kept")) + _data(_chunk("cut")).rstrip(b"\n")
    delivered: list[str] = []
    with pytest.raises(StreamError, match="with neither \\[DONE\\] nor a finish reason") as caught:
        delivered.extend(e["choices"][0]["delta"]["content"] for e in read_events(FakeResponse([stream])))
    assert delivered == ["kept"] and caught.value.code == "stream_incomplete"


@pytest.mark.parametrize("ending", [b"", b"data: [DONE]\n\n"], ids=["finish reason, no DONE", "DONE"])
def test_a_stream_is_whole_with_done_or_a_finish_reason(ending: bytes) -> None:
    finished = _data({**_chunk("end"), "choices": [{"index": 0, "delta": {"content": "end"}, "finish_reason": "stop"}]})
    assert streamed_text(read_events(FakeResponse([_data(_chunk("the ")) + finished + ending]))) == "the end"


async def test_a_cut_stream_is_an_error_async_too() -> None:
    with pytest.raises(StreamError, match="the answer is incomplete"):
        async for _ in aread_events(FakeAsyncResponse([_data(_chunk("partial"))])):
            pass


def test_a_stream_whose_lines_end_in_cr_alone_keeps_its_last_event() -> None:
    last = {**_chunk("!"), "choices": [{"index": 0, "delta": {"content": "!"}, "finish_reason": "stop"}]}
    stream = (_data(_chunk("hi")) + _data(last)).replace(b"\n", b"\r")
    for chunks in _splits(stream):
        assert streamed_text(read_events(FakeResponse(chunks))) == "hi!"


def test_a_large_event_in_small_pieces_is_read_whole() -> None:
    big = _chunk("x" * 2_000_000)
    stream = _data(big) + b"data: [DONE]\n\n"
    pieces = [stream[i : i + 4096] for i in range(0, len(stream), 4096)]  # 500 pieces: each joined once, at the end
    assert len(streamed_text(read_events(FakeResponse(pieces)))) == 2_000_000


def test_an_event_over_the_limit_is_refused_not_buffered() -> None:
    decoder = SSEDecoder(max_line_bytes=1000)
    decoder.feed(b"data: " + b"x" * 900)
    with pytest.raises(StreamError, match="over 1,000 bytes without ending it"):
        decoder.feed(b"x" * 200)


def test_events_with_neither_choices_nor_usage_are_skipped() -> None:
    stream = _data({"id": "c1", "choices": []}) + _data(_chunk("kept")) + b"data: [DONE]\n\n"
    assert [e["choices"][0]["delta"]["content"] for e in read_events(FakeResponse([stream]))] == ["kept"]


def test_error_event_raises_stream_error() -> None:
    stream = (
        _data(_chunk("partial ")) + b'event: error\ndata: {"error": {"code": "server_error", "message": "Boom."}}\n\n'
    )
    for chunks in _splits(stream):
        response = FakeResponse(chunks)
        events = read_events(response)
        assert next(events)["choices"][0]["delta"]["content"] == "partial "  # what came before is delivered first
        with pytest.raises(StreamError) as caught:
            next(events)
        assert (caught.value.code, caught.value.message) == ("server_error", "Boom.")
        assert str(caught.value) == "The service sent an error inside the stream: server_error: Boom."
        assert response.closed


def test_error_event_with_a_bare_string() -> None:
    with pytest.raises(StreamError, match="error: overloaded"):
        list(read_events(FakeResponse([b'data: {"error": "overloaded"}\n\n'])))


@pytest.mark.parametrize("payload", ['{"id": "c1", "choi', "[1, 2]", "x" * 500])
def test_malformed_event_raises_stream_error(payload: str) -> None:
    with pytest.raises(StreamError) as caught:
        list(read_events(FakeResponse([f"data: {payload}\n\n".encode()])))
    assert caught.value.code == "malformed_event"
    assert caught.value.message == payload[:200]
    assert str(caught.value) == f"The stream carried an event that is not a JSON object: {payload[:200]!r}"


def test_a_connection_lost_mid_stream_is_a_stream_error() -> None:
    response = FakeResponse([_data(_chunk("a")), _data(_chunk("b")), b"never"], fail_after=2)
    with pytest.raises(StreamError) as caught:
        list(read_events(response))
    assert caught.value.code == "stream_interrupted"
    assert str(caught.value).startswith("The stream broke off after 2 events: Connection broken")
    assert isinstance(caught.value.__cause__, HttpResponseError) and response.closed


async def test_a_connection_lost_mid_stream_is_a_stream_error_async() -> None:
    response = FakeAsyncResponse([_data(_chunk("a")), b"never"], fail_after=1)
    with pytest.raises(StreamError, match="broke off after 1 events"):
        await _alist(response)
    assert response.closed


def test_a_stream_left_early_closes_the_response() -> None:
    response = FakeResponse([_data(_chunk("a")), _data(_chunk("b"))])
    events = read_events(response)
    next(events)
    events.close()
    assert response.closed == 1


def test_stream_error_is_an_azure_error() -> None:
    assert issubclass(StreamError, AzureError)


class _RawFailure(FakeResponse):
    """A transport that lets its own error out of ``iter_bytes()``, as azure-core 1.36's requests transport does
    for a read timeout part-way through a stream."""

    def __init__(self, error: Exception) -> None:
        super().__init__([_data(_chunk("a"))])
        self.error = error

    def iter_bytes(self) -> Iterator[bytes]:
        yield from self.chunks
        raise self.error


def test_a_raw_transport_error_mid_stream_is_a_stream_error_without_its_url() -> None:
    import requests

    raw = requests.exceptions.ConnectionError("HTTPConnectionPool(host='h', port=1): Read timed out. /x?sig=secret")
    with pytest.raises(StreamError) as caught:
        list(read_events(_RawFailure(raw)))
    assert caught.value.code == "stream_interrupted" and "sig=secret" not in str(caught.value)
    wrapped = caught.value.__cause__
    assert isinstance(wrapped, AzureError) and wrapped.inner_exception is raw  # the wire makes it a typed error


def test_a_bug_of_ours_mid_stream_is_not_taken_for_the_network() -> None:
    with pytest.raises(KeyError):
        list(read_events(_RawFailure(KeyError("not the transport's"))))


@pytest.mark.parametrize(
    "payload", ["[" * 100_000 + "]" * 100_000, '{"n": ' + "9" * 5000 + "}"], ids=["nested 100k deep", "huge number"]
)
def test_json_this_process_cannot_hold_is_a_malformed_event(payload: str) -> None:
    stream = _data(_chunk("ok ")) + f"data: {payload}\n\n".encode()
    with pytest.raises(StreamError, match="not a JSON object") as caught:
        list(read_events(FakeResponse([stream])))
    assert caught.value.code == "malformed_event"
