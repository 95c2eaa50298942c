"""Which fix a question's window is cut at: the newest one that changed any of its hosts."""

from __future__ import annotations

from agents.performance.applied import AppliedFix
from agents.performance.post_fix import last_fix_on

OLDER = AppliedFix(at=100.0, plan_id="p1", hosts=["i-0aaaaaaaaaaaaaaaa"])
NEWER = AppliedFix(at=200.0, plan_id="p2", hosts=["i-0aaaaaaaaaaaaaaaa", "i-0bbbbbbbbbbbbbbbb"])
ELSEWHERE = AppliedFix(at=300.0, plan_id="p3", hosts=["i-0cccccccccccccccc"])


def test_the_newest_fix_on_a_host_wins_over_an_older_one() -> None:
    assert last_fix_on([OLDER, NEWER, ELSEWHERE], ["i-0aaaaaaaaaaaaaaaa"]) is NEWER


def test_a_fix_counts_when_any_one_of_its_hosts_is_asked_about() -> None:
    assert last_fix_on([OLDER, NEWER], {"i-0bbbbbbbbbbbbbbbb": {"10.0.2.20"}}) is NEWER


def test_no_fix_when_none_changed_these_hosts_or_no_host_is_named() -> None:
    assert last_fix_on([OLDER, NEWER], ["i-0dddddddddddddddd"]) is None
    assert last_fix_on([OLDER, NEWER], ()) is None
    assert last_fix_on([], ["i-0aaaaaaaaaaaaaaaa"]) is None
