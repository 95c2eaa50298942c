"""The deterministic planner: which sources a question's scope needs, where and over which window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from agents.performance.planner import FLOW_MONITOR, MIRRORING, plan
from agents.performance.question import Scope, read_question, read_window

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _scope(question: str) -> Scope:
    return read_question(question, now=NOW, default_region="us-east-1", default_window_minutes=30)


def _plan(question: str, bucket: str | None = "netops-captures"):
    return plan(_scope(question), capture_bucket=bucket, capture_prefix="raw-captures/", max_files=20)


def test_a_symptom_question_uses_both_sources_with_the_defaults() -> None:
    p = _plan("Why is the app slow?")
    assert [c.name for c in p.calls] == [FLOW_MONITOR, MIRRORING]
    assert p.region == "us-east-1"
    assert p.window_minutes == 30
    assert p.calls[1].args["s3_bucket_name"] == "netops-captures"
    assert p.calls[1].args["prefix"] == "raw-captures/"


def test_region_instance_and_window_come_from_the_text() -> None:
    p = _plan("retransmissions on i-0123456789abcdef0 in eu-west-2 over the last 2 hours")
    assert p.region == "eu-west-2"
    assert p.instance_id == "i-0123456789abcdef0"
    assert p.window_minutes == 120
    assert p.calls[0].args == {"region": "eu-west-2", "window_minutes": 120, "end": NOW.isoformat()}


def test_every_source_gets_the_same_window_end() -> None:
    """A window named by clock times means the same minutes to NFM and to the captures."""
    p = _plan("why was it slow between 10:00 and 11:00 UTC?")
    ends = {c.args["end"] for c in p.calls}
    assert ends == {datetime(2026, 12, 1, 11, 0, tzinfo=UTC).isoformat()}
    assert p.window_minutes == 60
    assert p.calls[1].args["time_window_minutes"] == 60


def test_a_window_cut_at_a_fix_asks_the_captures_for_what_came_after_it() -> None:
    fix_at = NOW - timedelta(minutes=5)
    scope = _scope("why is the app slow?").since(fix_at)
    [_, captures] = plan(scope, capture_bucket="netops-captures", capture_prefix="raw-captures/", max_files=20).calls
    assert captures.args["started_after"] == fix_at.isoformat()
    assert captures.args["time_window_minutes"] == 5


def test_a_window_not_cut_at_a_fix_sets_no_start_for_the_captures() -> None:
    [_, captures] = _plan("why is the app slow?").calls
    assert "started_after" not in captures.args


def test_naming_the_captures_narrows_the_plan_to_them() -> None:
    assert [c.name for c in _plan("analyze the pcap captures from the past hour").calls] == [MIRRORING]


def test_naming_flow_monitor_narrows_the_plan_to_it() -> None:
    assert [c.name for c in _plan("show the Network Flow Monitor top contributors").calls] == [FLOW_MONITOR]


def test_an_s3_url_names_bucket_and_prefix() -> None:
    [call] = _plan("check the captures in s3://other-bucket/mirror/2026/").calls
    assert (call.args["s3_bucket_name"], call.args["prefix"]) == ("other-bucket", "mirror/2026/")


def test_without_a_bucket_captures_are_skipped_and_the_reason_says_which_setting() -> None:
    p = _plan("analyze the pcap captures", bucket=None)
    assert [c.name for c in p.calls] == [FLOW_MONITOR]
    assert any("NETOPS_CAPTURE_BUCKET" in r for r in p.reasons)


@pytest.mark.parametrize(
    ("text", "minutes"),
    [
        ("last hour", 60),
        ("past 15 minutes", 15),
        ("previous 3 days", 4320),
        ("last 30m", 30),
        ("최근 5분 동안", 5),
        ("nothing", 30),
        ("last 90 days", 7 * 24 * 60),
    ],
)
def test_window_phrases(text: str, minutes: float) -> None:
    assert read_window(text, now=NOW, default_minutes=30, tz_name=None).minutes == minutes


def test_a_made_up_region_is_not_taken_from_the_text() -> None:
    assert _plan("slow in moon-base-1; rm -rf /").region == "us-east-1"
