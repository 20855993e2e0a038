"""The emulator's answers validate against the published spec's response definitions.

One documented exception: the usage-only chunk of a stream has ``choices: []`` (the service sends it that way when
``stream_options.include_usage`` is set), while the spec's ``StreamingChatCompletionsUpdate`` says ``minItems: 1``.
"""

from __future__ import annotations

import json

import pytest

from langchain_azure_multimodal.emulator import Emulator
from tests.spec_validation import SpecValidator
from tests.support.http import audio_item, call, image_item, user, with_items
from tests.support.media import b64, data_url, image_bytes, wav_bytes


@pytest.fixture
def spec(spec_validator: SpecValidator | None) -> SpecValidator:
    if spec_validator is None:
        pytest.skip("no published spec to compare with (set $AZURE_AI_INFERENCE_SPEC)")
    return spec_validator


TOOL = {"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}


@pytest.mark.parametrize(
    "body",
    [
        user("Hi"),
        with_items(image_item(data_url(image_bytes(), "image/png")), audio_item(b64(wav_bytes(0.3)))),
        {**user("Hi"), "tools": [TOOL], "tool_choice": "required"},
        {**user("Hi"), "max_tokens": 2},
        {**user("Hi"), "response_format": {"type": "json_object"}},
    ],
    ids=["text", "media", "tool-call", "length", "json"],
)
def test_completions_validate(emulator: Emulator, spec: SpecValidator, body: dict) -> None:
    reply = call(emulator, body=body)
    assert reply.status == 200
    spec.validate("ChatCompletions", reply.json)


@pytest.mark.parametrize("extra", [{}, {"tools": [TOOL], "tool_choice": "required"}], ids=["text", "tool-call"])
def test_stream_chunks_validate(emulator: Emulator, spec: SpecValidator, extra: dict) -> None:
    body = {**user("Stream"), "stream": True, "stream_options": {"include_usage": True}, **extra}
    events = call(emulator, body=body, headers={"extra-parameters": "pass-through"}).events()
    chunks = [json.loads(e) for e in events[:-1]]
    *updates, usage_only = chunks
    for chunk in updates:
        spec.validate("StreamingChatCompletionsUpdate", chunk)
    assert usage_only["choices"] == []
    spec.validate("CompletionsUsage", usage_only["usage"])


def test_model_info_validates(emulator: Emulator, spec: SpecValidator) -> None:
    spec.validate("ModelInfo", call(emulator, "/info").json)


@pytest.mark.spec_exempt(reason="provokes error answers with invalid requests")
@pytest.mark.parametrize(
    ("path", "body", "key"),
    [
        ("/chat/completions", user(), "wrong"),
        ("/chat/completions", {"messages": []}, "test-key-0123456789"),
        ("/chat/completions", {**user(), "foo": 1}, "test-key-0123456789"),
        ("/openai/deployments/nope/chat/completions", user(), "test-key-0123456789"),
    ],
    ids=["401", "400", "422", "404"],
)
def test_errors_validate(emulator: Emulator, spec: SpecValidator, path: str, body: dict, key: str) -> None:
    reply = call(emulator, path, body, key=key)
    assert reply.status >= 400
    spec.validate("Azure.Core.Foundations.ErrorResponse", reply.json)
