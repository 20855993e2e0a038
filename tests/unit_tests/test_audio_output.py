"""Spoken answers, through the seam's interface (a ``MockWire`` answers as the service does; no sockets): the
request checked against the profile, the audio as a LangChain audio block, streamed pieces that add up to the
same message, and the answer sent back by its id (or, once expired, by its transcript)."""

from __future__ import annotations

import base64
import functools
import operator
import time
import warnings
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, HumanMessage

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal._messages import parse_messages, to_wire_messages
from langchain_azure_multimodal.testing import MockWire, WireCall

DEPLOYMENT = "https://r.openai.azure.com/openai/deployments/gpt-4o-audio-preview"
FOUNDRY = "https://r.services.ai.azure.com/models"
SPEAK = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}}
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(range(48))  # any bytes: the client never decodes them
TRANSCRIPT = "Hola, buenos días."
EXPIRES = int(time.time()) + 3600


def _spoken_answer(call: WireCall) -> Any:
    audio = {"id": "audio_abc", "data": base64.b64encode(WAV).decode(), "expires_at": EXPIRES, "transcript": TRANSCRIPT}
    if call.kind == "complete":
        message = {"role": "assistant", "content": None, "audio": audio}
        return {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 0,
            "model": "gpt-4o-audio-preview",
            "choices": [{"index": 0, "finish_reason": "stop", "message": message}],
            "usage": {
                "prompt_tokens": 5,
                "completion_tokens": 40,
                "total_tokens": 45,
                "completion_tokens_details": {"audio_tokens": 33, "reasoning_tokens": 0},
            },
        }
    data = audio["data"]
    pieces = [{"id": "audio_abc", "transcript": "Hola, "}, {"transcript": "buenos días."}]
    pieces += [{"data": data[i : i + 16]} for i in range(0, len(data), 16)] + [{"expires_at": EXPIRES}]

    def event(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        choice = {"index": 0, "delta": delta, "finish_reason": finish}
        return {"id": "chatcmpl-1", "object": "chat.completion.chunk", "created": 0, "model": "gpt-4o-audio-preview",
                "choices": [choice]}  # fmt: skip

    return [event({"role": "assistant", "content": ""}), *(event({"audio": p}) for p in pieces), event({}, "stop")]


def _model(endpoint: str = DEPLOYMENT, **kwargs: Any) -> tuple[ChatAzureMultimodal, MockWire]:
    wire = MockWire(_spoken_answer)
    kwargs.setdefault("model", "gpt-4o-audio-preview")
    return ChatAzureMultimodal(endpoint=endpoint, wire=wire, **kwargs), wire


def _audio_block(message: AIMessage) -> dict[str, Any]:
    (block,) = [b for b in message.content if isinstance(b, dict) and b.get("type") == "audio"]
    return {k: v for k, v in block.items() if k != "index"}


# ------------------------------------------------------------------------------------------ the request


@pytest.mark.parametrize(
    ("model", "settings", "error"),
    [
        ("gpt-4o", SPEAK, "gpt-4o cannot speak.*gpt-4o-audio-preview, gpt-4o-mini-audio-preview"),
        ("gpt-4o-audio-preview", {"modalities": ["text", "audio"]}, r"pass audio=\{'voice': 'alloy'"),
        ("gpt-4o-audio-preview", {**SPEAK, "audio": {"voice": "HAL", "format": "wav"}}, "no voice 'HAL'; use one of"),
        ("gpt-4o-audio-preview", {**SPEAK, "audio": {"voice": "alloy", "format": "ogg"}}, "cannot answer in 'ogg'"),
        ("gpt-4o-audio-preview", {"audio": {"voice": "alloy", "format": "wav"}}, "modalities does not ask for one"),
    ],
)
def test_a_spoken_answer_the_model_or_settings_cannot_give_is_refused_before_the_network(
    model: str, settings: dict[str, Any], error: str
) -> None:
    as_fields, wire = _model(model=model, **settings)
    per_call, _ = _model(model=model)
    for invoke in (lambda: as_fields.invoke("Hi"), lambda: per_call.invoke("Hi", **settings)):
        with pytest.raises(ValueError, match=error):
            invoke()
    assert wire.calls == []


def test_audio_given_per_call_must_be_a_voice_and_format() -> None:
    model, wire = _model()
    with pytest.raises(ValueError, match="audio must be a dict such as"):
        model.invoke("Hi", modalities=["text", "audio"], audio="alloy")
    assert wire.calls == []


def test_modalities_and_audio_go_by_the_route() -> None:
    model, wire = _model(**SPEAK)
    model.invoke("Hi")
    assert {k: wire.calls[-1].body[k] for k in ("modalities", "audio")} == SPEAK
    assert "extra-parameters" not in wire.calls[-1].headers
    foundry, foundry_wire = _model(FOUNDRY, modalities=["text", "audio"])  # the spec's example: no audio key
    foundry.invoke("Hi")
    assert foundry_wire.calls[-1].body["modalities"] == ["text", "audio"] and "audio" not in foundry_wire.calls[-1].body
    _model(FOUNDRY, **SPEAK)[0].invoke("Hi")  # audio is not in the spec: an extra parameter there


# ------------------------------------------------------------------------------------------ the answer


@pytest.mark.parametrize("output_version", [None, "v1"])
def test_the_audio_becomes_an_audio_block_and_the_transcript_the_text(output_version: str | None) -> None:
    model, _ = _model(**SPEAK, **({"output_version": output_version} if output_version else {}))
    reply = model.invoke("Say hello in Spanish")
    assert reply.text == TRANSCRIPT
    assert _audio_block(reply) == {
        "type": "audio",
        "id": "audio_abc",
        "base64": base64.b64encode(WAV).decode(),
        "mime_type": "audio/wav",
        "extras": {"transcript": TRANSCRIPT, "expires_at": EXPIRES, "format": "wav"},
    }
    assert [b["type"] for b in reply.content_blocks] == ["text", "audio"]
    assert reply.additional_kwargs["audio"]["id"] == "audio_abc"  # where code written for ChatOpenAI looks
    assert reply.usage_metadata is not None and reply.usage_metadata["output_token_details"] == {
        "audio": 33,
        "reasoning": 0,
    }


async def test_streamed_pieces_add_up_to_the_same_message_sync_and_async() -> None:
    model, _ = _model(**SPEAK)
    whole = model.invoke("Hi")
    tokens: list[str] = []
    pieces: list[str] = []

    class Tokens(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, *, chunk: Any = None, **_: Any) -> None:
            tokens.append(token)
            pieces.append(chunk.text)

    streamed = functools.reduce(operator.add, model.stream("Hi", config={"callbacks": [Tokens()]}))
    # Callbacks get each chunk: its text is its piece of the transcript (LangChain passes the content as the token,
    # a list of blocks here, as for reasoning and for every chunk of output_version="v1").
    assert "".join(pieces) == TRANSCRIPT
    astreamed = functools.reduce(operator.add, [chunk async for chunk in model.astream("Hi")])
    for merged in (streamed, astreamed):
        assert merged.text == whole.text == TRANSCRIPT
        assert _audio_block(merged) == _audio_block(whole)  # the same bytes, id, transcript and expiry
        assert merged.additional_kwargs["audio"] == {k: v for k, v in whole.additional_kwargs["audio"].items()}


# ------------------------------------------------------------------------------------------ the history


def test_a_spoken_answer_is_sent_back_by_its_id_never_its_bytes() -> None:
    model, wire = _model(**SPEAK)
    first = model.invoke("Hi")
    model.invoke([HumanMessage("Hi"), first, HumanMessage("Again, slower")])
    sent = wire.calls[-1].body["messages"][1]
    assert sent == {"role": "assistant", "content": None, "audio": {"id": "audio_abc"}}
    chat_openai_style = AIMessage("", additional_kwargs={"audio": {"id": "audio_x", "transcript": "t"}})
    assert to_wire_messages(parse_messages([chat_openai_style]))[0]["audio"] == {"id": "audio_x"}


def test_an_expired_answer_is_sent_as_its_transcript_with_a_warning() -> None:
    model, _ = _model(**SPEAK)
    first = model.invoke("Hi")
    later = EXPIRES + 1
    with pytest.warns(UserWarning, match=r"messages\[1\]: the spoken answer 'audio_abc' expired"):
        wire_messages = to_wire_messages(parse_messages([HumanMessage("Hi"), first], now=later))
    assert wire_messages[1] == {"role": "assistant", "content": TRANSCRIPT}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "audio" in to_wire_messages(parse_messages([first], now=EXPIRES - 1))[0]
