"""The emulator speaks: ``modalities: ["text", "audio"]`` answers with ``message.audio``, as gpt-4o-audio-preview does.

Through raw HTTP on both route families, the ``openai`` SDK on ``/openai/v1`` and the ``azure-ai-inference`` SDK on
``/models``: every format decodes to the transcript's duration, the audio is deterministic, a stream adds up to the
non-streamed answer, usage counts the audio tokens, earlier audio is referred to by id until it expires, and each
refusal comes in its route's error shape.

Sources: OpenAI's chat completions reference (``audio`` ``{"voice", "format"}``; ``message.audio`` ``{"id", "data",
"expires_at", "transcript"}``; streamed ``delta.audio``, which the ``openai`` SDK models as ``ChoiceDeltaAudio``);
the Model Inference 2025-05-01 spec (``ChatCompletionsAudio``, ``ChatRequestAudioReference``, and its
``GetChatCompletions_AudioModality_Gen`` example, which sends ``modalities`` without ``audio``).
"""

from __future__ import annotations

import base64
import dataclasses
import io
import json
import wave
from collections.abc import Callable
from typing import Any

import av
import openai
import pytest
from azure.ai.inference import ChatCompletionsClient
from azure.core.credentials import AzureKeyCredential

from langchain_azure_multimodal.emulator import Emulator, speaking, speech
from langchain_azure_multimodal.errors import MEDIA_EXTRA_INSTALL
from langchain_azure_multimodal.profiles import GPT_4O_AUDIO_VOICES, resolve_profile, text_tokens
from tests.conftest import API_KEY
from tests.spec_validation import SpecValidator
from tests.support.http import Reply, call

MODEL = "gpt-4o-audio-preview"
MI = "/models/chat/completions"
AOAI = f"/openai/deployments/{MODEL}/chat/completions"
V1 = "/openai/v1/chat/completions"
PASS_THROUGH = {"extra-parameters": "pass-through"}
PROFILE = resolve_profile(MODEL)
#: A request long enough (about 25 words) that the lossy encoders' padding is far under 10 % of the clip.
SAY = "Tell me about the weather in Lisbon today"

Factory = Callable[..., Emulator]


@pytest.fixture
def emu(emulator_factory: Factory) -> Emulator:
    return emulator_factory(MODEL)


def body_for(path: str, text: str = SAY, *, audio: dict[str, Any] | None = None, **more: Any) -> dict[str, Any]:
    """A speaking request for ``path``: ``audio`` (default alloy/wav) in the body, where Model Inference routes take
    it as an extra parameter (send :data:`PASS_THROUGH` beside it)."""
    body = {"model": MODEL, "messages": [{"role": "user", "content": text}], "modalities": ["text", "audio"]}
    return {**body, "audio": audio or {"voice": "alloy", "format": "wav"}, **more}


def headers_for(path: str) -> dict[str, str] | None:
    return PASS_THROUGH if path == MI else None


def speak(emu: Emulator, path: str = AOAI, text: str = SAY, **more: Any) -> Reply:
    return call(emu, path, body_for(path, text, **more), headers=headers_for(path))


def audio_of(reply: Reply, index: int = 0) -> dict[str, Any]:
    assert reply.status == 200, reply.text
    message = reply.json["choices"][index]["message"]
    assert message["content"] is None
    return message["audio"]


def decoded_seconds(data: bytes, fmt: str) -> float:
    """The clip's length as a decoder finds it: ``wave`` for wav, the sample count for pcm16, PyAV for the rest."""
    if fmt == "wav":
        with wave.open(io.BytesIO(data)) as clip:
            assert (clip.getframerate(), clip.getnchannels(), clip.getsampwidth()) == (24_000, 1, 2)
            return clip.getnframes() / clip.getframerate()
    if fmt == "pcm16":
        return len(data) / 2 / speech.SAMPLE_RATE
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.audio[0]
        return sum(frame.samples / frame.sample_rate for frame in container.decode(stream))


def error_of(reply: Reply, status: int = 400) -> dict[str, Any]:
    assert reply.status == status, reply.text
    return reply.error


