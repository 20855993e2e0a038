"""Token and cost estimates for a request, counted as the model's profile says, before anything is sent.

The counts follow the request as it would be sent: media is normalised first (a 12 MP photo is counted at the
size the model looks at), then

* text: one token per four characters of each message's text (:func:`~.profiles.prompt_text_tokens`);
* images: the profile's tile rule at the part's detail (2048x4096 at ``high`` = 1105, at ``low`` = 85); a URL,
  which is never fetched, counts as a 1024x1024 image;
* audio: the profile's tokens per second times the clip's duration; a URL counts 0.

The emulator computes ``usage`` by the same rules, so an estimate matches what the emulator reports.

Example:
    >>> from langchain_core.messages import HumanMessage
    >>> estimate = estimate_cost([HumanMessage("x" * 400)], Prices(input_per_1k=0.01), model="gpt-4o")
    >>> estimate.tokens.text, round(estimate.total, 4)
    (100, 0.001)
"""

from __future__ import annotations

import base64
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from langchain_core.messages import BaseMessage

from ._messages import ImageDetail, ParsedMedia, ParsedMessage, parse_messages, to_wire_messages
from ._preflight import DEFAULT_MEDIA_OPTIONS, MediaOptions, prepare
from .errors import MediaExtraRequiredError
from .profiles import ModelProfile, prompt_text_tokens, resolve_profile


@dataclass(frozen=True)
class TokenEstimate:
    """Input tokens of a request, by kind."""

    text: int
    images: int
    audio: int

    @property
    def total(self) -> int:
        return self.text + self.images + self.audio


@dataclass(frozen=True)
class Prices:
    """Prices per 1,000 tokens, as Azure publishes them (the seeds' example: $0.01 input, $0.03 output)."""

    input_per_1k: float
    output_per_1k: float = 0.0
    currency: str = "USD"
    #: Spoken output's price, where it differs from text output's (gpt-4o audio models price audio tokens higher).
    audio_output_per_1k: float | None = None

    def input_cost(self, tokens: int) -> float:
        """What ``tokens`` input tokens cost."""
        return tokens * self.input_per_1k / 1000

    def output_cost(self, tokens: int) -> float:
        """What ``tokens`` output tokens cost."""
        return tokens * self.output_per_1k / 1000

    def audio_output_cost(self, tokens: int) -> float:
        """What ``tokens`` spoken output tokens cost (at the text output price unless an audio one is set)."""
        rate = self.output_per_1k if self.audio_output_per_1k is None else self.audio_output_per_1k
        return tokens * rate / 1000

    def cost(self, input_tokens: int, output_tokens: int = 0, audio_output_tokens: int = 0) -> float:
        """What a call (or a run) with these token counts costs: the one cost formula, for estimates and ingest alike.

        Example:
            >>> Prices(input_per_1k=0.01, output_per_1k=0.03).cost(2000, 500)
            0.035
            >>> round(Prices(input_per_1k=0.0025, output_per_1k=0.01, audio_output_per_1k=0.08).cost(0, 0, 1000), 4)
            0.08
        """
        spoken = self.audio_output_cost(audio_output_tokens)
        return self.input_cost(input_tokens) + self.output_cost(output_tokens) + spoken


@dataclass(frozen=True)
class CostEstimate:
    """What a request is expected to cost: its input tokens, the output tokens assumed, and the prices applied."""

    tokens: TokenEstimate
    output_tokens: int
    input_cost: float
    output_cost: float
    currency: str
    #: Spoken output tokens assumed (the profile's tokens per second times the seconds of speech).
    audio_output_tokens: int = 0

    @property
    def total(self) -> float:
        return self.input_cost + self.output_cost


def estimate_tokens(
    messages: Sequence[BaseMessage],
    *,
    profile: ModelProfile | None = None,
    model: str | None = None,
    default_image_detail: ImageDetail | None = None,
    media: MediaOptions = DEFAULT_MEDIA_OPTIONS,
) -> TokenEstimate:
    """Input tokens of ``messages`` for ``profile`` (or ``model``'s profile), after the same normalisation a request
    gets. Raises the same :class:`~langchain_azure_multimodal.errors.MediaError` a request would."""
    profile = profile or resolve_profile(model)
    parsed = prepare(parse_messages(messages, default_image_detail=default_image_detail), profile, media)
    return count_tokens(parsed, profile)


