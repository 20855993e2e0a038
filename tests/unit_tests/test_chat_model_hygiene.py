"""``ChatAzureMultimodal`` hygiene, with every socket blocked: keys stay secret, every credential form is accepted,
zero values are kept, endpoints that cannot work fail at construction, and Entra sign-in failures explain
themselves."""

from __future__ import annotations

import asyncio
import time
import warnings
from typing import Any

import pytest
from azure.core.credentials import AccessToken, AzureKeyCredential
from azure.core.exceptions import ClientAuthenticationError
from langchain_core.load import dumpd, dumps
from langchain_core.messages import HumanMessage
from pydantic import SecretStr

from langchain_azure_multimodal import ChatAzureMultimodal
from langchain_azure_multimodal._azure.credentials import sdk_credential
from langchain_azure_multimodal.endpoints import AZURE_AI_SCOPE, COGNITIVE_SERVICES_SCOPE
from langchain_azure_multimodal.errors import EndpointError, UnsupportedContentError
from langchain_azure_multimodal.testing import MockWire, completion

# Short enough to be shown whole if an error ever prints the constructor's arguments (pydantic cuts long ones).
KEY = "s3cr3t-K9"
V1 = "https://r.openai.azure.com/openai/v1"
AOAI = "https://r.openai.azure.com/openai/deployments/gpt-4o"
FOUNDRY = "https://r.services.ai.azure.com/models"
# Environment variables azure-identity reads; cleared so DefaultAzureCredential finds nothing to sign in with.
IDENTITY_ENV = (
    "AZURE_CLIENT_ID",
    "AZURE_CLIENT_SECRET",
    "AZURE_TENANT_ID",
    "AZURE_CLIENT_CERTIFICATE_PATH",
    "AZURE_CLIENT_CERTIFICATE_PASSWORD",
    "AZURE_USERNAME",
    "AZURE_PASSWORD",
    "AZURE_FEDERATED_TOKEN_FILE",
    "AZURE_AUTHORITY_HOST",
    "IDENTITY_ENDPOINT",
    "IDENTITY_HEADER",
    "IDENTITY_SERVER_THUMBPRINT",
    "IMDS_ENDPOINT",
    "MSI_ENDPOINT",
    "MSI_SECRET",
    "AZURE_POD_IDENTITY_AUTHORITY_HOST",
    "AZURE_TOKEN_CREDENTIALS",
)


@pytest.fixture(autouse=True)
def _no_ambient_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("AZURE_INFERENCE_CREDENTIAL", "AZURE_INFERENCE_ENDPOINT", *IDENTITY_ENV):
        monkeypatch.delenv(name, raising=False)