def openai_error(reply: Reply) -> dict[str, Any]:
    """OpenAI's shape, as Azure OpenAI answers bad parameters: ``{"message", "type", "param", "code"}``."""
    error = error_of(reply)
    assert set(error) == {"message", "type", "param", "code"} and error["type"] == "invalid_request_error", error
    return error


def named(error: dict[str, Any]) -> str:
    """The JSON path an error names: ``target`` in Azure's shape, ``param`` in OpenAI's."""
    return str(error.get("target", error.get("param")))


def azure_error(reply: Reply) -> dict[str, Any]:
    """Azure's shape on Model Inference routes: ``{"code", "message", "target"}``."""
    error = error_of(reply)
    assert error["code"] == "BadRequest" and "type" not in error, error
    return error


# --- the answer ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", sorted(speech.FORMATS))
def test_every_format_decodes_to_the_transcripts_duration(emu: Emulator, fmt: str) -> None:
    audio = audio_of(speak(emu, audio={"voice": "alloy", "format": fmt}))
    assert audio["format"] == fmt
    assert audio["id"].startswith("audio_") and len(audio["id"]) == len("audio_") + 24
    int(audio["id"][len("audio_") :], 16)
    expected = speech.duration(audio["transcript"])
    seconds = decoded_seconds(base64.b64decode(audio["data"], validate=True), fmt)
    if fmt in ("wav", "pcm16"):
        assert seconds == pytest.approx(expected, abs=1e-6)
    else:
        assert seconds == pytest.approx(expected, rel=0.10)


def test_the_transcript_is_the_text_answer_and_the_message_is_as_the_wire_has_it(emu: Emulator) -> None:
    text = call(emu, AOAI, {"messages": [{"role": "user", "content": SAY}]}).json["choices"][0]["message"]["content"]
    reply = speak(emu)
    message = reply.json["choices"][0]["message"]
    assert set(message) == {"role", "content", "audio"} and message["role"] == "assistant"
    audio = message["audio"]
    assert set(audio) == {"id", "data", "expires_at", "transcript", "format"}
    assert audio["transcript"] == text
    assert isinstance(audio["expires_at"], int)
    assert reply.json["created"] + 3600 - 2 <= audio["expires_at"] <= reply.json["created"] + 3600 + 2  # an hour
    # Azure OpenAI keeps its content-filter annotations on a spoken answer.
    assert reply.json["choices"][0]["content_filter_results"]["hate"] == {"filtered": False, "severity": "safe"}
    assert reply.json["prompt_filter_results"]


def test_the_same_text_gives_the_same_audio_and_other_text_other_audio(emu: Emulator) -> None:
    first, second = audio_of(speak(emu)), audio_of(speak(emu))
    assert first["data"] == second["data"] and first["id"] != second["id"]
    assert audio_of(speak(emu, text="Something else entirely"))["data"] != first["data"]
    for fmt in speech.FORMATS:
        assert speech.synthesize("one two three", fmt) == speech.synthesize("one two three", fmt)
    assert speech.duration("one two three four") > speech.duration("one two three") > 0


def test_stop_and_length_cut_the_transcript_as_they_cut_the_text(emu: Emulator) -> None:
    plain = {"messages": [{"role": "user", "content": SAY}]}
    for cut in ({"stop": "."}, {"max_completion_tokens": 3}):
        text_choice = call(emu, AOAI, {**plain, **cut}).json["choices"][0]
        spoken = speak(emu, **cut).json["choices"][0]
        assert spoken["message"]["audio"]["transcript"] == text_choice["message"]["content"]
        assert spoken["finish_reason"] == text_choice["finish_reason"]
    assert speak(emu, max_completion_tokens=3).json["choices"][0]["finish_reason"] == "length"


def test_usage_counts_the_audio_tokens_of_every_choice(emu: Emulator) -> None:
    reply = speak(emu, n=2)
    choices = reply.json["choices"]
    transcripts = [choice["message"]["audio"]["transcript"] for choice in choices]
    assert transcripts[0] != transcripts[1]  # each choice its own text, so its own audio
    assert choices[0]["message"]["audio"]["id"] != choices[1]["message"]["audio"]["id"]
    audio_tokens = [PROFILE.audio_tokens(speech.duration(t)) for t in transcripts]
    usage = reply.json["usage"]
    assert usage["completion_tokens_details"] == {"audio_tokens": sum(audio_tokens), "reasoning_tokens": 0}
    assert usage["completion_tokens"] == sum(text_tokens(t) for t in transcripts) + sum(audio_tokens)
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"]


