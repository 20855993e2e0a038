"""Tests for tests/spec_validation.py, the validator of bodies against the Azure AI Model Inference OpenAPI spec."""

from __future__ import annotations

import copy
import json
import pathlib
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.spec_validation import SPEC_ENV_VAR, SpecValidator, SpecViolation, default_spec_path

SPEC_FILE = default_spec_path()
if not SPEC_FILE.is_file():
    pytest.skip(
        f"Azure AI Model Inference spec not found at {SPEC_FILE} (set {SPEC_ENV_VAR} to point at it)",
        allow_module_level=True,
    )

EXAMPLES = sorted((SPEC_FILE.parent / "examples").glob("*.json"))
RESPONSE_DEFINITIONS = {"GetChatCompletions": "ChatCompletions", "GetModelInfo": "ModelInfo"}
IMAGE_DATA_URL = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNkYPhfDwAChwGA60e6kgAAAABJRU5ErkJggg=="
)


def _example(path: pathlib.Path) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))  # type: ignore[no-any-return]


def _user(content: Any) -> dict[str, Any]:
    return {"messages": [{"role": "user", "content": content}]}


@pytest.fixture(scope="module")
def validator() -> SpecValidator:
    return SpecValidator.from_path(SPEC_FILE)


# --- the spec's own examples ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "example",
    [p for p in EXAMPLES if "body" in _example(p)["parameters"]],
    ids=lambda p: p.stem,
)
def test_example_request_bodies_validate(validator: SpecValidator, example: pathlib.Path) -> None:
    validator.validate_chat_request(_example(example)["parameters"]["body"])


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_example_response_bodies_validate(validator: SpecValidator, example: pathlib.Path) -> None:
    data = _example(example)
    validator.validate(RESPONSE_DEFINITIONS[data["operationId"]], data["responses"]["200"]["body"])


def test_examples_present() -> None:
    names = {p.stem for p in EXAMPLES}
    assert {"GetChatCompletions_AudioModality_Gen", "GetChatCompletions_MaximumSet_Gen"} <= names


def test_input_audio_shape_as_literally_published_is_rejected(validator: SpecValidator) -> None:
    # Override 1: the spec's own definition puts `format` on the item; the wire shape nests it under input_audio.
    errors = validator.errors("ChatCompletionsOptions", _user([{"type": "input_audio", "format": "wav"}]))
    assert any(e.startswith("messages[0].content[0]: 'input_audio' is a required property") for e in errors), errors


# --- valid bodies ---------------------------------------------------------------------------------------------------

VALID_BODIES: dict[str, dict[str, Any]] = {
    "text_only": _user("Hello"),
    "multimodal_user_content": _user(
        [
            {"type": "text", "text": "Describe the image and the audio."},
            {"type": "image_url", "image_url": {"url": IMAGE_DATA_URL, "detail": "high"}},
            {"type": "input_audio", "input_audio": {"data": "UklGRiQAAABXQVZF", "format": "wav"}},
            {"type": "audio_url", "audio_url": {"url": "https://example.com/a.mp3"}},
        ]
    ),
    "all_roles": {
        "messages": [
            {"role": "system", "content": "Be brief."},
            {"role": "developer", "content": "Answer in English."},
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "weather", "arguments": '{"c":"Paris"}'}}
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "18C, sunny"},
            {"role": "assistant", "content": "18C and sunny."},
        ]
    },
    "tools_tool_choice_required": {
        **_user("Weather?"),
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "weather",
                    "description": "Get the weather",
                    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
                },
            }
        ],
        "tool_choice": "required",
    },
    "tools_tool_choice_named": {
        **_user("Weather?"),
        "tools": [{"type": "function", "function": {"name": "weather"}}],
        "tool_choice": {"type": "function", "function": {"name": "weather"}},
    },
    "response_format_json_schema": {
        **_user("Give me a person."),
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "person", "schema": {"type": "object"}, "strict": True},
        },
    },
    "response_format_json_object": {**_user("JSON please"), "response_format": {"type": "json_object"}},
    "model_extras_at_top_level": {
        **_user("Hi"),
        "stream": True,
        "stream_options": {"include_usage": True},
        "logprobs": True,
        "temperature": 1,
        "stop": ["END"],
    },
}


@pytest.mark.parametrize("body", VALID_BODIES.values(), ids=VALID_BODIES.keys())
def test_valid_bodies(validator: SpecValidator, body: dict[str, Any]) -> None:
    assert validator.errors("ChatCompletionsOptions", body) == []
    validator.validate_chat_request(body)


def test_response_definitions(validator: SpecValidator) -> None:
    chunk: dict[str, Any] = {
        "id": "c1",
        "object": "chat.completion",
        "created": 1,
        "model": "m",
        "choices": [{"index": 0, "finish_reason": None, "delta": {"role": "assistant", "content": "Hel"}}],
    }
    validator.validate("StreamingChatCompletionsUpdate", chunk)
    validator.validate("Azure.Core.Foundations.ErrorResponse", {"error": {"code": "Bad", "message": "no"}})
    assert validator.errors("Azure.Core.Foundations.ErrorResponse", {"error": {"code": "Bad"}}) == [
        "error: 'message' is a required property"
    ]
    bad_chunk = copy.deepcopy(chunk)
    bad_chunk["choices"][0]["finish_reason"] = "stopped"
    errors = validator.errors("StreamingChatCompletionsUpdate", bad_chunk)
    assert errors
    assert errors[0].startswith("choices[0].finish_reason: 'stopped' is not one of"), errors


