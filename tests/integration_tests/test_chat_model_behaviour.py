"""``ChatAzureMultimodal`` against the emulator: responses, streaming, tools, structured output, retries, timeouts,
logging and client hygiene."""

from __future__ import annotations

import asyncio
import gc
import json
import logging
import warnings
from collections.abc import Callable
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError, ServiceResponseError
from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import SansIOHTTPPolicy
from langchain_core.callbacks import AsyncCallbackHandler, BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import AIMessage, AIMessageChunk, HumanMessage
from langchain_core.outputs import ChatGenerationChunk
from langchain_core.tools import tool
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from langchain_azure_multimodal.emulator import Emulator, Fault, ScriptedResponse
from langchain_azure_multimodal.errors import MalformedResponseError, StreamError
from tests.support.chat import completion, merge, model_on
from tests.support.media import b64, wav_bytes

WAV_B64 = b64(wav_bytes(2.0))


# ---------------------------------------------------------------------------------------------- responses


class GetWeather(BaseModel):
    """Get the current weather in a city."""

    city: str = Field(description="The city")
    days: int = Field(ge=1)


def test_tool_calls_are_parsed(emulator: Emulator) -> None:
    reply = model_on(emulator).bind_tools([GetWeather], tool_choice="any").invoke("Weather in Paris for 3 days?")
    assert emulator.requests[-1].body["tool_choice"] == "required"
    assert reply.content == ""
    assert reply.invalid_tool_calls == []
    assert len(reply.tool_calls) == 1
    call = reply.tool_calls[0]  # the emulator's agent rules: arguments from the user's text, by the schema's types
    assert (call["name"], call["args"], call["type"]) == ("GetWeather", {"city": "Paris", "days": 3}, "tool_call")
    assert call["id"] is not None and call["id"].startswith("call_")
    assert reply.response_metadata["finish_reason"] == "tool_calls"


def test_bad_tool_call_arguments_become_invalid_tool_calls(emulator: Emulator) -> None:
    bad = {"id": "call_bad", "type": "function", "function": {"name": "GetWeather", "arguments": '{"city": "Par'}}
    good = {"id": "call_ok", "type": "function", "function": {"name": "GetWeather", "arguments": '{"city": "Oslo"}'}}
    emulator.enqueue(ScriptedResponse(json=completion({"content": None, "tool_calls": [bad, good]}, "tool_calls")))
    reply = model_on(emulator).bind_tools([GetWeather]).invoke("Weather?")
    assert reply.tool_calls == [{"name": "GetWeather", "args": {"city": "Oslo"}, "id": "call_ok", "type": "tool_call"}]
    assert len(reply.invalid_tool_calls) == 1
    invalid = reply.invalid_tool_calls[0]
    assert (invalid["name"], invalid["args"], invalid["id"]) == ("GetWeather", '{"city": "Par', "call_bad")
    assert invalid["error"]


def test_usage_metadata_counts_the_audio_sent(emulator: Emulator) -> None:
    audio = {"type": "audio", "base64": WAV_B64, "mime_type": "audio/wav"}
    reply = model_on(emulator).invoke([HumanMessage([{"type": "text", "text": "Transcribe"}, audio])])
    usage = reply.usage_metadata
    assert usage is not None
    # The emulator counts 10 tokens per second of audio: 2 s -> 20.
    assert usage["input_token_details"] == {"audio": 20, "cache_read": 0}
    assert usage["input_tokens"] == 20 + 3  # audio + "Transcribe" (10 characters -> 3 tokens)
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    assert usage["output_tokens"] == (len(str(reply.content)) + 3) // 4


def test_usage_details_are_all_read(emulator: Emulator) -> None:
    usage = {
        "prompt_tokens": 40,
        "completion_tokens": 12,
        "total_tokens": 52,
        "prompt_tokens_details": {"audio_tokens": 25, "cached_tokens": 8},
        "completion_tokens_details": {"audio_tokens": 2, "reasoning_tokens": 5},
    }
    emulator.enqueue(ScriptedResponse(json={**completion({"content": "ok"}), "usage": usage}))
    reply = model_on(emulator).invoke("Hi")
    assert reply.usage_metadata == {
        "input_tokens": 40,
        "output_tokens": 12,
        "total_tokens": 52,
        "input_token_details": {"audio": 25, "cache_read": 8},
        "output_token_details": {"audio": 2, "reasoning": 5},
    }


