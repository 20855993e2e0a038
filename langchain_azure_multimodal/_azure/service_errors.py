"""The errors the seam adds to azure-core's: an answer that went wrong after its 200 (a body that is not a JSON object,
a stream that failed part-way), and a request that got no answer because of the network (:class:`EndpointNetworkError`
and its subclasses, which say which endpoint, what failed and what to do). All are azure-core ``AzureError``s, as the
SDK's own errors are, so ``except AzureError`` around a call catches them too. Import them from
:mod:`langchain_azure_multimodal.errors`, which loads this module on first use.

Example:
    >>> from azure.core.exceptions import AzureError
    >>> from langchain_azure_multimodal.errors import MalformedResponseError, StreamError
    >>> issubclass(MalformedResponseError, AzureError), issubclass(StreamError, AzureError)
    (True, True)
"""

from __future__ import annotations

import socket
import sys
from typing import Any, Literal
from urllib.parse import urlsplit

from azure.core.exceptions import (
    AzureError,
    DecodeError,
    ServiceRequestError,
    ServiceRequestTimeoutError,
    ServiceResponseError,
    ServiceResponseTimeoutError,
)

from ..errors import _Picklable

__all__ = [
    "AnswerLimitError",
    "EndpointConnectTimeoutError",
    "EndpointConnectionLostError",
    "EndpointNetworkError",
    "EndpointReadTimeoutError",
    "EndpointTimeoutError",
    "EndpointUnreachableError",
    "MalformedResponseError",
    "StreamError",
]


class MalformedResponseError(_Picklable, DecodeError):
    """A 200 answer whose body is not a JSON object: broken or cut-off JSON, JSON of another type, or a body that does
    not decompress (``code`` ``"malformed_response"``); ``message`` shows its start. A subclass of azure-core's
    ``DecodeError``, which its pipeline raised for broken JSON before the body was read here.

    Example:
        >>> MalformedResponseError("[1, 2]").code
        'malformed_response'
    """

    def __init__(self, shown: str) -> None:
        super().__init__(f"The service answered 200 with a body that is not a JSON object: {shown!r}")
        self.code = "malformed_response"
        self.message = shown


class StreamError(_Picklable, AzureError):
    """A stream that went wrong after its 200: an ``{"error": ...}`` event (``code`` and ``message`` are the
    service's), an event that is not JSON (``code`` ``"malformed_event"``), a connection lost part-way
    (``"stream_interrupted"``), a stream that ended with neither ``[DONE]`` nor a finish reason
    (``"stream_incomplete"``), one event over the size limit (``"event_too_large"``) or bytes that do not
    decompress as the stream's ``Content-Encoding`` says (``"undecodable_stream"``).

    Example:
        >>> str(StreamError("server_error", "The model failed mid-stream."))
        'The service sent an error inside the stream: server_error: The model failed mid-stream.'
    """

    def __init__(self, code: str, message: str, *, text: str | None = None, error: BaseException | None = None):
        super().__init__(text or f"The service sent an error inside the stream: {code}: {message}", error=error)
        self.code = code
        self.message = message


#: Which limit an answer went past, as :attr:`AnswerLimitError.limit` says.
Limit = Literal["max_answer_bytes", "deadline", "body_time", "stream_stall"]


class AnswerLimitError(_Picklable, AzureError):
    """An answer that went past a limit of :class:`AnswerLimits`. ``limit`` says which (``"max_answer_bytes"``,
    ``"deadline"``, ``"body_time"``: a body not complete within the read timeout, ``"stream_stall"``: a stream with
    no real event for the read timeout), ``code`` is ``"answer_too_large"`` or ``"answer_too_slow"``, ``received``
    the answer's bytes so far. An ``AzureError``, like the SDK's own.

    Example:
        >>> error = AnswerLimitError("deadline", "The call passed its deadline of 30 s (deadline=30)",
        ...                          "raise deadline=", received=12)
        >>> error.code, error.limit, str(error)
        ('answer_too_slow', 'deadline', 'The call passed its deadline of 30 s (deadline=30). Fix: raise deadline=.')
    """

    def __init__(self, limit: Limit, what: str, fix: str, *, received: int = 0, error: BaseException | None = None):
        super().__init__(f"{what}. Fix: {fix}.", error=error)
        self.limit, self.what, self.fix, self.received = limit, what, fix, received
        self.code = "answer_too_large" if limit == "max_answer_bytes" else "answer_too_slow"


