"""Routing decisions: what a pick says, ask-backs, remediations (the questions themselves: test_routing_suite)."""

from __future__ import annotations

from collab_cards import connectivity_card, performance_card

from agents.collaborator.selection import Agent, decide

PERF = Agent("http://perf.test", performance_card("http://perf.test/"))
CONN = Agent("http://conn.test", connectivity_card("http://conn.test/"))
AGENTS = [PERF, CONN]
MIN_SCORE = 1.5
TIE_RATIO = 0.8


def test_the_pick_names_the_tags_and_words_that_matched() -> None:
    decision = decide(
        "retransmissions in the traffic-mirroring capture", AGENTS, min_score=MIN_SCORE, tie_ratio=TIE_RATIO
    )
    reasons = decision.pick.reasons()
    assert reasons[0] == "matched tags traffic-mirroring"
    assert any(r.startswith("intent ") and "packet loss" in r for r in reasons)
    assert "retransmiss" in reasons[-1]


def test_a_tie_between_agents_asks_back_listing_what_each_can_do() -> None:
    twin = Agent("http://twin.test", performance_card("http://twin.test/"))
    decision = decide("retransmissions on the database", [PERF, twin], min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    assert decision.pick is None
    assert "fit about equally well" in decision.reason
    assert "it fits Performance_Agent and Performance_Agent equally well" in decision.clarification
    assert "why traffic is slow or lossy" in decision.clarification


def test_a_question_below_the_threshold_asks_back_with_examples() -> None:
    decision = decide("hello", AGENTS, min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    assert decision.reason == "best score 0.00 (Connectivity_Agent) is below the threshold 1.50"
    assert "the question names no symptom or resource the agents look at" in decision.clarification
    assert "Connectivity_Agent: whether one resource can reach another" in decision.clarification
    assert 'for example: "Why does db.internal not resolve' not in decision.clarification
    assert 'for example: "Can the web server reach the database on port 5432?"' in decision.clarification


def test_the_ask_back_is_one_sentence_in_the_askers_language_without_scores() -> None:
    decision = decide("안녕하세요", AGENTS, min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    assert decision.clarification.startswith("어느 에이전트가 맡아야 할지 알 수 없습니다")
    assert "0.00" not in decision.clarification and "BM25" not in decision.clarification


def test_a_question_about_what_no_agent_does_says_so_and_what_would_answer_it() -> None:
    decision = decide("why does api.internal not resolve?", [PERF], min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    assert decision.clarification.startswith(
        "No agent here handles DNS; Route 53 Resolver query logs, or `dig` from the instance would."
    )
    assert "Performance_Agent: why traffic is slow or lossy" in decision.clarification


def test_a_symptom_the_agent_knows_outweighs_an_unserved_topic_named_beside_it() -> None:
    decision = decide(
        "retransmissions since the security group change", [PERF], min_score=MIN_SCORE, tie_ratio=TIE_RATIO
    )
    assert decision.pick is not None and decision.pick.agent.name == "Performance_Agent"


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
