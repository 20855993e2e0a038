"""LangChain's standard integration tests, against the embedded emulator.

The suite downloads an image and a WAV file from the internet; here the same URLs are answered from files made
on the fly (a PNG chart and a WAV tone), so nothing leaves the machine. Every test of the suite runs and passes
(none is xfailed): the emulator's agent rules (``emulator/agent.py``) call the tool the user's text refers to with
arguments taken from that text (``magic_function(3)`` gives ``input=3``), quote tool results in the next answer,
and fill JSON-mode keys the prompt names; deterministic rules, not a model that reasons.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from langchain_core.messages import AIMessage, HumanMessage
from langchain_tests.integration_tests import ChatModelIntegrationTests
from langchain_tests.integration_tests import chat_models as standard_suite

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator
from tests.conftest import API_KEY
from tests.support.media import b64, image_bytes, wav_bytes
from tests.support.standard import Capabilities

_emulator: Emulator | None = None


class _LocalFiles:
    """Stands in for the ``httpx`` module inside the standard suite: its fixture downloads come from here."""

    def __init__(self) -> None:
        self.files = {".png": image_bytes(800, 600, "PNG"), ".wav": wav_bytes(1.0)}

    def get(self, url: str, **_: Any) -> httpx.Response:
        for suffix, data in self.files.items():
            if url.endswith(suffix):
                return httpx.Response(200, content=data, request=httpx.Request("GET", url))
        raise AssertionError(f"the standard suite asked for a file this conftest does not serve: {url}")


@pytest.fixture(scope="module", autouse=True)
def _served_locally() -> Iterator[None]:
    global _emulator
    patcher = pytest.MonkeyPatch()
    patcher.setattr(standard_suite, "httpx", _LocalFiles())
    patcher.setenv("LANGCHAIN_TESTS_USER_AGENT", "langchain-azure-multimodal-tests (served locally, nothing fetched)")
    with Emulator("phi-4-multimodal-instruct", api_key=API_KEY, models=["gpt-4o"]) as emulator:
        _emulator = emulator
        yield
    patcher.undo()


class TestChatAzureMultimodalIntegration(Capabilities, ChatModelIntegrationTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        assert _emulator is not None
        return {"endpoint": _emulator.endpoint_for("foundry"), "api_key": API_KEY, "model": "phi-4-multimodal-instruct"}

    @property
    def model_override_value(self) -> str:
        return "gpt-4o"

    @property
    def supported_usage_metadata_details(self) -> dict[str, list[str]]:
        return {"invoke": ["audio_input", "cache_read_input"], "stream": ["audio_input", "cache_read_input"]}

    def _model(self) -> ChatAzureMultimodal:
        return self.chat_model_class(**self.chat_model_params)

    def invoke_with_audio_input(self, *, stream: bool = False) -> AIMessage:
        audio = {"type": "audio", "base64": b64(wav_bytes(2.0)), "mime_type": "audio/wav"}
        message = [HumanMessage([{"type": "text", "text": "Transcribe this."}, audio])]
        return _invoke(self._model(), message, stream=stream)

    def invoke_with_cache_read_input(self, *, stream: bool = False) -> AIMessage:
        # The emulator caches nothing, so it reports cached_tokens = 0: the detail is present and honest.
        return _invoke(self._model(), [HumanMessage("A long shared prefix. " * 50)], stream=stream)


def _invoke(model: ChatAzureMultimodal, messages: list[Any], *, stream: bool) -> AIMessage:
    if not stream:
        return model.invoke(messages)
    merged = None
    for chunk in model.stream(messages):
        merged = chunk if merged is None else merged + chunk
    assert merged is not None
    return AIMessage(
        content=merged.content, usage_metadata=merged.usage_metadata, response_metadata=merged.response_metadata
    )


class TestChatAzureMultimodalIntegrationV1(TestChatAzureMultimodalIntegration):
    """The same suite with ``output_version="v1"`` (content as standard blocks), as the partner packages run it."""

    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {**super().chat_model_params, "output_version": "v1"}
