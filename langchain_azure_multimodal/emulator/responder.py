"""The emulator's default answers: deterministic, and honest about what the request carried.

The answer text lists the images (format, size, detail), the audio clips (format, duration), whether there was a
system prompt and the last user text. Usage is computed from what was sent:

* text: one token per four characters of every message's text (``profiles.text_tokens``);
* images: the tile rule of the model's profile (``low`` = 85; ``high``/``auto`` = 85 + 170 per 512-px tile after
  fitting in 2048x2048 and scaling the short side to 768); an image whose size is unknown (remote, or not
  inspected without the ``media`` extra) counts as a 1024x1024 image (765 at ``high``, 85 at ``low``);
* audio: ``audio_tokens_per_second`` of the profile times the duration; an unknown duration counts 0;
* completion: the answer's text by the same character rule.

``max_tokens`` cuts the answer (``finish_reason: "length"``) and ``stop`` sequences end it early. Tools are called
when ``tool_choice`` is ``required`` or names a function, or, with ``auto``, when the last message is the user's
and mentions a tool by name; arguments are a minimal instance of the tool's schema, and with ``auto`` the user's
double-quoted values fill its string arguments in order. ``response_format``
``json_schema`` answers with such an instance, and ``json_object`` with a JSON summary of the request.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from ..profiles import ModelProfile, prompt_text_tokens, text_tokens
from . import wire
from .instances import minimal_instance
from .media import AudioFacts, ImageFacts, RefusedMediaError, inspect_audio, inspect_image


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


@dataclass
class Answer:
    content: str | None
    finish_reason: str
    tool_calls: list[dict[str, Any]]
    usage: dict[str, Any]


def summarize(options: wire.ChatCompletionsOptions, body: dict[str, Any], profile: ModelProfile) -> RequestSummary:
    """Inspect every message against ``profile``; raises :class:`RefusedMediaError` for what the service refuses.

    ``body`` is the request as sent: its text is counted by the same rule the client's estimates use.
    """
    summary = RequestSummary()
    for index, message in enumerate(options.messages):
        if isinstance(message, wire.SystemMessage):
            summary.system_prompt = True
        elif isinstance(message, wire.UserMessage):
            summary.last_user_text = _summarize_user(f"messages[{index}]", message, profile, summary)
    summary.text_tokens = prompt_text_tokens(body["messages"])
    return summary


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


def answer(
    options: wire.ChatCompletionsOptions, summary: RequestSummary, profile: ModelProfile, extras: dict[str, Any]
) -> Answer:
    """The full default answer: content or tool calls, finish reason and usage."""
    tool_calls = _tool_calls(options, summary)
    if tool_calls:
        completion = sum(text_tokens(c["function"]["name"] + c["function"]["arguments"]) for c in tool_calls)
        return Answer(None, "tool_calls", tool_calls, _usage(summary, completion))
    content = _content(options, summary, profile, extras)
    content, finish_reason = _apply_stop(content, options.stop)
    if options.max_tokens is not None and text_tokens(content) > options.max_tokens:
        content, finish_reason = content[: options.max_tokens * 4], "length"
    return Answer(content, finish_reason, [], _usage(summary, text_tokens(content)))


def _content(
    options: wire.ChatCompletionsOptions, summary: RequestSummary, profile: ModelProfile, extras: dict[str, Any]
) -> str:
    response_format = options.response_format
    if isinstance(response_format, wire.ResponseFormatJsonSchema):
        return json.dumps(minimal_instance(response_format.json_schema.schema_))
    if isinstance(response_format, wire.ResponseFormatJsonObject):
        return json.dumps(
            {
                "images": len(summary.images),
                "audio_clips": len(summary.audio),
                "system_prompt": summary.system_prompt,
                "last_user_text": summary.last_user_text,
            }
        )
    return describe(summary, profile, extras)


def _apply_stop(content: str, stop: list[str] | None) -> tuple[str, str]:
    cuts = [content.find(s) for s in stop or [] if s and s in content]
    return (content[: min(cuts)], "stop") if cuts else (content, "stop")


def _tool_calls(options: wire.ChatCompletionsOptions, summary: RequestSummary) -> list[dict[str, Any]]:
    tools = options.tools or []
    choice = options.tool_choice
    if not tools or choice == "none":
        return []
    if isinstance(choice, wire.NamedToolChoice):
        chosen = [t for t in tools if t.function.name == choice.function.name]
    elif choice == "required":
        chosen = tools[:1]
    else:  # auto: only a user turn that names a tool calls it
        last = options.messages[-1]
        text = (summary.last_user_text or "") if isinstance(last, wire.UserMessage) else ""
        chosen = [t for t in tools if re.search(rf"\b{re.escape(t.function.name)}\b", text)][:1]
        quoted = re.findall(r'"([^"]+)"', text)
    calls = []
    for index, tool in enumerate(chosen):
        schema = tool.function.parameters or {"type": "object"}
        instance = minimal_instance(schema)
        if choice not in ("required",) and not isinstance(choice, wire.NamedToolChoice):
            _fill_strings_from_quotes(instance, schema, quoted)
        arguments = json.dumps(instance)
        digest = hashlib.sha256(f"{index}:{tool.function.name}:{arguments}".encode()).hexdigest()[:12]
        calls.append(
            {
                "id": f"call_{digest}",
                "type": "function",
                "function": {"name": tool.function.name, "arguments": arguments},
            }
        )
    return calls


def _usage(summary: RequestSummary, completion_tokens: int) -> dict[str, Any]:
    return {
        "prompt_tokens": summary.prompt_tokens,
        "completion_tokens": completion_tokens,
        "total_tokens": summary.prompt_tokens + completion_tokens,
        "prompt_tokens_details": {"audio_tokens": summary.audio_tokens, "cached_tokens": 0},
    }


def _fill_strings_from_quotes(instance: Any, schema: dict[str, Any], quoted: list[str]) -> None:
    """With ``auto``, the user's double-quoted values fill the tool's string arguments, in the schema's order.

    ``Translate "memo.wav" into "Spanish" with translate_audio`` gives ``{"source": "memo.wav", "target_language":
    "Spanish"}``: deterministic, and enough for an agent's tool to do real work against the emulator.
    """
    if not isinstance(instance, dict):
        return
    properties = schema.get("properties") or {}
    values = iter(quoted)
    for name, prop in properties.items():
        if isinstance(prop, dict) and prop.get("type") == "string" and not prop.get("enum"):
            value = next(values, None)
            if value is None:
                return
            instance[name] = value


def content_pieces(content: str) -> Iterator[str]:
    """The streamed deltas of ``content``: one word with its trailing space at a time."""
    yield from re.findall(r"\s*\S+\s*", content) or ([content] if content else [])
