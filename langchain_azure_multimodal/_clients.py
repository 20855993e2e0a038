"""How ``ChatAzureMultimodal`` holds its async clients, and explains a failed Entra sign-in."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from azure.ai.inference.aio import ChatCompletionsClient as AsyncChatCompletionsClient
from azure.core.exceptions import ClientAuthenticationError


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