def test_response_metadata(emulator: Emulator) -> None:
    reply = model_on(emulator).invoke("Hi")
    metadata = reply.response_metadata
    assert metadata["model_name"] == emulator.model
    assert metadata["finish_reason"] == "stop"
    assert metadata["model_provider"] == "azure_ai"
    assert metadata["content_filtered"] is False
    assert metadata["id"].startswith("chatcmpl-")
    assert reply.id == metadata["id"]


def test_a_content_filter_stop_is_visible(emulator: Emulator) -> None:
    filters = {"hate": {"filtered": True, "severity": "high"}, "violence": {"filtered": False, "severity": "safe"}}
    prompt_filters = [{"prompt_index": 0, "content_filter_results": {"hate": {"filtered": False, "severity": "safe"}}}]
    body = completion({"content": ""}, "content_filter", prompt_filter_results=prompt_filters)
    body["choices"][0]["content_filter_results"] = filters
    emulator.enqueue(ScriptedResponse(json=body))
    reply = model_on(emulator).invoke("Hi")
    assert reply.response_metadata["content_filtered"] is True
    assert reply.response_metadata["finish_reason"] == "content_filter"
    assert reply.response_metadata["content_filter_results"] == filters
    assert reply.response_metadata["prompt_filter_results"] == prompt_filters


def test_reasoning_content_becomes_a_reasoning_block(emulator: Emulator) -> None:
    emulator.enqueue(ScriptedResponse(json=completion({"content": "42", "reasoning_content": "6 times 7."})))
    reply = model_on(emulator).invoke("Hi")
    assert reply.content == [{"type": "reasoning", "reasoning": "6 times 7."}, {"type": "text", "text": "42"}]
    assert reply.text == "42"


def test_streamed_reasoning_comes_before_the_text(emulator: Emulator) -> None:
    def chunk(delta: dict[str, Any], finish: str | None = None) -> dict[str, Any]:
        return {
            "id": "c1",
            "object": "chat.completion.chunk",
            "created": 1,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }

    events = (
        chunk({"role": "assistant", "reasoning_content": "Think"}),
        chunk({"reasoning_content": "ing."}),
        chunk({"content": "Hi"}),
        chunk({}, "stop"),
        "data: [DONE]",
    )
    emulator.enqueue(ScriptedResponse(events=events))
    merged = merge(list(model_on(emulator).stream("Hi")))
    assert merged.content == [
        {"type": "reasoning", "reasoning": "Thinking.", "index": 0},
        {"type": "text", "text": "Hi", "index": 1},
    ]


# ---------------------------------------------------------------------------------------------- streaming


