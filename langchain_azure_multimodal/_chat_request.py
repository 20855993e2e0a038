"""The request for one call: the chat model's settings and the call's arguments, as the wire's body and headers.

Pure (no I/O): every check happens here, before the network. Which keys go in the body and which are extra
parameters, and the range each setting must be in, follow the route's protocol (:data:`~.protocols.RULES`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, get_args

from langchain_core.messages import BaseMessage

from ._messages import parse_messages, require_messages, to_wire_messages
from ._model_arguments import check_call_arguments
from ._preflight import MediaOptions, check_endpoint_takes_audio, prepare
from .profiles import AUDIO_OUTPUT_FORMATS, PROFILES
from .protocols import RULES, Protocol

if TYPE_CHECKING:
    from .chat_models import ChatAzureMultimodal
    from .profiles import ModelProfile

ExtraParameters = Literal["pass-through", "drop", "error"]
#: Body fields that only OpenAI's protocol defines (an extra parameter on the Model Inference routes).
_OPENAI_ONLY = RULES[Protocol.OPENAI].native_parameters
#: The settings sent in the request body (as fields and per call), in the order they are sent.
BODY_FIELDS = (
    "temperature",
    "top_p",
    "max_tokens",
    "max_completion_tokens",
    "seed",
    "presence_penalty",
    "frequency_penalty",
    "reasoning_effort",
    "n",
    "logprobs",
    "top_logprobs",
    "modalities",
    "audio",
)
#: What a call takes besides the body fields: request parts and this model's per-call options.
CALL_ARGUMENTS = frozenset({
    "stop", "model", "tools", "tool_choice", "response_format", "parallel_tool_calls", "model_extras",
    "extra_parameters", "default_image_detail", "normalize_media", "keep_image_metadata", "image_policy",
    "ls_structured_output_format", "strict",
})  # fmt: skip


def build_request(
    model: ChatAzureMultimodal,
    profile: ModelProfile,
    messages: Sequence[BaseMessage],
    stop: list[str] | None,
    *,
    stream: bool,
    kwargs: dict[str, Any],
) -> tuple[dict[str, Any], dict[str, str]]:
    """The body and headers of ``model``'s request for ``messages``, checked against ``profile``, with the call's
    ``kwargs`` (taken from it)."""
    settings = model.endpoint_settings
    require_messages(messages)
    parsed = parse_messages(
        messages, default_image_detail=kwargs.pop("default_image_detail", model.default_image_detail)
    )
    check_endpoint_takes_audio(parsed, settings)
    media = MediaOptions(
        normalize=kwargs.pop("normalize_media", model.normalize_media),
        keep_metadata=kwargs.pop("keep_image_metadata", model.keep_image_metadata),
        image_policy=kwargs.pop("image_policy", model.image_policy),
    )
    prepared = prepare(parsed, profile, media)
    body: dict[str, Any] = {"messages": to_wire_messages(prepared)}
    extras = {**model.model_extras, **kwargs.pop("model_extras", {})}
    rules = RULES[settings.protocol]
    for name in BODY_FIELDS:
        value = kwargs.pop(name, None)
        value = getattr(model, name) if value is None else value
        if value is None:  # zeros are real settings (temperature=0, seed=0) and must be sent
            continue
        if (problem := rules.out_of_range(name, value)) is not None:
            raise ValueError(f"{problem} ({settings.kind.value} endpoint {settings.endpoint}); pass a value in range")
        if name in rules.native_parameters or name not in _OPENAI_ONLY:
            body[name] = value
        else:
            extras.setdefault(name, value)  # not in the Model Inference API: an extra parameter there
    _check_speech(
        body.get("modalities") or extras.get("modalities"),
        body["audio"] if "audio" in body else extras.get("audio"),
        profile,
        audio_required=rules.speech_needs_audio,
    )
    if (clash := rules.clash(body)) is not None:
        raise ValueError(f"{clash[0]} and {clash[1]} cannot both be sent to {rules.label} routes: set one of them")
    stop = stop if stop is not None else kwargs.pop("stop", None) or model.stop
    if stop:  # the spec refuses an empty list
        stop = [stop] if isinstance(stop, str) else list(stop)
        if rules.max_stop is not None and len(stop) > rules.max_stop:
            raise ValueError(f"{len(stop)} stop sequences given; {rules.label} routes take at most {rules.max_stop}")
        body["stop"] = stop
    model_name = kwargs.pop("model", None) or model.model
    if model_name:
        body["model"] = model_name
    tools = kwargs.pop("tools", None)
    if tools:  # the spec refuses an empty list (minItems 1); create_agent sends one with ProviderStrategy
        body["tools"] = tools
    choice = kwargs.pop("tool_choice", None)
    if choice is not None and tools:
        body["tool_choice"] = choice
    elif choice not in (None, "auto", "none"):
        raise ValueError(f"tool_choice={choice!r} needs tools: bind some with bind_tools([...]) or leave it out")
    if kwargs.get("response_format") is not None:
        body["response_format"] = kwargs.pop("response_format")
    if (parallel := kwargs.pop("parallel_tool_calls", None)) is not None:
        (body if "parallel_tool_calls" in rules.native_parameters else extras)["parallel_tool_calls"] = parallel
    for name in ("ls_structured_output_format", "strict"):
        kwargs.pop(name, None)
    mode = kwargs.pop("extra_parameters", model.extra_parameters)
    if mode not in (None, *get_args(ExtraParameters)):
        raise ValueError(f"extra_parameters must be 'pass-through', 'drop' or 'error', not {mode!r}")
    check_call_arguments(kwargs, (*BODY_FIELDS, *CALL_ARGUMENTS), owner=f"{type(model).__name__}.invoke")
    if stream:
        if (answers := body.get("n") or extras.get("n") or 1) > 1:
            raise ValueError(
                f"n={answers} asks for several answers, which a stream cannot carry: use invoke (each answer is a "
                "generation of the result), or leave n out"
            )
        body["stream"] = True
        if model.stream_usage:
            if "stream_options" in rules.native_parameters:
                body["stream_options"] = {"include_usage": True}
            elif mode in (None, "pass-through"):
                extras.setdefault("stream_options", {"include_usage": True})
    headers: dict[str, str] = {}
    if not rules.extra_parameters_header:
        if mode == "drop":  # the header means nothing there: the service would refuse the keys, not drop them
            raise ValueError(
                f"extra_parameters='drop' cannot work on {rules.label} routes ({settings.endpoint}): they have no "
                "extra-parameters header and refuse keys they do not know; remove those keys from model_extras"
            )
        body.update(extras)
    elif extras:
        body.update(extras)
        headers["extra-parameters"] = mode or "pass-through"
    elif mode is not None:
        headers["extra-parameters"] = mode
    return body, headers


def _check_speech(modalities: object, audio: object, profile: ModelProfile, *, audio_required: bool) -> None:
    """Refuse, before the network, a spoken answer the model or the settings cannot give."""
    if not isinstance(modalities, list | tuple) or "audio" not in modalities:
        if audio is not None:
            raise ValueError(
                f"audio={audio!r} sets the voice and format of a spoken answer, but modalities does not ask for one: "
                "pass modalities=['text', 'audio'] too, or leave audio out"
            )
        return
    if profile.audio_output is False:
        speakers = ", ".join(sorted(name for name, p in PROFILES.items() if p.audio_output))
        raise ValueError(
            f"{profile.name} cannot speak: modalities={modalities!r} asks for audio output. Use a model that "
            f"speaks ({speakers}) or modalities=['text']"
        )
    if audio is None:
        if audio_required:  # Azure OpenAI refuses audio output without its voice and format
            raise ValueError("modalities asks for audio: pass audio={'voice': 'alloy', 'format': 'wav'} too")
        return
    if not isinstance(audio, dict) or not isinstance(audio.get("voice"), str) or "format" not in audio:
        raise ValueError(f"audio must be a dict such as {{'voice': 'alloy', 'format': 'wav'}}, not {audio!r}")
    voices = profile.voices
    if voices and audio["voice"] not in voices:
        raise ValueError(f"{profile.name} has no voice {audio['voice']!r}; use one of {', '.join(sorted(voices))}")
    formats = profile.audio_output_formats or AUDIO_OUTPUT_FORMATS
    if audio["format"] not in formats:
        raise ValueError(
            f"{profile.name} cannot answer in {audio['format']!r} audio; use one of {', '.join(sorted(formats))}"
        )
