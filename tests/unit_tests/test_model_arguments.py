"""Nothing the user passes is lost: constructor and call arguments, aliases, the OpenAI-protocol parameters per
route, several answers, log probabilities, empty tool lists, profiles, offline token counts and callbacks. Driven
through the model's seam with a ``MockWire`` (no sockets), so each assertion is on the request the service gets."""

from __future__ import annotations

import asyncio
import warnings
from typing import Any

import pytest
from langchain_core.callbacks import BaseCallbackHandler
from langchain_core.exceptions import OutputParserException
from langchain_core.messages import HumanMessage
from langchain_core.outputs import LLMResult
from pydantic import BaseModel

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.testing import MockWire, WireCall, completion

V1 = "https://r.openai.azure.com/openai/v1"
AOAI_RESOURCE = "https://r.openai.azure.com"
FOUNDRY = "https://r.services.ai.azure.com/models"


def recorded(**answer: Any) -> MockWire:
    def handler(call: WireCall) -> Any:
        if call.kind == "model_info":
            return {
                "model_name": "Phi-4-multimodal-instruct",
                "model_type": "chat-completion",
                "model_provider_name": "x",
            }
        return answer.get("completion") or completion("OK")

    return MockWire(handler)


def sent(endpoint: str = V1, call: dict[str, Any] | None = None, **fields: Any) -> WireCall:
    wire = recorded()
    model = ChatAzureMultimodal(endpoint=endpoint, wire=wire, **{"model": "gpt-4o", **fields})
    model.invoke("Hi", **(call or {}))
    return [c for c in wire.calls if c.kind == "complete"][-1]


# ---------------------------------------------------------------------------------------------- unknown arguments


@pytest.mark.parametrize(("typo", "meant"), [("temprature", "temperature"), ("max_token", "max_tokens"),
                                             ("stream_usge", "stream_usage")])  # fmt: skip
def test_a_typo_of_a_field_is_refused_naming_the_field(typo: str, meant: str) -> None:
    with pytest.raises(TypeError, match=f"unexpected keyword argument '{typo}'; did you mean '{meant}'"):
        ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=recorded(), **{typo: 1})


def test_another_unknown_keyword_becomes_a_model_extra_with_a_warning() -> None:
    with pytest.warns(UserWarning, match=r"top_k is not one of its arguments.*model_extras=\{'top_k': 3\}"):
        model = ChatAzureMultimodal(endpoint=FOUNDRY, model="mistral-large-2411", wire=recorded(), top_k=3)
    assert model.model_extras == {"top_k": 3}
    model.invoke("Hi")
    call = model.wire.calls[-1]  # type: ignore[union-attr]
    assert call.body["top_k"] == 3 and call.headers == {"extra-parameters": "pass-through"}


def test_model_kwargs_is_model_extras() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: it is a known name
        model = ChatAzureMultimodal(endpoint=FOUNDRY, model="x", wire=recorded(), model_kwargs={"safe_prompt": True})
    assert model.model_extras == {"safe_prompt": True}


def test_an_unknown_call_keyword_says_how_to_send_it() -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=recorded())
    with pytest.raises(TypeError, match=r"'top_k'; to send a model-specific parameter, pass model_extras=\{'top_k'"):
        model.invoke("Hi", top_k=3)
    with pytest.raises(TypeError, match=r"'temprature' \(did you mean 'temperature'\?\)"):
        model.invoke("Hi", temprature=0.1)
    assert model.wire.calls == []  # type: ignore[union-attr]


# ---------------------------------------------------------------------------------------------- aliases and routes


@pytest.mark.parametrize("alias", ["base_url", "azure_endpoint"])
def test_endpoint_aliases(alias: str) -> None:
    model = ChatAzureMultimodal(**{alias: V1}, model="gpt-4o", wire=recorded())
    assert model.endpoint == V1 and model.endpoint_settings.kind.value == "openai-v1"


