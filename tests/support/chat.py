"""Shared helpers for the chat-model tests: a model on one of the emulator's endpoint kinds, scripted answers."""

from __future__ import annotations

from typing import Any

from langchain_core.messages import AIMessageChunk

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator
from tests.conftest import API_KEY


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
