"""How ``ChatAzureMultimodal`` holds its async clients, explains a failed Entra sign-in, and what the responses
say about the endpoint (statuses counted per attempt; errors that no other request could avoid)."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from azure.ai.inference.aio import ChatCompletionsClient as AsyncChatCompletionsClient
from azure.core.exceptions import ClientAuthenticationError, HttpResponseError


@dataclass
class LoopClient:
    """An event loop's async client, the DefaultAzureCredential it owns (if any), and the task that closes both."""

    client: AsyncChatCompletionsClient
    credential: Any
    closer: asyncio.Task[None]


async def close_at_shutdown(
    client: AsyncChatCompletionsClient, credential: Any, *, forget: Callable[[], object]
) -> None:
    """Park until the loop's shutdown (or ``aclose``) cancels this task, then close the client and credential."""
    try:
        await asyncio.Event().wait()
    finally:
        forget()  # the entry holds this task, which holds the loop: drop it so the loop can be collected
        await client.close()
        if credential is not None:
            await credential.close()


class explain_default_credential:  # noqa: N801 - used as a context manager
    """Re-raise a failed ``DefaultAzureCredential`` sign-in with what was tried and how to fix it.

    ``uses_default`` says whether no credential was given (so DefaultAzureCredential was used).
    """

    def __init__(self, uses_default: bool, scopes: Sequence[str]) -> None:
        self._uses_default, self._scopes = uses_default, list(scopes)

    def __enter__(self) -> None:
        return None

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: Any) -> None:
        if exc is None or not self._uses_default or not isinstance(exc, ClientAuthenticationError):
            return
        if exc.response is not None:  # the service refused the token: not a sign-in failure
            return
        raise ClientAuthenticationError(
            message=(
                "No key was given (credential=, api_key= or AZURE_INFERENCE_CREDENTIAL), so Microsoft Entra ID was "
                f"tried with DefaultAzureCredential for scopes {self._scopes}, and it failed: {exc.message}. "
                "Pass a key, or sign in (az login, managed identity, ...)."
            )
        ) from exc


class ResponseStatuses:
    """Counts the HTTP status of every attempt, retries included: pass it as ``client_kwargs={"raw_response_hook":
    statuses}``. azure-core calls the hook after its retry policy, so each try of a request is seen once.

    Example:
        >>> from langchain_azure_multimodal import ChatAzureMultimodal
        >>> from langchain_azure_multimodal.emulator import Emulator, Fault
        >>> statuses = ResponseStatuses()
        >>> with Emulator(api_key="k") as emu:
        ...     emu.inject(Fault.throttle(retry_after=0.01), times=1)
        ...     llm = ChatAzureMultimodal(endpoint=emu.endpoint, api_key="k", model=emu.model,
        ...                               client_kwargs={"raw_response_hook": statuses})
        ...     _ = llm.invoke("Hi")
        >>> statuses.counts
        Counter({429: 1, 200: 1})
    """

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()

    def __call__(self, response: Any) -> None:
        self.counts[response.http_response.status_code] += 1


@dataclass(frozen=True)
class Refusal:
    """Why no request to this endpoint can succeed, and how to fix it: what :func:`refusal_of` finds."""

    what: str
    fix: str


_KEY_FIX = (
    "set AZURE_INFERENCE_CREDENTIAL to this endpoint's key, or sign in with Microsoft Entra ID (az login, a managed "
    "identity) where the endpoint takes tokens"
)


def refusal_of(error: BaseException) -> Refusal | None:
    """A :class:`Refusal` when ``error`` says the endpoint, the key or the deployment is wrong (a failed sign-in,
    401, 403, 404), which no other input can fix; ``None`` for errors that belong to one request."""
    if isinstance(error, ClientAuthenticationError) and error.response is None:
        first = str(error.message or error).strip().splitlines()[0][:300]
        return Refusal(f"signing in failed ({first})", _KEY_FIX)
    status = getattr(error, "status_code", None) if isinstance(error, HttpResponseError) else None
    if status == 401:
        return Refusal("the endpoint refused the credential (401 Unauthorized)", _KEY_FIX)
    if status == 403:
        return Refusal(
            "the endpoint refused access (403 Forbidden)",
            "use a key of this resource, or give the signed-in identity a role on it (Cognitive Services User)",
        )
    if status == 404:
        return Refusal(
            "the endpoint has no such route or deployment (404 Not Found)",
            "check the endpoint URL and the deployment name (--endpoint .../openai/deployments/<name>, or --model)",
        )
    return None
