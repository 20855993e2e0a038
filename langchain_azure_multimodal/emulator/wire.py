"""Typed models of the Azure AI Model Inference wire format, written from the 2025-05-01 OpenAPI spec.

Every request body the emulator takes is parsed into :class:`ChatCompletionsOptions` first, so an invalid body
is refused with the path of the offending field, as the service does. Where the spec contradicts its own
examples and the SDK (``shared/spec/.../NOTES.md``), the models follow the examples:

* ``input_audio`` items carry ``{"input_audio": {"data", "format"}}``, not a top-level ``format``;
* an assistant message may have ``"content": null`` (beside ``tool_calls`` or ``audio``);
* role ``developer`` is shaped like a system message;
* user ``content`` is a string or a non-empty list of content items.

Unknown keys inside nested objects are ignored, as the service ignores them; unknown keys at the top level are
"extra parameters", which :func:`unknown_parameters` reports so the ``extra-parameters`` header can decide.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, TypeAdapter, ValidationError

from ..profiles import AudioFormat, AudioOutputFormat, ImageDetail
from ..protocols import RULES, Protocol

__all__ = [
    "ChatCompletionsOptions",
    "OpenAIChatCompletionsOptions",
    "RequestMessage",
    "ValidationError",
    "describe_validation_error",
    "unknown_parameters",
]


class _Wire(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TextItem(_Wire):
    type: Literal["text"]
    text: str


class ImageUrl(_Wire):
    url: str
    detail: ImageDetail | None = None


class ImageItem(_Wire):
    type: Literal["image_url"]
    image_url: ImageUrl


class InputAudio(_Wire):
    data: str
    format: AudioFormat


class InputAudioItem(_Wire):
    type: Literal["input_audio"]
    input_audio: InputAudio


class AudioUrl(_Wire):
    url: str


class AudioUrlItem(_Wire):
    type: Literal["audio_url"]
    audio_url: AudioUrl


ContentItem = Annotated[TextItem | ImageItem | InputAudioItem | AudioUrlItem, Field(discriminator="type")]


class FunctionCall(_Wire):
    name: str
    arguments: str


class ToolCall(_Wire):
    id: str
    type: Literal["function"]
    function: FunctionCall


class AudioReference(_Wire):
    id: str


class SystemMessage(_Wire):
    role: Literal["system", "developer"]
    content: str


def _text_or_parts(value: Any) -> str:
    return "text" if isinstance(value, str) else "parts"


class UserMessage(_Wire):
    role: Literal["user"]
    # A callable discriminator keeps errors to the branch the sender meant (a list), not "should be a string".
    content: Annotated[
        Annotated[str, Tag("text")] | Annotated[list[ContentItem], Field(min_length=1), Tag("parts")],
        Discriminator(_text_or_parts),
    ]


class AssistantMessage(_Wire):
    role: Literal["assistant"]
    content: str | None = None
    tool_calls: list[ToolCall] | None = None
    audio: AudioReference | None = None


class ToolMessage(_Wire):
    role: Literal["tool"]
    content: str | None = None
    tool_call_id: str


RequestMessage = Annotated[SystemMessage | UserMessage | AssistantMessage | ToolMessage, Field(discriminator="role")]


class FunctionDefinition(_Wire):
    name: str
    description: str | None = None
    parameters: dict[str, Any] | None = None


class ToolDefinition(_Wire):
    type: Literal["function"]
    function: FunctionDefinition


class NamedToolChoiceFunction(_Wire):
    name: str


class NamedToolChoice(_Wire):
    type: Literal["function"]
    function: NamedToolChoiceFunction


class ResponseFormatText(_Wire):
    type: Literal["text"]


class ResponseFormatJsonObject(_Wire):
    type: Literal["json_object"]


class JsonSchemaDefinition(_Wire):
    name: str
    schema_: dict[str, Any] = Field(alias="schema")
    description: str | None = None
    strict: bool | None = None


class ResponseFormatJsonSchema(_Wire):
    type: Literal["json_schema"]
    json_schema: JsonSchemaDefinition


ResponseFormat = Annotated[
    ResponseFormatText | ResponseFormatJsonObject | ResponseFormatJsonSchema, Field(discriminator="type")
]


class UserSecurityContext(_Wire):
    application_name: Annotated[str, Field(max_length=100)] | None = None
    end_user_id: str | None = None
    end_user_tenant_id: str | None = None
    source_ip: str | None = None


def _range(protocol: Protocol, name: str) -> Any:
    """``name``'s range on ``protocol``, as :data:`~..protocols.RULES` gives it."""
    low, high = RULES[protocol].ranges[name]
    return Field(ge=low, le=high)


