"""The client settings: the retry policy, the v1 ``api-version`` strip, key redaction in the network trace, typed
network errors, the timeouts, the User-Agent, and the environment's proxies read once.

Example:
    >>> from langchain_azure_multimodal.endpoints import resolve_endpoint
    >>> kwargs = client_kwargs(resolve_endpoint("https://r.openai.azure.com/openai/v1"), max_retries=2,
    ...                        timeout=30, is_async=False)
    >>> kwargs["read_timeout"], kwargs["use_env_settings"], kwargs["credential_scopes"]
    (30, False, ['https://ai.azure.com/.default'])
    >>> [type(policy).__name__ for policy in kwargs["per_call_policies"]], kwargs["retry_policy"].max_retries
    (['NetworkErrorPolicy', 'StripApiVersionPolicy'], 2)
    >>> defaults = client_kwargs(resolve_endpoint("https://r.openai.azure.com/openai/v1"), max_retries=2,
    ...                          timeout=None, is_async=False)
    >>> defaults["connection_timeout"], defaults["read_timeout"], defaults["user_agent"] == USER_AGENT
    (10.0, 600.0, True)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from azure.core.exceptions import ServiceRequestError, ServiceResponseError
from azure.core.pipeline import PipelineRequest, PipelineResponse
from azure.core.pipeline.policies import (
    AsyncHTTPPolicy,
    HTTPPolicy,
    NetworkTraceLoggingPolicy,
    SansIOHTTPPolicy,
    SensitiveHeaderCleanupPolicy,
)
from azure.core.utils import case_insensitive_dict

from .. import __version__
from ..endpoints import SECRET_HEADERS, EndpointSettings, environment_proxies
from .retry import retry_policy
from .service_errors import EndpointNetworkError, explain_network_error

#: The connect timeout (seconds) when ``timeout`` is not given. azure-core's own default is 300 s, so a firewall that
#: drops the connection attempt would hang each try for five minutes; a TCP and TLS handshake with Azure takes well
#: under a second, and 10 s still leaves room for a slow proxy or VPN.
DEFAULT_CONNECT_TIMEOUT = 10.0
#: The read timeout (seconds) when ``timeout`` is not given: the longest silence between two reads. A call that is not
#: streamed gets no byte until the whole answer is generated, which for a long answer or a reasoning model takes
#: minutes; 600 s is what the OpenAI SDKs allow by default, so a call that works there does not time out here.
DEFAULT_READ_TIMEOUT = 600.0
#: The part of the User-Agent header that names this package; the SDK's own part (azsdk-python-ai-inference/...)
#: follows it, and a caller's ``user_agent`` comes first.
USER_AGENT = f"langchain-azure-multimodal/{__version__}"


def _without_api_version(url: str) -> str:
    parts = urlsplit(url)
    # Filter the raw pairs rather than re-encode the query, so every other parameter stays byte for byte.
    kept = [pair for pair in parts.query.split("&") if pair and unquote(pair.split("=", 1)[0]).lower() != "api-version"]
    return urlunsplit(parts._replace(query="&".join(kept)))


class StripApiVersionPolicy(SansIOHTTPPolicy[Any, Any]):
    """Removes ``api-version`` from the query, for ``/openai/v1`` endpoints (which refuse it): the chat requests
    carry none, but the SDK adds its default to the requests it builds itself.

    Example:
        >>> from azure.core.pipeline import PipelineContext
        >>> from azure.core.rest import HttpRequest
        >>> request = PipelineRequest(HttpRequest("POST", "https://r/openai/v1/chat/completions?api-version=x&a=1"),
        ...                           PipelineContext(None))
        >>> StripApiVersionPolicy().on_request(request)
        >>> request.http_request.url
        'https://r/openai/v1/chat/completions?a=1'
    """

    def on_request(self, request: PipelineRequest[Any]) -> None:
        request.http_request.url = _without_api_version(request.http_request.url)


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


class _Explaining:
    """What the sync and async network-error policies share: the timeouts to name, and the translation."""

    def __init__(self, connect_timeout: float | None, read_timeout: float | None) -> None:
        super().__init__()  # the policy base, which sets up ``next``
        self.connect_timeout, self.read_timeout = connect_timeout, read_timeout

    def explain(self, error: BaseException, request: PipelineRequest[Any]) -> EndpointNetworkError | None:
        http_request = request.http_request
        return explain_network_error(
            error,
            http_request.method,
            http_request.url,
            connect_timeout=self.connect_timeout,
            read_timeout=self.read_timeout,
        )


class NetworkErrorPolicy(_Explaining, HTTPPolicy[Any, Any]):
    """Raises a transport's ``ServiceRequestError``/``ServiceResponseError`` as the typed
    :class:`~.service_errors.EndpointNetworkError` subclass that replaces it (endpoint, what failed, the fix).

    It is the first policy, so the retry policy inside it still sees (and retries) azure-core's own errors, and only
    the error of the last try is translated."""

    def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        try:
            return self.next.send(request)
        except (ServiceRequestError, ServiceResponseError) as error:
            typed = self.explain(error, request)
            if typed is None:
                raise
            raise typed from error


class AsyncNetworkErrorPolicy(_Explaining, AsyncHTTPPolicy[Any, Any]):
    """The async twin of :class:`NetworkErrorPolicy`."""

    async def send(self, request: PipelineRequest[Any]) -> PipelineResponse[Any, Any]:
        try:
            return await self.next.send(request)
        except (ServiceRequestError, ServiceResponseError) as error:
            typed = self.explain(error, request)
            if typed is None:
                raise
            raise typed from error


def transport_timeouts(
    timeout: float | None, extra: Mapping[str, Any] | None = None
) -> tuple[float | None, float | None]:
    """The connect and read timeouts the transport gets: ``timeout`` for both, else :data:`DEFAULT_CONNECT_TIMEOUT` and
    :data:`DEFAULT_READ_TIMEOUT`; ``connection_timeout``/``read_timeout`` in ``extra`` win; ``(None, None)`` (not
    known here) with the caller's own ``transport``, whose settings apply.

    Example:
        >>> transport_timeouts(None), transport_timeouts(30), transport_timeouts(None, {"read_timeout": 5})
        ((10.0, 600.0), (30, 30), (10.0, 5))
    """
    given = dict(extra or {})
    if given.get("transport") is not None:
        return None, None
    connect = DEFAULT_CONNECT_TIMEOUT if timeout is None else timeout
    read = DEFAULT_READ_TIMEOUT if timeout is None else timeout
    return given.get("connection_timeout", connect), given.get("read_timeout", read)


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
    stream times out too. ``None`` means the defaults, :data:`DEFAULT_CONNECT_TIMEOUT` (10 s) to connect and
    :data:`DEFAULT_READ_TIMEOUT` (600 s) between reads. It bounds each try, not the call: retries can add up to
    ``max_retries`` more. With your own ``transport`` in ``extra``, set its timeouts on it.

    The first policy raises network failures as :class:`~.service_errors.EndpointNetworkError` subclasses. Every
    request's User-Agent starts with :data:`USER_AGENT` (after a ``user_agent`` in ``extra``, which is kept). The
    environment's proxy settings are read once, here (``use_env_settings=False`` plus ``proxies``; see
    :func:`~..endpoints.environment_proxies`). ``extra`` is applied last; its ``per_call_policies`` are added after
    this module's policies rather than replacing them.
    """
    if timeout is not None and timeout <= 0:
        raise ValueError(f"timeout must be a positive number of seconds (or None), got {timeout}")
    kwargs: dict[str, Any] = {"retry_policy": retry_policy(max_retries, is_async=is_async)}
    connect, read = transport_timeouts(timeout, extra)
    policies: list[Any] = [(AsyncNetworkErrorPolicy if is_async else NetworkErrorPolicy)(connect, read)]
    if settings.api_version is None:
        policies.append(StripApiVersionPolicy())
    else:
        kwargs["api_version"] = settings.api_version
    if settings.credential_scopes:
        kwargs["credential_scopes"] = list(settings.credential_scopes)
    kwargs["connection_timeout"], kwargs["read_timeout"] = transport_timeouts(timeout)  # extra's win below
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
    kwargs["per_call_policies"] = policies
    # azure-core drops only Authorization on a redirect to another host; the key (api-key) and every other secret
    # header must not follow it either. Its SensitiveHeaderCleanupPolicy takes the list (blocked_redirect_headers).
    kwargs["blocked_redirect_headers"] = sorted(SensitiveHeaderCleanupPolicy.DEFAULT_SENSITIVE_HEADERS | SECRET_HEADERS)
    theirs_agent = user.pop("user_agent", None)
    kwargs["user_agent"] = f"{theirs_agent} {USER_AGENT}" if theirs_agent else USER_AGENT
    kwargs.update(user)
    if kwargs.get("logging_enable"):
        # azure-core's network trace logs request headers as they are, the key included.
        kwargs.setdefault("logging_policy", RedactingNetworkTraceLoggingPolicy(**kwargs))
    return kwargs
