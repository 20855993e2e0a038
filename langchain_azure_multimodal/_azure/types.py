"""The azure-core types the rest of the package names: the credentials the chat model accepts, and the exceptions
it raises, catches or subclasses. Only these light azure-core modules load here, not the SDK.

Example:
    >>> from langchain_azure_multimodal.errors import StreamError
    >>> issubclass(StreamError, AzureError), issubclass(ClientAuthenticationError, HttpResponseError)
    (True, True)
"""

from azure.core.credentials import AzureKeyCredential, TokenCredential
from azure.core.credentials_async import AsyncTokenCredential
from azure.core.exceptions import AzureError, ClientAuthenticationError, HttpResponseError

__all__ = [
    "AsyncTokenCredential",
    "AzureError",
    "AzureKeyCredential",
    "ClientAuthenticationError",
    "HttpResponseError",
    "TokenCredential",
]
