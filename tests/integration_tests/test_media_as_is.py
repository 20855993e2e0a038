"""Media sent as it is (``normalize_media=False``): the wrapper adds no work that nothing asks for.

* The caller's base64 goes on the wire unchanged, in every block form and through invoke, stream and ainvoke, and
  the body's bytes are exactly ``json.dumps`` of what the emulator parsed.
* Nothing decodes the image or the audio on the caller's side: the checks read the base64's length and the image's
  header, so a 1.5 MB PNG costs a few KiB of decoding and no pixel (spied on the test's own thread: the in-process
  emulator decodes everything, as the service does, in its own thread).
* The checks the profile demands still run before the network: the format the header shows, a decompression bomb's
  pixel count, base64 that does not decode, the declared format and byte size (in the bad-input catalogue).
"""

from __future__ import annotations

import asyncio
import binascii
import io
import json
import struct
import threading
import zlib
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from langchain_core.messages import BaseMessage, HumanMessage
from PIL import Image, ImageFile

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.errors import MediaDecodeError, MediaValidationError
from tests.support.chat import chat_posts, model_on
from tests.support.media import b64, wav_bytes

EmulatorFactory = Callable[..., Emulator]

GPT4O = "gpt-4o"
PHI4 = "phi-4-multimodal-instruct"
AT = "messages[0].content[1]"


def noise_png(width: int = 700, height: int = 700) -> bytes:
    """Random pixels, so the PNG is about 3 bytes a pixel (1.5 MB here): large enough that a decode would show."""
    pixels = np.random.default_rng(7).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


PNG = noise_png()


def png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels, with one tiny pixel chunk: what a bomb looks like."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0")) + chunk(b"IEND", b"")


def turn(block: dict[str, Any]) -> list[BaseMessage]:
    return [HumanMessage([{"type": "text", "text": "Describe this."}, block])]


def sent_items(emulator: Emulator) -> list[dict[str, Any]]:
    """The content items of the one chat request the emulator received; its bytes are ``json.dumps`` of its body."""
    (posted,) = chat_posts(emulator)
    assert posted.body_bytes == len(json.dumps(posted.body).encode())
    items: list[dict[str, Any]] = posted.body["messages"][0]["content"]
    return items


def send(model: ChatAzureMultimodal, messages: list[BaseMessage], how: str) -> None:
    if how == "invoke":
        model.invoke(messages)
    elif how == "stream":
        assert list(model.stream(messages))
    else:

        async def call() -> None:
            await model.ainvoke(messages)
            await model.aclose()

        asyncio.run(call())


@pytest.fixture
def decoding_here(monkeypatch: pytest.MonkeyPatch) -> dict[str, int]:
    """Counts, on the test's thread only, the bytes base64-decoded and the images whose pixels were loaded."""
    here = threading.get_ident()
    counts = {"decoded_bytes": 0, "pixel_loads": 0}
    a2b_base64 = binascii.a2b_base64
    loads = {cls: cls.load for cls in (Image.Image, ImageFile.ImageFile)}

    def spy_a2b(data: Any, *args: Any, **kwargs: Any) -> bytes:
        out = a2b_base64(data, *args, **kwargs)
        if threading.get_ident() == here:
            counts["decoded_bytes"] += len(out)
        return out

    def spy_load(cls: type[Image.Image]) -> Callable[..., Any]:
        def load(self: Image.Image, *args: Any, **kwargs: Any) -> Any:
            if threading.get_ident() == here:
                counts["pixel_loads"] += 1
            return loads[cls](self, *args, **kwargs)

        return load

    monkeypatch.setattr(binascii, "a2b_base64", spy_a2b)
    for cls in loads:
        monkeypatch.setattr(cls, "load", spy_load(cls))
    return counts


