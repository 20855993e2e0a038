"""The emulator's default answers: deterministic, and honest about what the request carried.

The answer text lists the images (format, size, detail), the audio clips (format, duration), whether there was a
system prompt and the last user text. Usage is computed from what was sent:

* text: one token per four characters of every message's text (``profiles.text_tokens``);
* images: the tile rule of the model's profile (``low`` = 85; ``high``/``auto`` = 85 + 170 per 512-px tile after
  fitting in 2048x2048 and scaling the short side to 768); an image whose size is unknown (remote, or not
  inspected without the ``media`` extra) counts as a 1024x1024 image (765 at ``high``, 85 at ``low``);
* audio: ``audio_tokens_per_second`` of the profile times the duration; an unknown duration counts 0;
* completion: the answer's text by the same character rule; a spoken answer adds its audio tokens (the clip's
  duration at the profile's rate), reported in ``completion_tokens_details``.

When the request asks for audio (``modalities``), each choice that is not a tool call is spoken (:mod:`.speaking`):
its content, after the stop and length cuts, becomes the transcript of ``message.audio``, and ``content`` is null.

``max_tokens`` (or ``max_completion_tokens``) cuts the answer (``finish_reason: "length"``) and ``stop`` sequences
end it early; ``n`` gives that many choices (each text its own), ``logprobs``/``top_logprobs`` deterministic log
probabilities (:mod:`.annotate`). Which tools are called, with which arguments, and what structured output holds
follow the rules of :mod:`.agent`: the user's text decides, deterministically; after tool results the answer quotes
them.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .._urls import is_http_url
from ..profiles import ModelProfile, prompt_text_tokens, text_tokens
from . import agent, annotate, wire
from .media import AudioFacts, ImageFacts, RefusedMediaError, inspect_audio, inspect_image

if TYPE_CHECKING:  # speaking reads this module's content pieces
    from .speaking import Speaker


@dataclass
class RequestSummary:
    """What a chat request carried, after its media passed the profile's checks."""

    images: list[ImageFacts] = field(default_factory=list)
    audio: list[AudioFacts] = field(default_factory=list)
    system_prompt: bool = False
    last_user_text: str | None = None
    text_tokens: int = 0
    image_tokens: int = 0
    audio_tokens: int = 0

    @property
    def prompt_tokens(self) -> int:
        return self.text_tokens + self.image_tokens + self.audio_tokens


def summarize(options: wire.ChatCompletionsOptions, body: dict[str, Any], profile: ModelProfile) -> RequestSummary:
    """Inspect every message against ``profile``; raises :class:`RefusedMediaError` for what the service refuses.

    ``body`` is the request as sent: its text is counted by the same rule the client's estimates use. It reads
    nothing but its arguments, so the emulator may run it in a worker thread (:func:`decodes_media`).
    """
    summary = RequestSummary()
    for index, message in enumerate(options.messages):
        if isinstance(message, wire.SystemMessage):
            summary.system_prompt = True
        elif isinstance(message, wire.UserMessage):
            summary.last_user_text = _summarize_user(f"messages[{index}]", message, profile, summary)
    summary.text_tokens = prompt_text_tokens(body["messages"])
    return summary


def decodes_media(options: wire.ChatCompletionsOptions) -> bool:
    """Whether :func:`summarize` would decode anything: an image or audio clip sent inline (URLs are not fetched).

    Only such requests are worth a worker thread; the rest are summarized at once, never queued behind a decode.
    """
    return any(
        isinstance(message, wire.UserMessage)
        and not isinstance(message.content, str)
        and any(
            isinstance(item, wire.InputAudioItem)
            or (isinstance(item, wire.ImageItem) and not is_http_url(item.image_url.url))
            for item in message.content
        )
        for message in options.messages
    )


def _summarize_user(where: str, message: wire.UserMessage, profile: ModelProfile, summary: RequestSummary) -> str:
    if isinstance(message.content, str):
        return message.content
    texts, images_in_turn = [], 0
    for position, item in enumerate(message.content):
        target = f"{where}.content[{position}]"
        if isinstance(item, wire.TextItem):
            texts.append(item.text)
        elif isinstance(item, wire.ImageItem):
            if not profile.image_input:
                raise RefusedMediaError(target, f"{profile.name} does not take image input; send text only")
            images_in_turn += 1
            _check_image_count(target, images_in_turn, len(summary.images) + 1, profile)
            facts = inspect_image(f"{target}.image_url.url", item.image_url.url, item.image_url.detail, profile)
            summary.images.append(facts)
            summary.image_tokens += (
                profile.image_tokens.tokens(facts.width, facts.height or 1, facts.detail)
                if facts.width
                else profile.image_tokens.tokens_for_unknown_size(facts.detail)
            )
        else:
            if not profile.audio_input:
                raise RefusedMediaError(target, f"{profile.name} does not take audio input; transcribe it first")
            if isinstance(item, wire.AudioUrlItem):
                summary.audio.append(AudioFacts(remote=True))
                continue
            facts_audio = inspect_audio(
                f"{target}.input_audio", item.input_audio.data, item.input_audio.format, profile
            )
            summary.audio.append(facts_audio)
            summary.audio_tokens += profile.audio_tokens(facts_audio.duration_s or 0.0)
    return " ".join(texts)