# ---------------------------------------------------------------------------------------------- network failures

#: What went wrong, as :attr:`EndpointNetworkError.failure` says it.
NetworkFailure = Literal["refused", "dns", "connect", "connect_timeout", "read_timeout", "connection_lost"]
# Exceptions whose text is the operating system's reason and nothing else (a failed system call: Python's own
# OSErrors with an errno); the transports' own wrappers (urllib3, requests, aiohttp) put the URL, query string
# included, into theirs, so their text is never shown.
_OS_MODULES = frozenset({"builtins", "socket", "ssl"})


class EndpointNetworkError(_Picklable, AzureError):
    """Base of the errors of a request that got no answer because of the network: the endpoint could not be reached,
    did not answer in time, or the connection broke. Each subclasses the azure-core error it replaces
    (``ServiceRequestError``, ``ServiceResponseError`` or their ``...TimeoutError`` subclasses), so handlers written
    for those still catch it; that original is kept as ``__cause__`` (and ``inner_exception``).

    ``endpoint`` is the URL without its query string (which may carry a secret), ``failure`` one of
    :data:`NetworkFailure`, ``what`` and ``fix`` the two halves of the message.

    Example:
        >>> error = EndpointUnreachableError("http://127.0.0.1:9/chat/completions", "the connection was refused",
        ...                                  "start the service", failure="refused")
        >>> str(error)
        'POST http://127.0.0.1:9/chat/completions: the connection was refused. Fix: start the service.'
        >>> from azure.core.exceptions import ServiceRequestError
        >>> isinstance(error, ServiceRequestError), error.failure
        (True, 'refused')
    """

    def __init__(
        self,
        endpoint: str,
        what: str,
        fix: str,
        *,
        failure: NetworkFailure,
        method: str = "POST",
        error: BaseException | None = None,
    ) -> None:
        super().__init__(f"{method} {endpoint}: {what}. Fix: {fix}.", error=error)
        self.endpoint, self.what, self.fix, self.failure, self.method = endpoint, what, fix, failure, method


class EndpointUnreachableError(EndpointNetworkError, ServiceRequestError):
    """The request did not get through (replaces ``ServiceRequestError``): the connection was refused
    (``failure`` ``"refused"``), the host name did not resolve (``"dns"``), connecting failed otherwise (``"connect"``:
    no route, TLS) or timed out (:class:`EndpointConnectTimeoutError`). The aiohttp transport reports a connection
    reset before the answer this way too (``"connection_lost"``)."""


class EndpointTimeoutError(EndpointNetworkError):
    """Base of the two timeouts: :class:`EndpointConnectTimeoutError` and :class:`EndpointReadTimeoutError`."""


class EndpointConnectTimeoutError(EndpointTimeoutError, EndpointUnreachableError, ServiceRequestTimeoutError):
    """No connection within the connect timeout (replaces ``ServiceRequestTimeoutError``): nothing answered the
    connection attempt, as when a firewall drops it; ``failure`` ``"connect_timeout"``."""


class EndpointReadTimeoutError(EndpointTimeoutError, ServiceResponseTimeoutError):
    """Connected and sent, but nothing arrived for the read timeout (replaces ``ServiceResponseTimeoutError``):
    the answer, or the next part of a stream, took too long; ``failure`` ``"read_timeout"``."""


class EndpointConnectionLostError(EndpointNetworkError, ServiceResponseError):
    """The connection broke before the answer was complete (replaces ``ServiceResponseError``): a reset or a close
    from the service, a proxy or a load balancer; ``failure`` ``"connection_lost"``."""


class _ReadTimeoutAsRequestError(EndpointReadTimeoutError, ServiceRequestError):
    """A read timeout that azure-core raised as ``ServiceRequestError``: its requests transport (1.36 to 1.41) does so
    for a body that stalls after the headers of an answer not streamed, as requests reads that body inside the send.
    Still a read timeout, and still caught where the error it replaces was."""


class _ConnectTimeoutAsResponseError(EndpointConnectTimeoutError, ServiceResponseError):
    """A connect timeout raised as ``ServiceResponseError``, by the same rule (no azure-core release from 1.36 to 1.41
    raises one so)."""


