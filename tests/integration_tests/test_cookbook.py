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
}


def test_every_example_is_listed() -> None:
    assert sorted(p.name for p in COOKBOOK.glob("*.py")) == sorted(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_example_runs(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    runpy.run_path(str(COOKBOOK / name), run_name="__main__")
    printed = capsys.readouterr().out
    for text in EXPECTED[name]:
        assert text in printed
