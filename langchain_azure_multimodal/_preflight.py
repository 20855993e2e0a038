"""Pre-flight: every media part is normalised and checked against the model's profile before any request.

This is the middle step of the one-way data walk (LangChain block → media part → **checked against the model
profile** → wire content item → request). It takes the parsed messages of :mod:`._messages` and returns them with
each part made valid and cheap, or raises a :class:`~langchain_azure_multimodal.errors.MediaError` that names the
message and block, the file, the limit and the fix:

* models without a system role get the system text merged into the first user turn (as the service does for them);
* images and audio must be inputs the model takes;
* with normalisation on (the default), images are rotated, stripped, converted and downscaled (:mod:`._images`), and
  audio other than wav/mp3 is transcoded to mp3 (:mod:`._audio`); without the ``media`` extra, parts that are already
  valid pass and the rest get an error naming the extra;
* formats and byte sizes must fit the profile; URLs are never fetched, so only their kind is checked;
* with normalisation off (``normalize_media=False``) nothing is decoded: the byte size comes from the base64's
  length, an image's real format and pixel size from its header, and the caller's base64 goes out unchanged;
* image counts per user turn and per request must fit; for one-image models ``image_policy="keep_last"`` keeps the
  last image and drops the others, as the service does, instead of raising.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from ._messages import ParsedMedia, ParsedMessage, parsed_media
from ._urls import base64_size, decode_base64
from .endpoints import AOAI_MIN_AUDIO_API_VERSION, ROUTES, EndpointKind, EndpointSettings
from .errors import MediaDecodeError, MediaError, MediaExtraRequiredError, MediaValidationError, UnsupportedContentError
from .profiles import IMAGE_MIME_ALIASES, ModelProfile

ImagePolicy = Literal["error", "keep_last"]
_LOG = logging.getLogger(__name__)


@dataclass(frozen=True)
class MediaOptions:
    """How media is prepared: ``normalize`` (on by default), ``keep_metadata`` (EXIF/GPS), ``image_policy``."""

    normalize: bool = True
    keep_metadata: bool = False
    image_policy: ImagePolicy = "error"

    def __post_init__(self) -> None:
        if self.image_policy not in ("error", "keep_last"):
            raise ValueError(f"image_policy must be 'error' or 'keep_last', not {self.image_policy!r}")


#: The default: normalise, strip metadata, refuse extra images.
DEFAULT_MEDIA_OPTIONS = MediaOptions()


def where_of(part: ParsedMedia) -> str:
    """``messages[i].content[j]``, with the file name when the block carries one."""
    name = part.extras.get("filename") or part.extras.get("name")
    return f"{part.location} ({name})" if name else str(part.location)


def prepare(
    parsed: Sequence[ParsedMessage], profile: ModelProfile, options: MediaOptions = DEFAULT_MEDIA_OPTIONS
) -> list[ParsedMessage]:
    """The messages with every media part normalised and checked; raises ``MediaError`` before any network.

    Example:
        >>> from langchain_core.messages import HumanMessage, SystemMessage
        >>> from langchain_azure_multimodal._messages import parse_messages
        >>> from langchain_azure_multimodal.profiles import resolve_profile
        >>> parsed = parse_messages([SystemMessage("Be brief."), HumanMessage("Hi")])
        >>> [(m.role, m.text) for m in prepare(parsed, resolve_profile("phi-3-vision-128k-instruct"))]
        [('user', 'Be brief.\\n\\nHi')]
    """
    messages = list(parsed) if profile.system_messages else _merge_system_text(parsed)
    prepared = [_prepare_message(message, profile, options) for message in messages]
    return _check_image_counts(prepared, profile, options.image_policy)


def _merge_system_text(parsed: Sequence[ParsedMessage]) -> list[ParsedMessage]:
    system = [m for m in parsed if m.role in ("system", "developer")]
    if not system:
        return list(parsed)
    instructions = "\n\n".join(m.text for m in system if m.text)
    rest = [m for m in parsed if m.role not in ("system", "developer")]
    for position, message in enumerate(rest):
        if message.role == "user":
            text = f"{instructions}\n\n{message.text}" if message.text else instructions
            parts = (instructions, *message.content) if message.content else ()
            rest[position] = replace(message, text=text, content=parts)
            return rest
    return [ParsedMessage(role="user", index=system[0].index, text=instructions), *rest]


def _prepare_message(message: ParsedMessage, profile: ModelProfile, options: MediaOptions) -> ParsedMessage:
    if not message.content:
        return message
    parts = tuple(_prepare_media(p, profile, options) if isinstance(p, ParsedMedia) else p for p in message.content)
    return replace(message, content=parts)


def _prepare_media(part: ParsedMedia, profile: ModelProfile, options: MediaOptions) -> ParsedMedia:
    where = where_of(part)
    if part.kind == "image" and not profile.image_input:
        raise MediaValidationError(
            f"{profile.name} does not take image input",
            where=where,
            limit=f"{profile.name}: text only",
            fix="use a vision model (gpt-4o, phi-4-multimodal-instruct, ...) or remove the image",
        )
    if part.kind == "audio" and not profile.audio_input:
        raise MediaValidationError(
            f"{profile.name} does not take audio input",
            where=where,
            limit=f"{profile.name}: no audio",
            fix="use an audio model (gpt-4o-audio-preview, phi-4-multimodal-instruct) or transcribe the clip first",
        )
    if part.data is None:
        return part  # a URL: never fetched, so its format and size are the service's to check
    if not options.normalize:
        # Sent as it is, so nothing needs the decoded bytes: the checks read the base64's length and the image's
        # header, and the caller's base64 string goes on the wire unchanged (never decoded, never re-encoded).
        size = _size(part, where)
        try:
            return _check_as_is(part, size, profile)
        except MediaError as error:
            raise error.placed(where) from None
    data = _decode(part, where)
    try:
        if part.kind == "image":
            return _prepare_image(part, data, profile, options)
        return _prepare_audio(part, data, profile)
    except MediaError as error:
        raise error.placed(where) from None


def _decode_error(part: ParsedMedia, where: str) -> MediaDecodeError:
    return MediaDecodeError(
        f"the {part.kind}'s base64 data does not decode",
        where=where,
        fix="send standard base64 (RFC 4648, no line breaks), or build the block with image_part()/audio_part()",
    )


def _empty_error(part: ParsedMedia, where: str) -> MediaDecodeError:
    return MediaDecodeError(f"the {part.kind} data is empty", where=where, fix="send the file's bytes")


def _decode(part: ParsedMedia, where: str) -> bytes:
    try:
        data = decode_base64(part.data or "")
    except binascii.Error:
        raise _decode_error(part, where) from None
    if not data:
        raise _empty_error(part, where)
    return data


def _size(part: ParsedMedia, where: str) -> int:
    """The decoded size of the part's base64, checked as :func:`_decode` checks it, without decoding it."""
    try:
        size = base64_size(part.data or "")
    except binascii.Error:
        raise _decode_error(part, where) from None
    if not size:
        raise _empty_error(part, where)
    return size