def count_tokens(parsed: Sequence[ParsedMessage], profile: ModelProfile) -> TokenEstimate:
    """Input tokens of messages already parsed and prepared (see :func:`~._preflight.prepare`)."""
    wire = to_wire_messages(parsed)
    images = audio = 0
    for message in parsed:
        for part in message.content:
            if isinstance(part, ParsedMedia):
                if part.kind == "image":
                    images += _image_tokens(part, profile)
                else:
                    audio += profile.audio_tokens(_audio_seconds(part))
    return TokenEstimate(text=prompt_text_tokens(wire), images=images, audio=audio)


def _image_tokens(part: ParsedMedia, profile: ModelProfile) -> int:
    rule = profile.image_tokens
    if part.data is None:
        return rule.tokens_for_unknown_size(part.detail)
    from . import _images  # with the first image, as in _preflight

    try:
        # The size is in the header: read through the base64 (checked by prepare), never decoding the whole image.
        header = _images.read_header(part.data)
    except MediaExtraRequiredError:  # without Pillow the size cannot be read
        return rule.tokens_for_unknown_size(part.detail)
    return rule.tokens(header.width, header.height, part.detail)


def _audio_seconds(part: ParsedMedia) -> float:
    if part.data is None:
        return 0.0
    from . import _audio

    try:
        info = _audio.inspect_audio(base64.b64decode(part.data))
    except MediaExtraRequiredError:
        return 0.0
    return info.duration_s or 0.0


def estimate_cost(
    messages: Sequence[BaseMessage],
    prices: Prices | Mapping[str, float],
    *,
    profile: ModelProfile | None = None,
    model: str | None = None,
    output_tokens: int = 0,
    output_audio_seconds: float = 0.0,
    default_image_detail: ImageDetail | None = None,
    media: MediaOptions = DEFAULT_MEDIA_OPTIONS,
) -> CostEstimate:
    """The expected cost of sending ``messages`` (and receiving ``output_tokens``, and ``output_audio_seconds`` of
    speech from a model that speaks) at ``prices`` per 1,000 tokens.

    ``prices`` is a :class:`Prices` or a mapping ``{"input": 0.01, "output": 0.03, "audio_output": 0.08}``.

    Example:
        >>> spoken = estimate_cost([], {"input": 0.0025, "output": 0.01, "audio_output": 0.08},
        ...                        model="gpt-4o-audio-preview", output_audio_seconds=30)
        >>> spoken.audio_output_tokens, round(spoken.output_cost, 4)
        (300, 0.024)
    """
    if isinstance(prices, Mapping):
        unknown = set(prices) - {"input", "output", "audio_output"}
        if unknown or "input" not in prices:
            raise ValueError(
                f"prices needs 'input' (and optionally 'output', 'audio_output') per 1,000 tokens; got {sorted(prices)}"
            )
        prices = Prices(
            input_per_1k=prices["input"],
            output_per_1k=prices.get("output", 0.0),
            audio_output_per_1k=prices.get("audio_output"),
        )
    for name, value in (("output_tokens", output_tokens), ("output_audio_seconds", output_audio_seconds)):
        if value < 0:
            raise ValueError(f"{name} must be 0 or more, got {value}")
    profile = profile or resolve_profile(model)
    if output_audio_seconds and profile.audio_output is False:
        raise ValueError(f"{profile.name} cannot speak: leave output_audio_seconds out, or estimate a model that does")
    tokens = estimate_tokens(messages, profile=profile, default_image_detail=default_image_detail, media=media)
    audio_tokens = profile.audio_tokens(output_audio_seconds)
    return CostEstimate(
        tokens=tokens,
        output_tokens=output_tokens,
        input_cost=prices.input_cost(tokens.total),
        output_cost=prices.output_cost(output_tokens) + prices.audio_output_cost(audio_tokens),
        currency=prices.currency,
        audio_output_tokens=audio_tokens,
    )
