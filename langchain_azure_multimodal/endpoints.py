"""Which kind of endpoint a URL is, and what that means for the client: URL, ``api-version``, Entra scopes.

The ``azure-ai-inference`` SDK posts to ``{endpoint}/chat/completions`` and always adds ``?api-version=``. The
endpoints that speak this protocol differ in what they want, so :func:`resolve_endpoint` turns the URL a user
pasted into :class:`EndpointSettings` that say exactly what to send.

| kind | URL shape | Entra scope | api-version | notes |
|---|---|---|---|---|
| Foundry models | `*.services.ai.azure.com/models` (also `/api/models`) | `https://cognitiveservices.azure.com/.default` | `2024-05-01-preview` | has `/info` |
| Azure OpenAI deployment | `*.openai.azure.com/openai/deployments/<dep>` (also `*.cognitiveservices.azure.com/…`) | `https://cognitiveservices.azure.com/.default` | `2025-01-01-preview` or later | audio input needs `2025-01-01-preview` |
| Azure OpenAI / Foundry v1 | `…/openai/v1` | `https://ai.azure.com/.default` | none: the query parameter is stripped | `model` required |
| serverless / managed compute | `*.inference.ai.azure.com`, `*.inference.ml.azure.com`, `*.models.ai.azure.com` | `https://ml.azure.com/.default` | SDK default | has `/info` |
| GitHub Models | `models.github.ai/inference` (also `models.inference.ai.azure.com`) | none (a GitHub token is the key) | SDK default | |
| OpenAI-compatible / local | `http://localhost`, `127.0.0.1`, any other host | none (key only) | SDK default | a local root has `/info` |

Details:

- Detection looks at the path first, then the host, so a local URL (the emulator) or a proxy whose path is
  ``/models``, ``/openai/deployments/<d>`` or ``/openai/v1`` gets that kind's ``api-version`` handling.
  Loopback URLs never get Entra scopes: ``azure-core`` refuses bearer tokens over plain http anyway.
- "SDK default" is written out as ``2024-05-01-preview`` (the value the SDK sends) so settings show it.
- Sovereign Azure OpenAI hosts (``*.openai.azure.us``, ``*.openai.azure.cn`` and their ``cognitiveservices``
  twins) are recognised and get their cloud's ``cognitiveservices`` scope.
- A bare Foundry resource URL gets ``/models`` appended and a bare ``models.github.ai`` gets ``/inference``:
  those roots serve no chat route. A URL pasted with ``/chat/completions?api-version=X`` is cut back to the
  endpoint, and ``X`` is used unless ``api_version`` is passed.
- A local root (the emulator's serverless-style root) lists ``stream_options`` as *not* native: Azure AI routes
  take it only as an extra parameter, and the ``extra-parameters`` header that allows it is harmless to servers
  that speak OpenAI's protocol natively.

Example:
    >>> s = resolve_endpoint("https://my-res.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21")
    >>> s.kind.value, s.endpoint, s.api_version, s.supports_audio_input()
    ('azure-openai', 'https://my-res.openai.azure.com/openai/deployments/gpt-4o', '2024-10-21', False)
    >>> v1 = resolve_endpoint("https://my-res.openai.azure.com/openai/v1/")
    >>> v1.kind.value, v1.api_version, v1.credential_scopes, v1.model_required
    ('openai-v1', None, ('https://ai.azure.com/.default',), True)
"""  # noqa: E501 - the table is wider than the code

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import parse_qsl, quote, urlsplit

from .errors import EndpointError
from .protocols import Protocol

__all__ = [
    "AOAI_DEFAULT_API_VERSION",
    "AOAI_MIN_AUDIO_API_VERSION",
    "AZURE_AI_SCOPE",
    "AZURE_ML_SCOPE",
    "CHAT_COMPLETIONS_PATH",
    "COGNITIVE_SERVICES_SCOPE",
    "MODEL_INFO_PATH",
    "ROUTES",
    "SDK_DEFAULT_API_VERSION",
    "SECRET_HEADERS",
    "EndpointKind",
    "EndpointSettings",
    "KindRoute",
    "api_version_takes_audio",
    "detect_endpoint_kind",
    "environment_proxies",
    "resolve_endpoint",
]