def test_a_tool_call_wins_over_speech(emu: Emulator) -> None:
    tool = {"type": "function", "function": {"name": "get_weather", "parameters": {"type": "object"}}}
    reply = speak(emu, tools=[tool], tool_choice="required")
    choice = reply.json["choices"][0]
    assert choice["finish_reason"] == "tool_calls" and "audio" not in choice["message"]
    assert choice["message"]["tool_calls"][0]["function"]["name"] == "get_weather"
    assert reply.json["usage"]["completion_tokens_details"]["audio_tokens"] == 0


@pytest.mark.parametrize("fmt", ["wav", "mp3"])  # the spec's AudioContentFormat: the formats its answer may name
def test_model_inference_answers_validate_against_the_spec(
    emu: Emulator, spec_validator: SpecValidator | None, fmt: str
) -> None:
    if spec_validator is None:
        pytest.skip("no published spec to compare with (set $AZURE_AI_INFERENCE_SPEC)")
    reply = speak(emu, MI, audio={"voice": "alloy", "format": fmt})
    spec_validator.validate("ChatCompletions", reply.json)
    # The spec's CompletionsUsageDetails requires total_tokens; its AudioModality example gives the audio tokens.
    details = reply.json["usage"]["completion_tokens_details"]
    assert details["total_tokens"] == details["audio_tokens"] + details["reasoning_tokens"]
    for event in speak(emu, MI, audio={"voice": "alloy", "format": fmt}, stream=True).events()[:-1]:
        spec_validator.validate("StreamingChatCompletionsUpdate", json.loads(event))


def test_model_inference_speaks_without_audio_in_wav_and_alloy_as_the_spec_example_asks(emu: Emulator) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": SAY}], "modalities": ["text", "audio"]}
    audio = audio_of(call(emu, MI, body))
    assert audio["format"] == "wav"
    assert decoded_seconds(base64.b64decode(audio["data"]), "wav") == pytest.approx(
        speech.duration(audio["transcript"])
    )


def test_the_permissive_default_profile_speaks_in_any_voice(emulator_factory: Factory) -> None:
    emu = emulator_factory("my-own-speaking-model")
    assert resolve_profile("my-own-speaking-model").audio_output is None
    body = {**body_for(V1, audio={"voice": "my-voice", "format": "pcm16"}), "model": "my-own-speaking-model"}
    assert audio_of(call(emu, V1, body))["format"] == "pcm16"


# --- streaming -------------------------------------------------------------------------------------------------------


def joined_stream(reply: Reply) -> dict[int, dict[str, Any]]:
    """Per choice: the audio its deltas add up to, and the order of what they carried."""
    assert reply.status == 200, reply.text
    events = reply.events()
    assert events[-1] == "[DONE]"
    out: dict[int, dict[str, Any]] = {}
    for chunk in map(json.loads, events[:-1]):
        for choice in chunk["choices"]:
            delta, seen = choice["delta"], out.setdefault(choice["index"], {"transcript": "", "data": "", "order": []})
            assert "content" not in delta  # no text deltas while speaking (not even an empty one)
            if "role" in delta:
                seen["order"].append("role")
            audio = delta.get("audio")
            if audio is not None:
                if "id" in audio:
                    seen["id"] = audio["id"]
                    seen["order"].append("id")
                if "data" in audio:
                    base64.b64decode(audio["data"], validate=True)  # every piece is base64 on its own
                seen["transcript"] += audio.get("transcript", "")
                seen["data"] += audio.get("data", "")
                seen["order"].append(next(k for k in ("expires_at", "data", "transcript") if k in audio))
                if "expires_at" in audio:
                    seen["expires_at"] = audio["expires_at"]
            if choice["finish_reason"]:
                seen["order"].append("finish")
    return out


