"""Tool binding and structured output in the wire's terms (``tools``, ``tool_choice``, ``response_format``).

Pure helpers used by :class:`~langchain_azure_multimodal.ChatAzureMultimodal`'s ``bind_tools`` and
``with_structured_output``: what a request says about tools. The agent tools built on the chat model are in
:mod:`~langchain_azure_multimodal.tools`; the tool calls in an answer are read in ``_responses``.

Example:
    >>> format_tool_choice("any", ["get_weather"])
    'required'
    >>> format_tool_choice("get_weather", ["get_weather"])
    {'type': 'function', 'function': {'name': 'get_weather'}}
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from operator import itemgetter
from typing import Any, Literal

from langchain_core.exceptions import OutputParserException
from langchain_core.language_models import LanguageModelInput
from langchain_core.messages import AIMessage
from langchain_core.output_parsers import JsonOutputKeyToolsParser, JsonOutputParser, PydanticOutputParser
from langchain_core.output_parsers.openai_tools import PydanticToolsParser
from langchain_core.runnables import Runnable, RunnableLambda, RunnableMap, RunnablePassthrough
from langchain_core.tools import BaseTool
from langchain_core.utils.function_calling import convert_to_json_schema, convert_to_openai_tool
from langchain_core.utils.pydantic import is_basemodel_subclass

StructuredMethod = Literal["json_schema", "json_mode", "function_calling"]
ToolLike = dict[str, Any] | type | Callable[..., Any] | BaseTool
_NAME_RULE = re.compile(r"[^a-zA-Z0-9_-]")


def format_tools(tools: Sequence[ToolLike], *, strict: bool | None = None) -> list[dict[str, Any]]:
    """Tools in the wire's ``ChatCompletionsToolDefinition`` shape."""
    return [convert_to_openai_tool(tool, strict=strict) for tool in tools]


def format_tool_choice(choice: Any, tool_names: Sequence[str]) -> str | dict[str, Any] | None:
    """LangChain's ``tool_choice`` forms in the wire's terms: auto/none/required, or a named function.

    ``"any"`` and ``True`` mean "call some tool" (``required``); a tool's name forces that tool.
    """
    if choice is None or choice is False:
        return None
    if choice is True or choice == "any":
        return "required"
    if isinstance(choice, dict):
        # The spec's one object form: a named function. Anything else the service would refuse with a 400.
        function = choice.get("function")
        name = function.get("name") if isinstance(function, dict) else None
        if choice.get("type") != "function" or not isinstance(name, str) or set(choice) != {"type", "function"}:
            raise ValueError(
                f"tool_choice {choice!r} is not a tool choice the service takes: use auto, none, required, a tool "
                'name, or {"type": "function", "function": {"name": "<tool>"}}'
            )
        choice = name
    if not isinstance(choice, str):
        raise TypeError(f"tool_choice must be a str, bool or dict, not {type(choice).__name__}")
    if choice in ("auto", "none", "required") and choice not in tool_names:
        return choice
    if choice not in tool_names:
        known = ", ".join(tool_names) or "no tools are bound"
        raise ValueError(f"tool_choice {choice!r} names no bound tool ({known}); use auto, none, any or a tool name")
    return {"type": "function", "function": {"name": choice}}


def _schema_name(schema: dict[str, Any] | type) -> str:
    if isinstance(schema, dict):
        name = schema.get("title") or schema.get("name") or (schema.get("function") or {}).get("name") or "output"
    else:
        name = getattr(schema, "__name__", "output")
    return _NAME_RULE.sub("_", str(name))[:64]


def _strict_schema(schema: Any) -> Any:
    """A copy of a JSON schema in strict structured-output form: every object lists all its properties as
    required and has ``additionalProperties: false`` (the service refuses ``strict: true`` schemas without them).

    >>> _strict_schema({"type": "object", "properties": {"a": {"type": "object", "properties": {}}}})
    {'type': 'object', 'properties': {'a': {'type': 'object', 'properties': {}, 'additionalProperties': False}}, \
'required': ['a'], 'additionalProperties': False}
    """
    if not isinstance(schema, dict):
        return schema
    out = dict(schema)
    for key in ("properties", "$defs", "definitions"):  # name -> schema maps
        if isinstance(out.get(key), dict):
            out[key] = {name: _strict_schema(sub) for name, sub in out[key].items()}
    for key in ("anyOf", "allOf", "oneOf", "prefixItems"):  # lists of schemas
        if isinstance(out.get(key), list):
            out[key] = [_strict_schema(sub) for sub in out[key]]
    if isinstance(out.get("items"), dict):
        out["items"] = _strict_schema(out["items"])
    if isinstance(out.get("properties"), dict):
        if out["properties"]:
            out["required"] = list(out["properties"])
        out["additionalProperties"] = False
    elif out.get("type") == "object":
        out["additionalProperties"] = False
    return out


