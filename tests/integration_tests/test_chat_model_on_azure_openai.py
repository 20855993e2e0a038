"""``ChatAzureMultimodal`` on the emulator's Azure OpenAI routes, which now answer as Azure OpenAI does: the
content-filter chunk that opens every stream, ``n`` choices, log probabilities, ``max_completion_tokens``, OpenAI's
ranges, tool calls streamed in pieces, and the error shape of a refused parameter."""

from __future__ import annotations

import functools
import operator
from typing import Any

import pytest
from azure.core.exceptions import HttpResponseError
from langchain_core.messages import AIMessageChunk, HumanMessage
from pydantic import BaseModel

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator
from tests.support.chat import model_on

OPENAI_ROUTES = ["azure-openai", "openai-v1"]


class Lookup(BaseModel):
    """Look a word up in the dictionary."""

    word: str


@pytest.fixture
def gpt(emulator_factory: Any) -> Emulator:
    return emulator_factory("gpt-4o")


@pytest.mark.parametrize("route", OPENAI_ROUTES)
def test_a_stream_that_opens_with_the_filter_chunk_adds_up_to_the_answer(gpt: Emulator, route: str) -> None:
    model = model_on(gpt, route)
    answer = model.invoke("Hello there")
    chunks = list(model.stream("Hello there"))
    merged = functools.reduce(operator.add, chunks)
    assert isinstance(merged, AIMessageChunk)
    assert merged.text == answer.text
    # The filter chunk's empty id and model must not leak into the message (a "+" of strings would join them).
    assert merged.id is not None and merged.id.startswith("chatcmpl-")
    assert merged.response_metadata["model_name"] == answer.response_metadata["model_name"] == "gpt-4o"
    assert merged.usage_metadata == answer.usage_metadata


async def test_the_filter_chunk_is_taken_in_stride_async(gpt: Emulator) -> None:
    model = model_on(gpt, "azure-openai")
    chunks = [chunk async for chunk in model.astream("Hello there")]
    assert functools.reduce(operator.add, chunks).text == (await model.ainvoke("Hello there")).text


def test_openai_settings_shape_the_answer(gpt: Emulator) -> None:
    model = model_on(gpt, "azure-openai", temperature=1.5, n=2, logprobs=True, top_logprobs=2)
    result = model.generate([[HumanMessage("Hello there")]])
    first, second = (generation.message for generation in result.generations[0])
    assert first.text != second.text  # n answers, each its own
    tokens = first.response_metadata["logprobs"]["content"]
    assert "".join(token["token"] for token in tokens) == first.text
    assert all(len(token["top_logprobs"]) == 2 and token["logprob"] <= 0 for token in tokens)
    assert gpt.requests[-1].body["temperature"] == 1.5  # OpenAI's range, refused on the Model Inference routes
    limited = model_on(gpt, "openai-v1", max_completion_tokens=3).invoke("Hello there")
    assert limited.response_metadata["finish_reason"] == "length"
    assert limited.usage_metadata is not None and limited.usage_metadata["output_tokens"] <= 3


def test_streamed_logprobs_add_up_to_the_text(gpt: Emulator) -> None:
    model = model_on(gpt, "openai-v1", logprobs=True, top_logprobs=1)
    merged = functools.reduce(operator.add, model.stream("Hello there"))
    assert "".join(token["token"] for token in merged.response_metadata["logprobs"]["content"]) == merged.text


@pytest.mark.parametrize("route", OPENAI_ROUTES)
def test_tool_calls_streamed_in_pieces_add_up_to_the_call(gpt: Emulator, route: str) -> None:
    model = model_on(gpt, route).bind_tools([Lookup])
    invoked = model.invoke("Lookup the word 'serendipity'")
    merged = functools.reduce(operator.add, model.stream("Lookup the word 'serendipity'"))
    assert [call["args"] for call in merged.tool_calls] == [call["args"] for call in invoked.tool_calls]
    assert invoked.tool_calls[0]["args"] == {"word": "serendipity"}
    assert merged.tool_calls[0]["id"] == invoked.tool_calls[0]["id"]
    assert len(merged.tool_call_chunks) == 1  # the pieces merged into one call


def test_an_unknown_body_key_is_refused_in_openai_shape(gpt: Emulator) -> None:
    model = model_on(gpt, "azure-openai", model_extras={"top_k": 3})
    with pytest.raises(HttpResponseError) as caught:
        model.invoke("Hi")
    assert caught.value.status_code == 400
    assert "Unrecognized request argument supplied: top_k" in str(caught.value)
    assert "extra-parameters" not in {k.lower() for k in gpt.requests[-1].headers}


def test_the_agent_rules_answer_an_agent_to_its_end(gpt: Emulator) -> None:
    from langchain.agents import create_agent
    from langchain_core.tools import tool

    @tool
    def lookup(word: str) -> str:
        """Look a word up in the dictionary."""
        return f"{word}: a happy accident"

    model: ChatAzureMultimodal = model_on(gpt, "azure-openai")
    state = create_agent(model=model, tools=[lookup]).invoke(
        {"messages": [{"role": "user", "content": "Please look up the word 'serendipity' for me."}]}
    )
    calls = [m.tool_calls[0] for m in state["messages"] if getattr(m, "tool_calls", None)]
    assert [(c["name"], c["args"]) for c in calls] == [("lookup", {"word": "serendipity"})]
    assert "serendipity: a happy accident" in state["messages"][-1].text
