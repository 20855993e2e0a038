"""What the emulator answers: media facts, profiles and limits, usage, max_tokens/stop, tools, JSON output."""

from __future__ import annotations

import json
from collections.abc import Callable

import jsonschema
import pytest

from langchain_azure_multimodal.emulator import Emulator, media
from langchain_azure_multimodal.errors import MEDIA_EXTRA_INSTALL
from tests.support.http import audio_item, call, image_item, user, with_items
from tests.support.media import b64, data_url, encoded_audio, image_bytes, wav_bytes

Factory = Callable[..., Emulator]


def content_of(reply) -> str:  # type: ignore[no-untyped-def]
    assert reply.status == 200, reply.text
    return reply.json["choices"][0]["message"]["content"]


def test_answer_lists_images_audio_system_prompt_and_last_text(emulator: Emulator) -> None:
    png = image_bytes(640, 480, "PNG")
    body = with_items(
        image_item(data_url(png, "image/png"), "high"),
        image_item("https://example.com/cat.jpg"),
        audio_item(b64(wav_bytes(1.5)), "wav"),
        audio_item(b64(encoded_audio(2.0)), "mp3"),
        {"type": "audio_url", "audio_url": {"url": "https://example.com/hello.mp3"}},
        text="What is in these?",
    )
    body["messages"].insert(0, {"role": "system", "content": "You are terse."})
    text = content_of(call(emulator, body=body))
    assert f"Received 2 images: #1 png 640x480, {len(png):,} bytes, detail=high; " in text
    assert "#2 remote URL (remote, not fetched), detail=auto" in text
    assert "Received 3 audio clips: #1 wav 1.50 s" in text
    assert "#2 mp3 2.00 s" in text
    assert "#3 remote URL (remote, not fetched)" in text
    assert "System prompt: yes." in text
    assert text.endswith('Last user text: "What is in these?"')


def test_usage_follows_the_documented_rules(emulator: Emulator) -> None:
    question = "x" * 40  # 10 text tokens
    body = with_items(
        image_item(data_url(image_bytes(2048, 4096, "PNG"), "image/png"), "high"),  # 1105 by the seed's example
        image_item(data_url(image_bytes(2048, 4096, "PNG"), "image/png"), "low"),  # 85
        audio_item(b64(wav_bytes(3.0)), "wav"),  # 30 at 10 tokens a second
        text=question,
    )
    reply = call(emulator, body=body)
    usage = reply.json["usage"]
    assert usage["prompt_tokens"] == 10 + 1105 + 85 + 30
    assert usage["prompt_tokens_details"] == {"audio_tokens": 30, "cached_tokens": 0}
    answer = reply.json["choices"][0]["message"]["content"]
    assert usage["completion_tokens"] == -(-len(answer) // 4)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_max_tokens_truncates_with_length(emulator: Emulator) -> None:
    reply = call(emulator, body={**user("Tell me everything"), "max_tokens": 5})
    choice = reply.json["choices"][0]
    assert choice["finish_reason"] == "length"
    assert len(choice["message"]["content"]) == 20
    assert reply.json["usage"]["completion_tokens"] == 5
    full = content_of(call(emulator, body=user("Tell me everything")))
    assert full.startswith(choice["message"]["content"])


def test_stop_sequences_end_the_answer(emulator: Emulator) -> None:
    reply = call(emulator, body={**user("hi"), "stop": ["System", "zzz"]})
    choice = reply.json["choices"][0]
    assert choice["finish_reason"] == "stop"
    assert choice["message"]["content"] == "[emulator:phi-4-multimodal-instruct] Received no images and no audio. "


WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Weather for a city",
        "parameters": {
            "type": "object",
            "properties": {
                "city": {"type": "string", "minLength": 2},
                "days": {"type": "integer", "minimum": 1, "maximum": 7},
                "unit": {"enum": ["celsius", "fahrenheit"]},
                "note": {"type": "string"},
            },
            "required": ["city", "days", "unit"],
        },
    },
}


@pytest.mark.parametrize(
    "tool_choice", ["required", {"type": "function", "function": {"name": "get_weather"}}], ids=["required", "named"]
)
def test_tool_choice_gets_a_call_with_schema_valid_arguments(emulator: Emulator, tool_choice: object) -> None:
    other = {"type": "function", "function": {"name": "noop", "parameters": {"type": "object"}}}
    tools = [WEATHER_TOOL, other] if tool_choice == "required" else [other, WEATHER_TOOL]
    reply = call(emulator, body={**user("Weather in Oslo for 3 days?"), "tools": tools, "tool_choice": tool_choice})
    choice = reply.json["choices"][0]
    assert choice["finish_reason"] == "tool_calls"
    assert choice["message"]["content"] is None
    [tool_call] = choice["message"]["tool_calls"]
    assert tool_call["type"] == "function"
    assert tool_call["id"].startswith("call_")
    assert tool_call["function"]["name"] == "get_weather"
    arguments = json.loads(tool_call["function"]["arguments"])
    jsonschema.validate(arguments, WEATHER_TOOL["function"]["parameters"])
    assert arguments == {"city": "Oslo", "days": 3, "unit": "celsius"}  # from the user's text, by the schema's types


