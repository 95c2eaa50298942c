"""Routing table: questions an operator types, and the agent that must take each (or ask back)."""

from __future__ import annotations

import pytest
from collab_cards import connectivity_card, performance_card

from agents.collaborator.selection import Agent, decide

PERF = Agent("http://perf.test", performance_card("http://perf.test/"))
CONN = Agent("http://conn.test", connectivity_card("http://conn.test/"))
AGENTS = [PERF, CONN]
MIN_SCORE = 1.5
TIE_RATIO = 0.8
ASK = None

ROUTING_TABLE = [
    ("Why is traffic between the app and the database slow?", "Performance_Agent"),
    ("We see TCP retransmissions on the orders service", "Performance_Agent"),
    ("Analyze the traffic mirroring captures from this morning", "Performance_Agent"),
    ("latency spiked on i-0abc since 09:00", "Performance_Agent"),
    ("Check the CloudWatch network metrics for the payments monitor", "Performance_Agent"),
    ("Is the AWS network health indicator showing a problem?", "Performance_Agent"),
    ("packets are being dropped between the web tier and redis", "Performance_Agent"),
    ("show me the round-trip time from Network Flow Monitor", "Performance_Agent"),
    ("the app feels sluggish, p99 went up", "Performance_Agent"),
    ("look at the pcap for duplicate acks and resets", "Performance_Agent"),
    ("Can the web server reach the database on port 5432?", "Connectivity_Agent"),
    ("connection refused from the bastion to the app host", "Connectivity_Agent"),
    ("Is port 443 blocked by a security group?", "Connectivity_Agent"),
    ("Why does db.internal not resolve?", "Connectivity_Agent"),
    ("DNS lookup fails for the internal hostname", "Connectivity_Agent"),
    ("check the route tables and the NAT gateway for the private subnet", "Connectivity_Agent"),
    ("does the network ACL deny traffic from 10.0.1.0/24?", "Connectivity_Agent"),
    ("Is VPC peering set up between the two VPCs?", "Connectivity_Agent"),
    ("hello", ASK),
    ("help", ASK),
    ("something is wrong", ASK),
    ("what about the network?", ASK),
    ("check the database", ASK),
    ("the connection to the database keeps timing out", "Connectivity_Agent"),
    ("network issues", ASK),
    ("the database is having problems", ASK),
]


@pytest.mark.parametrize(("question", "expected"), ROUTING_TABLE)
def test_routing_table_picks_the_expected_agent_or_asks_back(question: str, expected: str | None) -> None:
    decision = decide(question, AGENTS, min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    picked = decision.pick.agent.name if decision.pick else None
    assert picked == expected, (
        decision.explain() + " | " + repr([(c.agent.name, round(c.score, 2)) for c in decision.candidates])
    )


def test_the_pick_names_the_tags_and_words_that_matched() -> None:
    decision = decide(
        "retransmissions in the traffic-mirroring capture", AGENTS, min_score=MIN_SCORE, tie_ratio=TIE_RATIO
    )
    reasons = decision.pick.reasons()
    assert reasons[0] == "matched tags traffic-mirroring"
    assert any(r.startswith("intent ") and "packet loss" in r for r in reasons)
    assert "retransmission" in reasons[-1]


def test_a_tie_between_agents_asks_back_listing_what_each_can_do() -> None:
    twin = Agent("http://twin.test", performance_card("http://twin.test/"))
    decision = decide("retransmissions on the database", [PERF, twin], min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    assert decision.pick is None
    assert "fit about equally well" in decision.clarification
    assert "Analyze network performance" in decision.clarification


def test_a_question_below_the_threshold_asks_back_with_examples() -> None:
    decision = decide("hello", AGENTS, min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    assert decision.reason == "best score 0.00 (Connectivity_Agent) is below the threshold 1.50"
    assert "the question does not clearly match what any agent does" in decision.clarification
    assert '"Can the web server reach the database on port 5432?"' in decision.clarification


def test_a_remediation_goes_to_the_agent_with_a_remediation_skill_whatever_the_words() -> None:
    decision = decide("check the route tables", AGENTS, min_score=MIN_SCORE, tie_ratio=TIE_RATIO, remediation=True)
    assert decision.pick.agent.name == "Performance_Agent"
    assert decision.pick.skill_id == "remediate_tcp_retransmissions"


def test_a_remediation_fails_when_no_agent_declares_a_remediation_skill() -> None:
    decision = decide("apply TCP fixes to i-0abc", [CONN], min_score=MIN_SCORE, tie_ratio=TIE_RATIO, remediation=True)
    assert decision.pick is None and decision.clarification is None
    assert decision.failure.startswith("No available agent declares a remediation skill")


def test_no_agents_fails_with_what_to_check() -> None:
    decision = decide("why is it slow", [], min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    assert "NETOPS_AGENT_URLS" in decision.failure
