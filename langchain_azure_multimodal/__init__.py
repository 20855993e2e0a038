"""LangChain integration for text, image and audio input to Azure-hosted chat models via ``azure-ai-inference``.

Example:
    >>> from langchain_azure_multimodal import ChatAzureMultimodal
    >>> llm = ChatAzureMultimodal(endpoint="https://my-resource.openai.azure.com/openai/v1", api_key="...",
    ...                           model="gpt-4o")
    >>> llm.endpoint_settings.kind.value
    'openai-v1'
"""

# First on purpose: importing langchain-core's chat-model module before its callbacks package (which isort order
# in chat_models.py would do) is measurably faster; see bench/README.md, "Chat model overhead".
import langchain_core.language_models.chat_models  # noqa: F401

from .chat_models import ChatAzureMultimodal
from .endpoints import EndpointKind, EndpointSettings
from .errors import MediaDecodeError, MediaError, MediaExtraRequiredError, MediaSourceError, MediaValidationError
from .estimates import CostEstimate, Prices, TokenEstimate, estimate_cost, estimate_tokens
from .parts import audio_part, image_part, split_audio
from .profiles import DEFAULT_PROFILE, PROFILES, ModelProfile, resolve_profile

__all__ = [
    "DEFAULT_PROFILE",
    "PROFILES",
    "ChatAzureMultimodal",
    "CostEstimate",
    "EndpointKind",
    "EndpointSettings",
    "MediaDecodeError",
    "MediaError",
    "MediaExtraRequiredError",
    "MediaSourceError",
    "MediaValidationError",
    "ModelProfile",
    "Prices",
    "TokenEstimate",
    "audio_part",
    "estimate_cost",
    "estimate_tokens",
    "image_part",
    "resolve_profile",
    "split_audio",
]
__version__ = "0.1.0"
