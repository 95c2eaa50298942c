"""The deterministic planner: what, where and when from the question; defaults from settings."""

from __future__ import annotations

import pytest

from agents.performance.planner import FLOW_MONITOR, MIRRORING, plan, window_minutes


def _plan(question: str, bucket: str | None = "netops-captures"):
    return plan(
        question,
        default_region="us-east-1",
        default_window_minutes=30,
        capture_bucket=bucket,
        capture_prefix="raw-captures/",
        max_files=20,
    )


def test_a_symptom_question_uses_both_sources_with_the_defaults() -> None:
    p = _plan("Why is the app slow?")
    assert [c.name for c in p.calls] == [FLOW_MONITOR, MIRRORING]
    assert p.region == "us-east-1"
    assert p.window_minutes == 30
    assert p.calls[1].args["s3_bucket_name"] == "netops-captures"


def test_region_instance_and_window_come_from_the_text() -> None:
    p = _plan("retransmissions on i-0123456789abcdef0 in eu-west-2 over the last 2 hours")
    assert p.region == "eu-west-2"
    assert p.instance_id == "i-0123456789abcdef0"
    assert p.window_minutes == 120
    assert p.calls[0].args == {"region": "eu-west-2", "window_minutes": 120}


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
        ("nothing", 30),
        ("last 90 days", 7 * 24 * 60),
    ],
)
def test_window_phrases(text: str, minutes: float) -> None:
    assert window_minutes(text, 30) == minutes


def test_a_made_up_region_is_not_taken_from_the_text() -> None:
    assert _plan("slow in moon-base-1; rm -rf /").region == "us-east-1"
