"""Raw HTTP calls to the emulator, for tests of the wire protocol itself (no SDK in between)."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from langchain_azure_multimodal.emulator import Emulator

API_VERSION = "2024-05-01-preview"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    @property
    def json(self) -> Any:
        return json.loads(self.text)

    @property
    def error(self) -> dict[str, Any]:
        body = self.json
        assert set(body) == {"error"}, body
        return body["error"]

    def events(self) -> list[str]:
        """The ``data:`` payloads of an SSE body, in order."""
        return [line[len("data: ") :] for line in self.text.split("\n") if line.startswith("data: ")]


def call(
    emu: Emulator,
    path: str = "/chat/completions",
    body: Any = None,
    *,
    method: str | None = None,
    raw: bytes | None = None,
    key: str | None = "test-key-0123456789",
    headers: dict[str, str] | None = None,
    query: dict[str, str] | None = None,
) -> Reply:
    if query is None:
        query = {} if path.startswith("/openai/v1") else {"api-version": API_VERSION}
    target = path + ("?" + urlencode(query) if query else "")
    sent = {"Content-Type": "application/json", **(headers or {})}
    if key is not None:
        sent["api-key"] = key
    payload = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    assert emu.port is not None
    connection = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=10)
    try:
        connection.request(method or ("POST" if payload is not None else "GET"), target, body=payload, headers=sent)
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read().decode())
    finally:
        connection.close()


# Request bodies and their content items, as the wire has them (not LangChain's content blocks: see support.chat).


def user(text: str = "Hello") -> dict[str, Any]:
    """A request body of one user message with text only."""
    return {"messages": [{"role": "user", "content": text}]}


def with_items(*items: dict[str, Any], text: str = "Describe this.") -> dict[str, Any]:
    """A request body of one user message: ``text``, then the content ``items``."""
    return {"messages": [{"role": "user", "content": [{"type": "text", "text": text}, *items]}]}


def image_item(url: str, detail: str | None = None) -> dict[str, Any]:
    image: dict[str, Any] = {"url": url} if detail is None else {"url": url, "detail": detail}
    return {"type": "image_url", "image_url": image}


def audio_item(data_b64: str, fmt: str = "wav") -> dict[str, Any]:
    return {"type": "input_audio", "input_audio": {"data": data_b64, "format": fmt}}


def streamed_text(events: Iterable[dict[str, Any]]) -> str:
    """The text a stream's event dicts add up to."""
    return "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
