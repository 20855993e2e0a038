"""Real clients nobody here wrote, the ``openai`` SDK and ``langchain-openai``, against the emulator.

The Azure OpenAI routes (``/openai/deployments/{d}`` and ``/openai/v1``) must behave as Azure OpenAI does; the Model
Inference route (``/models``) keeps its own rules where the two differ. Sources, cited beside each test:

* [AOAI-REST] Azure OpenAI REST reference, chat completions:
  https://learn.microsoft.com/azure/ai-foundry/openai/reference
* [AOAI-FILTER] Azure OpenAI content filtering (annotations, and the streamed prompt annotation):
  https://learn.microsoft.com/azure/ai-foundry/openai/concepts/content-filter
* [OPENAI] OpenAI API reference, chat completions (request, streaming chunks, error object):
  https://platform.openai.com/docs/api-reference/chat/create
* [DOTNET] Azure SDK for .NET, ``StreamingFunctionToolCallUpdate.Name``: "this name will appear in a single
  streaming update payload, typically the first"; ``ArgumentsUpdate``: the arguments "must be accumulated":
  https://learn.microsoft.com/dotnet/api/azure.ai.inference.streamingfunctiontoolcallupdate
* [MI] Azure AI Model Inference REST reference (temperature 0-1, the ``extra-parameters`` header):
  https://learn.microsoft.com/rest/api/aifoundry/model-inference/get-chat-completions/get-chat-completions
"""

from __future__ import annotations

import functools
import json
import operator
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from typing import Any

import openai
import pytest
from langchain_core.messages import AIMessage, BaseMessage, HumanMessage
from langchain_core.tools import tool
from langchain_openai import AzureChatOpenAI, ChatOpenAI
from pydantic import BaseModel

from langchain_azure_multimodal.emulator import Emulator
from tests.conftest import API_KEY

API_VERSION = "2024-10-21"
DEPLOYMENT = "gpt-4o"
HELLO = [{"role": "user", "content": "Hello there"}]
SAFE = {"filtered": False, "severity": "safe"}
CATEGORIES = ("hate", "sexual", "violence", "self_harm")
ASK_TRANSLATION = "Please translate the recording audio/hello.mp3 into German"
TRANSLATION = "Hallo, hier spricht die Aufnahme."


def _function(name: str, description: str, *strings: str) -> dict[str, Any]:
    properties = {arg: {"type": "string"} for arg in strings}
    parameters = {"type": "object", "properties": properties, "required": list(strings)}
    return {"type": "function", "function": {"name": name, "description": description, "parameters": parameters}}


WEATHER = _function("get_weather", "Current weather in a city", "city")
TIME = _function("get_time", "Current local time in a city", "city")
TRANSLATE = _function("translate_audio", "Translate a recording into another language", "source", "target_language")


def _user(text: str) -> list[dict[str, Any]]:
    return [{"role": "user", "content": text}]


@pytest.fixture
def emu(emulator_factory: Callable[..., Emulator]) -> Emulator:
    return emulator_factory(DEPLOYMENT, models=["phi-4-multimodal-instruct"])


# --- the openai SDK on both Azure OpenAI route shapes, sync and async -------------------------------------------

Create = Callable[..., Awaitable[Any]]
AOAI_CLIENTS = [("deployments", False), ("deployments", True), ("v1", False), ("v1", True)]


def _openai_client(emu: Emulator, route: str, asynchronous: bool) -> Any:
    if route == "deployments":  # -> /openai/deployments/{model}/chat/completions?api-version=...
        azure = openai.AsyncAzureOpenAI if asynchronous else openai.AzureOpenAI
        return azure(azure_endpoint=emu.base_url, api_key=API_KEY, api_version=API_VERSION, max_retries=0)
    plain = openai.AsyncOpenAI if asynchronous else openai.OpenAI  # -> /openai/v1/chat/completions, model in body
    return plain(base_url=emu.endpoint_for("openai-v1"), api_key=API_KEY, max_retries=0)


@pytest.fixture(params=AOAI_CLIENTS, ids=[f"{r}-{'async' if a else 'sync'}" for r, a in AOAI_CLIENTS])
async def create(request: pytest.FixtureRequest, emu: Emulator) -> AsyncIterator[Create]:
    """``await create(**kwargs)``: a completion, or the list of chunks when ``stream=True``."""
    route, asynchronous = request.param
    client = _openai_client(emu, route, asynchronous)

    async def call(**kwargs: Any) -> Any:
        kwargs.setdefault("model", DEPLOYMENT)
        kwargs.setdefault("messages", HELLO)
        result = client.chat.completions.create(**kwargs)
        if asynchronous:
            result = await result
            return [chunk async for chunk in result] if kwargs.get("stream") else result
        return list(result) if kwargs.get("stream") else result

    yield call
    if asynchronous:
        await client.close()
    else:
        client.close()


