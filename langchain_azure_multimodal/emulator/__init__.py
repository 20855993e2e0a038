"""An embedded emulator of the Azure AI Model Inference API, for offline demos and tests.

It serves the real wire protocol on loopback (the Azurite of Azure AI inference): the ``/models``,
``/openai/deployments/{d}``, ``/openai/v1`` and bare-root routes; ``api-key``/``Bearer`` auth; the
``extra-parameters`` header; spec-checked request bodies; model profiles that refuse what the real model
families refuse; deterministic answers that say what was received; SSE streaming; and a scripted mode with
recorded requests, queued responses and injected faults.

Example:
    >>> from langchain_azure_multimodal.emulator import Emulator
    >>> with Emulator(model="phi-4-multimodal-instruct", api_key="secret") as emu:
    ...     emu.endpoint.startswith("http://127.0.0.1:")
    True
"""

from .app import AOAI_AUDIO_API_VERSION
from .script import Fault, RecordedRequest, ScriptedResponse
from .server import DEFAULT_MODEL, AsyncEmulator, Emulator

__all__ = [
    "AOAI_AUDIO_API_VERSION",
    "DEFAULT_MODEL",
    "AsyncEmulator",
    "Emulator",
    "Fault",
    "RecordedRequest",
    "ScriptedResponse",
]
