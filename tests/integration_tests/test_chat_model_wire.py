"""``ChatAzureMultimodal`` on the wire: what ``invoke`` puts in the request the emulator receives.

Every test asserts the exact JSON (``emulator.requests[-1].body``), path, query and headers, and, for media, that
the emulator's answer says it received them. Block forms, endpoint kinds (with Entra scopes), zero-valued
parameters, message kinds and model extras.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.credentials import AccessToken
from azure.core.exceptions import HttpResponseError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, HumanMessage, SystemMessage, ToolMessage

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.endpoints import (
    AZURE_AI_SCOPE,
    AZURE_ML_SCOPE,
    COGNITIVE_SERVICES_SCOPE,
    EndpointKind,
)
from langchain_azure_multimodal.errors import UnsupportedContentError
from tests.conftest import API_KEY
from tests.support.chat import endpoint_of, model_on, user_turn
from tests.support.http import audio_item, call, image_item
from tests.support.media import b64, data_url, image_bytes, wav_bytes

PNG = image_bytes(64, 48, "PNG")
PNG_B64 = b64(PNG)
PNG_URL = data_url(PNG, "image/png")
HTTP_PNG = "https://example.com/cat.png"
WAV = wav_bytes(1.0)
WAV_B64 = b64(WAV)
HTTP_MP3 = "https://example.com/clip.mp3"
IMAGE_SEEN = "Received 1 image: #1 png 64x48"
REMOTE_SEEN = "Received 1 image: #1 remote URL (remote, not fetched)"
WAV_SEEN = "Received 1 audio clip: #1 wav 1.00 s"


def _mp3_b64() -> str:
    if importlib.util.find_spec("av") is not None:  # the emulator probes mp3 with PyAV: send a real one
        from tests.support.media import encoded_audio

        return b64(encoded_audio(0.5))
    # Without PyAV the emulator checks the declared format and the base64 only.
    return b64(b"ID3\x04\x00\x00\x00\x00\x00\x00" + b"\xff\xfb\x90\x00" * 64)


MP3_B64 = _mp3_b64()


def _sent_items(emulator: Emulator) -> list[dict[str, Any]]:
    """The content items after the leading text item of the last request's only message."""
    messages = emulator.requests[-1].body["messages"]
    assert len(messages) == 1
    assert messages[0]["role"] == "user"
    assert messages[0]["content"][0] == {"type": "text", "text": "Describe this."}
    return list(messages[0]["content"][1:])


# ---------------------------------------------------------------------------------------------- block forms

