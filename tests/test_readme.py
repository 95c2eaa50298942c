"""The README documents exactly the settings the code reads."""

from __future__ import annotations

from agents.readme_sync import README, START, with_reference


def test_readme_configuration_table_matches_settings() -> None:
    text = README.read_text()
    assert START in text
    assert with_reference(text) == text, "README drifted from the settings: run `uv run python -m agents.readme_sync`"
