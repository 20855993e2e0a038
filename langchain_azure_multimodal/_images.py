"""Image inspection and normalisation: what the service takes, at the size the model actually looks at.

The service decodes JPEG, PNG, GIF (first frame only) and WEBP up to 20 MB, and a vision model never looks at
more than :func:`target_size` pixels. Users hand us phone photos, screenshots, HEIC, TIFF, BMP, AVIF and
animations, so :func:`normalize_image`, before anything is sent:

* identifies the real type from the bytes with Pillow (never from a file name) and decodes it fully, so truncated
  or corrupt data fails here with :class:`MediaDecodeError` rather than at the service; never more than
  ``profiles.MAX_DECODED_PIXELS`` pixels, whatever the header claims (:mod:`._pixel_budget`: a JPEG is decoded at
  reduced scale, anything else over it is a :class:`MediaValidationError` before a pixel is decoded);
* applies the EXIF orientation (pixels are turned, the tag goes), takes the first frame of an animation or a
  multi-page file, and turns CMYK and 16-bit pixels into 8-bit RGB or grey;
* downscales to :func:`target_size` with LANCZOS (never up): the same image tokens for far fewer bytes;
* removes EXIF (GPS included), XMP, IPTC, comments and PNG text unless ``keep_metadata=True``, which keeps EXIF
  (minus an applied orientation). ICC profiles are colour, not privacy: they are kept and not counted as metadata;
* re-encodes in a format the profile takes: photos as JPEG (quality 85), graphics as PNG, WEBP stays WEBP;
* sends the original bytes untouched when none of that is needed, and raises :class:`MediaValidationError` when
  the result is still over the profile's byte limit.

Photo or graphic: JPEG, MPO and HEIC sources are photos; PNG and GIF sources are graphics (lossless in, lossless
out; a GIF frame is a palette image). Other sources (TIFF, BMP, AVIF, ...) are graphics when they are palette or
1-bit images or have at most 256 colours (so grey images too), photos otherwise. An alpha channel that is used
always means PNG (never JPEG); an opaque one is dropped. A WEBP source stays WEBP when the profile takes it: lossy
at quality 85 for photos, lossless for graphics. An animated GIF becomes its first frame as PNG: no
re-quantisation, transparency kept. A JPEG that only loses metadata keeps its quantisation tables (``quality="keep"``).

Pillow is the ``media`` extra: it is imported on first use, and without it every function that needs it raises
:class:`MediaExtraRequiredError` (:func:`target_size` is plain arithmetic and works without it). HEIC/HEIF is read
through pillow-heif's opener when that is installed; libheif turns the pixels itself, so HEIC reports orientation 1.

Example:
    >>> import io
    >>> from PIL import Image
    >>> from langchain_azure_multimodal.profiles import resolve_profile
    >>> scan = io.BytesIO()
    >>> Image.new("RGB", (2000, 1500), "teal").save(scan, "TIFF")
    >>> result = normalize_image(scan.getvalue(), detail="high", profile=resolve_profile("gpt-4o"), name="scan.tif")
    >>> result.mime_type, (result.width, result.height), result.steps
    ('image/png', (1024, 768), ('converted TIFF to PNG', 'downscaled 2000x1500 to 1024x768 for detail=high'))
"""

from __future__ import annotations

import hashlib
import io
import struct
import threading
from collections import OrderedDict
from dataclasses import dataclass, replace
from types import ModuleType
from typing import IO, TYPE_CHECKING, Any

from ._pixel_budget import check_pixels, draft_size, pixels, quiet
from ._urls import Base64Reader, decode_base64
from .errors import MediaDecodeError, MediaExtraRequiredError, MediaValidationError
from .profiles import MAX_DECODED_PIXELS, MEBIBYTE, PILLOW_IMAGE_FORMATS, ModelProfile, TileTokenRule

if TYPE_CHECKING:
    from PIL.Image import Exif
    from PIL.Image import Image as Picture
    from PIL.ImageFile import ImageFile

