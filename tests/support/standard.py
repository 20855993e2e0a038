"""What ChatAzureMultimodal supports, told to LangChain's standard test suites (unit and integration alike)."""

from __future__ import annotations

from langchain_azure_multimodal import ChatAzureMultimodal


class Capabilities:
    """The capability flags both standard suites read."""

    @property
    def chat_model_class(self) -> type[ChatAzureMultimodal]:
        return ChatAzureMultimodal

    @property
    def supports_image_inputs(self) -> bool:
        return True

    @property
    def supports_image_urls(self) -> bool:
        return True

    @property
    def supports_audio_inputs(self) -> bool:
        return True

    @property
    def supports_image_tool_message(self) -> bool:
        return True

    @property
    def supports_json_mode(self) -> bool:
        return True