COGNITIVE_SERVICES_SCOPE = "https://cognitiveservices.azure.com/.default"
AZURE_AI_SCOPE = "https://ai.azure.com/.default"
AZURE_ML_SCOPE = "https://ml.azure.com/.default"
#: What ``azure-ai-inference`` 1.0.0b9 sends when no ``api_version`` is given.
SDK_DEFAULT_API_VERSION = "2024-05-01-preview"
#: Azure OpenAI deployments take ``input_audio`` from this version on.
AOAI_MIN_AUDIO_API_VERSION = "2025-01-01-preview"
#: The documented minimum for audio input, so audio works out of the box.
AOAI_DEFAULT_API_VERSION = AOAI_MIN_AUDIO_API_VERSION
#: The chat route, below an endpoint (``{endpoint}/chat/completions``).
CHAT_COMPLETIONS_PATH = "/chat/completions"
#: The model-info route, below the endpoints whose kind has one (:attr:`KindRoute.model_info`).
MODEL_INFO_PATH = "/info"
#: Request headers whose values are secrets (keys and tokens): masked wherever requests are logged or shown, by the
#: client's network trace and the emulator's recorded requests alike. Lower case: compare ``name.lower()``.
SECRET_HEADERS: frozenset[str] = frozenset(
    {"api-key", "authorization", "proxy-authorization", "ocp-apim-subscription-key"}
)
_EXAMPLE_URL = "https://<resource>.services.ai.azure.com/models"
_AOAI_VERSION = re.compile(r"\d{4}-\d{2}-\d{2}(-preview)?\Z")
_CHAT_SUFFIX = re.compile(rf"({re.escape(CHAT_COMPLETIONS_PATH)}/*)+\Z", re.IGNORECASE)
_HOST_NAME = re.compile(r"[a-z0-9._~-]+\Z")
_GITHUB_HOSTS = ("models.github.ai", "models.inference.ai.azure.com")
_SERVERLESS_SUFFIXES = (".inference.ai.azure.com", ".inference.ml.azure.com", ".models.ai.azure.com")
_FOUNDRY_SUFFIX = ".services.ai.azure.com"
# Azure OpenAI host suffix -> the scope of that cloud's Cognitive Services.
_AOAI_HOSTS = {
    ".openai.azure.com": COGNITIVE_SERVICES_SCOPE,
    ".cognitiveservices.azure.com": COGNITIVE_SERVICES_SCOPE,
    ".openai.azure.us": "https://cognitiveservices.azure.us/.default",
    ".cognitiveservices.azure.us": "https://cognitiveservices.azure.us/.default",
    ".openai.azure.cn": "https://cognitiveservices.azure.cn/.default",
    ".cognitiveservices.azure.cn": "https://cognitiveservices.azure.cn/.default",
}


class EndpointKind(StrEnum):
    """The kinds of endpoint that speak the chat-completions protocol of ``azure-ai-inference``.

    Example:
        >>> EndpointKind("openai-v1") is EndpointKind.OPENAI_V1
        True
    """

    FOUNDRY = "foundry"
    AZURE_OPENAI = "azure-openai"
    OPENAI_V1 = "openai-v1"
    SERVERLESS = "serverless"
    GITHUB_MODELS = "github-models"
    OPENAI_COMPATIBLE = "openai-compatible"


@dataclass(frozen=True)
class KindRoute:
    """The Azure routes of one endpoint kind and what they take: the client resolves URLs by it, the emulator serves it.

    Example:
        >>> route = ROUTES[EndpointKind.AZURE_OPENAI]
        >>> route.paths[0].format(deployment="gpt-4o") + CHAT_COMPLETIONS_PATH
        '/openai/deployments/gpt-4o/chat/completions'
        >>> [kind.value for kind, route in ROUTES.items() if not route.api_version]
        ['openai-v1']
    """

    #: The endpoint's path on its host (the chat route is ``{path}/chat/completions``); ``{deployment}`` stands for a
    #: deployment's name. The first is the one a bare resource URL gets and the emulator's ``endpoint_for`` gives.
    paths: tuple[str, ...]
    #: Requests carry ``?api-version=`` (the service refuses a request without one); ``False``: it is refused.
    api_version: bool
    #: ``GET {path}/info`` describes the model.
    model_info: bool
    #: The body must name the model (the deployment, on ``/openai/v1``).
    model_required: bool
    #: How the route reads a request body (:data:`~.protocols.RULES` says what each protocol takes).
    protocol: Protocol


