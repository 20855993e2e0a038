"""Minimal JSON values that satisfy a JSON schema, for the emulator's tool calls and structured answers.

"Minimal" means: only required properties, the shortest strings and arrays the schema allows, the first enum
value, and the lowest number in range. It covers what tool and response schemas use (pydantic's and LangChain's
generated schemas included): ``$ref`` to ``$defs``/``definitions``, ``allOf``/``anyOf``/``oneOf``, ``enum``,
``const``, ``type`` lists and the common string formats.
"""

from __future__ import annotations

import math
from typing import Any

_FORMAT_EXAMPLES = {
    "date": "2024-01-01",
    "date-time": "2024-01-01T00:00:00Z",
    "time": "00:00:00",
    "email": "a@example.com",
    "uri": "https://example.com",
    "url": "https://example.com",
    "uuid": "00000000-0000-0000-0000-000000000000",
    "ipv4": "127.0.0.1",
}
_TYPE_PREFERENCE = ("object", "string", "integer", "number", "boolean", "array", "null")
_MAX_DEPTH = 32


def minimal_instance(schema: Any) -> Any:
    """A small value valid against ``schema``.

    Example:
        >>> minimal_instance({"type": "object", "properties": {"n": {"type": "integer", "minimum": 3}},
        ...                   "required": ["n"]})
        {'n': 3}
    """
    return _instance(schema, schema, 0)


def _resolve(root: Any, ref: str) -> Any:
    node = root
    for part in ref.lstrip("#/").split("/"):
        node = node[part.replace("~1", "/").replace("~0", "~")]
    return node


def _instance(schema: Any, root: Any, depth: int) -> Any:
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if "$ref" in schema:
        return _instance(_resolve(root, schema["$ref"]), root, depth + 1)
    if "const" in schema:
        return schema["const"]
    if schema.get("enum"):
        return schema["enum"][0]
    if "allOf" in schema:
        merged: dict[str, Any] = {k: v for k, v in schema.items() if k != "allOf"}
        for part in schema["allOf"]:
            part = _resolve(root, part["$ref"]) if "$ref" in part else part
            for key, value in part.items():
                if key in ("properties",):
                    merged.setdefault(key, {}).update(value)
                elif key == "required":
                    merged[key] = [*merged.get(key, []), *value]
                else:
                    merged.setdefault(key, value)
        return _instance(merged, root, depth + 1)
    for key in ("anyOf", "oneOf"):
        if schema.get(key):
            options = schema[key]
            chosen = next((o for o in options if o.get("type") != "null"), options[0])
            return _instance(chosen, root, depth + 1)
    return _typed(schema, _schema_type(schema), root, depth)


def _schema_type(schema: dict[str, Any]) -> str:
    declared = schema.get("type")
    if isinstance(declared, list):
        return next((t for t in _TYPE_PREFERENCE if t in declared), "null")
    if isinstance(declared, str):
        return declared
    if "properties" in schema or "required" in schema:
        return "object"
    if "items" in schema:
        return "array"
    return "object"


def _typed(schema: dict[str, Any], kind: str, root: Any, depth: int) -> Any:
    if kind == "object":
        properties = schema.get("properties") or {}
        return {name: _instance(properties.get(name, {}), root, depth + 1) for name in schema.get("required", [])}
    if kind == "array":
        count = int(schema.get("minItems", 0))
        item = _instance(schema.get("items", {}), root, depth + 1)
        return [item] * count
    if kind == "string":
        text = _FORMAT_EXAMPLES.get(schema.get("format", ""), "")
        if len(text) < int(schema.get("minLength", 0)):
            text = text + "a" * (int(schema["minLength"]) - len(text))
        return text
    if kind in ("integer", "number"):
        return _number(schema, integer=kind == "integer")
    if kind == "boolean":
        return False
    return None


def _number(schema: dict[str, Any], *, integer: bool) -> int | float:
    low = schema.get("minimum")
    exclusive = schema.get("exclusiveMinimum")
    if isinstance(exclusive, (int, float)) and not isinstance(exclusive, bool):
        low = exclusive + (1 if integer else 1e-9) if low is None or exclusive >= low else low
    elif exclusive is True and low is not None:
        low = low + (1 if integer else 1e-9)
    high = schema.get("maximum")
    value: float = 0 if low is None else low
    if high is not None and value > high:
        value = high
    step = schema.get("multipleOf")
    if step:
        value = math.ceil(value / step) * step
    return math.ceil(value) if integer else value
