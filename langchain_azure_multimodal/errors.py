"""Typed errors for media that cannot be sent: each says what was wrong, where, and how to fix it.

All are ``ValueError`` subclasses raised before any network call. ``where`` names the place in the request
(``messages[1].content[2]``) or the source (a file name), ``fix`` says what to do instead.

Example:
    >>> error = MediaValidationError("the image is 25,000,000 bytes, over the 20,971,520-byte limit",
    ...                              where="messages[0].content[1] (scan.png)", limit="20 MB per image",
    ...                              fix="downscale it or send it as JPEG")
    >>> str(error)
    'messages[0].content[1] (scan.png): the image is 25,000,000 bytes, over the 20,971,520-byte limit. Fix: downscale it or send it as JPEG.'
"""  # noqa: E501 - the doctest output is one line

from __future__ import annotations

import copy
from typing import Self

MEDIA_EXTRA_INSTALL = "pip install 'langchain-azure-multimodal[media]'"


class MediaError(ValueError):
    """Base of the media errors; ``what``, ``where`` and ``fix`` are also attributes."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what, self.where, self.fix = what, where, fix
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text}. Fix: {self.fix}." if self.fix else f"{text}."

    def placed(self, where: str) -> Self:
        """A copy that says where in the request the media is (keeping the source it named, if any).

        Example:
            >>> str(MediaDecodeError("the JPEG data is truncated", where="photo.jpg").placed("messages[0].content[1]"))
            'messages[0].content[1] (photo.jpg): the JPEG data is truncated.'
        """
        placed = copy.copy(self)
        placed.where = f"{where} ({self.where})" if self.where and self.where != where else where
        placed.args = (placed._text(),)
        return placed


class MediaSourceError(MediaError):
    """A source that cannot be read: a missing path, a directory, a symlink loop, an empty file, an unknown type."""


class MediaDecodeError(MediaError):
    """Bytes that do not decode as the image or audio they claim to be (truncated, corrupt, mislabelled)."""


class MediaExtraRequiredError(MediaError):
    """Work that needs Pillow or PyAV, which come with the ``media`` extra."""

    def __init__(self, what: str, *, where: str | None = None) -> None:
        super().__init__(what, where=where, fix=f"install the media extra: {MEDIA_EXTRA_INSTALL}")


class MediaValidationError(MediaError):
    """Media that breaks the model's limits (format, size, count, audio or system support); ``limit`` names it."""

    def __init__(self, what: str, *, where: str | None = None, limit: str | None = None, fix: str | None = None):
        self.limit = limit
        super().__init__(what, where=where, fix=fix)
