"""Reading a reply against the thread's last answer: scope named, topic asked, scope carried. Pure."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from diagnosis_fixture import APP, DIAGNOSIS, LAST_5_MINUTES

from agents.collaborator.followups import about_last_answer, carried_scope, read_scope

NOW = datetime(2026, 12, 1, 16, 40, tzinfo=UTC)


@pytest.mark.parametrize(
    ("reply", "minutes"),
    [
        ("and what about the last 5 minutes?", 5),
        ("past hour?", 60),
        ("last 2 hours", 120),
        ("지난 5분만 다시 봐줘", 5),
        ("최근 3시간은?", 180),
    ],
)
def test_a_window_is_read_in_minutes_in_both_languages(reply: str, minutes: int) -> None:
    assert read_scope(reply, now=NOW).window_minutes == minutes


def test_since_a_clock_time_is_read_as_that_time_today_in_utc() -> None:
    assert read_scope("since 14:00?", now=NOW).since == "2026-12-01T14:00:00+00:00"
    assert read_scope("14:30부터 봐줘", now=NOW).since == "2026-12-01T14:30:00+00:00"


def test_a_region_an_instance_and_an_address_are_named() -> None:
    scope = read_scope(f"us-west-2는? {APP} 10.0.2.20")
    assert (scope.region, scope.instances, scope.ips) == ("us-west-2", (APP,), ("10.0.2.20",))


@pytest.mark.parametrize(
    ("reply", "topic"),
    [
        ("which instance exactly?", "instance"),
        ("어떤 인스턴스야?", "instance"),
        ("why did you recommend window scaling?", "recommendation"),
        ("왜 window scaling을 권했어?", "recommendation"),
        ("what was the RTT?", "rtt"),
        ("RTT는 얼마였어?", "rtt"),
        ("what was the retransmission rate?", "loss"),
        ("which flow?", "flow"),
        ("what window did you use?", "window"),
        ("and the last 5 minutes?", None),
        ("which instance in the last 5 minutes?", None),  # names a new window: asks again
        ("what about the db?", None),
    ],
)
def test_a_question_about_the_last_answer_is_told_from_one_that_asks_again(reply: str, topic: str | None) -> None:
    assert about_last_answer(reply) == topic


def test_a_new_window_carries_hosts_addresses_and_region() -> None:
    assert carried_scope("and the last 5 minutes?", DIAGNOSIS, now=NOW) == LAST_5_MINUTES


def test_a_new_region_replaces_the_carried_one() -> None:
    scope = carried_scope("us-west-2는?", DIAGNOSIS, now=NOW)
    assert scope["region"] == "us-west-2" and "region" not in scope["carried"]


def test_naming_another_tier_drops_the_carried_hosts() -> None:
    scope = carried_scope("what about the db?", DIAGNOSIS, now=NOW)
    assert "instances" not in scope and "ips" not in scope
    assert scope["carried"] == ["region", "window_minutes"]


def test_a_start_time_replaces_the_carried_window() -> None:
    scope = carried_scope("since 14:00?", DIAGNOSIS, now=NOW)
    assert scope["since"] == "2026-12-01T14:00:00+00:00" and "window_minutes" not in scope


def test_nothing_is_carried_from_an_answer_without_a_scope() -> None:
    assert carried_scope("and now?", {"kind": "netops.diagnosis/v1"}, now=NOW) is None
