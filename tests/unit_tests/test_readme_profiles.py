"""The README's profile table says what the profiles module says."""

from __future__ import annotations

import re
from pathlib import Path

from langchain_azure_multimodal.profiles import DEFAULT_PROFILE, PROFILES

README = Path(__file__).resolve().parents[2] / "README.md"


def _tokens(value: int | None) -> str:
    return "unknown" if value is None else f"{value:,}"


def _yes_no(value: bool | None) -> str:
    return "unknown" if value is None else "yes" if value else "no"


def test_the_readme_profile_table_matches_the_profiles() -> None:
    section = README.read_text().split("## Media and limits", 1)[1].split("\n## ", 1)[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| ([^|]+?) \| (.+) \|$", section, re.M)}
    for profile in [*PROFILES.values(), DEFAULT_PROFILE]:
        name = profile.name if profile is not DEFAULT_PROFILE else "any other name (default)"
        images = f"{profile.max_images_per_request} / {profile.max_images_per_turn}" if profile.image_input else "no"
        system = "yes" if profile.system_messages else "merged into the user turn"
        tokens = f"{_tokens(profile.max_input_tokens)} / {_tokens(profile.max_output_tokens)}"
        said = (profile.tool_calling, profile.structured_output, profile.audio_output)
        outputs = " | ".join(_yes_no(value) for value in said)
        expected = f"{images} | {_yes_no(profile.audio_input)} | {system} | 20 MiB / 20 MiB | {tokens} | {outputs}"
        assert rows.get(name) == expected, name
