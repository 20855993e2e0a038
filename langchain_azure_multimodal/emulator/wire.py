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

from ..profiles import AudioFormat, ImageDetail

__all__ = [
    "ChatCompletionsOptions",
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


class ChatCompletionsOptions(_Wire):
    """The body of ``POST /chat/completions`` (spec definition ``ChatCompletionsOptions``)."""

    messages: Annotated[list[RequestMessage], Field(min_length=1)]
    frequency_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    presence_penalty: Annotated[float, Field(ge=-2, le=2)] | None = None
    stream: bool | None = None
    temperature: Annotated[float, Field(ge=0, le=1)] | None = None
    top_p: Annotated[float, Field(ge=0, le=1)] | None = None
    max_tokens: Annotated[int, Field(ge=0, le=2**31 - 1)] | None = None
    response_format: ResponseFormat | None = None
    stop: Annotated[list[str], Field(min_length=1)] | None = None
    tools: Annotated[list[ToolDefinition], Field(min_length=1)] | None = None
    tool_choice: (
        Annotated[
            Annotated[Literal["auto", "none", "required"], Tag("preset")] | Annotated[NamedToolChoice, Tag("named")],
            Discriminator(lambda value: "preset" if isinstance(value, str) else "named"),
        ]
        | None
    ) = None
    seed: int | None = None
    model: str | None = None
    modalities: list[Literal["text", "audio"]] | None = None
    user_security_context: UserSecurityContext | None = None


#: Body keys of the spec's ``ChatCompletionsOptions``; anything else at the top level is an extra parameter.
SPEC_PARAMETERS: frozenset[str] = frozenset(ChatCompletionsOptions.model_fields) | {"response_format"}

#: Parameters the OpenAI chat API defines beyond the spec. Azure OpenAI routes know them natively.
OPENAI_PARAMETERS: frozenset[str] = frozenset(
    {
        "stream_options",
        "max_completion_tokens",
        "n",
        "logprobs",
        "top_logprobs",
        "logit_bias",
        "user",
        "parallel_tool_calls",
        "reasoning_effort",
        "store",
        "metadata",
        "prediction",
        "audio",
        "service_level",
        "service_tier",
        "verbosity",
    }
)

_OPTIONS = TypeAdapter(ChatCompletionsOptions)


def parse_options(body: Any) -> ChatCompletionsOptions:
    """Parse a decoded JSON body; raises :class:`pydantic.ValidationError`."""
    return _OPTIONS.validate_python(body)


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
