"""The emulator's rules for agents (``emulator/agent.py``), driven through the wire models as the emulator parses them.

The prompts and schemas of LangChain's standard suite are copied here (what ``convert_to_openai_tool`` sends for
``magic_function``, ``get_weather``, ``unicode_customer``, the runnable ``greeting_generator`` and ``Joke``), so these
tests say which of the suite's checks the rules can meet without a model.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import jsonschema
import pytest
from pydantic import BaseModel, Field

from langchain_azure_multimodal.emulator import wire
from langchain_azure_multimodal.emulator.agent import (
    arguments_from_text,
    json_object_answer,
    referred_tools,
    structured_instance,
    tool_results_answer,
)

# --- the standard suite's tools and schemas, as they arrive on the wire -------------------------------------------

MAGIC_FUNCTION = {
    "name": "magic_function",
    "description": "Apply a magic function to an input.",
    "parameters": {
        "properties": {"input": {"exclusiveMaximum": 1000, "exclusiveMinimum": -1000, "type": "integer"}},
        "required": ["input"],
        "type": "object",
    },
}
GET_WEATHER = {
    "name": "get_weather",
    "description": "Get the weather at a location.",
    "parameters": {"properties": {"location": {"type": "string"}}, "required": ["location"], "type": "object"},
}
UNICODE_CUSTOMER = {
    "name": "unicode_customer",
    "description": "Tool for creating a customer with Unicode name.\n\n    Args:\n        customer_name: The "
    "customer's name in their native language.\n        description: Description of the customer.",
    "parameters": {
        "properties": {"customer_name": {"type": "string"}, "description": {"type": "string"}},
        "required": ["customer_name", "description"],
        "type": "object",
    },
}
GREETING_GENERATOR = {
    "name": "greeting_generator",
    "description": "Generate a greeting in a particular style of speaking.",
    "parameters": {"properties": {"answer_style": {"type": "string"}}, "required": ["answer_style"], "type": "object"},
}
TRANSLATE_AUDIO = {
    "name": "translate_audio",
    "description": "Translate a recording into another language",
    "parameters": {
        "type": "object",
        "properties": {
            "source": {"type": "string", "description": "Path or URL of the audio"},
            "target_language": {"type": "string"},
        },
        "required": ["source", "target_language"],
    },
}
JOKE = {
    "description": "Joke to tell user.",
    "properties": {
        "setup": {"description": "question to set up a joke", "title": "Setup", "type": "string"},
        "punchline": {"description": "answer to resolve the joke", "title": "Punchline", "type": "string"},
    },
    "required": ["setup", "punchline"],
    "title": "Joke",
    "type": "object",
}
JOKE_OPTIONAL_PUNCHLINE = {
    **JOKE,
    "properties": {
        "setup": {"description": "question to set up a joke", "title": "Setup", "type": "string"},
        "punchline": {"anyOf": [{"type": "string"}, {"type": "null"}], "default": None, "description": "answer"},
    },
    "required": ["setup"],
}

TOOL_CALLING = "What is the value of magic_function(3)? Use the tool."
AGENT_LOOP = "What is the weather in San Francisco, CA?"
RUNNABLE_AS_TOOL = "Using the tool, generate a Pirate greeting."
UNICODE_CHINESE = "Create a customer named '你好啊集团' (Hello Group) - a Chinese technology company"
UNICODE_JAPANESE = "Create a customer named 'こんにちは株式会社' (Hello Corporation) - a Japanese company"
STRUCTURED = "Tell me a joke about cats."
STRUCTURED_NO_PUNCHLINE = "Give me the setup to a joke about cats, no punchline."
JSON_MODE = (
    "Tell me a joke about cats. Return the result as a JSON with 'setup' and 'punchline' keys. Return nothing other "
    "than JSON."
)


def _request(text: str, *functions: dict[str, Any], **body: Any) -> wire.ChatCompletionsOptions:
    tools = {"tools": [{"type": "function", "function": f} for f in functions]} if functions else {}
    return wire.parse_options({"messages": [{"role": "user", "content": text}], **tools, **body})


def _tools(*functions: dict[str, Any]) -> list[wire.ToolDefinition]:
    return list(_request("x", *functions).tools or [])


def _arguments(function: dict[str, Any], text: str) -> dict[str, Any]:
    """The arguments for ``function``, as the emulator would make them: from the parsed request, then validated."""
    options = _request(text, function)
    assert options.tools
    definition = options.tools[0].function
    arguments = arguments_from_text(definition.parameters, text, tool_name=definition.name)
    jsonschema.validate(arguments, definition.parameters or {"type": "object"})
    assert json.loads(json.dumps(arguments, ensure_ascii=False)) == arguments  # JSON all the way
    return arguments


def _structured(schema: dict[str, Any], text: str) -> Any:
    options = _request(text, response_format={"type": "json_schema", "json_schema": {"name": "s", "schema": schema}})
    assert isinstance(options.response_format, wire.ResponseFormatJsonSchema)
    instance = structured_instance(options.response_format.json_schema.schema_, text)
    jsonschema.validate(instance, schema)
    return instance


def _names(tools: list[wire.ToolDefinition]) -> list[str]:
    return [t.function.name for t in tools]


# --- referred_tools ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("function", "text"),
    [
        (TRANSLATE_AUDIO, "Please translate the recording audio/hello.mp3 into German"),
        (GET_WEATHER, AGENT_LOOP),
        (MAGIC_FUNCTION, TOOL_CALLING),
        (UNICODE_CUSTOMER, UNICODE_CHINESE),  # the description's "customer" and "name(d)"
        (GREETING_GENERATOR, RUNNABLE_AS_TOOL),  # its name's one significant word, "greeting"
        ({"name": "getStockPrice"}, "What's the stock price of ACME?"),  # camelCase, stems
        ({"name": "send-email"}, "Please send an email to Bob"),  # kebab-case
        ({"name": "lookup"}, "Run LOOKUP now"),  # the name as a word, any case
        ({"name": "translate_text"}, "Translating this text, please"),  # stems: translate / translating
    ],
)
def test_a_tool_is_referred_to(function: dict[str, Any], text: str) -> None:
    assert _names(referred_tools(_tools(function), text)) == [function["name"]]


@pytest.mark.parametrize(
    ("function", "text"),
    [
        (TRANSLATE_AUDIO, "Please translate this sentence"),  # one of its name's words, one of its description's
        (GET_WEATHER, "Tell me a joke about cats."),
        (MAGIC_FUNCTION, "What is magic?"),  # "magic" but not "function"
        ({"name": "get_set"}, "Get set, go!"),  # a name of stop words only refers to nothing by its words
        ({"name": "get_weather"}, "Whether or not"),
        ({"name": "image_tool", "description": "Imagine"}, "Imagine that"),  # stems: image is not imagine
        ({"name": "summarize", "description": "Summarize a long document"}, "A long day"),  # one description word
    ],
)
def test_a_tool_is_not_referred_to(function: dict[str, Any], text: str) -> None:
    assert referred_tools(_tools(function), text) == []


def test_referred_tools_best_first_ties_in_the_given_order() -> None:
    described = {"name": "fetch_forecast", "description": "Weather forecast for a city"}
    by_words = {"name": "city_weather"}
    by_name = {"name": "weather"}
    by_call = {"name": "forecast"}
    also_by_words = {"name": "weather_city"}
    tools = _tools(described, by_words, by_name, by_call, also_by_words)
    text = "weather forecast(city='Paris') for the city"
    assert _names(referred_tools(tools, text)) == [
        "forecast",
        "weather",
        "city_weather",
        "weather_city",
        "fetch_forecast",
    ]
    reverse = ["forecast", "weather", "weather_city", "city_weather", "fetch_forecast"]
    assert _names(referred_tools(tools[::-1], text)) == reverse


# --- arguments_from_text -----------------------------------------------------------------------------------------


def test_standard_suite_tool_calls() -> None:
    assert _arguments(MAGIC_FUNCTION, TOOL_CALLING) == {"input": 3}  # test_tool_calling(_async)
    assert _arguments(GET_WEATHER, AGENT_LOOP) == {"location": "San Francisco, CA"}  # test_agent_loop
    assert _arguments(GREETING_GENERATOR, RUNNABLE_AS_TOOL)["answer_style"]  # test_bind_runnables_as_tools


@pytest.mark.parametrize(
    ("text", "expected"), [(UNICODE_CHINESE, "你好啊集团"), (UNICODE_JAPANESE, "こんにちは株式会社")]
)
def test_unicode_arguments_survive(text: str, expected: str) -> None:
    arguments = _arguments(UNICODE_CUSTOMER, text)
    assert arguments["customer_name"] == expected  # test_unicode_tool_call_integration
    assert expected in json.dumps(arguments, ensure_ascii=False)
    assert arguments["description"]  # required, so never empty: the rest of the text


def test_translate_audio_takes_the_path_and_the_language() -> None:
    text = "Please translate the recording audio/hello.mp3 into German"
    assert _arguments(TRANSLATE_AUDIO, text) == {"source": "audio/hello.mp3", "target_language": "German"}
    quoted = 'Use translate_audio on "memo.wav" into "Spanish"'  # the README's example
    assert _arguments(TRANSLATE_AUDIO, quoted) == {"source": "memo.wav", "target_language": "Spanish"}
    url = "translate https://example.com/a.wav, in French"
    assert _arguments(TRANSLATE_AUDIO, url) == {"source": "https://example.com/a.wav", "target_language": "French"}


def _function(properties: dict[str, Any], required: list[str] | None = None, name: str = "f") -> dict[str, Any]:
    return {"name": name, "parameters": {"type": "object", "properties": properties, "required": required or []}}


def test_a_call_written_in_the_text_gives_its_arguments() -> None:
    function = _function(
        {"a": {"type": "integer"}, "b": {"type": "string"}, "c": {"type": "number"}, "d": {"type": "boolean"}},
        ["a", "b"],
    )
    assert _arguments(function, 'Call f(3, "x y", 2.5, true) now') == {"a": 3, "b": "x y", "c": 2.5, "d": True}
    assert _arguments(function, "f(b='bee', a=\"7\")") == {"a": 7, "b": "bee"}  # keywords; "7" coerced
    assert _arguments(function, "f(2.5)")["a"] == 0  # not an integer: the minimal value stays


def test_values_fill_properties_by_type_in_order() -> None:
    function = _function(
        {
            "title": {"type": "string"},
            "subtitle": {"type": "string"},
            "count": {"type": "integer", "minimum": 10},
            "ratio": {"type": "number"},
            "public": {"type": "boolean"},
            "kind": {"enum": ["bar", "line", "pie"]},
        },
        ["title", "subtitle", "count", "ratio", "public", "kind"],
    )
    text = "Make it “Sales” and 'Q4 results' with 3 then 12 bars, ratio 0.5? yes, a pie chart"
    assert _arguments(function, text) == {
        "title": "Sales",
        "subtitle": "Q4 results",
        "count": 12,  # 3 is below the minimum, so the next number
        "ratio": 3,
        "public": True,
        "kind": "pie",
    }
    assert _arguments(function, "nothing here")["kind"] == "bar"  # no enum value mentioned: the first


def test_optional_properties_only_when_found() -> None:
    function = _function(
        {"city": {"type": "string"}, "days": {"type": "integer"}, "units": {"type": "string"}}, ["city"]
    )
    assert _arguments(function, "Forecast for Paris") == {"city": "Paris"}
    assert _arguments(function, 'Forecast for "Oslo", 5 days, "metric"') == {
        "city": "Oslo",
        "days": 5,
        "units": "metric",
    }


def test_values_given_by_name() -> None:
    function = _function({"city": {"type": "string"}, "days": {"type": "integer"}, "target_lang": {"type": "string"}})
    text = 'days = 4, city: New York; target lang is "Korean"'
    assert _arguments(function, text) == {"city": "New York", "days": 4, "target_lang": "Korean"}


def test_locators_go_to_locator_properties_before_other_strings() -> None:
    function = _function(
        {
            "caption": {"type": "string"},
            "image": {"type": "string"},
            "link": {"type": "string", "format": "uri"},
            "attachments": {"type": "array", "items": {"type": "string"}, "description": "files to attach"},
        },
        ["caption", "image", "link"],
    )
    text = 'Post "Hello" with ./cat.png, https://example.com/x and docs/a.pdf plus notes.txt'
    assert _arguments(function, text) == {
        "caption": "Hello",
        "image": "./cat.png",
        "link": "https://example.com/x",  # format uri: only a URL will do
        "attachments": ["docs/a.pdf", "notes.txt"],
    }


def test_arrays_take_the_quoted_values_or_the_listed_items() -> None:
    function = _function({"tags": {"type": "array", "items": {"type": "string"}, "maxItems": 2}}, ["tags"])
    assert _arguments(function, 'Tag it "a", "b" and "c"') == {"tags": ["a", "b"]}
    assert _arguments(function, "Tag it for cats, dogs and birds.") == {"tags": ["cats", "dogs"]}
    numbers = _function({"values": {"type": "array", "items": {"type": "integer"}, "minItems": 1}}, ["values"])
    assert _arguments(numbers, "Add 1, 2 and 40") == {"values": [1, 2, 40]}


class Address(BaseModel):
    street: str
    city: str = Field(min_length=2)
    zip_code: str | None = None


class Person(BaseModel):
    name: str
    age: int = Field(ge=0, le=150)
    home: Address
    role: Literal["admin", "user"] = "user"
    email: str | None = Field(default=None, json_schema_extra={"format": "email"})


def test_nested_objects_are_filled_from_the_same_text() -> None:
    function = {"name": "add_person", "parameters": Person.model_json_schema()}
    text = 'add_person name: Ada, age = 36, street "1 Main St" in London as admin, mail ada@example.com'
    arguments = _arguments(function, text)
    assert arguments == {
        "name": "Ada",
        "age": 36,
        "home": {"street": "1 Main St", "city": "London as admin, mail ada@example.com"},
        "role": "admin",
        "email": "ada@example.com",
    }
    Person.model_validate(arguments)


def test_recursive_schemas_stop_nesting() -> None:
    node = {"anyOf": [{"$ref": "#/$defs/T"}, {"type": "null"}]}
    tree = {"type": "object", "properties": {"v": {"type": "integer"}, "left": node, "right": node}, "required": ["v"]}
    schema = {"$defs": {"T": tree}, "$ref": "#/$defs/T"}
    arguments = _arguments({"name": "plant", "parameters": schema}, "v: 3, left: x")
    depth = 0
    while arguments.get("left"):
        arguments, depth = arguments["left"], depth + 1
    assert arguments == {"v": 3} and depth == 4  # the same text fills each level, down to four levels
    assert _structured(schema, "a tree") == {"v": 0}


@pytest.mark.parametrize("schema", [None, {}, {"type": "object"}, {"type": "object", "properties": {}}])
def test_no_parameters_no_arguments(schema: dict[str, Any] | None) -> None:
    assert arguments_from_text(schema, "magic_function_no_args()", tool_name="magic_function_no_args") == {}


_SCHEMAS_AND_TEXTS = [
    (
        _function(
            {
                "s": {"type": "string", "minLength": 5, "maxLength": 8, "pattern": "^[a-z ]+$"},
                "n": {"type": "number", "exclusiveMinimum": 0, "multipleOf": 0.5},
                "i": {"type": ["integer", "null"], "maximum": -1},
                "e": {"enum": [1, 2, "three"]},
                "c": {"const": "fixed"},
                "d": {"type": "string", "format": "date"},
                "u": {"type": "string", "format": "uri"},
                "o": {"type": "object", "properties": {"x": {"type": "boolean"}}, "required": ["x"]},
                "l": {"type": "array", "items": {"type": "number"}, "minItems": 1, "uniqueItems": True},
            },
            ["s", "n", "i", "e", "c", "d", "u", "o", "l"],
        ),
        text,
    )
    for text in [
        "",
        "x",
        'a "Hello World" and "ok" then "lower case" 3 three 2.5 -4 2024-05-01 no',
        "s: abcdefghijkl, n = 7, i is 3, e: 2, d: tomorrow, u: example.com, x: yes, l: 1, 1, 2",
        "ünïcödé ✓ 你好 🙂 'quoted 你好' 42",
    ]
]


@pytest.mark.parametrize(("function", "text"), _SCHEMAS_AND_TEXTS)
def test_arguments_are_always_valid(function: dict[str, Any], text: str) -> None:
    _arguments(function, text)


# --- tool_results_answer -----------------------------------------------------------------------------------------


def _conversation(*messages: dict[str, Any]) -> list[wire.RequestMessage]:
    return list(wire.parse_options({"messages": list(messages)}).messages)


def _call(call_id: str, name: str) -> dict[str, Any]:
    return {"id": call_id, "type": "function", "function": {"name": name, "arguments": "{}"}}


def test_the_answer_after_tool_results_quotes_them() -> None:
    messages = _conversation(
        {"role": "user", "content": AGENT_LOOP},
        {"role": "assistant", "content": None, "tool_calls": [_call("call_a", "get_weather")]},
        {"role": "tool", "tool_call_id": "call_a", "content": "It's sunny."},
    )
    assert tool_results_answer(messages) == 'get_weather returned "It\'s sunny."'  # test_agent_loop's second turn


def test_several_results_long_ones_cut() -> None:
    messages = _conversation(
        {"role": "user", "content": "Weather and time in Paris?"},
        {"role": "assistant", "tool_calls": [_call("1", "get_weather"), _call("2", "get_time")]},
        {"role": "tool", "tool_call_id": "2", "content": "x" * 2000},
        {"role": "tool", "tool_call_id": "1", "content": "雨"},
        {"role": "tool", "tool_call_id": "9", "content": ""},
    )
    answer = tool_results_answer(messages)
    assert answer is not None
    first, second, third = answer.split("; ")
    assert first == 'get_time returned "' + "x" * 500 + '…"'
    assert second == 'get_weather returned "雨"'
    assert third == "the tool call 9 returned nothing"


@pytest.mark.parametrize(
    "messages",
    [
        [{"role": "user", "content": "hi"}],
        [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "tool_calls": [_call("1", "f")]},
            {"role": "tool", "tool_call_id": "1", "content": "done"},
            {"role": "user", "content": "and now?"},
        ],
    ],
)
def test_no_answer_unless_the_conversation_ends_with_tool_results(messages: list[dict[str, Any]]) -> None:
    assert tool_results_answer(_conversation(*messages)) is None


# --- structured_instance -----------------------------------------------------------------------------------------


def test_standard_suite_structured_output() -> None:
    joke = _structured(JOKE, STRUCTURED)
    assert set(joke) == {"setup", "punchline"} and all(joke.values())  # non-empty, from the text
    assert joke == {"setup": "cats", "punchline": "cats"}
    assert _structured(JOKE_OPTIONAL_PUNCHLINE, STRUCTURED_NO_PUNCHLINE) == {"setup": "a joke about cats, no punchline"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Chart it. title: Sales 2024, bars: 3", {"title": "Sales 2024"}),
        ('The title is "Sales 2024".', {"title": "Sales 2024"}),
        ("title = 3", {"title": "3"}),
        ('Tell a joke, with the punchline "Purr-fect!"', {"punchline": "Purr-fect!"}),
        ("titled “Q1”, the unit is celsius", {"title": "Q1", "unit": "celsius"}),
    ],
)
def test_structured_values_given_by_name(text: str, expected: dict[str, Any]) -> None:
    schema = {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "punchline": {"type": "string"},
            "unit": {"enum": ["kelvin", "celsius"]},
            "bars": {"type": "array", "items": {"$ref": "#/$defs/Bar"}},
        },
        "required": ["title", "bars"],
        "$defs": {"Bar": {"type": "object", "properties": {"v": {"type": "number"}}, "required": ["v"]}},
    }
    instance = _structured(schema, text)
    assert {k: v for k, v in instance.items() if k in expected} == expected
    assert instance["bars"] == []  # arrays stay minimal
    assert instance["title"]  # never the empty string


class Bar(BaseModel):
    label: str = Field(min_length=3)
    value: float = Field(ge=1)


class Chart(BaseModel):
    title: str
    kind: Literal["bar", "line"]
    bars: list[Bar] = Field(min_length=1)
    note: str | None = None


@pytest.mark.parametrize("text", ["", "?", "Plot a line chart of sales", "kind: pie, title is 'x'", "表 title: 売上"])
def test_structured_instances_are_always_valid(text: str) -> None:
    schema = Chart.model_json_schema()
    chart = Chart.model_validate(_structured(schema, text))
    assert chart.title
    assert chart.kind == ("line" if "line" in text else "bar")
    assert _structured({"type": "string", "minLength": 2}, text)  # not an object: still a valid value
    assert _structured({"type": "array", "items": {"type": "integer"}}, text) == []


# --- json_object_answer ------------------------------------------------------------------------------------------


class Joke(BaseModel):
    setup: str
    punchline: str


@pytest.mark.parametrize(
    "text",
    [
        JSON_MODE,  # test_json_mode
        "Return JSON with keys setup and punchline.",
        "Answer with a `setup` and a `punchline` key.",
        'The fields are "setup", "punchline".',
        "keys: setup, punchline",
    ],
)
def test_json_mode_keys(text: str) -> None:
    answer = json_object_answer(text)
    assert list(answer) == ["setup", "punchline"]
    assert all(isinstance(v, str) and v for v in answer.values())
    Joke.model_validate(answer)


def test_json_mode_values_from_the_text() -> None:
    assert json_object_answer(JSON_MODE) == {"setup": "cats", "punchline": "cats"}
    answer = json_object_answer("Reply with the keys name, age and city. name: Bob, age = 41")
    assert answer["name"] == "Bob" and answer["age"] == "41" and answer["city"]


@pytest.mark.parametrize("text", ["Tell me a joke about cats.", "Use the keys wisely.", "Return JSON.", ""])
def test_json_mode_without_keys(text: str) -> None:
    assert json_object_answer(text) == {}


# --- determinism -------------------------------------------------------------------------------------------------


def test_same_input_same_output() -> None:
    tools = _tools(TRANSLATE_AUDIO, GET_WEATHER, UNICODE_CUSTOMER, MAGIC_FUNCTION, GREETING_GENERATOR)
    texts = [TOOL_CALLING, AGENT_LOOP, RUNNABLE_AS_TOOL, UNICODE_CHINESE, JSON_MODE, STRUCTURED]

    def everything() -> str:
        out: list[Any] = []
        for text in texts:
            out.append(_names(referred_tools(tools, text)))
            out += [arguments_from_text(t.function.parameters, text, tool_name=t.function.name) for t in tools]
            out += [structured_instance(JOKE, text), json_object_answer(text)]
        return json.dumps(out, ensure_ascii=False)

    assert everything() == everything()
