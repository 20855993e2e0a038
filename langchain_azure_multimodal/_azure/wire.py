"""``ChatWire``: what the chat model sends and receives, as wire JSON, through the SDK clients' pipelines.

The request is the JSON of the dict given (no SDK model objects; its bytes come from :func:`.body.request_json`),
posted to ``{endpoint}/chat/completions`` with the endpoint's ``api-version`` (none on ``/openai/v1``). The SDK's
``complete()`` is not used: it would build SDK objects from the answer only for them to be read back, and its stream
parser refuses ``: keep-alive`` comments and ``event:`` lines. The request, the error mapping and the pipeline (auth,
retries, logging, hooks) are the SDK's.

Timeouts: ``timeout=None`` means :data:`~.pipeline.DEFAULT_CONNECT_TIMEOUT` (10 s) to connect and
:data:`~.pipeline.DEFAULT_READ_TIMEOUT` (600 s) between two reads; a number sets both. A failed connection, a DNS
error or a timeout raises an :class:`~.service_errors.EndpointNetworkError` subclass, which subclasses the azure-core
error it replaces. An error status raises azure-core's ``HttpResponseError`` (or its mapped subclass) with
``status_code`` and the service's message, also when the body is empty (a gateway's 502).

Example:
    >>> from pydantic import SecretStr
    >>> from langchain_azure_multimodal.emulator import Emulator
    >>> from langchain_azure_multimodal.endpoints import resolve_endpoint
    >>> body = {"messages": [{"role": "user", "content": "Hi"}]}
    >>> with Emulator(api_key="k") as emu:
    ...     wire = ChatWire(resolve_endpoint(emu.endpoint_for("openai-v1")), SecretStr("k"))
    ...     answer = wire.complete({**body, "model": emu.model})
    ...     with wire.stream({**body, "model": emu.model}) as events:
    ...         text = "".join(e["choices"][0]["delta"].get("content") or "" for e in events if e["choices"])
    ...     wire.close()
    ...     query = dict(emu.requests[-1].query)
    >>> answer["choices"][0]["message"]["content"] == text, query
    (True, {})
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Iterator, Mapping
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.rest import AsyncHttpResponse, HttpRequest, HttpResponse

from ..endpoints import CHAT_COMPLETIONS_PATH, EndpointSettings
from .answers import ANSWER_BODY_OPTION, AnswerBody, as_azure_error, check_error_size, within
from .body import request_json
from .clients import Clients
from .credentials import Credential, explain_default_credential
from .limits import AnswerLimits, Budget
from .retry import AsyncAzureRetryPolicy, AzureRetryPolicy
from .service_errors import MalformedResponseError, explain_network_error
from .sse import aread_events, json_object, read_events

# What the SDK's complete() maps; everything else becomes HttpResponseError.
_ERROR_MAP: dict[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}
_SHOWN_CHARS = 200


class ChatWire:
    """Chat completions for one endpoint: ``complete`` and ``stream`` (and async twins) take the request body as a
    dict and give the answer, or each streamed event, as a dict.

    ``credential`` is a key (``SecretStr``), a sync or async Entra credential, or ``None`` for
    ``DefaultAzureCredential`` with the endpoint kind's scopes (a failed sign-in then says what was tried).
    ``client_kwargs`` go to the SDK clients (``transport``, ``logging_enable``, ``per_call_policies``,
    ``user_agent``, ...). ``timeout`` (seconds, each try) sets both the connect and the read timeout; ``None`` means
    10 s to connect and 600 s between reads (see :mod:`.pipeline`). ``limits`` bound each answer's size and each
    call's time (see :mod:`.limits`). Clients are made on first use: one sync, and one
    async per event loop (see :mod:`.clients`).
    """

    def __init__(
        self,
        settings: EndpointSettings,
        credential: Credential | None = None,
        *,
        max_retries: int = 2,
        timeout: float | None = None,
        client_kwargs: Mapping[str, Any] | None = None,
        limits: AnswerLimits | None = None,
    ) -> None:
        if max_retries < 0:
            raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
        if timeout is not None and not timeout > 0:
            raise ValueError(f"timeout must be a positive number of seconds (or None), got {timeout}")
        self.settings = settings
        self.limits = limits or AnswerLimits()
        # The body of an answer not streamed is read by this package's retry policy; another one (a caller's) would
        # hand the option on to the transport, which refuses what it does not know.
        theirs = (client_kwargs or {}).get("retry_policy")
        self._body_option = theirs is None or isinstance(theirs, AzureRetryPolicy | AsyncAzureRetryPolicy)
        self._clients = Clients(
            settings, credential, max_retries=max_retries, timeout=timeout, client_kwargs=client_kwargs
        )
        self._sign_in = explain_default_credential(credential is None, settings.credential_scopes)

    # ------------------------------------------------------------------------------------------ sync

    def complete(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """``POST /chat/completions``; the answer's JSON (``ChatCompletions``), raising as the SDK's ``complete()``
        does on an error status, with the service's message, and :class:`~.limits.AnswerLimitError` for an answer
        over the :class:`~.limits.AnswerLimits`."""
        budget = self._budget()
        answer = AnswerBody(budget)  # read by the retry policy, in each try (see .answers)
        try:
            with self._sign_in, budget.sending():
                request = self._request(body, headers, stream=False)
                response = self._clients.sync().send_request(request, stream=True, **self._options(answer))
            with contextlib.closing(response):
                if response.status_code != 200:
                    check_error_size(response, budget)
                    budget.answer_started(streaming=False)
                    with self._explaining(response, budget):
                        response.read()  # so the error carries the service's message
                    _raise_for_status(response)
                if answer.text is None:  # a caller's own retry policy: read here, without retries
                    with self._explaining(response, budget):
                        answer.read(response)
                return _completion_json(answer.text or "")
        finally:
            budget.close()

    @contextmanager
    def stream(
        self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> Iterator[Iterator[dict[str, Any]]]:
        """``POST /chat/completions`` with ``"stream": true``: a context manager of the events, each a dict
        (``StreamingChatCompletionsUpdate`` JSON). Leaving it closes the response, read to the end or not."""
        budget = self._budget()
        try:
            with self._sign_in:
                with budget.sending():  # only while sending: the caller may read the events in another context
                    request = self._request(body, headers, stream=True)
                    response = self._clients.sync().send_request(request, stream=True)
                budget.answer_started(streaming=True)
                if response.status_code != 200:
                    with self._explaining(response, budget), contextlib.closing(response):
                        check_error_size(response, budget)
                        response.read()  # so the error carries the service's message, and the connection is freed
                    _raise_for_status(response)
                events = read_events(response, explain=self._explainer(response), budget=budget)
                try:
                    yield events
                finally:
                    events.close()
                    response.close()  # also when the events were never iterated, so the generator never started
        finally:
            budget.close()

    def model_info(self) -> dict[str, Any]:
        """The endpoint's ``GET /info``: model name, type and provider."""
        with self._sign_in:
            return dict(self._clients.sync().get_model_info().as_dict())

    def close(self) -> None:
        """Close the sync client; the next call makes a new one."""
        self._clients.close()

    # ------------------------------------------------------------------------------------------ async

    async def acomplete(self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None) -> dict[str, Any]:
        """The async :meth:`complete`, on the running loop's client."""
        budget = self._budget()
        answer = AnswerBody(budget)
        with self._sign_in:
            client = self._clients.for_running_loop()
            request = self._request(body, headers, stream=False)
            async with within(budget):
                response = await client.send_request(request, stream=True, **self._options(answer))
        try:
            if response.status_code != 200:
                check_error_size(response, budget)
                budget.answer_started(streaming=False)
                with self._explaining(response, budget):
                    async with within(budget):
                        await response.read()
                _raise_for_status(response)
            if answer.text is None:
                with self._explaining(response, budget):
                    await answer.aread(response)
            return _completion_json(answer.text or "")
        finally:
            await response.close()

    @asynccontextmanager
    async def astream(
        self, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
    ) -> AsyncIterator[AsyncIterator[dict[str, Any]]]:
        """The async :meth:`stream`: ``async with wire.astream(body) as events: async for event in events: ...``."""
        budget = self._budget()
        with self._sign_in:
            client = self._clients.for_running_loop()
            async with within(budget):
                response = await client.send_request(self._request(body, headers, stream=True), stream=True)
            budget.answer_started(streaming=True)
            if response.status_code != 200:
                try:
                    check_error_size(response, budget)
                    with self._explaining(response, budget):
                        async with within(budget):
                            await response.read()
                finally:
                    await response.close()
                _raise_for_status(response)
            events = aread_events(response, explain=self._explainer(response), budget=budget)
            try:
                yield events
            finally:
                await events.aclose()
                await response.close()

    async def amodel_info(self) -> dict[str, Any]:
        """The async :meth:`model_info`."""
        with self._sign_in:
            info = await self._clients.for_running_loop().get_model_info()
        return dict(info.as_dict())

    async def aclose(self) -> None:
        """Close the running loop's async client now (and the sync client), rather than at the loop's shutdown."""
        await self._clients.aclose()

    # ------------------------------------------------------------------------------------------ network errors

    def _explainer(self, response: HttpResponse | AsyncHttpResponse) -> Callable[[AzureError], AzureError]:
        """For a failure after the pipeline returned (reading a stream): the typed error, else the error itself."""
        connect, read = self._clients.timeouts
        sent = response.request

        def explain(error: AzureError) -> AzureError:
            typed = explain_network_error(error, sent.method, sent.url, connect_timeout=connect, read_timeout=read)
            return error if typed is None else typed

        return explain

    @contextmanager
    def _explaining(self, response: HttpResponse | AsyncHttpResponse, budget: Budget) -> Iterator[None]:
        """A read that failed: the limit's error when the budget ran out (the watchdog cut the read), else the
        typed network error."""
        try:
            yield
        except Exception as error:
            if (passed := budget.explain(error)) is not error:
                raise passed from error
            azure = as_azure_error(error)  # azure-core 1.36 lets some transport errors out of iter_bytes() bare
            if azure is None:
                raise
            typed = self._explainer(response)(azure)
            if typed is error:
                raise
            if typed is azure:  # not a network error it can name: azure-core's own, for a bare transport error
                raise azure from error
            raise typed from azure  # the azure-core error it replaces (itself caused by a bare transport error)

    def _options(self, answer: AnswerBody) -> dict[str, Any]:
        return {ANSWER_BODY_OPTION: answer} if self._body_option else {}

    def _budget(self) -> Budget:
        return Budget(self.limits, self._clients.timeouts)

    # ------------------------------------------------------------------------------------------ the request

    def _request(self, body: Mapping[str, Any], headers: Mapping[str, str] | None, *, stream: bool) -> HttpRequest:
        # Bytes, built without json.dumps' copies of a large image's base64 (see .body).
        content = request_json({**body, "stream": True} if stream else body)
        # The same Accept as the SDK's complete(stream=True): the service streams SSE whatever Accept says.
        sent = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
        version = self.settings.api_version
        params = {"api-version": version} if version is not None else {}
        return HttpRequest("POST", CHAT_COMPLETIONS_PATH, params=params, headers=sent, content=content)


def _raise_for_status(response: HttpResponse | AsyncHttpResponse) -> None:
    map_error(status_code=response.status_code, response=response, error_map=_ERROR_MAP)
    raise HttpResponseError(response=response)


def _completion_json(text: str) -> dict[str, Any]:
    answer = json_object(text)
    if answer is None:
        raise MalformedResponseError(text[:_SHOWN_CHARS])
    return answer
