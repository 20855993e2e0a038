"""Typed errors: each says what was wrong, where, and how to fix it.

The media errors are ``ValueError`` subclasses raised before any network call. ``where`` names the place in the request
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


class _Explained(Exception):  # noqa: N818 - a base, never raised itself
    """``what``, ``where`` and ``fix``, kept as attributes and written as one sentence."""

    def __init__(self, what: str, *, where: str | None = None, fix: str | None = None) -> None:
        self.what, self.where, self.fix = what, where, fix
        super().__init__(self._text())

    def _text(self) -> str:
        text = f"{self.where}: {self.what}" if self.where else self.what
        return f"{text}. Fix: {self.fix}." if self.fix else f"{text}."


class MediaError(_Explained, ValueError):
    """Base of the media errors; ``what``, ``where`` and ``fix`` are also attributes."""

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


class IngestRefusedError(_Explained, RuntimeError):
    """An ingest run that cannot start, or cannot go on, for a reason no input file can fix (the command exits 2).

    Example:
        >>> str(RunIdentityError("it holds results of model 'phi-4' and this run asks 'gpt-4o'", where="out.jsonl",
        ...                      fix="write to a new --out, or pass --restart"))
        "out.jsonl: it holds results of model 'phi-4' and this run asks 'gpt-4o'. Fix: write to a new --out, or pass --restart."
    """  # noqa: E501 - the doctest output is one line


class OutputLockedError(IngestRefusedError):
    """Another run holds the output's lock; ``pid`` is its process id when it could be read."""

    def __init__(self, output: object, pid: int | None) -> None:
        self.pid = pid
        holder = f"another ingest run (pid {pid})" if pid else "another ingest run"
        super().__init__(
            f"{holder} is writing to this output",
            where=str(output),
            fix="wait for that run to finish, or write to another --out",
        )


class RunIdentityError(IngestRefusedError):
    """The output holds results of another question (endpoint, model, task, prompt, options) than this run asks."""


class EndpointRefusedError(IngestRefusedError):
    """The endpoint, the key, the deployment or the model cannot serve the run: sign-in, 401/403/404, media."""