_NOT_LOADED = ModuleType("PIL.Image, not imported yet")
#: ``PIL.Image`` once imported, ``None`` when Pillow is missing (tests set it to ``None`` to simulate that).
_pillow: ModuleType | None = _NOT_LOADED

#: The Pillow formats this module opens, with the canonical name and MIME type it reports. Anything else (EPS
#: would run Ghostscript, TGA has no signature and "identifies" random bytes) is refused as unreadable.
_FORMATS: dict[str, tuple[str, str]] = dict(PILLOW_IMAGE_FORMATS)
_MIME = {canonical: mime for canonical, mime in _FORMATS.values()}
#: Only to name the missing extra when Pillow cannot read the data; Pillow itself decides what an image is.
_HEIF_BRANDS = (b"heic", b"heix", b"heim", b"heis", b"hevc", b"hevx", b"mif1", b"msf1")
#: What Pillow and its plugins raise for data they cannot decode.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, KeyError, TypeError, RuntimeError,
                  struct.error)  # fmt: skip
_ORIENTATION, _EXIF_IFD, _GPS_IFD = 0x0112, 0x8769, 0x8825
_TURNS = {2: "FLIP_LEFT_RIGHT", 3: "ROTATE_180", 4: "FLIP_TOP_BOTTOM", 5: "TRANSPOSE", 6: "ROTATE_270",
          7: "TRANSVERSE", 8: "ROTATE_90"}  # fmt: skip
#: TIFF tags that describe the picture rather than store it (a TIFF's EXIF also holds the strip layout).
_TIFF_METADATA = {**dict.fromkeys((270, 271, 272, 305, 306, 315, 316, 33432, _EXIF_IFD), "EXIF"),  # camera, author
                  _GPS_IFD: "GPS", 700: "XMP", 33723: "IPTC", 34377: "IPTC"}  # fmt: skip
_JPEG_QUALITY = 85
#: Palette images are first shrunk with NEAREST to this multiple of the target, so the RGBA copy LANCZOS needs
#: is small (a palette pixel is 1 byte, an RGBA pixel 4).
_PALETTE_GAP = 4
#: Base64 up to this length is decoded whole to read its header; longer is read through a view, this many bytes at a
#: time (a header is a few hundred bytes; Pillow reads a JPEG's EXIF segment, up to 64 KiB, in one call).
_HEADER_READ = 8 * 1024


def _require_pillow(what: str, where: str | None) -> None:
    """Import Pillow (and register pillow-heif's opener) once; raise the extra's error when it is missing."""
    global _pillow
    if _pillow is _NOT_LOADED:
        try:
            from PIL import Image
        except ImportError:
            _pillow = None
        else:
            Image.init()  # loads every plugin, so ``Image.OPEN`` lists what can be read
            if "HEIF" not in Image.OPEN:
                try:
                    import pillow_heif
                except ImportError:
                    pass
                else:
                    pillow_heif.register_heif_opener()
            _pillow = Image
    if _pillow is None:
        raise MediaExtraRequiredError(f"{what} needs Pillow, which is not installed", where=where)


@dataclass(frozen=True)
class ImageInfo:
    """What the bytes are, read from the header: the canonical format, size as displayed, frames and metadata."""

    format: str
    mime_type: str
    width: int
    height: int
    frames: int
    has_metadata: bool
    orientation: int


@dataclass(frozen=True)
class NormalizedImage:
    """The bytes to send and how they were made; ``steps`` is empty when the original bytes are sent unchanged."""

    data: bytes
    mime_type: str
    width: int
    height: int
    original_bytes: int
    original_mime_type: str
    original_width: int
    original_height: int
    steps: tuple[str, ...]

    @property
    def changed(self) -> bool:
        """Whether ``data`` differs from the original bytes."""
        return bool(self.steps)


