"""LangChain integration for text, image and audio input to Azure-hosted chat models via ``azure-ai-inference``.

Example:
    >>> from langchain_azure_multimodal import ChatAzureMultimodal
    >>> llm = ChatAzureMultimodal(endpoint="https://my-resource.openai.azure.com/openai/v1", api_key="...",
    ...                           model="gpt-4o")
    >>> llm.endpoint_settings.kind.value
    'openai-v1'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time each name is imported on first use (below)
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

# Lazy on purpose (PEP 562): importing the package, or a light part of it (the emulator, the command line's parser,
# the profiles), must not pay for the chat model, langchain-core's chat-model machinery, azure-ai-inference, Pillow
# or PyAV. Each public name is imported from its module the first time it is read, then kept in the package's
# namespace, so later reads are plain attribute reads. For the chat model, langchain-core's chat-model module is
# imported here first, not from inside ``chat_models``' own import: the same modules load, yet with it imported
# nested, the import measured 20-25 ms (5 %) slower (bench/README.md, "Start-up"; the cause was not found).
_SOURCES = {
    "ChatAzureMultimodal": "chat_models",
    **dict.fromkeys(("EndpointKind", "EndpointSettings"), "endpoints"),
    **dict.fromkeys(
        ("MediaDecodeError", "MediaError", "MediaExtraRequiredError", "MediaSourceError", "MediaValidationError"),
        "errors",
    ),
    **dict.fromkeys(("CostEstimate", "Prices", "TokenEstimate", "estimate_cost", "estimate_tokens"), "estimates"),
    **dict.fromkeys(("audio_part", "image_part", "split_audio"), "parts"),
    **dict.fromkeys(("DEFAULT_PROFILE", "PROFILES", "ModelProfile", "resolve_profile"), "profiles"),
}


if not TYPE_CHECKING:  # hidden from type checkers, which would otherwise take any name as valid (typed Any)

    def __getattr__(name: str) -> Any:
        module = _SOURCES.get(name)
        if module is None:
            raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
        if module == "chat_models":
            __import__("langchain_core.language_models.chat_models")  # first, on its own: see above
        # __import__ rather than importlib.import_module: the same import, but ``python -X importtime`` lists it.
        value = getattr(__import__(f"{__name__}.{module}", fromlist=[name]), name)
        globals()[name] = value
        return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
