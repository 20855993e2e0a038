"""What the media pre-flight does right, seen on the wire and in the emulator's answer.

* A 12 MP phone photo goes out upright, without EXIF/GPS, at the size the model looks at, as JPEG: the same image
  tokens for a fraction of the bytes (``keep_image_metadata`` keeps the GPS; ``normalize_media=False`` sends it as is).
* HEIC, TIFF, BMP, AVIF and animated GIF go out in formats the service takes; m4a, Ogg/Opus, WebM and FLAC as mp3;
  wav and mp3 byte for byte.
* A model without a system role gets the system text at the start of the first user turn.
* The profile that checks a request: a known ``model``'s, else the endpoint's ``/info``'s, and ``model_profile=``
  above both; LangChain's ``model.profile`` says the same.
* ``get_num_tokens_from_messages`` equals the emulator's ``usage.prompt_tokens`` for the same messages, and
  ``estimate_cost`` reproduces the Azure vision quickstart's example.
"""

from __future__ import annotations

import base64
import functools
import io
import math
import re
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage, SystemMessage, ToolMessage
from PIL import Image

from langchain_azure_multimodal import ModelProfile
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.errors import MediaValidationError
from langchain_azure_multimodal.estimates import Prices, estimate_cost, estimate_tokens
from langchain_azure_multimodal.profiles import TileTokenRule, prompt_text_tokens
from tests.support.chat import audio_block, image_block, model_on, user_turn
from tests.support.media import (
    GPS,
    GPS_IFD,
    MAKE,
    ORIENTATION,
    b64,
    data_url,
    decoded,
    encode_image,
    encoded_audio,
    exif_with,
    image_bytes,
    is_blue,
    is_red,
    red_blue_photo,
    wav_bytes,
)

EmulatorFactory = Callable[..., Emulator]

PHI4 = "phi-4-multimodal-instruct"
PHI3V = "phi-3-vision-128k-instruct"
GPT4O = "gpt-4o"
RULE = TileTokenRule()
PROMPT = "What is in this picture?"


def sent_items(emulator: Emulator) -> list[dict[str, Any]]:
    """The content items of the last request's first user message after its leading text."""
    message = next(m for m in emulator.requests[-1].body["messages"] if m["role"] == "user")
    return list(message["content"][1:])


def sent_image(emulator: Emulator) -> tuple[str, bytes]:
    """The MIME type and bytes of the only image in the last request."""
    (item,) = [item for item in sent_items(emulator) if item["type"] == "image_url"]
    header, _, data = item["image_url"]["url"].partition(",")
    return header.removeprefix("data:").removesuffix(";base64"), base64.b64decode(data)


def media_tokens(emulator: Emulator, reply: AIMessage) -> int:
    """The emulator's prompt tokens less its text tokens: what it counted for the images and audio."""
    assert reply.usage_metadata is not None
    return reply.usage_metadata["input_tokens"] - prompt_text_tokens(emulator.requests[-1].body["messages"])


@functools.cache
def phone_photo() -> bytes:
    """A 12 MP phone photo: stored 4032x3024 landscape, EXIF orientation 6 (shown portrait), with GPS."""
    return encode_image(red_blue_photo(4032, 3024, seed=12), "JPEG", quality=92, exif=exif_with(6, gps=True))


# ------------------------------------------------------------------------------------------- the phone photo