#: The kinds with Azure routes (GitHub Models and OpenAI-compatible servers have their own). A serverless endpoint
#: is a host's root; a local root (the emulator's) follows the serverless route's facts.
ROUTES: Mapping[EndpointKind, KindRoute] = MappingProxyType({
    EndpointKind.FOUNDRY: KindRoute(("/models", "/api/models"), api_version=True, model_info=True,
                                    model_required=False, protocol=Protocol.MODEL_INFERENCE),
    EndpointKind.AZURE_OPENAI: KindRoute(("/openai/deployments/{deployment}",), api_version=True, model_info=False,
                                         model_required=False, protocol=Protocol.OPENAI),
    EndpointKind.OPENAI_V1: KindRoute(("/openai/v1",), api_version=False, model_info=False, model_required=True,
                                      protocol=Protocol.OPENAI),
    EndpointKind.SERVERLESS: KindRoute(("",), api_version=True, model_info=True, model_required=False,
                                       protocol=Protocol.MODEL_INFERENCE),
})  # fmt: skip


#: The protocol of the kinds that have no Azure route.
_UNROUTED_PROTOCOLS: Mapping[EndpointKind, Protocol] = MappingProxyType(
    {EndpointKind.GITHUB_MODELS: Protocol.MODEL_INFERENCE, EndpointKind.OPENAI_COMPATIBLE: Protocol.OPENAI}
)


def api_version_takes_audio(kind: EndpointKind | str, api_version: str | None) -> bool:
    """Whether requests to an endpoint of ``kind`` with ``api_version`` may carry audio input.

    Only Azure OpenAI deployments depend on the version: they take ``input_audio`` from
    :data:`AOAI_MIN_AUDIO_API_VERSION` on. Versions are dates, so the date part is compared and a release and its
    preview count alike. The client checks this before sending, and the emulator answers 400 by it.

    Example:
        >>> [api_version_takes_audio("azure-openai", v) for v in ("2025-01-01", "2025-01-01-preview", "2024-10-21")]
        [True, True, False]
        >>> api_version_takes_audio("foundry", "2024-05-01-preview")
        True
    """
    if kind != EndpointKind.AZURE_OPENAI or api_version is None:
        return True
    return api_version[:10] >= AOAI_MIN_AUDIO_API_VERSION[:10]


def _path_pattern(kind: EndpointKind) -> re.Pattern[str]:
    """The kind's endpoint paths as a pattern that ends a lowercased path (``/models`` also ends ``/api/models``)."""
    shapes = (re.escape(path).replace(re.escape("{deployment}"), "[^/]+") for path in ROUTES[kind].paths)
    return re.compile(f"(?:{'|'.join(shapes)})\\Z")


# Path shapes; matched on the lowercased path without a trailing slash or "/chat/completions".
_V1_PATH = _path_pattern(EndpointKind.OPENAI_V1)
_AOAI_PATH = _path_pattern(EndpointKind.AZURE_OPENAI)
_FOUNDRY_PATH = _path_pattern(EndpointKind.FOUNDRY)


@dataclass(frozen=True)
class EndpointSettings:
    """What the client sends to one endpoint, resolved by :func:`resolve_endpoint`.

    Example:
        >>> s = resolve_endpoint("https://my-res.services.ai.azure.com/models")
        >>> s.kind.value, s.api_version, s.credential_scopes, s.has_model_info, s.native_stream_options
        ('foundry', '2024-05-01-preview', ('https://cognitiveservices.azure.com/.default',), True, False)
    """

    kind: EndpointKind
    #: What the SDK client gets: no trailing slash, no ``/chat/completions``, no query.
    endpoint: str
    #: The ``api-version`` to send; ``None`` (only for :attr:`EndpointKind.OPENAI_V1`) means send none.
    api_version: str | None
    #: Entra scopes for a token credential; ``()`` means the endpoint takes a key only.
    credential_scopes: tuple[str, ...]
    #: The body must name the model (the deployment, on ``/openai/v1``).
    model_required: bool
    #: ``GET {endpoint}/info`` describes the model.
    has_model_info: bool
    #: How the endpoint reads a request body: which parameters it knows and their ranges.
    protocol: Protocol = Protocol.MODEL_INFERENCE

    @property
    def native_stream_options(self) -> bool:
        """OpenAI's ``stream_options`` is a known parameter (elsewhere it must be sent as an extra parameter)."""
        return self.protocol is Protocol.OPENAI

    def supports_audio_input(self) -> bool:
        """False for an Azure OpenAI deployment addressed with an ``api-version`` older than audio input.

        Other kinds leave the decision to the model's profile.

        Example:
            >>> url = "https://r.openai.azure.com/openai/deployments/gpt-4o-audio-preview"
            >>> resolve_endpoint(url, api_version="2024-10-21").supports_audio_input()
            False
            >>> resolve_endpoint(url).supports_audio_input()  # the default, 2025-01-01-preview
            True
        """
        return api_version_takes_audio(self.kind, self.api_version)