def _surfaces(model: ChatAzureMultimodal) -> dict[str, str]:
    """Every public rendering of a model that could end up in a log, a trace or an error report."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)  # BaseChatModel.dict() is deprecated for asdict()
        legacy_dict = repr(model.dict())
    surfaces = {
        "dict": legacy_dict,
        "repr": repr(model),
        "str": str(model),
        "model_dump": repr(model.model_dump()),
        "model_dump_json": model.model_dump_json(),
        "ls_params": repr(model._get_ls_params()),
        "identifying_params": repr(model._identifying_params),
        "dumpd": repr(dumpd(model)),
        "dumps": dumps(model),
        "llm_string": model._get_llm_string(),
    }
    if hasattr(model, "asdict"):  # langchain-core 1.5 and later
        surfaces["asdict"] = repr(model.asdict())
    return surfaces


CREDENTIAL_FORMS: dict[str, dict[str, Any]] = {
    "api_key str": {"api_key": KEY},
    "credential str": {"credential": KEY},
    "SecretStr": {"credential": SecretStr(KEY)},
    "AzureKeyCredential": {"credential": AzureKeyCredential(KEY)},
    "api_key AzureKeyCredential": {"api_key": AzureKeyCredential(KEY)},
}


@pytest.mark.parametrize("form", list(CREDENTIAL_FORMS))
def test_every_key_form_is_accepted_and_kept_secret(form: str) -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", temperature=0, **CREDENTIAL_FORMS[form])
    assert isinstance(model.credential, SecretStr)
    assert model.credential.get_secret_value() == KEY
    sent = sdk_credential(model.credential, model.endpoint_settings, is_async=False)  # what the clients get
    assert isinstance(sent, AzureKeyCredential) and sent.key == KEY
    for name, text in _surfaces(model).items():
        assert KEY not in text, name
    assert "gpt-4o" in repr(model)  # the renderings are real, not empty


def test_the_key_from_the_environment_is_accepted_and_kept_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_INFERENCE_CREDENTIAL", KEY)
    monkeypatch.setenv("AZURE_INFERENCE_ENDPOINT", V1)
    model = ChatAzureMultimodal(model="gpt-4o")
    assert model.endpoint == V1
    assert isinstance(model.credential, SecretStr) and model.credential.get_secret_value() == KEY
    for name, text in _surfaces(model).items():
        assert KEY not in text, name


def test_an_explicit_key_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AZURE_INFERENCE_CREDENTIAL", "from-env")
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", api_key=KEY)
    assert isinstance(model.credential, SecretStr) and model.credential.get_secret_value() == KEY


class FakeTokenCredential:
    def get_token(self, *scopes: str, **kwargs: Any) -> AccessToken:
        return AccessToken("tok-5ecr3t-entra", int(time.time()) + 3600)


def test_a_token_credential_is_used_as_it_is() -> None:
    credential = FakeTokenCredential()
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", credential=credential)
    assert model.credential is credential
    assert sdk_credential(model.credential, model.endpoint_settings, is_async=False) is credential
    assert "tok-5ecr3t-entra" not in repr(model) and "FakeTokenCredential" not in repr(model)


BAD_INPUT: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "no scheme": ({"endpoint": "r.openai.azure.com/openai/v1", "model": "m"}, EndpointError, "http(s) URL"),
    "v1 with api_version": (
        {"endpoint": V1, "model": "m", "api_version": "2024-10-21"},
        EndpointError,
        "/openai/v1 endpoints take no api-version",
    ),
    "v1 with api-version in the URL": (
        {"endpoint": V1 + "/chat/completions?api-version=2024-10-21", "model": "m"},
        EndpointError,
        "remove '?api-version=",
    ),
    "aoai without deployment": ({"endpoint": "https://r.openai.azure.com"}, EndpointError, "names no deployment"),
    "unknown kind": ({"endpoint": V1, "model": "m", "endpoint_kind": "nope"}, ValueError, "'openai-v1'"),
    "bad aoai api_version": ({"endpoint": AOAI, "api_version": "latest"}, EndpointError, "does not look like"),
    "key in the URL": ({"endpoint": f"https://user:{KEY}@r.openai.azure.com/openai/v1"}, EndpointError, "before '@'"),
    "v1 without model": ({"endpoint": V1}, ValueError, "openai-v1 endpoints need model="),
    "negative max_retries": ({"endpoint": V1, "model": "m", "max_retries": -1}, ValueError, "max_retries must be 0"),
    "bad temperature": ({"endpoint": V1, "model": "m", "temperature": "hot"}, ValueError, "temperature"),
    "bad default_image_detail": ({"endpoint": V1, "model": "m", "default_image_detail": "ultra"}, ValueError, "detail"),
    "bad extra_parameters": ({"endpoint": V1, "model": "m", "extra_parameters": "keep"}, ValueError, "pass-through"),
    "bad credential": ({"endpoint": V1, "model": "m", "credential": {"key": KEY}}, ValueError, "credential"),
}


@pytest.mark.parametrize("case", list(BAD_INPUT))
def test_bad_input_fails_at_construction_without_showing_the_key(case: str) -> None:
    kwargs, error_type, fragment = BAD_INPUT[case]
    if "credential" not in kwargs:
        kwargs = {"api_key": KEY, **kwargs}
    with pytest.raises(error_type) as caught:
        ChatAzureMultimodal(**kwargs)
    assert fragment in str(caught.value)
    assert "s3cr3t" not in str(caught.value)
    assert "s3cr3t" not in repr(caught.value)


@pytest.mark.parametrize(
    ("endpoint", "kwargs"),
    [("r.openai.azure.com/openai/v1", {}), ("ftp://r.openai.azure.com", {}), (V1, {"api_version": "2025-01-01"})],
)
def test_endpoint_errors_are_endpoint_errors_at_construction(endpoint: str, kwargs: dict[str, Any]) -> None:
    with pytest.raises(EndpointError):
        ChatAzureMultimodal(endpoint=endpoint, model="m", api_key=KEY, **kwargs)


def test_no_endpoint_at_all_says_how_to_give_one() -> None:
    with pytest.raises(ValueError, match="AZURE_INFERENCE_ENDPOINT"):
        ChatAzureMultimodal(api_key=KEY)


def test_bad_message_input_errors_do_not_show_the_key() -> None:
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", api_key=KEY)
    for content in ([{"type": "video", "url": "https://example.com/v.mp4"}], [{"type": "image", "url": "file:///x"}]):
        with pytest.raises(UnsupportedContentError) as caught:
            model.invoke([HumanMessage(content)])
        assert KEY not in str(caught.value)
    with pytest.raises(TypeError) as type_error:
        model.invoke("Hi", bogus=1)
    assert KEY not in str(type_error.value)


def test_identifying_params_keep_zero_values() -> None:
    model = ChatAzureMultimodal(
        endpoint=V1,
        model="gpt-4o",
        api_key=KEY,
        temperature=0,
        top_p=0,
        max_tokens=0,
        seed=0,
        presence_penalty=0,
        frequency_penalty=0,
    )
    assert model._identifying_params == {
        "model": "gpt-4o",
        "endpoint": V1,
        "endpoint_kind": "openai-v1",
        "temperature": 0,
        "top_p": 0,
        "max_tokens": 0,
        "seed": 0,
        "presence_penalty": 0,
        "frequency_penalty": 0,
    }
    params = model._get_ls_params()
    assert (params["ls_temperature"], params["ls_max_tokens"]) == (0, 0)
    assert params["ls_provider"] == "azure_ai" and params["ls_model_name"] == "gpt-4o"


def test_zero_values_go_into_the_request_body() -> None:
    wire = MockWire(lambda call: completion())
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o", wire=wire, temperature=0, seed=0, top_p=0)
    model.invoke([HumanMessage("Hi")], presence_penalty=0, frequency_penalty=0)
    ((kind, body, headers),) = [(call.kind, call.body, call.headers) for call in wire.calls]
    assert kind == "complete"
    assert body == {
        "messages": [{"role": "user", "content": "Hi"}],
        "temperature": 0,
        "top_p": 0,
        "seed": 0,
        "presence_penalty": 0,
        "frequency_penalty": 0,
        "model": "gpt-4o",
    }
    assert headers == {}


# ---------------------------------------------------------------------------------------------- Entra


BLOCKED_SOCKETS = "ignore:A test tried to use socket"  # IMDS and the token endpoints, refused by pytest-socket


@pytest.mark.filterwarnings(BLOCKED_SOCKETS)
@pytest.mark.parametrize(("endpoint", "scope"), [(V1, AZURE_AI_SCOPE), (FOUNDRY, COGNITIVE_SERVICES_SCOPE)])
def test_no_key_on_an_azure_url_tries_default_azure_credential_and_explains_a_failure(
    endpoint: str, scope: str
) -> None:
    model = ChatAzureMultimodal(endpoint=endpoint, model="gpt-4o")
    assert model.credential is None
    with pytest.raises(ClientAuthenticationError) as caught:
        model.invoke("Hi")
    assert "DefaultAzureCredential failed to retrieve a token" in str(caught.value.__cause__)
    message = str(caught.value)
    assert "No key was given (credential=, api_key= or AZURE_INFERENCE_CREDENTIAL)" in message
    assert f"DefaultAzureCredential for scopes ['{scope}']" in message
    assert "Pass a key, or sign in (az login, managed identity, ...)" in message
    assert isinstance(caught.value.__cause__, ClientAuthenticationError)  # the chain of attempts is kept


@pytest.mark.filterwarnings(BLOCKED_SOCKETS)
def test_no_key_on_an_azure_url_explains_a_failure_async(monkeypatch: pytest.MonkeyPatch) -> None:
    from azure.identity.aio import DefaultAzureCredential

    closed: list[object] = []
    close = DefaultAzureCredential.close

    async def counting_close(self: DefaultAzureCredential) -> None:
        closed.append(self)
        await close(self)

    monkeypatch.setattr(DefaultAzureCredential, "close", counting_close)
    model = ChatAzureMultimodal(endpoint=V1, model="gpt-4o")
    with pytest.raises(ClientAuthenticationError, match=r"DefaultAzureCredential for scopes \['https://ai.azure.com"):
        asyncio.run(model.ainvoke("Hi"))
    assert len(closed) == 1  # the async one belonged to that loop and was closed with it


def test_no_key_on_a_keys_only_endpoint_asks_for_a_key() -> None:
    model = ChatAzureMultimodal(endpoint="http://localhost:8000")
    with pytest.raises(ValueError, match="take a key: pass credential=/api_key= or set AZURE_INFERENCE_CREDENTIAL"):
        model.invoke("Hi")


# ---------------------------------------------------------------------------------------------- no network needed


@pytest.mark.parametrize("endpoint", [AOAI, V1])
def test_get_model_info_is_refused_without_an_info_route(endpoint: str) -> None:
    model = ChatAzureMultimodal(endpoint=endpoint, model="gpt-4o", api_key=KEY)
    with pytest.raises(ValueError, match="endpoints have no /info route"):
        model.get_model_info()


def test_audio_on_an_old_azure_openai_api_version_is_refused_before_the_network() -> None:
    from tests.support.media import b64, wav_bytes

    audio = {"type": "audio", "base64": b64(wav_bytes(0.2)), "mime_type": "audio/wav"}
    message = HumanMessage([{"type": "text", "text": "Listen"}, audio])
    wire = MockWire(lambda call: completion())
    old = ChatAzureMultimodal(endpoint=AOAI, wire=wire, api_version="2024-10-21")
    with pytest.raises(UnsupportedContentError) as caught:
        old.invoke([message])
    assert "api_version='2024-10-21'" in str(caught.value)
    assert "messages[0].content[1]" in str(caught.value)
    with pytest.raises(UnsupportedContentError):
        asyncio.run(old.ainvoke([message]))
    assert wire.calls == []
    # The default version, a newer one, and other endpoint kinds are not refused.
    for model in (
        ChatAzureMultimodal(endpoint=AOAI, wire=wire),
        ChatAzureMultimodal(endpoint=AOAI, wire=wire, api_version="2025-04-01-preview"),
        ChatAzureMultimodal(endpoint=V1, wire=wire, model="gpt-4o-audio-preview"),
        ChatAzureMultimodal(endpoint=FOUNDRY, wire=wire, api_version="2024-05-01-preview"),
    ):
        model.invoke([message])
        assert wire.calls[-1].body["messages"][0]["content"][1]["type"] == "input_audio"
    assert [call.kind for call in wire.calls].count("complete") == 4
