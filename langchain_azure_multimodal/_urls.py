"""URLs in content: http(s) URLs, sent as they are and never fetched, and ``data:`` URLs, one parser for both sides.

The rules, the client's and the emulator's alike:

* An http(s) URL is one whose scheme, in any case, is ``http`` or ``https`` followed by ``://``
  (:func:`is_http_url`). Nothing else is sent as a URL: the service fetches http(s) only.
* A data URL is ``data:<type>/<subtype>[;<parameter>...][;base64],<payload>`` (RFC 2397), scheme and parameters in
  any case, spaces around them ignored (:func:`parse_data_url`). The MIME type must be ``type/subtype``: RFC 2397's
  default (``text/plain``) is never media. The service decodes base64 data URLs only, so what is sent must carry
  ``;base64`` (``require_base64=True``); a data URL read locally may instead be percent-encoded, as RFC 2397 allows.
* Base64 on the wire is RFC 4648's standard alphabet with padding and no line breaks (:func:`decode_base64`).
  Media sent as it is is never decoded whole: :func:`base64_size` checks the same rules and gives the byte count,
  and :class:`Base64Reader` decodes only the slices a header reader asks for.

Example:
    >>> url = parse_data_url("DATA:Image/PNG;charset=binary;BASE64,iVBORw0KGgo=")
    >>> url.mime_type, url.parameters, url.base64, url.payload
    ('image/png', ('charset=binary',), True, 'iVBORw0KGgo=')
    >>> parse_data_url("data:image/png,%89PNG").decode()
    b'\\x89PNG'
    >>> is_http_url("HTTPS://example.com/cat.jpg"), is_http_url("ftp://example.com/cat.jpg")
    (True, False)
"""

from __future__ import annotations

import binascii
import io
import urllib.parse
from dataclasses import dataclass
from typing import Any

__all__ = [
    "Base64Reader",
    "DataUrl",
    "DataUrlError",
    "base64_size",
    "decode_base64",
    "is_data_url",
    "is_http_url",
    "parse_data_url",
    "to_data_url",
]

_HTTP_PREFIXES = ("http://", "https://")
_DATA_PREFIX = "data:"
_BASE64_ALPHABET = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
#: Characters of base64 text checked (or decoded) at a time: a multiple of 4, so each slice is whole quanta.
_BASE64_SLICE = 256 * 1024


def is_http_url(text: object) -> bool:
    """Whether ``text`` is an http(s) URL (the scheme in any case).

    Example:
        >>> [is_http_url(x) for x in ("http://a/b.png", "Https://a", "data:image/png;base64,", "C:/a.png", None)]
        [True, True, False, False, False]
    """
    return isinstance(text, str) and text[:8].lower().startswith(_HTTP_PREFIXES)


def is_data_url(text: object) -> bool:
    """Whether ``text`` starts with the ``data:`` scheme (in any case); :func:`parse_data_url` says if it is valid."""
    return isinstance(text, str) and text[:5].lower() == _DATA_PREFIX