def squeeze(order: list[str]) -> list[str]:
    return [kind for position, kind in enumerate(order) if position == 0 or order[position - 1] != kind]


@pytest.mark.parametrize("path", [MI, AOAI, V1])
@pytest.mark.parametrize("fmt", ["wav", "opus"])
def test_a_stream_adds_up_to_the_answer(emu: Emulator, path: str, fmt: str) -> None:
    audio = {"voice": "alloy", "format": fmt}
    whole = audio_of(speak(emu, path, audio=audio))
    streamed = joined_stream(speak(emu, path, audio=audio, stream=True))[0]
    assert squeeze(streamed["order"]) == ["role", "id", "transcript", "data", "expires_at", "finish"]
    assert streamed["transcript"] == whole["transcript"]
    assert streamed["data"] == whole["data"]
    assert isinstance(streamed["expires_at"], int)
    assert streamed["id"] != whole["id"] and streamed["id"] in emu.app.audio_ids  # a stream's id may be referred to


def test_stream_data_comes_in_pieces_of_whole_base64(emu: Emulator) -> None:
    reply = speak(emu, AOAI, audio={"voice": "alloy", "format": "pcm16"}, stream=True)
    pieces = [
        json.loads(e)["choices"][0]["delta"]["audio"]["data"]
        for e in reply.events()[:-1]
        if json.loads(e)["choices"] and "data" in json.loads(e)["choices"][0]["delta"].get("audio", {})
    ]
    assert len(pieces) > 1  # several seconds of 24 kHz PCM is many 12 KiB pieces
    assert all(len(base64.b64decode(p)) == speaking.DATA_PIECE_BYTES for p in pieces[:-1])
    assert b"".join(map(base64.b64decode, pieces)) == speech.synthesize(joined_stream(reply)[0]["transcript"], "pcm16")


def test_n_streamed_choices_each_speak(emu: Emulator) -> None:
    streamed = joined_stream(speak(emu, AOAI, n=2, stream=True, stream_options={"include_usage": True}))
    assert set(streamed) == {0, 1} and streamed[0]["id"] != streamed[1]["id"]
    for choice in streamed.values():
        assert choice["data"] == base64.b64encode(speech.synthesize(choice["transcript"], "wav")).decode()


def test_streamed_usage_counts_the_audio_tokens(emu: Emulator) -> None:
    reply = speak(emu, AOAI, stream=True, stream_options={"include_usage": True})
    usage = json.loads(reply.events()[-2])["usage"]
    transcript = joined_stream(reply)[0]["transcript"]
    assert usage["completion_tokens_details"]["audio_tokens"] == PROFILE.audio_tokens(speech.duration(transcript))


# --- real clients ----------------------------------------------------------------------------------------------------


def test_the_openai_sdk_reads_the_audio(emu: Emulator) -> None:
    # Read through to_dict(): openai releases before audio output keep `audio` as an extra key, later ones model it.
    with openai.OpenAI(base_url=emu.endpoint_for("openai-v1"), api_key=API_KEY, max_retries=0) as client:
        completion = client.chat.completions.create(
            model=MODEL,
            modalities=["text", "audio"],
            audio={"voice": "alloy", "format": "wav"},
            messages=[{"role": "user", "content": SAY}],
        )
        audio = completion.choices[0].message.to_dict()["audio"]
        assert audio["id"].startswith("audio_") and audio["expires_at"] > completion.created
        seconds = speech.duration(audio["transcript"])
        assert decoded_seconds(base64.b64decode(audio["data"]), "wav") == pytest.approx(seconds)
        usage = completion.to_dict()["usage"]
        assert usage["completion_tokens_details"]["audio_tokens"] == PROFILE.audio_tokens(seconds)
        stream = client.chat.completions.create(
            model=MODEL,
            modalities=["text", "audio"],
            audio={"voice": "alloy", "format": "wav"},
            messages=[{"role": "user", "content": SAY}],
            stream=True,
        )
        deltas = [chunk.choices[0].delta.to_dict() for chunk in stream if chunk.choices]
    pieces = [delta["audio"] for delta in deltas if delta.get("audio") is not None]
    assert "".join(p.get("transcript") or "" for p in pieces) == audio["transcript"]
    assert "".join(p.get("data") or "" for p in pieces) == audio["data"]
    assert pieces[0]["id"] and pieces[-1]["expires_at"]


