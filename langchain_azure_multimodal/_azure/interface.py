"""The seam's interface: what the chat model needs from a wire, in plain JSON, with no ``azure.*`` import.

:class:`~.wire.ChatWire` is the implementation that goes through the SDK's pipeline to Azure;
:class:`langchain_azure_multimodal.testing.MockWire` is one that answers from a function, for tests (as httpx's
``MockTransport`` is for httpx). A chat model takes either through ``wire=``.

Example:
    >>> from langchain_azure_multimodal.testing import MockWire
    >>> isinstance(MockWire(lambda call: {}), Wire)
    True
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator, Mapping
from contextlib import AbstractAsyncContextManager, AbstractContextManager
from typing import Any, Protocol, runtime_checkable


@runtime_checkable
class Wire(Protocol):
    """Chat completions as wire JSON: the request body is a dict, the answer and each streamed event are dicts.

    ``stream``/``astream`` are context managers of the events (leaving them closes the response, read to the end or
    not). ``model_info`` is the endpoint's ``GET /info``. Errors are raised as the Azure SDK raises them
    (``HttpResponseError`` and its subclasses), so that code written against Azure handles them.
    """

    def complete(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]: ...

    def stream(
        self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> AbstractContextManager[Iterator[dict[str, Any]]]: ...

    def model_info(self) -> dict[str, Any]: ...

    def close(self) -> None: ...

    async def acomplete(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]: ...

    def astream(
        self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> AbstractAsyncContextManager[AsyncIterator[dict[str, Any]]]: ...

    async def amodel_info(self) -> dict[str, Any]: ...

    async def aclose(self) -> None: ...