class Collector(BaseCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.chunks: list[Any] = []

    def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        self.tokens.append(token)
        self.chunks.append(chunk)


class AsyncCollector(AsyncCallbackHandler):
    def __init__(self) -> None:
        self.tokens: list[str] = []
        self.chunks: list[Any] = []

    async def on_llm_new_token(self, token: str, *, chunk: Any = None, **kwargs: Any) -> None:
        self.tokens.append(token)
        self.chunks.append(chunk)


def test_stream_calls_on_llm_new_token_once_per_chunk_with_the_chunk(emulator: Emulator) -> None:
    collector = Collector()
    chunks = list(model_on(emulator).stream("Hello there", config={"callbacks": [collector]}))
    assert len(chunks) > 5
    assert len(collector.chunks) == len(chunks)
    for seen, yielded in zip(collector.chunks, chunks, strict=True):
        assert isinstance(seen, ChatGenerationChunk)
        assert seen.message is yielded
    assert collector.tokens == [c.content for c in chunks]
    assert "".join(collector.tokens).endswith('Last user text: "Hello there"')


async def test_astream_calls_on_llm_new_token_once_per_chunk_with_the_chunk(emulator: Emulator) -> None:
    collector = AsyncCollector()
    chunks = [c async for c in model_on(emulator).astream("Hello there", config={"callbacks": [collector]})]
    assert len(chunks) > 5
    assert [seen.message for seen in collector.chunks] == chunks
    assert all(seen.message is yielded for seen, yielded in zip(collector.chunks, chunks, strict=True))
    assert collector.tokens == [c.content for c in chunks]


@pytest.mark.parametrize("is_async", [False, True])
async def test_invoke_with_streaming_true_streams_and_calls_back_per_chunk(emulator: Emulator, is_async: bool) -> None:
    model = model_on(emulator, streaming=True)
    streamed = list(model.stream("Hello there"))
    if is_async:
        collector: Collector | AsyncCollector = AsyncCollector()
        reply = await model.ainvoke("Hello there", config={"callbacks": [collector]})
    else:
        collector = Collector()
        reply = model.invoke("Hello there", config={"callbacks": [collector]})
    assert emulator.requests[-1].body["stream"] is True
    assert emulator.requests[-1].body["stream_options"] == {"include_usage": True}
    # Once per chunk, not twice (stream() alone adds an empty closing chunk, which carries no token).
    assert len(collector.tokens) == len([c for c in streamed if c.content or c.chunk_position != "last"])
    assert "".join(collector.tokens) == reply.content
    assert reply.content.endswith('Last user text: "Hello there"')
    assert reply.usage_metadata is not None
    assert reply.response_metadata["finish_reason"] == "stop"


@pytest.mark.parametrize("stream", [True, False])
def test_invoke_takes_langchains_stream_flag(emulator: Emulator, stream: bool) -> None:
    reply = model_on(emulator).invoke("Hi", stream=stream)
    assert emulator.requests[-1].body.get("stream", False) is stream
    assert reply.content.endswith('Last user text: "Hi"')


async def test_ainvoke_takes_langchains_stream_flag(emulator: Emulator) -> None:
    reply = await model_on(emulator).ainvoke("Hi", stream=True)
    assert emulator.requests[-1].body["stream"] is True
    assert reply.content.endswith('Last user text: "Hi"')


def test_streamed_tool_calls_arrive_as_tool_call_chunks(emulator: Emulator) -> None:
    chunks = list(model_on(emulator).bind_tools([GetWeather], tool_choice="GetWeather").stream("Weather in Oslo?"))
    pieces = [piece for c in chunks for piece in c.tool_call_chunks]
    # As the service streams a call: the id and name once, then the arguments in fragments.
    head, *fragments = pieces
    assert (head["name"], head["args"], head["index"]) == ("GetWeather", "", 0) and head["id"]
    assert len(fragments) >= 2 and all((p["name"], p["id"], p["index"]) == (None, None, 0) for p in fragments)
    merged = merge(chunks)
    arguments = json.loads("".join(p["args"] for p in fragments))
    assert [(c["name"], c["args"], c["id"]) for c in merged.tool_calls] == [("GetWeather", arguments, head["id"])]
    assert GetWeather(**arguments).city == "Oslo"
    assert merged.response_metadata["finish_reason"] == "tool_calls"


# route -> is stream_options a native parameter there (else it goes as an extra, with the header)
STREAM_ROUTES = {"foundry": False, "azure-openai": True, "openai-v1": True, "serverless": False, "root": False}


@pytest.mark.parametrize("route", list(STREAM_ROUTES))
def test_stream_usage_on_each_endpoint_kind(emulator: Emulator, route: str) -> None:
    chunks = list(model_on(emulator, route).stream("Count my tokens"))
    sent = emulator.requests[-1]
    assert sent.body["stream"] is True
    assert sent.body["stream_options"] == {"include_usage": True}
    assert sent.header("extra-parameters") == (None if STREAM_ROUTES[route] else "pass-through")
    usage_chunks = [c for c in chunks if c.usage_metadata]
    assert len(usage_chunks) == 1
    usage = usage_chunks[0].usage_metadata
    assert usage is not None
    assert usage_chunks[0].content == ""
    assert usage["input_tokens"] == 4  # "Count my tokens": 15 characters
    assert usage["total_tokens"] == usage["input_tokens"] + usage["output_tokens"]
    merged = merge(chunks)
    assert merged.usage_metadata == usage
    assert merged.response_metadata["finish_reason"] == "stop"
    assert merged.response_metadata["model_name"] == emulator.model


def test_finish_reason_and_model_name_come_with_the_final_chunk(emulator: Emulator) -> None:
    chunks = list(model_on(emulator, stream_usage=False).stream("Hi"))
    with_finish = [i for i, c in enumerate(chunks) if "finish_reason" in c.response_metadata]
    assert len(with_finish) == 1
    final = chunks[with_finish[0]]
    assert final.response_metadata["finish_reason"] == "stop"
    assert final.response_metadata["model_name"] == emulator.model
    assert all(c.content == "" for c in chunks[with_finish[0] :])  # after it, nothing more is said
    merged = merge(chunks)
    assert (merged.response_metadata["finish_reason"], merged.response_metadata["model_name"]) == (
        "stop",
        emulator.model,
    )


def test_stream_usage_false_sends_no_stream_options(emulator: Emulator) -> None:
    for route in ("foundry", "azure-openai"):
        chunks = list(model_on(emulator, route, stream_usage=False).stream("Hi"))
        sent = emulator.requests[-1]
        assert sent.body["stream"] is True
        assert "stream_options" not in sent.body
        assert sent.header("extra-parameters") is None
        assert all(c.usage_metadata is None for c in chunks)


def test_stream_options_are_not_sent_as_an_extra_the_header_would_drop(emulator: Emulator) -> None:
    list(model_on(emulator, extra_parameters="drop").stream("Hi"))
    sent = emulator.requests[-1]
    assert "stream_options" not in sent.body
    assert sent.header("extra-parameters") == "drop"


def test_streaming_survives_keep_alive_comments_and_event_lines(emulator: Emulator) -> None:
    model = model_on(emulator)
    expected = merge(list(model.stream("Hello there"))).content
    emulator.inject(Fault.keep_alive(with_event_lines=True))
    merged = merge(list(model.stream("Hello there")))
    assert merged.content == expected
    assert merged.usage_metadata is not None


async def test_astreaming_survives_keep_alive_comments_and_event_lines(emulator: Emulator) -> None:
    model = model_on(emulator)
    expected = merge([c async for c in model.astream("Hello there")]).content
    emulator.inject(Fault.keep_alive(with_event_lines=True))
    merged = merge([c async for c in model.astream("Hello there")])
    assert merged.content == expected


def test_an_error_inside_the_stream_raises_stream_error(emulator: Emulator) -> None:
    emulator.inject(Fault.error_in_stream(code="server_error", message="The model fell over.", after_events=2))
    received: list[AIMessageChunk] = []

    def consume() -> None:
        for chunk in model_on(emulator).stream("Hello there"):
            received.append(chunk)

    with pytest.raises(StreamError) as caught:
        consume()
    assert (caught.value.code, caught.value.message) == ("server_error", "The model fell over.")
    assert "server_error: The model fell over." in str(caught.value)
    assert len(received) == 2  # what came before the error was delivered
    assert len(emulator.requests) == 1  # an error after the 200 is not retried


async def test_an_error_inside_an_async_stream_raises_stream_error(emulator: Emulator) -> None:
    emulator.inject(Fault.error_in_stream(code="overloaded", message="Try later."))
    with pytest.raises(StreamError) as caught:
        await model_on(emulator, streaming=True).ainvoke("Hi")
    assert (caught.value.code, caught.value.message) == ("overloaded", "Try later.")


# ---------------------------------------------------------------------------------------------- tools


@tool
def get_time(zone: str) -> str:
    """The time in a time zone."""
    return "12:00"


LOOKUP = {
    "type": "function",
    "function": {
        "name": "lookup",
        "description": "Look something up.",
        "parameters": {"type": "object", "properties": {"q": {"type": "string", "minLength": 2}}, "required": ["q"]},
    },
}


def test_bind_tools_sends_each_tool_form(emulator: Emulator) -> None:
    reply = model_on(emulator).bind_tools([GetWeather, get_time, LOOKUP], tool_choice="lookup").invoke("Hi")
    body = emulator.requests[-1].body
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "GetWeather",
                "description": "Get the current weather in a city.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": "The city"},
                        "days": {"type": "integer", "minimum": 1},
                    },
                    "required": ["city", "days"],
                },
            },
        },
        {
            "type": "function",
            "function": {
                "name": "get_time",
                "description": "The time in a time zone.",
                "parameters": {"type": "object", "properties": {"zone": {"type": "string"}}, "required": ["zone"]},
            },
        },
        LOOKUP,
    ]
    assert body["tool_choice"] == {"type": "function", "function": {"name": "lookup"}}
    assert reply.tool_calls[0]["name"] == "lookup"
    assert reply.tool_calls[0]["args"] == {"q": "Hi"}  # the user's text, long enough for minLength


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        ("get_time", {"type": "function", "function": {"name": "get_time"}}),
        (
            {"type": "function", "function": {"name": "GetWeather"}},
            {"type": "function", "function": {"name": "GetWeather"}},
        ),
    ],
)
def test_tool_choice_reaches_the_wire_exactly(emulator: Emulator, choice: Any, wire: Any) -> None:
    reply = model_on(emulator).bind_tools([GetWeather, get_time], tool_choice=choice).invoke("Hello")
    assert emulator.requests[-1].body["tool_choice"] == wire
    called = [c["name"] for c in reply.tool_calls]
    if wire in ("auto", "none"):
        assert called == []
    elif wire == "required":
        assert called == ["GetWeather"]  # the emulator calls the first tool
    else:
        assert called == [wire["function"]["name"]]