async def test_the_async_openai_sdk_streams_the_same_audio(emu: Emulator) -> None:
    kwargs: dict[str, Any] = {
        "model": MODEL,
        "modalities": ["text", "audio"],
        "audio": {"voice": "coral", "format": "mp3"},
        "messages": [{"role": "user", "content": SAY}],
    }
    async with openai.AsyncOpenAI(base_url=emu.endpoint_for("openai-v1"), api_key=API_KEY, max_retries=0) as client:
        whole = (await client.chat.completions.create(**kwargs)).choices[0].message.to_dict()["audio"]
        stream = await client.chat.completions.create(**kwargs, stream=True)
        deltas = [chunk.choices[0].delta.to_dict() async for chunk in stream if chunk.choices]
    pieces = [delta["audio"] for delta in deltas if delta.get("audio") is not None]
    assert "".join(p.get("data") or "" for p in pieces) == whole["data"]
    assert "".join(p.get("transcript") or "" for p in pieces) == whole["transcript"]


def test_the_azure_ai_inference_sdk_on_a_model_inference_route(emu: Emulator) -> None:
    with ChatCompletionsClient(endpoint=emu.endpoint_for("foundry"), credential=AzureKeyCredential(API_KEY)) as sdk:
        # The SDK has no `modalities` argument: model_extras puts it in the body (with extra-parameters:
        # pass-through), where the spec defines it; `audio` beside it reaches the model as an extra parameter.
        default = sdk.complete(
            messages=[{"role": "user", "content": SAY}], model=MODEL, model_extras={"modalities": ["text", "audio"]}
        )
        mp3 = sdk.complete(
            messages=[{"role": "user", "content": SAY}],
            model=MODEL,
            model_extras={"modalities": ["text", "audio"], "audio": {"voice": "echo", "format": "mp3"}},
        )
    audio = default.choices[0].message["audio"]  # not an attribute of the SDK's model: read as its mapping
    assert default.choices[0].message.content is None and audio["format"] == "wav"
    assert default.usage["completion_tokens_details"]["audio_tokens"] == PROFILE.audio_tokens(
        speech.duration(audio["transcript"])
    )
    spoken = mp3.choices[0].message["audio"]
    seconds = decoded_seconds(base64.b64decode(spoken["data"]), "mp3")
    assert seconds == pytest.approx(speech.duration(spoken["transcript"]), rel=0.10)


# --- referring to earlier audio --------------------------------------------------------------------------------------


def referring(path: str, *turns: tuple[str, str], last: str = "And tomorrow?") -> dict[str, Any]:
    """A speaking request whose history is the user's words, each answered by the audio of ``id``."""
    messages: list[dict[str, Any]] = []
    for words, audio_id in turns:
        messages += [
            {"role": "user", "content": words},
            {"role": "assistant", "content": None, "audio": {"id": audio_id}},
        ]
    return {**body_for(path), "messages": [*messages, {"role": "user", "content": last}]}


@pytest.mark.parametrize("path", [MI, AOAI])
def test_a_three_turn_conversation_refers_to_earlier_audio_by_id(emu: Emulator, path: str) -> None:
    headers = headers_for(path)
    first = audio_of(speak(emu, path))
    second_reply = call(emu, path, referring(path, (SAY, first["id"])), headers=headers)
    second = audio_of(second_reply)
    history = referring(path, (SAY, first["id"]), ("And tomorrow?", second["id"]), last="Bye")
    third_reply = call(emu, path, history, headers=headers)
    third = audio_of(third_reply)
    assert 'Last user text: "Bye"' in third["transcript"]
    # The audio referred to counts as prompt audio, at the count its own answer reported.
    heard = [PROFILE.audio_tokens(speech.duration(a["transcript"])) for a in (first, second)]
    assert second_reply.json["usage"]["prompt_tokens_details"]["audio_tokens"] == heard[0]
    assert third_reply.json["usage"]["prompt_tokens_details"]["audio_tokens"] == sum(heard)
    assert third_reply.json["usage"]["prompt_tokens"] >= sum(heard)


