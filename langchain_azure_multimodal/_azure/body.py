"""The request body's bytes: ``json.dumps(body).encode()``, byte for byte, without its copies of large strings.

A 20 MB image goes out as a 27 MB base64 data URL. ``json.dumps`` would copy that string twice (its escaped form,
then the joined output), ``.encode()`` once more, and a ``str`` body is encoded again by requests (to measure it) and
by urllib3 (to send it). Here each string of at least :data:`LARGE` characters is left out of ``json.dumps`` and
written straight into the body's one buffer, a slice at a time: a slice that needs no JSON escaping (base64 never
does) is copied as it is, any other is escaped by ``json.dumps`` on its own, which gives the same text because JSON
escapes each character on its own. The body is ``bytes``: azure-core deep-copies each request, which costs nothing
for an immutable body.

Example:
    >>> body = {"messages": [{"role": "user", "content": "x" * 100_000 + '"'}], "model": "m"}
    >>> request_json(body) == json.dumps(body).encode()
    True
"""

from __future__ import annotations

import io
import json
import secrets
from collections.abc import Mapping
from typing import Any

__all__ = ["LARGE", "request_json"]

#: Strings of at least this many characters are written into the body without ``json.dumps``.
LARGE = 64 * 1024
#: Characters copied (or escaped) at a time: what the body costs on top of its own bytes.
_SLICE = 256 * 1024
#: The bytes JSON writes as they are (printable ASCII but the quote and the backslash); ``json.dumps`` escapes the rest.
_PLAIN = bytes(c for c in range(0x20, 0x7F) if c not in b'"\\')
#: What may hold a large string.
_CONTAINERS = (str, dict, list, tuple)


def request_json(body: Mapping[str, Any], *, large: int = LARGE) -> bytes:
    """``json.dumps(body).encode()``, holding each string of ``large`` characters or more once, in the result."""
    aside = _Aside(large)
    skeleton = aside.walk(body)
    if skeleton is None:
        return json.dumps(body).encode()
    strings, nonce = aside.strings, aside.nonce
    text = json.dumps(skeleton)
    pieces: list[bytes | str] = []
    rest = text
    for index, string in enumerate(strings):
        before, found, rest = rest.partition(json.dumps(_placeholder(nonce, index)))
        if not found:  # cannot happen: json.dumps writes the placeholders in the order they were set aside
            raise AssertionError("a set-aside string's placeholder is missing from the body")
        pieces += [before.encode(), string]
    pieces.append(rest.encode())
    escaped = {index: _escaped_slices(piece) for index, piece in enumerate(pieces) if isinstance(piece, str)}
    size = sum(len(piece) for piece in pieces) + 2 * len(strings)  # plain slices are a byte per character
    size += sum(len(json_) - min(_SLICE, len(pieces[i]) - start) for i, found in escaped.items()
                for start, json_ in found.items())  # fmt: skip
    out = io.BytesIO()
    out.seek(size - 1)
    out.write(b"\0")  # the buffer at its final size, so writing never reallocates it
    out.seek(0)
    for index, piece in enumerate(pieces):
        if isinstance(piece, bytes):
            out.write(piece)
            continue
        out.write(b'"')
        for start in range(0, len(piece), _SLICE):
            out.write(escaped[index].get(start) or piece[start : start + _SLICE].encode("ascii"))
        out.write(b'"')
    if out.tell() != size:
        raise AssertionError(f"the body is {out.tell()} bytes, not the {size} computed")
    return out.getvalue()  # the buffer itself, not a copy, since it is exactly full


def _placeholder(nonce: str, index: int) -> str:
    return f"\0{nonce}:{index}\0"


class _Aside:
    """The large strings of a body, each replaced by a placeholder that names its index."""

    def __init__(self, large: int) -> None:
        self.large = large
        self.strings: list[str] = []
        self.nonce = ""  # drawn with the first large string: placeholders no caller's text can spell

    def walk(self, value: object) -> Any:
        """``value`` with its large strings replaced, or ``None`` when it has none; the parts without one are the
        caller's own objects."""
        if isinstance(value, str):
            if len(value) < self.large:
                return None
            self.nonce = self.nonce or secrets.token_hex(8)
            self.strings.append(value)
            return _placeholder(self.nonce, len(self.strings) - 1)
        if isinstance(value, dict):  # what json.dumps takes as an object (not any Mapping)
            changed: dict[Any, Any] | None = None
            for key, item in value.items():
                if isinstance(item, _CONTAINERS) and (new := self.walk(item)) is not None:
                    changed = changed if changed is not None else dict(value)
                    changed[key] = new
            return changed
        if isinstance(value, list | tuple):
            listed: list[Any] | None = None
            for position, item in enumerate(value):
                if isinstance(item, _CONTAINERS) and (new := self.walk(item)) is not None:
                    listed = listed if listed is not None else list(value)
                    listed[position] = new
            return listed
        return None


def _escaped_slices(string: str) -> dict[int, bytes]:
    """The JSON text of each slice of ``string`` that needs escaping, by its start; base64 has none. The check holds
    one slice at a time."""
    found: dict[int, bytes] = {}
    for start in range(0, len(string), _SLICE):
        piece = string[start : start + _SLICE]
        if not piece.isascii() or piece.encode("ascii").translate(None, _PLAIN):
            found[start] = json.dumps(piece)[1:-1].encode()
    return found