class DataUrlError(ValueError):
    """A data URL that does not parse; ``what`` completes "the data URL ..." (``has no MIME type``)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"the data URL {what}")
        self.what = what


@dataclass(frozen=True)
class DataUrl:
    """A parsed data URL: ``mime_type`` is lower case without parameters, ``payload`` is the text after the comma."""

    mime_type: str
    parameters: tuple[str, ...]
    base64: bool
    payload: str

    def decode(self) -> bytes:
        """The bytes: base64 (line breaks and spaces ignored, as in a wrapped local file) or percent-decoded.

        Raises ``binascii.Error`` for base64 that does not decode.
        """
        if self.base64:
            return decode_base64("".join(self.payload.split()))
        return urllib.parse.unquote_to_bytes(self.payload)


def parse_data_url(url: str, *, require_base64: bool = False) -> DataUrl:
    """Parse a ``data:`` URL by the module's rules; :class:`DataUrlError` says what is wrong.

    ``require_base64``: refuse one without ``;base64``, as the service does.

    Example:
        >>> parse_data_url("data:;base64,AAAA")
        Traceback (most recent call last):
        ...
        langchain_azure_multimodal._urls.DataUrlError: the data URL has no MIME type
        >>> parse_data_url("data:image/png,raw", require_base64=True)
        Traceback (most recent call last):
        ...
        langchain_azure_multimodal._urls.DataUrlError: the data URL is not base64-encoded
    """
    if not is_data_url(url):
        raise DataUrlError("does not start with data:")
    comma = url.find(",")
    if comma < 0:
        raise DataUrlError("has no comma before its data")
    header, payload = url[len(_DATA_PREFIX) : comma], url[comma + 1 :]  # one copy of a 27 MB payload, not two
    mime, *parameters = (part.strip() for part in header.split(";"))
    is_base64 = any(parameter.lower() == "base64" for parameter in parameters)
    mime = mime.lower()
    kind, slash, subtype = mime.partition("/")
    if not (kind and slash and subtype):  # "data:;base64," and "data:base64," name no type
        raise DataUrlError("has no MIME type")
    if require_base64 and not is_base64:
        raise DataUrlError("is not base64-encoded")
    kept = tuple(parameter for parameter in parameters if parameter and parameter.lower() != "base64")
    return DataUrl(mime, kept, is_base64, payload)


def to_data_url(mime_type: str, base64_data: str) -> str:
    """The data URL the service takes for base64 data.

    Example:
        >>> to_data_url("image/png", "iVBORw0KGgo=")
        'data:image/png;base64,iVBORw0KGgo='
    """
    return f"{_DATA_PREFIX}{mime_type};base64,{base64_data}"


def decode_base64(text: str) -> bytes:
    """Standard base64 (RFC 4648: the standard alphabet, padding, nothing else), as the service decodes it.

    Raises ``binascii.Error`` (a ``ValueError``) for anything else, whitespace and non-ASCII text included. Decodes
    the ``str`` itself: ``base64.b64decode(validate=True)`` first makes an ASCII copy of a 27 MB string.

    Example:
        >>> decode_base64("aGk="), decode_base64("")
        (b'hi', b'')
        >>> decode_base64("aG k=")
        Traceback (most recent call last):
        ...
        binascii.Error: Only base64 data is allowed
    """
    try:
        return binascii.a2b_base64(text, strict_mode=True)
    except ValueError as error:  # non-ASCII text; binascii.Error is a ValueError too
        if isinstance(error, binascii.Error):
            raise
        raise binascii.Error(f"base64 is ASCII: {error}") from None


def base64_size(text: str) -> int:
    """The number of bytes :func:`decode_base64` would give for ``text``, found without decoding it.

    The same rules, the same ``binascii.Error``: it checks the alphabet a slice at a time (about 0.4 ms per MB,
    against 2 ms per MB to decode) and never holds the decoded bytes: a 27 MB image string costs 0.5 MB, not 20.

    Example:
        >>> base64_size("aGk="), base64_size(""), base64_size("aGVsbG8=")
        (2, 0, 5)
        >>> base64_size("aG k=")
        Traceback (most recent call last):
        ...
        binascii.Error: Only base64 data is allowed
    """
    if not text.isascii():
        raise binascii.Error("base64 is ASCII: the text has other characters")
    if text.endswith("==="):  # not base64 a service would take; decode it for a2b_base64's own verdict
        return len(decode_base64(text))
    length = len(text)
    end = length - (2 if text.endswith("==") else 1 if text.endswith("=") else 0)
    for start in range(0, end, _BASE64_SLICE):
        if text[start : min(start + _BASE64_SLICE, end)].encode("ascii").translate(None, _BASE64_ALPHABET):
            raise binascii.Error("Only base64 data is allowed")
    # Only the alphabet before the "=": a2b_base64 on the last whole quantum and what follows it judges the padding
    # and the length exactly as on the whole text, since the quanta before it decode the same either way.
    tail = max(0, end // 4 - 1) * 4
    return tail // 4 * 3 + len(binascii.a2b_base64(text[tail:], strict_mode=True))


class Base64Reader(io.RawIOBase):
    """A seekable, read-only file over base64 text that decodes only the slices read, so that a reader of headers
    (Pillow's ``Image.open``, a format sniff) never holds the decoded file. ``text`` must be valid base64
    (:func:`base64_size` says so, and gives ``size``).

    Example:
        >>> import base64
        >>> reader = Base64Reader(base64.b64encode(b"0123456789").decode(), 10)
        >>> reader.seek(4), reader.read(3), reader.read(), reader.seek(-2, 2), reader.read()
        (4, b'456', b'789', 8, b'89')
    """

    def __init__(self, text: str, size: int) -> None:
        super().__init__()
        self._text = text
        self._size = size
        self._position = 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._position, io.SEEK_END: self._size}[whence]
        if base + offset < 0:
            raise ValueError(f"negative seek position {base + offset}")
        self._position = base + offset
        return self._position

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        start = self._position
        stop = min(self._size, start + len(view))
        if stop <= start:
            return 0
        first = start // 3  # whole quanta of 3 bytes (4 characters) that hold [start, stop)
        chunk = binascii.a2b_base64(self._text[first * 4 : -(-stop // 3) * 4])
        count = stop - start
        view[:count] = chunk[start - first * 3 : start - first * 3 + count]
        self._position = stop
        return count
