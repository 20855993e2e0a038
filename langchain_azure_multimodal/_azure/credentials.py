"""Which credential a new client gets, and what a failed Entra sign-in says.

The chat model keeps a key as a ``SecretStr`` (so that no rendering of the model shows it) and an Entra credential
as it was given; :func:`sdk_credential` turns that into what the SDK client takes. Without either,
``DefaultAzureCredential`` signs in with the endpoint kind's scopes, and :class:`explain_default_credential` turns
its failure into one sentence saying what was tried and how to fix it.

Example:
    >>> from pydantic import SecretStr
    >>> from langchain_azure_multimodal.endpoints import resolve_endpoint
    >>> settings = resolve_endpoint("https://r.openai.azure.com/openai/v1")
    >>> sdk_credential(SecretStr("k"), settings, is_async=False).key
    'k'
    >>> sdk_credential(None, resolve_endpoint("http://localhost:8000"), is_async=False)
    Traceback (most recent call last):
    ...
    ValueError: openai-compatible endpoints take a key: pass credential=/api_key= or set AZURE_INFERENCE_CREDENTIAL
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from azure.core.credentials import AzureKeyCredential, TokenCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import ClientAuthenticationError
from pydantic import SecretStr

from ..endpoints import EndpointSettings

#: What the chat model holds: a key, or a sync or async Entra credential.
Credential = SecretStr | TokenCredential | AsyncTokenCredential


def sdk_credential(credential: Credential | None, settings: EndpointSettings, *, is_async: bool) -> Any:
    """The credential for a new client: the key, the caller's Entra credential, or a new DefaultAzureCredential
    (sync or async, as the client), which the caller then owns and closes."""
    if isinstance(credential, SecretStr):
        return AzureKeyCredential(credential.get_secret_value())
    if credential is not None:
        return credential
    if not settings.credential_scopes:
        raise ValueError(
            f"{settings.kind.value} endpoints take a key: pass credential=/api_key= or set AZURE_INFERENCE_CREDENTIAL"
        )
    # Imported here: azure-identity is only needed when no key is given, and it takes a while to load.
    if is_async:
        from azure.identity.aio import DefaultAzureCredential as AsyncDefaultAzureCredential

        return AsyncDefaultAzureCredential()
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


class explain_default_credential:  # noqa: N801 - used as a context manager
    """Re-raise a failed ``DefaultAzureCredential`` sign-in with what was tried and how to fix it.

    ``uses_default`` says whether no credential was given (so DefaultAzureCredential was used).

    Example:
        >>> with explain_default_credential(True, ["https://ai.azure.com/.default"]):
        ...     raise ClientAuthenticationError("no identity found")
        Traceback (most recent call last):
        ...
        azure.core.exceptions.ClientAuthenticationError: No key was given (credential=, api_key= or AZURE_INFERENCE_CREDENTIAL), so Microsoft Entra ID was tried with DefaultAzureCredential for scopes ['https://ai.azure.com/.default'], and it failed: no identity found. Pass a key, or sign in (az login, managed identity, ...).
    """  # noqa: E501 - the doctest output is one line

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
