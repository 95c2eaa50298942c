"""What `netops eval` prints: outcomes, the two tables, and the pass rate as the last line."""

from __future__ import annotations

from agents.evals.facts import FactResult
from agents.evals.report import CaseResult, case_line, fact_table, last_line, render, scenario_table

HELD = FactResult("status", 0, True, "status 'critical'")
BROKEN = FactResult("cause", 0, False, "first cause None, expected 'path_loss'")


def _result(case_id: str, scenario: str, facts: list[FactResult], xfail: str | None = None, error: str | None = None):
    return CaseResult(case_id, scenario, xfail, facts, error=error)


RESULTS = [
    _result("a", "incident", [HELD]),
    _result("b", "incident", [HELD, BROKEN]),
    _result("c", "incident", [HELD, BROKEN], xfail="issue 11"),
    _result("d", "healthy", [HELD], xfail="issue 11"),
    _result("e", "healthy", [], error="the healthy stack failed (RuntimeError: no)"),
]


def test_each_case_has_one_outcome() -> None:
    assert [r.outcome for r in RESULTS] == ["PASS", "FAIL", "XFAIL", "XPASS", "ERROR"]


def test_a_case_with_no_facts_checked_has_not_passed() -> None:
    assert _result("x", "incident", []).passed is False


def test_a_failed_case_line_says_which_facts_failed_and_why() -> None:
    assert case_line(RESULTS[1]) == "FAIL  b  cause: first cause None, expected 'path_loss'"
    assert case_line(RESULTS[2]).startswith("XFAIL c [issue 11]  cause:")
    assert case_line(RESULTS[0]) == "PASS  a"


def test_a_follow_up_fact_names_its_turn() -> None:
    line = case_line(_result("f", "incident", [FactResult("status", 1, False, "status 'critical', expected ok")]))
    assert line == "FAIL  f  status (turn 2): status 'critical', expected ok"


def test_the_scenario_table_counts_outcomes_and_the_pass_rate_per_scenario() -> None:
    rows = scenario_table(RESULTS).splitlines()
    assert rows[0].split() == ["scenario", "cases", "pass", "fail", "xfail", "xpass", "error", "passed"]
    assert rows[1].split() == ["incident", "3", "1", "1", "1", "0", "0", "33.3%"]
    assert rows[2].split() == ["healthy", "2", "0", "0", "0", "1", "1", "50.0%"]


def test_the_fact_table_counts_how_often_each_fact_held() -> None:
    rows = [row.split() for row in fact_table(RESULTS).splitlines()]
    assert rows == [
        ["fact", "checked", "held", "held", "%"],
        ["status", "4", "4", "100.0%"],
        ["cause", "2", "0", "0.0%"],
    ]


def test_the_last_line_gives_the_pass_rate_as_a_percentage() -> None:
    assert last_line(RESULTS, 181.6) == (
        "eval: 2 of 5 cases passed (1 expected failure, 1 XPASS, 1 error) in 182 s: 40.0% passed"
    )


def test_the_summary_ends_with_the_last_line() -> None:
    assert render(RESULTS, 3.0).splitlines()[-1] == last_line(RESULTS, 3.0)


def test_a_case_result_as_json_keeps_its_facts_and_answers() -> None:
    data = RESULTS[1].to_json()
    assert (data["id"], data["outcome"]) == ("b", "FAIL")
    assert data["facts"][1] == {"fact": "cause", "turn": 0, "ok": False, "detail": BROKEN.detail}