_MI, _OPENAI = Protocol.MODEL_INFERENCE, Protocol.OPENAI
ToolChoice = Annotated[
    Annotated[Literal["auto", "none", "required"], Tag("preset")] | Annotated[NamedToolChoice, Tag("named")],
    Discriminator(lambda value: "preset" if isinstance(value, str) else "named"),
]


class ChatCompletionsOptions(_Wire):
    """The body of ``POST /chat/completions`` (spec definition ``ChatCompletionsOptions``)."""

    messages: Annotated[list[RequestMessage], Field(min_length=1)]
    frequency_penalty: Annotated[float, _range(_MI, "frequency_penalty")] | None = None
    presence_penalty: Annotated[float, _range(_MI, "presence_penalty")] | None = None
    stream: bool | None = None
    temperature: Annotated[float, _range(_MI, "temperature")] | None = None
    top_p: Annotated[float, _range(_MI, "top_p")] | None = None
    max_tokens: Annotated[int, _range(_MI, "max_tokens")] | None = None
    response_format: ResponseFormat | None = None
    stop: Annotated[list[str], Field(min_length=1)] | None = None
    tools: Annotated[list[ToolDefinition], Field(min_length=1)] | None = None
    tool_choice: ToolChoice | None = None
    seed: int | None = None
    model: str | None = None
    modalities: list[Literal["text", "audio"]] | None = None
    user_security_context: UserSecurityContext | None = None

    @property
    def stop_sequences(self) -> list[str]:
        return list(self.stop or [])


class StreamOptions(_Wire):
    include_usage: bool | None = None


class AudioOutput(_Wire):
    voice: str
    format: AudioOutputFormat


class OpenAIChatCompletionsOptions(ChatCompletionsOptions):
    """The body as Azure OpenAI reads it (deployments, ``/openai/v1``): OpenAI's parameters and ranges.

    Azure OpenAI REST reference, chat completions: ``temperature`` 0 to 2; ``stop`` a string or up to 4 strings;
    ``n``; ``logprobs`` and ``top_logprobs`` (0 to 20); ``max_completion_tokens``; ``seed``; ``user``;
    ``parallel_tool_calls``; ``stream_options``; ``modalities`` and ``audio``.
    """

    temperature: Annotated[float, _range(_OPENAI, "temperature")] | None = None
    top_p: Annotated[float, _range(_OPENAI, "top_p")] | None = None
    frequency_penalty: Annotated[float, _range(_OPENAI, "frequency_penalty")] | None = None
    presence_penalty: Annotated[float, _range(_OPENAI, "presence_penalty")] | None = None
    max_tokens: Annotated[int, _range(_OPENAI, "max_tokens")] | None = None
    max_completion_tokens: Annotated[int, _range(_OPENAI, "max_completion_tokens")] | None = None
    n: Annotated[int, _range(_OPENAI, "n")] | None = None
    logprobs: bool | None = None
    top_logprobs: Annotated[int, _range(_OPENAI, "top_logprobs")] | None = None
    # Wider than the spec's: a lone string too.
    stop: str | Annotated[list[str], Field(min_length=1, max_length=RULES[_OPENAI].max_stop)] | None = None  # type: ignore[assignment]
    user: str | None = None
    parallel_tool_calls: bool | None = None
    stream_options: StreamOptions | None = None
    logit_bias: dict[str, Annotated[int, Field(ge=-100, le=100)]] | None = None
    reasoning_effort: Literal["minimal", "low", "medium", "high"] | None = None
    store: bool | None = None
    metadata: dict[str, str] | None = None
    prediction: dict[str, Any] | None = None
    audio: AudioOutput | None = None
    service_tier: str | None = None
    verbosity: Literal["low", "medium", "high"] | None = None

    @property
    def stop_sequences(self) -> list[str]:
        return [self.stop] if isinstance(self.stop, str) else list(self.stop or [])


#: Body keys of the spec's ``ChatCompletionsOptions``; anything else at the top level is an extra parameter.
SPEC_PARAMETERS: frozenset[str] = frozenset(ChatCompletionsOptions.model_fields) | {"response_format"}
#: The parameters the OpenAI routes model beyond the spec's (test_wire keeps them equal to the protocol table's).
OPENAI_MODELLED: frozenset[str] = frozenset(OpenAIChatCompletionsOptions.model_fields) - SPEC_PARAMETERS

