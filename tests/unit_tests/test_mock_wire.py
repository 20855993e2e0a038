"""The chat model through its seam's interface, with a ``MockWire`` in place of the Azure SDK (no sockets): every
call kind reaches the wire as the same request body, answers come back as messages, and ``wire=`` is exclusive
with the pipeline's settings."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from langchain_core.load import dumps
from langchain_core.messages import AIMessageChunk
from pydantic import SecretStr

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal._azure.interface import Wire
from langchain_azure_multimodal._azure.wire import ChatWire
from langchain_azure_multimodal.endpoints import resolve_endpoint
from langchain_azure_multimodal.testing import MockWire, WireCall, completion, stream_events

V1 = "https://r.openai.azure.com/openai/v1"
FOUNDRY = "https://r.services.ai.azure.com/models"


def answer(call: WireCall) -> Any:
    if call.kind == "stream":
        return stream_events("Hel", "lo")
    if call.kind == "model_info":
        return {"model_name": "Phi-4-multimodal-instruct", "model_type": "chat-completion", "model_provider_name": "x"}
    return completion("Hello")


def test_the_sdk_wire_and_the_mock_offer_the_same_interface() -> None:
    assert isinstance(ChatWire(resolve_endpoint(V1), SecretStr("k")), Wire)
    assert isinstance(MockWire(answer), Wire)


def test_every_call_kind_sends_the_same_body_and_reads_the_answer() -> None:
    wire = MockWire(answer)
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=wire, temperature=0.5)

    async def both_async() -> tuple[str, str]:
        text = (await model.ainvoke("Hi")).text
        streamed = "".join([chunk.text async for chunk in model.astream("Hi")])
        return text, streamed

    texts = [model.invoke("Hi").text, "".join(chunk.text for chunk in model.stream("Hi")), *asyncio.run(both_async())]
    assert texts == ["Hello", "Hello", "Hello", "Hello"]
    assert [call.kind for call in wire.calls] == ["complete", "stream", "complete", "stream"]
    plain = {"messages": [{"role": "user", "content": "Hi"}], "temperature": 0.5, "model": "gpt-4o"}
    streamed = {**plain, "stream": True, "stream_options": {"include_usage": True}}
    assert [call.body for call in wire.calls] == [plain, streamed, plain, streamed]


def test_stream_chunks_add_up_with_the_finish_reason() -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=MockWire(answer))
    chunks = list(model.stream("Hi"))
    total = chunks[0]
    for chunk in chunks[1:]:
        total += chunk
    assert isinstance(total, AIMessageChunk) and total.text == "Hello"
    assert total.response_metadata["finish_reason"] == "stop"


def test_an_unknown_model_looks_up_info_through_the_wire() -> None:
    wire = MockWire(answer)
    model = ChatAzureMultimodal(endpoint=FOUNDRY, wire=wire)
    model.invoke("Hi")
    assert [call.kind for call in wire.calls] == ["model_info", "complete"]
    assert model.profile is not None and model.profile.get("audio_inputs") is True  # Phi-4-multimodal's profile


def test_extra_parameters_reach_the_wire_as_a_header() -> None:
    wire = MockWire(answer)
    ChatAzureMultimodal(
        endpoint=FOUNDRY, model="mistral-large-2411", wire=wire, model_extras={"safe_prompt": True}
    ).invoke("Hi")
    (call,) = wire.calls
    assert call.body["safe_prompt"] is True and call.headers == {"extra-parameters": "pass-through"}


def test_the_handlers_errors_reach_the_caller() -> None:
    from azure.core.exceptions import HttpResponseError

    def refuse(call: WireCall) -> Any:
        raise HttpResponseError(message="(429) Too many requests")

    with pytest.raises(HttpResponseError, match="Too many requests"):
        ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=MockWire(refuse)).invoke("Hi")


@pytest.mark.parametrize(
    ("call", "returned", "expected"),
    [("invoke", [completion()], "must return a dict for a 'complete' call"), ("stream", completion(), "iterable")],
)
def test_a_handler_answer_of_the_wrong_shape_is_a_type_error(call: str, returned: Any, expected: str) -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=MockWire(lambda c: returned))
    with pytest.raises(TypeError, match=expected):
        list(model.stream("Hi")) if call == "stream" else model.invoke("Hi")


@pytest.mark.parametrize(
    "setting",
    [{"api_key": "k"}, {"client_kwargs": {"logging_enable": True}}, {"max_retries": 5}, {"timeout": 3.0}],
)
def test_pipeline_settings_beside_a_wire_are_refused(setting: dict[str, Any]) -> None:
    with pytest.raises(ValueError, match="configure the Azure SDK's pipeline, which wire= replaces"):
        ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=MockWire(answer), **setting)


def test_the_wire_is_closed_with_the_model_and_never_serialised() -> None:
    wire = MockWire(answer)
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=wire)
    assert "wire" not in repr(model) and "MockWire" not in dumps(model)
    model.invoke("Hi")
    model.close()
    asyncio.run(model.aclose())
    assert wire.closed == 2
