"""The one seam to Azure: every import of ``azure.*`` (azure-ai-inference, azure-core, azure-identity) is here.

Everything outside this package handles plain wire JSON: request bodies are dicts, answers and stream events are
dicts, and the api-version comes from :class:`~langchain_azure_multimodal.endpoints.EndpointSettings`. The chat model
talks to :class:`~.wire.ChatWire` only.

- :mod:`.types`: the credential and exception types the rest of the package names (re-exported from azure-core).
- :mod:`.credentials`: the key, the caller's Entra credential or ``DefaultAzureCredential``; the sign-in explanation.
- :mod:`.retry`: the retry policy, on azure-core's public policy interface (``Retry-After`` honoured, plus jitter).
- :mod:`.pipeline`: the client settings: the default timeouts (10 s to connect, 600 s between reads), the
  User-Agent, typed network errors, the v1 api-version strip, and key redaction in the network trace.
- :mod:`.sse`: the server-sent-events reader over a response's ``iter_bytes()``.
- :mod:`.clients`: the sync client, and one async client per event loop, closed when that loop shuts down.
- :mod:`.wire`: :class:`~.wire.ChatWire`, the interface the chat model uses.
- :mod:`.statuses`: what responses say about an endpoint (statuses per try; errors no other input can fix).
- :mod:`.service_errors`: ``MalformedResponseError``, ``StreamError`` and the network errors
  (``EndpointNetworkError`` and its subclasses, each subclassing the azure-core error it replaces), which
  :mod:`langchain_azure_multimodal.errors` offers, loading them on first use.

This module imports nothing, so that importing one light part (the types, the statuses) does not load the SDK.
"""