def _openai_error(error: openai.APIStatusError) -> dict[str, Any]:
    """The error object of an answer in OpenAI's shape ``{"error": {"message", "type", "param", "code"}}``."""
    body = error.response.json()
    assert set(body) == {"error"}, body
    assert {"message", "type", "param", "code"} <= set(body["error"]), body
    return body["error"]


# 1. Parameters: [AOAI-REST] temperature 0-2, stop string or array, max_completion_tokens, n, logprobs/top_logprobs,
# seed, user, parallel_tool_calls, response_format; errors in [OPENAI]'s error object.


async def test_temperature_within_openai_range_is_accepted(create: Create) -> None:
    completion = await create(temperature=1.5)
    assert completion.choices[0].message.content


@pytest.mark.spec_exempt(reason="temperature 2.5 is over OpenAI's maximum of 2, on purpose")
async def test_temperature_over_two_is_refused_in_openai_error_shape(create: Create) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        await create(temperature=2.5)
    error = _openai_error(info.value)
    assert info.value.status_code == 400
    assert (error["type"], error["param"]) == ("invalid_request_error", "temperature")
    assert "temperature" in error["message"].lower()
    assert (info.value.type, info.value.param) == ("invalid_request_error", "temperature")  # as the SDK reads it


async def test_stop_as_a_string_cuts_the_answer(create: Create) -> None:
    full = (await create()).choices[0].message.content
    cut = await create(stop=".")
    text = cut.choices[0].message.content
    assert "." in full and text and "." not in text and full.startswith(text)
    assert cut.choices[0].finish_reason == "stop"


async def test_max_completion_tokens_cuts_with_finish_reason_length(create: Create) -> None:
    completion = await create(max_completion_tokens=3)
    assert completion.choices[0].finish_reason == "length"
    assert completion.usage.completion_tokens <= 3


async def test_n_gives_that_many_choices(create: Create) -> None:
    completion = await create(n=3)
    assert [choice.index for choice in completion.choices] == [0, 1, 2]
    assert all(choice.message.content for choice in completion.choices)


async def test_logprobs_cover_the_answer_and_are_deterministic(create: Create) -> None:
    first = await create(logprobs=True, top_logprobs=2)
    for choice in first.choices:
        tokens = choice.logprobs.content
        assert tokens and "".join(token.token for token in tokens) == choice.message.content
        for token in tokens:
            assert token.logprob <= 0 and len(token.top_logprobs) == 2
            assert all(top.logprob <= 0 for top in token.top_logprobs)
    again = await create(logprobs=True, top_logprobs=2)
    assert [c.logprobs.to_dict() for c in again.choices] == [c.logprobs.to_dict() for c in first.choices]


ACCEPTED = {
    "seed": {"seed": 42},
    "user": {"user": "user-1234"},
    "parallel_tool_calls": {"parallel_tool_calls": False, "tools": [WEATHER]},
    "json_object": {"response_format": {"type": "json_object"}, "messages": _user("Say hello in JSON.")},
}


@pytest.mark.parametrize("arguments", ACCEPTED.values(), ids=ACCEPTED.keys())
async def test_openai_parameters_are_accepted(create: Create, emu: Emulator, arguments: dict[str, Any]) -> None:
    completion = await create(**arguments)
    assert completion.choices[0].finish_reason in ("stop", "tool_calls")
    assert {k: emu.requests[-1].body[k] for k in arguments} == arguments  # sent as given, and answered 200
    if "response_format" in arguments:
        assert isinstance(json.loads(completion.choices[0].message.content), dict)


# [AOAI-REST] error response: Azure OpenAI refuses a body key it does not know with 400 "Unrecognized request
# argument supplied: <key>" (the service's wording); extra-parameters is a Model Inference header ([MI]), inert here.
@pytest.mark.parametrize("mode", [None, "pass-through", "drop"])
async def test_unknown_key_is_refused_whatever_extra_parameters_says(create: Create, mode: str | None) -> None:
    headers = {"extra-parameters": mode} if mode else {}
    with pytest.raises(openai.BadRequestError) as info:
        await create(extra_body={"foo": 1}, extra_headers=headers)
    error = _openai_error(info.value)
    assert error["type"] == "invalid_request_error"
    assert error["message"] == "Unrecognized request argument supplied: foo"


