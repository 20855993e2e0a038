"""What the responses say about the endpoint: the status of every try, and the errors that no other request could
avoid (used by the ingest command to stop a run early).

Example:
    >>> from azure.core.exceptions import ClientAuthenticationError
    >>> refusal_of(ClientAuthenticationError("DefaultAzureCredential failed to retrieve a token")).what
    'signing in failed (DefaultAzureCredential failed to retrieve a token)'
    >>> refusal_of(ValueError("a bad file")) is None
    True
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any


class ResponseStatuses:
    """Counts the HTTP status of every attempt, retries included: pass it as ``client_kwargs={"raw_response_hook":
    statuses}``. azure-core calls the hook after the retry policy, so each try of a request is seen once.

    Example:
        >>> from langchain_azure_multimodal import ChatAzureMultimodal
        >>> from langchain_azure_multimodal.emulator import Emulator, Fault
        >>> statuses = ResponseStatuses()
        >>> with Emulator(api_key="k") as emu:
        ...     emu.inject(Fault.throttle(retry_after=0.01), times=1)
        ...     llm = ChatAzureMultimodal(endpoint=emu.endpoint, api_key="k", model=emu.model,
        ...                               client_kwargs={"raw_response_hook": statuses})
        ...     _ = llm.invoke("Hi")
        >>> statuses.counts
        Counter({429: 1, 200: 1})
    """

    def __init__(self) -> None:
        self.counts: Counter[int] = Counter()

    def __call__(self, response: Any) -> None:
        self.counts[response.http_response.status_code] += 1


@dataclass(frozen=True)
class Refusal:
    """Why no request to this endpoint can succeed, and how to fix it: what :func:`refusal_of` finds."""

    what: str
    fix: str


_KEY_FIX = (
    "set AZURE_INFERENCE_CREDENTIAL to this endpoint's key, or sign in with Microsoft Entra ID (az login, a managed "
    "identity) where the endpoint takes tokens"
)


def refusal_of(error: BaseException) -> Refusal | None:
    """A :class:`Refusal` when ``error`` says the endpoint, the key or the deployment is wrong (a failed sign-in,
    401, 403, 404), which no other input can fix; ``None`` for errors that belong to one request."""
    # Imported here, not at the top: the command line imports ResponseStatuses before parsing its arguments, and
    # ``--help`` should not wait for azure-core.
    from azure.core.exceptions import ClientAuthenticationError, HttpResponseError

    if isinstance(error, ClientAuthenticationError) and error.response is None:
        first = str(error.message or error).strip().splitlines()[0][:300]
        return Refusal(f"signing in failed ({first})", _KEY_FIX)
    status = getattr(error, "status_code", None) if isinstance(error, HttpResponseError) else None
    if status == 401:
        return Refusal("the endpoint refused the credential (401 Unauthorized)", _KEY_FIX)
    if status == 403:
        return Refusal(
            "the endpoint refused access (403 Forbidden)",
            "use a key of this resource, or give the signed-in identity a role on it (Cognitive Services User)",
        )
    if status == 404:
        return Refusal(
            "the endpoint has no such route or deployment (404 Not Found)",
            "check the endpoint URL and the deployment name (--endpoint .../openai/deployments/<name>, or --model)",
        )
    return None