def test_auto_calls_a_tool_only_when_the_user_names_it(emulator: Emulator) -> None:
    plain = call(emulator, body={**user("Hello"), "tools": [WEATHER_TOOL], "tool_choice": "auto"})
    assert plain.json["choices"][0]["finish_reason"] == "stop"
    named = call(emulator, body={**user("Use get_weather for Paris"), "tools": [WEATHER_TOOL]})
    assert named.json["choices"][0]["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    none = call(emulator, body={**user("Use get_weather"), "tools": [WEATHER_TOOL], "tool_choice": "none"})
    assert "tool_calls" not in none.json["choices"][0]["message"]


def test_json_schema_response_format_gets_a_valid_instance(emulator: Emulator) -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "values": {"type": "array", "items": {"type": "number"}, "minItems": 2},
        },
        "required": ["title", "values"],
    }
    reply = call(
        emulator,
        body={
            **user("Chart?"),
            "response_format": {
                "type": "json_schema",
                "json_schema": {"name": "chart", "schema": schema, "strict": True},
            },
        },
    )
    instance = json.loads(content_of(reply))
    jsonschema.validate(instance, schema)


def test_json_object_response_format_gets_a_json_summary(emulator: Emulator) -> None:
    body = with_items(image_item(data_url(image_bytes(), "image/png")), text="Count")
    body["response_format"] = {"type": "json_object"}
    summary = json.loads(content_of(call(emulator, body=body)))
    assert summary == {"images": 1, "audio_clips": 0, "system_prompt": False, "last_user_text": "Count"}


# --- profiles and documented limits -------------------------------------------------------------------------


def png_item() -> dict:
    return image_item(data_url(image_bytes(), "image/png"))


def test_phi4_multimodal_takes_images_and_audio(emulator: Emulator) -> None:
    reply = call(emulator, body=with_items(png_item(), audio_item(b64(wav_bytes(0.5)))))
    assert "Received 1 image" in content_of(reply) and "Received 1 audio clip" in content_of(reply)


def test_phi3_vision_takes_one_image_per_request(emulator_factory: Factory) -> None:
    emu = emulator_factory("phi-3-vision-128k-instruct")
    assert call(emu, body=with_items(png_item())).status == 200
    reply = call(emu, body=with_items(png_item(), png_item()))
    assert reply.status == 400
    assert reply.error["target"] == "messages[0].content[2]"
    assert "at most 1 image(s) per request" in reply.error["message"]
    across_turns = {
        "messages": [
            *with_items(png_item())["messages"],
            {"role": "assistant", "content": "ok"},
            *with_items(png_item())["messages"],
        ]
    }
    assert call(emu, body=across_turns).status == 400


def test_phi3_vision_says_the_system_prompt_is_merged(emulator_factory: Factory) -> None:
    emu = emulator_factory("phi-3-vision-128k-instruct")
    body = {"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi"}]}
    assert "merged into the user turn" in content_of(call(emu, body=body))


def test_gpt4o_takes_ten_images_and_refuses_the_eleventh(emulator_factory: Factory) -> None:
    emu = emulator_factory("gpt-4o")
    assert call(emu, body=with_items(*[png_item()] * 10)).status == 200
    reply = call(emu, body=with_items(*[png_item()] * 11))
    assert reply.status == 400
    assert "at most 10 image(s)" in reply.error["message"]


@pytest.mark.parametrize(
    "part",
    [audio_item(b64(wav_bytes(0.2))), {"type": "audio_url", "audio_url": {"url": "https://example.com/a.mp3"}}],
    ids=["input_audio", "audio_url"],
)
def test_gpt4o_refuses_audio(emulator_factory: Factory, part: dict) -> None:
    reply = call(emulator_factory("gpt-4o"), body=with_items(part))
    assert reply.status == 400
    assert "does not take audio input" in reply.error["message"]


def test_gpt4o_audio_preview_takes_audio_but_not_images(emulator_factory: Factory) -> None:
    emu = emulator_factory("gpt-4o-audio-preview")
    assert "Received 1 audio clip" in content_of(call(emu, body=with_items(audio_item(b64(wav_bytes(0.2))))))
    assert call(emu, body=with_items(png_item())).status == 400