def test_the_openai_sdk_refers_to_earlier_audio(emu: Emulator) -> None:
    with openai.OpenAI(base_url=emu.endpoint_for("openai-v1"), api_key=API_KEY, max_retries=0) as client:
        kwargs: dict[str, Any] = {
            "model": MODEL,
            "modalities": ["text", "audio"],
            "audio": {"voice": "alloy", "format": "wav"},
        }
        first = client.chat.completions.create(messages=[{"role": "user", "content": SAY}], **kwargs)
        assert first.choices[0].message.audio is not None
        history: list[Any] = [
            {"role": "user", "content": SAY},
            {"role": "assistant", "audio": {"id": first.choices[0].message.audio.id}},
            {"role": "user", "content": "And tomorrow?"},
        ]
        second = client.chat.completions.create(messages=history, **kwargs)
    assert second.choices[0].message.audio is not None
    assert "And tomorrow?" in second.choices[0].message.audio.transcript


@pytest.mark.parametrize("path", [MI, AOAI])
def test_an_unknown_audio_id_is_refused(emu: Emulator, path: str) -> None:
    reply = call(emu, path, referring(path, (SAY, "audio_0123456789abcdef01234567")), headers=headers_for(path))
    if path == MI:
        error = azure_error(reply)
        assert error["target"] == "messages[1].audio.id"
    else:
        error = openai_error(reply)
        assert error["param"] == "messages[1].audio.id"
    assert error["message"] == "Audio with ID 'audio_0123456789abcdef01234567' was not found."


@pytest.mark.parametrize("path", [MI, AOAI])
def test_audio_expires_after_its_ttl(emulator_factory: Factory, path: str) -> None:
    emu = emulator_factory(MODEL, audio_ttl_seconds=0)
    audio = audio_of(speak(emu, path))
    reply = call(emu, path, referring(path, (SAY, audio["id"])), headers=headers_for(path))
    error = azure_error(reply) if path == MI else openai_error(reply)
    assert error["message"].startswith(f"Audio with ID '{audio['id']}' has expired")
    assert named(error) == "messages[1].audio.id"


def test_audio_is_live_until_its_expires_at(emu: Emulator) -> None:
    now = [1_900_000_000.25]
    emu.app.audio_ids.clock = lambda: now[0]
    audio = audio_of(speak(emu))
    assert audio["expires_at"] == 1_900_003_600
    now[0] = 1_900_003_599.9
    assert call(emu, AOAI, referring(AOAI, (SAY, audio["id"]))).status == 200
    now[0] = 1_900_003_600.0
    assert "has expired" in openai_error(call(emu, AOAI, referring(AOAI, (SAY, audio["id"]))))["message"]


def test_the_registry_keeps_the_newest_ids_only_and_no_audio(emu: Emulator) -> None:
    emu.app.audio_ids.max_ids = 2
    oldest, *newest = (audio_of(speak(emu))["id"] for _ in range(3))
    assert len(emu.app.audio_ids) == 2 and oldest not in emu.app.audio_ids
    assert "was not found" in openai_error(call(emu, AOAI, referring(AOAI, (SAY, oldest))))["message"]
    assert call(emu, AOAI, referring(AOAI, (SAY, newest[0]), (SAY, newest[1]))).status == 200

    registry = speaking.AudioRegistry()
    ids = [registry.issue(5)[0] for _ in range(speaking.MAX_AUDIO_IDS + 5)]
    assert len(registry) == speaking.MAX_AUDIO_IDS == 10_000
    assert ids[4] not in registry and ids[5] in registry and registry.redeem(ids[-1]) == 5
    assert all(isinstance(value, tuple) and len(value) == 2 for value in registry._issued.values())  # two numbers