BLOCKS: dict[str, Callable[[bytes], dict[str, Any]]] = {
    "v1 base64": lambda data: {"type": "image", "base64": b64(data), "mime_type": "image/png"},
    "v0 source_type": lambda data: {
        "type": "image",
        "source_type": "base64",
        "data": b64(data),
        "mime_type": "image/png",
    },
    "OpenAI data URL": lambda data: {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(data)}"}},
}


@pytest.mark.parametrize("how", ["invoke", "stream", "ainvoke"])
@pytest.mark.parametrize("form", list(BLOCKS))
def test_an_image_sent_as_is_goes_out_as_the_callers_base64(
    emulator_factory: EmulatorFactory, form: str, how: str
) -> None:
    emulator = emulator_factory(GPT4O)
    send(model_on(emulator, normalize_media=False), turn(BLOCKS[form](PNG)), how)
    assert sent_items(emulator)[1] == {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{b64(PNG)}"}}


def test_an_image_sent_as_is_is_never_decoded(emulator_factory: EmulatorFactory, decoding_here: dict[str, int]):
    emulator = emulator_factory(GPT4O)
    model = model_on(emulator, normalize_media=False)
    block = {"type": "image", "base64": b64(PNG), "mime_type": "image/png", "extras": {"detail": "high"}}
    estimate = model.get_num_tokens_from_messages(turn(block))  # the size from the header too
    reply = model.invoke(turn(block))
    assert decoding_here == {"decoded_bytes": decoding_here["decoded_bytes"], "pixel_loads": 0}
    assert decoding_here["decoded_bytes"] < 32 * 1024 < len(PNG) // 40  # the header, not the 1.5 MB file
    assert reply.usage_metadata is not None and reply.usage_metadata["input_tokens"] == estimate
    assert sent_items(emulator)[1]["image_url"] == {"url": f"data:image/png;base64,{b64(PNG)}", "detail": "high"}


def test_audio_sent_as_is_is_never_decoded(emulator_factory: EmulatorFactory, decoding_here: dict[str, int]):
    emulator = emulator_factory(PHI4)
    wav = wav_bytes(20.0)  # 640 KB
    model_on(emulator, normalize_media=False).invoke(
        turn({"type": "audio", "base64": b64(wav), "mime_type": "audio/wav"})
    )
    assert decoding_here["decoded_bytes"] < 1024
    assert sent_items(emulator)[1] == {"type": "input_audio", "input_audio": {"data": b64(wav), "format": "wav"}}


def _heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "HEIF")
    return buffer.getvalue()


HEADER_CASES: dict[str, tuple[Callable[[], str], type[Exception], str]] = {
    "bytes that are not an image": (
        lambda: b64(b"GIF-ish? no: plain text " * 4000),
        MediaDecodeError,
        "is not a JPEG, PNG, GIF, WEBP, HEIC, TIFF, BMP or AVIF image",
    ),
    "a HEIC declared image/png": (
        lambda: b64(_heic()),
        MediaValidationError,
        "the data declared image/png is a HEIC image (64x48), which gpt-4o does not take as it is",
    ),
    "a decompression bomb's header": (
        lambda: b64(png_header_only(20_000, 20_000)),
        MediaValidationError,
        "too large to decode safely",
    ),
    "base64 that does not decode": (lambda: b64(PNG)[:-3] + "*==", MediaDecodeError, "base64 data does not decode"),
}


@pytest.mark.parametrize("case", list(HEADER_CASES.values()), ids=list(HEADER_CASES))
def test_the_header_checks_still_run_before_the_network(
    emulator_factory: EmulatorFactory, case: tuple[Callable[[], str], type[Exception], str]
) -> None:
    data, error, what = case
    emulator = emulator_factory(GPT4O)
    with pytest.raises(error) as raised:
        model_on(emulator, normalize_media=False).invoke(
            turn({"type": "image", "base64": data(), "mime_type": "image/png"})
        )
    assert type(raised.value) is error
    assert str(raised.value).startswith(f"{AT}: ") and what in str(raised.value) and "Fix: " in str(raised.value)
    assert emulator.requests == []