async def test_max_tokens_and_max_completion_tokens_together_are_refused(create: Create) -> None:
    # [OPENAI]: max_tokens is deprecated in favour of max_completion_tokens; Azure OpenAI refuses both at once.
    with pytest.raises(openai.BadRequestError) as info:
        await create(max_tokens=5, max_completion_tokens=5)
    assert info.value.status_code == 400


# 2. The Model Inference route keeps its own rules ([MI]): temperature 0-1, unknown keys per extra-parameters.


@pytest.fixture
def foundry(emu: Emulator) -> Iterator[openai.OpenAI]:
    client = openai.OpenAI(
        base_url=emu.endpoint_for("foundry"),
        api_key=API_KEY,
        max_retries=0,
        default_query={"api-version": "2024-05-01-preview"},
    )
    yield client
    client.close()


@pytest.mark.spec_exempt(reason="temperature 1.5 is over the Model Inference spec's maximum of 1, on purpose")
def test_model_inference_refuses_temperature_over_one(foundry: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError) as info:
        foundry.chat.completions.create(model=DEPLOYMENT, messages=HELLO, temperature=1.5)
    assert info.value.status_code == 400


def test_model_inference_takes_unknown_keys_only_with_pass_through(foundry: openai.OpenAI) -> None:
    with pytest.raises(openai.UnprocessableEntityError) as info:
        foundry.chat.completions.create(model=DEPLOYMENT, messages=HELLO, extra_body={"foo": 1})
    assert info.value.status_code == 422
    passed = foundry.chat.completions.create(
        model=DEPLOYMENT, messages=HELLO, extra_body={"foo": 1}, extra_headers={"extra-parameters": "pass-through"}
    )
    assert passed.choices[0].message.content


# 3. Content filter annotations ([AOAI-FILTER]): prompt_filter_results on the answer, content_filter_results on
# each choice; a stream opens with a chunk that has "choices": [] and the prompt annotation.


def _assert_safe(results: dict[str, Any]) -> None:
    for category in CATEGORIES:
        assert results[category] == SAFE, (category, results)


async def test_answer_carries_content_filter_annotations(create: Create) -> None:
    completion = await create()
    prompt = completion.model_extra["prompt_filter_results"]  # keys the SDK's models do not declare
    assert [entry["prompt_index"] for entry in prompt] == [0]
    _assert_safe(prompt[0]["content_filter_results"])
    for choice in completion.choices:
        _assert_safe(choice.model_extra["content_filter_results"])
    assert completion.to_dict()["prompt_filter_results"] == prompt


def _naive_text(chunks: list[Any]) -> str:
    return "".join(chunk.choices[0].delta.content or "" for chunk in chunks)


async def test_stream_opens_with_prompt_annotation_and_no_choices(create: Create) -> None:
    expected = (await create()).choices[0].message.content
    chunks = await create(stream=True)
    assert chunks[0].choices == []
    prompt = chunks[0].model_extra["prompt_filter_results"]
    assert prompt[0]["prompt_index"] == 0
    _assert_safe(prompt[0]["content_filter_results"])
    with pytest.raises(IndexError):
        _naive_text(chunks)  # code written against api.openai.com breaks on Azure's first chunk
    assert "".join(c.choices[0].delta.content or "" for c in chunks if c.choices) == expected


def test_model_inference_route_has_no_filter_annotations(foundry: openai.OpenAI) -> None:
    completion = foundry.chat.completions.create(model=DEPLOYMENT, messages=HELLO)
    assert "prompt_filter_results" not in completion.to_dict()
    assert "content_filter_results" not in completion.choices[0].to_dict()
    chunks = list(foundry.chat.completions.create(model=DEPLOYMENT, messages=HELLO, stream=True))
    assert chunks[0].choices
    assert not any("prompt_filter_results" in chunk.to_dict() for chunk in chunks)


# 4. Streamed tool calls ([OPENAI] streaming; [DOTNET]): the name comes once, in the first delta with the id; the
# arguments come in fragments keyed by index, to be accumulated.


def _tool_deltas(chunks: list[Any]) -> list[Any]:
    return [call for chunk in chunks for choice in chunk.choices for call in choice.delta.tool_calls or []]


def _accumulate(chunks: list[Any]) -> dict[int, dict[str, str]]:
    calls: dict[int, dict[str, str]] = {}
    for delta in _tool_deltas(chunks):
        call = calls.setdefault(delta.index, {"id": "", "name": "", "arguments": ""})
        call["id"] += delta.id or ""
        call["name"] += delta.function.name or ""
        call["arguments"] += delta.function.arguments or ""
    return calls


