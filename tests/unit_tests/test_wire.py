"""The emulator's typed wire models: valid spec examples parse, and every invalid body yields a path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from langchain_azure_multimodal.emulator import wire
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
@given(json_values)
def test_any_body_either_parses_or_yields_a_path_and_message(body: object) -> None:
    try:
        wire.parse_options(body)
    except wire.ValidationError as error:
        path, message = wire.describe_validation_error(body, error)
        assert path and message


def test_unknown_parameters_in_order() -> None:
    body = {"messages": [], "zeta": 1, "temperature": 0, "alpha": 2}
    assert wire.unknown_parameters(body) == ["zeta", "alpha"]
    assert wire.unknown_parameters({"stream_options": {}}, wire.SPEC_PARAMETERS | wire.OPENAI_PARAMETERS) == []