def test_no_tool_choice_sends_none(emulator: Emulator) -> None:
    model_on(emulator).bind_tools([get_time]).invoke("Hello")
    assert "tool_choice" not in emulator.requests[-1].body
    reply = model_on(emulator).bind_tools([get_time]).invoke("What does get_time say?")
    assert [c["name"] for c in reply.tool_calls] == ["get_time"]  # auto, and the user named the tool


def test_a_tool_choice_naming_no_bound_tool_is_refused(emulator: Emulator) -> None:
    with pytest.raises(ValueError, match="tool_choice 'nope' names no bound tool"):
        model_on(emulator).bind_tools([get_time], tool_choice="nope")
    assert emulator.requests == []


def test_bind_tools_kwargs_are_forwarded_and_unknown_ones_refused_before_the_network(emulator: Emulator) -> None:
    model = model_on(emulator)
    # A known request keyword passes through bind_tools to the request.
    model.bind_tools([get_time], tool_choice="auto", temperature=0, model_extras={"parallel_tool_calls": False}).invoke(
        "Hi"
    )
    sent = emulator.requests[-1]
    assert (sent.body["temperature"], sent.body["parallel_tool_calls"]) == (0, False)
    assert sent.header("extra-parameters") == "pass-through"
    # OpenAI's parallel_tool_calls is not a keyword of this API: bind_tools sends it as an extra parameter.
    model.bind_tools([get_time], parallel_tool_calls=False, model_extras={"top_k": 2}).invoke("Hi")
    sent = emulator.requests[-1]
    assert (sent.body["parallel_tool_calls"], sent.body["top_k"]) == (False, 2)
    assert sent.header("extra-parameters") == "pass-through"
    # Anything else unknown is refused before the network.
    with pytest.raises(TypeError, match="unexpected keyword arguments: 'frobnicate'"):
        model.bind_tools([get_time], frobnicate=True).invoke("Hi")
    assert len(emulator.requests) == 2


