"""The client sends by its route's protocol (``protocols.RULES``): what goes in the body, what is an extra
parameter, and which values are refused before any network call (no socket here: a ``MockWire`` answers)."""

from __future__ import annotations

from typing import Any

import pytest

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.endpoints import ROUTES, EndpointKind, resolve_endpoint
from langchain_azure_multimodal.protocols import OPENAI_PARAMETERS, RULES, Protocol
from langchain_azure_multimodal.testing import MockWire, WireCall, completion

DEPLOYMENT = "https://r.openai.azure.com/openai/deployments/gpt-4o"
V1 = "https://r.openai.azure.com/openai/v1"
FOUNDRY = "https://r.services.ai.azure.com/models"


def _model(endpoint: str, **kwargs: Any) -> tuple[ChatAzureMultimodal, MockWire]:
    wire = MockWire(lambda call: completion("ok"))
    return ChatAzureMultimodal(endpoint=endpoint, model="gpt-4o", wire=wire, **kwargs), wire


def _sent(endpoint: str, **kwargs: Any) -> WireCall:
    model, wire = _model(endpoint)
    model.invoke("Hi", **kwargs)
    return wire.calls[-1]


def test_each_route_has_the_protocol_its_kind_speaks() -> None:
    assert {kind: route.protocol for kind, route in ROUTES.items()} == {
        EndpointKind.FOUNDRY: Protocol.MODEL_INFERENCE,
        EndpointKind.AZURE_OPENAI: Protocol.OPENAI,
        EndpointKind.OPENAI_V1: Protocol.OPENAI,
        EndpointKind.SERVERLESS: Protocol.MODEL_INFERENCE,
    }
    assert resolve_endpoint("https://models.github.ai/inference").protocol is Protocol.MODEL_INFERENCE
    assert resolve_endpoint("http://10.0.0.7:8000/v1").protocol is Protocol.OPENAI  # an OpenAI-compatible server


@pytest.mark.parametrize("endpoint", [DEPLOYMENT, V1])
def test_openai_routes_take_openai_parameters_in_the_body_and_their_wider_ranges(endpoint: str) -> None:
    call = _sent(endpoint, temperature=1.5, max_completion_tokens=7, n=2, logprobs=True, top_logprobs=3)
    assert {k: call.body[k] for k in ("temperature", "max_completion_tokens", "n", "logprobs", "top_logprobs")} == {
        "temperature": 1.5,
        "max_completion_tokens": 7,
        "n": 2,
        "logprobs": True,
        "top_logprobs": 3,
    }
    assert "extra-parameters" not in call.headers  # that header belongs to the Model Inference routes


def test_the_model_inference_route_sends_openai_parameters_as_extra_parameters() -> None:
    call = _sent(FOUNDRY, max_completion_tokens=7, temperature=0.5)
    assert call.body["max_completion_tokens"] == 7 and call.headers["extra-parameters"] == "pass-through"


@pytest.mark.parametrize(
    ("endpoint", "setting", "range_text"),
    [
        (FOUNDRY, {"temperature": 1.5}, "Model Inference routes take 0 to 1"),
        (DEPLOYMENT, {"temperature": 2.5}, "OpenAI routes take 0 to 2"),
        (V1, {"top_p": 1.1}, "OpenAI routes take 0 to 1"),
        (V1, {"top_logprobs": 21}, "OpenAI routes take 0 to 20"),
        (DEPLOYMENT, {"n": 0}, "OpenAI routes take 1 to 128"),
        (FOUNDRY, {"presence_penalty": -3}, "take -2 to 2"),
    ],
)
def test_a_value_out_of_its_routes_range_is_refused_before_the_network(
    endpoint: str, setting: dict[str, float], range_text: str
) -> None:
    as_field, wire = _model(endpoint, **setting)
    per_call, _ = _model(endpoint)
    for invoke in (lambda: as_field.invoke("Hi"), lambda: per_call.invoke("Hi", **setting)):
        with pytest.raises(ValueError, match=range_text) as caught:
            invoke()
        assert endpoint in str(caught.value)
    assert wire.calls == []


def test_openai_routes_refuse_both_token_limits_and_more_than_four_stops() -> None:
    model, wire = _model(DEPLOYMENT, max_tokens=5)
    with pytest.raises(ValueError, match="max_tokens and max_completion_tokens cannot both be sent"):
        model.invoke("Hi", max_completion_tokens=5)
    with pytest.raises(ValueError, match="5 stop sequences given; OpenAI routes take at most 4"):
        model.invoke("Hi", stop=list("abcde"))
    assert wire.calls == []
    assert _sent(FOUNDRY, max_tokens=5, max_completion_tokens=5).body["max_tokens"] == 5  # an extra parameter there
    assert _sent(FOUNDRY, stop=list("abcde")).body["stop"] == list("abcde")


def test_drop_cannot_work_where_there_is_no_extra_parameters_header() -> None:
    model, wire = _model(V1, extra_parameters="drop", model_extras={"custom": 1})
    with pytest.raises(ValueError, match="no extra-parameters header"):
        model.invoke("Hi")
    assert wire.calls == []
    foundry = _sent(FOUNDRY, extra_parameters="drop", model_extras={"custom": 1})
    assert foundry.headers["extra-parameters"] == "drop"


def test_the_table_is_what_the_openai_routes_know() -> None:
    rules = RULES[Protocol.OPENAI]
    assert rules.native_parameters == OPENAI_PARAMETERS and not RULES[Protocol.MODEL_INFERENCE].native_parameters
    assert rules.out_of_range("temperature", 2) is None and rules.out_of_range("temperature", True) is None
    assert rules.clash({"max_tokens": 1, "max_completion_tokens": None}) is None
