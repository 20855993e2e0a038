"""What Azure OpenAI adds to an answer beside the message: content-filter results and token log probabilities.

Content filtering (Azure OpenAI docs, "Content filtering", annotations): every answer carries
``prompt_filter_results`` (one entry per prompt, ``prompt_index`` 0 for chat) and each choice its
``content_filter_results``; the four harm categories give ``{"filtered": false, "severity": "safe"}`` and the prompt
shields ``{"filtered": false, "detected": false}``. A stream opens with a chunk that has ``choices: []``, an empty
``id``/``model``/``object``, ``created: 0`` and the prompt's results, and each content chunk carries the results of
its text. The emulator filters nothing: every result is "safe".

Log probabilities (OpenAI chat reference, ``logprobs``/``top_logprobs``): ``{"content": [{"token", "logprob",
"bytes", "top_logprobs": [...]}], "refusal": null}``, one entry per token. Here a token is one streamed piece and
its log probability is derived from a hash of the piece and its position, so the same request gets the same values.
"""

from __future__ import annotations

import hashlib
from typing import Any

_HARMS = ("hate", "self_harm", "sexual", "violence")
# Likely-looking runners-up for top_logprobs; never the token itself.
_ALTERNATIVES = ("the", " a", " and", ".", ",", " of", " to", " is", " in", " it", " that", " for", " on", " with",
                 " as", " was", " at", " by", " an", " be", " this")  # fmt: skip


def prompt_filter_results() -> list[dict[str, Any]]:
    """The ``prompt_filter_results`` of a chat request: its one prompt, found safe."""
    results: dict[str, Any] = {harm: {"filtered": False, "severity": "safe"} for harm in _HARMS}
    results["jailbreak"] = {"filtered": False, "detected": False}
    return [{"prompt_index": 0, "content_filter_results": results}]


def completion_filter_results() -> dict[str, Any]:
    """A choice's ``content_filter_results`` for text the emulator wrote, found safe."""
    results: dict[str, Any] = {harm: {"filtered": False, "severity": "safe"} for harm in _HARMS}
    results["protected_material_code"] = {"filtered": False, "detected": False}
    results["protected_material_text"] = {"filtered": False, "detected": False}
    return results


def filter_chunk() -> dict[str, Any]:
    """The chunk an Azure OpenAI stream opens with, before any choice."""
    return {
        "choices": [],
        "created": 0,
        "id": "",
        "model": "",
        "object": "",
        "prompt_filter_results": prompt_filter_results(),
    }


def token_logprobs(token: str, position: int, top: int) -> dict[str, Any]:
    """One token's entry of ``logprobs.content``, with ``top`` alternatives (the token first, as OpenAI lists them)."""
    digest = hashlib.sha256(f"{position}:{token}".encode()).digest()
    logprob = -round(int.from_bytes(digest[:2], "big") / 65535 * 1.5, 4)
    alternatives = [{"token": token, "logprob": logprob, "bytes": list(token.encode())}]
    runners_up = (a for a in _ALTERNATIVES if a != token)
    for rank, alternative in zip(range(1, top), runners_up, strict=False):
        alternatives.append(
            {
                "token": alternative,
                "logprob": round(logprob - 0.75 * rank - digest[2 + rank] / 255, 4),
                "bytes": list(alternative.encode()),
            }
        )
    return {**alternatives[0], "top_logprobs": alternatives[:top]}


def logprobs(pieces: list[str], top: int, start: int = 0) -> dict[str, Any]:
    """``logprobs`` of a choice whose content is ``pieces`` (numbered from ``start``)."""
    return {"content": [token_logprobs(p, start + i, top) for i, p in enumerate(pieces)], "refusal": None}