def test_strict_tools_are_marked_strict(emulator: Emulator) -> None:
    model_on(emulator).bind_tools([GetWeather], strict=True, tool_choice="any").invoke("Hi")
    function = emulator.requests[-1].body["tools"][0]["function"]
    assert function["strict"] is True
    assert function["parameters"]["additionalProperties"] is False


# ---------------------------------------------------------------------------------------------- structured output


class Person(BaseModel):
    """A person."""

    name: str
    age: int


class PersonDict(TypedDict):
    """A person."""

    name: str
    age: int


PERSON_SCHEMA = {
    "title": "Person",
    "description": "A person.",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer"}},
    "required": ["name", "age"],
}
SCHEMAS: dict[str, Any] = {"pydantic": Person, "typeddict": PersonDict, "json schema": PERSON_SCHEMA}
PROPERTIES = {"name": {"type": "string"}, "age": {"type": "integer"}}


PERSON_TEXT = "The name is Ada and the age is 36."  # the emulator fills what the text gives by name


def _check_parsed(kind: str, parsed: Any) -> None:
    if kind == "pydantic":
        assert parsed == Person(name="Ada", age=36)
    else:
        assert parsed == {"name": "Ada", "age": 36}


@pytest.mark.parametrize("include_raw", [False, True])
@pytest.mark.parametrize("strict", [None, True])
@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_structured_output_json_schema(emulator: Emulator, kind: str, strict: bool | None, include_raw: bool) -> None:
    schema = SCHEMAS[kind]
    structured = model_on(emulator).with_structured_output(schema, include_raw=include_raw, strict=strict)
    result = structured.invoke(PERSON_TEXT)
    body = emulator.requests[-1].body
    assert "tools" not in body and "tool_choice" not in body
    response_format = body["response_format"]
    assert response_format["type"] == "json_schema"
    definition = response_format["json_schema"]
    name = "PersonDict" if kind == "typeddict" else "Person"
    assert (definition["name"], definition["description"]) == (name, "A person.")
    assert definition["schema"]["properties"] == PROPERTIES
    assert definition["schema"]["required"] == ["name", "age"]
    if strict:
        assert definition["strict"] is True
        assert definition["schema"]["additionalProperties"] is False  # what strict mode requires of every object
    else:
        assert "strict" not in definition
    if include_raw:
        assert set(result) == {"raw", "parsed", "parsing_error"}
        assert isinstance(result["raw"], AIMessage)
        assert json.loads(result["raw"].content) == {"name": "Ada", "age": 36}
        assert result["parsing_error"] is None
        _check_parsed(kind, result["parsed"])
    else:
        _check_parsed(kind, result)


