"""Model capability profiles and the documented Azure input limits.

This is the one place that knows what each model family accepts and how inputs turn into tokens. The chat
model checks requests against it before the network, and the embedded emulator enforces the very same table,
so the two cannot disagree.

Sources (``shared/seeds``): the Azure OpenAI vision quickstart (10 images per request; JPEG, PNG, GIF first
frame, WEBP; 20 MB per image; ``low`` is one 512x512 view, ``high`` adds 512-px tiles at double cost), and the
Phi-3-vision how-to (one image per turn, no system role: the service folds system text into the user turn).

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
from typing import TYPE_CHECKING, Any, Literal, get_args

if TYPE_CHECKING:  # the emulator and the CLI read this module: langchain-core's models load only when asked for
    from langchain_core.language_models import ModelProfile as LangChainModelProfile

#: The ``detail`` of an image item (the spec's ``ImageDetailLevel``); ``None`` where it is taken leaves it to the
#: service, which reads it as ``auto``.
ImageDetail = Literal["auto", "low", "high"]
#: The values of :data:`ImageDetail`, for the checks that take a detail at run time.
IMAGE_DETAILS: tuple[ImageDetail, ...] = get_args(ImageDetail)
#: The spec's ``AudioContentFormat``: the audio formats an ``input_audio`` item names.
AudioFormat = Literal["wav", "mp3"]

MEBIBYTE = 1024 * 1024
#: The documented cap on one input image ("restricted to 20 MB").
MAX_IMAGE_BYTES = 20 * MEBIBYTE
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
    """What one model family accepts, and how its inputs are counted.

    Example:
        >>> custom = ModelProfile(name="my-vlm", provider="Contoso", image_input=True, audio_input=False,
        ...                       max_images_per_request=4, max_images_per_turn=4)
        >>> custom.accepts_media
        True
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

    @property
    def accepts_media(self) -> bool:
        """Whether the model takes any image or audio input."""
        return self.image_input or self.audio_input

    def audio_tokens(self, seconds: float) -> int:
        """Audio tokens for a clip of ``seconds``."""
        return math.ceil(max(0.0, seconds) * self.audio_tokens_per_second)


def _vision(name: str, provider: str, *, images: int = MAX_IMAGES_PER_REQUEST, **extra: object) -> ModelProfile:
    return ModelProfile(
        name=name,
        provider=provider,
        image_input=True,
        audio_input=False,
        max_images_per_request=images,
        max_images_per_turn=images,
        **extra,  # type: ignore[arg-type]
    )


def _text_only(name: str, provider: str) -> ModelProfile:
    return ModelProfile(
        name=name,
        provider=provider,
        image_input=False,
        audio_input=False,
        max_images_per_request=0,
        max_images_per_turn=0,
    )


def _audio(name: str, provider: str, *, images: int) -> ModelProfile:
    return ModelProfile(
        name=name,
        provider=provider,
        image_input=images > 0,
        audio_input=True,
        max_images_per_request=images,
        max_images_per_turn=images,
    )


#: Known profiles, keyed by lower-case model name. Look-ups also match a known name followed by a version or size
#: suffix (``gpt-4o-2024-11-20`` finds ``gpt-4o``), longest name first.
PROFILES: Mapping[str, ModelProfile] = {
    p.name: p
    for p in (
        _audio("phi-4-multimodal-instruct", "Microsoft", images=MAX_IMAGES_PER_REQUEST),
        # The Phi-3 vision how-to: one image per turn, and only the last is kept; more is an error.
        _vision("phi-3-vision-128k-instruct", "Microsoft", images=1, system_messages=False),
        _vision("phi-3.5-vision-instruct", "Microsoft", images=1, system_messages=False),
        _vision("gpt-4o", "OpenAI"),
        _vision("gpt-4o-mini", "OpenAI"),
        _vision("gpt-4.1", "OpenAI"),
        _vision("gpt-4.1-mini", "OpenAI"),
        _vision("gpt-4.1-nano", "OpenAI"),
        # The audio-preview deployments take text and audio only.
        _audio("gpt-4o-audio-preview", "OpenAI", images=0),
        _audio("gpt-4o-mini-audio-preview", "OpenAI", images=0),
        _vision("mistral-small-2503", "Mistral AI"),
        _vision("mistral-medium-2505", "Mistral AI"),
        _text_only("mistral-large-2411", "Mistral AI"),
        _text_only("phi-4", "Microsoft"),
        # Llama 3.2 vision answers about a single image per request.
        _vision("llama-3.2-11b-vision-instruct", "Meta", images=1),
        _vision("llama-3.2-90b-vision-instruct", "Meta", images=1),
        _vision("llama-4-maverick-17b-128e-instruct-fp8", "Meta"),
        _vision("llama-4-scout-17b-16e-instruct", "Meta"),
    )
}

#: Used for models this table does not know: every input is allowed, with the documented service-wide limits.
DEFAULT_PROFILE = ModelProfile(
    name="default",
    provider="unknown",
    image_input=True,
    audio_input=True,
    max_images_per_request=MAX_IMAGES_PER_REQUEST,
    max_images_per_turn=MAX_IMAGES_PER_REQUEST,
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

    Example:
        >>> to_langchain_profile(resolve_profile("gpt-4o"))["audio_inputs"]
        False
    """
    from langchain_core.language_models import ModelProfile as LangChainModelProfile

    return LangChainModelProfile(
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
        tool_calling=True,
        tool_choice=True,
        tool_call_streaming=True,
        text_outputs=True,
        image_outputs=False,
        audio_outputs=False,
        video_outputs=False,
        mid_conversation_system_messages=profile.system_messages,
    )