@dataclass(frozen=True)
class _Url:
    scheme: str
    host: str
    netloc: str
    path: str  # as written (case kept: deployment names), no trailing slash, no "/chat/completions"
    api_version: str | None  # from a pasted "?api-version=", if any

    @property
    def endpoint(self) -> str:
        return f"{self.scheme}://{self.netloc}{self.path}"

    @property
    def is_local(self) -> bool:
        host = self.host
        if host == "localhost" or host.endswith(".localhost") or host == "0.0.0.0":
            return True
        try:
            return ipaddress.ip_address(host).is_loopback
        except ValueError:
            return False


def _shown(text: str, limit: int = 80) -> str:
    """The URL for an error message: no query or fragment (they may hold secrets), and not too long."""
    cut = re.split(r"[?#]", text, maxsplit=1)[0]
    return cut if len(cut) <= limit else cut[: limit - 1] + "…"


def _valid_host(host: str) -> bool:
    if ":" not in host:
        return bool(_HOST_NAME.match(host))  # also refuses a pasted placeholder such as "<resource>"
    try:
        ipaddress.IPv6Address(host)
    except ValueError:
        return False
    return True


def _parse(endpoint: object) -> _Url:
    if not isinstance(endpoint, str):
        raise EndpointError(f"endpoint must be an http(s) URL such as {_EXAMPLE_URL}; got a {type(endpoint).__name__}")
    text = endpoint.strip()
    not_a_url = EndpointError(f"endpoint must be an http(s) URL such as {_EXAMPLE_URL}; got {_shown(text)!r}")
    if any(c.isspace() or not c.isprintable() for c in text):
        raise not_a_url
    try:
        parts = urlsplit(text)
        host, port = parts.hostname, parts.port
    except ValueError:  # a bad port or IPv6 literal
        raise not_a_url from None
    if parts.scheme.lower() not in ("http", "https") or not host or not _valid_host(host):
        raise not_a_url
    if parts.username is not None or parts.password is not None:
        # Never echo it: the part before "@" is a secret.
        raise EndpointError("endpoint must not carry credentials before '@'; pass the key as the credential instead")
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    path = parts.path.rstrip("/")
    path = _CHAT_SUFFIX.sub("", path).rstrip("/")
    versions = [v for k, v in parse_qsl(parts.query, keep_blank_values=True) if k.lower() == "api-version"]
    return _Url(parts.scheme.lower(), host, netloc, path, versions[-1] if versions else None)


def _detect(url: _Url) -> EndpointKind:
    path, host = url.path.lower(), url.host
    if host in _GITHUB_HOSTS:
        return EndpointKind.GITHUB_MODELS
    if _V1_PATH.search(path):
        return EndpointKind.OPENAI_V1
    if _AOAI_PATH.search(path):
        return EndpointKind.AZURE_OPENAI
    if _FOUNDRY_PATH.search(path) or host.endswith(_FOUNDRY_SUFFIX):
        return EndpointKind.FOUNDRY
    if host.endswith(tuple(_AOAI_HOSTS)):
        return EndpointKind.AZURE_OPENAI
    if host.endswith(_SERVERLESS_SUFFIXES):
        return EndpointKind.SERVERLESS
    return EndpointKind.OPENAI_COMPATIBLE


def detect_endpoint_kind(endpoint: str) -> EndpointKind:
    """The kind of ``endpoint``, from its path and host (see the module's table).

    Example:
        >>> detect_endpoint_kind("https://my-llama.eastus2.inference.ai.azure.com").value
        'serverless'
        >>> detect_endpoint_kind("http://127.0.0.1:8765/openai/v1").value
        'openai-v1'
    """
    return _detect(_parse(endpoint))


