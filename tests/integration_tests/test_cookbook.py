"""Every cookbook example runs, offline, against the embedded emulator.

They run in this process (``runpy``), so the suite's spec check sees every request they send.
"""

from __future__ import annotations

import runpy
from pathlib import Path

import pytest

COOKBOOK = Path(__file__).resolve().parents[2] / "cookbook"
EXPECTED = {
    "emulator_with_the_raw_sdk.py": ["Received 1 image: #1 jpeg 1024x768", "saw 2 requests"],
    "describe_image_chain.py": ["[emulator:gpt-4o] Received 1 image: #1 png 640x400", "System prompt: yes."],
    "streaming_with_callbacks.py": ["tokens streamed to the callback; usage: {'input_tokens': 8"],
    "model_extras.py": [
        "passed through: safe_prompt=true, top_k=40.",
        "header sent: pass-through",
        'Last user text: "Hello again"',
        "refuses them (422)",
    ],
    "structured_chart_extraction.py": [
        "ChartData {'title': \"Extract the chart's data\", 'bars': [{'label': '', 'value': 0.0}]}",
        "response_format sent: ChartData",
    ],
    "describe_image_folder.py": [
        "described 3 images: chart.png, photo.jpg, sunset.gif",
        "  chart.png: 640x400, sha256 ",
        "detail=low, 134 tokens: [emulator:gpt-4o] Received 1 image: #1 png 512x320",
        "detail sent: low\n",
        "async: the same descriptions, in the same order",
        "top hit for 'the gif image': sunset.gif",
    ],
    "rag_over_images.py": [
        "indexed 4 images: app_screenshot.jpg, red_bars.png, sales_chart.png, sunset.gif",
        "tool call: search_images({'query': 'the jpeg screenshot'})",
        "sources: app_screenshot.jpg, ",
    ],
    "translate_audio_agent.py": [
        "tool call: translate_audio({'source': '",
        "'target_language': 'Spanish'})",
        "tool result: [emulator:phi-4-multimodal-instruct] Received 1 audio clip: #1 wav 3.00 s",
        'answer: [emulator:phi-4-multimodal-instruct] translate_audio returned "[emulator:',
        "the emulator saw 3 requests",
    ],
    "speech_to_speech_agent.py": [
        "tool call: translate_audio({'source': '",
        "'target_language': 'French'})",
        "spoken translation: memo.French.1.",
        "spoken reply: reply.wav",
        "refer to it in the next turn",
    ],
    "tracing_spans.py": [
        "span: chat gpt-4o (CLIENT)",
        "gen_ai.provider.name = 'azure.ai.openai'",
        "gen_ai.usage.input_tokens = 4",
        "event gen_ai.user.message: image image/png ",
        "bytes sha256 ",
    ],
    "ingest_folder.py": [
        "6 found, 0 already done, 6 done now, 0 failed",
        "6 found, 6 already done, 0 done now, 0 failed",
        "6 documents loaded back",
    ],
    "ingest_on_ray.py": ["ray: 8 images described, 8 ok", "first: chart0.png: [emulator:gpt-4o] Received 1 image"],
}


def test_every_example_is_listed() -> None:
    assert sorted(p.name for p in COOKBOOK.glob("[!_]*.py")) == sorted(EXPECTED)


#: Examples that need an optional package; the default suite skips them when it is missing (CI installs it).
NEEDS = {"ingest_on_ray.py": "ray"}


@pytest.mark.parametrize(
    "name", [pytest.param(n, marks=pytest.mark.ray) if n in NEEDS else n for n in sorted(EXPECTED)]
)
def test_example_runs(name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    if name in NEEDS:
        pytest.importorskip(NEEDS[name], reason=f"{name} needs {NEEDS[name]}; .ci/run installs it")
    monkeypatch.syspath_prepend(str(COOKBOOK))  # as when the script is run directly: its folder is on sys.path
    runpy.run_path(str(COOKBOOK / name), run_name="__main__")
    printed = capsys.readouterr().out
    for text in EXPECTED[name]:
        assert text in printed
