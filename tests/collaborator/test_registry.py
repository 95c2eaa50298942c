"""Agent URLs from settings, validated, reloadable."""

from __future__ import annotations

import pytest

from agents.collaborator.registry import Registry, normalize_agent_url


def test_urls_are_normalised_and_deduplicated() -> None:
    registry = Registry(lambda: ["http://127.0.0.1:10006/", "http://127.0.0.1:10006", "https://perf.internal"])
    assert registry.urls() == ("http://127.0.0.1:10006", "https://perf.internal")


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("ftp://agent", "is not an http:// or https:// URL"),
        ("http://", "is not an http:// or https:// URL"),
        ("http://user:secret@agent:1", "carries credentials"),
        ("http://agent/?x=1", "has a query or fragment"),
        ("http://agent:99999", "has an invalid port"),
    ],
)
def test_unusable_urls_are_refused_with_the_reason(url: str, complaint: str) -> None:
    with pytest.raises(ValueError, match=complaint) as info:
        normalize_agent_url(url)
    assert "secret" not in str(info.value)


def test_reload_picks_up_added_and_removed_agents() -> None:
    source = ["http://a:1", "http://b:2"]
    registry = Registry(lambda: list(source))
    source[:] = ["http://b:2", "http://c:3"]
    assert registry.reload() == ({"http://c:3"}, {"http://a:1"})
    assert registry.urls() == ("http://b:2", "http://c:3")


def test_a_bad_reload_keeps_the_current_agents() -> None:
    source = ["http://a:1"]
    registry = Registry(lambda: list(source))
    source[:] = ["nonsense"]
    assert registry.reload() == (set(), set())
    assert registry.urls() == ("http://a:1",)
