"""LangChain messages to the Azure wire: every block form, every message kind, every refusal."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st
from langchain_core.language_models._utils import _normalize_messages
from langchain_core.messages import (
    AIMessage,
    BaseMessage,
    ChatMessage,
    FunctionMessage,
    HumanMessage,
    RemoveMessage,
    SystemMessage,
    ToolMessage,
)

from langchain_azure_multimodal._messages import (
    BlockLocation,
    ParsedMedia,
    parse_messages,
    parsed_media,
    to_content_item,
    to_wire_messages,
)
from langchain_azure_multimodal.errors import UnsupportedContentError
from tests.support.http import image_item

PNG = "iVBORw0KGgoAAAANSUhEUg=="
WAV = "UklGRiQAAABXQVZFZm10IA=="
MP3 = "SUQzBAAAAAAAI1RTU0U="
HTTP_PNG = "https://example.com/cat.png"


def wire_messages(messages: list[BaseMessage], **kwargs: Any) -> list[dict[str, Any]]:
    """The request JSON of ``messages``, as it is sent."""
    return to_wire_messages(parse_messages(messages, **kwargs))


def item(block: Any, **kwargs: Any) -> Any:
    """The wire content item for one block in a user message."""
    return wire_messages([HumanMessage(content=[block])], **kwargs)[0]["content"][0]


# ---------------------------------------------------------------------------------------------- images


def test_openai_image_url_as_a_string() -> None:
    assert item({"type": "image_url", "image_url": HTTP_PNG}) == image_item(HTTP_PNG)


def test_openai_image_url_dict_with_detail() -> None:
    block = {"type": "image_url", "image_url": {"url": HTTP_PNG, "detail": "low"}}
    assert item(block) == image_item(HTTP_PNG, "low")


def test_openai_data_url_is_split_into_mime_and_data() -> None:
    block = {"type": "image_url", "image_url": {"url": f"data:image/PNG;base64,{PNG}"}}
    (part,) = parsed_media(parse_messages([HumanMessage(content=[block])]))
    assert (part.url, part.data, part.mime_type) == (None, PNG, "image/png")
    assert item(block) == image_item(f"data:image/png;base64,{PNG}")


def test_v0_base64_image() -> None:
    block = {"type": "image", "source_type": "base64", "data": PNG, "mime_type": "image/jpeg"}
    assert item(block) == image_item(f"data:image/jpeg;base64,{PNG}")


def test_v0_url_image_with_metadata_detail() -> None:
    block = {"type": "image", "source_type": "url", "url": HTTP_PNG, "metadata": {"detail": "high", "name": "cat"}}
    assert item(block) == image_item(HTTP_PNG, "high")
    (part,) = parsed_media(parse_messages([HumanMessage(content=[block])]))
    assert part.extras == {"detail": "high", "name": "cat"}


def test_v1_base64_image() -> None:
    block = {"type": "image", "base64": PNG, "mime_type": "image/webp", "id": "lc_block_id"}
    assert item(block) == image_item(f"data:image/webp;base64,{PNG}")


def test_v1_url_image_and_v1_data_url() -> None:
    assert item({"type": "image", "url": HTTP_PNG}) == image_item(HTTP_PNG)
    assert item({"type": "image", "url": f"data:image/gif;base64,{PNG}"}) == image_item(f"data:image/gif;base64,{PNG}")


def test_v1_extras_detail_and_extras_kept() -> None:
    block = {"type": "image", "url": HTTP_PNG, "extras": {"detail": "high", "filename": "cat.png"}}
    assert item(block) == image_item(HTTP_PNG, "high")
    (part,) = parsed_media(parse_messages([HumanMessage(content=[block])]))
    assert part.extras == {"detail": "high", "filename": "cat.png"}


def test_default_image_detail_applies_only_where_the_block_sets_none() -> None:
    plain = {"type": "image", "url": HTTP_PNG}
    own = {"type": "image_url", "image_url": {"url": HTTP_PNG, "detail": "high"}}
    content = wire_messages([HumanMessage(content=[plain, own])], default_image_detail="low")[0]["content"]
    assert content == [image_item(HTTP_PNG, "low"), image_item(HTTP_PNG, "high")]


def test_no_detail_anywhere_leaves_it_off_the_wire() -> None:
    assert "detail" not in item({"type": "image", "url": HTTP_PNG})["image_url"]


def test_bad_default_image_detail_is_a_plain_value_error() -> None:
    with pytest.raises(ValueError, match="default_image_detail"):
        wire_messages([], default_image_detail="ultra")  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------- audio


@pytest.mark.parametrize(("fmt", "expected"), [("wav", "wav"), ("mp3", "mp3"), ("MP3", "mp3")])
def test_openai_input_audio(fmt: str, expected: str) -> None:
    block = {"type": "input_audio", "input_audio": {"data": WAV, "format": fmt}}
    assert item(block) == {"type": "input_audio", "input_audio": {"data": WAV, "format": expected}}


@pytest.mark.parametrize(
    ("mime", "fmt"),
    [("audio/mpeg", "mp3"), ("audio/mp3", "mp3"), ("audio/wav", "wav"), ("audio/x-wav", "wav"), ("audio/wave", "wav")],
)
def test_v1_audio_base64_for_each_mime_type(mime: str, fmt: str) -> None:
    block = {"type": "audio", "base64": MP3, "mime_type": mime}
    assert item(block) == {"type": "input_audio", "input_audio": {"data": MP3, "format": fmt}}


def test_v0_audio_base64_and_mime_parameters() -> None:
    block = {"type": "audio", "source_type": "base64", "data": WAV, "mime_type": "Audio/WAV; codecs=1"}
    assert item(block) == {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}}


@pytest.mark.parametrize(
    "block",
    [
        {"type": "audio", "url": "https://example.com/a.mp3"},
        {"type": "audio", "source_type": "url", "url": "https://example.com/a.mp3", "mime_type": "audio/mpeg"},
    ],
)
def test_audio_by_url_is_a_plain_audio_url_dict(block: dict[str, Any]) -> None:
    (message,) = wire_messages([HumanMessage(content=[block])])
    assert message["content"] == [{"type": "audio_url", "audio_url": {"url": "https://example.com/a.mp3"}}]
    assert json.loads(json.dumps(message))["content"][0]["type"] == "audio_url"


def test_audio_data_url_becomes_input_audio() -> None:
    block = {"type": "audio", "url": f"data:audio/mpeg;base64,{MP3}"}
    assert item(block) == {"type": "input_audio", "input_audio": {"data": MP3, "format": "mp3"}}


def test_media_part_audio_format() -> None:
    at = BlockLocation(0, 0)
    assert ParsedMedia("audio", at, data=WAV, mime_type="audio/wave").audio_format == "wav"
    assert ParsedMedia("audio", at, data=WAV, mime_type="audio/ogg").audio_format is None
    assert ParsedMedia("audio", at, url="https://example.com/a").audio_format is None


def test_to_content_item_refuses_a_hand_made_part_it_cannot_send() -> None:
    with pytest.raises(UnsupportedContentError, match="wav or mp3"):
        to_content_item(ParsedMedia("audio", BlockLocation(0, 0), data=WAV, mime_type="audio/ogg"))
    with pytest.raises(UnsupportedContentError, match="neither url nor data"):
        to_content_item(ParsedMedia("image", BlockLocation(0, 0)))


# ------------------------------------------------------------------------------------------------ text


def test_text_blocks_strings_and_text_plain() -> None:
    content: list[str | dict[str, Any]] = [
        {"type": "text", "text": "a", "annotations": []},
        "b",
        {"type": "text-plain", "text": "c", "mime_type": "text/plain"},
        {"type": "file", "source_type": "text", "url": "d"},  # v0 plain text kept the text under "url"
    ]
    assert wire_messages([HumanMessage(content=content)]) == [
        {"role": "user", "content": [{"type": "text", "text": t} for t in "abcd"]}
    ]


def test_user_string_stays_a_string_and_an_empty_list_is_an_empty_string() -> None:
    assert wire_messages([HumanMessage("hi")]) == [{"role": "user", "content": "hi"}]
    assert wire_messages([HumanMessage(content=[])]) == [{"role": "user", "content": ""}]


def test_text_and_media_keep_their_order() -> None:
    content: list[str | dict[str, Any]] = [
        "Compare",
        {"type": "image", "url": HTTP_PNG},
        "with",
        {"type": "audio", "base64": WAV, "mime_type": "audio/wav"},
    ]
    parsed = parse_messages([SystemMessage("s"), HumanMessage(content=content)])
    assert parsed[1].text == "Compare\nwith"
    assert [str(p.location) for p in parsed_media(parsed)] == ["messages[1].content[1]", "messages[1].content[3]"]
    types = [i["type"] for i in wire_messages([HumanMessage(content=content)])[0]["content"]]
    assert types == ["text", "image_url", "text", "input_audio"]


# ------------------------------------------------- what core's normalisation hands to _generate, converted


def test_v0_blocks_after_core_normalisation() -> None:
    message = HumanMessage(
        content=[
            {
                "type": "image",
                "source_type": "base64",
                "data": PNG,
                "mime_type": "image/png",
                "metadata": {"detail": "low"},
            },
            {"type": "image", "source_type": "url", "url": HTTP_PNG},
            {"type": "audio", "source_type": "base64", "data": WAV, "mime_type": "audio/wav"},
        ]
    )
    (normalised,) = _normalize_messages([message])
    assert [b.get("source_type") for b in normalised.content if isinstance(b, dict)] == [None, None, None]
    assert normalised.content[0]["extras"] == {"metadata": {"detail": "low"}}  # type: ignore[index]
    assert (
        wire_messages([normalised])
        == wire_messages([message])
        == [
            {
                "role": "user",
                "content": [
                    image_item(f"data:image/png;base64,{PNG}", "low"),
                    image_item(HTTP_PNG),
                    {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}},
                ],
            }
        ]
    )


def test_openai_input_audio_after_core_normalisation() -> None:
    message = HumanMessage(content=[{"type": "input_audio", "input_audio": {"data": MP3, "format": "mp3"}}])
    (normalised,) = _normalize_messages([message])
    block = normalised.content[0]
    assert isinstance(block, dict) and (block["type"], block["mime_type"]) == ("audio", "audio/mp3")
    assert wire_messages([normalised])[0]["content"] == [
        {"type": "input_audio", "input_audio": {"data": MP3, "format": "mp3"}}
    ]


def test_openai_image_url_passes_core_normalisation_unchanged() -> None:
    block = {"type": "image_url", "image_url": {"url": HTTP_PNG, "detail": "auto"}}
    (normalised,) = _normalize_messages([HumanMessage(content=[block])])
    assert normalised.content == [block]
    assert wire_messages([normalised])[0]["content"] == [image_item(HTTP_PNG, "auto")]


def test_openai_file_after_core_normalisation_is_refused_as_a_file() -> None:
    block = {"type": "file", "file": {"file_data": f"data:application/pdf;base64,{PNG}", "filename": "a.pdf"}}
    (normalised,) = _normalize_messages([HumanMessage(content=[block])])
    with pytest.raises(UnsupportedContentError, match="extract the text") as caught:
        wire_messages([normalised])
    assert caught.value.block_type == "file"


# -------------------------------------------------------------------------------------------- messages


def test_system_message_string_and_list() -> None:
    listed = SystemMessage(content=[{"type": "text", "text": "Be brief."}, "Answer in French."])
    assert wire_messages([SystemMessage("Be brief."), listed]) == [
        {"role": "system", "content": "Be brief."},
        {"role": "system", "content": "Be brief.\nAnswer in French."},
    ]


def test_system_message_with_the_openai_developer_marker() -> None:
    message = SystemMessage("Rules.", additional_kwargs={"__openai_role__": "developer"})
    assert wire_messages([message]) == [{"role": "developer", "content": "Rules."}]


def test_chat_message_roles() -> None:
    messages: list[BaseMessage] = [
        ChatMessage(role="developer", content="Rules."),
        ChatMessage(role="user", content=["Look", {"type": "image", "url": HTTP_PNG}]),
        ChatMessage(role="assistant", content="Seen."),
        ChatMessage(role="system", content="Be brief."),
    ]
    assert wire_messages(messages) == [
        {"role": "developer", "content": "Rules."},
        {"role": "user", "content": [{"type": "text", "text": "Look"}, image_item(HTTP_PNG)]},
        {"role": "assistant", "content": "Seen."},
        {"role": "system", "content": "Be brief."},
    ]


def test_ai_message_keeps_text_and_drops_other_blocks() -> None:
    message = AIMessage(
        content=[
            {"type": "reasoning", "reasoning": "hmm"},
            {"type": "thinking", "thinking": "hmm", "signature": "x"},
            {"type": "text", "text": "Let me look."},
            {"type": "tool_use", "id": "t1", "name": "look", "input": {}},
            {"type": "image", "url": HTTP_PNG},
        ]
    )
    assert wire_messages([message]) == [{"role": "assistant", "content": "Let me look."}]


def test_ai_message_tool_calls_and_invalid_tool_calls() -> None:
    message = AIMessage(
        content="Checking.",
        tool_calls=[{"id": "c1", "name": "weather", "args": {"city": "Zürich", "days": 2}}],
        invalid_tool_calls=[
            {"id": "c2", "name": "map", "args": '{"zoom": ', "error": "bad json", "type": "invalid_tool_call"}
        ],
    )
    assert wire_messages([message]) == [
        {
            "role": "assistant",
            "content": "Checking.",
            "tool_calls": [
                {
                    "id": "c1",
                    "function": {"name": "weather", "arguments": '{"city": "Zürich", "days": 2}'},
                    "type": "function",
                },
                {"id": "c2", "function": {"name": "map", "arguments": '{"zoom": '}, "type": "function"},
            ],
        }
    ]


def test_tool_calls_only_omits_the_content_but_an_empty_answer_keeps_it() -> None:
    calls = AIMessage(content="", tool_calls=[{"id": "c1", "name": "now", "args": {}}])
    assert wire_messages([calls]) == [
        {
            "role": "assistant",
            "tool_calls": [{"id": "c1", "function": {"name": "now", "arguments": "{}"}, "type": "function"}],
        }
    ]
    assert wire_messages([AIMessage(content="")]) == [{"role": "assistant", "content": ""}]


def test_tool_message_text_blocks_and_json_data() -> None:
    messages: list[BaseMessage] = [
        ToolMessage("22 °C", tool_call_id="c1"),
        ToolMessage(content=[{"type": "text", "text": "a"}, "b"], tool_call_id="c2"),
        ToolMessage(content=[{"temp": 22}, {"temp": 23}], tool_call_id="c3"),
    ]
    assert wire_messages(messages) == [
        {"role": "tool", "content": "22 °C", "tool_call_id": "c1"},
        {"role": "tool", "content": "a\nb", "tool_call_id": "c2"},
        {"role": "tool", "content": '[{"temp": 22}, {"temp": 23}]', "tool_call_id": "c3"},
    ]


def test_tool_message_with_an_image_is_followed_by_a_user_message() -> None:
    messages: list[BaseMessage] = [
        HumanMessage("Screenshot please"),
        AIMessage(content="", tool_calls=[{"id": "c1", "name": "shot", "args": {}}]),
        ToolMessage(
            content=["Here it is.", {"type": "image", "base64": PNG, "mime_type": "image/png"}], tool_call_id="c1"
        ),
    ]
    out = wire_messages(messages)
    assert out[2] == {"role": "tool", "content": "Here it is.", "tool_call_id": "c1"}
    assert out[3] == {
        "role": "user",
        "content": [
            {"type": "text", "text": "Media returned by tool call c1:"},
            image_item(f"data:image/png;base64,{PNG}"),
        ],
    }
    parsed = parse_messages(messages)
    assert (parsed[3].role, parsed[3].index) == ("user", 2)
    assert [str(p.location) for p in parsed_media(parsed)] == ["messages[2].content[1]"]


def test_two_tool_messages_with_media_answer_first_then_one_user_message() -> None:
    messages: list[BaseMessage] = [
        AIMessage(content="", tool_calls=[{"id": "a", "name": "f", "args": {}}, {"id": "b", "name": "g", "args": {}}]),
        ToolMessage(content=[{"type": "image", "url": HTTP_PNG}], tool_call_id="a"),
        ToolMessage(content=[{"type": "audio", "base64": WAV, "mime_type": "audio/wav"}], tool_call_id="b"),
        HumanMessage("Thanks"),
    ]
    out = wire_messages(messages)
    assert [m["role"] for m in out] == ["assistant", "tool", "tool", "user", "user"]
    assert out[1]["content"].startswith("[The result is media")  # a media-only result points to the user message
    assert out[3]["content"] == [
        {"type": "text", "text": "Media returned by tool call a:"},
        image_item(HTTP_PNG),
        {"type": "text", "text": "Media returned by tool call b:"},
        {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}},
    ]
    assert out[4] == {"role": "user", "content": "Thanks"}
    assert parse_messages(messages)[3].index == 1


def test_input_messages_are_not_mutated() -> None:
    messages: list[BaseMessage] = [
        SystemMessage(content=[{"type": "text", "text": "s"}]),
        HumanMessage(content=["x", {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG}"}}]),
        AIMessage(content=[{"type": "text", "text": "t"}], tool_calls=[{"id": "c", "name": "f", "args": {"a": [1]}}]),
        ToolMessage(
            content=[{"type": "image", "source_type": "url", "url": HTTP_PNG, "metadata": {"detail": "low"}}],
            tool_call_id="c",
        ),
    ]
    before = copy.deepcopy(messages)
    wire_messages(messages, default_image_detail="high")
    assert messages == before


# ------------------------------------------------------------------------------------------- refusals


@pytest.mark.parametrize(
    ("block", "block_type", "fix"),
    [
        ({"type": "video", "url": "https://example.com/v.mp4"}, "video", "extract frames"),
        ({"type": "file", "base64": PNG, "mime_type": "application/pdf"}, "file", "render the pages to images"),
        (
            {"type": "file", "source_type": "base64", "data": PNG, "mime_type": "application/pdf"},
            "file",
            "extract the text",
        ),
        ({"type": "hologram", "data": "x"}, "hologram", "text, image or audio blocks"),
        ({"type": "reasoning", "reasoning": "x"}, "reasoning", "text, image or audio blocks"),
        ({"type": "image", "base64": PNG}, "image", 'Set mime_type, e.g. "image/png"'),
        ({"type": "image", "source_type": "base64", "data": PNG}, "image", "Set mime_type"),
        ({"type": "image", "base64": PNG, "mime_type": "application/pdf"}, "image", "own block type"),
        (
            {"type": "audio", "base64": WAV, "mime_type": "audio/ogg"},
            "audio",
            "pip install 'langchain-azure-multimodal[media]'",
        ),
        ({"type": "audio", "base64": WAV, "mime_type": "audio/webm"}, "audio", "Convert it to wav or mp3"),
        ({"type": "input_audio", "input_audio": {"data": WAV, "format": "flac"}}, "audio", "Convert it to wav or mp3"),
        ({"type": "image", "file_id": "file-123"}, "image", "send base64 or a URL"),
        ({"type": "image", "source_type": "id", "id": "file-123"}, "image", "send base64 or a URL"),
        ({"type": "image", "url": "/tmp/cat.png"}, "image", "send it as base64"),
        ({"type": "image_url", "image_url": {"url": "data:image/svg+xml,<svg/>"}}, "image", "base64"),
        ({"type": "image_url", "image_url": {"url": HTTP_PNG, "detail": "ultra"}}, "image", '"low"'),
        ({"type": "text-plain", "base64": "aGk=", "mime_type": "text/plain"}, "text-plain", "Send the text itself"),
        ({"type": "text", "text": 7}, "text", "Set 'text' to a string"),
        ({"text": "no type"}, "dict without a 'type' (NoneType)", "text, image or audio blocks"),
        (42, "int", "text, image or audio blocks"),
    ],
)
def test_unsupported_blocks_name_type_location_and_fix(block: Any, block_type: str, fix: str) -> None:
    messages = [SystemMessage("s"), HumanMessage.model_construct(content=[block])]
    with pytest.raises(UnsupportedContentError) as caught:
        wire_messages(messages)
    error = caught.value
    assert (error.message_index, error.block_index, error.block_type) == (1, 0, block_type)
    assert repr(block_type) in str(error) and "messages[1].content[0]" in str(error) and fix in str(error)


@pytest.mark.parametrize(
    "block",
    [{"type": "image", "url": HTTP_PNG}, {"type": "input_audio", "input_audio": {"data": WAV, "format": "wav"}}],
)
def test_media_in_a_system_message_is_refused(block: dict[str, Any]) -> None:
    with pytest.raises(UnsupportedContentError) as caught:
        wire_messages([SystemMessage(content=["Look:", block])])
    assert "messages[0].content[1]" in str(caught.value) and "HumanMessage" in str(caught.value)
    assert repr(block["type"]) in str(caught.value)


def test_unsupported_content_in_any_message_kind() -> None:
    video = {"type": "video", "base64": "AAAA", "mime_type": "video/mp4"}
    for message in (SystemMessage(content=[video]), ToolMessage(content=[video], tool_call_id="c")):
        with pytest.raises(UnsupportedContentError, match=r"messages\[0\]\.content\[0\].*'video'.*frames"):
            wire_messages([message])


@pytest.mark.parametrize(
    ("message", "kind", "fix"),
    [
        (FunctionMessage(name="f", content="1"), "FunctionMessage", "ToolMessage"),
        (RemoveMessage(id="m1"), "RemoveMessage", "drop it"),
        (ChatMessage(role="tool", content="1"), "ChatMessage(role='tool')", "tool_call_id"),
        (AIMessage(content="", tool_calls=[{"id": None, "name": "f", "args": {}}]), "tool_call", "id"),
        (
            AIMessage(content="", tool_calls=[{"id": "c", "name": "f", "args": {"when": object()}}]),
            "dict",
            "JSON types",
        ),
    ],
)
def test_unsupported_messages(message: BaseMessage, kind: str, fix: str) -> None:
    with pytest.raises(UnsupportedContentError) as caught:
        wire_messages([HumanMessage("hi"), message])
    error = caught.value
    assert (error.message_index, error.block_index, error.block_type) == (1, None, kind)
    assert "messages[1]" in str(error) and repr(kind) in str(error) and fix in str(error)


def test_tool_result_data_that_is_not_json() -> None:
    with pytest.raises(UnsupportedContentError, match=r"messages\[0\]\.content .*not JSON.*JSON types"):
        wire_messages([ToolMessage.model_construct(content=[{1, 2}], tool_call_id="c")])


def test_content_that_is_neither_string_nor_list() -> None:
    with pytest.raises(UnsupportedContentError, match=r"messages\[0\]\.content .*'dict'"):
        wire_messages([HumanMessage.model_construct(content={"type": "text", "text": "x"})])


# ----------------------------------------------------------------------------------------------- fuzz

_TYPES = st.sampled_from(
    ["text", "text-plain", "image", "image_url", "audio", "input_audio", "video", "file", "reasoning", "tool_use", "x"]
)
_KEYS = st.sampled_from(
    [
        "url",
        "base64",
        "data",
        "mime_type",
        "source_type",
        "image_url",
        "input_audio",
        "detail",
        "extras",
        "metadata",
        "text",
        "format",
        "file_id",
        "id",
    ]
)
_LEAVES = st.one_of(
    st.none(),
    st.integers(),
    st.booleans(),
    st.text(max_size=8),
    st.sampled_from(
        [
            "base64",
            "url",
            "id",
            "text",
            "wav",
            "mp3",
            "low",
            "auto",
            "image/png",
            "audio/wav",
            "audio/ogg",
            HTTP_PNG,
            f"data:image/png;base64,{PNG}",
            "data:,x",
            "file:///x",
        ]
    ),
)
_VALUES = st.recursive(
    _LEAVES,
    lambda inner: st.one_of(st.lists(inner, max_size=3), st.dictionaries(st.one_of(_KEYS, _TYPES), inner, max_size=4)),
    max_leaves=12,
)
_BLOCKS = st.one_of(
    st.text(max_size=5),
    st.integers(),
    st.none(),
    st.builds(lambda t, rest: {**rest, "type": t}, _TYPES, st.dictionaries(_KEYS, _VALUES, max_size=5)),
    st.dictionaries(_KEYS, _VALUES, max_size=4),
)
_CONTENT = st.one_of(st.text(max_size=5), st.lists(_BLOCKS, max_size=4), _VALUES)


@st.composite
def _messages(draw: st.DrawFn) -> BaseMessage:
    content = draw(_CONTENT)
    kind = draw(st.sampled_from(["human", "ai", "system", "tool", "chat"]))
    if kind == "human":
        return HumanMessage.model_construct(content=content)
    if kind == "ai":
        return AIMessage.model_construct(content=content)
    if kind == "system":
        return SystemMessage.model_construct(content=content)
    if kind == "tool":
        return ToolMessage.model_construct(content=content, tool_call_id="c1")
    return ChatMessage.model_construct(content=content, role=draw(st.sampled_from(["user", "developer", "critic"])))


@settings(max_examples=400, deadline=None)
@given(st.lists(_messages(), min_size=1, max_size=4), st.sampled_from([None, "low", "high", "auto"]))
def test_arbitrary_content_converts_or_raises_only_unsupported_content_error(
    messages: list[BaseMessage], detail: Any
) -> None:
    before = copy.deepcopy(messages)
    refused: UnsupportedContentError | None = None
    try:
        converted = wire_messages(messages, default_image_detail=detail)
    except UnsupportedContentError as error:  # the only exception allowed out
        refused, converted = error, []
    event("refused" if refused else "converted")
    if refused is not None:
        assert "messages[" in str(refused) and refused.block_type
    else:
        body = json.loads(json.dumps(converted))  # plain JSON types only
        assert len(body) >= len(messages)
        for message in body:
            if message["role"] == "user" and isinstance(message["content"], list):
                assert message["content"]
                assert {i["type"] for i in message["content"]} <= {"text", "image_url", "input_audio", "audio_url"}
            elif message["role"] != "assistant":
                assert isinstance(message["content"], str)
    assert messages == before
