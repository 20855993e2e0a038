"""URLs in content: http(s) URLs, sent as they are and never fetched, and ``data:`` URLs, one parser for both sides.

The rules, the client's and the emulator's alike:

* An http(s) URL is one whose scheme, in any case, is ``http`` or ``https`` followed by ``://``
  (:func:`is_http_url`). Nothing else is sent as a URL: the service fetches http(s) only.
* A data URL is ``data:<type>/<subtype>[;<parameter>...][;base64],<payload>`` (RFC 2397), scheme and parameters in
  any case, spaces around them ignored (:func:`parse_data_url`). The MIME type must be ``type/subtype``: RFC 2397's
  default (``text/plain``) is never media. The service decodes base64 data URLs only, so what is sent must carry
  ``;base64`` (``require_base64=True``); a data URL read locally may instead be percent-encoded, as RFC 2397 allows.
* Base64 on the wire is RFC 4648's standard alphabet with padding and no line breaks (:func:`decode_base64`).

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
import urllib.parse
from dataclasses import dataclass

__all__ = ["DataUrl", "DataUrlError", "decode_base64", "is_data_url", "is_http_url", "parse_data_url", "to_data_url"]

_HTTP_PREFIXES = ("http://", "https://")
_DATA_PREFIX = "data:"


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
    header, comma, payload = url[len(_DATA_PREFIX) :].partition(",")
    if not comma:
        raise DataUrlError("has no comma before its data")
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