def _kind(kind: EndpointKind | str) -> EndpointKind:
    if isinstance(kind, EndpointKind):
        return kind
    normalised = str(kind).strip().lower().replace("_", "-")
    try:
        return EndpointKind(normalised)
    except ValueError:
        valid = ", ".join(k.value for k in EndpointKind)
        raise EndpointError(f"unknown endpoint kind {kind!r}; use one of: {valid}") from None


def _default_scopes(kind: EndpointKind, url: _Url) -> tuple[str, ...]:
    if url.is_local:
        return ()
    if kind is EndpointKind.AZURE_OPENAI or kind is EndpointKind.FOUNDRY:
        sovereign = next((scope for suffix, scope in _AOAI_HOSTS.items() if url.host.endswith(suffix)), None)
        return (sovereign or COGNITIVE_SERVICES_SCOPE,)
    if kind is EndpointKind.OPENAI_V1:
        return (AZURE_AI_SCOPE,)
    if kind is EndpointKind.SERVERLESS:
        return (AZURE_ML_SCOPE,)
    return ()


def _api_version(kind: EndpointKind, url: _Url, given: str | None) -> str | None:
    if given is not None and not given.strip():
        raise EndpointError("api_version is empty; pass a version such as '2025-01-01-preview' or leave it out")
    chosen = given.strip() if given is not None else url.api_version
    route = ROUTES.get(kind)
    if route is not None and not route.api_version:
        if chosen is not None:
            where = f"remove api_version={chosen!r}" if given is not None else "remove '?api-version=…' from the URL"
            raise EndpointError(f"{route.paths[0]} endpoints take no api-version ({url.endpoint}); {where}")
        return None
    if not chosen:
        return AOAI_DEFAULT_API_VERSION if kind is EndpointKind.AZURE_OPENAI else SDK_DEFAULT_API_VERSION
    if kind is EndpointKind.AZURE_OPENAI and not _AOAI_VERSION.match(chosen):
        raise EndpointError(
            f"api_version {chosen!r} does not look like an Azure OpenAI API version: use YYYY-MM-DD or "
            f"YYYY-MM-DD-preview, such as {AOAI_DEFAULT_API_VERSION!r}"
        )
    return chosen


def resolve_endpoint(
    endpoint: str,
    *,
    kind: EndpointKind | str | None = None,
    api_version: str | None = None,
    credential_scopes: Sequence[str] | None = None,
    deployment: str | None = None,
) -> EndpointSettings:
    """Resolve ``endpoint`` into the settings the client uses. ``kind``, ``api_version`` and
    ``credential_scopes`` override what detection would choose. ``deployment`` (``azure_deployment`` in
    langchain-openai) completes an Azure OpenAI resource URL (``https://<resource>.openai.azure.com``) into its
    deployment route; a URL that names another deployment is refused.

    Raises:
        EndpointError: the URL is not http(s), the kind is unknown, an Azure OpenAI URL names no deployment, or
            the ``api-version`` cannot work with the kind.

    Example:
        >>> s = resolve_endpoint("http://127.0.0.1:8765/openai/deployments/phi-4-multimodal-instruct/")
        >>> s.kind.value, s.api_version, s.credential_scopes
        ('azure-openai', '2025-01-01-preview', ())
        >>> resolve_endpoint("https://r.services.ai.azure.com", credential_scopes=["api://x/.default"]).endpoint
        'https://r.services.ai.azure.com/models'
        >>> resolve_endpoint("https://r.openai.azure.com/openai/v1", api_version="2024-10-21")
        Traceback (most recent call last):
        ...
        langchain_azure_multimodal.errors.EndpointError: /openai/v1 endpoints take no api-version (https://r.openai.azure.com/openai/v1); remove api_version='2024-10-21'
    """  # noqa: E501 - doctest output
    url = _parse(endpoint)
    resolved = _kind(kind) if kind is not None else _detect(url)
    if deployment is not None:
        url = _with_deployment(url, resolved, deployment)
    if kind is None and resolved is EndpointKind.AZURE_OPENAI and not _AOAI_PATH.search(url.path.lower()):
        raise EndpointError(
            f"Azure OpenAI endpoint {url.endpoint} names no deployment: use "
            f"{url.scheme}://{url.netloc}/openai/deployments/<deployment> or {url.scheme}://{url.netloc}/openai/v1"
        )
    # These roots serve no chat route; the right path is unambiguous.
    if not url.path and resolved is EndpointKind.FOUNDRY and url.host.endswith(_FOUNDRY_SUFFIX):
        url = replace(url, path=ROUTES[EndpointKind.FOUNDRY].paths[0])
    if not url.path and resolved is EndpointKind.GITHUB_MODELS and url.host == "models.github.ai":
        url = replace(url, path="/inference")
    local_root = url.is_local and not url.path
    if credential_scopes is None:
        scopes = _default_scopes(resolved, url)
    elif isinstance(credential_scopes, str):  # a lone scope, not a list of one-character scopes
        scopes = (credential_scopes,)
    else:
        scopes = tuple(credential_scopes)
    route = ROUTES.get(resolved)
    if route is None and local_root and resolved is EndpointKind.OPENAI_COMPATIBLE:
        route = ROUTES[EndpointKind.SERVERLESS]  # the emulator's root: a serverless-style route
    return EndpointSettings(
        kind=resolved,
        endpoint=url.endpoint,
        api_version=_api_version(resolved, url, api_version),
        credential_scopes=scopes,
        model_required=route.model_required if route else False,
        has_model_info=route.model_info if route else False,
        # OpenAI-compatible servers speak OpenAI's protocol; GitHub Models serves the Model Inference API.
        protocol=route.protocol if route else _UNROUTED_PROTOCOLS[resolved],
    )


