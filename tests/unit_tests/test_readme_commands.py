"""The README's two set-up commands are what CI and users run; keep them honest."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def readme_commands() -> list[str]:
    return re.findall(r"```bash\n(python3 -m venv .*?)\n```", (ROOT / "README.md").read_text())


def test_the_readme_has_exactly_two_setup_commands() -> None:
    demo, tests = readme_commands()
    assert demo.endswith("python -m langchain_azure_multimodal.demo")
    assert tests.endswith("python -m pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    _, tests = readme_commands()
    lines = (ROOT / ".ci" / "run").read_text().splitlines()
    assert tests in lines
