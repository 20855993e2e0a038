"""The emulator as a server facing clients it cannot trust: slow bodies, bodies behind a wrong key, huge images.

The slow and unauthenticated clients are raw sockets, since an HTTP library sends its body whole and at once. No
test asserts how long anything took: each waits on events or on the server's answer, with a timeout only so that a
server that never answers fails the test instead of hanging it.
"""

from __future__ import annotations

import json
import socket
import struct
import threading
import warnings
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any

import pytest
from PIL import Image, ImageFile

from langchain_azure_multimodal.emulator import Emulator, Fault, responder
from langchain_azure_multimodal.emulator.cli import build_parser
from langchain_azure_multimodal.profiles import MAX_DECODED_PIXELS
from tests.conftest import API_KEY
from tests.support.http import API_VERSION, call, image_item, user, with_items
from tests.support.media import data_url, image_bytes

#: Long enough for any answer on loopback; only a server that never answers reaches it.
HANG_GUARD_SECONDS = 10
SLOW = 0.5  # the body_read_timeout of these tests, so a stalled body is given up on quickly

SERVERLESS = f"/chat/completions?api-version={API_VERSION}"
AOAI = f"/openai/deployments/phi-4-multimodal-instruct/chat/completions?api-version={API_VERSION}"


@dataclass
class RawReply:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def error(self) -> dict[str, Any]:
        error: dict[str, Any] = json.loads(self.body)["error"]
        return error


def _connect(emu: Emulator) -> socket.socket:
    assert emu.port is not None
    return socket.create_connection(("127.0.0.1", emu.port), timeout=HANG_GUARD_SECONDS)


