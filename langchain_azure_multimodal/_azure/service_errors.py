"""The errors of an answer that went wrong after its 200: a body that is not a JSON object, or a stream that failed
part-way. Both are azure-core ``AzureError``s, as the SDK's own errors are, so ``except AzureError`` around a call
catches them too. Import them from :mod:`langchain_azure_multimodal.errors`, which loads this module on first use.

Example:
    >>> from azure.core.exceptions import AzureError
    >>> from langchain_azure_multimodal.errors import MalformedResponseError, StreamError
    >>> issubclass(MalformedResponseError, AzureError), issubclass(StreamError, AzureError)
    (True, True)
"""

from __future__ import annotations

from azure.core.exceptions import AzureError

__all__ = ["MalformedResponseError", "StreamError"]


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