def _check_image_count(target: str, in_turn: int, in_request: int, profile: ModelProfile) -> None:
    if in_request > profile.max_images_per_request:
        raise RefusedMediaError(
            target,
            f"{profile.name} takes at most {profile.max_images_per_request} image(s) per request; "
            f"this is image {in_request}. Send fewer images or split the request",
        )
    if in_turn > profile.max_images_per_turn:
        raise RefusedMediaError(
            target, f"{profile.name} takes at most {profile.max_images_per_turn} image(s) per user turn"
        )


def describe(summary: RequestSummary, profile: ModelProfile, extras: dict[str, Any]) -> str:
    """The default answer text."""
    parts = [f"[emulator:{profile.name}]"]
    if summary.images:
        listed = "; ".join(f"#{i} {facts.describe()}" for i, facts in enumerate(summary.images, 1))
        parts.append(f"Received {_count(len(summary.images), 'image')}: {listed}.")
    if summary.audio:
        listed = "; ".join(f"#{i} {facts.describe()}" for i, facts in enumerate(summary.audio, 1))
        parts.append(f"Received {_count(len(summary.audio), 'audio clip')}: {listed}.")
    if not summary.images and not summary.audio:
        parts.append("Received no images and no audio.")
    system = "yes" if summary.system_prompt else "no"
    if summary.system_prompt and not profile.system_messages:
        system += " (merged into the user turn: this model has no system role)"
    parts.append(f"System prompt: {system}.")
    if extras:
        parts.append(
            "Extra parameters passed through: " + ", ".join(f"{k}={json.dumps(v)}" for k, v in extras.items()) + "."
        )
    if summary.last_user_text is not None:
        parts.append(f"Last user text: {json.dumps(summary.last_user_text, ensure_ascii=False)}")
    return " ".join(parts)


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}" if n == 1 else f"{n} {noun}s"


@dataclass(frozen=True)
class Settings:
    """What shapes an answer: the body's settings and those of the extra parameters that reached the model."""

    limit: int | None = None
    choices: int = 1
    #: How many alternatives each token's log probability lists; ``None``: no log probabilities.
    top_logprobs: int | None = None
    stop: tuple[str, ...] = ()
    parallel_tool_calls: bool = True

    @classmethod
    def of(cls, options: wire.ChatCompletionsOptions, extras: dict[str, Any]) -> Settings:
        def given(name: str, kind: type) -> Any:
            value = getattr(options, name, None)
            value = extras.get(name) if value is None else value  # passed through to the model: it reads them too
            return value if isinstance(value, kind) and not (kind is int and isinstance(value, bool)) else None

        logprobs = bool(given("logprobs", bool))
        return cls(
            limit=options.max_tokens if options.max_tokens is not None else given("max_completion_tokens", int),
            choices=max(1, given("n", int) or 1),
            top_logprobs=(given("top_logprobs", int) or 0) if logprobs else None,
            stop=tuple(options.stop_sequences),
            parallel_tool_calls=given("parallel_tool_calls", bool) is not False,
        )


@dataclass
class Choice:
    """One of the answer's choices."""

    content: str | None
    finish_reason: str
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    logprobs: dict[str, Any] | None = None
    completion_tokens: int = 0
    #: ``message.audio`` of a spoken choice (``content`` is then ``None``), and its audio tokens.
    audio: dict[str, Any] | None = None
    audio_tokens: int = 0

    @property
    def pieces(self) -> list[str]:
        """The streamed deltas of the content (a token of the log probabilities is one piece)."""
        return content_pieces(self.content or "")


@dataclass
class Reply:
    choices: list[Choice]
    usage: dict[str, Any]


def answer(
    options: wire.ChatCompletionsOptions,
    summary: RequestSummary,
    profile: ModelProfile,
    extras: dict[str, Any],
    speaker: Speaker | None = None,
) -> Reply:
    """The full default answer: ``n`` choices of content (spoken by ``speaker``, if any) or tool calls, and the
    usage of them all."""
    settings = Settings.of(options, extras)
    choices = [_choice(options, summary, profile, extras, settings, i) for i in range(settings.choices)]
    if speaker is not None:
        choices = [_spoken(choice, speaker) for choice in choices]
    usage = _usage(summary, sum(c.completion_tokens for c in choices))
    if speaker is not None:
        usage["completion_tokens_details"] = speaker.usage_details(sum(c.audio_tokens for c in choices))
    return Reply(choices, usage)


