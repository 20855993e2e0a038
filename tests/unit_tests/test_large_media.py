"""The pieces that let a large image go out without being decoded or copied: the base64 size check, the view that
decodes only what is read, the header read, and the request body written without ``json.dumps``' copies.

Each gives what the plain way gives (``decode_base64``, the bytes themselves, ``Image.open``, ``json.dumps``), which
hypothesis checks; the memory tests use tracemalloc, which counts allocations, not time.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import tracemalloc
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from langchain_azure_multimodal._azure import body as request_body
from langchain_azure_multimodal._azure.body import request_json
from langchain_azure_multimodal._images import read_header
from langchain_azure_multimodal._urls import Base64Reader, base64_size, decode_base64
from langchain_azure_multimodal.errors import MediaDecodeError

MIB = 1024 * 1024


def _verdict(call: Any) -> object:
    try:
        return call()
    except binascii.Error:
        return "refused"


# ------------------------------------------------------------------------------------------------ base64_size


@given(st.text(alphabet="AZaz09+/=\n -_é", max_size=24))
def test_base64_size_agrees_with_decoding(text: str) -> None:
    assert _verdict(lambda: base64_size(text)) == _verdict(lambda: len(decode_base64(text)))


@given(st.binary(max_size=64))
def test_base64_size_of_real_base64(data: bytes) -> None:
    assert base64_size(base64.b64encode(data).decode()) == len(data)


@pytest.mark.parametrize("where", [0, 1, MIB - 1, MIB, MIB + 1, 3 * MIB - 5])
@pytest.mark.parametrize("bad", ["*", "\n", "=", "-"])
def test_base64_size_finds_a_bad_character_in_any_slice(where: int, bad: str) -> None:
    text = base64.b64encode(bytes(3 * MIB)).decode()  # 4 MiB of text: four slices
    spoiled = text[:where] + bad + text[where + 1 :]
    with pytest.raises(binascii.Error):
        base64_size(spoiled)
    with pytest.raises(binascii.Error):
        decode_base64(spoiled)


def test_base64_size_holds_a_slice_not_the_bytes() -> None:
    text = base64.b64encode(bytes(12 * MIB)).decode()
    tracemalloc.start()
    try:
        assert base64_size(text) == 12 * MIB
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < MIB  # decoding would hold 12 MiB


# ------------------------------------------------------------------------------------------------ Base64Reader


@given(st.binary(max_size=200), st.lists(st.tuples(st.integers(0, 210), st.integers(-1, 210)), max_size=8))
def test_the_reader_reads_what_the_bytes_hold(data: bytes, reads: list[tuple[int, int]]) -> None:
    reader = Base64Reader(base64.b64encode(data).decode(), len(data))
    for offset, count in reads:
        assert reader.seek(offset) == offset
        assert reader.read(count) == (data[offset:] if count < 0 else data[offset : offset + count])
    assert reader.seek(0, io.SEEK_END) == len(data) and reader.read() == b""
    with pytest.raises(ValueError, match="negative seek position"):
        reader.seek(-1 - len(data), io.SEEK_END)


# ------------------------------------------------------------------------------------------------ read_header


@pytest.mark.parametrize(
    ("fmt", "size"), [("PNG", (2400, 1800)), ("JPEG", (4000, 3000)), ("GIF", (1200, 900)), ("TIFF", (800, 600))]
)
def test_the_header_gives_the_format_and_size_without_decoding(fmt: str, size: tuple[int, int]) -> None:
    buffer = io.BytesIO()
    Image.effect_noise(size, 90).convert("RGB").save(buffer, fmt)
    text = base64.b64encode(buffer.getvalue()).decode()
    read_header(text)  # Pillow's plugins load on first use
    tracemalloc.start()
    try:
        header = read_header(text)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    with Image.open(buffer) as image:
        assert (header.format, header.width, header.height) == (fmt.lower(), *image.size)
    assert peak < 64 * 1024 < len(buffer.getvalue()) // 10  # no copy of the file, no pixels


def test_a_webp_header_is_the_whole_file() -> None:
    buffer = io.BytesIO()
    Image.effect_noise((640, 480), 90).convert("RGB").save(buffer, "WEBP")
    header = read_header(base64.b64encode(buffer.getvalue()).decode())  # Pillow's WEBP opener reads it all
    assert (header.format, header.width, header.height) == ("webp", 640, 480)


def test_a_header_pillow_cannot_read_is_a_decode_error() -> None:
    with pytest.raises(MediaDecodeError, match="it starts with b'not an image"):
        read_header(base64.b64encode(b"not an image, just text " * 5000).decode(), name="x.png")


# ------------------------------------------------------------------------------------------------ request_json

_json_scalars = st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=40)
_json = st.recursive(
    _json_scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=6), inner, max_size=4),
    max_leaves=12,
)


@given(st.dictionaries(st.text(max_size=6), _json, max_size=4), st.integers(1, 12))
def test_the_body_is_json_dumps_byte_for_byte(body: dict[str, Any], large: int) -> None:
    assert request_json(body, large=large) == json.dumps(body).encode()


@pytest.mark.parametrize("middle", ['"', "\\", "\n", "\x7f", "é", "\u2028", "\U0001f600"])
def test_a_large_string_that_needs_escaping_in_one_slice(middle: str) -> None:
    edge = request_body._SLICE
    text = "A" * (edge - 1) + middle + "B" * (2 * edge)  # the odd character just before a slice boundary
    body = {"messages": [{"role": "user", "content": text}], "big": text[::-1], "tuple": ("x", text[:70_000])}
    assert request_json(body) == json.dumps(body).encode()


def test_the_body_holds_a_large_string_once() -> None:
    url = "data:image/png;base64," + base64.b64encode(bytes(6 * MIB)).decode()
    body = {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": url}}]}]}
    tracemalloc.start()
    try:
        sent = request_json(body)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert sent == json.dumps(body).encode()
    assert peak < 1.1 * len(sent)  # json.dumps(body).encode() holds 2x: the JSON text, then its bytes
