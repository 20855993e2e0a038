"""No secret follows a redirect to another host (issue 16, security): a 307 from the endpoint to another host gets
the request again, but without ``api-key``, ``Authorization`` or any other secret header; sync and async."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from azure.core.exceptions import ClientAuthenticationError
from azure.core.pipeline.policies import SensitiveHeaderCleanupPolicy

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.endpoints import SECRET_HEADERS
from tests.conftest import API_KEY


@pytest.fixture
def redirect_to(request: pytest.FixtureRequest) -> Iterator[Callable[[str], str]]:
    """``redirect_to(base)``: a server on 127.0.0.1 whose every request is answered 307 to the same path on ``base``."""
    servers: list[ThreadingHTTPServer] = []

    def start(base: str) -> str:
        class Redirect(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                self.rfile.read(length)
                self.send_response(307)
                self.send_header("Location", base + self.path)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                pass

        server = ThreadingHTTPServer(("127.0.0.1", 0), Redirect)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
@pytest.mark.parametrize("header", ["api-key", "authorization"])
def test_the_key_does_not_follow_a_redirect_to_another_host(
    emulator: Emulator, redirect_to: Callable[[str], str], use_async: bool, header: str
) -> None:
    # The other host is the emulator reached as "localhost": another host name than the endpoint's 127.0.0.1.
    other_host = f"http://localhost:{emulator.port}"
    endpoint = redirect_to(other_host) + "/openai/deployments/" + emulator.model
    client_kwargs = {"headers": {"Authorization": f"Bearer {API_KEY}"}} if header == "authorization" else {}
    llm = ChatAzureMultimodal(
        endpoint=endpoint, api_key=API_KEY, model=emulator.model, max_retries=0, client_kwargs=client_kwargs
    )
    with pytest.raises(ClientAuthenticationError):  # the other host gets no key, so it answers 401
        asyncio.run(llm.ainvoke("Hi")) if use_async else llm.invoke("Hi")
    (arrived,) = emulator.requests
    assert arrived.path == f"/openai/deployments/{emulator.model}/chat/completions"  # the redirect was followed
    sent = {name.lower(): value for name, value in arrived.headers.items()}
    assert not SECRET_HEADERS & set(sent), sent.keys()
    assert API_KEY not in " ".join(sent.values())


def test_every_secret_header_is_on_the_redirect_cleanup_list() -> None:
    from langchain_azure_multimodal._azure.pipeline import client_kwargs
    from langchain_azure_multimodal.endpoints import resolve_endpoint

    blocked = client_kwargs(resolve_endpoint("https://r.openai.azure.com/openai/v1"), max_retries=0, timeout=None,
                            is_async=False)["blocked_redirect_headers"]  # fmt: skip
    assert {h.lower() for h in blocked} >= SECRET_HEADERS | {
        h.lower() for h in SensitiveHeaderCleanupPolicy.DEFAULT_SENSITIVE_HEADERS
    }