BLOCK_FORMS: dict[str, tuple[dict[str, Any], dict[str, Any], str]] = {
    "openai image_url string, data URL": (
        {"type": "image_url", "image_url": PNG_URL},
        image_item(PNG_URL),
        f"{IMAGE_SEEN}, {len(PNG):,} bytes, detail=auto",
    ),
    "openai image_url dict, data URL, detail low": (
        {"type": "image_url", "image_url": {"url": PNG_URL, "detail": "low"}},
        image_item(PNG_URL, "low"),
        f"{IMAGE_SEEN}, {len(PNG):,} bytes, detail=low",
    ),
    "openai image_url string, http URL": (
        {"type": "image_url", "image_url": HTTP_PNG},
        image_item(HTTP_PNG),
        f"{REMOTE_SEEN}, detail=auto",
    ),
    "openai image_url dict, http URL, detail high": (
        {"type": "image_url", "image_url": {"url": HTTP_PNG, "detail": "high"}},
        image_item(HTTP_PNG, "high"),
        f"{REMOTE_SEEN}, detail=high",
    ),
    "v0 image base64": (
        {"type": "image", "source_type": "base64", "data": PNG_B64, "mime_type": "image/png"},
        image_item(PNG_URL),
        IMAGE_SEEN,
    ),
    "v0 image url": (
        {"type": "image", "source_type": "url", "url": HTTP_PNG},
        image_item(HTTP_PNG),
        REMOTE_SEEN,
    ),
    "v0 image base64, metadata detail": (
        {
            "type": "image",
            "source_type": "base64",
            "data": PNG_B64,
            "mime_type": "image/png",
            "metadata": {"detail": "high"},
        },
        image_item(PNG_URL, "high"),
        f"{IMAGE_SEEN}, {len(PNG):,} bytes, detail=high",
    ),
    "v1 image base64": (
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
        image_item(PNG_URL),
        IMAGE_SEEN,
    ),
    "v1 image url": (
        {"type": "image", "url": HTTP_PNG},
        image_item(HTTP_PNG),
        REMOTE_SEEN,
    ),
    "v1 image base64, extras.detail": (
        {"type": "image", "base64": PNG_B64, "mime_type": "image/png", "extras": {"detail": "low"}},
        image_item(PNG_URL, "low"),
        f"{IMAGE_SEEN}, {len(PNG):,} bytes, detail=low",
    ),
    "v1 image url, extras.detail": (
        {"type": "image", "url": HTTP_PNG, "extras": {"detail": "high"}},
        image_item(HTTP_PNG, "high"),
        f"{REMOTE_SEEN}, detail=high",
    ),
    "openai input_audio wav": (
        {"type": "input_audio", "input_audio": {"data": WAV_B64, "format": "wav"}},
        audio_item(WAV_B64, "wav"),
        WAV_SEEN,
    ),
    "openai input_audio mp3": (
        {"type": "input_audio", "input_audio": {"data": MP3_B64, "format": "mp3"}},
        audio_item(MP3_B64, "mp3"),
        "Received 1 audio clip: #1 mp3",
    ),
    "v0 audio base64": (
        {"type": "audio", "source_type": "base64", "data": WAV_B64, "mime_type": "audio/wav"},
        audio_item(WAV_B64, "wav"),
        WAV_SEEN,
    ),
    "v1 audio url": (
        {"type": "audio", "url": HTTP_MP3},
        {"type": "audio_url", "audio_url": {"url": HTTP_MP3}},
        "Received 1 audio clip: #1 remote URL (remote, not fetched)",
    ),
    "v0 audio url": (
        {"type": "audio", "source_type": "url", "url": HTTP_MP3},
        {"type": "audio_url", "audio_url": {"url": HTTP_MP3}},
        "Received 1 audio clip: #1 remote URL (remote, not fetched)",
    ),
}


@pytest.mark.parametrize("form", list(BLOCK_FORMS))
def test_each_block_form_reaches_the_wire_and_the_model(emulator: Emulator, form: str) -> None:
    block, expected, seen = BLOCK_FORMS[form]
    reply = model_on(emulator).invoke(user_turn(block))
    assert _sent_items(emulator) == [expected]
    assert seen in reply.content


@pytest.mark.parametrize(
    ("mime", "fmt"),
    [("audio/mpeg", "mp3"), ("audio/mp3", "mp3"), ("audio/wav", "wav"), ("audio/x-wav", "wav"), ("audio/wave", "wav")],
)
def test_v1_audio_base64_mime_types_become_the_wire_format(emulator: Emulator, mime: str, fmt: str) -> None:
    data = MP3_B64 if fmt == "mp3" else WAV_B64
    reply = model_on(emulator).invoke(user_turn({"type": "audio", "base64": data, "mime_type": mime}))
    assert _sent_items(emulator) == [audio_item(data, fmt)]
    assert f"Received 1 audio clip: #1 {fmt}" in reply.content


def test_text_only_list_content_stays_a_list_of_text_items(emulator: Emulator) -> None:
    reply = model_on(emulator).invoke(
        [HumanMessage([{"type": "text", "text": "One."}, "Two.", {"type": "text", "text": "Three."}])]
    )
    assert emulator.requests[-1].body["messages"] == [
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "One."},
                {"type": "text", "text": "Two."},
                {"type": "text", "text": "Three."},
            ],
        }
    ]
    assert "Received no images and no audio." in reply.content
    assert reply.content.endswith('Last user text: "One. Two. Three."')