def inspect_image(data: bytes, *, name: str | None = None) -> ImageInfo:
    """Identify an image from its bytes (header only, no decoding of the pixels).

    Metadata stored after a PNG's pixels is only seen by :func:`normalize_image`, which decodes everything.

    Example:
        >>> import io
        >>> from PIL import Image
        >>> photo, exif = io.BytesIO(), Image.Exif()
        >>> exif[0x0112] = 6  # stored landscape, shown turned a quarter clockwise
        >>> Image.new("RGB", (400, 300), "orange").save(photo, "JPEG", exif=exif)
        >>> inspect_image(photo.getvalue(), name="photo.png")
        ImageInfo(format='jpeg', mime_type='image/jpeg', width=300, height=400, frames=1, has_metadata=False, orientation=6)
    """  # noqa: E501 - the doctest output is one line
    _require_pillow("inspecting an image", name)
    with _open(data, name) as image:
        exif = _exif(image)
        return _describe(image, exif, _metadata(image, exif))


@dataclass(frozen=True)
class ImageHeader:
    """What an image's header says: the canonical format, its MIME type and the stored size in pixels."""

    format: str
    mime_type: str
    width: int
    height: int


def read_header(text: str, *, name: str | None = None) -> ImageHeader:
    """The format and pixel size of the image whose valid base64 is ``text``, read from its header: Pillow opens a
    large image through a view that decodes only the slices it reads (:class:`~._urls.Base64Reader`), so neither the
    decoded file nor a pixel is ever held. ``text`` must be valid base64 (:func:`~._urls.base64_size` checks it).

    Raises :class:`MediaDecodeError` when Pillow cannot read the header, :class:`MediaValidationError` for a
    decompression bomb, and :class:`MediaExtraRequiredError` without Pillow. Truncated pixel data is not seen.

    Example:
        >>> import base64, io
        >>> from PIL import Image
        >>> png = io.BytesIO()
        >>> Image.new("RGB", (640, 480), "teal").save(png, "PNG")
        >>> read_header(base64.b64encode(png.getvalue()).decode())
        ImageHeader(format='png', mime_type='image/png', width=640, height=480)
    """
    _require_pillow("inspecting an image", name)
    if not text:
        raise MediaDecodeError("the image data is empty", where=name, fix="pass the image file's bytes")
    if len(text) <= _HEADER_READ:  # small: decoding it all is cheaper than a view
        data = decode_base64(text)
        file: IO[bytes] = io.BytesIO(data)
        head = data[:16]
    else:
        size = len(text) // 4 * 3 - (2 if text.endswith("==") else 1 if text.endswith("=") else 0)
        file = io.BufferedReader(Base64Reader(text, size), buffer_size=_HEADER_READ)
        head = decode_base64(text[:24])
    with file, _open_file(file, head, name) as image:
        fmt, mime = _FORMATS[image.format or ""]
        width, height = image.size
    return ImageHeader(fmt, mime, width, height)


def check_image(data: bytes, *, name: str | None = None) -> ImageInfo:
    """Identify an image and decode all of it (a JPEG at 1/8 scale, which still reads every byte), so that truncated
    or corrupt data raises :class:`MediaDecodeError` here; what the decode showed is remembered, so that
    :func:`normalize_image` does not decode the same bytes again.

    Example:
        >>> import io
        >>> from PIL import Image
        >>> png = io.BytesIO()
        >>> Image.new("RGB", (64, 48), "teal").save(png, "PNG")
        >>> data = png.getvalue()
        >>> check_image(data).width
        64
        >>> check_image(data[: len(data) // 2], name="cut.png")  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        langchain_azure_multimodal.errors.MediaDecodeError: cut.png: the PNG data is truncated or corrupt ...
    """
    _require_pillow("inspecting an image", name)
    with _open(data, name) as image:
        exif = _exif(image)
        info = _describe(image, exif, _metadata(image, exif))
        if image.format in ("JPEG", "MPO"):
            image.draft(None, (1, 1))
        check_pixels(image, info.format, name)
        _decode(image, info.format, name)
        kinds = tuple(_metadata(image, _exif(image)))  # a PNG may keep metadata after its pixels
        mode = image.mode
    info = replace(info, has_metadata=bool(kinds))
    _DECODED.put(hashlib.sha256(data).digest(), _Decoded(info, kinds, mode))
    return info