def test_text_only_model_refuses_any_media(emulator_factory: Factory) -> None:
    emu = emulator_factory("mistral-large-2411")
    assert call(emu, body=user("Hi")).status == 200
    for part in (png_item(), audio_item(b64(wav_bytes(0.2)))):
        reply = call(emu, body=with_items(part))
        assert reply.status == 400
        assert "does not take" in reply.error["message"]


def test_azure_openai_deployments_need_a_recent_api_version_for_audio(emulator: Emulator) -> None:
    path = "/openai/deployments/phi-4-multimodal-instruct/chat/completions"
    body = with_items(audio_item(b64(wav_bytes(0.2))))
    old = call(emulator, path, body, query={"api-version": "2024-10-21"})
    assert old.status == 400 and "2025-01-01-preview" in old.error["message"]
    assert call(emulator, path, body, query={"api-version": "2025-01-01-preview"}).status == 200


@pytest.mark.parametrize(
    ("part", "words"),
    [
        (image_item(data_url(b"\x89PNG\r\n\x1a\n" + b"\0" * 40, "image/png")), "does not decode"),
        (image_item(data_url(image_bytes(fmt="JPEG")[:200], "image/jpeg")), "does not decode"),
        (image_item(data_url(image_bytes(fmt="BMP"), "image/bmp")), "unsupported image type 'image/bmp'"),
        (image_item(data_url(image_bytes(fmt="TIFF"), "image/png")), "TIFF"),
        (image_item("data:image/png;base64,@@not-base64@@"), "base64 data does not decode"),
        (image_item("data:;base64," + b64(image_bytes())), "no MIME type"),
        (image_item("data:image/png," + "abc"), "not base64-encoded"),
        (image_item("ftp://example.com/x.png"), "expected an http(s) URL or a data URL"),
        (image_item("data:image/png;base64,"), "empty"),
        (audio_item(b64(encoded_audio(fmt="ogg", codec="libopus")), "mp3"), "does not decode as mp3"),
        (audio_item(b64(encoded_audio()), "wav"), "does not decode as wav"),
        (audio_item("%%%", "wav"), "base64 data does not decode"),
    ],
)
def test_media_the_service_refuses_gets_a_clear_400(emulator: Emulator, part: dict, words: str) -> None:
    reply = call(emulator, body=with_items(part))
    assert reply.status == 400, reply.text
    assert reply.error["target"].startswith("messages[0].content[1]")
    assert words in reply.error["message"]


def test_an_image_over_20_mb_is_refused_before_decoding(emulator: Emulator) -> None:
    oversized = b"\xff\xd8\xff" + b"\0" * (20 * 1024 * 1024)
    reply = call(emulator, body=with_items(image_item(data_url(oversized, "image/jpeg"))))
    assert reply.status == 400
    assert "over the 20,971,520-byte limit" in reply.error["message"]


def test_without_the_media_extra_it_reports_what_it_can(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(media, "Image", None)
    monkeypatch.setattr(media, "av", None)
    png = image_bytes(64, 48)
    body = with_items(
        image_item(data_url(png, "image/png")),
        audio_item(b64(wav_bytes(1.0))),
        audio_item(b64(encoded_audio(1.0)), "mp3"),
    )
    text = content_of(call(emulator, body=body))
    assert f"#1 png {len(png):,} bytes, detail=auto (not inspected: {MEDIA_EXTRA_INSTALL})" in text
    assert "#1 wav 1.00 s" in text  # the standard library reads WAV
    assert "#2 mp3 duration unknown" in text and "not inspected" in text


def test_auto_tool_calls_take_string_arguments_from_quoted_user_text(emulator: Emulator) -> None:
    tool = {
        "type": "function",
        "function": {
            "name": "translate_audio",
            "parameters": {
                "type": "object",
                "properties": {
                    "source": {"type": "string"},
                    "target_language": {"type": "string"},
                    "speed": {"type": "number"},
                },
                "required": ["source", "target_language"],
            },
        },
    }
    reply = call(emulator, body={**user('Use translate_audio on "memo.wav" into "Spanish"'), "tools": [tool]})
    arguments = json.loads(reply.json["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"])
    assert arguments == {"source": "memo.wav", "target_language": "Spanish"}
    forced = call(emulator, body={**user('"memo.wav"'), "tools": [tool], "tool_choice": "required"})
    forced_arguments = forced.json["choices"][0]["message"]["tool_calls"][0]["function"]["arguments"]
    # Forced, the text fills what it can; a value is never given twice, so the language stays minimal.
    assert json.loads(forced_arguments) == {"source": "memo.wav", "target_language": ""}
