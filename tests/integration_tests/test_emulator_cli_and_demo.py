"""The console script and the README demo."""

from __future__ import annotations

import http.client
import json
import os
import signal
import subprocess
import sys
from collections.abc import Callable

import pytest

from langchain_azure_multimodal import demo
from langchain_azure_multimodal.emulator import Emulator


def test_console_script_serves_until_terminated() -> None:
    env = {**os.environ, "AZURE_INFERENCE_CREDENTIAL": "cli-key"}
    process = subprocess.Popen(
        [sys.executable, "-m", "langchain_azure_multimodal.emulator.cli", "--port", "0", "--model", "gpt-4o"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        banner = process.stdout.readline()
        assert "serving gpt-4o at http://127.0.0.1:" in banner
        port = int(banner.rsplit(":", 1)[1])
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        body = json.dumps({"messages": [{"role": "user", "content": "hi"}]})
        connection.request(
            "POST",
            "/chat/completions?api-version=2024-05-01-preview",
            body,
            {"api-key": "cli-key", "Content-Type": "application/json"},
        )
        reply = connection.getresponse()
        assert reply.status == 200
        assert json.loads(reply.read())["model"] == "gpt-4o"
        connection.close()
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert process.stdout is not None
        process.stdout.close()


def test_console_script_reports_a_port_in_use() -> None:
    with Emulator() as emu:
        port = emu.port
        result = subprocess.run(
            [sys.executable, "-m", "langchain_azure_multimodal.emulator.cli", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=30,
        )
    assert result.returncode == 2
    assert f"cannot bind 127.0.0.1:{port}: " in result.stderr
    assert "address already in use" in result.stderr


def test_binds_loopback_unless_told_otherwise() -> None:
    with Emulator() as emu:
        assert emu.endpoint.startswith("http://127.0.0.1:")


def test_endpoint_for_every_kind() -> None:
    with Emulator("gpt-4o") as emu:
        assert emu.endpoint_for("foundry").endswith("/models")
        assert emu.endpoint_for("azure-openai").endswith("/openai/deployments/gpt-4o")
        assert emu.endpoint_for("openai-v1").endswith("/openai/v1")
        with pytest.raises(ValueError, match="unknown endpoint kind"):
            emu.endpoint_for("github")
    with pytest.raises(RuntimeError, match="not running"):
        _ = emu.endpoint


async def test_async_emulator() -> None:
    from langchain_azure_multimodal.emulator import AsyncEmulator

    async with AsyncEmulator(api_key="k") as emu:
        import aiohttp

        async with (
            aiohttp.ClientSession() as session,
            session.post(
                emu.endpoint + "/chat/completions?api-version=2025-05-01",
                headers={"api-key": "k"},
                json={"messages": [{"role": "user", "content": "async"}]},
            ) as reply,
        ):
            assert reply.status == 200
            assert (await reply.json())["choices"][0]["message"]["content"].endswith('"async"')


def test_the_readme_demo_runs_offline(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AZURE_INFERENCE_ENDPOINT", raising=False)
    assert demo.main() == 0
    printed = capsys.readouterr().out
    assert "Using the embedded Azure AI Model Inference emulator" in printed
    assert "Image -> [emulator:phi-4-multimodal-instruct] Received 1 image: #1 png 640x400" in printed
    assert "Audio -> [emulator:phi-4-multimodal-instruct] Received 1 audio clip: #1 wav 1.00 s" in printed
    assert "Streaming -> [emulator:" in printed
    assert "Usage of the three calls:" in printed


def test_the_demo_uses_your_endpoint_when_the_env_says_so(
    emulator: Emulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.conftest import API_KEY

    monkeypatch.setenv("AZURE_INFERENCE_ENDPOINT", emulator.endpoint_for("openai-v1"))
    monkeypatch.setenv("AZURE_INFERENCE_CREDENTIAL", API_KEY)
    monkeypatch.setenv("AZURE_INFERENCE_MODEL", emulator.model)
    assert demo.main() == 0
    printed = capsys.readouterr().out
    assert f"Using your endpoint {emulator.endpoint_for('openai-v1')} (openai-v1)" in printed
    assert len(emulator.requests) == 3
    assert all(r.path == "/openai/v1/chat/completions" for r in emulator.requests)


def _demo_env(emulator: Emulator, kind: str) -> dict[str, str]:
    from tests.conftest import API_KEY

    return {
        **os.environ,
        "AZURE_INFERENCE_ENDPOINT": emulator.endpoint_for(kind),
        "AZURE_INFERENCE_CREDENTIAL": API_KEY,
        "AZURE_INFERENCE_MODEL": emulator.model,
    }


def test_the_demo_skips_audio_on_a_gpt_4o_deployment(emulator_factory: Callable[..., Emulator]) -> None:
    emulator = emulator_factory("gpt-4o")
    result = subprocess.run(
        [sys.executable, "-m", "langchain_azure_multimodal.demo"],
        capture_output=True,
        text=True,
        timeout=60,
        env=_demo_env(emulator, "azure-openai"),
    )
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert "skipping the audio step: gpt-4o takes no audio input\n" in result.stdout
    assert "skipping the speech step: gpt-4o does not answer in audio\n" in result.stdout
    assert "Image -> [emulator:gpt-4o] Received 1 image" in result.stdout
    assert "Audio ->" not in result.stdout
    assert "Usage of the two calls:" in result.stdout
    assert len(emulator.requests) == 2  # the image and the stream; no audio was sent to be refused


def test_the_demo_skips_the_image_on_an_audio_only_deployment(
    emulator_factory: Callable[..., Emulator], capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    emulator = emulator_factory("gpt-4o-audio-preview")
    for name, value in _demo_env(emulator, "openai-v1").items():
        monkeypatch.setenv(name, value)
    assert demo.main() == 0
    printed = capsys.readouterr().out
    assert "skipping the image step: gpt-4o-audio-preview takes no image input\n" in printed
    assert "Audio -> [emulator:gpt-4o-audio-preview] Received 1 audio clip" in printed
    assert "Image ->" not in printed
    # The model speaks, so the demo asks for a spoken answer too: real audio, referred to later by its id.
    assert "Speech -> [emulator:gpt-4o-audio-preview] " in printed
    assert " bytes of wav; later turns refer to it by id audio_" in printed
    assert emulator.requests[-2].body["modalities"] == ["text", "audio"]
