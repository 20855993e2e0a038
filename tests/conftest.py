"""Suite-wide fixtures: emulators, generated media, and the spec check of every request the suite sends.

Every chat request any emulator records during a test is validated against the published spec
(``ChatCompletionsOptions`` in ``openapi-2025-05-01.json``) when the test ends; a test that sends invalid bodies on
purpose says so with ``@pytest.mark.spec_exempt(reason=...)``. The spec is found through
``$AZURE_AI_INFERENCE_SPEC`` (default ``../shared/spec/...``). Outside CI a missing spec skips the check with a
stated reason; in CI (``CI`` set) it is an error.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator

import pytest

from langchain_azure_multimodal.emulator import Emulator, RecordedRequest
from langchain_azure_multimodal.emulator.script import Script
from tests.spec_validation import SPEC_ENV_VAR, SpecValidator, default_spec_path

pytest_plugins = ["pytester"]

API_KEY = "test-key-0123456789"


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
    chat_posts = [r for r in recorded if r.method == "POST" and r.path.endswith("/chat/completions")]
    if exempt or not chat_posts:
        return
    if spec_validator is None:
        pytest.skip(f"spec check skipped: no spec at {default_spec_path()} (set ${SPEC_ENV_VAR})")
    problems = []
    for call in chat_posts:
        errors = spec_validator.errors("ChatCompletionsOptions", call.body)
        if errors:
            problems.append(f"{call.method} {call.path}: " + "; ".join(errors))
    assert not problems, "requests that break the published spec:\n" + "\n".join(problems)


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