class Team(BaseModel):
    """A team."""

    lead: Person
    members: list[Person] = Field(min_length=1)
    motto: str | None = None


def test_strict_json_schema_closes_every_nested_object(emulator: Emulator) -> None:
    model_on(emulator).with_structured_output(Team, strict=True).invoke("Team?")
    schema = emulator.requests[-1].body["response_format"]["json_schema"]["schema"]
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["lead", "members", "motto"]  # strict mode wants every property listed
    lead, member = schema["properties"]["lead"], schema["properties"]["members"]["items"]  # $refs are inlined
    assert lead["additionalProperties"] is False and member["additionalProperties"] is False
    assert lead["required"] == member["required"] == ["name", "age"]


@pytest.mark.parametrize("include_raw", [False, True])
@pytest.mark.parametrize("strict", [None, True])
@pytest.mark.parametrize("kind", list(SCHEMAS))
def test_structured_output_function_calling(
    emulator: Emulator, kind: str, strict: bool | None, include_raw: bool
) -> None:
    schema = SCHEMAS[kind]
    model = model_on(emulator).with_structured_output(
        schema, method="function_calling", include_raw=include_raw, strict=strict
    )
    result = model.invoke(PERSON_TEXT)
    body = emulator.requests[-1].body
    name = "PersonDict" if kind == "typeddict" else "Person"
    assert "response_format" not in body
    assert body["tool_choice"] == {"type": "function", "function": {"name": name}}
    (function,) = [t["function"] for t in body["tools"]]
    assert (function["name"], function["description"]) == (name, "A person.")
    assert function["parameters"]["properties"] == PROPERTIES
    assert function.get("strict") is strict
    if include_raw:
        assert result["parsing_error"] is None
        assert result["raw"].tool_calls[0]["args"] == {"name": "Ada", "age": 36}
        _check_parsed(kind, result["parsed"])
    else:
        _check_parsed(kind, result)


@pytest.mark.parametrize("include_raw", [False, True])
@pytest.mark.parametrize("kind", ["typeddict", "json schema"])
def test_structured_output_json_mode_into_a_dict_schema(emulator: Emulator, kind: str, include_raw: bool) -> None:
    result = (
        model_on(emulator)
        .with_structured_output(SCHEMAS[kind], method="json_mode", include_raw=include_raw)
        .invoke("Who?")
    )
    body = emulator.requests[-1].body
    assert body["response_format"] == {"type": "json_object"}
    assert "tools" not in body
    # json_object answers are a JSON summary of the request; a dict schema takes any object.
    summary = {"images": 0, "audio_clips": 0, "system_prompt": False, "last_user_text": "Who?"}
    if include_raw:
        assert (result["parsed"], result["parsing_error"]) == (summary, None)
    else:
        assert result == summary


def test_structured_output_json_mode_into_pydantic_reports_the_parsing_error(emulator: Emulator) -> None:
    model = model_on(emulator)
    with pytest.raises(OutputParserException, match="Failed to parse Person"):
        model.with_structured_output(Person, method="json_mode").invoke("Who?")
    result = model.with_structured_output(Person, method="json_mode", include_raw=True).invoke("Who?")
    assert result["parsed"] is None
    assert isinstance(result["parsing_error"], OutputParserException)
    assert json.loads(result["raw"].content)["last_user_text"] == "Who?"
    assert emulator.requests[-1].body["response_format"] == {"type": "json_object"}


def test_structured_output_without_a_schema(emulator: Emulator) -> None:
    result = model_on(emulator).with_structured_output(None, method="json_mode").invoke("Anything")
    assert result["last_user_text"] == "Anything"
    with pytest.raises(ValueError, match="needs a schema"):
        model_on(emulator).with_structured_output(None)
    with pytest.raises(ValueError, match="needs a schema"):
        model_on(emulator).with_structured_output(None, method="function_calling")


async def test_structured_output_async(emulator: Emulator) -> None:
    result = await model_on(emulator).with_structured_output(Person, method="function_calling").ainvoke(PERSON_TEXT)
    assert result == Person(name="Ada", age=36)


