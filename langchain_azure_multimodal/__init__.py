"""LangChain integration for text, image and audio input to Azure-hosted chat models via ``azure-ai-inference``."""

from .profiles import DEFAULT_PROFILE, PROFILES, ModelProfile, resolve_profile

__all__ = ["DEFAULT_PROFILE", "PROFILES", "ModelProfile", "resolve_profile"]
__version__ = "0.1.0"