@dataclass(frozen=True)
class _Decoded:
    """What decoding some bytes showed: enough to tell, without decoding them again, whether they can go as they are."""

    info: ImageInfo
    metadata: tuple[str, ...]
    mode: str

    def sendable_as_is(
        self, size: tuple[int, int], data_bytes: int, profile: ModelProfile, keep_metadata: bool
    ) -> bool:
        """Whether the original bytes can be sent for a model that looks at ``size`` pixels."""
        info = self.info
        return (
            info.format in profile.image_formats
            and (info.frames, info.orientation) == (1, 1)
            and size == (info.width, info.height)
            and not (self.metadata and not keep_metadata)
            and self.mode != "CMYK"
            and data_bytes <= profile.max_image_bytes
        )


class _DecodedMemo:
    """The last few hundred images decoded, by the SHA-256 of their bytes: an image built with ``image_part`` and
    then sent, or sent again with every turn of a conversation, is decoded once. Hashing costs a fraction of a
    decode (about 1 ms per MB against 10-20), and a digest never names other bytes."""

    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._entries: OrderedDict[bytes, _Decoded] = OrderedDict()
        self._lock = threading.Lock()  # parsers and Ray workers call in from threads

    def get(self, digest: bytes) -> _Decoded | None:
        with self._lock:
            found = self._entries.get(digest)
            if found is not None:
                self._entries.move_to_end(digest)
            return found

    def put(self, digest: bytes, decoded: _Decoded) -> None:
        with self._lock:
            self._entries[digest] = decoded
            self._entries.move_to_end(digest)
            if len(self._entries) > self._capacity:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


_DECODED = _DecodedMemo(capacity=512)


def target_size(width: int, height: int, detail: str | None, rule: TileTokenRule) -> tuple[int, int]:
    """The size the model looks at (:meth:`~.profiles.TileTokenRule.view_size`): ``low`` fits in 512x512,
    ``high``/``auto``/``None`` follow ``rule``; never up.

    Example:
        >>> rule = TileTokenRule()
        >>> target_size(4000, 3000, "high", rule), target_size(4000, 3000, "low", rule), target_size(300, 200, "low", rule)
        ((1024, 768), (512, 384), (300, 200))
    """  # noqa: E501 - one doctest line
    return rule.view_size(width, height, detail)


