"""The environment's proxy settings: honoured (read once per client), and ~/.netrc never adds credentials to a call."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path

import pytest
from langchain_core.messages import HumanMessage

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal.emulator import Emulator
from langchain_azure_multimodal.endpoints import environment_proxies
from tests.conftest import API_KEY

# Nothing listens here: a request that reaches the answer went through the proxy.
UNREACHABLE = "http://127.0.0.2:9"


@pytest.fixture(autouse=True)
def clean_proxy_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY", "http_proxy", "https_proxy", "all_proxy",
                 "no_proxy", "NETRC"):  # fmt: skip
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path))  # ~/.netrc is looked for here


def ask(llm: ChatAzureMultimodal, *, use_async: bool) -> str:
    message = [HumanMessage("Hello through the proxy")]
    reply = asyncio.run(llm.ainvoke(message)) if use_async else llm.invoke(message)
    return reply.text


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_http_proxy_from_the_environment_carries_the_calls(
    emulator_factory: Callable[..., Emulator], monkeypatch: pytest.MonkeyPatch, use_async: bool
) -> None:
    proxy = emulator_factory()  # an HTTP proxy gets the absolute URL; the emulator answers it like any request
    monkeypatch.setenv("HTTP_PROXY", proxy.endpoint)
    llm = ChatAzureMultimodal(endpoint=UNREACHABLE, api_key=API_KEY, model=proxy.model, max_retries=0)
    assert ask(llm, use_async=use_async).startswith("[emulator:")
    assert len(proxy.requests) == 1


def test_no_proxy_sends_the_call_directly(emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", UNREACHABLE)
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    llm = ChatAzureMultimodal(endpoint=emulator.endpoint, api_key=API_KEY, model=emulator.model, max_retries=0)
    assert ask(llm, use_async=True).startswith("[emulator:")


@pytest.mark.parametrize("use_async", [False, True], ids=["sync", "async"])
def test_a_netrc_entry_for_the_endpoint_adds_no_credentials(
    emulator: Emulator, tmp_path: Path, use_async: bool
) -> None:
    # With trust_env, aiohttp and requests would send these as Basic auth to the endpoint, beside the api-key.
    (tmp_path / ".netrc").write_text("machine 127.0.0.1 login someone password not-for-azure\n")
    (tmp_path / ".netrc").chmod(0o600)
    llm = ChatAzureMultimodal(endpoint=emulator.endpoint, api_key=API_KEY, model=emulator.model)
    ask(llm, use_async=use_async)
    assert not (emulator.requests[-1].header("authorization") or "").startswith("Basic")


def test_proxy_credentials_come_from_netrc_when_the_url_has_none(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / ".netrc").write_text("machine proxy.corp login ada password p@ss:word\n")
    (tmp_path / ".netrc").chmod(0o600)
    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.corp:3128")
    assert environment_proxies("https://r.openai.azure.com/openai/v1") == {
        "https": "http://ada:p%40ss%3Aword@proxy.corp:3128"
    }
    monkeypatch.setenv("HTTPS_PROXY", "http://me:secret@proxy.corp:3128")
    assert environment_proxies("https://r.openai.azure.com/openai/v1") == {"https": "http://me:secret@proxy.corp:3128"}
    monkeypatch.delenv("HTTPS_PROXY")
    monkeypatch.setenv("ALL_PROXY", "http://proxy.corp:8080")
    assert environment_proxies("https://r.openai.azure.com/openai/v1") == {
        "https": "http://ada:p%40ss%3Aword@proxy.corp:8080"
    }
