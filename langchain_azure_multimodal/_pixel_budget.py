"""The pixel budget: no image over ``profiles.MAX_DECODED_PIXELS`` is decoded, whatever its header claims.

``Image.open`` reads only the header, so the size is known before any pixel is decoded: a JPEG over the budget is
decoded at 1/2, 1/4 or 1/8 scale (libjpeg's draft mode, :func:`draft_size`), anything else is refused with a
:class:`~.errors.MediaValidationError` (:func:`check_pixels`). Pillow's own ``DecompressionBombWarning`` (at 89 MP,
more than the budget) is kept from escaping (:func:`quiet`); its ``DecompressionBombError`` (at 179 MP) stays the
typed error ``_images._open_file`` makes of it.

Example:
    >>> draft_size((20000, 20000), None)  # at 1/2 it would still be 100 MP: decoded at 1/4
    (5000, 5000)
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from .errors import MediaDecodeError, MediaValidationError
from .profiles import MAX_DECODED_PIXELS

if TYPE_CHECKING:
    from PIL.ImageFile import ImageFile

#: Pillow warns (rather than raises) about images between its MAX_IMAGE_PIXELS and twice that, from ``Image.open``
#: and a GIF's frame walk. Our own budget (:func:`check_pixels`) is stricter, so the warning only says what we
#: already act on. ``catch_warnings`` swaps the process's filters: the lock keeps our threads from interleaving it.
_WARNINGS_LOCK = threading.Lock()


@contextmanager
def quiet() -> Iterator[None]:
    """Pillow's calls that read sizes (``Image.open``, ``n_frames``) without its DecompressionBombWarning."""
    from PIL import Image

    with _WARNINGS_LOCK, warnings.catch_warnings():
        warnings.simplefilter("ignore", Image.DecompressionBombWarning)
        yield


def pixels(size: tuple[int, int]) -> int:
    return size[0] * size[1]


def draft_size(size: tuple[int, int], wanted: tuple[int, int] | None) -> tuple[int, int]:
    """The size to ask ``draft`` for: the reduction ``wanted`` allows, or more if the pixel budget needs it."""
    width, height = size
    allowed = 1 if wanted is None else min(width // max(wanted[0], 1), height // max(wanted[1], 1))
    scale = max((s for s in (8, 4, 2, 1) if s <= allowed), default=1)
    fits = (s for s in (1, 2, 4, 8) if pixels((-(-width // s), -(-height // s))) <= MAX_DECODED_PIXELS)
    scale = max(scale, next(fits, 8))  # over the budget even at 1/8: check_pixels refuses it
    # draft picks the largest scale s with size // s >= the request, so asking for size // s picks s itself.
    return max(width // scale, 1), max(height // scale, 1)


def check_pixels(image: ImageFile, fmt: str, name: str | None) -> None:
    """Refuse to decode more than MAX_DECODED_PIXELS (after any JPEG draft): Image.open read only the header, and a
    0.7 MB PNG may claim 13000x13000 pixels, up to 676 MB once decoded."""
    width, height = image.size
    if width <= 0 or height <= 0:
        fix = "send the complete file, or export it again from the app that made it"
        raise MediaDecodeError(f"the image header says it is {width}x{height} pixels", where=name, fix=fix)
    if pixels(image.size) <= MAX_DECODED_PIXELS:
        return
    jpeg = image.format in ("JPEG", "MPO")
    size = f"{width}x{height} pixels even at 1/8 scale" if jpeg else f"{width}x{height} pixels"
    over = f"over the {MAX_DECODED_PIXELS:,} pixels decoded per image"
    raise MediaValidationError(
        f"the {fmt.upper()} is {size} ({pixels(image.size):,}), {over}",
        where=name,
        limit=f"{MAX_DECODED_PIXELS:,} decoded pixels per image (profiles.MAX_DECODED_PIXELS)",
        fix=f"downscale it to at most {MAX_DECODED_PIXELS:,} pixels before sending (a model looks at 2048x2048 at "
        "most), or send it as JPEG, which is decoded at reduced scale",
    )
