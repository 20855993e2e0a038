"""Shared helpers for the chat-model tests: a model on one of the emulator's endpoint kinds, LangChain content
blocks and user turns (the wire's content items are in ``support.http``), scripted answers."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessageChunk, BaseMessage, HumanMessage

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator, RecordedRequest
from tests.conftest import API_KEY
from tests.support.media import b64


def endpoint_of(emulator: Emulator, route: str) -> str:
    """The emulator's URL for ``route``: root/serverless, foundry, azure-openai or openai-v1."""
    return emulator.endpoint if route in ("root", "serverless") else emulator.endpoint_for(route)


def model_on(emulator: Emulator, route: str = "foundry", **kwargs: Any) -> ChatAzureMultimodal:
    """A ``ChatAzureMultimodal`` on ``route`` of ``emulator``, with the test key and the emulator's model."""
    kwargs.setdefault("api_key", API_KEY)
    kwargs.setdefault("model", emulator.model)
    if route == "serverless":
        kwargs.setdefault("endpoint_kind", "serverless")
    return ChatAzureMultimodal(endpoint=endpoint_of(emulator, route), **kwargs)


def image_block(
    data: bytes, mime: str | None = "image/png", detail: str | None = None, **fields: Any
) -> dict[str, Any]:
    """A LangChain base64 image block: ``detail`` goes in its ``extras``, other ``fields`` (``extras=...``) at its top
    level; ``mime=None`` leaves ``mime_type`` out."""
    block: dict[str, Any] = {"type": "image", "base64": b64(data), **fields}
    if mime is not None:
        block["mime_type"] = mime
    if detail is not None:
        block["extras"] = {**block.get("extras", {}), "detail": detail}
    return block


def audio_block(data: bytes, mime: str = "audio/wav", **fields: Any) -> dict[str, Any]:
    """A LangChain base64 audio block, with ``fields`` (``extras=...``) at its top level."""
    return {"type": "audio", "base64": b64(data), "mime_type": mime, **fields}


def user_turn(*blocks: Any, text: str = "Describe this.") -> list[BaseMessage]:
    """One user turn: a text block, then ``blocks`` (so the first of them is ``messages[0].content[1]``)."""
    return [HumanMessage([{"type": "text", "text": text}, *blocks])]


def chat_posts(emulator: Emulator) -> list[RecordedRequest]:
    """The chat requests ``emulator`` received, oldest first."""
    return [r for r in emulator.requests if r.method == "POST" and r.path.endswith("/chat/completions")]


def completion(message: dict[str, Any], finish_reason: str = "stop", **extra: Any) -> dict[str, Any]:
    """A ChatCompletions body, as the service answers."""
    return {
        "id": "chatcmpl-scripted",
        "object": "chat.completion",
        "created": 1_700_000_000,
        "model": "scripted-model",
        "choices": [{"index": 0, "finish_reason": finish_reason, "message": {"role": "assistant", **message}}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 3, "total_tokens": 14},
        **extra,
    }


def merge(chunks: list[AIMessageChunk]) -> AIMessageChunk:
    """The message the chunks of one stream add up to."""
    assert chunks
    merged = chunks[0]
    for chunk in chunks[1:]:
        merged = merged + chunk
    return merged