def _check_as_is(part: ParsedMedia, size: int, profile: ModelProfile) -> ParsedMedia:
    """``normalize_media=False``: the part, unchanged, if the profile takes it as it is: the declared format and the
    byte size; for an image also the format and pixel size its header shows (with Pillow)."""
    if part.kind == "audio":
        if not _audio_is_valid_as_is(part, size, profile):
            raise MediaValidationError(
                f"{part.mime_type or 'audio without a MIME type'} of {size:,} bytes is not audio {profile.name} "
                "takes as it is",
                limit=f"{', '.join(sorted(profile.audio_formats))}, at most {profile.max_audio_bytes:,} bytes",
                fix="turn media normalisation on (normalize_media=True) to transcode it to mp3",
            )
        return part
    fix = "turn media normalisation on (normalize_media=True) to convert and downscale it"
    limit = f"{', '.join(sorted(profile.image_formats))}, at most {profile.max_image_bytes:,} bytes"
    if not _image_is_valid_as_is(part, size, profile):
        declared = part.mime_type or "no MIME type"
        raise MediaValidationError(
            f"{declared} of {size:,} bytes is not an image {profile.name} takes as it is", limit=limit, fix=fix
        )
    from . import _images  # media modules load with the first media part: text-only calls never pay for them

    try:
        header = _images.read_header(part.data or "")
    except MediaExtraRequiredError:
        return part  # without Pillow the declared format is all there is to check
    if header.format not in profile.image_formats:
        raise MediaValidationError(
            f"the data declared {part.mime_type} is a {header.format.upper()} image ({header.width}x{header.height}), "
            f"which {profile.name} does not take as it is",
            limit=limit,
            fix=fix,
        )
    return part


def _encoded(part: ParsedMedia, data: bytes, mime_type: str, steps: tuple[str, ...]) -> ParsedMedia:
    extras = {**part.extras, "normalized": list(steps)} if steps else part.extras
    return replace(part, data=base64.b64encode(data).decode("ascii"), mime_type=mime_type, extras=extras)


def _prepare_image(part: ParsedMedia, data: bytes, profile: ModelProfile, options: MediaOptions) -> ParsedMedia:
    from . import _images

    try:
        image = _images.normalize_image(data, detail=part.detail, profile=profile, keep_metadata=options.keep_metadata)
    except MediaExtraRequiredError:
        if not _image_is_valid_as_is(part, len(data), profile):
            raise
        return part  # already valid: it passes without the media extra
    if image.changed:
        return _encoded(part, image.data, image.mime_type, image.steps)
    # Sent as it is, under the name of what the bytes are (a PNG saved as photo.jpg is sent as image/png).
    same = _image_format(part) == IMAGE_MIME_ALIASES.get(image.mime_type.partition("/")[2])
    return part if same else replace(part, mime_type=image.mime_type)


