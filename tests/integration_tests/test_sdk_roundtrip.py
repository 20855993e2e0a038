"""The raw ``azure-ai-inference`` SDK, sync and aio, round-trips through the emulator."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
from azure.ai.inference import ChatCompletionsClient
from azure.ai.inference.aio import ChatCompletionsClient as AsyncChatCompletionsClient
from azure.ai.inference.models import (
    AudioContentFormat,
    AudioContentItem,
    ChatCompletionsToolDefinition,
    FunctionDefinition,
    ImageContentItem,
    ImageDetailLevel,
    ImageUrl,
    InputAudio,
    SystemMessage,
    TextContentItem,
    UserMessage,
)
from azure.core.credentials import AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

from langchain_azure_multimodal.emulator import Emulator
from tests.conftest import API_KEY
from tests.support.media import encoded_audio, image_bytes, wav_bytes


@pytest.fixture
def client(emulator: Emulator) -> ChatCompletionsClient:
    with ChatCompletionsClient(endpoint=emulator.endpoint, credential=AzureKeyCredential(API_KEY)) as sdk:
        yield sdk


@pytest.fixture
def chart_jpg(tmp_path: Path) -> Path:
    path = tmp_path / "chart.jpg"
    path.write_bytes(image_bytes(800, 600, "JPEG"))
    return path


@pytest.fixture
def speech(tmp_path: Path) -> Path:
    path = tmp_path / "hello.mp3"
    path.write_bytes(encoded_audio(1.5))
    return path


def test_text(client: ChatCompletionsClient, emulator: Emulator) -> None:
    reply = client.complete(
        messages=[SystemMessage("Be brief."), UserMessage("How many languages are there?")],
        temperature=0,
        seed=0,
        max_tokens=2048,
    )
    assert reply.choices[0].message.content.endswith('"How many languages are there?"')
    assert "System prompt: yes." in reply.choices[0].message.content
    assert reply.usage.prompt_tokens == 3 + 8
    sent = emulator.requests[-1].body
    assert (sent["temperature"], sent["seed"], sent["max_tokens"]) == (0, 0, 2048)


def test_image_via_image_url_load(client: ChatCompletionsClient, chart_jpg: Path) -> None:
    image = ImageUrl.load(image_file=str(chart_jpg), image_format="jpg", detail=ImageDetailLevel.HIGH)
    reply = client.complete(
        messages=[UserMessage([TextContentItem(text="Which conclusion?"), ImageContentItem(image_url=image)])]
    )
    assert "Received 1 image: #1 jpeg 800x600" in reply.choices[0].message.content
    assert "detail=high" in reply.choices[0].message.content
    assert reply.usage.prompt_tokens == 5 + 85 + 170 * 4  # 17 characters; 800x600 at high is 2x2 tiles, not upscaled


def test_audio_via_input_audio_load(client: ChatCompletionsClient, speech: Path) -> None:
    audio = InputAudio.load(audio_file=str(speech), audio_format=AudioContentFormat.MP3)
    reply = client.complete(
        messages=[
            SystemMessage("You translate audio clips."),
            UserMessage([TextContentItem(text="Translate to Spanish."), AudioContentItem(input_audio=audio)]),
        ]
    )
    assert "Received 1 audio clip: #1 mp3 1.50 s" in reply.choices[0].message.content
    # SDK 1.0.0b9 has no attribute for the details; the model object is also a mapping of the wire JSON.
    assert reply.usage["prompt_tokens_details"]["audio_tokens"] == 15


def test_audio_url_as_a_dict(client: ChatCompletionsClient) -> None:
    # The SDK has no class for audio_url; the seeds send it as a plain dict.
    reply = client.complete(
        messages=[
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Translate"},
                    {"type": "audio_url", "audio_url": {"url": "https://x/hello.mp3"}},
                ],
            }
        ]
    )
    assert "remote URL (remote, not fetched)" in reply.choices[0].message.content


def test_streaming_with_usage(client: ChatCompletionsClient) -> None:
    updates = list(
        client.complete(
            messages=[UserMessage("Stream please")],
            stream=True,
            model_extras={"stream_options": {"include_usage": True}},
        )
    )
    text = "".join(u.choices[0].delta.content or "" for u in updates if u.choices)
    assert text.endswith('Last user text: "Stream please"')
    assert [u.choices[0].finish_reason for u in updates if u.choices][-1] == "stop"
    assert updates[-1].choices == [] and updates[-1].usage.total_tokens > 0


def test_model_extras_go_in_the_body_with_the_pass_through_header(
    client: ChatCompletionsClient, emulator: Emulator
) -> None:
    reply = client.complete(messages=[UserMessage("Hi")], model_extras={"top_k": 3, "safe_prompt": False})
    assert "Extra parameters passed through: top_k=3, safe_prompt=false." in reply.choices[0].message.content
    recorded = emulator.requests[-1]
    assert recorded.header("extra-parameters") == "pass-through"
    assert recorded.body["top_k"] == 3 and recorded.body["safe_prompt"] is False


def test_unknown_parameters_without_the_header_get_422(client: ChatCompletionsClient) -> None:
    with pytest.raises(HttpResponseError) as caught:
        client.complete(body={"messages": [{"role": "user", "content": "Hi"}], "top_k": 3})
    assert caught.value.status_code == 422
    assert "top_k" in str(caught.value)


def test_get_model_info(client: ChatCompletionsClient) -> None:
    info = client.get_model_info()
    assert (info.model_name, info.model_type, info.model_provider_name) == (
        "phi-4-multimodal-instruct",
        "chat-completion",
        "Microsoft",
    )


def test_wrong_key_gets_401(emulator: Emulator) -> None:
    with (
        ChatCompletionsClient(endpoint=emulator.endpoint, credential=AzureKeyCredential("nope")) as sdk,
        pytest.raises(ClientAuthenticationError) as caught,
    ):
        sdk.complete(messages=[UserMessage("Hi")])
    assert caught.value.status_code == 401


def test_one_image_limit(emulator_factory: Callable[..., Emulator], chart_jpg: Path) -> None:
    emu = emulator_factory("phi-3-vision-128k-instruct")
    image = ImageUrl.load(image_file=str(chart_jpg), image_format="jpeg")
    with ChatCompletionsClient(endpoint=emu.endpoint, credential=AzureKeyCredential(API_KEY)) as sdk:
        one = sdk.complete(messages=[UserMessage([TextContentItem(text="?"), ImageContentItem(image_url=image)])])
        assert "Received 1 image" in one.choices[0].message.content
        with pytest.raises(HttpResponseError) as caught:
            sdk.complete(messages=[UserMessage([ImageContentItem(image_url=image), ImageContentItem(image_url=image)])])
    assert caught.value.status_code == 400
    assert "at most 1 image(s) per request" in str(caught.value)


def test_azure_openai_deployment_route_with_api_key_header(emulator: Emulator) -> None:
    endpoint = emulator.endpoint_for("azure-openai")
    with ChatCompletionsClient(
        endpoint=endpoint, credential=AzureKeyCredential(API_KEY), api_version="2025-01-01-preview"
    ) as sdk:
        audio = {
            "type": "input_audio",
            "input_audio": {"data": __import__("base64").b64encode(wav_bytes(0.5)).decode(), "format": "wav"},
        }
        reply = sdk.complete(messages=[{"role": "user", "content": [audio]}])
    assert "#1 wav 0.50 s" in reply.choices[0].message.content
    assert emulator.requests[-1].query == {"api-version": "2025-01-01-preview"}


async def test_aio_text_stream_image_and_info(emulator: Emulator, chart_jpg: Path, speech: Path) -> None:
    async with AsyncChatCompletionsClient(endpoint=emulator.endpoint, credential=AzureKeyCredential(API_KEY)) as sdk:
        reply = await sdk.complete(
            messages=[
                UserMessage(
                    [
                        TextContentItem(text="Look and listen"),
                        ImageContentItem(image_url=ImageUrl.load(image_file=str(chart_jpg), image_format="jpeg")),
                        AudioContentItem(input_audio=InputAudio.load(audio_file=str(speech), audio_format="mp3")),
                    ]
                )
            ]
        )
        assert "Received 1 image" in reply.choices[0].message.content
        assert "Received 1 audio clip" in reply.choices[0].message.content
        stream = await sdk.complete(
            messages=[UserMessage("async stream")],
            stream=True,
            model_extras={"stream_options": {"include_usage": True}},
        )
        updates = [update async for update in stream]
        assert "".join(u.choices[0].delta.content or "" for u in updates if u.choices).endswith('"async stream"')
        assert updates[-1].usage.completion_tokens > 0
        info = await sdk.get_model_info()
        assert info.model_name == "phi-4-multimodal-instruct"


async def test_aio_errors(emulator: Emulator) -> None:
    async with AsyncChatCompletionsClient(endpoint=emulator.endpoint, credential=AzureKeyCredential("bad")) as sdk:
        with pytest.raises(ClientAuthenticationError):
            await sdk.complete(messages=[UserMessage("Hi")])
    async with AsyncChatCompletionsClient(endpoint=emulator.endpoint, credential=AzureKeyCredential(API_KEY)) as sdk:
        with pytest.raises(HttpResponseError) as caught:
            await sdk.complete(body={"messages": [{"role": "user", "content": "Hi"}], "foo": 1})
        assert caught.value.status_code == 422


def test_wav_via_input_audio_load(client: ChatCompletionsClient, tmp_path: Path) -> None:
    path = tmp_path / "clip.wav"
    path.write_bytes(wav_bytes(2.0))
    reply = client.complete(
        messages=[
            UserMessage([AudioContentItem(input_audio=InputAudio.load(audio_file=str(path), audio_format="wav"))])
        ]
    )
    assert "#1 wav 2.00 s" in reply.choices[0].message.content


@pytest.mark.parametrize("kind", ["serverless", "azure-openai"])
def test_streamed_tool_calls_the_way_the_sdk_sample_reads_them(emulator: Emulator, kind: str) -> None:
    """As ``sample_chat_completions_streaming_with_tools.py`` does: take the id and name from the first tool-call
    update and add up the arguments of the rest."""
    weather = ChatCompletionsToolDefinition(
        function=FunctionDefinition(
            name="get_flight_info",
            description="Returns information about the next flight between two cities.",
            parameters={
                "type": "object",
                "properties": {"origin_city": {"type": "string"}, "destination_city": {"type": "string"}},
                "required": ["origin_city", "destination_city"],
            },
        )
    )
    with ChatCompletionsClient(
        endpoint=emulator.endpoint_for(kind), credential=AzureKeyCredential(API_KEY), api_version="2025-01-01-preview"
    ) as sdk:
        updates = list(
            sdk.complete(
                stream=True,
                messages=[UserMessage('What is the next flight from "Seattle" to "Miami"?')],
                tools=[weather],
            )
        )
    call_id, name, arguments = "", "", ""
    for update in updates:
        if update.choices and update.choices[0].delta and update.choices[0].delta.tool_calls:
            piece = update.choices[0].delta.tool_calls[0]
            call_id = call_id or piece.id or ""
            name = name or piece.function.name or ""
            arguments += piece.function.arguments or ""
    assert call_id.startswith("call_") and name == "get_flight_info"
    assert json.loads(arguments) == {"origin_city": "Seattle", "destination_city": "Miami"}
    assert all(u.choices or u.usage for u in updates)  # the SDK itself skips the choices-less content-filter chunk