def test_default_image_detail_on_the_instance_fills_only_blocks_without_one(emulator: Emulator) -> None:
    model = model_on(emulator, default_image_detail="low")
    reply = model.invoke(
        user_turn(
            {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
            {"type": "image_url", "image_url": {"url": HTTP_PNG, "detail": "high"}},
        )
    )
    assert _sent_items(emulator) == [image_item(PNG_URL, "low"), image_item(HTTP_PNG, "high")]
    assert "Received 2 images: #1 png 64x48" in reply.content
    assert "detail=low; #2 remote URL (remote, not fetched), detail=high" in reply.content


def test_default_image_detail_per_call_overrides_the_instance(emulator: Emulator) -> None:
    model = model_on(emulator, default_image_detail="low")
    model.invoke(user_turn({"type": "image", "url": HTTP_PNG}), default_image_detail="high")
    assert _sent_items(emulator) == [image_item(HTTP_PNG, "high")]
    model.invoke(user_turn({"type": "image", "url": HTTP_PNG}))  # the per-call value did not stick
    assert _sent_items(emulator) == [image_item(HTTP_PNG, "low")]


def test_images_and_audio_together_keep_their_order(emulator: Emulator) -> None:
    reply = model_on(emulator).invoke(
        user_turn(
            {"type": "image", "base64": PNG_B64, "mime_type": "image/png"},
            {"type": "audio", "base64": WAV_B64, "mime_type": "audio/wav"},
            {"type": "text", "text": "And this?"},
            {"type": "image_url", "image_url": HTTP_PNG},
        )
    )
    assert _sent_items(emulator) == [
        image_item(PNG_URL),
        audio_item(WAV_B64, "wav"),
        {"type": "text", "text": "And this?"},
        image_item(HTTP_PNG),
    ]
    assert "Received 2 images" in reply.content
    assert WAV_SEEN in reply.content


# ---------------------------------------------------------------------------------------------- endpoint kinds

# route -> (kind, path, query, native stream_options, a real URL of that kind, its Entra scopes)
ENDPOINT_KINDS: dict[str, tuple[EndpointKind, str, dict[str, str], str, tuple[str, ...]]] = {
    "foundry": (
        EndpointKind.FOUNDRY,
        "/models/chat/completions",
        {"api-version": "2024-05-01-preview"},
        "https://r.services.ai.azure.com/models",
        (COGNITIVE_SERVICES_SCOPE,),
    ),
    "azure-openai": (
        EndpointKind.AZURE_OPENAI,
        "/openai/deployments/{model}/chat/completions",
        {"api-version": "2025-01-01-preview"},
        "https://r.openai.azure.com/openai/deployments/gpt-4o",
        (COGNITIVE_SERVICES_SCOPE,),
    ),
    "openai-v1": (
        EndpointKind.OPENAI_V1,
        "/openai/v1/chat/completions",
        {},
        "https://r.openai.azure.com/openai/v1",
        (AZURE_AI_SCOPE,),
    ),
    "serverless": (
        EndpointKind.SERVERLESS,
        "/chat/completions",
        {"api-version": "2024-05-01-preview"},
        "https://my-llama.eastus2.inference.ai.azure.com",
        (AZURE_ML_SCOPE,),
    ),
    "root": (
        EndpointKind.OPENAI_COMPATIBLE,
        "/chat/completions",
        {"api-version": "2024-05-01-preview"},
        "http://localhost:8000",
        (),
    ),
}


@pytest.mark.parametrize("route", list(ENDPOINT_KINDS))
def test_each_endpoint_kind_sends_its_path_query_and_key_headers(emulator: Emulator, route: str) -> None:
    kind, path, query, _, _ = ENDPOINT_KINDS[route]
    model = model_on(emulator, route)
    assert model.endpoint_settings.kind is kind
    reply = model.invoke("Hello")
    sent = emulator.requests[-1]
    assert (sent.method, sent.path, dict(sent.query)) == ("POST", path.format(model=emulator.model), query)
    assert sent.header("api-key") == API_KEY
    assert sent.header("Authorization") == f"Bearer {API_KEY}"
    assert sent.header("extra-parameters") is None  # nothing extra was sent
    assert sent.body == {"messages": [{"role": "user", "content": "Hello"}], "model": emulator.model}
    assert reply.content.endswith('Last user text: "Hello"')
    assert reply.response_metadata["model_name"] == emulator.model


@pytest.mark.parametrize("route", list(ENDPOINT_KINDS))
def test_each_endpoint_kind_on_a_real_url_asks_entra_for_its_scope(route: str) -> None:
    kind, _, query, url, scopes = ENDPOINT_KINDS[route]
    credential = RecordingCredential()
    if not scopes:  # a token without a scope would be for the wrong service: refused at construction
        with pytest.raises(ValueError, match="an Entra token credential needs a scope"):
            ChatAzureMultimodal(endpoint=url, credential=credential, model="gpt-4o")
        return
    model = ChatAzureMultimodal(endpoint=url, credential=credential, model="gpt-4o")
    settings = model.endpoint_settings
    assert (settings.kind, settings.credential_scopes) == (kind, scopes)
    assert settings.api_version == query.get("api-version")
    assert model.credential is credential
    assert credential.scopes == []  # nothing is asked before a request


def test_azure_openai_deployment_takes_audio_at_its_default_api_version(emulator: Emulator) -> None:
    reply = model_on(emulator, "azure-openai").invoke(
        user_turn({"type": "audio", "base64": WAV_B64, "mime_type": "audio/wav"})
    )
    assert emulator.requests[-1].query["api-version"] == "2025-01-01-preview"
    assert _sent_items(emulator) == [audio_item(WAV_B64, "wav")]
    assert WAV_SEEN in reply.content


def test_azure_openai_deployment_refuses_audio_on_an_old_api_version_before_the_network(emulator: Emulator) -> None:
    model = model_on(emulator, "azure-openai", api_version="2024-10-21")
    audio = {"type": "audio", "base64": WAV_B64, "mime_type": "audio/wav"}
    with pytest.raises(UnsupportedContentError) as caught:
        model.invoke(user_turn(audio))
    text = str(caught.value)
    assert "messages[0].content[1]" in text
    assert "api_version='2024-10-21'" in text
    assert "2025-01-01-preview" in text
    assert (caught.value.message_index, caught.value.block_index, caught.value.block_type) == (0, 1, "audio")
    assert emulator.requests == []
    # Text still works on that version, which is what reaches the wire.
    model.invoke("Hello")
    assert emulator.requests[-1].query == {"api-version": "2024-10-21"}
    # ... and the service itself refuses audio there: the check above saves a round trip, it invents nothing.
    body = {"messages": [{"role": "user", "content": [audio_item(WAV_B64, "wav")]}]}
    reply = call(
        emulator, f"/openai/deployments/{emulator.model}/chat/completions", body, query={"api-version": "2024-10-21"}
    )
    assert reply.status == 400
    assert reply.error["target"] == "api-version"


def test_openai_v1_needs_a_model_and_sends_no_api_version(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="openai-v1 endpoints need model="):
        ChatAzureMultimodal(endpoint=emulator.endpoint_for("openai-v1"), api_key=API_KEY)
    model_on(emulator, "openai-v1").invoke("Hi")
    assert "api-version" not in emulator.requests[-1].query
    assert emulator.requests[-1].body["model"] == emulator.model


class RecordingCredential:
    """A sync ``TokenCredential`` that hands out "tok" and records the scopes it was asked for."""

    def __init__(self, token: str = "tok") -> None:
        self.token = token
        self.scopes: list[tuple[str, ...]] = []

    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)