@pytest.mark.parametrize("how", ["required", "named-in-text"])
async def test_streamed_tool_call_arrives_in_pieces(create: Create, how: str) -> None:
    if how == "required":
        chunks = await create(stream=True, tools=[WEATHER], tool_choice="required", messages=_user("Paris weather?"))
    else:
        chunks = await create(stream=True, tools=[WEATHER], messages=_user("Use get_weather for Paris, please."))
    head, *rest = _tool_deltas(chunks)
    assert head.index == 0 and head.id and head.function.name == "get_weather"
    assert len(rest) >= 2
    for delta in rest:  # to_dict() keeps only the keys that were on the wire
        assert delta.to_dict() == {"index": 0, "function": {"arguments": delta.function.arguments}}
        assert delta.function.arguments
    arguments = json.loads("".join(d.function.arguments or "" for d in [head, *rest]))
    assert isinstance(arguments, dict) and isinstance(arguments["city"], str)
    with_choices = [chunk for chunk in chunks if chunk.choices]
    assert with_choices[-1].choices[0].finish_reason == "tool_calls"
    assert [c.finish_reason for chunk in with_choices for c in chunk.choices if c.finish_reason] == ["tool_calls"]


@pytest.mark.parametrize(("parallel", "expected"), [(None, 2), (False, 1)], ids=["default", "parallel-off"])
async def test_two_tools_named_give_two_calls_unless_parallel_is_off(
    create: Create, parallel: bool | None, expected: int
) -> None:
    request: dict[str, Any] = {"tools": [WEATHER, TIME], "messages": _user("Call get_weather and get_time for Oslo.")}
    if parallel is not None:
        request["parallel_tool_calls"] = parallel
    calls = _accumulate(await create(stream=True, **request))
    assert sorted(calls) == list(range(expected))
    assert len({call["name"] for call in calls.values()}) == expected
    for call in calls.values():
        assert call["id"] and call["name"] in ("get_weather", "get_time")
        assert isinstance(json.loads(call["arguments"])["city"], str)
    message = (await create(**request)).choices[0].message
    assert len(message.tool_calls) == expected


# 5. langchain-openai: ChatOpenAI on /openai/v1, AzureChatOpenAI on /openai/deployments/{d}.


def _chat_openai(emu: Emulator, **kwargs: Any) -> ChatOpenAI:
    return ChatOpenAI(
        base_url=emu.endpoint_for("openai-v1"), api_key=API_KEY, model=DEPLOYMENT, max_retries=0, **kwargs
    )


def _azure_chat_openai(emu: Emulator, **kwargs: Any) -> AzureChatOpenAI:
    return AzureChatOpenAI(
        azure_endpoint=emu.base_url,
        azure_deployment=DEPLOYMENT,
        api_version=API_VERSION,
        api_key=API_KEY,
        max_retries=0,
        **kwargs,
    )


LANGCHAIN_MODELS = {"ChatOpenAI": _chat_openai, "AzureChatOpenAI": _azure_chat_openai}


@pytest.fixture(params=list(LANGCHAIN_MODELS))
def make_model(request: pytest.FixtureRequest, emu: Emulator) -> Callable[..., ChatOpenAI | AzureChatOpenAI]:
    return functools.partial(LANGCHAIN_MODELS[request.param], emu)


@tool
def get_weather(city: str) -> str:
    """Current weather in a city."""
    return f"Sunny and 21 C in {city or 'town'}"


@tool
def translate_audio(source: str, target_language: str) -> str:
    """Translate a recording into another language."""
    return f"{target_language} translation of {source}: {TRANSLATION}"


class City(BaseModel):
    name: str
    population: int


@pytest.mark.parametrize("asynchronous", [False, True], ids=["sync", "async"])
async def test_langchain_invoke_and_stream(make_model: Callable[..., Any], emu: Emulator, asynchronous: bool) -> None:
    model = make_model()
    if asynchronous:
        reply = await model.ainvoke("Hello there")
        chunks = [chunk async for chunk in model.astream("Hello there", stream_usage=True)]
    else:
        reply = model.invoke("Hello there")
        chunks = list(model.stream("Hello there", stream_usage=True))
    assert reply.text and reply.usage_metadata["input_tokens"] > 0 and reply.usage_metadata["output_tokens"] > 0
    assert emu.requests[-1].body["stream_options"] == {"include_usage": True}
    streamed = functools.reduce(operator.add, chunks)  # the filter chunk with "choices": [] is taken in stride
    assert streamed.text == reply.text
    tokens = ("input_tokens", "output_tokens", "total_tokens")
    assert [streamed.usage_metadata[k] for k in tokens] == [reply.usage_metadata[k] for k in tokens]
    if isinstance(model, AzureChatOpenAI):  # AzureChatOpenAI surfaces the annotations ([AOAI-FILTER])
        prompt = reply.response_metadata["prompt_filter_results"]
        _assert_safe(prompt[0]["content_filter_results"])
        _assert_safe(reply.response_metadata["content_filter_results"])