def _causes(error: BaseException) -> list[BaseException]:
    """``error`` and every exception it wraps, breadth first: the chain, and what urllib3 and aiohttp keep aside."""
    found: list[BaseException] = []
    pending: list[Any] = [error]
    while pending and len(found) < 32:
        current = pending.pop(0)
        if not isinstance(current, BaseException) or any(current is seen for seen in found):
            continue
        found.append(current)
        pending.extend([getattr(current, "inner_exception", None), current.__cause__, current.__context__])
        pending.extend([getattr(current, "reason", None), getattr(current, "os_error", None), *current.args])
    return found


# The transports' exception modules are looked up in sys.modules, not imported: one that is not loaded raised nothing,
# and importing aiohttp only to look would cost a caller of the sync client a tenth of a second.
_REQUESTS, _URLLIB3, _AIOHTTP = "requests.exceptions", "urllib3.exceptions", "aiohttp.client_exceptions"


def _transport_timeout(error: BaseException) -> Literal["connect", "read"] | None:
    """Which timeout a transport's own exception says it was, if it says. azure-core's wrapper does not tell reliably:
    1.36 raises both as the plain request or response error, and 1.36 to 1.41 a body that stalls as a request error."""
    if (requests := sys.modules.get(_REQUESTS)) is not None:
        if isinstance(error, requests.ConnectTimeout):
            return "connect"
        if isinstance(error, requests.ReadTimeout):
            return "read"
    if (urllib3 := sys.modules.get(_URLLIB3)) is not None:
        # urllib3 2 makes NewConnectionError (a refused or failed connect) a ConnectTimeoutError, for compatibility.
        if isinstance(error, urllib3.ConnectTimeoutError) and not isinstance(error, urllib3.NewConnectionError):
            return "connect"
        if isinstance(error, urllib3.ReadTimeoutError):
            return "read"
    if (aiohttp := sys.modules.get(_AIOHTTP)) is not None:
        if isinstance(error, aiohttp.ConnectionTimeoutError):
            return "connect"
        if isinstance(error, aiohttp.SocketTimeoutError):
            return "read"
    return None


def _timed_out(
    error: ServiceRequestError | ServiceResponseError, causes: list[BaseException]
) -> Literal["connect", "read"] | None:
    """``"connect"`` or ``"read"`` if ``error`` is a timeout: by the transport's exception below it, else by
    azure-core's timeout subclass, else (a bare timeout: the OS's, asyncio's, aiohttp's total timeout) by whether
    azure-core saw it before or after the request was sent."""
    for cause in causes:
        if kind := _transport_timeout(cause):
            return kind
    if isinstance(error, ServiceRequestTimeoutError | ServiceResponseTimeoutError):
        return "connect" if isinstance(error, ServiceRequestTimeoutError) else "read"
    requests = sys.modules.get(_REQUESTS)
    bare = (TimeoutError, requests.Timeout) if requests is not None else (TimeoutError,)
    if any(isinstance(cause, bare) for cause in causes):
        return "read" if isinstance(error, ServiceResponseError) else "connect"
    return None


def is_transport_error(error: BaseException) -> bool:
    """Whether ``error`` is a transport's (the OS's, requests', urllib3's, aiohttp's, http.client's): what may come out
    of a response's ``iter_bytes()`` unwrapped, as azure-core 1.36 lets a requests read timeout part-way through."""
    kinds: list[type[BaseException]] = [OSError]  # socket, ssl, TimeoutError, and requests' RequestException
    for name, base in ((_URLLIB3, "HTTPError"), (_AIOHTTP, "ClientError"), ("http.client", "HTTPException")):
        if (module := sys.modules.get(name)) is not None:
            kinds.append(getattr(module, base))
    return isinstance(error, tuple(kinds))


