"""Counted nouns: the singular exactly when the number as shown is 1."""

from __future__ import annotations

import pytest

from agents.plural import counted


@pytest.mark.parametrize(
    ("count", "spec", "expected"),
    [(0, "", "0 flows"), (1, "", "1 flow"), (2, "", "2 flows"), (1.0, ".0f", "1 flow"), (1.4, ".1f", "1.4 flows")],
)
def test_the_noun_is_singular_only_when_the_shown_number_is_one(count: float, spec: str, expected: str) -> None:
    assert counted(count, "flow", spec=spec) == expected


def test_thousands_separators_and_irregular_plurals() -> None:
    assert counted(3120, "token", spec=",") == "3,120 tokens"
    assert counted(2, "query", "queries") == "2 queries"
