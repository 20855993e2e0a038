"""``azure-core`` glue: retries, the v1 ``api-version`` strip, client settings, and a tolerant SSE stream.

Why each piece exists:

- ``azure-core``'s ``RetryPolicy`` retries a POST only on 500/503/504 and never on a refused or reset
  connection, retries the first time without waiting, and sleeps as long as any ``Retry-After`` says.
  :class:`AzureRetryPolicy` retries every method on 408/429/500/502/503/504 and on connection and read errors,
  with jittered exponential backoff, and honours ``Retry-After``/``retry-after-ms`` up to
  :data:`MAX_RETRY_AFTER` seconds.
- The SDK always adds ``?api-version=``, which ``/openai/v1`` refuses: :class:`StripApiVersionPolicy`.
- The SDK's SSE parser raises on ``: keep-alive`` comments and ``event:`` lines, which proxies and some
  endpoints send: :class:`TolerantStreamingChatCompletions` parses the stream as the SSE spec says, and turns
  an ``{"error": ...}`` event, a malformed event or a connection lost mid-stream into :class:`StreamError`.

Example:
    >>> from azure.ai.inference import ChatCompletionsClient
    >>> from azure.core.credentials import AzureKeyCredential
    >>> from langchain_azure_multimodal.emulator import Emulator
    >>> from langchain_azure_multimodal.endpoints import resolve_endpoint
    >>> with Emulator(api_key="k") as emu:
    ...     settings = resolve_endpoint(emu.endpoint_for("openai-v1"))
    ...     kwargs = client_kwargs(settings, max_retries=2, timeout=10, is_async=False)
    ...     with ChatCompletionsClient(settings.endpoint, AzureKeyCredential("k"), **kwargs) as client:
    ...         body = {"model": emu.model, "messages": [{"role": "user", "content": "Hi"}]}
    ...         with stream_chat(client, body) as updates:
    ...             text = "".join(u.choices[0].delta.content or "" for u in updates if u.choices)
    ...     "api-version" in emu.requests[-1].query, text.startswith("[emulator:")
    (False, True)
"""

from __future__ import annotations

import inspect
import json
import os
import random
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import unquote, urlsplit, urlunsplit

from azure.ai.inference import ChatCompletionsClient

# Private, but it is the encoder complete() itself uses: it serialises the SDK's model objects (messages, tools)
# the same way, which json's default encoder cannot.
from azure.ai.inference._model_base import SdkJSONEncoder
from azure.ai.inference.aio import ChatCompletionsClient as AsyncChatCompletionsClient
from azure.ai.inference.models import (
    AsyncStreamingChatCompletions,
    StreamingChatCompletions,
    StreamingChatCompletionsUpdate,
)
from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceNotFoundError,
    ResourceNotModifiedError,
    map_error,
)
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import AsyncRetryPolicy, NetworkTraceLoggingPolicy, RetryPolicy, SansIOHTTPPolicy
from azure.core.rest import AsyncHttpResponse, HttpRequest, HttpResponse
from azure.core.utils import case_insensitive_dict

from .endpoints import EndpointSettings, environment_proxies

if TYPE_CHECKING:
    from azure.core.pipeline.policies._retry import RetryPolicyBase

    _RetryBase = RetryPolicyBase
else:
    _RetryBase = object

#: Request headers that carry a key or token; never written to logs.
SECRET_HEADERS = frozenset({"api-key", "authorization", "proxy-authorization", "ocp-apim-subscription-key"})
#: Statuses worth another try: timeout, throttling, and the transient server and gateway errors.
RETRY_STATUSES = frozenset({408, 429, 500, 502, 503, 504})
#: The longest wait a ``Retry-After`` gets, in seconds: a throttled deployment may ask for minutes, and a chat call
#: that silently waits that long looks hung. Past the cap the retry goes early and may be throttled again.
MAX_RETRY_AFTER = 60.0
# What the SDK's complete() maps; everything else becomes HttpResponseError.
_ERROR_MAP: dict[int, type[HttpResponseError]] = {
    401: ClientAuthenticationError,
    404: ResourceNotFoundError,
    409: ResourceExistsError,
    304: ResourceNotModifiedError,
}
_SHOWN_EVENT_CHARS = 200