def shown_endpoint(url: str) -> str:
    """``url`` as an error may show it: scheme, host, port and path; no user, password or query string.

    Example:
        >>> shown_endpoint("https://me:pw@r.openai.azure.com/openai/v1/chat/completions?sig=secret")
        'https://r.openai.azure.com/openai/v1/chat/completions'
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    host = f"[{host}]" if ":" in host else host
    try:
        port = f":{parts.port}" if parts.port is not None else ""
    except ValueError:
        port = ""
    return f"{parts.scheme}://{host}{port}{parts.path}"


def _seconds(timeout: float | None, kind: str) -> str:
    return f"the {timeout:g} s {kind} timeout" if timeout is not None else f"the {kind} timeout"


def explain_network_error(
    error: BaseException,
    method: str,
    url: str,
    *,
    connect_timeout: float | None = None,
    read_timeout: float | None = None,
) -> EndpointNetworkError | None:
    """The typed error for a transport's ``ServiceRequestError``/``ServiceResponseError`` (its ``__cause__`` set to
    ``error``), or ``None`` for any other error, one already typed, or one a policy raised itself (azure-core's
    refusal to send a bearer token over http carries no transport error and stays as it is). The timeouts, when
    known, are named in the message.

    Example:
        >>> from azure.core.exceptions import ServiceRequestError
        >>> refused = ServiceRequestError("...", error=ConnectionRefusedError(111, "Connection refused"))
        >>> typed = explain_network_error(refused, "POST", "http://127.0.0.1:9/chat/completions?api-version=1")
        >>> type(typed).__name__, typed.failure, typed.__cause__ is refused
        ('EndpointUnreachableError', 'refused', True)
        >>> print(typed)  # doctest: +NORMALIZE_WHITESPACE
        POST http://127.0.0.1:9/chat/completions: the connection was refused ([Errno 111] Connection refused).
        Fix: check the endpoint URL's host and port, and that the service (or proxy, or emulator) there is running.
    """
    if isinstance(error, EndpointNetworkError) or not isinstance(error, ServiceRequestError | ServiceResponseError):
        return None
    if not isinstance(error.inner_exception, BaseException):
        return None
    causes = _causes(error)
    reasons = [
        c for c in causes if isinstance(c, OSError) and type(c).__module__ in _OS_MODULES and c.errno is not None
    ]
    reason = f" ({reasons[0]})" if reasons else f" ({type(error.inner_exception).__name__})"
    endpoint, host = shown_endpoint(url), urlsplit(url).hostname or "the host"
    lost = ConnectionResetError | ConnectionAbortedError | BrokenPipeError
    timed_out = _timed_out(error, causes)
    cls: type[EndpointNetworkError]
    failure: NetworkFailure
    # The kind comes from the cause; the class also subclasses the azure-core error actually raised, so that handlers
    # for it still catch the typed one whichever azure-core release wrapped the timeout.
    if timed_out == "connect":
        cls = EndpointConnectTimeoutError if isinstance(error, ServiceRequestError) else _ConnectTimeoutAsResponseError
        failure = "connect_timeout"
        what = f"no connection within {_seconds(connect_timeout, 'connect')}"
        fix = (
            f"check the network path to {host} (firewall, VPN, private endpoint, and the proxy settings HTTPS_PROXY "
            "and NO_PROXY), or pass a longer timeout="
        )
    elif timed_out == "read":
        cls = EndpointReadTimeoutError if isinstance(error, ServiceResponseError) else _ReadTimeoutAsRequestError
        failure = "read_timeout"
        what = f"connected, but nothing arrived for {_seconds(read_timeout, 'read')}"
        fix = (
            "the model may need longer for this request: pass a longer timeout=, ask for fewer max_tokens, or stream "
            "the answer (a stream times out only when no part of it arrives for that long)"
        )
    elif isinstance(error, ServiceResponseError) or any(isinstance(c, lost) for c in causes):
        # aiohttp reports a reset before the answer as a request error, requests as a response error.
        cls = EndpointConnectionLostError if isinstance(error, ServiceResponseError) else EndpointUnreachableError
        failure = "connection_lost"
        what = f"the connection broke before the answer was complete{reason}"
        fix = (
            "this is usually transient (the service, a proxy or a load balancer dropped it): retry, or raise "
            "max_retries"
        )
    elif any(isinstance(c, socket.gaierror) for c in causes):
        cls, failure = EndpointUnreachableError, "dns"
        what = f"the host name {host!r} did not resolve (DNS: {reasons[0] if reasons else 'no address'})"
        fix = "check the host name in the endpoint URL (the resource name), and your DNS or private-endpoint setup"
    elif any(isinstance(c, ConnectionRefusedError) for c in causes):
        cls, failure = EndpointUnreachableError, "refused"
        what = f"the connection was refused{reason}"
        fix = "check the endpoint URL's host and port, and that the service (or proxy, or emulator) there is running"
    else:
        cls, failure = EndpointUnreachableError, "connect"
        what = f"could not connect{reason}"
        fix = "check the endpoint URL, the network and proxy settings, and that its TLS certificate is trusted"
    typed = cls(endpoint, what, fix, failure=failure, method=method, error=error)
    typed.__cause__ = error
    return typed
