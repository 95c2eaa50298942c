"""The collaborator's answers from the last answer, in both languages. Pure."""

from __future__ import annotations

from diagnosis_fixture import APP, DIAGNOSIS, FLOW

from agents.collaborator.followup_answer import FOLLOWUP_KIND, followup_answer


def test_the_rtt_comes_from_the_findings_evidence() -> None:
    text, data = followup_answer("en", "rtt", DIAGNOSIS, "what was the RTT?")
    assert text.startswith(f"RTT on `{FLOW}` in the last answer: p50 1.2 ms, p99 210 ms.")
    assert data["kind"] == FOLLOWUP_KIND and data["instances"] == [APP]


def test_the_retransmission_rate_is_a_percentage_of_data_segments_in_korean() -> None:
    text, _ = followup_answer("ko", "loss", DIAGNOSIS, "재전송률은 얼마였어?")
    assert text.startswith(f"마지막 답변의 `{FLOW}` 재전송: 데이터 세그먼트의 3.1 %.")


def test_an_answer_without_a_recommendation_says_none_was_made() -> None:
    text, _ = followup_answer("en", "recommendation", {"kind": "netops.diagnosis/v1"}, "why did you recommend it?")
    assert text.startswith("The last answer recommended no change.")


def test_a_version_1_recommendation_answers_with_its_summary_and_planned_changes() -> None:
    v1 = {"recommendation": {"summary": "raise buffers", "changes": ["net.core.rmem_max → 134217728"]}}
    text, _ = followup_answer("en", "recommendation", v1, "why?")
    assert text.splitlines()[:2] == ["Why this was recommended: raise buffers", "• net.core.rmem_max → 134217728"]


def test_the_window_and_region_are_those_the_last_answer_used() -> None:
    text, _ = followup_answer("en", "window", DIAGNOSIS, "what window did you use?")
    assert text.startswith("The last answer looked at last 30 minutes in us-east-1.")