def test_azure_deployment_completes_a_resource_url_into_its_route() -> None:
    model = ChatAzureMultimodal(azure_endpoint=AOAI_RESOURCE, azure_deployment="gpt-4o", wire=recorded())
    assert model.endpoint_settings.endpoint == "https://r.openai.azure.com/openai/deployments/gpt-4o"
    assert model.endpoint_settings.kind.value == "azure-openai"


def test_azure_deployment_on_v1_is_the_model() -> None:
    model = ChatAzureMultimodal(endpoint=V1, azure_deployment="my-4o", wire=recorded())
    model.invoke("Hi")
    assert model.wire.calls[-1].body["model"] == "my-4o"  # type: ignore[union-attr]


def test_azure_deployment_that_contradicts_the_url_is_refused() -> None:
    with pytest.raises(ValueError, match="names another deployment than azure_deployment='gpt-4o'"):
        ChatAzureMultimodal(endpoint=f"{AOAI_RESOURCE}/openai/deployments/other", azure_deployment="gpt-4o")


@pytest.mark.parametrize(
    "setting",
    [{"max_completion_tokens": 50}, {"reasoning_effort": "low"}, {"n": 2}, {"logprobs": True, "top_logprobs": 2},
     {"modalities": ["text", "audio"], "audio": {"voice": "alloy", "format": "wav"}}],
)  # fmt: skip
@pytest.mark.parametrize("where", ["field", "call"])
def test_openai_parameters_reach_the_body(setting: dict[str, Any], where: str) -> None:
    # On the OpenAI-protocol routes they are body keys; no extra-parameters header is needed. Speech needs a model
    # that speaks (the profile is checked before sending).
    model = "gpt-4o-audio-preview" if "audio" in setting else "gpt-4o"
    call = sent(V1, call=setting if where == "call" else None, model=model, **(setting if where == "field" else {}))
    assert {key: call.body[key] for key in setting} == setting
    assert call.headers == {}


def test_openai_parameters_are_extras_on_the_model_inference_routes() -> None:
    call = sent(FOUNDRY, max_completion_tokens=50, reasoning_effort="low", modalities=["text"])
    assert call.body["max_completion_tokens"] == 50 and call.body["reasoning_effort"] == "low"
    assert call.body["modalities"] == ["text"]  # in the Model Inference API itself
    assert call.headers == {"extra-parameters": "pass-through"}  # without it the service refuses unknown keys


def test_new_fields_are_part_of_the_identity() -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=recorded(), reasoning_effort="high", n=2)
    assert model._identifying_params["reasoning_effort"] == "high" and model._identifying_params["n"] == 2


# ---------------------------------------------------------------------------------------------- answers


def test_n_answers_are_n_generations() -> None:
    answer = completion("one")
    answer["choices"].append({"index": 1, "finish_reason": "stop", "message": {"role": "assistant", "content": "two"}})
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", n=2, wire=recorded(completion=answer))
    result = model.generate([[HumanMessage("Hi")]])
    assert [g.text for g in result.generations[0]] == ["one", "two"]
    with pytest.raises(ValueError, match="n=2 asks for several answers, which a stream cannot carry"):
        list(model.stream("Hi"))


def test_logprobs_come_back_in_response_metadata() -> None:
    answer = completion("Hi")
    logprobs = {"content": [{"token": "Hi", "logprob": -0.1, "bytes": [72, 105], "top_logprobs": []}]}
    answer["choices"][0]["logprobs"] = logprobs
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", logprobs=True, wire=recorded(completion=answer))
    assert model.invoke("Hi").response_metadata["logprobs"] == logprobs


# ---------------------------------------------------------------------------------------------- tools


def test_an_empty_tool_list_sends_no_tools_key() -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=recorded())
    model.bind_tools([]).invoke("Hi")
    model.invoke("Hi", tools=[], tool_choice="auto")
    for call in model.wire.calls:  # type: ignore[union-attr]
        assert "tools" not in call.body and "tool_choice" not in call.body  # the spec: tools has minItems 1


def test_a_forced_tool_choice_without_tools_is_refused() -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=recorded())
    with pytest.raises(ValueError, match="tool_choice='required' needs tools"):
        model.invoke("Hi", tools=[], tool_choice="required")


class Answer(BaseModel):
    text: str


