"""Answering in speech, as Azure OpenAI's gpt-4o-audio-preview does: the request's voice and format, each choice's
audio, and the audio ids the emulator issued.

Request rules (``modalities`` containing ``"audio"``):

* a model whose profile does not speak (``audio_output`` False) refuses it;
* Azure OpenAI routes require ``audio: {"voice", "format"}`` beside it;
* Model Inference routes have no ``audio`` parameter in the spec (its AudioModality example sends ``modalities``
  alone), so ``audio`` arrives only as an extra parameter passed through (``extra-parameters: pass-through``); without
  it the model speaks in :data:`DEFAULT_VOICE` and :data:`DEFAULT_FORMAT`;
* the voice must be one of the profile's ``voices`` and the format one of its ``audio_output_formats`` (where those
  are empty, as on the permissive default profile, any voice and any format :mod:`.speech` makes); ``mp3``,
  ``flac`` and ``opus`` need PyAV (the ``media`` extra).

An assistant message may refer to earlier audio by id (``"audio": {"id": ...}``): the id must be one this emulator
issued and not past its ``expires_at``. The earlier answer's audio then counts as prompt audio tokens (OpenAI bills
audio referred to by id as audio input), at the count the answer itself reported.

Every refusal here is a :class:`RefusedSpeechError`; the app answers it in its route's error shape.
"""

from __future__ import annotations

import base64
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from ..profiles import ModelProfile
from ..protocols import RULES, Protocol
from . import speech, wire
from .responder import content_pieces

DEFAULT_VOICE, DEFAULT_FORMAT = "alloy", "wav"
#: How long an issued audio id may be referred to (``expires_at``): one hour, as the service keeps them.
DEFAULT_AUDIO_TTL_SECONDS = 3600.0
#: The most audio ids remembered; the oldest are forgotten first (a reference to one is then "not found").
MAX_AUDIO_IDS = 10_000
#: Raw bytes of audio per streamed ``data`` chunk: a multiple of 3, so every piece is base64 on its own.
DATA_PIECE_BYTES = 12 * 1024


class RefusedSpeechError(ValueError):
    """A request the service refuses (400): ``param`` is the JSON path it names, ``code`` OpenAI's error code."""

    def __init__(self, param: str, message: str, code: str | None = None) -> None:
        super().__init__(message)
        self.param, self.message, self.code = param, message, code


@dataclass(frozen=True)
class Voice:
    """What the answer is spoken in."""

    voice: str
    format: str


def requested_voice(
    options: wire.ChatCompletionsOptions,
    extras: Mapping[str, Any],
    profile: ModelProfile,
    model: str,
    protocol: Protocol,
) -> Voice | None:
    """The voice and format the answer is spoken in, or ``None`` when ``modalities`` does not ask for audio."""
    if "audio" not in (options.modalities or []):
        return None
    if profile.audio_output is False:
        message = f"{model} does not support audio output: send modalities=['text'] or leave it out"
        raise RefusedSpeechError("modalities", message, "unsupported_value")
    if RULES[protocol].speech_needs_audio:  # and models it: wire.OpenAIChatCompletionsOptions.audio
        audio = getattr(options, "audio", None)
        if audio is None:
            message = "Missing required parameter: 'audio' (modalities includes 'audio')."
            raise RefusedSpeechError("audio", message, "missing_required_parameter")
        voice = Voice(audio.voice, audio.format)
    else:
        voice = _passed_through(extras.get("audio"))
    _check(voice, profile, model)
    return voice


def _passed_through(audio: Any) -> Voice:
    if audio is None:  # not sent, or dropped by "extra-parameters: drop"
        return Voice(DEFAULT_VOICE, DEFAULT_FORMAT)
    if not (isinstance(audio, dict) and isinstance(audio.get("voice"), str) and isinstance(audio.get("format"), str)):
        shape = '{"voice": "alloy", "format": "wav"}'
        raise RefusedSpeechError("audio", f"audio must be an object with a voice and a format, e.g. {shape}")
    return Voice(audio["voice"], audio["format"])


def _check(voice: Voice, profile: ModelProfile, model: str) -> None:
    if profile.voices and voice.voice not in profile.voices:
        raise RefusedSpeechError(
            "audio.voice",
            f"Invalid value: {voice.voice!r}. {model} speaks in {_listing(profile.voices)}.",
            "invalid_value",
        )
    formats = profile.audio_output_formats or speech.FORMATS
    if voice.format not in formats:
        raise RefusedSpeechError(
            "audio.format", f"Invalid value: {voice.format!r}. {model} answers in {_listing(formats)}.", "invalid_value"
        )
    if not speech.available(voice.format):
        raise RefusedSpeechError("audio.format", speech.unavailable_reason(voice.format), "unsupported_value")


def _listing(values: frozenset[str]) -> str:
    return ", ".join(repr(value) for value in sorted(values))


class UnknownAudioError(LookupError):
    """An audio id this emulator never issued (or has forgotten)."""


class ExpiredAudioError(LookupError):
    """An audio id past its ``expires_at``."""