def test_a_phone_photo_is_sent_upright_stripped_and_downscaled_for_the_same_tokens(emulator: Emulator) -> None:
    original = phone_photo()
    reply = model_on(emulator).invoke(user_turn(image_block(original, "image/jpeg", "high")))
    mime, data = sent_image(emulator)
    picture = decoded(data)
    assert mime == "image/jpeg" and picture.format == "JPEG"
    assert picture.size == (768, 1024)  # 3024x4032 as shown, fitted in 2048x2048, short side 768
    assert dict(picture.getexif()) == {}  # no orientation, no camera, no GPS
    assert "exif" not in picture.info
    # Orientation 6 turns the picture a quarter clockwise: the stored left (red) half is now on top.
    assert is_red(picture.getpixel((384, 100))) and is_blue(picture.getpixel((384, 924)))
    assert f"Received 1 image: #1 jpeg 768x1024, {len(data):,} bytes, detail=high." in reply.content
    assert media_tokens(emulator, reply) == RULE.tokens(3024, 4032, "high") == RULE.tokens(768, 1024, "high") == 765
    ratio = len(data) / len(original)
    print(f"12 MP photo at detail=high: {len(original):,} -> {len(data):,} bytes ({ratio:.1%}), 765 tokens either way")
    assert ratio < 0.2


def test_a_phone_photo_at_detail_low_fits_512_pixels(emulator: Emulator) -> None:
    reply = model_on(emulator).invoke(user_turn(image_block(phone_photo(), "image/jpeg", "low")))
    _, data = sent_image(emulator)
    picture = decoded(data)
    assert picture.size == (384, 512)
    assert dict(picture.getexif()) == {}
    assert is_red(picture.getpixel((192, 50))) and is_blue(picture.getpixel((192, 462)))
    assert "Received 1 image: #1 jpeg 384x512" in reply.content and "detail=low" in reply.content
    assert media_tokens(emulator, reply) == 85
    print(f"12 MP photo at detail=low: {len(phone_photo()):,} -> {len(data):,} bytes")


def test_keep_image_metadata_keeps_the_gps_but_not_the_applied_orientation(emulator: Emulator) -> None:
    reply = model_on(emulator, keep_image_metadata=True).invoke(
        user_turn(image_block(phone_photo(), "image/jpeg", "high"))
    )
    _, data = sent_image(emulator)
    picture = decoded(data)
    exif = picture.getexif()
    assert picture.size == (768, 1024)
    assert exif.get(MAKE) == "PhoneCo"
    assert dict(exif.get_ifd(GPS_IFD)) == GPS
    assert exif.get(ORIENTATION, 1) == 1  # the pixels are turned already: a kept 6 would turn them twice
    assert is_red(picture.getpixel((384, 100)))
    assert "jpeg 768x1024" in reply.content


def test_normalize_media_false_per_call_sends_the_original_bytes(emulator: Emulator) -> None:
    original = phone_photo()
    model = model_on(emulator)
    reply = model.invoke(user_turn(image_block(original, "image/jpeg", "high")), normalize_media=False)
    assert sent_items(emulator) == [
        {"type": "image_url", "image_url": {"url": data_url(original, "image/jpeg"), "detail": "high"}}
    ]
    assert f"Received 1 image: #1 jpeg 4032x3024, {len(original):,} bytes, detail=high." in reply.content
    assert media_tokens(emulator, reply) == 765  # the same tokens, for all the bytes
    # The instance's setting comes back on the next call.
    model.invoke(user_turn(image_block(original, "image/jpeg", "high")))
    assert len(sent_image(emulator)[1]) < len(original) / 5


# ----------------------------------------------------------------------------------------- formats it converts


def _heic() -> bytes:
    import pillow_heif

    pillow_heif.register_heif_opener()
    return encode_image(red_blue_photo(640, 480, seed=1), "HEIF", quality=90)


