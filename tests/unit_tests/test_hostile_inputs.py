"""Inputs langchain-core or the service cannot take get the typed error before anything is sent (issue 16): an
empty message list, a role the spec does not have, a tool call whose id or arguments cannot be sent, and blocks
langchain-core's normalisation (which runs before ``_generate``) fails on with bare errors."""

from __future__ import annotations

from typing import Any

import pytest
from langchain_core.messages import AIMessage, BaseMessage, ChatMessage, HumanMessage

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.errors import UnsupportedContentError
from langchain_azure_multimodal.testing import MockWire, completion

WIRE = MockWire(lambda call: completion())
MODEL = ChatAzureMultimodal(endpoint="http://127.0.0.1:9/models", wire=WIRE, model="phi-4-multimodal-instruct")


def _tool_call(**fields: Any) -> AIMessage:
    message = AIMessage("", tool_calls=[{"id": "c1", "name": "f", "args": {}}])
    message.tool_calls[0].update(fields)  # type: ignore[typeddict-item]
    return message


CASES: dict[str, tuple[list[BaseMessage], str]] = {
    "no messages": ([], "No messages to send: the service needs at least one"),
    "a role the spec has not": ([ChatMessage(role="critic", content="x")], "the service has no such role"),
    "a tool call id that is not text": ([HumanMessage("a"), _tool_call(id=7)], "its id is not text"),
    "NaN in tool arguments": ([HumanMessage("a"), _tool_call(args={"x": float("nan")})], "not JSON"),
    "a block whose type is an object": ([HumanMessage([{"type": {}}])], r"messages\[0\]\.content\[0\]"),
    "a block that is a number": ([HumanMessage.model_construct(content=[5])], "must be a string or a dict"),
    "an image with no source": ([HumanMessage([{"type": "image", "text": None}])], "has no base64 or url"),
    "a v0 block without data": (
        [HumanMessage([{"type": "image", "source_type": "base64", "mime_type": "image/png"}])],
        'needs "data"',
    ),
}


@pytest.mark.parametrize("case", CASES, ids=list(CASES))
async def test_refused_with_the_typed_error_before_the_wire(case: str) -> None:
    messages, error = CASES[case]
    sent = len(WIRE.calls)
    with pytest.raises(UnsupportedContentError, match=error):
        MODEL.invoke(messages)
    with pytest.raises(UnsupportedContentError, match=error):
        await MODEL.ainvoke(messages)
    with pytest.raises(UnsupportedContentError, match=error):
        list(MODEL.stream(messages))
    assert len(WIRE.calls) == sent


@pytest.mark.parametrize(
    "block",
    [
        {"type": "image", "source_type": "url", "data": "aGk=", "mime_type": "image/png"},  # core: KeyError 'url'
        {"type": "audio", "source_type": "base64", "url": "https://x/a.wav", "mime_type": "audio/wav"},  # 'data'
        {"type": "image", "source_type": "base64", "data": "aGk=", "mime_type": "image/png", "id": "a",
         "metadata": {"id": "b"}},  # core: create_image_block() got multiple values for 'id'
    ],
)  # fmt: skip
def test_v0_blocks_langchain_core_fails_on_are_typed_errors(block: dict[str, Any]) -> None:
    sent = len(WIRE.calls)
    with pytest.raises(UnsupportedContentError):
        MODEL.invoke([HumanMessage([block])])
    assert len(WIRE.calls) == sent


def test_langchain_cores_normaliser_is_where_this_package_calls_it() -> None:
    # core_normalises calls langchain-core's private _normalize_messages: if it moves, this fails loudly.
    from langchain_core.language_models._utils import _normalize_messages

    assert callable(_normalize_messages)
