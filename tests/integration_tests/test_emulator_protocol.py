"""The emulator's wire protocol, spoken over raw HTTP: routes, auth, api-version, validation, extra parameters."""

from __future__ import annotations

import pytest

from langchain_azure_multimodal.emulator import Emulator
from tests.support.http import call, user

pytestmark = pytest.mark.usefixtures("emulator")


@pytest.mark.parametrize(
    ("path", "query"),
    [
        ("/chat/completions", {"api-version": "2024-05-01-preview"}),
        ("/models/chat/completions", {"api-version": "2024-05-01-preview"}),
        ("/api/models/chat/completions", {"api-version": "2025-05-01"}),
        ("/openai/deployments/phi-4-multimodal-instruct/chat/completions", {"api-version": "2025-01-01-preview"}),
        ("/openai/v1/chat/completions", {}),
    ],
)
def test_chat_completions_answers_on_every_endpoint_shape(emulator: Emulator, path: str, query: dict[str, str]) -> None:
    body = user("Hi there")
    if path.startswith("/openai/v1"):
        body["model"] = "phi-4-multimodal-instruct"
    reply = call(emulator, path, body, query=query)
    assert reply.status == 200, reply.text
    completion = reply.json
    assert completion["object"] == "chat.completion"
    assert completion["model"] == "phi-4-multimodal-instruct"
    assert completion["choices"][0]["message"]["role"] == "assistant"
    assert 'Last user text: "Hi there"' in completion["choices"][0]["message"]["content"]
    assert emulator.requests[-1].path == path


@pytest.mark.parametrize(
    "path",
    ["/chat/completions", "/models/chat/completions", "/openai/deployments/phi-4-multimodal-instruct/chat/completions"],
)
def test_routes_with_an_api_version_refuse_a_request_without_one(emulator: Emulator, path: str) -> None:
    reply = call(emulator, path, user(), query={})
    assert reply.status == 400
    assert reply.error["code"] == "MissingApiVersionParameter"
    assert "api-version" in reply.error["message"]


def test_v1_route_refuses_an_api_version(emulator: Emulator) -> None:
    reply = call(
        emulator,
        "/openai/v1/chat/completions",
        {**user(), "model": "phi-4-multimodal-instruct"},
        query={"api-version": "2024-05-01-preview"},
    )
    assert reply.status == 400
    assert "not allowed" in reply.error["message"]


def test_v1_route_requires_the_model_naming_the_deployment(emulator: Emulator) -> None:
    reply = call(emulator, "/openai/v1/chat/completions", user())
    assert reply.status == 400
    assert reply.error["target"] == "model"


def test_unknown_deployments_and_models_are_refused(emulator: Emulator) -> None:
    missing = call(
        emulator, "/openai/deployments/gpt-5/chat/completions", user(), query={"api-version": "2025-01-01-preview"}
    )
    assert (missing.status, missing.error["code"]) == (404, "DeploymentNotFound")
    unknown = call(emulator, "/models/chat/completions", {**user(), "model": "gpt-5"})
    assert (unknown.status, unknown.error["code"]) == (400, "unknown_model")