def normalize_image(
    data: bytes, *, detail: str | None, profile: ModelProfile, keep_metadata: bool = False, name: str | None = None
) -> NormalizedImage:
    """Turn any readable image into bytes the service takes, at the size the model looks at (see the module doc).

    Example:
        >>> import io
        >>> from PIL import Image
        >>> from langchain_azure_multimodal.profiles import DEFAULT_PROFILE
        >>> small = io.BytesIO()
        >>> Image.new("RGB", (64, 48), "teal").save(small, "PNG")
        >>> normalize_image(small.getvalue(), detail="low", profile=DEFAULT_PROFILE).changed
        False
    """
    _require_pillow("normalising an image", name)
    from PIL import Image

    digest = hashlib.sha256(data).digest()
    known = _DECODED.get(digest)
    if known is not None:
        size = target_size(known.info.width, known.info.height, detail, profile.image_tokens)
        if known.sendable_as_is(size, len(data), profile, keep_metadata):
            return _unchanged(data, known.info)

    with _open(data, name) as image:
        exif = _exif(image)
        info = _describe(image, exif, _metadata(image, exif))
        width, height = target_size(info.width, info.height, detail, profile.image_tokens)
        stored = (height, width) if info.orientation in (5, 6, 7, 8) else (width, height)
        resize = (width, height) != (info.width, info.height)
        if image.format in ("JPEG", "MPO") and (resize or pixels(image.size) > MAX_DECODED_PIXELS):
            # libjpeg decodes at 1/2, 1/4 or 1/8 scale: never below the target, and never over the pixel budget
            image.draft(None, draft_size(image.size, stored if resize else None))
        check_pixels(image, info.format, name)
        _decode(image, info.format, name)
        exif = _exif(image)  # again: a PNG may keep its metadata after the pixels
        kinds = _metadata(image, exif)
        decoded = _Decoded(replace(info, has_metadata=bool(kinds)), tuple(kinds), image.mode)
        _DECODED.put(digest, decoded)
        if decoded.sendable_as_is((width, height), len(data), profile, keep_metadata):
            return _unchanged(data, info)

        source_mode = image.mode
        picture, colour_step = _eight_bit(image)
        few_colours = info.format not in ("jpeg", "heic", "png", "gif") and picture.getcolors(256) is not None
        if resize:
            picture = _downscale(picture, stored)
        if info.orientation != 1:
            picture = picture.transpose(Image.Transpose[_TURNS[info.orientation]])
        fmt, graphic, alpha = _choose_format(info.format, source_mode, picture, few_colours, profile, name)
        if fmt == "jpeg" and picture.mode not in ("RGB", "L"):
            picture = picture.convert("L" if picture.mode in ("1", "L", "LA") else "RGB")
        elif not alpha and picture.mode in ("RGBA", "LA"):
            picture = picture.convert(picture.mode[:-1])  # an opaque alpha channel only costs bytes

        # JPEG: optimize is cheap and saves bytes. PNG: zlib's default level; optimize=True doubled the encode time of
        # a 20 MB PNG (bench/README.md, "Media normalisation") for about 5 % fewer bytes.
        params: dict[str, Any] = (
            {"optimize": True} if fmt == "jpeg" else {} if fmt == "png" else {"quality": _JPEG_QUALITY}
        )
        if fmt == "jpeg":
            # Only metadata goes: keep the original quantisation tables, so no quality is lost.
            params["quality"] = "keep" if picture is image and image.format == "JPEG" else _JPEG_QUALITY
        elif fmt == "webp" and graphic:
            params["lossless"] = True
        if source_mode != "CMYK" and image.info.get("icc_profile"):
            params["icc_profile"] = image.info["icc_profile"]  # a CMYK profile would not fit the RGB pixels
        lost = kinds
        if keep_metadata:
            params["exif"] = _kept_exif(image, exif, turned=info.orientation != 1)
            lost = [kind for kind in kinds if kind not in ("EXIF", "GPS")]
        # Savers read some fields (JPEG comment, PNG transparency and ICC) from ``info``: leave only what we mean.
        picture.info = {k: v for k, v in picture.info.items() if k == "transparency" and picture.mode != "RGBA"}
        buffer = io.BytesIO()
        picture.save(buffer, fmt.upper(), **params)
        out = buffer.getvalue()
        del buffer, picture

    steps = [
        f"applied EXIF orientation {info.orientation}" if info.orientation != 1 else "",
        f"took the first of {info.frames} frames" if info.frames > 1 else "",
        f"converted {info.format.upper()} to {fmt.upper()}" if fmt != info.format else "",
        colour_step,
        f"downscaled {info.width}x{info.height} to {width}x{height} for detail={detail or 'auto'}" if resize else "",
        f"removed metadata ({', '.join(lost)})" if lost else "",
    ]
    steps = [step for step in steps if step] or [f"re-encoded to fit the {profile.max_image_bytes:,}-byte limit"]
    if len(out) > profile.max_image_bytes:
        limit = profile.max_image_bytes
        raise MediaValidationError(
            f"the image is still {len(out):,} bytes after normalising ({'; '.join(steps)}), "
            f"over the {limit:,}-byte limit",
            where=name,
            limit=f"{limit // MEBIBYTE} MB per image" if limit % MEBIBYTE == 0 else f"{limit:,} bytes per image",
            fix="crop it" if detail == "low" else "crop it, or send it at detail='low'",
        )
    return NormalizedImage(out, _MIME[fmt], width, height, len(data), info.mime_type, info.width, info.height,
                           tuple(steps))  # fmt: skip


def _unchanged(data: bytes, info: ImageInfo) -> NormalizedImage:
    return NormalizedImage(data, info.mime_type, info.width, info.height, len(data), info.mime_type, info.width,
                           info.height, ())  # fmt: skip


def _open(data: bytes, name: str | None) -> ImageFile:
    if not data:
        raise MediaDecodeError("the image data is empty", where=name, fix="pass the image file's bytes")
    return _open_file(io.BytesIO(data), data[:16], name)


