"""LangChain's standard unit tests for chat models."""

from __future__ import annotations

from typing import Any

from langchain_tests.unit_tests import ChatModelUnitTests

from tests.support.standard import Capabilities


class TestChatAzureMultimodalUnit(Capabilities, ChatModelUnitTests):
    @property
    def chat_model_params(self) -> dict[str, Any]:
        return {"endpoint": "https://my-resource.openai.azure.com/openai/v1", "model": "gpt-4o"}

    @property
    def init_from_env_params(self) -> tuple[dict[str, str], dict[str, Any], dict[str, Any]]:
        return (
            {
                "AZURE_INFERENCE_ENDPOINT": "https://my-resource.services.ai.azure.com/models",
                "AZURE_INFERENCE_CREDENTIAL": "env-key",
            },
            {"model": "phi-4-multimodal-instruct"},
            {"endpoint": "https://my-resource.services.ai.azure.com/models", "credential": "env-key"},
        )
