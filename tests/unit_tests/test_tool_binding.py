from __future__ import annotations

import pytest
from pydantic import BaseModel, Field

from langchain_azure_multimodal._tool_binding import format_tool_choice, format_tools, json_schema_response_format


class GetWeather(BaseModel):
    """Weather for a city."""

    city: str = Field(description="the city")


@pytest.mark.parametrize(
    ("choice", "wire"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("any", "required"),
        ("required", "required"),
        (True, "required"),
        (None, None),
        (False, None),
        ("GetWeather", {"type": "function", "function": {"name": "GetWeather"}}),
        (
            {"type": "function", "function": {"name": "GetWeather"}},
            {"type": "function", "function": {"name": "GetWeather"}},
        ),
    ],
)
def test_tool_choice_forms(choice: object, wire: object) -> None:
    assert format_tool_choice(choice, ["GetWeather"]) == wire


def test_tool_choice_errors_name_the_problem() -> None:
    with pytest.raises(ValueError, match="names no bound tool"):
        format_tool_choice("get_time", ["GetWeather"])
    with pytest.raises(TypeError, match="tool_choice must be"):
        format_tool_choice(3, ["GetWeather"])


def test_tools_in_wire_shape() -> None:
    [tool] = format_tools([GetWeather])
    assert tool["type"] == "function"
    assert tool["function"]["name"] == "GetWeather"
    assert tool["function"]["parameters"]["required"] == ["city"]


def test_json_schema_response_format() -> None:
    response_format = json_schema_response_format(GetWeather, strict=True)
    assert response_format["type"] == "json_schema"
    definition = response_format["json_schema"]
    assert definition["name"] == "GetWeather"
    assert definition["strict"] is True
    assert definition["schema"]["properties"]["city"]["type"] == "string"
    assert (
        json_schema_response_format({"title": "my schema!", "type": "object"}, strict=None)["json_schema"]["name"]
        == "my_schema_"
    )