def _open_file(file: IO[bytes], head: bytes, name: str | None) -> ImageFile:
    """Pillow's ``Image.open`` on ``file``, which reads the header only; ``head`` (its first 16 bytes) names the
    format in errors."""
    from PIL import Image, UnidentifiedImageError

    formats = [f for f in _FORMATS if f in Image.OPEN]
    try:
        with quiet():
            return Image.open(file, formats=formats)
    except Image.DecompressionBombError as error:
        pixels = Image.MAX_IMAGE_PIXELS
        raise MediaValidationError(
            f"the image is too large to decode safely ({error})",
            where=name,
            limit=f"{pixels * 2:,} pixels" if pixels else None,
            fix="downscale it before sending",
        ) from None
    except UnidentifiedImageError as error:
        if head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS and "HEIF" not in Image.OPEN:
            raise MediaExtraRequiredError("reading HEIC/HEIF images needs pillow-heif", where=name) from None
        raise MediaDecodeError(
            f"the data is not a JPEG, PNG, GIF, WEBP, HEIC, TIFF, BMP or AVIF image that Pillow can read "
            f"(it starts with {head[:12]!r}; {error})",
            where=name,
            fix="send the image file itself, or convert it to PNG or JPEG",
        ) from None
    except _DECODE_ERRORS as error:  # a plugin took the signature, then failed on the header (WEBP, AVIF, HEIF)
        accepts = [f for f in formats if (accept := Image.OPEN[f][1]) is None or accept(head)]
        raise _corrupt(_FORMATS[accepts[0]][0] if accepts else "image", error, name) from None


def _corrupt(fmt: str, error: Exception, name: str | None) -> MediaDecodeError:
    return MediaDecodeError(
        f"the {fmt.upper()} data is truncated or corrupt ({error})",
        where=name,
        fix="send the complete file, or export it again from the app that made it",
    )


def _decode(image: ImageFile, fmt: str, name: str | None) -> None:
    try:
        image.load()
    except _DECODE_ERRORS as error:
        raise _corrupt(fmt, error, name) from None


def _exif(image: ImageFile) -> Exif:
    from PIL import Image

    if image.format == "PNG" and "exif" not in image.info:
        return Image.Exif()  # PngImageFile.getexif would decode every pixel to look for a late eXIf chunk
    return image.getexif()


def _metadata(image: ImageFile, exif: Exif) -> list[str]:
    """The kinds of privacy-relevant metadata in the file, e.g. ``["EXIF", "GPS", "XMP"]``."""
    info = image.info
    if image.format == "TIFF":
        found = {_TIFF_METADATA[tag] for tag in exif if tag in _TIFF_METADATA}
        return [kind for kind in ("EXIF", "GPS", "XMP", "IPTC") if kind in found]
    kinds = {
        "EXIF": any(tag not in (_ORIENTATION, _GPS_IFD) for tag in exif),
        "GPS": _GPS_IFD in exif,
        "XMP": bool(info.get("xmp") or info.get("XML:com.adobe.xmp")),
        "IPTC": "photoshop" in info,
        "comments": bool(info.get("comment")),
        # PNG tEXt/zTXt/iTXt chunks land in ``info`` as strings; nothing else there is a string.
        "text": image.format == "PNG" and any(isinstance(v, str) for k, v in info.items() if k != "XML:com.adobe.xmp"),
    }
    return [kind for kind, present in kinds.items() if present]


def _kept_exif(image: ImageFile, exif: Exif, turned: bool) -> bytes:
    """The EXIF to write back for ``keep_metadata``: without an applied orientation, and for a TIFF only the
    descriptive tags (its EXIF also holds the strip layout, which means nothing in another file)."""
    from PIL import Image

    kept = Image.Exif()
    for tag in exif:
        if image.format == "TIFF" and _TIFF_METADATA.get(tag) not in ("EXIF", "GPS"):
            continue
        kept[tag] = exif.get_ifd(tag) if tag in (_EXIF_IFD, _GPS_IFD) else exif[tag]
    if turned:
        kept.pop(_ORIENTATION, None)
    return kept.tobytes() if len(kept) else b""