# --- invalid bodies -------------------------------------------------------------------------------------------------

INVALID_BODIES: dict[str, tuple[dict[str, Any], str, str]] = {
    # name: (body, error path, substring of the message)
    "missing_messages": ({"model": "m"}, "$", "'messages' is a required property"),
    "empty_messages": ({"messages": []}, "messages", "non-empty"),
    "unknown_role": ({"messages": [{"role": "chat", "content": "x"}]}, "messages[0].role", "'chat' is not one of"),
    "unknown_content_item_type": (
        _user([{"type": "image", "image": IMAGE_DATA_URL}]),
        "messages[0].content[0].type",
        "'image' is not one of",
    ),
    "image_url_without_url": (
        _user([{"type": "image_url", "image_url": {"detail": "high"}}]),
        "messages[0].content[0].image_url",
        "'url' is a required property",
    ),
    "input_audio_ogg": (
        _user([{"type": "input_audio", "input_audio": {"data": "AAAA", "format": "ogg"}}]),
        "messages[0].content[0].input_audio.format",
        "'ogg' is not one of",
    ),
    "temperature_above_max": ({**_user("x"), "temperature": 1.5}, "temperature", "maximum of 1"),
    "empty_stop": ({**_user("x"), "stop": []}, "stop", "non-empty"),
    "tool_without_tool_call_id": (
        {"messages": [{"role": "tool", "content": "18C"}]},
        "messages[0]",
        "'tool_call_id' is a required property",
    ),
    "user_content_empty_list": (_user([]), "messages[0].content", "non-empty"),
    "response_format_xml": ({**_user("x"), "response_format": {"type": "xml"}}, "response_format.type", "'xml'"),
    "developer_without_content": ({"messages": [{"role": "developer"}]}, "messages[0]", "'content' is a required"),
    "system_content_null": ({"messages": [{"role": "system", "content": None}]}, "messages[0].content", "None"),
    "tool_choice_unknown_preset": ({**_user("x"), "tool_choice": "always"}, "tool_choice", "'always' is not one of"),
    "json_schema_without_schema": (
        {**_user("x"), "response_format": {"type": "json_schema", "json_schema": {"name": "p"}}},
        "response_format.json_schema",
        "'schema' is a required property",
    ),
}


@pytest.mark.parametrize(("body", "path", "fragment"), INVALID_BODIES.values(), ids=INVALID_BODIES.keys())
def test_invalid_bodies(validator: SpecValidator, body: dict[str, Any], path: str, fragment: str) -> None:
    errors = validator.errors("ChatCompletionsOptions", body)
    assert any(e.startswith(f"{path}: ") and fragment in e for e in errors), errors
    with pytest.raises(SpecViolation, match="ChatCompletionsOptions") as info:
        validator.validate_chat_request(body)
    assert isinstance(info.value, AssertionError)
    assert path in str(info.value)


def test_all_errors_are_reported(validator: SpecValidator) -> None:
    body = {**_user([{"type": "text"}]), "temperature": 1.5, "stop": []}
    errors = validator.errors("ChatCompletionsOptions", body)
    assert sorted(e.split(":")[0] for e in errors) == ["messages[0].content[0]", "stop", "temperature"], errors


# --- loading --------------------------------------------------------------------------------------------------------


def test_from_path_accepts_directory_and_is_cached() -> None:
    assert SpecValidator.from_path(SPEC_FILE.parent) is SpecValidator.from_path(str(SPEC_FILE))


def test_from_path_missing_file(tmp_path: pathlib.Path) -> None:
    with pytest.raises(FileNotFoundError, match=SPEC_ENV_VAR):
        SpecValidator.from_path(tmp_path)


def test_default_spec_path_env_var(monkeypatch: pytest.MonkeyPatch, tmp_path: pathlib.Path) -> None:
    monkeypatch.setenv(SPEC_ENV_VAR, str(tmp_path))
    assert default_spec_path() == tmp_path / "openapi-2025-05-01.json"
    monkeypatch.setenv(SPEC_ENV_VAR, str(SPEC_FILE))
    assert default_spec_path() == SPEC_FILE


def test_unknown_definition(validator: SpecValidator) -> None:
    with pytest.raises(KeyError, match="NoSuchThing"):
        validator.errors("NoSuchThing", {})


# --- robustness -----------------------------------------------------------------------------------------------------

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10),
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(
            st.sampled_from(["messages", "role", "content", "type", "text", "image_url", "url", "stop", "tool_choice"])
            | st.text(max_size=6),
            children,
            max_size=4,
        )
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])
@given(JSON_VALUES)
def test_errors_never_raise(value: Any) -> None:
    errors = SpecValidator.from_path(SPEC_FILE).errors("ChatCompletionsOptions", value)
    assert isinstance(errors, list)
    assert all(isinstance(e, str) and ": " in e for e in errors)


@settings(max_examples=100, deadline=None, database=None)
@given(st.sampled_from(["system", "developer", "user", "assistant", "tool"]), JSON_VALUES)
def test_errors_never_raise_inside_messages(role: str, content: Any) -> None:
    body = {"messages": [{"role": role, "content": content, "tool_call_id": "t"}]}
    assert isinstance(SpecValidator.from_path(SPEC_FILE).errors("ChatCompletionsOptions", body), list)
