"""The two chat protocols Azure's routes speak, and the request rules each applies: the one table of them.

Every Azure route answers ``POST {endpoint}/chat/completions``, but two families read the body differently:

=========================  ===========================================  ===========================================
rule                       Model Inference (``/models``, serverless)    OpenAI (``/openai/deployments/{d}``, ``/v1``)
=========================  ===========================================  ===========================================
parameters                 the spec's ``ChatCompletionsOptions``        those and OpenAI's (:data:`OPENAI_PARAMETERS`)
``temperature``            0 to 1                                       0 to 2
``stop``                   a list of strings                            a string or a list of up to 4
``n``, ``top_logprobs``    extra parameters                             1 to 128, 0 to 20
unknown keys               the ``extra-parameters`` header decides      400 ``invalid_request_error``
                           (422 by default)                             "Unrecognized request argument supplied"
``max_tokens`` beside      —                                            400: set one of the two
``max_completion_tokens``
content-filter results     none                                         in the answer and as a stream's first chunk
speech (``audio`` output)  ``audio`` optional (an extra parameter)      ``audio`` required beside the modality
streamed chunks' object    ``chat.completion`` (as the spec says)       ``chat.completion.chunk``
=========================  ===========================================  ===========================================

Sources: the Model Inference 2025-05-01 OpenAPI spec (``ChatCompletionsOptions``: ``temperature`` and ``top_p``
``minimum: 0, maximum: 1``, ``stop`` an array with ``minItems: 1``; the ``extra-parameters`` header); the Azure
OpenAI REST reference for chat completions (``temperature`` 0 to 2, ``stop`` string or array of up to 4, ``n``,
``logprobs``/``top_logprobs`` 0 to 20, ``max_completion_tokens``; content filtering annotations in
``prompt_filter_results`` and per-choice ``content_filter_results``), and OpenAI's chat completions reference.

The client reads this table before sending (a value out of its route's range is a ``ValueError`` naming the range,
before any network call; OpenAI's parameters go in the body on the OpenAI routes and as extra parameters on the
others) and the emulator serves by it.

Example:
    >>> rules = RULES[Protocol.MODEL_INFERENCE]
    >>> rules.ranges["temperature"], RULES[Protocol.OPENAI].ranges["temperature"]
    ((0, 1), (0, 2))
    >>> RULES[Protocol.OPENAI].out_of_range("temperature", 2.5)
    'temperature=2.5 is out of range: OpenAI routes take 0 to 2'
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

__all__ = ["OPENAI_PARAMETERS", "RULES", "Protocol", "ProtocolRules"]

_INT32 = 2**31 - 1


class Protocol(StrEnum):
    """How a route reads a chat request."""

    #: The Azure AI Model Inference API (Foundry ``/models``, serverless and managed-compute endpoints).
    MODEL_INFERENCE = "model-inference"
    #: OpenAI's chat API as Azure OpenAI serves it (deployments and ``/openai/v1``; OpenAI-compatible servers).
    OPENAI = "openai"


#: Request keys of OpenAI's chat completions that the Model Inference spec does not define.
OPENAI_PARAMETERS: frozenset[str] = frozenset({
    "stream_options", "max_completion_tokens", "n", "logprobs", "top_logprobs", "logit_bias", "user",
    "parallel_tool_calls", "reasoning_effort", "store", "metadata", "prediction", "audio", "service_tier",
    "verbosity",
})  # fmt: skip


@dataclass(frozen=True)
class ProtocolRules:
    """What one protocol takes in a chat request body."""

    label: str
    #: Body keys beyond the Model Inference spec's that the route takes as they are.
    native_parameters: frozenset[str]
    #: Inclusive numeric ranges of the parameters that have one.
    ranges: Mapping[str, tuple[int, int]]
    #: ``stop`` may be a lone string (not only a list).
    stop_string: bool
    #: At most this many ``stop`` sequences (``None``: no limit).
    max_stop: int | None
    #: Unknown body keys are judged by the ``extra-parameters`` header; else they are refused.
    extra_parameters_header: bool
    #: Pairs of parameters that must not be sent together.
    exclusive: tuple[tuple[str, str], ...]
    #: Answers carry Azure's content-filter results (and a stream opens with them, ``choices: []``).
    content_filter: bool
    #: The ``object`` of streamed chunks.
    chunk_object: str
    #: ``modalities`` with ``"audio"`` needs ``audio`` (voice and format) beside it: Azure OpenAI refuses it without;
    #: the Model Inference spec has no ``audio`` parameter (its AudioModality example sends ``modalities`` alone).
    speech_needs_audio: bool = False

    def out_of_range(self, name: str, value: object) -> str | None:
        """Why ``value`` is out of ``name``'s range on this protocol, or ``None`` when it is in range (or has none)."""
        bounds = self.ranges.get(name)
        if bounds is None or isinstance(value, bool) or not isinstance(value, int | float):
            return None
        low, high = bounds
        if low <= value <= high:
            return None
        return f"{name}={value!r} is out of range: {self.label} routes take {low} to {high}"

    def clash(self, body: Mapping[str, object]) -> tuple[str, str] | None:
        """The first pair of parameters in ``body`` that this protocol refuses together."""
        return next(((a, b) for a, b in self.exclusive if body.get(a) is not None and body.get(b) is not None), None)


_SHARED_RANGES = {"top_p": (0, 1), "frequency_penalty": (-2, 2), "presence_penalty": (-2, 2)}

RULES: Mapping[Protocol, ProtocolRules] = MappingProxyType({
    Protocol.MODEL_INFERENCE: ProtocolRules(
        label="Model Inference",
        native_parameters=frozenset(),
        ranges=MappingProxyType({**_SHARED_RANGES, "temperature": (0, 1), "max_tokens": (0, _INT32)}),
        stop_string=False,
        max_stop=None,
        extra_parameters_header=True,
        exclusive=(),
        content_filter=False,
        chunk_object="chat.completion",
    ),
    Protocol.OPENAI: ProtocolRules(
        label="OpenAI",
        native_parameters=OPENAI_PARAMETERS,
        ranges=MappingProxyType({
            **_SHARED_RANGES, "temperature": (0, 2), "max_tokens": (1, _INT32), "max_completion_tokens": (1, _INT32),
            "n": (1, 128), "top_logprobs": (0, 20),
        }),
        stop_string=True,
        max_stop=4,
        extra_parameters_header=False,
        exclusive=(("max_tokens", "max_completion_tokens"),),
        content_filter=True,
        chunk_object="chat.completion.chunk",
        speech_needs_audio=True,
    ),
})  # fmt: skip
