"""The client settings: the retry policy, the v1 ``api-version`` strip, key redaction in the network trace, the
timeouts, and the environment's proxies read once.

Example:
    >>> from langchain_azure_multimodal.endpoints import resolve_endpoint
    >>> kwargs = client_kwargs(resolve_endpoint("https://r.openai.azure.com/openai/v1"), max_retries=2,
    ...                        timeout=30, is_async=False)
    >>> kwargs["read_timeout"], kwargs["use_env_settings"], kwargs["credential_scopes"]
    (30, False, ['https://ai.azure.com/.default'])
    >>> [type(policy).__name__ for policy in kwargs["per_call_policies"]], kwargs["retry_policy"].max_retries
    (['StripApiVersionPolicy'], 2)
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import unquote, urlsplit, urlunsplit

from azure.core.pipeline import PipelineRequest
from azure.core.pipeline.policies import NetworkTraceLoggingPolicy, SansIOHTTPPolicy
from azure.core.utils import case_insensitive_dict

from ..endpoints import SECRET_HEADERS, EndpointSettings, environment_proxies
from .retry import retry_policy


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
    (``use_env_settings=False`` plus ``proxies``; see :func:`~..endpoints.environment_proxies`). ``extra`` is
    applied last; its ``per_call_policies`` are added after the strip policy rather than replacing it.
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
