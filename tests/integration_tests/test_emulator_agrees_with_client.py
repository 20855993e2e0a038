"""The emulator and the client read the same facts (``endpoints``), so they agree on what an endpoint takes.

Each test drives both sides with the same input and fails when one of them drifts: the audio api-version rule of
Azure OpenAI deployments, and, for every endpoint kind, its routes, ``api-version`` handling, ``/info``, whether the
body must name the model and whether OpenAI's own parameters are native.
"""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest

from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.endpoints import (
    CHAT_COMPLETIONS_PATH,
    MODEL_INFO_PATH,
    ROUTES,
    EndpointKind,
    api_version_takes_audio,
    resolve_endpoint,
)
from langchain_azure_multimodal.protocols import Protocol
from tests.support.http import API_VERSION, audio_item, call, user, with_items
from tests.support.media import b64, wav_bytes

AUDIO_VERSIONS = ["2025-01-01", "2025-01-01-preview", "2024-10-21", "2025-04-01-preview"]


@pytest.mark.parametrize("version", AUDIO_VERSIONS)
def test_client_and_emulator_agree_on_audio_by_api_version(emulator: Emulator, version: str) -> None:
    settings = resolve_endpoint(emulator.endpoint_for("azure-openai"), api_version=version)
    path = urlsplit(settings.endpoint).path + CHAT_COMPLETIONS_PATH
    clip = audio_item(b64(wav_bytes(0.2)))
    reply = call(emulator, path, with_items(clip), query={"api-version": version})
    assert reply.status in (200, 400), reply.text
    assert settings.supports_audio_input() is (reply.status == 200)
    assert api_version_takes_audio(EndpointKind.AZURE_OPENAI, version) is (reply.status == 200)


def test_the_emulator_takes_audio_with_the_2025_01_01_release(emulator: Emulator) -> None:
    # The documented rule compares the date part: the release takes audio like its preview. The emulator compared
    # whole strings and answered 400 while the client said audio works.
    path = f"/openai/deployments/{emulator.model}{CHAT_COMPLETIONS_PATH}"
    clip = audio_item(b64(wav_bytes(0.2)))
    reply = call(emulator, path, with_items(clip), query={"api-version": "2025-01-01"})
    assert reply.status == 200, reply.text
    assert "Received 1 audio clip" in reply.json["choices"][0]["message"]["content"]


@pytest.mark.parametrize("kind", list(ROUTES), ids=[kind.value for kind in ROUTES])
def test_the_client_resolves_each_emulator_route_by_the_same_facts(emulator: Emulator, kind: EndpointKind) -> None:
    route = ROUTES[kind]
    url = emulator.endpoint_for(kind)
    settings = resolve_endpoint(url, kind=kind)
    assert settings.kind is kind and settings.endpoint == url
    assert (settings.api_version is not None) is route.api_version
    assert settings.has_model_info is route.model_info
    assert settings.model_required is route.model_required
    assert settings.protocol is route.protocol
    if kind is not EndpointKind.SERVERLESS:  # the emulator's root is found as a local root, by the same facts
        assert resolve_endpoint(url).kind is kind
    else:
        root = resolve_endpoint(url)
        assert (root.has_model_info, root.protocol) == (route.model_info, route.protocol)


@pytest.mark.spec_exempt(reason="sends OpenAI's stream_options to every route, which only some of them know")
@pytest.mark.parametrize("kind", list(ROUTES), ids=[kind.value for kind in ROUTES])
def test_the_emulator_serves_each_route_as_the_facts_say(emulator: Emulator, kind: EndpointKind) -> None:
    route = ROUTES[kind]
    body = {**user("Hi"), **({"model": emulator.model} if route.model_required else {})}
    versioned = {"api-version": API_VERSION}
    for template in route.paths:
        path = template.format(deployment=emulator.model)
        query = versioned if route.api_version else {}
        assert call(emulator, path + CHAT_COMPLETIONS_PATH, body, query=query).status == 200
        wrong = {} if route.api_version else versioned  # required where it is taken, refused where it is not
        assert call(emulator, path + CHAT_COMPLETIONS_PATH, body, query=wrong).status == 400
        assert (call(emulator, path + MODEL_INFO_PATH, query=query).status == 200) is route.model_info
        if route.model_required:
            assert call(emulator, path + CHAT_COMPLETIONS_PATH, user("Hi"), query=query).status == 400
        streamed = {**body, "stream": True, "stream_options": {"include_usage": True}}
        reply = call(emulator, path + CHAT_COMPLETIONS_PATH, streamed, query=query)
        openai = route.protocol is Protocol.OPENAI
        assert (reply.status == 200) is openai, reply.text  # elsewhere an extra parameter: 422
        if openai:
            assert '"object": "chat.completion.chunk"' in reply.text


def test_endpoint_for_knows_the_kinds_with_routes_only(emulator: Emulator) -> None:
    for kind in EndpointKind:
        if kind in ROUTES:
            assert emulator.endpoint_for(kind).startswith(emulator.base_url)
        else:
            with pytest.raises(ValueError, match="unknown endpoint kind"):
                emulator.endpoint_for(kind)