def _spoken(choice: Choice, speaker: Speaker) -> Choice:
    if choice.tool_calls:  # a tool call is the answer: there is nothing to say yet
        return choice
    spoken = speaker.speak(choice.content or "")
    # The answer's tokens are on the audio now; no text token carries a log probability.
    logprobs = {"content": None, "refusal": None} if choice.logprobs is not None else None
    completion_tokens = choice.completion_tokens + spoken.tokens
    return Choice(None, choice.finish_reason, [], logprobs, completion_tokens, spoken.audio, spoken.tokens)


def _choice(
    options: wire.ChatCompletionsOptions,
    summary: RequestSummary,
    profile: ModelProfile,
    extras: dict[str, Any],
    settings: Settings,
    index: int,
) -> Choice:
    tool_calls = _tool_calls(options, summary, settings, index)
    if tool_calls:
        completion = sum(text_tokens(c["function"]["name"] + c["function"]["arguments"]) for c in tool_calls)
        logprobs = {"content": None, "refusal": None} if settings.top_logprobs is not None else None
        return Choice(None, "tool_calls", tool_calls, logprobs, completion)
    content = _content(options, summary, profile, extras)
    if index and options.response_format is None:  # each choice its own text, as n answers differ
        content += f" (choice {index + 1} of {settings.choices})"
    content, finish_reason = _apply_stop(content, settings.stop)
    if settings.limit is not None and text_tokens(content) > settings.limit:
        content, finish_reason = content[: settings.limit * 4], "length"
    choice = Choice(content, finish_reason, completion_tokens=text_tokens(content))
    if settings.top_logprobs is not None:
        choice.logprobs = annotate.logprobs(choice.pieces, settings.top_logprobs)
    return choice


def _content(
    options: wire.ChatCompletionsOptions, summary: RequestSummary, profile: ModelProfile, extras: dict[str, Any]
) -> str:
    response_format = options.response_format
    text = summary.last_user_text or ""
    if isinstance(response_format, wire.ResponseFormatJsonSchema):
        return json.dumps(agent.structured_instance(response_format.json_schema.schema_, text), ensure_ascii=False)
    if isinstance(response_format, wire.ResponseFormatJsonObject):
        named = agent.json_object_answer(text)
        return json.dumps(
            named
            or {
                "images": len(summary.images),
                "audio_clips": len(summary.audio),
                "system_prompt": summary.system_prompt,
                "last_user_text": summary.last_user_text,
            },
            ensure_ascii=False,
        )
    after_tools = agent.tool_results_answer(options.messages)
    if after_tools is not None:
        return f"[emulator:{profile.name}] {after_tools}"
    return describe(summary, profile, extras)


def _apply_stop(content: str, stop: tuple[str, ...]) -> tuple[str, str]:
    cuts = [content.find(s) for s in stop if s and s in content]
    return (content[: min(cuts)], "stop") if cuts else (content, "stop")


def _tool_calls(
    options: wire.ChatCompletionsOptions, summary: RequestSummary, settings: Settings, index: int
) -> list[dict[str, Any]]:
    tools = options.tools or []
    choice = options.tool_choice
    if not tools or choice == "none":
        return []
    text = summary.last_user_text or ""
    if isinstance(choice, wire.NamedToolChoice):
        chosen = [t for t in tools if t.function.name == choice.function.name][:1]
    elif choice == "required":
        chosen = agent.referred_tools(tools, text) or tools[:1]
    elif isinstance(options.messages[-1], wire.UserMessage):  # auto: a user turn that refers to tools calls them
        chosen = agent.referred_tools(tools, text)
    else:  # auto after tool results: answer them
        chosen = []
    if not settings.parallel_tool_calls:
        chosen = chosen[:1]
    calls = []
    for position, tool in enumerate(chosen):
        arguments = json.dumps(
            agent.arguments_from_text(tool.function.parameters, text, tool_name=tool.function.name),
            ensure_ascii=False,
        )
        digest = hashlib.sha256(f"{index}:{position}:{tool.function.name}:{arguments}".encode()).hexdigest()[:12]
        function = {"name": tool.function.name, "arguments": arguments}
        calls.append({"id": f"call_{digest}", "type": "function", "function": function})
    return calls


def _usage(summary: RequestSummary, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": summary.prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": summary.prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"audio_tokens": summary.audio_tokens, "cached_tokens": 0},
    }


def content_pieces(content: str) -> list[str]:
    """The streamed deltas of ``content``: one word with its trailing space at a time."""
    return re.findall(r"\s*\S+\s*", content) or ([content] if content else [])


def argument_pieces(arguments: str, size: int = 8) -> list[str]:
    """The streamed fragments of a tool call's arguments, as a model writes them: a few characters at a time."""
    return [arguments[i : i + size] for i in range(0, len(arguments), size)] or [""]
