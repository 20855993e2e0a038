"""The emulator's typed wire models: valid spec examples parse, and every invalid body yields a path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_azure_multimodal.emulator import wire
from langchain_azure_multimodal.protocols import OPENAI_PARAMETERS, RULES, Protocol
from tests.spec_validation import default_spec_path

EXAMPLES = default_spec_path().parent / "examples"


@pytest.mark.skipif(not EXAMPLES.is_dir(), reason=f"no spec examples at {EXAMPLES}")
@pytest.mark.parametrize(
    "name", ["GetChatCompletions_AudioModality_Gen.json", "GetChatCompletions_MaximumSet_Gen.json"]
)
def test_the_spec_examples_parse(name: str) -> None:
    body = json.loads(Path(EXAMPLES / name).read_text())["parameters"]["body"]
    options = wire.parse_options(body)
    assert options.messages


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False)
    | st.text(max_size=5)
    | st.sampled_from(["user", "system", "tool", "assistant", "text", "image_url", "input_audio", "audio_url"]),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(
                [
                    "messages",
                    "role",
                    "content",
                    "type",
                    "text",
                    "image_url",
                    "url",
                    "stop",
                    "tool_choice",
                    "tools",
                    "function",
                    "name",
                    "response_format",
                ]
            ),
            children,
            max_size=5,
        )
    ),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(json_values, st.sampled_from(list(Protocol)))
def test_any_body_either_parses_or_yields_a_path_and_message(body: object, protocol: Protocol) -> None:
    try:
        wire.parse_options(body, protocol)
    except wire.ValidationError as error:
        path, message = wire.describe_validation_error(body, error)
        assert path and message
        message, param, code = wire.describe_openai_validation_error(body, error)
        assert message and param and code


def test_unknown_parameters_in_order() -> None:
    body = {"messages": [], "zeta": 1, "temperature": 0, "alpha": 2}
    assert wire.unknown_parameters(body) == ["zeta", "alpha"]
    assert wire.unknown_parameters({"stream_options": {}}, wire.SPEC_PARAMETERS | OPENAI_PARAMETERS) == []


def test_the_openai_body_models_exactly_the_parameters_the_protocol_table_names() -> None:
    assert wire.OPENAI_MODELLED == OPENAI_PARAMETERS == RULES[Protocol.OPENAI].native_parameters


def test_the_body_models_take_their_ranges_from_the_protocol_table() -> None:
    message = {"messages": [{"role": "user", "content": "hi"}]}
    for protocol, rules in RULES.items():
        for name, (low, high) in rules.ranges.items():
            wire.parse_options({**message, name: high}, protocol)
            wire.parse_options({**message, name: low}, protocol)
            with pytest.raises(wire.ValidationError):
                wire.parse_options({**message, name: high + 1}, protocol)


def test_openai_errors_name_the_parameter_and_the_bound() -> None:
    body = {"messages": [{"role": "user", "content": "hi"}], "temperature": 2.5}
    with pytest.raises(wire.ValidationError) as caught:
        wire.parse_options(body, Protocol.OPENAI)
    assert wire.describe_openai_validation_error(body, caught.value) == (
        "Invalid 'temperature': decimal above max value. Expected a value <= 2, but got 2.5 instead.",
        "temperature",
        "decimal_above_max_value",
    )
    wire.parse_options({**body, "temperature": 1.5, "stop": "."}, Protocol.OPENAI)  # OpenAI's range; a lone stop
    with pytest.raises(wire.ValidationError):
        wire.parse_options({**body, "temperature": 0.5, "stop": "."})  # the spec's: a list only