# --- refusals --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", [MI, "/openai/deployments/gpt-4o/chat/completions"])
def test_a_model_that_does_not_speak_refuses_audio_output(emulator_factory: Factory, path: str) -> None:
    emu = emulator_factory("gpt-4o")
    body = {**body_for(path), "model": "gpt-4o"}
    reply = call(emu, path, body, headers=headers_for(path))
    if path == MI:
        assert azure_error(reply)["target"] == "modalities"
    else:
        assert (openai_error(reply)["param"], reply.error["code"]) == ("modalities", "unsupported_value")
    assert "gpt-4o does not support audio output" in reply.error["message"]


@pytest.mark.parametrize("path", [AOAI, V1])
def test_azure_openai_routes_require_audio_beside_the_modality(emu: Emulator, path: str) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": SAY}], "modalities": ["text", "audio"]}
    error = openai_error(call(emu, path, body))
    assert (error["param"], error["code"]) == ("audio", "missing_required_parameter")


@pytest.mark.parametrize("path", [MI, AOAI])
def test_a_voice_the_model_does_not_have_is_refused_naming_its_voices(emu: Emulator, path: str) -> None:
    reply = speak(emu, path, audio={"voice": "hal9000", "format": "wav"})
    error = azure_error(reply) if path == MI else openai_error(reply)
    assert named(error) == "audio.voice"
    assert "'hal9000'" in error["message"]
    assert all(f"'{voice}'" in error["message"] for voice in GPT_4O_AUDIO_VOICES)


def test_model_inference_refuses_a_format_the_model_does_not_answer_in(emu: Emulator) -> None:
    error = azure_error(speak(emu, MI, audio={"voice": "alloy", "format": "aac"}))
    assert error["target"] == "audio.format"
    assert all(f"'{fmt}'" in error["message"] for fmt in ("wav", "mp3", "flac", "opus", "pcm16"))


def test_azure_openai_refuses_a_format_it_does_not_know(emu: Emulator) -> None:
    error = openai_error(speak(emu, AOAI, audio={"voice": "alloy", "format": "aac"}))
    assert error["param"] == "audio.format" and "'wav'" in error["message"]


@pytest.mark.parametrize("path", [MI, AOAI])
def test_a_format_outside_the_profiles_is_refused_naming_the_profiles(emulator_factory: Factory, path: str) -> None:
    narrow = dataclasses.replace(PROFILE, name="wav-only", audio_output_formats=frozenset({"wav"}))
    emu = emulator_factory(MODEL, profile=narrow)
    reply = speak(emu, path, audio={"voice": "alloy", "format": "mp3"})
    error = azure_error(reply) if path == MI else openai_error(reply)
    assert named(error) == "audio.format"
    assert "'mp3'" in error["message"] and "answers in 'wav'." in error["message"]
    assert speak(emu, path).status == 200


@pytest.mark.parametrize("path", [MI, AOAI])
def test_without_pyav_only_wav_and_pcm16_are_spoken(emu: Emulator, path: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(speech, "av", None)
    for fmt in ("mp3", "flac", "opus"):
        reply = speak(emu, path, audio={"voice": "alloy", "format": fmt})
        error = azure_error(reply) if path == MI else openai_error(reply)
        assert named(error) == "audio.format"
        assert MEDIA_EXTRA_INSTALL in error["message"] and f"'{fmt}'" in error["message"]
    for fmt in ("wav", "pcm16"):
        assert audio_of(speak(emu, path, audio={"voice": "alloy", "format": fmt}))["format"] == fmt
    with pytest.raises(speech.SpeechUnavailableError, match="media"):
        speech.synthesize("hello", "mp3")


def test_model_inference_refuses_a_passed_through_audio_that_is_not_voice_and_format(emu: Emulator) -> None:
    error = azure_error(speak(emu, MI, audio="alloy"))  # type: ignore[arg-type]
    assert error["target"] == "audio" and '"voice"' in error["message"]


def test_model_inference_takes_audio_only_as_an_extra_parameter(emu: Emulator) -> None:
    # Not a spec parameter: refused by the default "extra-parameters: error", ignored (and the default voice and
    # format used) with "drop".
    assert call(emu, MI, body_for(MI)).status == 422
    dropped = call(
        emu, MI, body_for(MI, audio={"voice": "alloy", "format": "mp3"}), headers={"extra-parameters": "drop"}
    )
    assert audio_of(dropped)["format"] == "wav"
