"""The bad-input catalogue: every input that cannot be sent fails with a typed error, before any request.

Each case builds one bad input, sends it the way a user would (``model.invoke`` on a model pointed at the
emulator for message-level inputs; the builders for sources; the constructor for settings) and asserts

* the exact error type (``MediaDecodeError``, ``MediaSourceError``, ``MediaValidationError``,
  ``MediaExtraRequiredError``, ``UnsupportedContentError``, ``EndpointError``, ``TypeError``, ``ValueError``);
* that the message says what was wrong, where (``messages[i].content[j]``, the file, or the setting) and the fix;
* that the emulator received nothing (``emulator.requests == []``).

Inputs that look wrong but are fine (a PNG named ``.jpg``, ``image_policy="keep_last"``, a PNG and a WAV without the
media extra) have their own success tests. A hypothesis test feeds arbitrary nested content to the request builder,
which may raise only the documented errors.
"""

from __future__ import annotations

import functools
import io
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from PIL import Image
from pydantic import ValidationError

from langchain_azure_multimodal import ChatAzureMultimodal, ModelProfile, _audio, _images
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.errors import (
    MEDIA_EXTRA_INSTALL,
    EndpointError,
    MediaDecodeError,
    MediaError,
    MediaExtraRequiredError,
    MediaSourceError,
    MediaValidationError,
    UnsupportedContentError,
)
from langchain_azure_multimodal.estimates import estimate_cost
from langchain_azure_multimodal.testing import MockWire, completion
from tests.conftest import API_KEY
from tests.support.chat import audio_block, image_block, model_on, user_turn
from tests.support.media import b64, data_url, encoded_audio, image_bytes, wav_bytes

EmulatorFactory = Callable[..., Emulator]

PHI4 = "phi-4-multimodal-instruct"  # takes images and audio: media errors are the media's own
PHI3V = "phi-3-vision-128k-instruct"
GPT4O = "gpt-4o"
GPT4O_AUDIO = "gpt-4o-audio-preview"
MISTRAL = "mistral-large-2411"

PNG = image_bytes(64, 48, "PNG")
JPEG = image_bytes(64, 48, "JPEG")
WAV = wav_bytes(1.0)
MP3 = encoded_audio(0.5)
FIX = "Fix: "
AT = "messages[0].content[1]"  # the block after the leading text block


# ------------------------------------------------------------------------------------------- media, made lazily


@functools.cache
def noise_png(width: int, height: int) -> bytes:
    """Random pixels: PNG cannot compress them, so the file is about 3 bytes a pixel."""
    pixels = np.random.default_rng(width * height).integers(0, 256, (height, width, 3), dtype=np.uint8)
    buffer = io.BytesIO()
    Image.fromarray(pixels).save(buffer, "PNG", compress_level=1)
    return buffer.getvalue()


@functools.cache
def truncated_jpeg() -> bytes:
    data = image_bytes(640, 480, "JPEG", color="orange")
    return data[: len(data) // 2]


@functools.cache
def heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "teal").save(buffer, "HEIF")
    return buffer.getvalue()


@functools.cache
def silent_video_mp4() -> bytes:
    """An MP4 with one video stream and no audio stream."""
    import av

    buffer = io.BytesIO()
    with av.open(buffer, "w", format="mp4") as container:
        stream = container.add_stream("mpeg4", rate=10)
        stream.width, stream.height, stream.pix_fmt = 64, 48, "yuv420p"
        for _ in range(5):
            frame = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
            container.mux(stream.encode(frame))
        container.mux(stream.encode(None))
    return buffer.getvalue()


@functools.cache
def ogg_opus() -> bytes:
    return encoded_audio(1.0, "ogg", "libopus")


TIGHT = ModelProfile(
    name="tight-vlm",
    provider="test",
    image_input=True,
    audio_input=True,
    max_images_per_request=10,
    max_images_per_turn=10,
    max_image_bytes=100_000,
    max_audio_bytes=10_000,
)


# ------------------------------------------------------------------------------------- message-level catalogue


@dataclass(frozen=True)
class Case:
    """A bad message-level input: what ``invoke`` gets, and what its error must say."""

    messages: Callable[[], list[BaseMessage]]
    error: type[Exception]
    what: str
    where: str
    fix: str
    model: str = PHI4
    route: str = "foundry"
    model_kwargs: dict[str, Any] = field(default_factory=dict)
    call_kwargs: dict[str, Any] = field(default_factory=dict)