class AudioRegistry:
    """The audio ids issued, each with its expiry and audio-token count: no audio is kept, only these two numbers.

    At most ``max_ids`` are remembered, the oldest forgotten first. ``clock`` (Unix seconds) is read on every call,
    so a test may replace it to move time on.
    """

    def __init__(
        self,
        ttl_seconds: float = DEFAULT_AUDIO_TTL_SECONDS,
        *,
        max_ids: int = MAX_AUDIO_IDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if ttl_seconds < 0 or max_ids < 1:
            raise ValueError(f"need ttl_seconds >= 0 and max_ids >= 1, got {ttl_seconds} and {max_ids}")
        self.ttl_seconds, self.max_ids, self.clock = ttl_seconds, max_ids, clock
        self._issued: OrderedDict[str, tuple[int, int]] = OrderedDict()  # id -> (expires_at, audio tokens)

    def __len__(self) -> int:
        return len(self._issued)

    def __contains__(self, audio_id: object) -> bool:
        return audio_id in self._issued

    def issue(self, audio_tokens: int) -> tuple[str, int]:
        """A new id and its ``expires_at`` (whole Unix seconds, rounded down as the wire's integer is)."""
        audio_id = f"audio_{secrets.token_hex(12)}"
        expires_at = math.floor(self.clock() + self.ttl_seconds)
        self._issued[audio_id] = (expires_at, audio_tokens)
        while len(self._issued) > self.max_ids:
            self._issued.popitem(last=False)
        return audio_id, expires_at

    def redeem(self, audio_id: str) -> int:
        """The audio tokens of a live id; raises :class:`UnknownAudioError` or :class:`ExpiredAudioError`."""
        entry = self._issued.get(audio_id)
        if entry is None:
            raise UnknownAudioError(audio_id)
        expires_at, tokens = entry
        if self.clock() >= expires_at:  # expires_at is the first second it can no longer be referred to
            raise ExpiredAudioError(audio_id)
        return tokens


def referenced_audio_tokens(options: wire.ChatCompletionsOptions, registry: AudioRegistry) -> int:
    """The prompt audio tokens of the earlier answers the messages refer to by id; refuses unknown or expired ids."""
    total = 0
    for index, message in enumerate(options.messages):
        if not isinstance(message, wire.AssistantMessage) or message.audio is None:
            continue
        audio_id, param = message.audio.id, f"messages[{index}].audio.id"
        try:
            total += registry.redeem(audio_id)
        except UnknownAudioError:
            raise RefusedSpeechError(param, f"Audio with ID {audio_id!r} was not found.") from None
        except ExpiredAudioError:
            raise RefusedSpeechError(
                param,
                f"Audio with ID {audio_id!r} has expired. Send the earlier answer's transcript as text content "
                "instead of referring to its audio.",
            ) from None
    return total


@dataclass(frozen=True)
class Spoken:
    """One choice's audio: the wire's ``message.audio`` and its audio tokens."""

    audio: dict[str, Any]
    tokens: int


@dataclass
class Speaker:
    """Speaks the choices of one answer in ``voice``, registering each clip's id."""

    voice: Voice
    profile: ModelProfile
    registry: AudioRegistry
    protocol: Protocol

    def speak(self, transcript: str) -> Spoken:
        data = speech.synthesize(transcript, self.voice.format)
        tokens = self.profile.audio_tokens(speech.duration(transcript))
        audio_id, expires_at = self.registry.issue(tokens)
        audio = {
            "id": audio_id,
            "data": base64.b64encode(data).decode("ascii"),
            "expires_at": expires_at,
            "transcript": transcript,
            "format": self.voice.format,
        }
        return Spoken(audio, tokens)

    def usage_details(self, audio_tokens: int) -> dict[str, int]:
        """``completion_tokens_details``: OpenAI's two counts; the Model Inference spec's ``CompletionsUsageDetails``
        also requires ``total_tokens`` (its AudioModality example gives the audio and reasoning tokens' sum)."""
        details = {"audio_tokens": audio_tokens, "reasoning_tokens": 0}
        if self.protocol is Protocol.MODEL_INFERENCE:
            details["total_tokens"] = audio_tokens
        return details


def audio_deltas(audio: Mapping[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """The streamed ``delta.audio`` updates of one clip, each with what it is (``transcript``, ``data``, ``end``).

    The id comes with the first transcript piece; the transcript follows word by word (the pieces of
    :func:`.responder.content_pieces`), then the data in :data:`DATA_PIECE_BYTES` pieces, then ``expires_at``. Joined,
    the pieces are the non-streamed answer's transcript and data.
    """
    first, *rest = content_pieces(audio["transcript"]) or [""]
    yield "transcript", {"id": audio["id"], "transcript": first}
    for piece in rest:
        yield "transcript", {"transcript": piece}
    data, step = audio["data"], DATA_PIECE_BYTES // 3 * 4  # 3 raw bytes are 4 base64 characters, with no padding
    for start in range(0, len(data), step):
        yield "data", {"data": data[start : start + step]}
    yield "end", {"expires_at": audio["expires_at"]}
