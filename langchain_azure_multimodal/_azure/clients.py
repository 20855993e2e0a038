"""The SDK clients behind one :class:`~.wire.ChatWire`: a sync client, and one async client per event loop.

An aiohttp session belongs to the loop that made it, and LangChain may be called from many loops, so there is one
async client per loop. Its connections are reused by every call on that loop (a client per call costs a new
session, pipeline and connection each time), and a task parked on the loop closes it when ``asyncio.run`` or the
test runner cancels the loop's remaining tasks at shutdown; :meth:`Clients.aclose` closes it sooner.

Example:
    >>> import asyncio
    >>> from pydantic import SecretStr
    >>> from langchain_azure_multimodal.endpoints import resolve_endpoint
    >>> clients = Clients(resolve_endpoint("http://localhost:8000"), SecretStr("k"), max_retries=0, timeout=None)
    >>> clients.sync() is clients.sync()  # made on first use, then kept
    True
    >>> async def twice() -> bool:
    ...     return clients.for_running_loop() is clients.for_running_loop()
    >>> asyncio.run(twice())  # closed when that loop shut down
    True
    >>> clients.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from azure.ai.inference import ChatCompletionsClient

from ..endpoints import EndpointSettings
from .credentials import Credential, sdk_credential
from .limits import watched_transport
from .pipeline import client_kwargs, transport_timeouts

if TYPE_CHECKING:  # imported with the first async call: sync-only use never loads the aio client
    from azure.ai.inference.aio import ChatCompletionsClient as AsyncChatCompletionsClient


@dataclass
class _LoopClient:
    """An event loop's async client, the DefaultAzureCredential it owns (if any), and the task that closes both."""

    client: AsyncChatCompletionsClient
    credential: Any
    closer: asyncio.Task[None]


async def _close_at_shutdown(
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


class Clients:
    """The clients for one endpoint and credential, each made on first use."""

    def __init__(
        self,
        settings: EndpointSettings,
        credential: Credential | None,
        *,
        max_retries: int,
        timeout: float | None,
        client_kwargs: Mapping[str, Any] | None = None,
    ) -> None:
        self._settings, self._credential = settings, credential
        self._max_retries, self._timeout, self._extra = max_retries, timeout, dict(client_kwargs or {})
        self._sync: ChatCompletionsClient | None = None
        self._default_credential: Any = None  # the sync DefaultAzureCredential, kept across clients
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _LoopClient] = weakref.WeakKeyDictionary()

    @property
    def timeouts(self) -> tuple[float | None, float | None]:
        """The transport's connect and read timeouts, as :func:`~.pipeline.transport_timeouts` says."""
        return transport_timeouts(self._timeout, self._extra)

    def _kwargs(self, *, is_async: bool) -> dict[str, Any]:
        return client_kwargs(
            self._settings, max_retries=self._max_retries, timeout=self._timeout, extra=self._extra, is_async=is_async
        )

    def sync(self) -> ChatCompletionsClient:
        """The sync client."""
        if self._sync is None:
            credential = self._credential
            if credential is None:
                if self._default_credential is None:
                    self._default_credential = sdk_credential(None, self._settings, is_async=False)
                sent = self._default_credential
            else:
                sent = sdk_credential(credential, self._settings, is_async=False)
            kwargs = self._kwargs(is_async=False)
            if "transport" not in kwargs:  # a caller's own transport is theirs: its reads are checked between chunks
                kwargs["transport"] = watched_transport(kwargs)
            self._sync = ChatCompletionsClient(self._settings.endpoint, sent, **kwargs)
        return self._sync

    def for_running_loop(self) -> AsyncChatCompletionsClient:
        """The async client of the running event loop, made on first use and closed when that loop shuts down."""
        loop = asyncio.get_running_loop()
        entry = self._loops.get(loop)
        if entry is None:
            from azure.ai.inference.aio import ChatCompletionsClient as AsyncChatCompletionsClient

            credential = sdk_credential(self._credential, self._settings, is_async=True)
            owned = credential if self._credential is None else None  # the caller's own credential stays open
            client = AsyncChatCompletionsClient(self._settings.endpoint, credential, **self._kwargs(is_async=True))
            closer = loop.create_task(_close_at_shutdown(client, owned, forget=lambda: self._loops.pop(loop, None)))
            entry = _LoopClient(client, owned, closer)
            self._loops[loop] = entry
        return entry.client

    def close(self) -> None:
        """Close the sync client, if it was made; the next call makes a new one."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None

    async def aclose(self) -> None:
        """Close the running loop's async client (and the sync client), if they were made."""
        entry = self._loops.pop(asyncio.get_running_loop(), None)
        if entry is not None:
            entry.closer.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await entry.closer
        self.close()