MESSAGE_CASES = {
    # --- bytes that do not decode
    "truncated JPEG": Case(
        lambda: user_turn(image_block(truncated_jpeg(), "image/jpeg", extras={"filename": "half.jpg"})),
        MediaDecodeError,
        "the JPEG data is truncated or corrupt",
        f"{AT} (half.jpg)",
        "send the complete file",
    ),
    "zero-byte image": Case(
        lambda: user_turn(image_block(b"", "image/png")),
        MediaDecodeError,
        "the image data is empty",
        AT,
        "send the file",
    ),
    "zero-byte audio": Case(
        lambda: user_turn(audio_block(b"")), MediaDecodeError, "the audio data is empty", AT, "send the file"
    ),
    "random bytes declared image/png": Case(
        lambda: user_turn(image_block(b"\x13\x37" * 200, "image/png")),
        MediaDecodeError,
        "is not a JPEG, PNG, GIF, WEBP, HEIC, TIFF, BMP or AVIF image",
        AT,
        "convert it to PNG or JPEG",
    ),
    "WAV bytes declared image/png": Case(
        lambda: user_turn(image_block(WAV, "image/png")),
        MediaDecodeError,
        "starts with b'RIFF",
        AT,
        "send the image file itself",
    ),
    "PNG with a corrupt pixel stream": Case(
        lambda: user_turn(image_block(PNG[:60] + b"\x00" * 40 + PNG[100:], "image/png")),
        MediaDecodeError,
        "PNG data is truncated or corrupt",
        AT,
        "export it again",
    ),
    "invalid base64 image": Case(
        lambda: user_turn({"type": "image", "base64": "not base64!!", "mime_type": "image/png"}),
        MediaDecodeError,
        "the image's base64 data does not decode",
        AT,
        "send standard base64",
    ),
    "invalid base64 audio": Case(
        lambda: user_turn({"type": "audio", "base64": "@@@@", "mime_type": "audio/wav"}),
        MediaDecodeError,
        "the audio's base64 data does not decode",
        AT,
        "send standard base64",
    ),
    "invalid base64 in an OpenAI image_url data URL": Case(
        lambda: user_turn({"type": "image_url", "image_url": {"url": "data:image/png;base64,%%%"}}),
        MediaDecodeError,
        "base64 data does not decode",
        AT,
        "send standard base64",
    ),
    "unknown audio: a random-header file declared audio/wav": Case(
        lambda: user_turn(audio_block(b"RIFX" + bytes(range(256)) * 4, "audio/wav")),
        MediaDecodeError,
        "PyAV recognises no audio or video format",
        AT,
        "send a recording as WAV, MP3",
    ),
    "unknown audio: an MP4 video with no audio stream declared audio/mpeg": Case(
        lambda: user_turn(audio_block(silent_video_mp4(), "audio/mpeg", extras={"filename": "screen.mp4"})),
        MediaDecodeError,
        "found no audio stream in this MP4/MOV container; it holds video (mpeg4)",
        f"{AT} (screen.mp4)",
        "a video's sound must be extracted first",
    ),
    "unknown audio: an MP4 video with no audio stream declared audio/ogg": Case(
        lambda: user_turn(audio_block(silent_video_mp4(), "audio/ogg")),
        MediaDecodeError,
        "found no audio stream",
        AT,
        "a video's sound must be extracted first",
    ),
    "PNG bytes declared audio/wav": Case(
        lambda: user_turn(audio_block(PNG, "audio/wav")),
        MediaDecodeError,
        "found no audio stream",
        AT,
        "images go in image content",
    ),
    # --- too big, too many, or not what the model takes
    "image that cannot be reduced below the profile's byte limit": Case(
        lambda: user_turn(image_block(noise_png(1024, 1024), "image/png", extras={"detail": "low"})),
        MediaValidationError,
        "over the 100,000-byte limit",
        AT,
        "Fix: crop it",
        model_kwargs={"model_profile": TIGHT},
    ),
    "25 MB noise PNG with normalize_media=False": Case(
        lambda: user_turn(image_block(noise_png(2900, 2900), "image/png", extras={"filename": "noise.png"})),
        MediaValidationError,
        "image/png of 25,",
        f"{AT} (noise.png)",
        "normalize_media=True",
        model=GPT4O,
        call_kwargs={"normalize_media": False},
    ),
    "audio over the profile's byte limit": Case(  # over it even as MP3, which a WAV over it is first made into
        lambda: user_turn(audio_block(wav_bytes(3.0))),
        MediaValidationError,
        "bytes as MP3, over the 10,000-byte limit",
        AT,
        "split it with split_audio(source, max_bytes=10000)",
        model_kwargs={"model_profile": TIGHT},
    ),
    "audio over the byte limit with normalize_media=False": Case(
        lambda: user_turn(audio_block(WAV)),
        MediaValidationError,
        f"audio/wav of {len(WAV):,} bytes is not audio tight-vlm takes as it is",
        AT,
        "normalize_media=True",
        model_kwargs={"model_profile": TIGHT, "normalize_media": False},
    ),
    "11 images for gpt-4o": Case(
        lambda: user_turn(*[image_block(PNG) for _ in range(11)]),
        MediaValidationError,
        "this request has 11 images; gpt-4o takes at most 10",
        "messages[0].content[11]",
        "send fewer images, split them across requests",
        model=GPT4O,
    ),
    "11 images for gpt-4o across turns": Case(
        lambda: [
            *user_turn(*[image_block(PNG) for _ in range(6)]),
            AIMessage("Seen."),
            *user_turn(*[image_block(PNG)] * 5),
        ],
        MediaValidationError,
        "this request has 11 images; gpt-4o takes at most 10",
        "messages[2].content[5]",
        "send fewer images",
        model=GPT4O,
    ),
    "2 images in one turn for phi-3-vision": Case(
        lambda: user_turn(image_block(PNG), image_block(JPEG, "image/jpeg")),
        MediaValidationError,
        f"this request has 2 images; {PHI3V} takes at most 1",
        "messages[0].content[2]",
        "image_policy='keep_last'",
        model=PHI3V,
    ),
    "2 images across turns for phi-3-vision": Case(
        lambda: [
            *user_turn(image_block(PNG)),
            AIMessage("A teal square."),
            *user_turn(image_block(JPEG, "image/jpeg")),
        ],
        MediaValidationError,
        f"this request has 2 images; {PHI3V} takes at most 1",
        "messages[2].content[1]",
        "image_policy='keep_last'",
        model=PHI3V,
    ),
    "image URLs count too: 2 for llama-3.2 vision": Case(
        lambda: user_turn(
            {"type": "image", "url": "https://example.com/a.png"}, {"type": "image", "url": "https://x/b"}
        ),
        MediaValidationError,
        "this request has 2 images; llama-3.2-11b-vision-instruct takes at most 1",
        "messages[0].content[2]",
        "image_policy='keep_last'",
        model="llama-3.2-11b-vision-instruct",
    ),
    "audio sent to gpt-4o": Case(
        lambda: user_turn(audio_block(WAV)),
        MediaValidationError,
        "gpt-4o does not take audio input",
        AT,
        "use an audio model (gpt-4o-audio-preview",
        model=GPT4O,
    ),
    "audio URL sent to gpt-4o": Case(
        lambda: user_turn({"type": "audio", "url": "https://example.com/clip.mp3"}),
        MediaValidationError,
        "gpt-4o does not take audio input",
        AT,
        "transcribe the clip first",
        model=GPT4O,
    ),
    "image sent to gpt-4o-audio-preview": Case(
        lambda: user_turn(image_block(PNG)),
        MediaValidationError,
        f"{GPT4O_AUDIO} does not take image input",
        AT,
        "use a vision model",
        model=GPT4O_AUDIO,
    ),
    "image sent to a text-only model": Case(
        lambda: user_turn(image_block(PNG)),
        MediaValidationError,
        f"{MISTRAL} does not take image input",
        AT,
        "remove the image",
        model=MISTRAL,
    ),
    "image URL sent to a text-only model": Case(
        lambda: user_turn({"type": "image_url", "image_url": {"url": "https://example.com/cat.png"}}),
        MediaValidationError,
        f"{MISTRAL} does not take image input",
        AT,
        "use a vision model",
        model=MISTRAL,
    ),
    "audio sent to a text-only model": Case(
        lambda: user_turn({"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}}),
        MediaValidationError,
        f"{MISTRAL} does not take audio input",
        AT,
        "transcribe the clip first",
        model=MISTRAL,
    ),
    "image returned by a tool, for a text-only model": Case(
        lambda: [
            HumanMessage("Take a screenshot."),
            AIMessage("", tool_calls=[{"id": "call_1", "name": "screenshot", "args": {}}]),
            ToolMessage([image_block(PNG)], tool_call_id="call_1"),
        ],
        MediaValidationError,
        f"{MISTRAL} does not take image input",
        "messages[2].content[0]",
        "remove the image",
        model=MISTRAL,
    ),
    "audio/ogg with normalize_media=False": Case(
        lambda: user_turn(audio_block(ogg_opus(), "audio/ogg")),
        MediaValidationError,
        "audio/ogg of",
        AT,
        "normalize_media=True",
        call_kwargs={"normalize_media": False},
    ),
    "image/heic with normalize_media=False": Case(
        lambda: user_turn(image_block(heic(), "image/heic", extras={"filename": "IMG_0001.HEIC"})),
        MediaValidationError,
        f"image/heic of {len(heic()):,} bytes is not an image {GPT4O} takes as it is",
        f"{AT} (IMG_0001.HEIC)",
        "turn media normalisation on (normalize_media=True)",
        model=GPT4O,
        model_kwargs={"normalize_media": False},
    ),
    "JPEG declared image/tiff with normalize_media=False": Case(
        lambda: user_turn(image_block(JPEG, "image/tiff")),
        MediaValidationError,
        "image/tiff of",
        AT,
        "normalize_media=True",
        call_kwargs={"normalize_media": False},
    ),
    # --- block forms the wire cannot carry
    "data URL without a MIME type": Case(
        lambda: user_turn({"type": "image_url", "image_url": {"url": f"data:;base64,{b64(PNG)}"}}),
        UnsupportedContentError,
        "the data URL has no MIME type",
        AT,
        "Write it as data:image/<format>;base64,<data>",
    ),
    "data URL that is not base64": Case(
        lambda: user_turn({"type": "image_url", "image_url": {"url": "data:image/png,rawbytes"}}),
        UnsupportedContentError,
        "the data URL is not base64-encoded",
        AT,
        "Encode the bytes as data:<mime>;base64,<data>",
    ),
    "video block": Case(
        lambda: user_turn({"type": "video", "url": "https://example.com/clip.mp4"}),
        UnsupportedContentError,
        "(block type 'video'): the Azure chat wire format cannot carry this block",
        AT,
        "extract frames and send them as image blocks",
    ),
    "file block (PDF)": Case(
        lambda: user_turn({"type": "file", "base64": b64(b"%PDF-1.7\n"), "mime_type": "application/pdf"}),
        UnsupportedContentError,
        "(block type 'file')",
        AT,
        "render the pages to images",
    ),
    "unknown block type": Case(
        lambda: user_turn({"type": "hologram", "data": "3d"}),
        UnsupportedContentError,
        "(block type 'hologram')",
        AT,
        "convert the content to one of those",
    ),
    "block that is not a dict": Case(
        lambda: [HumanMessage.model_construct(content=["Look at this.", 42])],
        UnsupportedContentError,
        "(block type 'int'): a content block must be a string or a dict",
        AT,
        'Use text, image or audio blocks ({"type"',
    ),
    "block without a type": Case(
        lambda: user_turn({"base64": b64(PNG), "mime_type": "image/png"}),
        UnsupportedContentError,
        "dict without a 'type'",
        AT,
        "convert the content to one of those",
    ),
    "text block without text": Case(
        lambda: user_turn({"type": "text", "text": None}),
        UnsupportedContentError,
        "the block has no text string",
        AT,
        "Set 'text' to a string",
    ),
    "base64 image with no mime_type": Case(
        lambda: user_turn(image_block(PNG, None)),
        UnsupportedContentError,
        "base64 data has no MIME type",
        AT,
        'Set mime_type, e.g. "image/png"',
    ),
    "base64 audio with no mime_type": Case(
        lambda: user_turn({"type": "audio", "base64": b64(WAV)}),
        UnsupportedContentError,
        "base64 data has no MIME type",
        AT,
        'Set mime_type, e.g. "audio/wav"',
    ),
    "image block with a PDF MIME type": Case(
        lambda: user_turn(image_block(b"%PDF-1.7\n", "application/pdf")),
        UnsupportedContentError,
        "'application/pdf' is not an image MIME type",
        AT,
        "in its own block type",
    ),
    "input_audio without a format": Case(
        lambda: user_turn({"type": "input_audio", "input_audio": {"data": b64(WAV)}}),
        UnsupportedContentError,
        "input_audio needs 'data' and a 'format'",
        AT,
        '{"data": ..., "format": "wav"}',
    ),
    "image in a SystemMessage": Case(
        lambda: [SystemMessage([{"type": "text", "text": "Be brief."}, image_block(PNG)]), HumanMessage("Hi")],
        UnsupportedContentError,
        "a system message carries text only, not images or audio",
        "messages[0].content[1]",
        "Move them to a HumanMessage",
    ),
    "file_id source (v1)": Case(
        lambda: user_turn({"type": "image", "file_id": "file-abc123"}),
        UnsupportedContentError,
        "file ids cannot be sent",
        AT,
        "send base64 or a URL",
    ),
    "file id source (v0)": Case(
        lambda: user_turn({"type": "image", "source_type": "id", "id": "file-abc123"}),
        UnsupportedContentError,
        "file ids cannot be sent",
        AT,
        "send base64 or a URL",
    ),
    "unknown v0 source_type": Case(
        lambda: user_turn({"type": "image", "source_type": "s3", "url": "s3://bucket/cat.png"}),
        UnsupportedContentError,
        "unknown source_type 's3'",
        AT,
        'Use source_type "base64" or "url"',
    ),
    "ftp:// URL": Case(
        lambda: user_turn({"type": "image", "url": "ftp://example.com/cat.png"}),
        UnsupportedContentError,
        "'ftp://example.com/cat.png' is not an http(s) URL",
        AT,
        "Read the file and send it as base64",
    ),
    "local path as an image URL": Case(
        lambda: user_turn({"type": "image_url", "image_url": {"url": "/home/me/cat.png"}}),
        UnsupportedContentError,
        "'/home/me/cat.png' is not an http(s) URL",
        AT,
        "Read the file and send it as base64",
    ),
    'detail="ultra"': Case(
        lambda: user_turn(
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.png", "detail": "ultra"}}
        ),
        UnsupportedContentError,
        "detail 'ultra' is not auto, low or high",
        AT,
        'Use "auto", "low" or "high"',
    ),
    "Azure OpenAI api_version 2024-10-21 with audio": Case(
        lambda: user_turn(audio_block(WAV)),
        UnsupportedContentError,
        "audio input from api-version 2025-01-01-preview on, and this model uses api_version='2024-10-21'",
        AT,
        "Pass api_version='2025-01-01-preview' or later",
        route="azure-openai",
        model_kwargs={"api_version": "2024-10-21"},
    ),
    # --- per-call settings
    'per-call image_policy="sometimes"': Case(
        lambda: user_turn(image_block(PNG)),
        ValueError,
        "image_policy must be 'error' or 'keep_last', not 'sometimes'",
        "image_policy",
        "'error' or 'keep_last'",
        call_kwargs={"image_policy": "sometimes"},
    ),
    'per-call extra_parameters="sometimes"': Case(
        lambda: user_turn("Hi"),
        ValueError,
        "extra_parameters must be 'pass-through', 'drop' or 'error', not 'sometimes'",
        "extra_parameters",
        "'pass-through', 'drop' or 'error'",
        call_kwargs={"extra_parameters": "sometimes", "model_extras": {"top_k": 5}},
    ),
    'per-call default_image_detail="ultra"': Case(
        lambda: user_turn({"type": "image", "url": "https://example.com/cat.png"}),
        ValueError,
        "default_image_detail must be auto, low or high, not 'ultra'",
        "default_image_detail",
        "auto, low or high",
        call_kwargs={"default_image_detail": "ultra"},
    ),
    "unknown keyword argument": Case(
        lambda: user_turn("Hi"),
        TypeError,
        "ChatAzureMultimodal.invoke got unexpected keyword arguments: 'colour'; to send a model-specific parameter",
        "colour",
        "unexpected keyword",
        call_kwargs={"colour": "red"},
    ),
}


@pytest.mark.parametrize("case", list(MESSAGE_CASES.values()), ids=list(MESSAGE_CASES))
def test_a_bad_message_input_is_refused_before_the_network(emulator_factory: EmulatorFactory, case: Case) -> None:
    emulator = emulator_factory(case.model)
    model = model_on(emulator, case.route, **case.model_kwargs)
    messages = case.messages()
    with pytest.raises(case.error) as raised:
        model.invoke(messages, **case.call_kwargs)
    assert type(raised.value) is case.error, f"{type(raised.value).__name__}: {raised.value}"
    text = str(raised.value)
    assert case.what in text
    assert case.where in text
    assert case.fix in text
    if isinstance(raised.value, MediaError):
        assert FIX in text and raised.value.fix and raised.value.where and case.where in raised.value.where
    assert emulator.requests == []


async def _call(model: ChatAzureMultimodal, how: str, messages: list[BaseMessage]) -> object:
    if how == "stream":
        return list(model.stream(messages))
    if how == "ainvoke":
        return await model.ainvoke(messages)
    if how == "astream":
        return [chunk async for chunk in model.astream(messages)]
    if how == "batch":
        return model.batch([messages])
    return model.invoke(messages)


@pytest.mark.parametrize("how", ["stream", "ainvoke", "astream", "streaming=True", "batch"])
async def test_every_entry_point_refuses_before_the_network(emulator: Emulator, how: str) -> None:
    model = model_on(emulator, streaming=how == "streaming=True")
    with pytest.raises(MediaDecodeError, match=r"messages\[0\]\.content\[1\]: the JPEG data is truncated"):
        await _call(model, how, user_turn(image_block(truncated_jpeg(), "image/jpeg")))
    assert emulator.requests == []


def test_an_unknown_model_is_checked_against_the_info_profile_after_one_get(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(GPT4O)
    model = model_on(emulator, "foundry", model="my-deployment")
    with pytest.raises(MediaValidationError, match=r"messages\[0\]\.content\[1\]: gpt-4o does not take audio input"):
        model.invoke(user_turn(audio_block(WAV)))
    assert [(r.method, r.path) for r in emulator.requests] == [("GET", "/models/info")]  # no chat request


# ------------------------------------------------------------------------------------------ settings catalogue


@dataclass(frozen=True)
class SettingCase:
    """A constructor argument that cannot work: refused when the model is made."""

    kwargs: dict[str, Any]
    error: type[Exception]
    what: str
    fix: str
    route: str = "foundry"


SETTING_CASES = {
    "v1 endpoint without model": SettingCase(
        {"model": None}, ValidationError, "openai-v1 endpoints need model=<deployment name>", "model=", "openai-v1"
    ),
    "max_retries=-1": SettingCase({"max_retries": -1}, ValidationError, "max_retries must be 0 or more", "0 or more"),
    "timeout=0": SettingCase({"timeout": 0}, ValidationError, "timeout must be a positive number", "or None"),
    "timeout=-1.5": SettingCase({"timeout": -1.5}, ValidationError, "got -1.5", "positive number of seconds"),
    "unknown extra_parameters value": SettingCase(
        {"extra_parameters": "sometimes"}, ValidationError, "extra_parameters", "'pass-through', 'drop' or 'error'"
    ),
    'image_policy="sometimes"': SettingCase(
        {"image_policy": "sometimes"}, ValidationError, "image_policy", "'error' or 'keep_last'"
    ),
    'default_image_detail="ultra"': SettingCase(
        {"default_image_detail": "ultra"}, ValidationError, "default_image_detail", "'auto', 'low' or 'high'"
    ),
    "api_version on a v1 endpoint": SettingCase(
        {"api_version": "2024-10-21"}, EndpointError, "/openai/v1 endpoints take no api-version", "remove api_version"
    ),
    "endpoint that is not a URL": SettingCase(
        {"endpoint": "my-resource"}, EndpointError, "endpoint must be an http(s) URL", "such as https://"
    ),
    "unknown endpoint kind": SettingCase(
        {"endpoint_kind": "mainframe"}, ValidationError, "endpoint_kind", "Input should be 'foundry', 'azure-openai'"
    ),
}


@pytest.mark.parametrize("case", list(SETTING_CASES.values()), ids=list(SETTING_CASES))
def test_a_bad_setting_is_refused_when_the_model_is_made(emulator: Emulator, case: SettingCase) -> None:
    kwargs: dict[str, Any] = {"endpoint": emulator.endpoint_for("openai-v1"), "api_key": API_KEY, "model": PHI4}
    kwargs.update(case.kwargs)
    with pytest.raises(case.error) as raised:
        ChatAzureMultimodal(**kwargs)
    assert type(raised.value) is case.error
    assert case.what in str(raised.value)
    assert case.fix in str(raised.value)
    assert API_KEY not in str(raised.value)
    assert emulator.requests == []


def test_bad_prices_are_refused_before_counting(emulator: Emulator) -> None:
    needs = r"prices needs 'input' \(and optionally 'output', 'audio_output'\).*\['inputs'\]"
    with pytest.raises(ValueError, match=needs):
        estimate_cost(user_turn(image_block(PNG)), {"inputs": 1}, model=GPT4O)
    with pytest.raises(ValueError, match="output_tokens must be 0 or more, got -1"):
        estimate_cost(user_turn("Hi"), {"input": 0.01}, model=GPT4O, output_tokens=-1)
    with pytest.raises(ValueError, match="output_audio_seconds must be 0 or more, got -2"):
        estimate_cost(user_turn("Hi"), {"input": 0.01}, model=GPT4O, output_audio_seconds=-2)
    with pytest.raises(ValueError, match="gpt-4o cannot speak: leave output_audio_seconds out"):
        estimate_cost(user_turn("Hi"), {"input": 0.01}, model=GPT4O, output_audio_seconds=2)
    assert emulator.requests == []


# ---------------------------------------------------------------------------------------- without the media extra


@pytest.fixture
def no_media_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    """The client's Pillow and PyAV gone (the emulator keeps its own, so it still inspects what arrives)."""
    monkeypatch.setattr(_images, "_pillow", None)
    monkeypatch.setattr(_audio, "av", None)


@pytest.mark.usefixtures("no_media_extra")
def test_without_the_media_extra_a_heic_image_names_the_extra(emulator: Emulator) -> None:
    with pytest.raises(MediaExtraRequiredError) as raised:
        model_on(emulator).invoke(user_turn(image_block(heic(), "image/heic", extras={"filename": "IMG_0001.HEIC"})))
    text = str(raised.value)
    assert text.startswith(f"{AT} (IMG_0001.HEIC): normalising an image needs Pillow, which is not installed.")
    assert (
        "langchain-azure-multimodal[media]" in text and f"Fix: install the media extra: {MEDIA_EXTRA_INSTALL}" in text
    )
    assert emulator.requests == []


@pytest.mark.usefixtures("no_media_extra")
def test_without_the_media_extra_an_ogg_clip_names_the_extra(emulator: Emulator) -> None:
    with pytest.raises(MediaExtraRequiredError) as raised:
        model_on(emulator).invoke(user_turn(audio_block(ogg_opus(), "audio/ogg")))
    text = str(raised.value)
    assert text.startswith(f"{AT}: without PyAV only PCM WAV can be read, and this is not PCM WAV")
    assert text.endswith(f"Fix: install the media extra: {MEDIA_EXTRA_INSTALL}.")
    assert "langchain-azure-multimodal[media]" in text
    assert emulator.requests == []


@pytest.mark.usefixtures("no_media_extra")
def test_without_the_media_extra_a_png_and_a_wav_still_go_through(emulator: Emulator) -> None:
    reply = model_on(emulator).invoke(user_turn(image_block(PNG), audio_block(WAV)))
    items = emulator.requests[-1].body["messages"][0]["content"]
    assert items[1] == {"type": "image_url", "image_url": {"url": data_url(PNG, "image/png")}}
    assert items[2] == {"type": "input_audio", "input_audio": {"data": b64(WAV), "format": "wav"}}
    assert f"Received 1 image: #1 png 64x48, {len(PNG):,} bytes" in reply.content
    assert "Received 1 audio clip: #1 wav 1.00 s" in reply.content


# ------------------------------------------------------------------------------- not errors: their own tests


def test_a_png_named_jpg_is_sent_as_png(emulator: Emulator) -> None:
    block = image_block(PNG, "image/jpeg", extras={"filename": "photo.jpg"})
    reply = model_on(emulator).invoke(user_turn(block))
    sent = emulator.requests[-1].body["messages"][0]["content"][1]
    assert sent == {"type": "image_url", "image_url": {"url": data_url(PNG, "image/png")}}  # same bytes, true type
    assert f"Received 1 image: #1 png 64x48, {len(PNG):,} bytes, detail=auto." in reply.content
    assert "declared" not in reply.content  # the emulator saw no mismatch


def test_an_mp3_labelled_wav_is_sent_as_mp3(emulator: Emulator) -> None:
    reply = model_on(emulator).invoke(user_turn(audio_block(MP3, "audio/wav", extras={"filename": "memo.wav"})))
    sent = emulator.requests[-1].body["messages"][0]["content"][1]
    assert sent == {"type": "input_audio", "input_audio": {"data": b64(MP3), "format": "mp3"}}
    assert "Received 1 audio clip: #1 mp3 0.5" in reply.content


@pytest.mark.parametrize("where", ["instance", "call"])
@pytest.mark.parametrize("layout", ["one turn", "across turns"])
def test_keep_last_sends_only_the_last_image_to_a_one_image_model(
    emulator_factory: EmulatorFactory, where: str, layout: str
) -> None:
    emulator = emulator_factory(PHI3V)
    first, last = image_block(PNG), image_block(image_bytes(32, 32, "PNG", color="red"))
    if layout == "one turn":
        messages = user_turn(first, last)
    else:
        messages = [*user_turn(first), AIMessage("A teal rectangle."), *user_turn(last)]
    model = model_on(emulator, image_policy="keep_last" if where == "instance" else "error")
    reply = model.invoke(messages, **({"image_policy": "keep_last"} if where == "call" else {}))
    images = [
        item["image_url"]["url"]
        for message in emulator.requests[-1].body["messages"]
        if isinstance(message["content"], list)
        for item in message["content"]
        if item["type"] == "image_url"
    ]
    assert images == [data_url(image_bytes(32, 32, "PNG", color="red"), "image/png")]
    assert "Received 1 image: #1 png 32x32" in reply.content


# ---------------------------------------------------------------------------------------- the builders' sources


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    (tmp_path / "empty.png").write_bytes(b"")
    (tmp_path / "half.jpg").write_bytes(truncated_jpeg())
    (tmp_path / "chart.png").write_bytes(PNG)
    (tmp_path / "memo.wav").write_bytes(WAV)
    (tmp_path / "screen.mp4").write_bytes(silent_video_mp4())
    (tmp_path / "album").mkdir()
    loop_a, loop_b = tmp_path / "loop_a.png", tmp_path / "loop_b.png"
    loop_a.symlink_to(loop_b)
    loop_b.symlink_to(loop_a)
    return {path.name: path for path in tmp_path.iterdir()} | {"missing.png": tmp_path / "missing.png"}


@dataclass(frozen=True)
class SourceCase:
    """A source the builders cannot turn into a block."""

    build: Callable[[dict[str, Path]], object]
    error: type[Exception]
    what: str
    where: str  # a file name (or the URL) that the error must name
    fix: str


def _parts() -> Any:
    from langchain_azure_multimodal import parts

    return parts


SOURCE_CASES = {
    "missing path": SourceCase(
        lambda f: _parts().image_part(f["missing.png"]),
        MediaSourceError,
        "no such file",
        "missing.png",
        "check the path",
    ),
    "directory given as an image": SourceCase(
        lambda f: _parts().image_part(f["album"]), MediaSourceError, "this is a directory", "album", "pass a file"
    ),
    "symlink loop": SourceCase(
        lambda f: _parts().image_part(f["loop_a.png"]),
        MediaSourceError,
        "symlink loop",
        "loop_a.png",
        "point the symlinks at a real file",
    ),
    "zero-byte file": SourceCase(
        lambda f: _parts().image_part(f["empty.png"]), MediaSourceError, "the file is empty", "empty.png", "pass a file"
    ),
    "truncated JPEG file": SourceCase(
        lambda f: _parts().image_part(f["half.jpg"]),
        MediaDecodeError,
        "the JPEG data is truncated or corrupt",
        "half.jpg",
        "send the complete file",
    ),
    "audio_part on a PNG": SourceCase(
        lambda f: _parts().audio_part(f["chart.png"]), MediaDecodeError, "no audio stream", "chart.png", "images go in"
    ),
    "image_part on a WAV": SourceCase(
        lambda f: _parts().image_part(f["memo.wav"]),
        MediaDecodeError,
        "starts with b'RIFF",
        "memo.wav",
        "send the image file itself",
    ),
    "audio_part on a video without sound": SourceCase(
        lambda f: _parts().audio_part(f["screen.mp4"]),
        MediaDecodeError,
        "found no audio stream",
        "screen.mp4",
        "a video's sound must be extracted first",
    ),
    "an http URL to split_audio": SourceCase(
        lambda f: list(_parts().split_audio("https://example.com/call.mp3", max_seconds=60)),
        MediaSourceError,
        "split_audio needs the audio's bytes; a URL is never fetched",
        "https://example.com/call.mp3",
        "download it first",
    ),
    "split_audio(max_seconds=0)": SourceCase(
        lambda f: list(_parts().split_audio(f["memo.wav"], max_seconds=0)),
        ValueError,
        "max_seconds must be a positive number of seconds, not 0",
        "max_seconds",
        "positive number",
    ),
    "ftp:// URL to image_part": SourceCase(
        lambda f: _parts().image_part("ftp://example.com/cat.png"),
        MediaSourceError,
        "ftp: URLs are not read",
        "ftp://example.com/cat.png",
        "download it first",
    ),
    "data URL without a MIME type to image_part": SourceCase(
        lambda f: _parts().image_part(f"data:;base64,{b64(PNG)}", name="chart.png"),
        MediaSourceError,
        "the data URL has no MIME type",
        "chart.png",
        "data:image/<format>;base64,<data>",
    ),
    'image_part(detail="ultra")': SourceCase(
        lambda f: _parts().image_part(f["chart.png"], detail="ultra"),
        ValueError,
        "detail must be 'auto', 'low', 'high' or None, not 'ultra'",
        "detail",
        "'auto', 'low', 'high'",
    ),
    "a number as a source": SourceCase(
        lambda f: _parts().image_part(42, name="answer"), MediaSourceError, "int", "answer", "pass a path"
    ),
}


@pytest.mark.parametrize("case", list(SOURCE_CASES.values()), ids=list(SOURCE_CASES))
def test_a_bad_source_is_refused_by_the_builder(emulator: Emulator, files: dict[str, Path], case: SourceCase) -> None:
    with pytest.raises(case.error) as raised:
        case.build(files)
    assert type(raised.value) is case.error, f"{type(raised.value).__name__}: {raised.value}"
    text = str(raised.value)
    assert case.what in text and case.where in text and case.fix in text
    if isinstance(raised.value, MediaError):
        assert FIX in text
    assert emulator.requests == []


def test_a_builder_block_that_fails_the_preflight_names_its_file(emulator_factory: EmulatorFactory, tmp_path: Path):
    from langchain_azure_multimodal.parts import image_part

    path = tmp_path / "IMG_0001.HEIC"
    path.write_bytes(heic())
    emulator = emulator_factory(GPT4O)
    with pytest.raises(MediaValidationError) as raised:
        model_on(emulator, normalize_media=False).invoke(user_turn(image_part(path)))
    assert str(raised.value).startswith(f"{AT} (IMG_0001.HEIC): image/heic of {len(heic()):,} bytes")
    assert "Fix: turn media normalisation on (normalize_media=True)" in str(raised.value)
    assert emulator.requests == []


# ----------------------------------------------------------------------------- any content: documented errors only

_MEDIA = {
    "png": PNG,
    "jpeg": JPEG,
    "wav": WAV,
    "mp3": MP3,
    "gif": image_bytes(8, 8, "GIF"),
    "webp": image_bytes(8, 8, "WEBP"),
}
_scalars = st.none() | st.booleans() | st.integers(-3, 3) | st.floats(allow_nan=True) | st.text(max_size=8)
_payloads = (
    st.binary(max_size=48)
    | st.sampled_from(list(_MEDIA.values()))
    | st.builds(lambda data, cut: data[:cut], st.sampled_from(list(_MEDIA.values())), st.integers(0, 300))
    | st.builds(lambda data, tail: data + tail, st.sampled_from(list(_MEDIA.values())), st.binary(max_size=16))
)
_base64 = _payloads.map(b64) | st.text(max_size=12) | _scalars
_image_mimes = st.sampled_from(["image/png", "image/jpeg", "image/jpg", "image/gif", "image/webp", "image/heic"])
_audio_mimes = st.sampled_from(["audio/wav", "audio/mpeg", "audio/mp3", "audio/x-wav", "audio/wav; codecs=1"])
_mime_names = _image_mimes | _audio_mimes | st.sampled_from(["audio/ogg", "image/tiff", "text/plain", "", "png"])
_mimes = _mime_names | _scalars
_details = st.sampled_from(["auto", "low", "high", "ultra", "", "HIGH"]) | _scalars
_urls = (
    st.sampled_from(["https://example.com/a.png", "http://x/y.mp3", "ftp://x/y", "/tmp/a.png", "", "data:", "s3://b"])
    | st.builds(lambda mime, data: f"data:{mime};base64,{data}", _mime_names, _base64)
    | st.builds(lambda mime, data: f"data:{mime},{data}", st.sampled_from(["image/png", ""]), st.text(max_size=8))
    | _scalars
)
_types = (
    st.sampled_from(["text", "image", "image_url", "audio", "input_audio", "file", "video", "text-plain", "hologram"])
    | _scalars
)
_inner = st.dictionaries(st.sampled_from(["url", "detail", "data", "format", "metadata"]), _urls | _details, max_size=3)
_blocks = st.fixed_dictionaries(
    {"type": _types},
    optional={
        "text": st.text(max_size=12) | _scalars,
        "base64": _base64,
        "data": _base64,
        "url": _urls,
        "mime_type": _mimes,
        "detail": _details,
        "source_type": st.sampled_from(["base64", "url", "id", "file_id", "text", "s3"]) | _scalars,
        "image_url": _inner | _urls,
        "input_audio": st.fixed_dictionaries({}, optional={"data": _base64, "format": _mimes | _details}) | _scalars,
        "extras": st.dictionaries(st.sampled_from(["detail", "filename", "metadata"]), _details | _inner) | _scalars,
        "metadata": st.dictionaries(st.sampled_from(["detail", "name"]), _details) | _scalars,
        "file_id": st.text(max_size=6),
        "id": st.text(max_size=6),
    },
)
#: Blocks that get past parsing often, so the pre-flight's decoders see the payloads.
_media_blocks = (
    st.fixed_dictionaries(
        {"type": st.just("image"), "base64": _payloads.map(b64), "mime_type": _image_mimes},
        optional={"extras": st.fixed_dictionaries({"detail": _details, "filename": st.text(max_size=6)})},
    )
    | st.fixed_dictionaries({"type": st.just("audio"), "base64": _payloads.map(b64), "mime_type": _audio_mimes})
    | st.builds(
        lambda mime, data, detail: {
            "type": "image_url",
            "image_url": {"url": f"data:{mime};base64,{data}", "detail": detail},
        },
        _image_mimes,
        _payloads.map(b64),
        st.sampled_from(["auto", "low", "high"]),
    )
)
_contents = (
    st.lists(_media_blocks | st.text(max_size=8), min_size=1, max_size=3)
    | st.text(max_size=20)
    | st.lists(_media_blocks | _blocks | st.text(max_size=8) | _scalars | st.lists(_scalars, max_size=2), max_size=4)
    | _scalars
    | _blocks
)
_RECORDED = MockWire(lambda call: completion())
_PURE_MODELS = {
    name: ChatAzureMultimodal(endpoint="http://127.0.0.1:9/models", wire=_RECORDED, model=name)
    for name in (PHI4, GPT4O, PHI3V, MISTRAL, GPT4O_AUDIO)
}


def _any_content(content: Any, model_name: str, normalize: bool, with_system: bool) -> None:
    try:
        message = HumanMessage(content=content)
    except ValidationError:  # pydantic refuses it at construction: documented; the pipeline must still cope
        message = HumanMessage.model_construct(content=content)
    messages: list[BaseMessage] = [SystemMessage("Be brief."), message] if with_system else [message]
    sent = len(_RECORDED.calls)
    try:
        _PURE_MODELS[model_name].invoke(messages, normalize_media=normalize)
    except (MediaError, UnsupportedContentError) as error:
        event(type(error).__name__)
        assert len(_RECORDED.calls) == sent  # refused before the wire
        return
    event("sent")
    assert _RECORDED.calls[-1].body["messages"]  # what is not refused is a request


_CONTENT_CASES = {
    "content": _contents,
    "model_name": st.sampled_from(list(_PURE_MODELS)),
    "normalize": st.booleans(),
    "with_system": st.booleans(),
}
_CONTENT_HEALTH = [HealthCheck.too_slow, HealthCheck.data_too_large]


@settings(max_examples=150, deadline=None, suppress_health_check=_CONTENT_HEALTH)
# Found by this test: blocks langchain-core's tracing or v0 translator fail on, before _generate, with bare errors.
@example(content=[{"type": "image", "text": None}], model_name=PHI4, normalize=False, with_system=False)
@example(content=[{"type": "image", "source_type": "base64", "mime_type": "image/png"}], model_name=PHI4,
         normalize=False, with_system=False)  # fmt: skip
@given(**_CONTENT_CASES)
def test_any_content_raises_only_the_documented_errors(
    content: Any, model_name: str, normalize: bool, with_system: bool
) -> None:
    _any_content(content, model_name, normalize, with_system)


# The bar: at least 10,000 fuzzed message lists raise only the documented errors (the slow step).
@pytest.mark.slow
@settings(max_examples=10_000, deadline=None, suppress_health_check=_CONTENT_HEALTH)
@given(**_CONTENT_CASES)
def test_10000_fuzzed_contents(content: Any, model_name: str, normalize: bool, with_system: bool) -> None:
    _any_content(content, model_name, normalize, with_system)
