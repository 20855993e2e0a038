"""Suite-wide fixtures: emulators, generated media, and the spec check of every request the suite sends.

Every chat request any emulator records during a test is validated against the published spec
(``ChatCompletionsOptions`` in ``openapi-2025-05-01.json``) when the test ends; a test that sends invalid bodies on
purpose says so with ``@pytest.mark.spec_exempt(reason=...)``. The spec is found through
``$AZURE_AI_INFERENCE_SPEC`` (default ``../shared/spec/...``). Outside CI a missing spec skips the check with a
stated reason; in CI (``CI`` set) it is an error.

Requests to the Azure OpenAI routes are read by OpenAI's protocol, not the spec's: there the check drops what that
protocol adds or widens (its own parameters; values in its wider ranges; a lone ``stop`` string) as
``protocols.RULES`` says, and validates the rest (messages, tools, formats) against the spec.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from langchain_azure_multimodal.emulator import Emulator, RecordedRequest
from langchain_azure_multimodal.emulator.script import Script
from langchain_azure_multimodal.endpoints import CHAT_COMPLETIONS_PATH, resolve_endpoint
from langchain_azure_multimodal.protocols import RULES, Protocol
from tests.spec_validation import SPEC_ENV_VAR, SpecValidator, default_spec_path
from tests.support.media import image_bytes

pytest_plugins = ["pytester"]

API_KEY = "test-key-0123456789"


@pytest.fixture
def deep(tmp_path: Path) -> Iterator[Path]:
    """A photo 1,500 folders down (``d/d/.../d/deep.png``, 3,000 characters: within PATH_MAX); taken down bottom up,
    as a recursive remover would reach Python's recursion limit on it."""
    top = folder = tmp_path / "deep"
    top.mkdir()
    for _ in range(1_500):  # one mkdir each: os.makedirs recurses once per missing folder
        folder = folder / "d"
        folder.mkdir()
    (folder / "deep.png").write_bytes(image_bytes(16, 16, "PNG"))
    yield top
    (folder / "deep.png").unlink()
    while folder != top:
        folder.rmdir()
        folder = folder.parent


@pytest.fixture(scope="session")
def spec_validator() -> SpecValidator | None:
    path = default_spec_path()
    if path.is_file():
        return SpecValidator.from_path(path)
    if os.environ.get("CI"):
        pytest.fail(f"the published spec is missing at {path}; CI must check every request (set ${SPEC_ENV_VAR})")
    return None


@pytest.fixture(autouse=True)
def _spec_check_every_request(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch, spec_validator: SpecValidator | None
) -> Iterator[None]:
    recorded: list[RecordedRequest] = []
    original = Script.record

    def record(self: Script, call: RecordedRequest) -> None:
        recorded.append(call)
        original(self, call)

    monkeypatch.setattr(Script, "record", record)
    yield
    exempt = request.node.get_closest_marker("spec_exempt")
    # A request refused before its body was read (its key, its api-version) is recorded with no body: nothing to check.
    chat_posts = [r for r in recorded if r.method == "POST" and r.path.endswith("/chat/completions") and r.body_read]
    if exempt or not chat_posts:
        return
    if spec_validator is None:
        pytest.skip(f"spec check skipped: no spec at {default_spec_path()} (set ${SPEC_ENV_VAR})")
    problems = []
    for call in chat_posts:
        errors = spec_validator.errors("ChatCompletionsOptions", _as_the_spec_reads_it(call))
        if errors:
            problems.append(f"{call.method} {call.path}: " + "; ".join(errors))
    assert not problems, "requests that break the published spec:\n" + "\n".join(problems)


def _as_the_spec_reads_it(call: RecordedRequest) -> object:
    """The part of a request body the Model Inference spec governs on the route it was sent to."""
    endpoint = "http://127.0.0.1" + call.path.removesuffix(CHAT_COMPLETIONS_PATH)
    if not isinstance(call.body, dict) or resolve_endpoint(endpoint).protocol is not Protocol.OPENAI:
        return call.body
    rules = RULES[Protocol.OPENAI]
    body = {key: value for key, value in call.body.items() if key not in rules.native_parameters}
    for name in rules.ranges:
        if name in body and rules.out_of_range(name, body[name]) is None:
            del body[name]  # in OpenAI's range: the spec's narrower one does not apply there
    if "model" in body and body["model"] is None:  # AzureChatOpenAI sends "model": null beside a deployment
        del body["model"]
    if isinstance(body.get("stop"), str):
        body["stop"] = [body["stop"]]
    return body


@pytest.fixture
def emulator_factory() -> Iterator[Callable[..., Emulator]]:
    """Start emulators (``factory(model, **kwargs)``); all are stopped when the test ends."""
    started: list[Emulator] = []

    def factory(model: str = "phi-4-multimodal-instruct", **kwargs: object) -> Emulator:
        kwargs.setdefault("api_key", API_KEY)
        emulator = Emulator(model, **kwargs).start()  # type: ignore[arg-type]
        started.append(emulator)
        return emulator

    yield factory
    for emulator in started:
        emulator.stop()


@pytest.fixture
def emulator(emulator_factory: Callable[..., Emulator]) -> Emulator:
    """A phi-4-multimodal-instruct emulator that wants :data:`API_KEY`."""
    return emulator_factory()