# ---------------------------------------------------------------------------------------------- retries and timeouts


def test_max_retries_two_survives_two_throttles(emulator: Emulator) -> None:
    emulator.inject(Fault.throttle(retry_after_ms=10), times=2)
    reply = model_on(emulator, max_retries=2).invoke("Hi")
    assert reply.content.endswith('Last user text: "Hi"')
    assert len(emulator.requests) == 3
    assert all(r.body == emulator.requests[0].body for r in emulator.requests)


async def test_max_retries_two_survives_two_throttles_async(emulator: Emulator) -> None:
    emulator.inject(Fault.throttle(retry_after_ms=10), times=2)
    chunks = [c async for c in model_on(emulator, max_retries=2).astream("Hi")]
    assert merge(chunks).content.endswith('Last user text: "Hi"')
    assert len(emulator.requests) == 3


def test_max_retries_zero_surfaces_the_throttle(emulator: Emulator) -> None:
    emulator.inject(Fault.throttle(retry_after_ms=10), times=2)
    with pytest.raises(HttpResponseError) as caught:
        model_on(emulator, max_retries=0).invoke("Hi")
    assert caught.value.status_code == 429
    assert len(emulator.requests) == 1


def test_max_retries_one_gives_up_after_two_tries(emulator: Emulator) -> None:
    emulator.inject(Fault.throttle(retry_after_ms=10), times=2)
    with pytest.raises(HttpResponseError) as caught:
        list(model_on(emulator, max_retries=1).stream("Hi"))
    assert caught.value.status_code == 429
    assert len(emulator.requests) == 2


def test_a_timeout_ends_a_slow_request(emulator: Emulator) -> None:
    emulator.inject(Fault.slow(1.2))
    with pytest.raises(ServiceResponseError):
        model_on(emulator, timeout=0.5, max_retries=0).invoke("Hi")
    assert len(emulator.requests) == 1


async def test_a_timeout_ends_a_slow_async_request(emulator: Emulator) -> None:
    emulator.inject(Fault.slow(1.2))
    with pytest.raises(ServiceResponseError):
        await model_on(emulator, timeout=0.5, max_retries=0).ainvoke("Hi")


# ---------------------------------------------------------------------------------------------- hygiene


SECRET = "sk-very-secret-key-do-not-log-0123"


async def test_the_key_never_reaches_the_logs(
    emulator_factory: Callable[..., Emulator], caplog: pytest.LogCaptureFixture
) -> None:
    emulator = emulator_factory(api_key=SECRET)
    caplog.set_level(logging.DEBUG, logger="azure")
    model = model_on(emulator, api_key=SECRET, client_kwargs={"logging_enable": True}, model_extras={"top_k": 2})
    model.invoke("Hi")
    list(model.stream("Hi"))
    await model.ainvoke("Hi")
    _ = [c async for c in model.astream("Hi")]
    emulator.inject(Fault.throttle(retry_after_ms=10))
    model.invoke("Hi")
    assert len(emulator.requests) == 6
    records = [r for r in caplog.records if r.name.startswith("azure")]
    # The network trace and the HTTP logging policy both ran, and logged the headers.
    trace = [r.getMessage() for r in records if "Request headers" in r.getMessage()]
    assert len(trace) >= 12
    assert any("'api-key': 'REDACTED'" in message for message in trace)
    assert any("'Authorization': 'REDACTED'" in message for message in trace)
    for record in records:
        assert SECRET not in record.getMessage(), record.name
        assert SECRET not in repr(record.args), record.name
    assert SECRET not in caplog.text


def test_the_key_header_is_still_sent_while_logging(emulator_factory: Callable[..., Emulator]) -> None:
    emulator = emulator_factory(api_key=SECRET)
    model_on(emulator, api_key=SECRET, client_kwargs={"logging_enable": True}).invoke("Hi")
    assert emulator.requests[-1].header("api-key") == SECRET  # redaction is for the log only


async def test_async_clients_are_closed(emulator: Emulator, caplog: pytest.LogCaptureFixture) -> None:
    model = model_on(emulator)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ResourceWarning)
        for _ in range(5):
            await model.ainvoke("Hi")
            _ = [c async for c in model.astream("Hi")]
            async for _chunk in model.astream("Hi"):  # a consumer that stops early
                break
        await asyncio.sleep(0)
        gc.collect()
        await asyncio.sleep(0)
    assert len(emulator.requests) == 15
    leaks = [str(w.message) for w in caught if issubclass(w.category, ResourceWarning)]
    assert leaks == []
    assert "Unclosed" not in caplog.text


