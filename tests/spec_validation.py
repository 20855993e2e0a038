"""Validate Azure AI Model Inference JSON bodies against the published OpenAPI (Swagger 2.0) spec.

Tests use this to check that what we send to ``POST .../chat/completions`` (definition ``ChatCompletionsOptions``)
and what the emulator answers (``ChatCompletions``, ``StreamingChatCompletionsUpdate``, ``ModelInfo``,
``Azure.Core.Foundations.ErrorResponse``) match the service contract, rather than our own idea of it.

The Swagger definitions are translated once per spec file into one JSON Schema (draft 7) document and checked by
``jsonschema``: Swagger-only keywords are dropped, ``x-nullable`` becomes a ``null`` alternative, and Swagger's
discriminated polymorphism (a base with ``discriminator`` and subtypes that ``allOf`` it with
``x-ms-discriminator-value``) becomes an if/then dispatch on the discriminator value.

Overrides: the published spec contradicts its own examples, the SDK and the service in a few places, listed in
NOTES.md beside the spec. There we follow the examples, each as an explicit override in ``_apply_overrides``, so
that "what the spec says" and "what we accept" stay distinguishable in review.
"""

from __future__ import annotations

import copy
import json
import os
import pathlib
import re
from typing import Any

from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match

SPEC_ENV_VAR = "AZURE_AI_INFERENCE_SPEC"
SPEC_FILENAME = "openapi-2025-05-01.json"

_REF = "#/definitions/"
# Name of the "base fields only" copy of a discriminated base; subtypes allOf this one, not the dispatcher,
# otherwise base -> subtype -> base would recurse forever.
_FIELDS = "__fields"
_SWAGGER_ONLY = {"discriminator", "readOnly", "format", "example", "externalDocs"}
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_\-]*\Z")
_MAX_MESSAGE = 300
# Translating and compiling once per spec file matters: suites validate thousands of bodies.
_CACHE: dict[tuple[type[SpecValidator], pathlib.Path], SpecValidator] = {}

Schema = dict[str, Any]
# base definition -> (discriminator property, {discriminator value: subtype definition})
Polymorphism = dict[str, tuple[str, dict[str, str]]]


class SpecViolation(AssertionError):  # noqa: N818 - name is the public API other tests import
    """A body does not conform to a definition of the spec."""


def default_spec_path() -> pathlib.Path:
    """The spec file named by ``$AZURE_AI_INFERENCE_SPEC`` (file or directory), else the shared checkout's copy."""
    env = os.environ.get(SPEC_ENV_VAR)
    if env:
        path = pathlib.Path(env).expanduser()
        return path / SPEC_FILENAME if path.is_dir() else path
    repo_root = pathlib.Path(__file__).resolve().parents[1]
    return repo_root.parent / "shared" / "spec" / "azure-ai-model-inference" / SPEC_FILENAME


def _nullable(schema: Schema) -> Schema:
    # A bare "type" can simply gain "null"; with a $ref its siblings are ignored in draft 7, so wrap instead.
    if "$ref" in schema or "type" not in schema:
        return {"anyOf": [schema, {"type": "null"}]}
    types = schema["type"] if isinstance(schema["type"], list) else [schema["type"]]
    out = {**schema, "type": [*types, "null"]}
    if "enum" in out:
        out["enum"] = [*out["enum"], None]
    return out