_OPTIONS: dict[Protocol, TypeAdapter[ChatCompletionsOptions]] = {
    _MI: TypeAdapter(ChatCompletionsOptions),
    _OPENAI: TypeAdapter(OpenAIChatCompletionsOptions),
}


def parse_options(body: Any, protocol: Protocol = _MI) -> ChatCompletionsOptions:
    """Parse a decoded JSON body as ``protocol`` reads it; raises :class:`pydantic.ValidationError`."""
    return _OPTIONS[protocol].validate_python(body)


def unknown_parameters(body: dict[str, Any], known: frozenset[str] = SPEC_PARAMETERS) -> list[str]:
    """Top-level keys of ``body`` that the API does not define, in the order they were sent."""
    return [key for key in body if key not in known]


def _path(body: Any, loc: tuple[int | str, ...]) -> str:
    """Render a pydantic error location as a JSON path, dropping the union tags pydantic inserts.

    The location is walked alongside the body: a tag is a step that names the node's own ``role``/``type`` value
    before the field, or a branch label where the node is not an object.
    """
    out, node, tag_pending = "", body, True
    for position, part in enumerate(loc):
        if isinstance(part, int) and isinstance(node, list):
            out += f"[{part}]"
            node, tag_pending = (node[part] if part < len(node) else None), True
        elif isinstance(node, dict) and isinstance(part, str):
            if tag_pending and position < len(loc) - 1 and part in (node.get("role"), node.get("type")):
                tag_pending = False  # the discriminator value pydantic puts before the fields of a union member
            elif part in node or position == len(loc) - 1:
                out += f".{part}" if out else part
                node, tag_pending = node.get(part), True
        # any other step is a branch label (text/parts, preset/named), not a place in the body
    return out or "body"


def describe_validation_error(body: Any, error: ValidationError) -> tuple[str, str]:
    """The JSON path of the first offending field in ``body`` and a one-line explanation of what is wrong."""
    first = error.errors()[0]
    path = _path(body, tuple(first["loc"]))
    message = first["msg"]
    ctx = first.get("ctx") or {}
    if first["type"] == "union_tag_invalid":
        name = str(ctx.get("discriminator", "tag")).strip("'")
        message = f"unknown {name} {ctx.get('tag')!r}; expected one of {ctx.get('expected_tags')}"
    elif first["type"] == "union_tag_not_found":
        message = f"missing the discriminator {ctx.get('discriminator')}"
    return path, message


_OPENAI_CODES = {
    "less_than_equal": "above_max_value",
    "less_than": "above_max_value",
    "greater_than_equal": "below_min_value",
    "greater_than": "below_min_value",
    "too_long": "array_above_max_length",
    "too_short": "array_below_min_length",
}


def describe_openai_validation_error(body: Any, error: ValidationError) -> tuple[str, str, str]:
    """OpenAI's account of the first offending field: the message, the parameter's path and the error code.

    Azure OpenAI answers bad parameters as OpenAI does (chat completions reference, errors): ``"Invalid
    'temperature': decimal above maximum value. Expected a value <= 2, but got 2.5 instead."`` with
    ``param: "temperature"`` and ``code: "decimal_above_max_value"``.
    """
    first = error.errors()[0]
    path, problem = describe_validation_error(body, error)
    kind, ctx, value = first["type"], first.get("ctx") or {}, first.get("input")
    if first["type"] == "missing":
        return f"Missing required parameter: '{path}'.", path, "missing_required_parameter"
    suffix = _OPENAI_CODES.get(kind)
    if suffix and suffix.endswith("value"):
        noun = "integer" if isinstance(value, int) else "decimal"
        bound = next(iter(ctx.values()), "?")
        bound = f"{bound:g}" if isinstance(bound, int | float) else bound
        relation = "<=" if "above" in suffix else ">="
        expected = f"Expected a value {relation} {bound}, but got {value!r} instead."
        message = f"Invalid '{path}': {noun} {suffix.replace('_', ' ')}. {expected}"
        return message, path, f"{noun}_{suffix}"
    if suffix:
        return f"Invalid '{path}': {problem}.", path, suffix
    return f"Invalid value for '{path}': {problem}.", path, "invalid_value"