def _describe(image: ImageFile, exif: Exif, kinds: list[str]) -> ImageInfo:
    fmt, mime = _FORMATS[image.format or ""]
    orientation = exif.get(_ORIENTATION, 1)
    orientation = orientation if orientation in _TURNS else 1
    width, height = image.size if orientation < 5 else image.size[::-1]
    with quiet():  # a GIF re-reads its first frame after counting, and Pillow checks that frame's size again
        frames = int(getattr(image, "n_frames", 1))
    return ImageInfo(fmt, mime, width, height, frames, bool(kinds), orientation)


def _eight_bit(image: Picture) -> tuple[Picture, str]:
    """8-bit grey, RGB or RGBA pixels (or the palette/1-bit image itself), and the step that says so, if any."""
    mode = image.mode
    if mode == "CMYK":
        return _cmyk_to_rgb(image), "converted CMYK colour to RGB"
    if mode.startswith("I"):
        # Pillow's own I;16 -> L conversion clips at 255; keep the high byte instead.
        wide = image if mode in ("I", "I;16") else image.convert("I")
        return wide.point(lambda value: value * (1 / 256)).convert("L"), f"converted {mode} grey to 8-bit"
    if mode in ("1", "L", "LA", "P", "RGB", "RGBA"):
        return image, ""
    return image.convert({"PA": "RGBA", "La": "LA", "RGBa": "RGBA", "F": "L"}.get(mode, "RGB")), ""


def _cmyk_to_rgb(image: Picture) -> Picture:
    # The file's own CMYK profile gives the colours it means; Pillow's naive formula is far off for print CMYK.
    if icc := image.info.get("icc_profile"):
        try:
            from PIL import ImageCms

            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode="RGB")
            if converted is not None:
                return converted
        except Exception:  # no LittleCMS, or a profile it refuses (PyCMSError): the naive formula still works
            pass
    return image.convert("RGB")


def _downscale(picture: Picture, size: tuple[int, int]) -> Picture:
    from PIL import Image

    if picture.mode == "P":
        gap = (size[0] * _PALETTE_GAP, size[1] * _PALETTE_GAP)
        if picture.width > gap[0] and picture.height > gap[1]:
            picture = picture.resize(gap, Image.Resampling.NEAREST)
        picture = picture.convert("RGBA" if picture.has_transparency_data else "RGB")
    elif picture.mode == "1":
        picture = picture.convert("L")  # 1-bit pixels only resample with NEAREST; grey keeps thin strokes visible
    # reducing_gap: box-average down to twice the target first (fast, a quarter of the pixels or fewer to hold), then
    # LANCZOS for the rest; the difference from LANCZOS alone is far below what can be seen.
    return picture.resize(size, Image.Resampling.LANCZOS, reducing_gap=2.0)


def _choose_format(
    source: str, source_mode: str, picture: Picture, few_colours: bool, profile: ModelProfile, name: str | None
) -> tuple[str, bool, bool]:
    """The output format, whether the image is a graphic, and whether its transparency is used."""
    if picture.mode in ("RGBA", "LA", "PA"):
        alpha = picture.getchannel("A").getextrema()[0] != 255
    else:
        alpha = picture.mode == "P" and picture.has_transparency_data
    graphic = alpha or source in ("png", "gif") or source_mode in ("P", "PA", "1") or few_colours
    preferred = "webp" if source == "webp" else "png" if graphic else "jpeg"
    for fmt in (preferred, "png" if graphic else "jpeg", "png", "webp", "jpeg"):
        if fmt in profile.image_formats and not (fmt == "jpeg" and alpha):
            return fmt, graphic, alpha
    formats = ", ".join(sorted(profile.image_formats)) or "none"
    raise MediaValidationError(
        f"{profile.name} takes no image format this image can be converted to (it takes {formats})",
        where=name,
        limit=f"image formats: {formats}",
        fix="add png or jpeg to the profile's image_formats",
    )
