from __future__ import annotations

import datetime
import enum
from typing import Literal

import jsonschema
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from langchain_azure_multimodal.emulator.instances import minimal_instance


class Unit(enum.Enum):
    C = "celsius"
    F = "fahrenheit"


class Point(BaseModel):
    x: float = Field(gt=0)
    y: float


class Chart(BaseModel):
    title: str = Field(min_length=3)
    kind: Literal["bar", "line"]
    unit: Unit
    points: list[Point] = Field(min_length=2)
    day: datetime.date
    note: str | None = None
    scale: int = Field(ge=10, le=20, multiple_of=5)
    tags: list[str] = []


@pytest.mark.parametrize(
    "schema",
    [
        Chart.model_json_schema(),
        {
            "type": "object",
            "properties": {"a": {"anyOf": [{"type": "null"}, {"type": "string", "format": "email"}]}},
            "required": ["a"],
        },
        {
            "allOf": [
                {"type": "object", "properties": {"a": {"type": "integer", "exclusiveMinimum": 4}}, "required": ["a"]},
                {"properties": {"b": {"const": 7}}, "required": ["b"]},
            ]
        },
        {"type": ["null", "string"], "minLength": 2},
        {"type": "array", "items": {"type": "boolean"}, "minItems": 3},
        {"oneOf": [{"type": "number", "minimum": -3.5}]},
    ],
)
def test_minimal_instances_validate(schema: dict) -> None:
    jsonschema.validate(minimal_instance(schema), schema)


def test_only_required_properties_are_filled() -> None:
    assert minimal_instance(
        {"type": "object", "properties": {"a": {"type": "string"}, "b": {"type": "integer"}}, "required": ["b"]}
    ) == {"b": 0}


leaf = st.sampled_from(
    [
        {"type": "string"},
        {"type": "integer", "minimum": 3},
        {"type": "number", "maximum": -1},
        {"type": "boolean"},
        {"type": "null"},
        {"enum": ["x", 2]},
        {"const": [1]},
        {"type": "string", "minLength": 4, "format": "uuid"},
        {"type": "integer", "exclusiveMinimum": 0, "multipleOf": 3},
    ]
)


def objects(children: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    props = st.dictionaries(st.text("abcdef", min_size=1, max_size=4), children, max_size=4)
    return props.flatmap(
        lambda p: st.lists(st.sampled_from(sorted(p)) if p else st.nothing(), unique=True).map(
            lambda req: {"type": "object", "properties": p, "required": req}
        )
    )


schemas = st.recursive(
    leaf,
    lambda children: st.one_of(
        objects(children),
        st.builds(lambda item, n: {"type": "array", "items": item, "minItems": n}, children, st.integers(0, 3)),
        st.builds(lambda options: {"anyOf": options}, st.lists(children, min_size=1, max_size=3)),
    ),
    max_leaves=12,
)


@settings(max_examples=200, deadline=None)
@given(schemas)
def test_any_generated_schema_gets_a_valid_instance(schema: dict) -> None:
    jsonschema.validate(minimal_instance(schema), schema)