def _image_format(part: ParsedMedia) -> str | None:
    """The canonical format (``jpeg``, ``png``...) the part's MIME type declares, if the service knows it."""
    kind, _, subtype = (part.mime_type or "").partition("/")
    return IMAGE_MIME_ALIASES.get(subtype) if kind == "image" else None


def _image_is_valid_as_is(part: ParsedMedia, size: int, profile: ModelProfile) -> bool:
    return _image_format(part) in profile.image_formats and size <= profile.max_image_bytes


def _prepare_audio(part: ParsedMedia, data: bytes, profile: ModelProfile) -> ParsedMedia:
    from . import _audio

    try:
        audio = _audio.normalize_audio(data, max_bytes=profile.max_audio_bytes)
    except MediaExtraRequiredError:
        if not _audio_is_valid_as_is(part, len(data), profile):
            raise
        return part
    if audio.format not in profile.audio_formats:
        raise MediaValidationError(
            f"{profile.name} does not take {audio.format} audio", limit=", ".join(sorted(profile.audio_formats))
        )
    if audio.changed:
        return _encoded(part, audio.data, audio.mime_type, audio.steps)
    # A WAV labelled audio/mpeg goes out as wav: the service decodes by the declared format.
    return part if part.audio_format == audio.format else replace(part, mime_type=audio.mime_type)


def _audio_is_valid_as_is(part: ParsedMedia, size: int, profile: ModelProfile) -> bool:
    return part.audio_format in profile.audio_formats and size <= profile.max_audio_bytes


def _check_image_counts(
    messages: list[ParsedMessage], profile: ModelProfile, policy: ImagePolicy
) -> list[ParsedMessage]:
    images = [(m, p) for m in messages for p in m.content if isinstance(p, ParsedMedia) and p.kind == "image"]
    per_turn = max(
        (sum(1 for p in m.content if isinstance(p, ParsedMedia) and p.kind == "image") for m in messages), default=0
    )
    if len(images) <= profile.max_images_per_request and per_turn <= profile.max_images_per_turn:
        return messages
    if policy == "keep_last" and profile.max_images_per_request >= 1 and profile.max_images_per_turn >= 1:
        keep = images[-1][1]
        dropped = len(images) - 1
        _LOG.info("image_policy='keep_last': sending %s and dropping %d earlier image(s)", keep.location, dropped)
        return [
            replace(
                m,
                content=tuple(
                    p for p in m.content if not (isinstance(p, ParsedMedia) and p.kind == "image") or p is keep
                ),
            )
            for m in messages
        ]
    if len(images) > profile.max_images_per_request:
        first_over = images[profile.max_images_per_request][1]
        what = f"this request has {len(images)} images; {profile.name} takes at most {profile.max_images_per_request}"
        limit = f"{profile.max_images_per_request} image(s) per request"
    else:
        crowded = next(
            m
            for m in messages
            if sum(isinstance(p, ParsedMedia) and p.kind == "image" for p in m.content) > profile.max_images_per_turn
        )
        first_over = [p for p in crowded.content if isinstance(p, ParsedMedia) and p.kind == "image"][
            profile.max_images_per_turn
        ]
        what = f"this user turn has {per_turn} images; {profile.name} takes at most {profile.max_images_per_turn}"
        limit = f"{profile.max_images_per_turn} image(s) per user turn"
    fix = "send fewer images, split them across requests"
    if profile.max_images_per_request == 1:
        fix += ", or pass image_policy='keep_last' to send only the last one (what the service keeps)"
    raise MediaValidationError(what, where=where_of(first_over), limit=limit, fix=fix)


def check_endpoint_takes_audio(parsed: Sequence[ParsedMessage], settings: EndpointSettings) -> None:
    """Azure OpenAI deployments take audio only from an api-version on (``endpoints.api_version_takes_audio``):
    refuse it before sending."""
    if settings.supports_audio_input():
        return
    audio = next((part for part in parsed_media(parsed) if part.kind == "audio"), None)
    if audio is not None:
        raise UnsupportedContentError(
            f"Unsupported content at {audio.location} (block type 'audio'): Azure OpenAI deployments take "
            f"audio input from api-version {AOAI_MIN_AUDIO_API_VERSION} on, and this model uses "
            f"api_version={settings.api_version!r}. Pass api_version='{AOAI_MIN_AUDIO_API_VERSION}' "
            f"or later (or leave api_version out), or use the {ROUTES[EndpointKind.OPENAI_V1].paths[0]} endpoint.",
            message_index=audio.location.message_index,
            block_index=audio.location.block_index,
            block_type="audio",
        )