def test_function_calling_without_the_tool_call_is_an_error_not_none() -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=recorded(completion=completion("Just text.")))
    with pytest.raises(OutputParserException, match=r"answered without calling the 'Answer' tool.*'Just text\.'"):
        model.with_structured_output(Answer, method="function_calling").invoke("Hi")
    raw = model.with_structured_output(Answer, method="function_calling", include_raw=True).invoke("Hi")
    assert raw["parsed"] is None and isinstance(raw["parsing_error"], OutputParserException)  # type: ignore[index]


# ---------------------------------------------------------------------------------------------- profiles, tokens


def test_a_given_profile_is_never_replaced_by_the_info_lookup() -> None:
    mine = {"max_input_tokens": 1234, "image_inputs": False}
    model = ChatAzureMultimodal(endpoint=FOUNDRY, wire=recorded(), profile=mine)  # no model: /info is asked
    model.invoke("Hi")
    assert [c.kind for c in model.wire.calls] == ["model_info", "complete"]  # type: ignore[union-attr]
    assert model.profile == mine
    unset = ChatAzureMultimodal(endpoint=FOUNDRY, wire=recorded())
    unset.invoke("Hi")
    assert unset.profile is not None and unset.profile.get("audio_inputs") is True  # looked up: Phi-4-multimodal


def test_text_tokens_are_counted_offline() -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=recorded())
    assert model.get_num_tokens("x" * 40) == 10  # four characters a token; no transformers, no download


# ---------------------------------------------------------------------------------------------- callbacks


class _Ends(BaseCallbackHandler):
    def __init__(self) -> None:
        self.outputs: list[dict[str, Any] | None] = []

    def on_llm_end(self, response: LLMResult, **kwargs: Any) -> None:
        self.outputs.append(response.llm_output)


@pytest.mark.parametrize("streaming", [False, True])
def test_on_llm_end_gets_usage_and_model_name(streaming: bool) -> None:
    def handler(call: WireCall) -> Any:
        if call.kind == "stream":
            usage = {"id": "s", "model": "gpt-4o", "choices": [],
                     "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4}}  # fmt: skip
            pieces = [{"id": "s", "model": "gpt-4o", "choices": [{"index": 0, "delta": {"content": "OK"},
                                                                  "finish_reason": "stop"}]}]  # fmt: skip
            return [*pieces, usage]
        return completion("OK", model="gpt-4o")

    ends = _Ends()
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", streaming=streaming, wire=MockWire(handler))
    model.invoke("Hi", config={"callbacks": [ends]})
    asyncio.run(model.ainvoke("Hi", config={"callbacks": [ends]}))
    for output in ends.outputs:
        assert output is not None and output["model_name"] == "gpt-4o"
        assert output["token_usage"]["total_tokens"] in (2, 4)


def test_a_tool_choice_object_must_be_the_spec_s_named_function() -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=recorded())

    def get_weather(city: str) -> str:
        """The weather in a city."""
        return "sunny"

    named = {"type": "function", "function": {"name": "get_weather"}}
    model.bind_tools([get_weather], tool_choice=named).invoke("Hi")
    assert model.wire.calls[-1].body["tool_choice"] == named  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="is not a tool choice the service takes"):
        model.bind_tools([get_weather], tool_choice={"type": "any"})
    with pytest.raises(ValueError, match="names no bound tool"):
        model.bind_tools([get_weather], tool_choice={"type": "function", "function": {"name": "other"}})


def test_create_agent_with_a_provider_strategy_and_no_tools_sends_no_tools_key() -> None:
    agents = pytest.importorskip("langchain.agents")
    structured = pytest.importorskip("langchain.agents.structured_output")
    wire = recorded(completion=completion('{"text": "hello"}'))
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=wire)
    agent = agents.create_agent(model, tools=[], response_format=structured.ProviderStrategy(Answer))
    result = agent.invoke({"messages": [{"role": "user", "content": "Say hello"}]})
    assert result["structured_response"] == Answer(text="hello")
    body = wire.calls[-1].body
    assert "tools" not in body and body["response_format"]["type"] == "json_schema"