def _translate(node: Schema) -> Schema:
    """One Swagger schema -> JSON Schema. Walks only schema positions: property *names* such as ``format`` stay."""
    out: Schema = {}
    for key, value in node.items():
        if key.startswith("x-") or key in _SWAGGER_ONLY:
            continue
        if key == "properties":
            out[key] = {name: _translate(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not") and isinstance(value, dict):
            out[key] = _translate(value)
        elif key in ("allOf", "anyOf", "oneOf"):
            out[key] = [_translate(sub) for sub in value]
        else:
            out[key] = value
    return _nullable(out) if node.get("x-nullable") is True else out


def _find_polymorphism(spec_defs: dict[str, Schema]) -> Polymorphism:
    poly: Polymorphism = {name: (d["discriminator"], {}) for name, d in spec_defs.items() if "discriminator" in d}
    for name, d in spec_defs.items():
        for part in d.get("allOf", []):
            base = str(part.get("$ref", "")).removeprefix(_REF)
            if base in poly:
                # Swagger 2.0: without x-ms-discriminator-value the value is the definition's own name.
                poly[base][1][d.get("x-ms-discriminator-value", name)] = name
    return poly


def _apply_overrides(defs: dict[str, Schema], poly: Polymorphism) -> None:
    # NOTES.md: the spec puts `format` on the item and has no `input_audio`; its own AudioModality example, the SDK
    # (AudioContentItem) and the service use {"type": "input_audio", "input_audio": {"data": ..., "format": ...}}.
    item = defs["ChatMessageInputAudioContentItem"]
    item["properties"] = {"input_audio": {"$ref": _REF + "ChatMessageInputAudio"}}
    item["required"] = ["input_audio"]

    # NOTES.md: typed as a string, but the AudioModality example sends "content": null beside `audio`, and
    # OpenAI-style clients send null beside `tool_calls`.
    assistant = defs["ChatRequestAssistantMessage"]["properties"]
    assistant["content"] = _nullable(assistant["content"])

    # NOTES.md: ChatRole lists `developer` but no request-message subtype carries it; it is shaped like `system`.
    defs["ChatRequestDeveloperMessage"] = copy.deepcopy(defs["ChatRequestSystemMessage"])
    poly["ChatRequestMessage"][1]["developer"] = "ChatRequestDeveloperMessage"

    # NOTES.md: the spec gives user `content` no schema. It is a string or a non-empty list of content items.
    # One schema, not anyOf: minItems/items only bite on arrays, and errors then point into the offending item.
    defs["ChatRequestUserMessage"]["properties"]["content"] = {
        "type": ["string", "array"],
        "minItems": 1,
        "items": {"$ref": _REF + "ChatMessageContentItem"},
    }

    # Not in NOTES.md: the spec requires `id` and a whole `function` (name and arguments) in every streamed tool-call
    # update, but the service streams a call in pieces: the id and name once, then the arguments in fragments (the
    # .NET SDK's StreamingFunctionToolCallUpdate: the name "will appear in a single streaming update payload,
    # typically the first"; the arguments "must be accumulated"). Only the fragments' shape is loosened.
    update = defs["StreamingChatResponseToolCallUpdate"]
    update["required"] = []
    update["properties"]["function"] = {
        "type": "object",
        "properties": {"name": {"type": "string"}, "arguments": {"type": "string"}},
        "required": ["arguments"],
    }

    # NOTES.md: `stop` must not be an empty list. The spec says so already; pinned so a spec update can't relax it.
    defs["ChatCompletionsOptions"]["properties"]["stop"]["minItems"] = 1

    # Not in NOTES.md: `tool_choice` has no schema in the spec at all. We accept what the SDK sends: a preset string
    # ("auto", "none", "required") or a named-function object. Dispatch on the JSON type rather than anyOf, so an
    # error names the actual problem instead of "not valid under any of the given schemas".
    defs["ChatCompletionsOptions"]["properties"]["tool_choice"] = {
        "type": ["string", "object"],
        "allOf": [
            {"if": {"type": "string"}, "then": {"$ref": _REF + "ChatCompletionsToolChoicePreset"}},
            {"if": {"type": "object"}, "then": {"$ref": _REF + "ChatCompletionsNamedToolChoice"}},
        ],
    }

    # Not in NOTES.md: the spec's own response examples send "tool_calls": null (AudioModality) and
    # "reasoning_content": null (MaximumSet) in ChatResponseMessage, where the spec types them non-nullable.
    response = defs["ChatResponseMessage"]["properties"]
    for name in ("tool_calls", "reasoning_content"):
        response[name] = _nullable(response[name])


def _install_dispatch(defs: dict[str, Schema], poly: Polymorphism) -> None:
    for base, (field, subtypes) in poly.items():
        for value, sub in subtypes.items():
            # Pins the value when a subtype is validated directly, not only through its base.
            defs[sub].setdefault("allOf", []).append({"properties": {field: {"const": value}}})
        defs[base] = {
            "type": "object",
            "required": [field],
            # The enum turns an unknown value into one clear error at the discriminator's own path.
            "properties": {field: {"enum": list(subtypes)}},
            "allOf": [
                {
                    "if": {"type": "object", "required": [field], "properties": {field: {"const": value}}},
                    "then": {"$ref": _REF + sub},
                }
                for value, sub in subtypes.items()
            ],
        }


def translate(spec: Schema) -> dict[str, Schema]:
    """All definitions of a Swagger 2.0 document as JSON Schema definitions, overrides and dispatch included."""
    spec_defs: dict[str, Schema] = spec["definitions"]
    defs = {name: _translate(d) for name, d in spec_defs.items()}
    poly = _find_polymorphism(spec_defs)
    for base, (_, subtypes) in poly.items():
        defs[base + _FIELDS] = defs.pop(base)
        for sub in subtypes.values():
            for part in defs[sub].get("allOf", []):
                if part.get("$ref") == _REF + base:
                    part["$ref"] = _REF + base + _FIELDS
    _apply_overrides(defs, poly)
    _install_dispatch(defs, poly)
    return defs


def _format_path(path: Any) -> str:
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        elif _IDENT.match(part):
            out += f".{part}" if out else part
        else:
            out += f"[{json.dumps(part)}]"
    return out or "$"


class SpecValidator:
    """Validates JSON bodies against definitions of one spec file. Get instances via ``from_path`` (cached)."""

    def __init__(self, spec: Schema, source: str = "<spec>") -> None:
        self.source = source
        try:
            self._definitions = translate(spec)
        except KeyError as missing:  # the overrides name 2025-05-01 definitions; other versions lack some
            raise ValueError(f"{source}: no definition {missing} that the NOTES.md overrides expect") from None
        self._root: Schema = {"definitions": self._definitions}
        Draft7Validator.check_schema(self._root)  # a translation bug should fail here, not as odd errors later
        self._validators: dict[str, Draft7Validator] = {}

    @classmethod
    def from_path(cls, path: str | os.PathLike[str]) -> SpecValidator:
        """Spec file, or the directory holding ``openapi-2025-05-01.json``. Translated once per resolved path."""
        spec_file = pathlib.Path(path).expanduser()
        if spec_file.is_dir():
            spec_file = spec_file / SPEC_FILENAME
        if not spec_file.is_file():
            raise FileNotFoundError(
                f"Azure AI Model Inference OpenAPI spec not found at {spec_file}; "
                f"set {SPEC_ENV_VAR} to the spec file or to the directory holding {SPEC_FILENAME}"
            )
        key = (cls, spec_file.resolve())
        if key not in _CACHE:
            with key[1].open(encoding="utf-8") as f:
                _CACHE[key] = cls(json.load(f), source=str(key[1]))
        return _CACHE[key]

    @property
    def definitions(self) -> list[str]:
        return sorted(self._definitions)

    def _validator(self, definition: str) -> Draft7Validator:
        validator = self._validators.get(definition)
        if validator is None:
            if definition not in self._definitions:
                raise KeyError(f"no definition {definition!r} in {self.source}")
            validator = Draft7Validator({**self._root, "allOf": [{"$ref": _REF + definition}]})
            self._validators[definition] = validator
        return validator

    def errors(self, definition: str, instance: Any) -> list[str]:
        """Human-readable violations, each prefixed by the JSON path of the offending value; [] if valid."""
        out: list[str] = []
        for error in self._validator(definition).iter_errors(instance):
            # Only anyOf/oneOf errors carry a context; descend to the most relevant branch for a useful message.
            leaf = best_match([error])
            message = leaf.message if len(leaf.message) <= _MAX_MESSAGE else leaf.message[:_MAX_MESSAGE] + "..."
            out.append(f"{_format_path(leaf.absolute_path)}: {message}")
        return list(dict.fromkeys(out))

    def validate(self, definition: str, instance: Any) -> None:
        errors = self.errors(definition, instance)
        if errors:
            listing = "\n".join(f"  - {e}" for e in errors)
            raise SpecViolation(f"{len(errors)} violation(s) of spec definition {definition!r}:\n{listing}")

    def validate_chat_request(self, body: dict[str, Any]) -> None:
        self.validate("ChatCompletionsOptions", body)