def _with_deployment(url: _Url, kind: EndpointKind, deployment: str) -> _Url:
    if not deployment.strip() or "/" in deployment:
        raise EndpointError(f"azure_deployment must be a deployment name such as 'gpt-4o', not {deployment!r}")
    if kind is not EndpointKind.AZURE_OPENAI:
        raise EndpointError(
            f"azure_deployment is for Azure OpenAI resource URLs (https://<resource>.openai.azure.com), not "
            f"{kind.value} endpoints ({url.endpoint}); on /openai/v1 and other routes pass model={deployment!r}"
        )
    route = ROUTES[EndpointKind.AZURE_OPENAI].paths[0].format(deployment=deployment)
    if url.path.rstrip("/") in ("", "/openai"):
        return replace(url, path=route)
    if url.path.lower() != route.lower():
        raise EndpointError(
            f"the endpoint {url.endpoint} names another deployment than azure_deployment={deployment!r}; "
            "pass one of the two"
        )
    return url


def environment_proxies(endpoint: str) -> dict[str, str]:
    """The proxy the environment names for ``endpoint``, as azure-core's ``proxies`` setting (``{}`` for none).

    ``HTTPS_PROXY``/``HTTP_PROXY``/``ALL_PROXY`` (or the system settings) and ``NO_PROXY`` are read when this is
    called, as aiohttp and requests read them with ``trust_env``; proxy credentials missing from the proxy URL come
    from ``~/.netrc`` as they would there. Why once: with ``trust_env`` both libraries look them up again, and open
    ``~/.netrc``, on every request, in a worker thread for aiohttp; that costs about as much CPU as the rest of a
    small request does.

    Example:
        >>> import os
        >>> from unittest import mock
        >>> corporate = {"HTTPS_PROXY": "http://proxy.corp:3128", "NO_PROXY": "localhost,.internal"}
        >>> with mock.patch.dict(os.environ, corporate, clear=True):  # the caller's environment is left as it was
        ...     environment_proxies("https://r.openai.azure.com/openai/v1"), environment_proxies("https://a.internal/v1")
        ({'https': 'http://proxy.corp:3128'}, {})
    """
    import netrc
    import urllib.request

    url = urlsplit(endpoint)
    if not url.hostname or urllib.request.proxy_bypass(url.hostname):
        return {}
    found = urllib.request.getproxies()
    proxy = found.get(url.scheme) or found.get("all")
    if not proxy:
        return {}
    parts = urlsplit(proxy if "://" in proxy else f"http://{proxy}")
    if parts.hostname and parts.username is None:
        try:
            login = netrc.netrc().authenticators(parts.hostname)
        except (OSError, netrc.NetrcParseError):
            login = None
        if login and login[0]:
            user, _, password = (quote(value or "", safe="") for value in login)
            proxy = parts._replace(netloc=f"{user}:{password}@{parts.netloc}").geturl()
    return {url.scheme: proxy}
