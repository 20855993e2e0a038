"""Model capability profiles and the documented Azure input limits.

This is the one place that knows what each model family accepts and how inputs turn into tokens. The chat
model checks requests against it before the network, and the embedded emulator enforces the very same table,
so the two cannot disagree.

Sources (``shared/seeds``): the Azure OpenAI vision quickstart (10 images per request; JPEG, PNG, GIF first
frame, WEBP; 20 MB per image; ``low`` is one 512x512 view, ``high`` adds 512-px tiles at double cost), and the
Phi-3-vision how-to (one image per turn, no system role: the service folds system text into the user turn).
The token limits and output capabilities of the known models cite their own pages, above :data:`PROFILES`.

Example:
    >>> profile = resolve_profile("Phi-4-multimodal-instruct")
    >>> profile.audio_input, profile.max_images_per_request
    (True, 10)
    >>> profile.image_tokens.tokens(2048, 4096, "high"), profile.image_tokens.tokens(2048, 4096, "low")
    (1105, 85)
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Literal, TypedDict, cast, get_args

if TYPE_CHECKING:  # the emulator and the CLI read this module: langchain-core's models load only when asked for
    from langchain_core.language_models import ModelProfile as LangChainModelProfile

#: The ``detail`` of an image item (the spec's ``ImageDetailLevel``); ``None`` where it is taken leaves it to the
#: service, which reads it as ``auto``.
ImageDetail = Literal["auto", "low", "high"]
#: The values of :data:`ImageDetail`, for the checks that take a detail at run time.
IMAGE_DETAILS: tuple[ImageDetail, ...] = get_args(ImageDetail)
#: The spec's ``AudioContentFormat``: the audio formats an ``input_audio`` item names.
AudioFormat = Literal["wav", "mp3"]
#: The formats a model that speaks answers in (``audio.format`` of a request; Azure OpenAI's audio models).
AudioOutputFormat = Literal["wav", "mp3", "flac", "opus", "pcm16"]
AUDIO_OUTPUT_FORMATS: frozenset[str] = frozenset(get_args(AudioOutputFormat))
#: The MIME type of each spoken answer's format (``pcm16``: raw 16-bit little-endian mono samples at 24 kHz; Opus
#: comes in an Ogg container).
AUDIO_OUTPUT_MIME_TYPES: Mapping[str, str] = MappingProxyType({
    "wav": "audio/wav", "mp3": "audio/mpeg", "flac": "audio/flac", "opus": "audio/ogg", "pcm16": "audio/pcm;rate=24000",
})  # fmt: skip
#: The file suffix a spoken answer of each format is saved under (pcm16 has no container).
AUDIO_OUTPUT_SUFFIXES: Mapping[str, str] = MappingProxyType(
    {"wav": ".wav", "mp3": ".mp3", "flac": ".flac", "opus": ".ogg", "pcm16": ".pcm"}
)
#: The voices of Azure OpenAI's GPT-4o audio models ([SPEAK] below: the ``audio.voice`` values it lists).
GPT_4O_AUDIO_VOICES: frozenset[str] = frozenset({"alloy", "ash", "ballad", "coral", "echo", "sage", "shimmer", "verse"})

MEBIBYTE = 1024 * 1024
#: The documented cap on one input image ("restricted to 20 MB").
MAX_IMAGE_BYTES = 20 * MEBIBYTE
#: The most pixels this package (and the emulator) decodes in one image: a bound on memory (4 bytes a pixel, so
#: 160 MB), not a service limit. JPEGs larger than this are still read, at 1/2, 1/4 or 1/8 scale through libjpeg's
#: draft mode; any other image over it is refused before it is decoded (a 0.7 MB PNG can claim 13000 x 13000).
MAX_DECODED_PIXELS = 40_000_000
#: The most bytes of one image or audio source a builder (``image_part``, ``audio_part``, the loaders) reads whole:
#: normalising brings a source this large under the 20 MB the service takes, and the source, its base64 in the block
#: and its decoded form stay within 200 MB together (measured: a 32 MB PNG grows memory by 177 MB). Larger ones are
#: refused from their size, before they are read: ``split_audio`` reads a long recording a part at a time.
MAX_SOURCE_BYTES = 32 * MEBIBYTE
#: The documented cap on images in one chat request.
MAX_IMAGES_PER_REQUEST = 10
#: Image formats the service decodes (GIF: first frame only).
IMAGE_FORMATS: frozenset[str] = frozenset({"jpeg", "png", "gif", "webp"})
#: The MIME types callers use for each :data:`AudioFormat`, the canonical one (what this package writes) first.
AUDIO_MIME_TYPES: Mapping[AudioFormat, tuple[str, ...]] = MappingProxyType({
    "wav": ("audio/wav", "audio/x-wav", "audio/wave"),
    "mp3": ("audio/mpeg", "audio/mp3"),
})  # fmt: skip
#: ``AudioContentFormat`` in the spec: what the service decodes.
AUDIO_FORMATS: frozenset[str] = frozenset(get_args(AudioFormat))
#: No audio cap is documented for chat completions; this mirrors the image cap so one clip cannot dwarf a request.
MAX_AUDIO_BYTES = 20 * MEBIBYTE

#: Text is estimated at one token per four characters, the usual rule of thumb for English with BPE tokenizers
#: (tiktoken's encodings cannot be downloaded here, so no exact count is attempted).
CHARS_PER_TEXT_TOKEN = 4

#: MIME subtypes (``image/<subtype>``) the service knows, mapped to the canonical format name.
IMAGE_MIME_ALIASES: Mapping[str, str] = {
    "jpeg": "jpeg",
    "jpg": "jpeg",
    "pjpeg": "jpeg",
    "png": "png",
    "gif": "gif",
    "webp": "webp",
}

#: Pillow's format names for the images this package reads, with the canonical format name and MIME type. Only
#: ``jpeg``, ``png``, ``gif`` and ``webp`` (:data:`IMAGE_FORMATS`) are sent as they are; the rest are converted.
PILLOW_IMAGE_FORMATS: Mapping[str, tuple[str, str]] = MappingProxyType({
    "JPEG": ("jpeg", "image/jpeg"), "MPO": ("jpeg", "image/jpeg"), "PNG": ("png", "image/png"),
    "GIF": ("gif", "image/gif"), "WEBP": ("webp", "image/webp"), "HEIF": ("heic", "image/heic"),
    "TIFF": ("tiff", "image/tiff"), "BMP": ("bmp", "image/bmp"), "AVIF": ("avif", "image/avif"),
})  # fmt: skip

MediaKind = Literal["image", "audio"]


def check_image_detail(detail: object, *, name: str = "detail") -> ImageDetail | None:
    """``detail`` if it is one of :data:`IMAGE_DETAILS` or ``None``; else a ``ValueError`` naming ``name``.

    Example:
        >>> check_image_detail("low"), check_image_detail(None)
        ('low', None)
        >>> check_image_detail("ultra")
        Traceback (most recent call last):
        ...
        ValueError: detail must be 'auto', 'low', 'high' or None, not 'ultra'
    """
    if detail is None or detail in IMAGE_DETAILS:
        return detail
    allowed = ", ".join(repr(value) for value in IMAGE_DETAILS)
    raise ValueError(f"{name} must be {allowed} or None, not {detail!r}")


def audio_format_for_mime(mime_type: str | None) -> AudioFormat | None:
    """The :data:`AudioFormat` a MIME type (any case, parameters allowed) names, or ``None`` when the wire has none.

    Example:
        >>> audio_format_for_mime("audio/x-wav"), audio_format_for_mime("Audio/MPEG; rate=44100"), audio_format_for_mime("audio/ogg")
        ('wav', 'mp3', None)
    """  # noqa: E501 - one doctest line
    bare = (mime_type or "").split(";")[0].strip().lower()
    return next((fmt for fmt, names in AUDIO_MIME_TYPES.items() if bare in names), None)


def audio_mime_type(audio_format: AudioFormat) -> str:
    """The canonical MIME type of an :data:`AudioFormat`.

    Example:
        >>> audio_mime_type("wav"), audio_mime_type("mp3")
        ('audio/wav', 'audio/mpeg')
    """
    return AUDIO_MIME_TYPES[audio_format][0]


#: File extensions (lower case, with the dot) and the media type a file so named is taken to hold: only what this
#: package's decoders read (Pillow with pillow-heif for images, PyAV for audio). Written out rather than asked of
#: ``mimetypes``, whose answers come from the machine's ``/etc/mime.types`` and differ between machines. A name
#: only chooses which files a folder walk picks up (and a URL's guessed type); the bytes decide what a file is.
#: ``.webm`` and ``.mp4`` are audio: ``audio_part`` takes the sound of a browser or phone recording, and images
#: never come in a video container.
MEDIA_TYPES_BY_EXTENSION: Mapping[str, str] = MappingProxyType({
    ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".jpe": "image/jpeg", ".jfif": "image/jpeg",
    ".gif": "image/gif", ".webp": "image/webp", ".bmp": "image/bmp", ".tif": "image/tiff", ".tiff": "image/tiff",
    ".heic": "image/heic", ".heif": "image/heif", ".avif": "image/avif",
    ".wav": "audio/wav", ".mp3": "audio/mpeg", ".m4a": "audio/mp4", ".mp4": "audio/mp4", ".aac": "audio/aac",
    ".ogg": "audio/ogg", ".oga": "audio/ogg", ".opus": "audio/ogg", ".flac": "audio/flac", ".webm": "audio/webm",
    ".weba": "audio/webm", ".aif": "audio/aiff", ".aiff": "audio/aiff",
})  # fmt: skip


def media_type_for_name(name: str) -> str | None:
    """The media type :data:`MEDIA_TYPES_BY_EXTENSION` gives ``name``'s extension (any case), or ``None``.

    ``name`` may be a bare file name, a path or a URL's path (not a whole URL with a query).

    Example:
        >>> media_type_for_name("IMG_0001.HEIC"), media_type_for_name("photos/memo.webm"), media_type_for_name("a.txt")
        ('image/heic', 'audio/webm', None)
    """
    return MEDIA_TYPES_BY_EXTENSION.get(os.path.splitext(name)[1].lower())


def media_kind_for_name(name: str) -> MediaKind | None:
    """``"image"`` or ``"audio"`` for a name :func:`media_type_for_name` knows, else ``None``.

    Example:
        >>> [media_kind_for_name(name) for name in ("chart.png", "call.mp4", "notes.txt", "archive")]
        ['image', 'audio', None, None]
    """
    media_type = media_type_for_name(name)
    if media_type is None:
        return None
    return "image" if media_type.startswith("image/") else "audio"


def text_tokens(text: str) -> int:
    """Estimate the tokens of ``text`` by the documented characters-per-token rule."""
    return math.ceil(len(text) / CHARS_PER_TEXT_TOKEN) if text else 0


def prompt_text_tokens(messages: Sequence[Mapping[str, Any]]) -> int:
    """The text tokens of a request's wire messages: each message's text counted on its own.

    A message's text is its string content, or the text items of its content list joined with spaces, plus the
    names and arguments of its tool calls. The emulator's usage and the client's estimates both count this way.

    Example:
        >>> prompt_text_tokens([{"role": "system", "content": "Be brief."},
        ...                     {"role": "user", "content": [{"type": "text", "text": "What is this?"},
        ...                                                  {"type": "image_url", "image_url": {"url": "x"}}]}])
        7
    """
    total = 0
    for message in messages:
        content = message.get("content")
        if isinstance(content, list):
            text = " ".join(item.get("text", "") for item in content if item.get("type") == "text")
        else:
            text = content or ""
        for call in message.get("tool_calls") or []:
            function = call.get("function") or {}
            text += str(function.get("name", "")) + str(function.get("arguments", ""))
        total += text_tokens(text)
    return total


@dataclass(frozen=True)
class TileTokenRule:
    """The image-token rule of the GPT-4o family, which Azure documents for its vision models.

    ``low`` costs ``base_tokens``. ``high`` (and ``auto``, which this package counts as ``high``) fits the image in
    a ``fit_box`` square, scales it so the short side is at most ``short_side``, and adds ``tile_tokens`` for each
    ``tile_size`` tile that covers it.
    """

    base_tokens: int = 85
    tile_tokens: int = 170
    tile_size: int = 512
    fit_box: int = 2048
    short_side: int = 768

    def scaled_size(self, width: int, height: int) -> tuple[int, int]:
        """The size the model looks at in ``high`` detail; images are never scaled up."""
        scale = min(1.0, self.fit_box / max(width, height))
        fitted_w, fitted_h = width * scale, height * scale
        scale = min(1.0, self.short_side / min(fitted_w, fitted_h))
        return max(1, round(fitted_w * scale)), max(1, round(fitted_h * scale))

    #: The size assumed for an image whose size is not known (a URL, which is never fetched): a 1024x1024 square.
    assumed_size: tuple[int, int] = (1024, 1024)

    def view_size(self, width: int, height: int, detail: str | None) -> tuple[int, int]:
        """The size the model looks at, at ``detail``: ``low`` fits in one ``tile_size`` square, ``high``/``auto``/
        ``None`` is :meth:`scaled_size`; never up. A ``detail`` not in :data:`IMAGE_DETAILS` is a ``ValueError``."""
        if check_image_detail(detail) == "low":
            scale = min(1.0, self.tile_size / max(width, height))
            return max(1, round(width * scale)), max(1, round(height * scale))
        return self.scaled_size(width, height)

    def tokens_for_unknown_size(self, detail: str | None) -> int:
        """Image tokens for an image of unknown size: the :attr:`assumed_size` (765 at ``high``, 85 at ``low``)."""
        return self.tokens(*self.assumed_size, detail)

    def tokens(self, width: int, height: int, detail: str | None) -> int:
        """Image tokens for an image of ``width`` x ``height`` pixels at ``detail``."""
        if width <= 0 or height <= 0:
            raise ValueError(f"image size must be positive, got {width}x{height}")
        if detail == "low":
            return self.base_tokens
        scaled_w, scaled_h = self.scaled_size(width, height)
        tiles = math.ceil(scaled_w / self.tile_size) * math.ceil(scaled_h / self.tile_size)
        return self.base_tokens + self.tile_tokens * tiles


@dataclass(frozen=True)
class ModelProfile:
    """What one model family accepts, how its inputs are counted, and what it can answer with.

    The token limits and output capabilities are ``None`` where they are not known; LangChain's profile then leaves
    them out rather than claim them (``SummarizationMiddleware`` needs ``max_input_tokens`` for a fraction trigger,
    and ``create_agent`` uses the service's ``json_schema`` structured output only where ``structured_output``).

    Example:
        >>> custom = ModelProfile(name="my-vlm", provider="Contoso", image_input=True, audio_input=False,
        ...                       max_images_per_request=4, max_images_per_turn=4, max_input_tokens=32_768)
        >>> custom.accepts_media, custom.max_input_tokens, custom.structured_output
        (True, 32768, None)
    """

    name: str
    provider: str
    image_input: bool
    audio_input: bool
    max_images_per_request: int
    max_images_per_turn: int
    system_messages: bool = True
    image_formats: frozenset[str] = IMAGE_FORMATS
    audio_formats: frozenset[str] = AUDIO_FORMATS
    max_image_bytes: int = MAX_IMAGE_BYTES
    max_audio_bytes: int = MAX_AUDIO_BYTES
    image_tokens: TileTokenRule = field(default_factory=TileTokenRule)
    #: Audio is counted by duration; 10 tokens a second approximates the published audio-token rates.
    audio_tokens_per_second: float = 10.0
    #: The context window: the most tokens one request may hold.
    max_input_tokens: int | None = None
    #: The most tokens one answer may hold.
    max_output_tokens: int | None = None
    #: Whether the model takes ``response_format`` of type ``json_schema`` (JSON mode alone does not count).
    structured_output: bool | None = None
    #: Whether the model calls tools (``tools`` in the request).
    tool_calling: bool | None = None
    #: Whether the model sends its reasoning (``reasoning_content``) beside the answer.
    reasoning_output: bool | None = None
    #: Whether the model can answer in speech (``modalities: ["text", "audio"]``).
    audio_output: bool | None = None
    #: The voices it speaks in (``audio.voice``) and the formats it answers in (``audio.format``), when it speaks.
    voices: frozenset[str] = frozenset()
    audio_output_formats: frozenset[str] = frozenset()

    @property
    def accepts_media(self) -> bool:
        """Whether the model takes any image or audio input."""
        return self.image_input or self.audio_input

    def audio_tokens(self, seconds: float) -> int:
        """Audio tokens for a clip of ``seconds``."""
        return math.ceil(max(0.0, seconds) * self.audio_tokens_per_second)


class _Figures(TypedDict):
    max_input_tokens: int | None
    max_output_tokens: int | None
    structured_output: bool | None
    tool_calling: bool | None
    reasoning_output: bool | None
    audio_output: bool | None


def _figures(
    context: int | None, output: int | None, *, tools: bool | None, schema: bool, speaks: bool = False
) -> _Figures:
    # No known model is a reasoning model: the Azure pages below mark those ("with reasoning content", o-series).
    return _Figures(
        max_input_tokens=context,
        max_output_tokens=output,
        structured_output=schema,
        tool_calling=tools,
        reasoning_output=False,
        audio_output=speaks,
    )


def _vision(
    name: str, provider: str, figures: _Figures, *, images: int = MAX_IMAGES_PER_REQUEST, system_messages: bool = True
) -> ModelProfile:
    return ModelProfile(
        name=name,
        provider=provider,
        image_input=True,
        audio_input=False,
        max_images_per_request=images,
        max_images_per_turn=images,
        system_messages=system_messages,
        **figures,
    )


def _text_only(name: str, provider: str, figures: _Figures) -> ModelProfile:
    return ModelProfile(
        name=name,
        provider=provider,
        image_input=False,
        audio_input=False,
        max_images_per_request=0,
        max_images_per_turn=0,
        **figures,
    )


def _audio(name: str, provider: str, figures: _Figures, *, images: int) -> ModelProfile:
    speaks = bool(figures["audio_output"])
    return ModelProfile(
        name=name,
        provider=provider,
        image_input=images > 0,
        audio_input=True,
        max_images_per_request=images,
        max_images_per_turn=images,
        voices=GPT_4O_AUDIO_VOICES if speaks else frozenset(),
        audio_output_formats=AUDIO_OUTPUT_FORMATS if speaks else frozenset(),
        **figures,
    )


# Where the token limits and output capabilities below come from (Azure pages by title, URL and ms.date; their text is
# in MicrosoftDocs/azure-ai-docs). The catalog pages give each model's Input and Output tokens, "Tool calling" and
# "Response formats"; Azure's Foundry structured-outputs how-to (https://learn.microsoft.com/azure/ai-foundry/
# foundry-models/how-to/use-structured-outputs) says json_schema support is "structured outputs" in that column, so
# "Text, JSON" (JSON mode only) is structured_output=False. Where two Azure pages disagree on a limit, the smaller is
# taken (it holds on every deployment); a capability they disagree on is left None.
#   [AOAI] "Azure OpenAI in Microsoft Foundry Models" (2026-01-14),
#          https://learn.microsoft.com/azure/ai-foundry/openai/concepts/models
#   [SO] "How to use structured outputs with Azure OpenAI in Microsoft Foundry Models" (2025-12-06),
#          https://learn.microsoft.com/azure/ai-foundry/openai/how-to/structured-outputs (its "Supported models")
#   [SPEAK] "Quickstart: Get started with Azure OpenAI audio generation": the models that generate audio,
#          https://learn.microsoft.com/azure/ai-foundry/openai/audio-completions-quickstart
#   [PARTNERS] "Foundry Models from partners and community" (2025-09-05),
#          https://learn.microsoft.com/azure/ai-foundry/foundry-models/concepts/models-from-partners
#   [FEATURED] "Featured models of Foundry model catalog" (2025-07-29),
#          https://learn.microsoft.com/azure/machine-learning/concept-models-featured
#   [DIRECT] "Foundry Models sold directly by Azure", other collections (2025-12-09),
#          https://learn.microsoft.com/azure/ai-foundry/foundry-models/concepts/models-sold-directly-by-azure
#   [OAI-AUDIO] OpenAI's model page "GPT-4o Audio", https://developers.openai.com/api/docs/models/gpt-4o-audio-preview
#: Known profiles, keyed by lower-case model name. Look-ups also match a known name followed by a version or size
#: suffix (``gpt-4o-2024-11-20`` finds ``gpt-4o``), longest name first.
PROFILES: Mapping[str, ModelProfile] = {
    p.name: p
    for p in (
        # [PARTNERS] and [FEATURED]: 131,072 in, 4,096 out, no tool calling, text only.
        _audio("phi-4-multimodal-instruct", "Microsoft", _figures(131_072, 4_096, tools=False, schema=False),
               images=MAX_IMAGES_PER_REQUEST),
        # The Phi-3 vision how-to (seed 004_bdf31811dfed966d.txt): one image per turn, only the last is kept, no
        # system role, and no JSON output. Its model card (huggingface.co/microsoft/Phi-3-vision-128k-instruct) says
        # "128K" context, taken as 128,000 (the lower reading); no Azure page read gives its output limit or tool
        # calling, so those stay unknown.
        _vision("phi-3-vision-128k-instruct", "Microsoft", _figures(128_000, None, tools=None, schema=False), images=1,
                system_messages=False),
        # [FEATURED]: 131,072 in, 4,096 out, no tool calling, text only; the Phi-3 how-to's limits as above.
        _vision("phi-3.5-vision-instruct", "Microsoft", _figures(131_072, 4_096, tools=False, schema=False), images=1,
                system_messages=False),
        # [AOAI]: 128,000 in, 16,384 out, parallel function calling (versions 2024-08-06 and 2024-11-20; the older
        # 2024-05-13 had 4,096 out and no structured outputs). [SO] lists 2024-08-06 and 2024-11-20.
        _vision("gpt-4o", "OpenAI", _figures(128_000, 16_384, tools=True, schema=True)),
        # [AOAI]: 128,000 in, 16,384 out, parallel function calling; [SO] lists 2024-07-18.
        _vision("gpt-4o-mini", "OpenAI", _figures(128_000, 16_384, tools=True, schema=True)),
        # [AOAI], GPT-4.1 series: 32,768 out, function calling, structured outputs ([SO] lists all three). The
        # context is 1,047,576 on global deployments but 128,000 on standard and provisioned managed ones (300,000
        # batch): 128,000 holds on all of them. Pass your own ModelProfile for the larger window.
        _vision("gpt-4.1", "OpenAI", _figures(128_000, 32_768, tools=True, schema=True)),
        _vision("gpt-4.1-mini", "OpenAI", _figures(128_000, 32_768, tools=True, schema=True)),
        _vision("gpt-4.1-nano", "OpenAI", _figures(128_000, 32_768, tools=True, schema=True)),
        # The audio-preview deployments take text and audio only, and speak ([SPEAK]). [AOAI], GPT-4o audio models:
        # 128,000 in, 16,384 out; [SO]: no structured outputs for either (2024-12-17). [OAI-AUDIO] lists function
        # calling for gpt-4o-audio-preview; no page read says whether the mini one calls tools.
        _audio("gpt-4o-audio-preview", "OpenAI", _figures(128_000, 16_384, tools=True, schema=False, speaks=True),
               images=0),
        _audio("gpt-4o-mini-audio-preview", "OpenAI",
               _figures(128_000, 16_384, tools=None, schema=False, speaks=True), images=0),
        # [PARTNERS] says 32,768 in and [FEATURED] 131,072: 32,768 holds on both. Both: 4,096 out, tool calling,
        # "Text, JSON".
        _vision("mistral-small-2503", "Mistral AI", _figures(32_768, 4_096, tools=True, schema=False)),
        # [PARTNERS] and [FEATURED]: 128,000 in, 128,000 out, no tool calling, "Text, JSON".
        _vision("mistral-medium-2505", "Mistral AI", _figures(128_000, 128_000, tools=False, schema=False)),
        # [PARTNERS] and [FEATURED]: 128,000 in, 4,096 out, tool calling, "Text, JSON".
        _text_only("mistral-large-2411", "Mistral AI", _figures(128_000, 4_096, tools=True, schema=False)),
        # [PARTNERS] and [FEATURED]: 16,384 in, 16,384 out, no tool calling, text only.
        _text_only("phi-4", "Microsoft", _figures(16_384, 16_384, tools=False, schema=False)),
        # Llama 3.2 vision answers about a single image per request. [PARTNERS] and [FEATURED], both sizes: 128,000
        # in, 8,192 out, no tool calling, text only.
        _vision("llama-3.2-11b-vision-instruct", "Meta", _figures(128_000, 8_192, tools=False, schema=False),
                images=1),
        _vision("llama-3.2-90b-vision-instruct", "Meta", _figures(128_000, 8_192, tools=False, schema=False),
                images=1),
        # [DIRECT] says 1M in, 1M out and no tool calling; [FEATURED] 128,000 in, 8,192 out and tool calling: the
        # smaller limits hold on both, and tool calling stays unknown. Both: text only.
        _vision("llama-4-maverick-17b-128e-instruct-fp8", "Meta", _figures(128_000, 8_192, tools=None, schema=False)),
        # [PARTNERS] and [FEATURED]: 128,000 in, 8,192 out, text only; tool calling is "No" on the first and "Yes" on
        # the second, so it stays unknown.
        _vision("llama-4-scout-17b-16e-instruct", "Meta", _figures(128_000, 8_192, tools=None, schema=False)),
    )
}  # fmt: skip

#: Used for models this table does not know: every input is allowed, with the documented service-wide limits. Tools
#: may be bound (the request is the service's to refuse); token limits and the output capabilities are unknown, so
#: LangChain's profile leaves them out.
DEFAULT_PROFILE = ModelProfile(
    name="default",
    provider="unknown",
    image_input=True,
    audio_input=True,
    max_images_per_request=MAX_IMAGES_PER_REQUEST,
    max_images_per_turn=MAX_IMAGES_PER_REQUEST,
    tool_calling=True,
)

_NAMES_LONGEST_FIRST = sorted(PROFILES, key=len, reverse=True)


def find_profile(model: str | None) -> ModelProfile | None:
    """The known profile for ``model`` (case-insensitive, version suffixes allowed), or ``None``."""
    if not model:
        return None
    key = model.strip().lower()
    if key in PROFILES:
        return PROFILES[key]
    for name in _NAMES_LONGEST_FIRST:
        if key.startswith(name + "-"):
            return PROFILES[name]
    return None


def resolve_profile(model: str | None) -> ModelProfile:
    """The profile for ``model``, or the permissive :data:`DEFAULT_PROFILE` when it is unknown."""
    return find_profile(model) or DEFAULT_PROFILE


def to_langchain_profile(profile: ModelProfile) -> LangChainModelProfile:
    """LangChain's ``ModelProfile`` (the chat model's ``profile`` field) for one of these profiles.

    What the profile does not know (a ``None``) is left out, so LangChain's users fall back as they would for any
    model without the figure, instead of trusting a guess.

    Example:
        >>> gpt_4o = to_langchain_profile(resolve_profile("gpt-4o"))
        >>> gpt_4o["audio_inputs"], gpt_4o["max_input_tokens"], gpt_4o["structured_output"], gpt_4o["audio_outputs"]
        (False, 128000, True, False)
        >>> to_langchain_profile(resolve_profile("gpt-4o-audio-preview"))["audio_outputs"]
        True
        >>> "max_input_tokens" in to_langchain_profile(DEFAULT_PROFILE), to_langchain_profile(DEFAULT_PROFILE)["tool_calling"]
        (False, True)
    """  # noqa: E501 - one doctest line
    from langchain_core.language_models import ModelProfile as LangChainModelProfile

    result = LangChainModelProfile(
        name=profile.name,
        text_inputs=True,
        image_inputs=profile.image_input,
        image_url_inputs=profile.image_input,
        audio_inputs=profile.audio_input,
        pdf_inputs=False,
        video_inputs=False,
        # Media a tool returns is sent in a user message after the tool results, so it works wherever images do.
        image_tool_message=profile.image_input,
        pdf_tool_message=False,
        text_outputs=True,
        image_outputs=False,
        video_outputs=False,
        mid_conversation_system_messages=profile.system_messages,
    )
    known = {
        "max_input_tokens": profile.max_input_tokens,
        "max_output_tokens": profile.max_output_tokens,
        "structured_output": profile.structured_output,
        "reasoning_output": profile.reasoning_output,
        "audio_outputs": profile.audio_output,
        "tool_calling": profile.tool_calling,
        # The client sends tool_choice and streams tool-call chunks for any model that calls tools at all.
        "tool_choice": profile.tool_calling,
        "tool_call_streaming": profile.tool_calling,
    }
    result.update(cast("LangChainModelProfile", {key: value for key, value in known.items() if value is not None}))
    return result