def test_foundry_route_picks_the_model_named_in_the_body(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emu = emulator_factory("phi-4-multimodal-instruct", models=["gpt-4o"])
    reply = call(emu, "/models/chat/completions", {**user(), "model": "GPT-4o"})
    assert reply.json["model"] == "gpt-4o"
    assert reply.json["choices"][0]["message"]["content"].startswith("[emulator:gpt-4o]")


def test_model_info_on_routes_that_have_it(emulator: Emulator) -> None:
    for path in ("/info", "/models/info"):
        reply = call(emulator, path)
        assert reply.status == 200
        assert reply.json == {
            "model_name": "phi-4-multimodal-instruct",
            "model_type": "chat-completion",
            "model_provider_name": "Microsoft",
        }
    assert call(emulator, "/openai/deployments/phi-4-multimodal-instruct/info").status == 404
    assert call(emulator, "/info", query={}).status == 400


@pytest.mark.parametrize(
    "headers",
    [{"api-key": "test-key-0123456789"}, {"Authorization": "Bearer test-key-0123456789"}],
    ids=["api-key", "bearer"],
)
def test_either_auth_header_is_accepted(emulator: Emulator, headers: dict[str, str]) -> None:
    assert call(emulator, body=user(), key=None, headers=headers).status == 200


@pytest.mark.parametrize("key", [None, "wrong-key"], ids=["missing", "wrong"])
def test_missing_or_wrong_key_gets_401_in_azure_error_shape(emulator: Emulator, key: str | None) -> None:
    reply = call(emulator, body=user(), key=key)
    assert reply.status == 401
    assert reply.error["code"] == "401"
    assert "invalid subscription key" in reply.error["message"]
    assert reply.headers["x-ms-error-code"] == "401"


def test_emulator_without_a_key_accepts_any(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emu = emulator_factory(api_key=None)
    assert call(emu, body=user(), key=None).status == 200
    assert call(emu, body=user(), key="anything").status == 200


@pytest.mark.spec_exempt(reason="sends invalid bodies to check the emulator refuses them")
@pytest.mark.parametrize(
    ("body", "target", "words"),
    [
        ({}, "messages", "Field required"),
        ({"messages": []}, "messages", "at least 1"),
        ({"messages": [{"role": "chat", "content": "x"}]}, "messages[0]", "unknown role 'chat'"),
        (
            {"messages": [{"role": "user", "content": [{"type": "image"}]}]},
            "messages[0].content[0]",
            "unknown type 'image'",
        ),
        (
            {"messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {}}]}]},
            "messages[0].content[0].image_url.url",
            "Field required",
        ),
        (
            {
                "messages": [
                    {
                        "role": "user",
                        "content": [{"type": "input_audio", "input_audio": {"data": "AA==", "format": "ogg"}}],
                    }
                ]
            },
            "messages[0].content[0].input_audio.format",
            "'wav' or 'mp3'",
        ),
        ({**user(), "temperature": 1.5}, "temperature", "less than or equal to 1"),
        ({**user(), "stop": []}, "stop", "at least 1"),
        ({"messages": [{"role": "tool", "content": "x"}]}, "messages[0].tool_call_id", "Field required"),
        ({**user(), "tool_choice": "any"}, "tool_choice", "'auto', 'none' or 'required'"),
        (
            {**user(), "response_format": {"type": "json_schema", "json_schema": {"schema": {}}}},
            "response_format.json_schema.name",
            "Field required",
        ),
    ],
)
def test_invalid_bodies_get_400_naming_the_field(emulator: Emulator, body: dict, target: str, words: str) -> None:
    reply = call(emulator, body=body)
    assert reply.status == 400, reply.text
    assert reply.error["code"] == "BadRequest"
    assert reply.error["target"] == target
    assert reply.error["message"].startswith(f"{target}: ")
    assert words in reply.error["message"]


@pytest.mark.spec_exempt(reason="sends bodies that are not JSON objects")
@pytest.mark.parametrize(
    "raw",
    [b"not json", b"[1, 2]", b"\xff\xfe", b"", b'{"seed": ' + b"9" * 5000 + b"}", b"[" * 100_000 + b"]" * 100_000],
    ids=["text", "array", "not utf-8", "empty", "a number past the digit limit", "nested 100k deep"],
)
def test_non_json_bodies_get_400(emulator: Emulator, raw: bytes) -> None:
    # The last two once answered 500 "The emulator failed: ValueError/RecursionError" (issue 16).
    reply = call(emulator, raw=raw, method="POST")
    assert reply.status == 400
    assert "JSON object" in reply.error["message"]


def test_unknown_parameters_get_422_by_default_and_with_error(emulator: Emulator) -> None:
    for headers in ({}, {"extra-parameters": "error"}):
        reply = call(emulator, body={**user(), "foo": 1, "top_k": 5}, headers=headers)
        assert reply.status == 422
        assert "'foo'" in reply.error["message"] and "'top_k'" in reply.error["message"]
        assert [d["target"] for d in reply.error["details"]] == ["foo", "top_k"]


def test_drop_ignores_unknown_parameters(emulator: Emulator) -> None:
    reply = call(emulator, body={**user(), "top_k": 5}, headers={"extra-parameters": "drop"})
    assert reply.status == 200
    assert "top_k" not in reply.json["choices"][0]["message"]["content"]


def test_pass_through_reaches_the_model_and_the_answer_says_so(emulator: Emulator) -> None:
    reply = call(emulator, body={**user(), "top_k": 5, "safe_mode": True}, headers={"extra-parameters": "pass-through"})
    assert reply.status == 200
    assert "Extra parameters passed through: top_k=5, safe_mode=true." in reply.json["choices"][0]["message"]["content"]
    assert emulator.requests[-1].body["top_k"] == 5  # the recording keeps the body as sent


def test_openai_routes_know_openai_parameters(emulator: Emulator) -> None:
    body = {**user(), "model": "phi-4-multimodal-instruct", "max_completion_tokens": 50, "user": "u1"}
    assert call(emulator, "/openai/v1/chat/completions", body).status == 200
    assert call(emulator, "/models/chat/completions", body).status == 422


def test_an_invalid_extra_parameters_value_is_refused(emulator: Emulator) -> None:
    reply = call(emulator, body=user(), headers={"extra-parameters": "keep"})
    assert reply.status == 400
    assert reply.error["target"] == "extra-parameters"


def test_unknown_routes_and_methods_get_azure_errors(emulator: Emulator) -> None:
    assert call(emulator, "/nope", user()).error["code"] == "404"
    reply = call(emulator, "/chat/completions", method="GET")
    assert reply.status == 405
    assert reply.error["code"] == "MethodNotAllowed"


@pytest.mark.spec_exempt(reason="sends a body over the size cap")
def test_a_body_over_the_cap_gets_413(emulator_factory) -> None:  # type: ignore[no-untyped-def]
    emu = emulator_factory(max_body_bytes=1024)
    reply = call(emu, body=user("x" * 4096))
    assert reply.status == 413
    assert reply.error["code"] == "RequestEntityTooLarge"
    assert call(emu, body=user("small")).status == 200  # still serving


def test_huge_headers_get_an_error_not_a_crash(emulator: Emulator) -> None:
    reply = call(emulator, body=user(), headers={"x-huge": "a" * 100_000})
    assert 400 <= reply.status < 500
    assert call(emulator, body=user()).status == 200
