"""Endpoint detection and resolution: kinds, normalised URLs, API versions, scopes and the errors that say what to
change."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from langchain_azure_multimodal.endpoints import (
    AOAI_MIN_AUDIO_API_VERSION,
    AZURE_AI_SCOPE,
    AZURE_ML_SCOPE,
    COGNITIVE_SERVICES_SCOPE,
    EndpointKind,
    detect_endpoint_kind,
    resolve_endpoint,
)
from langchain_azure_multimodal.errors import EndpointError

K = EndpointKind
SDK_DEFAULT = "2024-05-01-preview"
COGNITIVE = (COGNITIVE_SERVICES_SCOPE,)

# ---------------------------------------------------------------------------------------------- detection


@pytest.mark.parametrize(
    ("url", "kind"),
    [
        ("https://res.services.ai.azure.com/models", K.FOUNDRY),
        ("https://res.services.ai.azure.com/api/models", K.FOUNDRY),
        ("https://res.services.ai.azure.com", K.FOUNDRY),
        ("https://res.openai.azure.com/openai/deployments/gpt-4o", K.AZURE_OPENAI),
        ("https://res.cognitiveservices.azure.com/openai/deployments/gpt-4o", K.AZURE_OPENAI),
        ("https://res.services.ai.azure.com/openai/deployments/gpt-4o", K.AZURE_OPENAI),
        ("https://res.openai.azure.us/openai/deployments/gpt-4o", K.AZURE_OPENAI),
        ("https://res.openai.azure.cn/openai/deployments/gpt-4o", K.AZURE_OPENAI),
        ("https://res.openai.azure.com/openai/v1", K.OPENAI_V1),
        ("https://res.services.ai.azure.com/openai/v1/", K.OPENAI_V1),
        ("https://my-llama.eastus2.inference.ai.azure.com", K.SERVERLESS),
        ("https://my-endpoint.westus.inference.ml.azure.com", K.SERVERLESS),
        ("https://Meta-Llama-3-1-8B.eastus2.models.ai.azure.com", K.SERVERLESS),
        ("https://models.github.ai/inference", K.GITHUB_MODELS),
        ("https://models.inference.ai.azure.com", K.GITHUB_MODELS),
        ("http://localhost:8000/v1", K.OPENAI_COMPATIBLE),
        ("http://127.0.0.1:8765", K.OPENAI_COMPATIBLE),
        ("https://api.example.com/v1", K.OPENAI_COMPATIBLE),
        # The emulator's routes on loopback, and the same shapes behind a proxy.
        ("http://127.0.0.1:8765/models", K.FOUNDRY),
        ("http://127.0.0.1:8765/api/models", K.FOUNDRY),
        ("http://127.0.0.1:8765/openai/deployments/phi-4-multimodal-instruct", K.AZURE_OPENAI),
        ("http://localhost:8765/openai/v1", K.OPENAI_V1),
        ("http://[::1]:8765/openai/v1", K.OPENAI_V1),
        ("https://apim.azure-api.net/openai/deployments/gpt-4o", K.AZURE_OPENAI),
    ],
)
def test_detection(url: str, kind: EndpointKind) -> None:
    assert detect_endpoint_kind(url) is kind
    assert resolve_endpoint(url).kind is kind


@pytest.mark.parametrize(
    ("url", "api_version", "scopes", "model_required", "native", "info"),
    [
        ("https://r.services.ai.azure.com/models", SDK_DEFAULT, COGNITIVE, False, False, True),
        ("https://r.openai.azure.com/openai/deployments/d", "2025-01-01-preview", COGNITIVE, False, True, False),
        ("https://r.openai.azure.com/openai/v1", None, (AZURE_AI_SCOPE,), True, True, False),
        ("https://e.eastus2.inference.ai.azure.com", SDK_DEFAULT, (AZURE_ML_SCOPE,), False, False, True),
        ("https://models.github.ai/inference", SDK_DEFAULT, (), False, False, False),
        ("http://localhost:8000/v1", SDK_DEFAULT, (), False, True, False),
        ("https://api.example.com/v1", SDK_DEFAULT, (), False, True, False),
        # The emulator's root serves the Azure AI protocol: /info, and stream_options only as an extra parameter.
        ("http://127.0.0.1:8765", SDK_DEFAULT, (), False, False, True),
        ("http://127.0.0.1:8765/models", SDK_DEFAULT, (), False, False, True),
        ("http://127.0.0.1:8765/openai/deployments/d", AOAI_MIN_AUDIO_API_VERSION, (), False, True, False),
        ("http://127.0.0.1:8765/openai/v1", None, (), True, True, False),
    ],
)
def test_settings_per_kind(
    url: str, api_version: str | None, scopes: tuple[str, ...], model_required: bool, native: bool, info: bool
) -> None:
    settings = resolve_endpoint(url)
    assert settings.api_version == api_version
    assert settings.credential_scopes == scopes
    assert (settings.model_required, settings.native_stream_options, settings.has_model_info) == (
        model_required,
        native,
        info,
    )


def test_sovereign_azure_openai_gets_its_clouds_scope() -> None:
    gov = resolve_endpoint("https://r.openai.azure.us/openai/deployments/d")
    china = resolve_endpoint("https://r.cognitiveservices.azure.cn/openai/deployments/d")
    assert gov.credential_scopes == ("https://cognitiveservices.azure.us/.default",)
    assert china.credential_scopes == ("https://cognitiveservices.azure.cn/.default",)


@pytest.mark.parametrize(
    ("pasted", "endpoint", "api_version"),
    [
        (
            "https://r.openai.azure.com/openai/deployments/gpt-4o/chat/completions?api-version=2024-10-21",
            "https://r.openai.azure.com/openai/deployments/gpt-4o",
            "2024-10-21",
        ),
        (
            "https://R.Services.AI.Azure.com/models/chat/completions/",
            "https://r.services.ai.azure.com/models",
            SDK_DEFAULT,
        ),
        ("  https://r.openai.azure.com/openai/v1/chat/completions\n", "https://r.openai.azure.com/openai/v1", None),
        ("https://r.services.ai.azure.com/", "https://r.services.ai.azure.com/models", SDK_DEFAULT),
        ("https://models.github.ai", "https://models.github.ai/inference", SDK_DEFAULT),
        ("http://127.0.0.1:8765/?x=1#frag", "http://127.0.0.1:8765", SDK_DEFAULT),
        ("http://[::1]:8765/models?api-version=2025-05-01", "http://[::1]:8765/models", "2025-05-01"),
        # Deployment names keep their case; only the host is lowercased.
        (
            "https://r.openai.azure.com/openai/deployments/GPT-4o/",
            "https://r.openai.azure.com/openai/deployments/GPT-4o",
            None,
        ),
    ],
)
def test_pasted_urls_are_normalised(pasted: str, endpoint: str, api_version: str | None) -> None:
    settings = resolve_endpoint(pasted)
    assert settings.endpoint == endpoint
    if api_version is not None:
        assert settings.api_version == api_version


def test_explicit_api_version_beats_the_pasted_one() -> None:
    url = "https://r.openai.azure.com/openai/deployments/d/chat/completions?api-version=2024-10-21"
    assert resolve_endpoint(url, api_version="2025-04-01-preview").api_version == "2025-04-01-preview"


def test_user_overrides() -> None:
    settings = resolve_endpoint(
        "http://127.0.0.1:8765", kind="serverless", api_version="2025-05-01", credential_scopes=["api://app/.default"]
    )
    assert (settings.kind, settings.api_version, settings.credential_scopes) == (
        K.SERVERLESS,
        "2025-05-01",
        ("api://app/.default",),
    )
    assert settings.has_model_info and not settings.native_stream_options
    assert resolve_endpoint("http://127.0.0.1:8765", kind="azure-openai").native_stream_options
    # Kind strings are forgiving about case and underscores; a lone scope string is one scope.
    assert resolve_endpoint("https://proxy.example.com/aoai", kind="AZURE_OPENAI").kind is K.AZURE_OPENAI
    assert resolve_endpoint("https://r.services.ai.azure.com/models", credential_scopes="s").credential_scopes == ("s",)
    assert resolve_endpoint("https://r.services.ai.azure.com/models", credential_scopes=[]).credential_scopes == ()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (
            lambda: resolve_endpoint("my-resource.openai.azure.com"),
            "endpoint must be an http(s) URL such as https://<resource>.services.ai.azure.com/models; "
            "got 'my-resource.openai.azure.com'",
        ),
        (
            lambda: resolve_endpoint("ftp://example.com/models?key=SECRET"),
            "endpoint must be an http(s) URL such as https://<resource>.services.ai.azure.com/models; "
            "got 'ftp://example.com/models'",
        ),
        (lambda: resolve_endpoint(""), "got ''"),
        (lambda: resolve_endpoint("https://<resource>.openai.azure.com/openai/v1"), "got 'https://<resource>"),
        (lambda: resolve_endpoint("https://host:99999/"), "endpoint must be an http(s) URL"),
        (lambda: resolve_endpoint(42), "got a int"),  # type: ignore[arg-type]
        (
            lambda: resolve_endpoint("https://user:hunter2@r.openai.azure.com/openai/v1"),
            "endpoint must not carry credentials before '@'; pass the key as the credential instead",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com/openai/v1", api_version="2024-10-21"),
            "/openai/v1 endpoints take no api-version (https://r.openai.azure.com/openai/v1); "
            "remove api_version='2024-10-21'",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com/openai/v1/chat/completions?api-version=preview"),
            "/openai/v1 endpoints take no api-version (https://r.openai.azure.com/openai/v1); "
            "remove '?api-version=…' from the URL",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com/openai/v1", kind="azure"),
            "unknown endpoint kind 'azure'; use one of: foundry, azure-openai, openai-v1, serverless, github-models, "
            "openai-compatible",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com/openai/deployments/d", api_version="v2025"),
            "api_version 'v2025' does not look like an Azure OpenAI API version: use YYYY-MM-DD or "
            "YYYY-MM-DD-preview, such as '2025-01-01-preview'",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com/models", kind="foundry", api_version=" "),
            "api_version is empty",
        ),
        (
            lambda: resolve_endpoint("https://r.openai.azure.com"),
            "Azure OpenAI endpoint https://r.openai.azure.com names no deployment: use "
            "https://r.openai.azure.com/openai/deployments/<deployment> or https://r.openai.azure.com/openai/v1",
        ),
    ],
)
def test_endpoint_errors_say_what_to_change(call: Any, message: str) -> None:
    with pytest.raises(EndpointError) as caught:
        call()
    assert message in str(caught.value)
    assert "SECRET" not in str(caught.value) and "hunter2" not in str(caught.value)


def test_endpoint_error_is_a_value_error() -> None:
    assert issubclass(EndpointError, ValueError)


@pytest.mark.parametrize(
    ("api_version", "audio"),
    [("2024-10-21", False), ("2024-12-01-preview", False), ("2025-01-01-preview", True), ("2025-04-01", True)],
)
def test_audio_needs_a_recent_api_version_on_azure_openai_only(api_version: str, audio: bool) -> None:
    assert (
        resolve_endpoint(
            "https://r.openai.azure.com/openai/deployments/d", api_version=api_version
        ).supports_audio_input()
        is audio
    )
    assert resolve_endpoint("https://r.services.ai.azure.com/models", api_version=api_version).supports_audio_input()
    assert resolve_endpoint("https://r.openai.azure.com/openai/v1").supports_audio_input()


_pieces = st.sampled_from(
    [
        "http",
        "https",
        "ftp",
        "://",
        "/",
        "?",
        "#",
        "&",
        "=",
        ":",
        "@",
        "[",
        "]",
        "%",
        " ",
        "\n",
        ".",
        "-",
        "localhost",
        "127.0.0.1",
        "::1",
        "r.openai.azure.com",
        "models.github.ai",
        "x.services.ai.azure.com",
        "openai",
        "v1",
        "deployments",
        "models",
        "api",
        "chat",
        "completions",
        "api-version",
        "2024-10-21",
        "é",
    ]
)


@given(st.one_of(st.text(max_size=80), st.lists(_pieces, max_size=14).map("".join)))
def test_resolve_endpoint_raises_only_endpoint_error_and_never_keeps_a_query(text: str) -> None:
    try:
        settings = resolve_endpoint(text)
    except EndpointError:
        return
    assert "?" not in settings.endpoint and "#" not in settings.endpoint
    assert not settings.endpoint.endswith("/")
    again = resolve_endpoint(settings.endpoint, kind=settings.kind, api_version=settings.api_version)
    assert again == settings  # resolving is idempotent
