"""Agreement with tshark 4.0's TCP analysis on the shared corpus (`expected.jsonl` is the truth).

Exact on the synthetic captures (counts, frame numbers, RTT summary); within 0.5% on every
other file, or within 1 where tshark's count is under 200 (issue 3, point 4).
"""

from __future__ import annotations

import math

import pytest
from pcap_corpus import CAPTURES, EXPECTED

from agents.performance.pcap import analyze_path

SYNTHETIC = [case for case in EXPECTED if case["file"].startswith("synthetic/")]
OTHERS = [case for case in EXPECTED if not case["file"].startswith("synthetic/")]


@pytest.mark.parametrize("case", SYNTHETIC, ids=lambda case: case["file"])
def test_synthetic_capture_matches_tshark_exactly(case: dict) -> None:
    result = analyze_path(CAPTURES / case["file"])

    assert result.error is None
    assert result.counts == case["counts"]
    assert result.frames == case["frames"]
    for name, value in case["ack_rtt"].items():
        assert math.isclose(result.ack_rtt[name], value, rel_tol=1e-9), name


@pytest.mark.parametrize("case", OTHERS, ids=lambda case: case["file"])
def test_capture_counts_agree_with_tshark_within_tolerance(case: dict) -> None:
    result = analyze_path(CAPTURES / case["file"])

    for name, expected in case["counts"].items():
        tolerance = 1 if expected < 200 else expected * 0.005
        assert abs(result.counts[name] - expected) <= tolerance, (name, result.counts[name], expected)


def test_loopback_capture_rtt_summary_matches_tshark() -> None:
    case = next(case for case in EXPECTED if case["file"].startswith("loopback/"))

    result = analyze_path(CAPTURES / case["file"])

    assert result.ack_rtt["count"] == case["ack_rtt"]["count"]
    for name in ("mean_s", "p50_s", "p99_s", "max_s"):
        assert math.isclose(result.ack_rtt[name], case["ack_rtt"][name], rel_tol=1e-9), name


def test_vxlan_capture_reports_the_flows_with_their_vni() -> None:
    result = analyze_path(CAPTURES / "synthetic/synthetic_tcp_events_vxlan_sll2.pcap")

    assert {flow.vni for flow in result.flows} == {1234}
    assert result.flows[0].retransmissions >= result.flows[-1].retransmissions