def json_schema_response_format(schema: dict[str, Any] | type, *, strict: bool | None) -> dict[str, Any]:
    """``response_format`` of type ``json_schema`` for a pydantic class, TypedDict or JSON schema."""
    json_schema = convert_to_json_schema(schema)
    if strict:
        json_schema = _strict_schema(json_schema)
    definition: dict[str, Any] = {"name": _schema_name(schema), "schema": json_schema}
    if json_schema.get("description"):
        definition["description"] = json_schema["description"]
    if strict is not None:
        definition["strict"] = strict
    return {"type": "json_schema", "json_schema": definition}


def _require_tool_call(name: str) -> Callable[[AIMessage], AIMessage]:
    """A check before the tools parser, which gives ``None`` for an answer with no call: that is no structured
    output, and is said so, with the answer's text (``include_raw=True`` puts it in ``parsing_error``)."""

    def check(message: AIMessage) -> AIMessage:
        calls = [*message.tool_calls, *message.invalid_tool_calls]
        if not any(call.get("name") == name for call in calls):
            raise OutputParserException(
                f"the model answered without calling the {name!r} tool, so there is no structured output; its answer "
                f"was {message.text[:200]!r}. Retry, or use method='json_schema' where the model supports it",
                llm_output=message.text,
            )
        return message

    return check


def structured_output(
    bind: Callable[..., Runnable[LanguageModelInput, AIMessage]],
    bind_tools: Callable[..., Runnable[LanguageModelInput, AIMessage]],
    schema: dict[str, Any] | type | None,
    *,
    method: StructuredMethod,
    include_raw: bool,
    strict: bool | None,
) -> Runnable[LanguageModelInput, Any]:
    """The runnable behind ``with_structured_output``: bound model, then a parser (and ``include_raw`` shape)."""
    is_pydantic = isinstance(schema, type) and is_basemodel_subclass(schema)
    parser: Runnable[Any, Any]
    if method == "function_calling":
        if schema is None:
            raise ValueError("method='function_calling' needs a schema")
        tool = convert_to_openai_tool(schema, strict=strict)
        name = tool["function"]["name"]
        llm = bind_tools(
            [schema],
            tool_choice=name,
            strict=strict,
            ls_structured_output_format={"kwargs": {"method": method, "strict": strict}, "schema": tool},
        )
        parser = RunnableLambda(_require_tool_call(name)) | (
            PydanticToolsParser(tools=[schema], first_tool_only=True)
            if is_pydantic
            else JsonOutputKeyToolsParser(key_name=name, first_tool_only=True)
        )
    elif method == "json_schema":
        if schema is None:
            raise ValueError("method='json_schema' needs a schema; use method='json_mode' for any JSON object")
        response_format = json_schema_response_format(schema, strict=strict)
        llm = bind(
            response_format=response_format,
            ls_structured_output_format={
                "kwargs": {"method": method, "strict": strict},
                "schema": convert_to_json_schema(schema),
            },
        )
        parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()
    elif method == "json_mode":
        llm = bind(
            response_format={"type": "json_object"},
            ls_structured_output_format={"kwargs": {"method": method}, "schema": schema},
        )
        parser = PydanticOutputParser(pydantic_object=schema) if is_pydantic else JsonOutputParser()
    else:
        raise ValueError(f"unknown method {method!r}; use json_schema, json_mode or function_calling")
    if not include_raw:
        return llm | parser
    parse = RunnablePassthrough.assign(parsed=itemgetter("raw") | parser, parsing_error=lambda _: None)
    no_parse = RunnablePassthrough.assign(parsed=lambda _: None)
    return RunnableMap(raw=llm) | parse.with_fallbacks([no_parse], exception_key="parsing_error")