def _head(
    target: str, *, key: str = API_KEY, length: int | None = None, chunked: bool = False, keep_alive: bool = True
) -> bytes:
    lines = [f"POST {target} HTTP/1.1", "Host: 127.0.0.1", "Content-Type: application/json", f"api-key: {key}"]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    if chunked:
        lines.append("Transfer-Encoding: chunked")
    if not keep_alive:
        lines.append("Connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _read_reply(sock: socket.socket) -> RawReply:
    """One HTTP response with a Content-Length, read off ``sock`` (which stays open)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        assert chunk, f"the connection closed before a response: {data!r}"
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *header_lines = head.decode("latin-1").split("\r\n")
    headers = {name.lower(): value.strip() for name, _, value in (line.partition(":") for line in header_lines)}
    while len(body) < int(headers["content-length"]):
        chunk = sock.recv(65536)
        assert chunk, "the connection closed mid-response"
        body += chunk
    return RawReply(int(status_line.split()[1]), headers, body)


def _closed_by_server(sock: socket.socket) -> bool:
    """Whether the server closes ``sock`` without sending anything more (a reset counts as closed)."""
    try:
        return sock.recv(65536) == b""
    except ConnectionResetError:
        return True


@pytest.fixture
def emu(emulator_factory: Callable[..., Emulator]) -> Emulator:
    return emulator_factory(body_read_timeout=SLOW)


# --- the key and the api-version are checked before the body is read ------------------------------------------------


def test_a_wrong_key_is_answered_401_before_a_huge_body_is_sent(emu: Emulator) -> None:
    with _connect(emu) as sock:
        sock.sendall(_head(SERVERLESS, key="wrong-key", length=100_000_000))  # ... and not one byte of the body
        reply = _read_reply(sock)
        assert reply.status == 401
        assert reply.error["code"] == "401" and "invalid subscription key" in reply.error["message"]
        assert reply.headers["connection"].lower() == "close"  # the unread body leaves the connection unusable
        assert _closed_by_server(sock)  # after a drain no longer than body_read_timeout, never the 100 MB
    [recorded] = emu.requests
    assert (recorded.body, recorded.body_bytes) == (None, 0)
    assert recorded.header("api-key") == "wrong-key"
    assert call(emu, body=user()).status == 200  # still serving


def test_a_missing_api_version_is_answered_before_the_body_is_sent(emu: Emulator) -> None:
    with _connect(emu) as sock:
        sock.sendall(_head("/chat/completions", length=100_000_000))
        reply = _read_reply(sock)
        assert reply.status == 400 and reply.error["code"] == "MissingApiVersionParameter"
        assert reply.headers["connection"].lower() == "close"
    assert emu.requests[-1].body is None


def test_a_wrong_key_with_its_whole_body_sent_keeps_the_connection(emu: Emulator) -> None:
    body = json.dumps(user()).encode()
    with _connect(emu) as sock:
        sock.sendall(_head(SERVERLESS, key="wrong-key", length=len(body)) + body)
        first = _read_reply(sock)
        assert first.status == 401 and first.headers.get("connection", "").lower() != "close"
        sock.sendall(_head(SERVERLESS, length=len(body), keep_alive=False) + body)  # the same connection, reused
        assert _read_reply(sock).status == 200


def test_a_scripted_fault_still_comes_before_the_key_check(emu: Emulator) -> None:
    emu.inject(Fault.throttle(retry_after=1))
    assert call(emu, body=user(), key="wrong").status == 429
    assert call(emu, body=user(), key="wrong").status == 401


# --- a body that does not arrive within body_read_timeout gets a 408 and a closed connection -------------------------


@pytest.mark.parametrize(
    ("target", "code"), [(SERVERLESS, "RequestTimeout"), (AOAI, "request_timeout")], ids=["azure", "azure-openai"]
)
def test_a_stalled_body_gets_408_in_the_route_error_shape_and_the_connection_closed(
    emu: Emulator, target: str, code: str
) -> None:
    with _connect(emu) as sock:
        sock.sendall(_head(target, length=100) + b'{"messages": ')  # 13 of the 100 bytes, then nothing
        reply = _read_reply(sock)
        assert reply.status == 408
        assert reply.error["code"] == code
        assert "0.5 seconds" in reply.error["message"] and "13 of 100 bytes" in reply.error["message"]
        assert "body_read_timeout" in reply.error["message"]
        assert reply.headers["connection"].lower() == "close"
        if target == AOAI:
            assert reply.error["type"] == "invalid_request_error" and "x-ms-error-code" not in reply.headers
        else:
            assert reply.headers["x-ms-error-code"] == code
        assert _closed_by_server(sock)
    assert (emu.requests[-1].body, emu.requests[-1].body_bytes) == (None, 0)
    assert call(emu, body=user()).status == 200  # still serving


def test_a_stalled_chunked_body_gets_408(emu: Emulator) -> None:
    with _connect(emu) as sock:
        sock.sendall(_head(SERVERLESS, chunked=True) + b'd\r\n{"messages": \r\n')  # one chunk, never the last one
        reply = _read_reply(sock)
        assert reply.status == 408 and "13 bytes came" in reply.error["message"]
        assert _closed_by_server(sock)


def test_the_body_read_timeout_must_be_positive(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(ValueError, match="body_read_timeout"):
        Emulator(body_read_timeout=0)
    with pytest.raises(ValueError, match="media_workers"):
        Emulator(media_workers=0)
    assert build_parser().parse_args(["--body-read-timeout", "2.5"]).body_read_timeout == 2.5
    with pytest.raises(SystemExit):
        build_parser().parse_args(["--body-read-timeout", "0"])
    assert "expected a positive number of seconds, got '0'" in capsys.readouterr().err


# --- images: a pixel budget before decoding, and decoding off the event loop ------------------------------------------


def _png_claiming(width: int, height: int) -> bytes:
    """A valid black 1-bit PNG of ``width`` x ``height``: a few kilobytes that decode to ``width * height`` bytes."""
    row = b"\x00" * (1 + (width + 7) // 8)  # filter type 0, then the packed pixels
    packer = zlib.compressobj(9)
    pixels = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(tag: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))

    header = struct.pack(">IIBBBBB", width, height, 1, 0, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


@pytest.fixture
def loads(monkeypatch: pytest.MonkeyPatch) -> list[tuple[int, int]]:
    """The size of every image Pillow decodes (in this process, so in the emulator too), in order."""
    sizes: list[tuple[int, int]] = []
    original = ImageFile.ImageFile.load

    def load(self: ImageFile.ImageFile) -> Any:
        sizes.append(self.size)
        return original(self)

    monkeypatch.setattr(ImageFile.ImageFile, "load", load)
    return sizes


# 13000x13000 is over Pillow's warning threshold (it would warn from a worker thread); 20000x20000 over its error one.
@pytest.mark.parametrize("side", [13_000, 20_000])
def test_an_image_over_the_pixel_budget_is_refused_before_it_is_decoded(
    emu: Emulator, loads: list[tuple[int, int]], side: int
) -> None:
    png = _png_claiming(side, side)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        reply = call(emu, body=with_items(image_item(data_url(png, "image/png"))))
    assert reply.status == 400
    message = reply.error["message"]
    assert str(side * side) in message.replace(",", "")  # the pixels it claims
    assert f"{MAX_DECODED_PIXELS:,}" in message and "downscale" in message
    assert reply.error["target"] == "messages[0].content[1].image_url.url"
    assert loads == []  # refused on its header alone
    assert not [w for w in caught if issubclass(w.category, Image.DecompressionBombWarning)]


def test_a_jpeg_over_the_pixel_budget_is_decoded_at_a_reduced_scale(
    emu: Emulator, loads: list[tuple[int, int]]
) -> None:
    width, height = 8_000, 5_100  # 40.8 million pixels: just over the budget, so a half-scale decode fits
    jpeg = image_bytes(width, height, "JPEG", color="gray", mode="L")
    reply = call(emu, body=with_items(image_item(data_url(jpeg, "image/jpeg"))))
    assert reply.status == 200
    assert f"jpeg {width}x{height}" in reply.json["choices"][0]["message"]["content"]  # the size the service sees
    assert loads and all(w * h <= MAX_DECODED_PIXELS for w, h in loads)


@dataclass
class Gate:
    """Holds every image inspection until released, so a test can act while one is in progress."""

    entered: threading.Event
    release: threading.Event


@pytest.fixture
def gate(monkeypatch: pytest.MonkeyPatch) -> Iterator[Gate]:
    gate = Gate(threading.Event(), threading.Event())
    original = responder.inspect_image

    def inspect_image(*args: Any) -> Any:
        gate.entered.set()
        gate.release.wait(HANG_GUARD_SECONDS)
        return original(*args)

    monkeypatch.setattr(responder, "inspect_image", inspect_image)
    yield gate
    gate.release.set()  # never leave a worker waiting, whatever the test did


def test_other_clients_are_answered_while_a_large_image_is_decoded(
    emulator_factory: Callable[..., Emulator], gate: Gate
) -> None:
    emu = emulator_factory(media_workers=1)  # even with a single decoding thread
    big = image_bytes(6_000, 6_000, "PNG", color="gray", mode="L")  # 36 million pixels: under the budget
    first: Future[Any] = Future()

    def send_big() -> None:
        try:
            first.set_result(call(emu, body=with_items(image_item(data_url(big, "image/png")))))
        except BaseException as error:
            first.set_exception(error)

    threading.Thread(target=send_big, daemon=True).start()
    assert gate.entered.wait(HANG_GUARD_SECONDS), "the image was never inspected"
    small = call(emu, body=user("Are you there?"))  # on its own connection, while the image is held mid-inspection
    assert small.status == 200 and "Are you there?" in small.json["choices"][0]["message"]["content"]
    assert not first.done()  # answered before the image request, which is still being inspected
    gate.release.set()
    reply = first.result(HANG_GUARD_SECONDS)
    assert reply.status == 200 and "png 6000x6000" in reply.json["choices"][0]["message"]["content"]