def test_async_calls_from_many_event_loops(emulator: Emulator) -> None:
    model = model_on(emulator)
    for _ in range(3):  # a cached aiohttp session would be bound to the first loop
        reply = asyncio.run(model.ainvoke("Hi"))
        assert reply.content.endswith('Last user text: "Hi"')


@pytest.mark.parametrize("route", ["foundry", "serverless", "root"])
def test_get_model_info(emulator: Emulator, route: str) -> None:
    info = model_on(emulator, route).get_model_info()
    assert info == {"model_name": emulator.model, "model_type": "chat-completion", "model_provider_name": "Microsoft"}
    sent = emulator.requests[-1]
    assert (sent.method, sent.path) == ("GET", "/models/info" if route == "foundry" else "/info")


@pytest.mark.parametrize("route", ["azure-openai", "openai-v1"])
def test_get_model_info_is_refused_where_there_is_no_info_route(emulator: Emulator, route: str) -> None:
    with pytest.raises(ValueError, match="endpoints have no /info route"):
        model_on(emulator, route).get_model_info()
    assert emulator.requests == []


class TransportSpy(SansIOHTTPPolicy[Any, Any]):
    """Records the transport each request goes out on: one per SDK client, holding that client's connections."""

    def __init__(self) -> None:
        self.transports: list[Any] = []

    def on_request(self, request: PipelineRequest[Any]) -> None:
        self.transports.append(request.context.transport)


def test_the_sync_client_is_reused(emulator: Emulator) -> None:
    spy = TransportSpy()
    model = model_on(emulator, client_kwargs={"per_call_policies": [spy]})
    model.invoke("Hi")
    list(model.stream("Hi"))
    model.invoke("Hi")
    assert len(spy.transports) == 3 and all(t is spy.transports[0] for t in spy.transports)
    assert len({r.header("x-ms-client-request-id") for r in emulator.requests}) == 3


def test_one_async_client_per_event_loop_closed_when_the_loop_shuts_down(emulator: Emulator) -> None:
    import weakref

    spy = TransportSpy()
    model = model_on(emulator, client_kwargs={"per_call_policies": [spy]})

    async def calls() -> weakref.ref[asyncio.AbstractEventLoop]:
        await model.ainvoke("one")
        _ = [chunk async for chunk in model.astream("two")]
        return weakref.ref(asyncio.get_running_loop())

    with warnings.catch_warnings():
        warnings.simplefilter("error", ResourceWarning)
        # A new loop each time, as asyncio.run and test runners make them.
        loops = [asyncio.run(calls()) for _ in range(3)]
        gc.collect()
    assert len(emulator.requests) == 6
    one, two = spy.transports[0::2], spy.transports[1::2]
    assert all(a is b for a, b in zip(one, two, strict=True))  # the loop's calls share one client and its connections
    assert len({id(t) for t in spy.transports}) == 3  # and each loop has its own
    assert all(t.session is None for t in spy.transports)  # closed when its loop shut down
    assert [loop() for loop in loops] == [None, None, None]  # nothing the model keeps holds a finished loop


async def test_aclose_closes_the_loops_client_now(emulator: Emulator) -> None:
    spy = TransportSpy()
    model = model_on(emulator, client_kwargs={"per_call_policies": [spy]})
    await model.ainvoke("Hi")
    await model.aclose()
    first = spy.transports[-1]
    assert first.session is None  # closed now, not at the loop's shutdown
    await model.ainvoke("again")  # a new client is made on demand
    assert spy.transports[-1] is not first and spy.transports[-1].session is not None
    await model.aclose()


def test_a_malformed_answer_raises_a_typed_error(emulator: Emulator) -> None:
    from azure.core.exceptions import DecodeError

    emulator.inject(Fault.malformed())
    with pytest.raises(MalformedResponseError, match="not a JSON object") as cut:  # JSON cut off half-way
        model_on(emulator).invoke("Hi")
    assert isinstance(cut.value, DecodeError)  # what azure-core's pipeline raised for it when it read the body
    emulator.enqueue(ScriptedResponse(json=[1, 2]))
    with pytest.raises(MalformedResponseError, match="not a JSON object") as caught:
        model_on(emulator).invoke("Hi")
    assert caught.value.code == "malformed_response"
