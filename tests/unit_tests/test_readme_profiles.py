"""The README's profile table says what the profiles module says."""

from __future__ import annotations

import re
from pathlib import Path

from langchain_azure_multimodal.profiles import DEFAULT_PROFILE, PROFILES

README = Path(__file__).resolve().parents[2] / "README.md"


def test_the_readme_profile_table_matches_the_profiles() -> None:
    section = README.read_text().split("## Media and limits", 1)[1].split("\n## ", 1)[0]
    rows = {m.group(1): m.group(2) for m in re.finditer(r"^\| ([^|]+?) \| (.+) \|$", section, re.M)}
    for profile in [*PROFILES.values(), DEFAULT_PROFILE]:
        name = profile.name if profile is not DEFAULT_PROFILE else "any other name (default)"
        images = f"{profile.max_images_per_request} / {profile.max_images_per_turn}" if profile.image_input else "no"
        system = "yes" if profile.system_messages else "merged into the user turn"
        expected = f"{images} | {'yes' if profile.audio_input else 'no'} | {system} | 20 MiB / 20 MiB"
        assert rows.get(name) == expected, name