class _RetryMixin(_RetryBase):
    """The decisions shared by the sync and async policies; ``azure-core`` keeps doing the loop and the sleeps."""

    def __init__(self, *, retry_after_max: float = MAX_RETRY_AFTER, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.retry_after_max = retry_after_max

    def is_retry(self, settings: dict[str, Any], response: PipelineResponse[Any, Any]) -> bool:
        # Only the listed statuses: azure-core would also retry any 4xx that carries Retry-After (a 400 stays a 400).
        return bool(settings["total"] > 0 and response.http_response.status_code in RETRY_STATUSES)

    def _is_method_retryable(self, settings: dict[str, Any], request: Any, response: Any = None) -> bool:
        # A chat completion creates nothing server-side, so repeating a POST is safe (azure-core assumes it is not).
        return True

    def get_backoff_time(self, settings: dict[str, Any]) -> float:
        """``backoff_factor * 2 ** (n - 1)`` for the n-th retry, capped at ``backoff_max``, with ±25 % jitter
        (clipped so it never exceeds ``backoff_max``). Unlike azure-core, the first retry waits too: an immediate
        retry after a 429 is throttled again."""
        attempts = max(1, len(settings["history"]))
        ceiling: float = settings["max_backoff"]
        delay = min(ceiling, settings["backoff"] * 2 ** (attempts - 1))
        return random.uniform(0.75 * delay, min(1.25 * delay, ceiling))

    def get_retry_after(self, response: PipelineResponse[Any, Any]) -> float | None:
        """``Retry-After`` (seconds or an HTTP date) or ``retry-after-ms``, capped at ``retry_after_max``."""
        try:
            value = super().get_retry_after(response)
        except ValueError:  # neither a number nor a date: fall back to the backoff
            return None
        return None if value is None else min(value, self.retry_after_max)


class AzureRetryPolicy(_RetryMixin, RetryPolicy[Any, Any]):
    """Retries chat calls on :data:`RETRY_STATUSES` and connection errors; build it with :func:`retry_policy`.

    Example:
        >>> policy = retry_policy(3, backoff_factor=1.0, backoff_max=8.0, is_async=False)
        >>> 3.0 <= policy.get_backoff_time({"history": [0, 0, 0], "backoff": 1.0, "max_backoff": 8.0}) <= 5.0
        True
    """

    def sleep(
        self, settings: dict[str, Any], transport: Any, response: PipelineResponse[Any, Any] | None = None
    ) -> None:
        if response is not None:
            response.http_response.close()  # a streamed error body is never read: free its connection
        super().sleep(settings, transport, response=response)


class AsyncAzureRetryPolicy(_RetryMixin, AsyncRetryPolicy[Any, Any]):
    """The async twin of :class:`AzureRetryPolicy`.

    Example:
        >>> isinstance(retry_policy(0, is_async=True), AsyncAzureRetryPolicy)
        True
    """

    async def sleep(
        self, settings: dict[str, Any], transport: Any, response: PipelineResponse[Any, Any] | None = None
    ) -> None:
        if response is not None:
            closed = response.http_response.close()  # async on azure.core.rest responses, sync on legacy ones
            if inspect.isawaitable(closed):
                await closed
        await super().sleep(settings, transport, response=response)


def retry_policy(
    max_retries: int,
    *,
    backoff_factor: float = 0.5,
    backoff_max: float = 30.0,
    retry_after_max: float = MAX_RETRY_AFTER,
    is_async: bool,
) -> AzureRetryPolicy | AsyncAzureRetryPolicy:
    """A retry policy allowing ``max_retries`` retries (0: none) of any kind: status, connection or read.

    Example:
        >>> policy = retry_policy(4, is_async=False)
        >>> policy.total_retries, policy.backoff_factor, policy.backoff_max, policy.retry_after_max
        (4, 0.5, 30.0, 60.0)
    """
    if max_retries < 0:
        raise ValueError(f"max_retries must be 0 or more, got {max_retries}")
    # azure-core stops at the smallest of these counters, so each gets the whole budget.
    counts = {name: max_retries for name in ("retry_total", "retry_connect", "retry_read", "retry_status")}
    cls = AsyncAzureRetryPolicy if is_async else AzureRetryPolicy
    return cls(
        retry_backoff_factor=backoff_factor, retry_backoff_max=backoff_max, retry_after_max=retry_after_max, **counts
    )


def _without_api_version(url: str) -> str:
    parts = urlsplit(url)
    # Filter the raw pairs rather than re-encode the query, so every other parameter stays byte for byte.
    kept = [pair for pair in parts.query.split("&") if pair and unquote(pair.split("=", 1)[0]).lower() != "api-version"]
    return urlunsplit(parts._replace(query="&".join(kept)))


class StripApiVersionPolicy(SansIOHTTPPolicy[Any, Any]):
    """Removes ``api-version`` from the query, for ``/openai/v1`` endpoints (which refuse it).

    Example:
        >>> from azure.core.pipeline import PipelineContext
        >>> request = PipelineRequest(HttpRequest("POST", "https://r/openai/v1/chat/completions?api-version=x&a=1"),
        ...                           PipelineContext(None))
        >>> StripApiVersionPolicy().on_request(request)
        >>> request.http_request.url
        'https://r/openai/v1/chat/completions?a=1'
    """

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.url = _without_api_version(request.http_request.url)


def client_kwargs(
    settings: EndpointSettings,
    *,
    max_retries: int,
    timeout: float | None,
    extra: Mapping[str, Any] | None = None,
    is_async: bool,
) -> dict[str, Any]:
    """Keyword arguments for ``ChatCompletionsClient(settings.endpoint, credential, **kwargs)`` (sync or aio).

    ``timeout`` becomes the transport's ``connection_timeout`` and ``read_timeout`` (both the requests and the
    aiohttp transport take them at construction): the longest wait to connect and between two reads, so a stalled
    stream times out too. It bounds each try, not the call: retries can add up to ``max_retries`` more. With your
    own ``transport`` in ``extra``, set its timeouts on it. The environment's proxy settings are read once, here
    (``use_env_settings=False`` plus ``proxies``; see :func:`~.endpoints.environment_proxies`). ``extra`` is applied
    last; its ``per_call_policies`` are added after the strip policy rather than replacing it.

    Example:
        >>> from langchain_azure_multimodal.endpoints import resolve_endpoint
        >>> kwargs = client_kwargs(resolve_endpoint("https://r.openai.azure.com/openai/v1"), max_retries=2,
        ...                        timeout=30, is_async=False)
        >>> kwargs["read_timeout"], kwargs["use_env_settings"], kwargs["credential_scopes"]
        (30, False, ['https://ai.azure.com/.default'])
    """
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds (or None), got {timeout}")
    kwargs: dict[str, Any] = {"retry_policy": retry_policy(max_retries, is_async=is_async)}
    policies: list[Any] = []
    if settings.api_version is None:
        policies.append(StripApiVersionPolicy())
    else:
        kwargs["api_version"] = settings.api_version
    if settings.credential_scopes:
        kwargs["credential_scopes"] = list(settings.credential_scopes)
    if timeout is not None:
        kwargs["connection_timeout"] = kwargs["read_timeout"] = timeout
    # The environment's proxy settings, read once here rather than on every request (see environment_proxies).
    kwargs["use_env_settings"] = False
    if proxies := environment_proxies(settings.endpoint):
        kwargs["proxies"] = proxies
    if not is_async and (bundle := os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")):
        kwargs["connection_verify"] = bundle  # what requests' trust_env would have used to verify TLS
    user = dict(extra or {})
    theirs = user.pop("per_call_policies", None)
    if theirs is not None:
        policies.extend(theirs if isinstance(theirs, Iterable) else [theirs])
    if policies:
        kwargs["per_call_policies"] = policies
    kwargs.update(user)
    if kwargs.get("logging_enable"):
        # azure-core's network trace logs request headers as they are, the key included.
        kwargs.setdefault("logging_policy", RedactingNetworkTraceLoggingPolicy(**kwargs))
    return kwargs


class RedactingNetworkTraceLoggingPolicy(NetworkTraceLoggingPolicy):
    """azure-core's network trace (``logging_enable=True``), with key and token headers logged as ``REDACTED``."""

    def on_request(self, request: PipelineRequest[Any]) -> None:
        http_request = request.http_request
        sent = http_request.headers
        http_request.headers = case_insensitive_dict(
            {name: "REDACTED" if name.lower() in SECRET_HEADERS else value for name, value in sent.items()}
        )
        try:
            super().on_request(request)
        finally:
            http_request.headers = sent


class MalformedResponseError(AzureError):
    """A 200 answer whose body is not a JSON object (``code`` ``"malformed_response"``); ``message`` shows its start.

    Broken JSON never gets here: azure-core's pipeline already raises ``DecodeError`` for it.

    Example:
        >>> MalformedResponseError("[1, 2]").code
        'malformed_response'
    """

    def __init__(self, shown: str) -> None:
        super().__init__(f"The service answered 200 with a body that is not a JSON object: {shown!r}")
        self.code = "malformed_response"
        self.message = shown


class StreamError(AzureError):
    """A stream that went wrong after its 200: an ``{"error": ...}`` event (``code`` and ``message`` are the
    service's), an event that is not JSON (``code`` ``"malformed_event"``) or a connection lost part-way
    (``"stream_interrupted"``).

    Example:
        >>> str(StreamError("server_error", "The model failed mid-stream."))
        'The service sent an error inside the stream: server_error: The model failed mid-stream.'
    """

    def __init__(self, code: str, message: str, *, text: str | None = None, error: BaseException | None = None):
        super().__init__(text or f"The service sent an error inside the stream: {code}: {message}", error=error)
        self.code = code
        self.message = message


class _SSEDecoder:
    """Bytes in, event data out, as https://html.spec.whatwg.org/multipage/server-sent-events.html says: lines end
    in CRLF, LF or CR; ``:`` starts a comment; ``data:`` (one optional space) lines accumulate until a blank line
    dispatches them; ``event``, ``id``, ``retry`` and unknown fields are ignored; an unfinished event at the end of
    the stream is dropped. Lines are only decoded once complete, so a UTF-8 character split across chunks is safe.
    """

    def __init__(self) -> None:
        self._pending = b""
        self._data: list[str] = []
        self._first = True

    def feed(self, chunk: bytes) -> list[str]:
        lines = (self._pending + chunk).splitlines(keepends=True)
        # An unterminated last line waits for more bytes; so does one ending in CR, whose LF may be in the next chunk.
        self._pending = lines.pop() if lines and not lines[-1].endswith(b"\n") else b""
        events = []
        for raw in lines:
            line = raw.rstrip(b"\r\n").decode("utf-8", errors="replace")
            if self._first:
                line, self._first = line.removeprefix("\ufeff"), False
            if not line:
                if self._data:
                    events.append("\n".join(self._data))
                    self._data = []
                continue
            field, _, value = line.partition(":")
            if field == "data":
                self._data.append(value.removeprefix(" "))
        return events


def _parse_event(data: str, *, raw: bool) -> StreamingChatCompletionsUpdate | dict[str, Any] | StreamError:
    try:
        event = json.loads(data)
    except ValueError:
        event = None
    if not isinstance(event, dict):
        shown = data[:_SHOWN_EVENT_CHARS]
        return StreamError(
            "malformed_event", shown, text=f"The stream carried an event that is not a JSON object: {shown!r}"
        )
    if "error" in event:
        error = event["error"] if isinstance(event["error"], dict) else {"message": str(event["error"])}
        return StreamError(str(error.get("code") or "error"), str(error.get("message") or error))
    return event if raw else StreamingChatCompletionsUpdate(event)


class _TolerantStream:
    """The parsing shared by the sync and async streams; it replaces the SDK's line parser."""

    _queue: Any
    _failure: StreamError | None

    def _start(self, raw: bool) -> None:
        # raw: queue the events' JSON as dicts; building an SDK update per event costs more than reading it.
        self._sse, self._events, self._failure, self._raw = _SSEDecoder(), 0, None, raw

    def _deserialize_and_add_to_queue(self, element: bytes) -> bool:
        for data in self._sse.feed(element):
            if data.strip() == "[DONE]":
                return True
            if not data.strip():  # an empty event is only a heartbeat
                continue
            self._events += 1
            parsed = _parse_event(data, raw=self._raw)
            if isinstance(parsed, StreamError):
                # Raised by the next read, so the updates before it in this block are delivered first.
                self._failure = parsed
                return False
            if parsed.get("choices") or parsed.get("usage"):  # as the SDK: skip events with neither
                self._queue.put(parsed)
        return False

    def _interrupted(self, error: AzureError) -> StreamError:
        text = f"The stream broke off after {self._events} events: {error}"
        return StreamError("stream_interrupted", str(error), text=text, error=error)


class TolerantStreamingChatCompletions(_TolerantStream, StreamingChatCompletions):
    """The SDK's stream, parsed per the SSE spec; closes the response when the stream ends or fails.

    Example:
        >>> class Response:
        ...     def iter_bytes(self): return iter([b": keep-alive\\n\\nevent: message\\ndata:", b"[DONE]\\n\\n"])
        ...     def close(self): pass
        >>> list(TolerantStreamingChatCompletions(Response()))
        []
    """

    def __init__(self, response: HttpResponse, *, raw: bool = False) -> None:
        super().__init__(response)
        self._start(raw)

    def _read_next_block(self) -> bool:
        try:
            if self._failure is not None:
                raise self._failure
            done = bool(super()._read_next_block())
        except StreamError:
            self.close()
            raise
        except AzureError as error:  # the transport's, e.g. a reset part-way through
            self.close()
            raise self._interrupted(error) from error
        if done:  # the SDK leaves the connection open after [DONE]
            self.close()
        return done


class AsyncTolerantStreamingChatCompletions(_TolerantStream, AsyncStreamingChatCompletions):
    """The async twin of :class:`TolerantStreamingChatCompletions`; :func:`astream_chat` makes one."""

    def __init__(self, response: AsyncHttpResponse, *, raw: bool = False) -> None:
        super().__init__(response)
        self._start(raw)

    async def _read_next_block_async(self) -> bool:
        try:
            if self._failure is not None:
                raise self._failure
            done = bool(await super()._read_next_block_async())
        except StreamError:
            await self.aclose()
            raise
        except AzureError as error:
            await self.aclose()
            raise self._interrupted(error) from error
        if done:
            await self.aclose()
        return done


def _chat_request(
    api_version: str, body: Mapping[str, Any], headers: Mapping[str, str] | None, *, stream: bool
) -> HttpRequest:
    content = json.dumps({**body, "stream": True} if stream else body, cls=SdkJSONEncoder, exclude_readonly=True)
    # The same Accept as the SDK's complete(stream=True): the service streams SSE whatever Accept says.
    sent = {"Content-Type": "application/json", "Accept": "application/json", **(headers or {})}
    # api-version always, as the SDK does; StripApiVersionPolicy removes it on /openai/v1.
    return HttpRequest("POST", "/chat/completions", params={"api-version": api_version}, headers=sent, content=content)


def _raise_for_status(response: HttpResponse | AsyncHttpResponse) -> None:
    map_error(status_code=response.status_code, response=response, error_map=_ERROR_MAP)
    raise HttpResponseError(response=response)


def complete_chat(
    client: ChatCompletionsClient, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """``POST /chat/completions`` through ``client``'s pipeline; the answer's JSON (``ChatCompletions``) as a dict.

    The same request and errors as the SDK's ``complete()``, without building SDK objects from the answer only to
    read them back.
    """
    response = client.send_request(_chat_request(client._config.api_version, body, headers, stream=False))
    if response.status_code != 200:
        _raise_for_status(response)
    return _completion_json(response.text())


async def acomplete_chat(
    aclient: AsyncChatCompletionsClient, body: Mapping[str, Any], headers: Mapping[str, str] | None = None
) -> dict[str, Any]:
    """The async :func:`complete_chat`."""
    response = await aclient.send_request(_chat_request(aclient._config.api_version, body, headers, stream=False))
    if response.status_code != 200:
        await response.read()
        _raise_for_status(response)
    return _completion_json(response.text())


def _completion_json(text: str) -> dict[str, Any]:
    try:
        answer = json.loads(text)
    except ValueError:
        answer = None
    if not isinstance(answer, dict):
        raise MalformedResponseError(text[:_SHOWN_EVENT_CHARS])
    return answer


def stream_chat(
    client: ChatCompletionsClient,
    body: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    *,
    raw: bool = False,
) -> TolerantStreamingChatCompletions:
    """``POST /chat/completions`` with ``"stream": true`` through ``client``'s pipeline (auth, retries, logging,
    the strip policy), raising as ``complete()`` does on an error status, with the service's message. The stream
    yields SDK ``StreamingChatCompletionsUpdate`` objects, or with ``raw=True`` each event's JSON as a dict.

    Example: see the module docstring.
    """
    request = _chat_request(client._config.api_version, body, headers, stream=True)
    response = client.send_request(request, stream=True)
    if response.status_code != 200:
        response.read()  # so the error carries the service's message, and the connection is freed
        _raise_for_status(response)
    return TolerantStreamingChatCompletions(response, raw=raw)


async def astream_chat(
    aclient: AsyncChatCompletionsClient,
    body: Mapping[str, Any],
    headers: Mapping[str, str] | None = None,
    *,
    raw: bool = False,
) -> AsyncTolerantStreamingChatCompletions:
    """The async :func:`stream_chat`.

    Example:
        >>> import asyncio
        >>> from azure.core.credentials import AzureKeyCredential
        >>> from langchain_azure_multimodal.emulator import Emulator
        >>> async def ask(endpoint: str) -> list:
        ...     async with AsyncChatCompletionsClient(endpoint, AzureKeyCredential("k")) as aclient:
        ...         body = {"messages": [{"role": "user", "content": "Hi"}]}
        ...         async with await astream_chat(aclient, body) as updates:
        ...             return [update async for update in updates]
        >>> with Emulator(api_key="k") as emu:
        ...     updates = asyncio.run(ask(emu.endpoint))
        >>> updates[-1].choices[0].finish_reason == "stop"
        True
    """
    request = _chat_request(aclient._config.api_version, body, headers, stream=True)
    response = await aclient.send_request(request, stream=True)
    if response.status_code != 200:
        await response.read()
        _raise_for_status(response)
    return AsyncTolerantStreamingChatCompletions(response, raw=raw)