def test_langchain_bind_tools_gives_a_valid_call(make_model: Callable[..., Any]) -> None:
    reply = make_model().bind_tools([get_weather]).invoke("Use get_weather for Paris, please.")
    [call] = reply.tool_calls
    assert call["name"] == "get_weather"
    get_weather.tool_call_schema.model_validate(call["args"])


def test_langchain_structured_output_json_schema(make_model: Callable[..., Any], emu: Emulator) -> None:
    city = make_model().with_structured_output(City, method="json_schema").invoke("Name a city, in JSON.")
    assert isinstance(city, City)
    assert emu.requests[-1].body["response_format"]["type"] == "json_schema"


def test_langchain_max_completion_tokens(make_model: Callable[..., Any], emu: Emulator) -> None:
    reply = make_model(max_completion_tokens=3).invoke("Hello there")
    assert emu.requests[-1].body["max_completion_tokens"] == 3
    assert reply.response_metadata["finish_reason"] == "length"
    assert reply.usage_metadata["output_tokens"] <= 3


async def _tool_loop(model: Any, chosen: Any, text: str) -> tuple[AIMessage, BaseMessage, AIMessage]:
    bound = model.bind_tools([chosen])
    first = await bound.ainvoke([HumanMessage(text)])
    [call] = first.tool_calls
    result = await chosen.ainvoke(call)  # a ToolMessage with the call's id
    final = await bound.ainvoke([HumanMessage(text), first, result])
    return first, result, final


async def test_langchain_tool_loop(make_model: Callable[..., Any]) -> None:
    _, result, final = await _tool_loop(make_model(), get_weather, "Use get_weather for Paris, please.")
    assert isinstance(final, AIMessage) and not final.tool_calls
    assert result.content in final.text


# 6. The emulator's agent rules: with tool_choice auto, the user's text fills the named tool's arguments; after the
# tool's result, the answer quotes it. (The OpenAI tool-calling flow, [OPENAI]: assistant tool_calls, then a tool
# message with the tool_call_id.)


async def test_agent_rules_fill_the_call_and_quote_the_result(create: Create) -> None:
    first = await create(tools=[TRANSLATE], tool_choice="auto", messages=_user(ASK_TRANSLATION))
    assert first.choices[0].finish_reason == "tool_calls"
    [call] = first.choices[0].message.tool_calls
    assert call.function.name == "translate_audio"
    assert json.loads(call.function.arguments) == {"source": "audio/hello.mp3", "target_language": "German"}
    assistant = {"role": "assistant", "content": None, "tool_calls": [call.to_dict()]}
    tool_result = {"role": "tool", "tool_call_id": call.id, "content": TRANSLATION}
    final = await create(tools=[TRANSLATE], messages=[*_user(ASK_TRANSLATION), assistant, tool_result])
    assert final.choices[0].finish_reason == "stop"
    assert TRANSLATION in final.choices[0].message.content


async def test_langchain_agent_translates_the_recording(make_model: Callable[..., Any]) -> None:
    first, result, final = await _tool_loop(make_model(), translate_audio, ASK_TRANSLATION)
    assert first.tool_calls[0]["args"] == {"source": "audio/hello.mp3", "target_language": "German"}
    assert result.content == f"German translation of audio/hello.mp3: {TRANSLATION}"
    assert result.content in final.text


def test_real_clients_reach_the_routes_they_should(emu: Emulator) -> None:
    """What each real client puts on the wire: route, api-version and auth header."""
    with _openai_client(emu, "deployments", False) as azure, _openai_client(emu, "v1", False) as plain:
        azure.chat.completions.create(model=DEPLOYMENT, messages=HELLO)
        plain.chat.completions.create(model=DEPLOYMENT, messages=HELLO)
    _azure_chat_openai(emu).invoke("Hello there")
    azure_sent, plain_sent, langchain_sent = emu.requests[-3:]
    assert azure_sent.path == f"/openai/deployments/{DEPLOYMENT}/chat/completions"
    assert azure_sent.query == {"api-version": API_VERSION} and azure_sent.header("api-key") == API_KEY
    assert plain_sent.path == "/openai/v1/chat/completions" and plain_sent.query == {}
    assert plain_sent.header("authorization") == f"Bearer {API_KEY}" and plain_sent.body["model"] == DEPLOYMENT
    assert langchain_sent.path == azure_sent.path and langchain_sent.header("api-key") == API_KEY