class AsyncRecordingCredential(RecordingCredential):
    """The async twin (an ``AsyncTokenCredential``)."""

    async def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:  # type: ignore[override]
        self.scopes.append(scopes)
        return AccessToken(self.token, int(time.time()) + 3600)

    async def close(self) -> None:
        pass

    async def __aenter__(self) -> AsyncRecordingCredential:
        return self

    async def __aexit__(self, *exc: object) -> None:
        pass


class AllowBearerOverHttp(SansIOHTTPPolicy[Any, Any]):
    """azure-core refuses bearer tokens over plain http unless the request's ``enforce_https`` option is False; the
    option is per call, so a per-call policy (which runs before the authentication policy) sets it. The emulator
    serves plain http on loopback; real endpoints are https and need none of this."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.context.options["enforce_https"] = False


@pytest.mark.parametrize(
    ("kind", "scope"),
    [("azure-openai", COGNITIVE_SERVICES_SCOPE), ("openai-v1", AZURE_AI_SCOPE), ("serverless", AZURE_ML_SCOPE)],
)
def test_a_token_credential_sends_a_bearer_token_for_the_scope(
    emulator_factory: Callable[..., Emulator], kind: str, scope: str
) -> None:
    emulator = emulator_factory(api_key="tok")
    credential = RecordingCredential()
    route = {"serverless": "root"}.get(kind, kind)
    model = ChatAzureMultimodal(
        endpoint=endpoint_of(emulator, route),
        credential=credential,
        model=emulator.model,
        endpoint_kind=kind,
        # Loopback URLs get no scopes of their own (see endpoints.py); the kind's real scope is given here.
        credential_scopes=[scope],
        client_kwargs={"per_call_policies": [AllowBearerOverHttp()]},
    )
    model.invoke("Hi")
    model.invoke("Again")  # the token is cached by azure-core
    sent = emulator.requests[-1]
    assert sent.header("Authorization") == "Bearer tok"
    assert sent.header("api-key") is None  # a token credential sends no key header
    assert credential.scopes == [(scope,)]


async def test_an_async_token_credential_sends_a_bearer_token_for_the_scope(
    emulator_factory: Callable[..., Emulator],
) -> None:
    emulator = emulator_factory(api_key="tok")
    credential = AsyncRecordingCredential()
    model = ChatAzureMultimodal(
        endpoint=emulator.endpoint_for("foundry"),
        credential=credential,
        model=emulator.model,
        credential_scopes=[COGNITIVE_SERVICES_SCOPE],
        client_kwargs={"per_call_policies": [AllowBearerOverHttp()]},
    )
    reply = await model.ainvoke("Hi")
    chunks = [chunk async for chunk in model.astream("Hi")]
    assert reply.content.endswith('Last user text: "Hi"')
    assert chunks
    assert [r.header("Authorization") for r in emulator.requests] == ["Bearer tok", "Bearer tok"]
    # One async client per event loop: the token is asked for once and reused by the next call.
    assert credential.scopes == [(COGNITIVE_SERVICES_SCOPE,)]
    await model.aclose()


def test_bearer_tokens_over_plain_http_are_refused_without_the_opt_out(
    emulator_factory: Callable[..., Emulator],
) -> None:
    from azure.core.exceptions import ServiceRequestError

    emulator = emulator_factory(api_key="tok")
    credential = RecordingCredential()
    model = ChatAzureMultimodal(
        endpoint=emulator.endpoint_for("foundry"),
        credential=credential,
        model=emulator.model,
        credential_scopes=[COGNITIVE_SERVICES_SCOPE],
        # A client-wide enforce_https is ignored by azure-core: the option is read per call only.
        client_kwargs={"enforce_https": False},
    )
    with pytest.raises(ServiceRequestError, match="non-TLS"):
        model.invoke("Hi")
    assert emulator.requests == []
    assert credential.scopes == []


# ---------------------------------------------------------------------------------------------- parameters


def test_zero_values_are_sent(emulator: Emulator) -> None:
    model = model_on(emulator, temperature=0, top_p=0, seed=0, presence_penalty=0, frequency_penalty=0, max_tokens=200)
    model.invoke("Hi")
    body = emulator.requests[-1].body
    assert {k: v for k, v in body.items() if k != "messages"} == {
        "temperature": 0,
        "top_p": 0,
        "max_tokens": 200,
        "seed": 0,
        "presence_penalty": 0,
        "frequency_penalty": 0,
        "model": emulator.model,
    }


def test_unset_parameters_are_not_sent(emulator: Emulator) -> None:
    model_on(emulator).invoke("Hi")
    assert set(emulator.requests[-1].body) == {"messages", "model"}


def test_standard_parameters_reach_the_wire_and_the_model(emulator: Emulator) -> None:
    model = ChatAzureMultimodal(
        endpoint=emulator.endpoint_for("foundry"),
        api_key=API_KEY,
        model=emulator.model,
        temperature=0.25,
        max_tokens=3,
        timeout=10,
        stop=["never-said"],
        max_retries=1,
    )
    assert (model.timeout, model.max_retries) == (10, 1)  # client settings, not wire parameters
    reply = model.invoke("Hi")
    body = emulator.requests[-1].body
    assert (body["temperature"], body["max_tokens"], body["stop"]) == (0.25, 3, ["never-said"])
    assert reply.response_metadata["finish_reason"] == "length"  # max_tokens reached the model
    assert len(reply.content) == 12


def test_stop_sequences_reach_the_model(emulator: Emulator) -> None:
    reply = model_on(emulator).invoke("Hi", stop=["images"])
    assert emulator.requests[-1].body["stop"] == ["images"]
    assert reply.content == "[emulator:phi-4-multimodal-instruct] Received no "


def test_an_empty_stop_list_is_not_sent(emulator: Emulator) -> None:
    model_on(emulator, stop=[]).invoke("Hi")
    assert "stop" not in emulator.requests[-1].body
    model_on(emulator).invoke("Hi", stop=[])
    assert "stop" not in emulator.requests[-1].body


def test_per_call_values_override_the_instance(emulator_factory: Callable[..., Emulator]) -> None:
    emulator = emulator_factory(models=["gpt-4o"])
    model = model_on(emulator, temperature=0.7, top_p=0.9, seed=1, max_tokens=100, stop=["a"], presence_penalty=1)
    reply = model.invoke("Hi", temperature=0, seed=0, max_tokens=50, stop=["zz"], model="gpt-4o")
    body = emulator.requests[-1].body
    assert {k: v for k, v in body.items() if k != "messages"} == {
        "temperature": 0,
        "top_p": 0.9,
        "max_tokens": 50,
        "seed": 0,
        "presence_penalty": 1,
        "stop": ["zz"],
        "model": "gpt-4o",
    }
    assert reply.response_metadata["model_name"] == "gpt-4o"
    model.invoke("Hi")  # per-call values do not stick
    assert (emulator.requests[-1].body["temperature"], emulator.requests[-1].body["model"]) == (0.7, emulator.model)


def test_unknown_keyword_arguments_are_refused_before_the_network(emulator: Emulator) -> None:
    with pytest.raises(TypeError, match="unexpected keyword arguments: 'top_k'"):
        model_on(emulator).invoke("Hi", top_k=3)
    assert emulator.requests == []


# ---------------------------------------------------------------------------------------------- messages


def test_system_developer_and_human_messages(emulator: Emulator) -> None:
    reply = model_on(emulator).invoke(
        [
            SystemMessage("Be brief."),
            ChatMessage(role="developer", content="Answer in English."),
            SystemMessage("Dev via marker.", additional_kwargs={"__openai_role__": "developer"}),
            HumanMessage("Hi"),
        ]
    )
    assert emulator.requests[-1].body["messages"] == [
        {"role": "system", "content": "Be brief."},
        {"role": "developer", "content": "Answer in English."},
        {"role": "developer", "content": "Dev via marker."},
        {"role": "user", "content": "Hi"},
    ]
    assert "System prompt: yes." in reply.content


@pytest.mark.spec_exempt(reason="a custom role is not a role the spec knows; the test checks it is sent as given")
def test_a_role_the_spec_does_not_have_is_refused_before_sending(emulator: Emulator) -> None:
    # The spec's ChatRole is system, developer, user, assistant and tool; the service answers 400 to any other.
    with pytest.raises(UnsupportedContentError, match=r"messages\[0\].*ChatMessage\(role='critic'\).*no such role"):
        model_on(emulator).invoke([ChatMessage(role="critic", content="Too long."), HumanMessage("Hi")])
    assert emulator.requests == []


def test_tool_call_history_round_trips(emulator: Emulator) -> None:
    history: list[BaseMessage] = [
        HumanMessage("What is the weather in Paris?"),
        AIMessage(
            [
                {"type": "reasoning", "reasoning": "I should call the tool."},
                {"type": "thinking", "thinking": "Anthropic-style thinking."},
                {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
            ],
            tool_calls=[{"id": "call_1", "name": "get_weather", "args": {"city": "Paris", "units": ["C"]}}],
        ),
        ToolMessage("Sunny, 21 C", tool_call_id="call_1"),
        HumanMessage("Thanks"),
    ]
    reply = model_on(emulator).invoke(history)
    assert emulator.requests[-1].body["messages"] == [
        {"role": "user", "content": "What is the weather in Paris?"},
        {
            "role": "assistant",
            "tool_calls": [
                {
                    "id": "call_1",
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": '{"city": "Paris", "units": ["C"]}'},
                }
            ],
        },
        {"role": "tool", "content": "Sunny, 21 C", "tool_call_id": "call_1"},
        {"role": "user", "content": "Thanks"},
    ]
    assert reply.content.endswith('Last user text: "Thanks"')


def test_assistant_text_is_kept_beside_tool_calls(emulator: Emulator) -> None:
    model_on(emulator).invoke(
        [
            HumanMessage("Add"),
            AIMessage("Let me add.", tool_calls=[{"id": "c1", "name": "add", "args": {}}]),
            ToolMessage("3", tool_call_id="c1"),
        ]
    )
    assistant = emulator.requests[-1].body["messages"][1]
    assert assistant == {
        "role": "assistant",
        "content": "Let me add.",
        "tool_calls": [{"id": "c1", "type": "function", "function": {"name": "add", "arguments": "{}"}}],
    }


def test_a_tool_message_with_an_image_is_followed_by_a_user_message_with_it(emulator: Emulator) -> None:
    reply = model_on(emulator).invoke(
        [
            HumanMessage("Take two screenshots"),
            AIMessage(
                "",
                tool_calls=[
                    {"id": "c1", "name": "screenshot", "args": {}},
                    {"id": "c2", "name": "screenshot", "args": {}},
                ],
            ),
            ToolMessage(
                [{"type": "text", "text": "Here:"}, {"type": "image", "base64": PNG_B64, "mime_type": "image/png"}],
                tool_call_id="c1",
            ),
            ToolMessage([{"type": "image_url", "image_url": {"url": HTTP_PNG, "detail": "low"}}], tool_call_id="c2"),
        ]
    )
    messages = emulator.requests[-1].body["messages"]
    assert [m["role"] for m in messages] == ["user", "assistant", "tool", "tool", "user"]
    assert messages[2] == {"role": "tool", "content": "Here:", "tool_call_id": "c1"}
    assert messages[3]["tool_call_id"] == "c2"
    assert "attached to the user message after the tool results" in messages[3]["content"]
    assert messages[4] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Media returned by tool call c1:"},
            image_item(PNG_URL),
            {"type": "text", "text": "Media returned by tool call c2:"},
            image_item(HTTP_PNG, "low"),
        ],
    }
    assert "Received 2 images: #1 png 64x48" in reply.content


UNSUPPORTED_BLOCKS: dict[str, tuple[dict[str, Any], str]] = {
    "video": ({"type": "video", "base64": "AAAA", "mime_type": "video/mp4"}, "video"),
    "video url": ({"type": "video", "url": "https://example.com/a.mp4"}, "video"),
    "pdf file v1": ({"type": "file", "base64": "JVBERi0=", "mime_type": "application/pdf"}, "file"),
    "pdf file openai": (
        {"type": "file", "file": {"filename": "a.pdf", "file_data": "data:application/pdf;base64,JVBERi0="}},
        "file",
    ),
    "unknown": ({"type": "hologram", "data": "x"}, "hologram"),
}


@pytest.mark.parametrize("case", list(UNSUPPORTED_BLOCKS))
def test_unsupported_blocks_raise_before_the_network(emulator: Emulator, case: str) -> None:
    block, block_type = UNSUPPORTED_BLOCKS[case]
    messages = [SystemMessage("Be brief."), HumanMessage([{"type": "text", "text": "Look:"}, block])]
    with pytest.raises(UnsupportedContentError) as caught:
        model_on(emulator).invoke(messages)
    error = caught.value
    assert isinstance(error, ValueError)
    assert "messages[1].content[1]" in str(error)
    assert f"block type {block_type!r}" in str(error)
    assert (error.message_index, error.block_index, error.block_type) == (1, 1, block_type)
    assert emulator.requests == []


async def test_unsupported_blocks_raise_before_the_network_async(emulator: Emulator) -> None:
    model = model_on(emulator)
    with pytest.raises(UnsupportedContentError, match=r"messages\[0\]\.content\[0\]"):
        await model.ainvoke([HumanMessage([{"type": "video", "url": "https://example.com/a.mp4"}])])
    with pytest.raises(UnsupportedContentError, match=r"messages\[0\]\.content\[0\]"):
        async for _ in model.astream([HumanMessage([{"type": "video", "url": "https://example.com/a.mp4"}])]):
            pass
    assert emulator.requests == []


def test_media_in_a_system_message_raises_before_the_network(emulator: Emulator) -> None:
    with pytest.raises(UnsupportedContentError, match=r"messages\[0\]\.content\[0\].*system message carries text only"):
        model_on(emulator).invoke([SystemMessage([{"type": "image", "url": HTTP_PNG}]), HumanMessage("Hi")])
    assert emulator.requests == []


# ---------------------------------------------------------------------------------------------- model extras


def test_instance_extras_are_passed_through_by_default(emulator: Emulator) -> None:
    reply = model_on(emulator, model_extras={"top_k": 5, "safe_prompt": True}).invoke("Hi")
    sent = emulator.requests[-1]
    assert sent.header("extra-parameters") == "pass-through"
    assert (sent.body["top_k"], sent.body["safe_prompt"]) == (5, True)
    assert "Extra parameters passed through: top_k=5, safe_prompt=true." in reply.content


def test_per_call_extras_merge_over_the_instance(emulator: Emulator) -> None:
    model = model_on(emulator, model_extras={"top_k": 5, "safe_prompt": True})
    reply = model.invoke("Hi", model_extras={"top_k": 7, "repetition_penalty": 1.1})
    sent = emulator.requests[-1]
    assert {k: sent.body[k] for k in ("top_k", "safe_prompt", "repetition_penalty")} == {
        "top_k": 7,
        "safe_prompt": True,
        "repetition_penalty": 1.1,
    }
    assert sent.header("extra-parameters") == "pass-through"
    assert "top_k=7, safe_prompt=true, repetition_penalty=1.1" in reply.content
    model.invoke("Hi")
    assert emulator.requests[-1].body["top_k"] == 5  # the instance's extras are untouched
    assert "repetition_penalty" not in emulator.requests[-1].body


def test_extra_parameters_drop_sends_that_header(emulator: Emulator) -> None:
    reply = model_on(emulator, model_extras={"top_k": 5}, extra_parameters="drop").invoke("Hi")
    sent = emulator.requests[-1]
    assert sent.header("extra-parameters") == "drop"
    assert sent.body["top_k"] == 5
    assert "Extra parameters passed through" not in reply.content


def test_extra_parameters_without_extras_is_still_sent(emulator: Emulator) -> None:
    model_on(emulator, extra_parameters="error").invoke("Hi")
    assert emulator.requests[-1].header("extra-parameters") == "error"
    model_on(emulator).invoke("Hi", extra_parameters="drop")
    assert emulator.requests[-1].header("extra-parameters") == "drop"


def test_extras_with_extra_parameters_error_surface_the_services_422(emulator: Emulator) -> None:
    model = model_on(emulator, model_extras={"top_k": 5, "safe_prompt": True}, extra_parameters="error", max_retries=0)
    with pytest.raises(HttpResponseError) as caught:
        model.invoke("Hi")
    assert caught.value.status_code == 422
    assert "['top_k', 'safe_prompt']" in str(caught.value)
    assert emulator.requests[-1].header("extra-parameters") == "error"
    assert len(emulator.requests) == 1  # a 422 is not retried
