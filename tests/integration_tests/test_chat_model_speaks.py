"""``ChatAzureMultimodal`` with a model that speaks, against the emulator (whose requests are spec-checked): audio out
as an audio block, sync and async, streamed and not; a conversation that sends each spoken answer once and refers
to it by id after; an expired answer sent as its transcript; the translation tool that speaks."""

from __future__ import annotations

import base64
import functools
import io
import json
import operator
import wave
from pathlib import Path
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.tools import translate_audio_tool
from tests.support.chat import model_on
from tests.support.media import b64, wav_bytes

SPEAK = {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}}
ROUTES = ["azure-openai", "openai-v1", "foundry"]


@pytest.fixture
def speaker(emulator_factory: Any) -> Emulator:
    return emulator_factory("gpt-4o-audio-preview")


def _audio(message: BaseMessage) -> dict[str, Any]:
    (block,) = [b for b in message.content if isinstance(b, dict) and b.get("type") == "audio"]
    return {k: v for k, v in block.items() if k != "index"}


def _seconds(data: bytes) -> float:
    with wave.open(io.BytesIO(data)) as clip:
        return clip.getnframes() / clip.getframerate()


def _voice_memo(seconds: float = 1.0) -> HumanMessage:
    clip = {"type": "audio", "base64": b64(wav_bytes(seconds)), "mime_type": "audio/wav"}
    return HumanMessage([{"type": "text", "text": "Translate this into Spanish."}, clip])


@pytest.mark.parametrize("route", ROUTES)
async def test_a_spoken_answer_is_an_audio_block_sync_async_streamed_or_not(speaker: Emulator, route: str) -> None:
    model = model_on(speaker, route, **SPEAK)
    answers = [
        model.invoke("Say hello"),
        await model.ainvoke("Say hello"),
        functools.reduce(operator.add, model.stream("Say hello")),
        functools.reduce(operator.add, [chunk async for chunk in model.astream("Say hello")]),
    ]
    first = answers[0]
    block = _audio(first)
    assert block["mime_type"] == "audio/wav" and block["id"].startswith("audio_")
    assert block["extras"]["transcript"] == first.text and first.text.startswith("[emulator:gpt-4o-audio-preview]")
    assert _seconds(base64.b64decode(block["base64"])) > 1  # real audio, as long as its transcript
    assert first.usage_metadata is not None and first.usage_metadata["output_token_details"]["audio"] > 0
    # Every call gets its own id; the same text, the same speech. (On the Model Inference route a stream's answer also
    # lists the stream_options passed through, so streams are compared with each other there.)
    pairs = [(answers[0], answers[1]), (answers[2], answers[3])]
    if route != "foundry":
        pairs.append((answers[0], answers[2]))
    for one, other in pairs:
        assert one.text == other.text and _audio(one)["base64"] == _audio(other)["base64"]
        assert _audio(one)["id"] != _audio(other)["id"]
    streamed = answers[2]
    assert streamed.additional_kwargs["audio"]["data"] == _audio(streamed)["base64"]  # as ChatOpenAI keeps it


def test_three_turns_send_each_spoken_answer_once_and_refer_to_it_by_id(speaker: Emulator) -> None:
    model = model_on(speaker, "azure-openai", **SPEAK)
    history: list[BaseMessage] = []
    for turn in range(3):
        history.append(_voice_memo(1.0 + turn))
        history.append(model.invoke(history))
    spoken = [_audio(m) for m in history if isinstance(m, AIMessage)]
    posts = [r.body for r in speaker.requests if r.method == "POST"]
    sent = [json.dumps(body) for body in posts]
    for index, answer in enumerate(spoken):
        assert all(answer["base64"] not in text for text in sent)  # the bytes are never sent back
        later = [body for body in posts[index + 1 :]]
        for body in later:  # each later request refers to it by id, once
            assistants = [m for m in body["messages"] if m["role"] == "assistant"]
            assert {"role": "assistant", "content": None, "audio": {"id": answer["id"]}} in assistants
    assert [len([m for m in b["messages"] if m["role"] == "assistant"]) for b in posts] == [0, 1, 2]
    usage = history[-1].usage_metadata
    assert usage is not None and usage["input_token_details"]["audio"] > 0  # the referred audio counts as input


def test_an_expired_answer_is_sent_as_its_transcript_and_the_service_would_have_refused_its_id(
    emulator_factory: Any,
) -> None:
    speaker = emulator_factory("gpt-4o-audio-preview", audio_ttl_seconds=0)
    model = model_on(speaker, "azure-openai", **SPEAK)
    first = model.invoke("Say hello")
    with pytest.warns(UserWarning, match="expired .* its transcript is sent as text instead"):
        model.invoke([HumanMessage("Say hello"), first, HumanMessage("Again")])
    assert speaker.requests[-1].body["messages"][1] == {"role": "assistant", "content": first.text}


@pytest.mark.parametrize("asynchronous", [False, True])
async def test_the_translation_tool_speaks_into_a_file(speaker: Emulator, tmp_path: Path, asynchronous: bool) -> None:
    memo = tmp_path / "memo.wav"
    memo.write_bytes(wav_bytes(1.0))
    model: ChatAzureMultimodal = model_on(speaker, "azure-openai")
    tool = translate_audio_tool(model, speak=True, output_dir=tmp_path / "out")
    arguments = {"source": str(memo), "target_language": "German"}
    answer = await tool.ainvoke(arguments) if asynchronous else tool.invoke(arguments)
    transcript, saved = answer.rsplit("\n[spoken translation: ", 1)
    path = Path(saved.rstrip("]"))
    assert path.parent == tmp_path / "out" and path.name.startswith("memo.German.1.") and path.suffix == ".wav"
    assert _seconds(path.read_bytes()) > 1 and transcript.startswith("[emulator:gpt-4o-audio-preview] Received 1 audio")
    assert speaker.requests[-1].body["modalities"] == ["text", "audio"]
    assert list((tmp_path / "out").iterdir()) == [path]  # written whole: no partial file left beside it


def test_the_translation_tool_refuses_a_model_that_cannot_speak(emulator_factory: Any, tmp_path: Path) -> None:
    emulator = emulator_factory("phi-4-multimodal-instruct")  # hears audio, answers in text only
    memo = tmp_path / "memo.wav"
    memo.write_bytes(wav_bytes(0.5))
    tool = translate_audio_tool(model_on(emulator, "azure-openai"), speak=True, output_dir=tmp_path)
    with pytest.raises(ValueError, match="phi-4-multimodal-instruct cannot speak"):
        tool.invoke({"source": str(memo), "target_language": "German"})
    assert emulator.requests == []


def test_callbacks_of_a_streaming_model_get_the_transcript_as_tokens(speaker: Emulator) -> None:
    tokens: list[str] = []

    class Tokens(BaseCallbackHandler):
        def on_llm_new_token(self, token: str, **_: Any) -> None:
            tokens.append(token)

    model = model_on(speaker, "azure-openai", streaming=True, **SPEAK)
    reply = model.invoke("Say hello", config={"callbacks": [Tokens()]})
    assert all(isinstance(token, str) for token in tokens) and "".join(tokens) == reply.text
    assert _audio(reply)["base64"] and reply.response_metadata["finish_reason"] == "stop"