def _flat(width: int, height: int) -> Image.Image:
    """A graphic: four flat colours."""
    image = Image.new("RGB", (width, height), "white")
    image.paste("navy", (0, 0, width // 2, height // 2))
    image.paste("orange", (width // 2, height // 2, width, height))
    image.paste("green", (0, height // 2, width // 2, height))
    return image


def _animated_gif() -> bytes:
    frames = [Image.new("RGB", (120, 90), colour) for colour in ("red", "lime", "blue")]
    return encode_image(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)


CONVERSIONS: dict[str, tuple[Callable[[], bytes], str, str, tuple[int, int]]] = {
    "HEIC photo": (_heic, "image/heic", "jpeg", (640, 480)),
    "TIFF photo": (lambda: encode_image(red_blue_photo(640, 480, seed=2), "TIFF"), "image/tiff", "jpeg", (640, 480)),
    "TIFF scan, large": (
        lambda: encode_image(red_blue_photo(3000, 2000, seed=3), "TIFF"),
        "image/tiff",
        "jpeg",
        (1152, 768),
    ),
    "BMP graphic": (lambda: encode_image(_flat(300, 200), "BMP"), "image/bmp", "png", (300, 200)),
    "BMP photo": (lambda: encode_image(red_blue_photo(320, 240, seed=4), "BMP"), "image/bmp", "jpeg", (320, 240)),
    "AVIF photo": (
        lambda: encode_image(red_blue_photo(640, 480, seed=5), "AVIF", quality=80),
        "image/avif",
        "jpeg",
        (640, 480),
    ),
    "animated GIF": (_animated_gif, "image/gif", "png", (120, 90)),
    "CMYK JPEG": (
        lambda: encode_image(red_blue_photo(200, 150, seed=6).convert("CMYK"), "JPEG", quality=90),
        "image/jpeg",
        "jpeg",
        (200, 150),
    ),
    "16-bit grey TIFF": (
        lambda: encode_image(Image.fromarray(np.tile(np.arange(0, 65536, 256, dtype=np.uint16), (64, 2))), "TIFF"),
        "image/tiff",
        "png",
        (512, 64),
    ),
}


@pytest.mark.parametrize("name", list(CONVERSIONS))
def test_an_image_in_a_format_the_service_does_not_take_is_sent_in_one_it_does(
    emulator_factory: EmulatorFactory, name: str
) -> None:
    emulator = emulator_factory(GPT4O)
    make, mime, expected_format, size = CONVERSIONS[name]
    original = make()
    reply = model_on(emulator).invoke(user_turn(image_block(original, mime)))
    sent_mime, data = sent_image(emulator)
    picture = decoded(data)
    assert sent_mime == f"image/{expected_format}"
    assert picture.format == expected_format.upper() and picture.size == size
    assert picture.mode in ("RGB", "L", "RGBA", "P")
    assert f"Received 1 image: #1 {expected_format} {size[0]}x{size[1]}, {len(data):,} bytes" in reply.content
    if name == "animated GIF":
        assert getattr(picture, "n_frames", 1) == 1
        assert picture.convert("RGB").getpixel((60, 45)) == (255, 0, 0)  # the first frame
    print(f"{name}: {len(original):,} bytes {mime} -> {len(data):,} bytes {sent_mime} {size[0]}x{size[1]}")


def test_a_graphic_png_within_the_limits_is_sent_byte_for_byte(emulator: Emulator) -> None:
    png = encode_image(_flat(300, 200), "PNG")
    reply = model_on(emulator).invoke(user_turn(image_block(png, "image/png")))
    assert sent_image(emulator) == ("image/png", png)
    assert "png 300x200" in reply.content


# ------------------------------------------------------------------------------------------------------ audio


@pytest.mark.parametrize(
    ("container", "codec", "mime"),
    [
        ("ipod", "aac", "audio/mp4"),  # an iPhone voice memo (.m4a)
        ("ogg", "libopus", "audio/ogg"),  # a WhatsApp voice note
        ("webm", "libopus", "audio/webm"),  # a browser recording
        ("flac", "flac", "audio/flac"),
    ],
)
def test_compressed_audio_is_sent_as_mp3(emulator: Emulator, container: str, codec: str, mime: str) -> None:
    import av

    clip = encoded_audio(2.0, container, codec)
    reply = model_on(emulator).invoke(user_turn(audio_block(clip, mime)))
    (item,) = sent_items(emulator)
    assert item["type"] == "input_audio" and item["input_audio"]["format"] == "mp3"
    mp3 = base64.b64decode(item["input_audio"]["data"])
    with av.open(io.BytesIO(mp3)) as probe:
        assert probe.format.name == "mp3"
    seconds = float(re.search(r"Received 1 audio clip: #1 mp3 ([\d.]+) s", reply.content)[1])  # type: ignore[index]
    # AAC starts with 1024 priming samples, which a file without an edit list keeps (this one has none).
    assert 2.0 <= seconds <= 2.0 + 2 * 1024 / 16000
    assert media_tokens(emulator, reply) == math.ceil(seconds * 10) == audio_estimate(clip, mime)


def audio_estimate(clip: bytes, mime: str) -> int:
    """The client's audio-token estimate for ``clip`` (counted on the mp3 it becomes)."""
    return estimate_tokens([HumanMessage([audio_block(clip, mime)])], model=PHI4).audio


@pytest.mark.parametrize(("fmt", "mime"), [("wav", "audio/wav"), ("wav", "audio/x-wav"), ("mp3", "audio/mpeg")])
def test_wav_and_mp3_are_sent_byte_for_byte(emulator: Emulator, fmt: str, mime: str) -> None:
    clip = wav_bytes(1.5) if fmt == "wav" else encoded_audio(1.5)
    reply = model_on(emulator).invoke(user_turn(audio_block(clip, mime)))
    assert sent_items(emulator) == [{"type": "input_audio", "input_audio": {"data": b64(clip), "format": fmt}}]
    assert f"Received 1 audio clip: #1 {fmt} 1.5" in reply.content


# ------------------------------------------------------------------------------------- models without a system role


def test_phi_3_vision_gets_the_system_text_at_the_start_of_the_user_turn(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(PHI3V)
    png = image_bytes(64, 48, "PNG")
    turn = user_turn(image_block(png, "image/png"), text=PROMPT)
    reply = model_on(emulator).invoke([SystemMessage("Answer in French."), *turn])
    assert emulator.requests[-1].body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Answer in French."},
                {"type": "text", "text": PROMPT},
                {"type": "image_url", "image_url": {"url": data_url(png, "image/png")}},
            ],
        }
    ]
    assert "System prompt: no." in reply.content and "System prompt: yes" not in reply.content
    assert reply.content.endswith(f'Last user text: "Answer in French. {PROMPT}"')


def test_phi_3_vision_merges_system_text_into_string_content_too(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(PHI3V)
    messages = [SystemMessage("Be brief."), SystemMessage("Use metric units."), HumanMessage("How tall is it?")]
    reply = model_on(emulator).invoke(messages)
    sent = emulator.requests[-1].body["messages"]
    assert [m["role"] for m in sent] == ["user"]
    assert sent[0]["content"] == "Be brief.\n\nUse metric units.\n\nHow tall is it?"
    assert "System prompt: no." in reply.content


def test_a_model_with_a_system_role_keeps_its_system_message(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(GPT4O)
    reply = model_on(emulator).invoke([SystemMessage("Be brief."), HumanMessage("Hi")])
    assert [m["role"] for m in emulator.requests[-1].body["messages"]] == ["system", "user"]
    assert "System prompt: yes." in reply.content


# ------------------------------------------------------------------------------------------ profile resolution


@pytest.mark.parametrize(
    ("model", "images", "audio", "system_role"),
    [
        (PHI4, True, True, True),
        (GPT4O, True, False, True),
        ("gpt-4o-2024-11-20", True, False, True),  # a version suffix finds the family
        ("gpt-4o-audio-preview", False, True, True),
        ("mistral-large-2411", False, False, True),
        (PHI3V, True, False, False),
    ],
)
def test_a_known_model_gets_its_profile_and_langchain_sees_it(
    emulator_factory: EmulatorFactory, model: str, images: bool, audio: bool, system_role: bool
) -> None:
    emulator = emulator_factory(model)
    llm = model_on(emulator)
    assert llm.profile is not None
    assert (llm.profile["image_inputs"], llm.profile["audio_inputs"]) == (images, audio)
    assert llm.profile["mid_conversation_system_messages"] is system_role
    assert llm.profile["video_inputs"] is False and llm.profile["pdf_inputs"] is False
    for kind, taken in (("image", images), ("audio", audio)):
        block = image_block(image_bytes(), "image/png") if kind == "image" else audio_block(wav_bytes(0.5), "audio/wav")
        if taken:
            assert "Received 1" in llm.invoke(user_turn(block)).content
        else:
            with pytest.raises(MediaValidationError, match=f"does not take {kind} input"):
                llm.invoke(user_turn(block))
    assert all(r.method == "POST" for r in emulator.requests)  # a known model needs no /info
    assert len(emulator.requests) == images + audio


def test_an_unknown_deployment_gets_the_profile_of_the_model_info_names(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(GPT4O)  # serverless: the root serves gpt-4o, whatever the deployment is called
    llm = model_on(emulator, "root", model="my-deployment")
    reply = llm.invoke(user_turn(image_block(image_bytes(), "image/png")))
    assert reply.content.startswith("[emulator:gpt-4o] Received 1 image")
    assert [(r.method, r.path) for r in emulator.requests] == [("GET", "/info"), ("POST", "/chat/completions")]
    assert llm.get_model_info()["model_name"] == GPT4O
    assert llm.profile is not None
    assert (llm.profile["name"], llm.profile["audio_inputs"]) == (GPT4O, False)  # LangChain's profile follows /info
    emulator.reset()
    # gpt-4o's checks now apply, before the network and without asking /info again.
    with pytest.raises(MediaValidationError, match=r"messages\[0\]\.content\[1\]: gpt-4o does not take audio input"):
        llm.invoke(user_turn(audio_block(wav_bytes(0.5), "audio/wav")))
    with pytest.raises(MediaValidationError, match="this request has 11 images; gpt-4o takes at most 10"):
        llm.invoke(user_turn(*[image_block(image_bytes(), "image/png")] * 11))
    assert emulator.requests == []


async def test_an_unknown_deployment_gets_the_info_profile_on_the_async_path_too(
    emulator_factory: EmulatorFactory,
) -> None:
    emulator = emulator_factory(GPT4O)
    llm = model_on(emulator, "foundry", model="my-deployment")
    with pytest.raises(MediaValidationError, match="gpt-4o does not take audio input"):
        await llm.ainvoke(user_turn(audio_block(wav_bytes(0.5), "audio/wav")))
    assert [(r.method, r.path) for r in emulator.requests] == [("GET", "/models/info")]
    await llm.aclose()


def test_model_profile_overrides_the_model_name(emulator: Emulator) -> None:
    listener = ModelProfile(
        name="listener", provider="Contoso", image_input=False, audio_input=True, max_images_per_request=0,
        max_images_per_turn=0,
    )  # fmt: skip
    llm = model_on(emulator, model_profile=listener)  # the emulator's phi-4 would take the image
    assert llm.profile is not None and llm.profile["image_inputs"] is False and llm.profile["audio_inputs"] is True
    with pytest.raises(MediaValidationError, match=r"messages\[0\]\.content\[1\]: listener does not take image input"):
        llm.invoke(user_turn(image_block(image_bytes(), "image/png")))
    assert emulator.requests == []
    assert "Received 1 audio clip" in llm.invoke(user_turn(audio_block(wav_bytes(0.5), "audio/wav"))).content


def test_model_profile_overrides_info_which_is_not_asked(emulator_factory: EmulatorFactory) -> None:
    emulator = emulator_factory(GPT4O)
    one_image = ModelProfile(
        name="one-image-vlm", provider="Contoso", image_input=True, audio_input=False, max_images_per_request=1,
        max_images_per_turn=1,
    )  # fmt: skip
    llm = model_on(emulator, "root", model="my-deployment", model_profile=one_image)
    with pytest.raises(MediaValidationError, match="this request has 2 images; one-image-vlm takes at most 1"):
        llm.invoke(user_turn(image_block(image_bytes(), "image/png"), image_block(image_bytes(), "image/png")))
    assert emulator.requests == []  # not even GET /info


# --------------------------------------------------------------------------------------------------- estimates

PNG = image_bytes(64, 48, "PNG")
TALL_PNG = image_bytes(2048, 4096, "PNG")  # the seed's example: 1105 tokens at high, 85 at low
WAV = wav_bytes(2.5)
HTTP_IMAGE = "https://example.com/cat.png"


def _tool_turn() -> list[BaseMessage]:
    return [
        HumanMessage("Take a screenshot and describe it."),
        AIMessage("", tool_calls=[{"id": "call_1", "name": "screenshot", "args": {"window": "main"}}]),
        ToolMessage(
            [{"type": "text", "text": "Here it is."}, image_block(PNG, "image/png", "low")], tool_call_id="call_1"
        ),
    ]


MIXES: dict[str, tuple[str, Callable[[], list[BaseMessage]], dict[str, Any]]] = {
    "text": (GPT4O, lambda: [SystemMessage("Be brief."), HumanMessage("x" * 401)], {}),
    "text and a small PNG": (GPT4O, lambda: user_turn(image_block(PNG, "image/png")), {}),
    "a 2048x4096 PNG at high": (GPT4O, lambda: user_turn(image_block(TALL_PNG, "image/png", "high")), {}),
    "a 2048x4096 PNG at low": (GPT4O, lambda: user_turn(image_block(TALL_PNG, "image/png", "low")), {}),
    "a 2048x4096 PNG, default_image_detail=low": (
        GPT4O,
        lambda: user_turn(image_block(TALL_PNG, "image/png")),
        {"default_image_detail": "low"},
    ),
    "the phone photo at high": (PHI4, lambda: user_turn(image_block(phone_photo(), "image/jpeg", "high")), {}),
    "the phone photo as is": (
        PHI4,
        lambda: user_turn(image_block(phone_photo(), "image/jpeg", "auto")),
        {"normalize_media": False},
    ),
    "URL images: none, low, high": (
        GPT4O,
        lambda: user_turn(
            {"type": "image", "url": HTTP_IMAGE},
            {"type": "image_url", "image_url": {"url": HTTP_IMAGE, "detail": "low"}},
            {"type": "image_url", "image_url": {"url": HTTP_IMAGE, "detail": "high"}},
        ),
        {},
    ),
    "wav audio and text": (PHI4, lambda: user_turn(audio_block(WAV, "audio/wav")), {}),
    "mp3 audio": (PHI4, lambda: user_turn(audio_block(encoded_audio(1.7), "audio/mpeg")), {}),
    "audio URL": (PHI4, lambda: user_turn({"type": "audio", "url": "https://example.com/a.mp3"}), {}),
    "text, image and audio over turns": (
        PHI4,
        lambda: [
            SystemMessage("You transcribe and describe."),
            *user_turn(image_block(PNG, "image/png", "high"), audio_block(WAV, "audio/wav")),
            AIMessage("A teal rectangle, and a 440 Hz tone."),
            *user_turn({"type": "image", "url": HTTP_IMAGE}, image_block(TALL_PNG, "image/png", "low")),
        ],
        {},
    ),
    "tool calls and a tool's image": (GPT4O, _tool_turn, {}),
    "phi-3-vision with a merged system message": (
        PHI3V,
        lambda: [SystemMessage("Answer in French."), *user_turn(image_block(TALL_PNG, "image/png", "high"))],
        {},
    ),
}


@pytest.mark.parametrize("mix", list(MIXES))
def test_the_token_estimate_equals_the_emulators_usage(emulator_factory: EmulatorFactory, mix: str) -> None:
    model_name, messages, settings = MIXES[mix]
    emulator = emulator_factory(model_name)
    llm = model_on(emulator, **settings)
    estimate = llm.get_num_tokens_from_messages(messages())
    reply = llm.invoke(messages())
    assert reply.usage_metadata is not None
    assert estimate == reply.usage_metadata["input_tokens"], reply.content
    print(f"{mix}: {estimate} tokens, estimated and reported")


def test_the_image_and_audio_parts_of_the_estimate_match_too(emulator: Emulator) -> None:
    messages = user_turn(image_block(TALL_PNG, "image/png", "high"), audio_block(WAV, "audio/wav"))
    tokens = estimate_tokens(messages, model=PHI4)
    assert (tokens.images, tokens.audio) == (1105, 25)
    reply = model_on(emulator).invoke(messages)
    assert media_tokens(emulator, reply) == tokens.images + tokens.audio
    assert reply.usage_metadata is not None
    assert reply.usage_metadata["input_token_details"]["audio"] == tokens.audio


def test_estimate_cost_reproduces_the_vision_quickstart_example() -> None:
    prices = Prices(input_per_1k=0.01, output_per_1k=0.03)
    tall = user_turn(image_block(TALL_PNG, "image/png", "high"))
    assert estimate_tokens(tall, model=GPT4O).images == 1105
    assert estimate_tokens(user_turn(image_block(TALL_PNG, "image/png", "low")), model=GPT4O).images == 85
    # "170 + 85 image tokens ... $0.00255": one 512-px tile at high detail.
    square = [HumanMessage([image_block(image_bytes(512, 512, "PNG"), "image/png", "high")])]
    cost = estimate_cost(square, prices, model=GPT4O)
    assert (cost.tokens.images, cost.tokens.text, cost.tokens.audio) == (170 + 85, 0, 0)
    assert cost.input_cost == pytest.approx(0.00255)
    # The whole example: a 100-token prompt ($0.001), the image ($0.00255) and 100 output tokens ($0.003).
    prompt = [HumanMessage([{"type": "text", "text": "x" * 400}, square[0].content[0]])]
    example = estimate_cost(prompt, {"input": 0.01, "output": 0.03}, model=GPT4O, output_tokens=100)
    assert (example.tokens.text, example.tokens.images) == (100, 255)
    assert example.input_cost == pytest.approx(0.001 + 0.00255)
    assert example.output_cost == pytest.approx(0.003)
    assert example.total == pytest.approx(0.00655) and example.currency == "USD"


# ------------------------------------------------------------------------------------- from the builders, end to end


def test_builder_blocks_from_files_are_normalised_on_the_way_out(emulator: Emulator, tmp_path: Any) -> None:
    from langchain_azure_multimodal.parts import audio_part, image_part

    photo_path, memo_path = tmp_path / "IMG_1234.jpg", tmp_path / "memo.m4a"
    photo_path.write_bytes(phone_photo())
    memo_path.write_bytes(encoded_audio(1.0, "ipod", "aac"))
    messages = user_turn(image_part(photo_path, detail="low"), audio_part(memo_path))
    estimate = model_on(emulator).get_num_tokens_from_messages(messages)
    reply = model_on(emulator).invoke(messages)
    image, audio = sent_items(emulator)
    assert image["image_url"]["detail"] == "low" and image["image_url"]["url"].startswith("data:image/jpeg;base64,")
    assert decoded(sent_image(emulator)[1]).size == (384, 512)
    assert audio["input_audio"]["format"] == "mp3"
    assert "Received 1 image: #1 jpeg 384x512" in reply.content and "Received 1 audio clip: #1 mp3" in reply.content
    assert reply.usage_metadata is not None and estimate == reply.usage_metadata["input_tokens"]
