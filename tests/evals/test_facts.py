"""Fact checking: expected facts from the scenario's truth, each checked against an answer line."""

from __future__ import annotations

from typing import Any

from agents.evals.cases import Case
from agents.evals.facts import Turn, check, expectations
from agents.lab.scenarios import FlowRef, Truth

INSTANCES = {"app": "i-0app", "db": "i-0db"}
IPS = {"app": "10.0.1.10", "db": "10.0.2.20"}
LOSS = Truth(
    cause="path_loss",
    flow=FlowRef(client="app", server="db", dport=5432),
    direction="client_to_server",
    host="app",
    fix={"app": ["qdisc"]},
)
HEALTHY = Truth(cause="none")


def _case(**fields: Any) -> Case:
    return Case.model_validate({"id": "c", "question": "why are retransmissions high?"} | fields)


def _right_answer(**changes: Any) -> dict[str, Any]:
    line = {
        "question": "why are retransmissions high?",
        "asked_back": False,
        "status": "critical",
        "causes": ["path_loss", "receiver_window_limited"],
        "flows": [{"src": "10.0.1.10", "dst": "10.0.2.20", "dport": 5432, "direction": "client_to_server"}],
        "instances": ["i-0app", "i-0db"],
        "language": "en",
        "recommendation": {"hosts": [{"instance_id": "i-0app", "changes": [{"setting": "qdisc"}]}]},
        "fix_result": None,
        "derived": [],
    }
    return line | changes


def _facts(line: dict[str, Any], truth: Truth = LOSS, case: Case | None = None) -> dict[str, tuple[bool, str]]:
    case = case or _case()
    expected = expectations(case, truth, INSTANCES, IPS, [case.question, *(f.ask for f in case.then)])
    return {r.fact: (r.ok, r.detail) for r in check([Turn(case.question, [line])], expected) if r.turn == 0}


def test_the_right_answer_holds_every_fact() -> None:
    facts = _facts(_right_answer())
    assert set(facts) == {"status", "cause", "flow", "direction", "instance", "fix", "language", "asked_back"}
    assert all(ok for ok, _ in facts.values()), facts


def test_a_wrong_first_cause_fails_and_says_what_it_was() -> None:
    ok, detail = _facts(_right_answer(causes=["reordering", "path_loss"]))["cause"]
    assert not ok
    assert detail == "first cause 'reordering', expected 'path_loss'"


def test_causes_the_agent_did_not_send_fail_the_cause_fact() -> None:
    ok, detail = _facts(_right_answer(causes=[], derived=["causes"]))["cause"]
    assert (ok, detail) == (False, "the answer names no causes")


def test_a_line_missing_keys_fails_those_facts_instead_of_crashing() -> None:
    facts = _facts({"question": "why are retransmissions high?"})
    assert not any(ok for ok, _ in facts.values())
    assert facts["flow"] == (False, "the answer has no flows")


def test_nothing_wrong_expects_ok_no_cause_no_flow_and_no_fix() -> None:
    healthy = _right_answer(status="ok", causes=[], flows=[], instances=[], recommendation=None)
    facts = _facts(healthy, HEALTHY)
    assert set(facts) == {"status", "cause", "flow", "fix", "language", "asked_back"}
    assert all(ok for ok, _ in facts.values()), facts


def test_an_all_clear_on_a_troubled_lab_fails_status_flow_and_fix() -> None:
    facts = _facts(_right_answer(status="ok", flows=[], recommendation=None))
    assert [name for name, (ok, _) in facts.items() if not ok] == ["status", "flow", "direction", "fix"]


def test_the_reversed_flow_is_not_the_flow() -> None:
    reversed_flow = [{"src": "10.0.2.20", "dst": "10.0.1.10", "dport": 5432, "direction": "client_to_server"}]
    assert _facts(_right_answer(flows=reversed_flow))["flow"][0] is False


def test_the_fix_must_change_exactly_the_right_settings() -> None:
    extra = {"hosts": [{"instance_id": "i-0app", "changes": [{"setting": "qdisc"}, {"setting": "net.core.rmem_max"}]}]}
    wrong_host = {"hosts": [{"instance_id": "i-0db", "changes": [{"setting": "qdisc"}]}]}
    assert _facts(_right_answer(recommendation=extra))["fix"][0] is False
    assert _facts(_right_answer(recommendation=wrong_host))["fix"][0] is False


def test_a_recommendation_with_no_changes_is_no_recommendation() -> None:
    empty = {"hosts": [{"instance_id": "i-0app", "changes": []}]}
    assert _facts(_right_answer(recommendation=empty), HEALTHY)["fix"][0] is True


def test_a_korean_question_expects_a_korean_answer() -> None:
    case = _case(question="app과 db 사이에 TCP 재전송이 왜 이렇게 많아?")
    assert _facts(_right_answer(language="en"), case=case)["language"][0] is False
    assert _facts(_right_answer(language="ko"), case=case)["language"][0] is True


def test_a_case_overrides_only_the_facts_it_states() -> None:
    case = _case(expect={"status": "warning", "instance": None})
    facts = _facts(_right_answer(), case=case)
    assert facts["status"][0] is False  # critical, and the case says warning
    assert facts["instance"] == (False, "first instance 'i-0app', expected None")
    assert facts["cause"][0] is True  # still the truth's


def test_follow_ups_check_only_language_ask_back_and_what_they_state() -> None:
    case = _case(then=[{"ask": "healthy now?", "expect": {"status": "ok", "fix": {}}}])
    expected = expectations(case, LOSS, INSTANCES, IPS, [case.question, "healthy now?"])
    assert expected[1] == {"language": "en", "asked_back": False, "status": ["ok"], "fix": {}}


def _fix_line(verified: bool, before: str, after: str) -> dict[str, Any]:
    changes = [{"setting": "qdisc", "before": before, "after": after}]
    return _right_answer(fix_result={"verified": verified, "changes": changes})


def test_an_approved_case_needs_a_verified_fix_result_after_its_answer() -> None:
    case = _case(approve=True)
    expected = expectations(case, LOSS, INSTANCES, IPS, [case.question])
    fixed = check([Turn(case.question, [_right_answer(), _fix_line(True, "netem loss 3%", "mq")])], expected)
    unverified = check([Turn(case.question, [_right_answer(), _fix_line(False, "netem loss 3%", "netem")])], expected)
    assert [r.ok for r in fixed if r.fact == "fixed"] == [True]
    assert [r.ok for r in unverified if r.fact == "fixed"] == [False]


def test_an_undo_must_put_back_every_value_the_fix_changed() -> None:
    case = _case(approve=True, then=[{"ask": "undo it", "expect": {"restored": True}}])
    expected = expectations(case, LOSS, INSTANCES, IPS, [case.question, "undo it"])
    first = Turn(case.question, [_right_answer(), _fix_line(True, "netem loss 3%", "mq")])
    undone = Turn("undo it", [_fix_line(True, "mq", "netem loss 3%")])
    not_undone = Turn("undo it", [_right_answer(status="ok")])
    assert [r.ok for r in check([first, undone], expected) if r.fact == "restored"] == [True]
    assert [r.ok for r in check([first, not_undone], expected) if r.fact == "restored"] == [False]


def test_a_turn_with_no_answer_fails_its_facts() -> None:
    case = _case(then=["and now?"])
    expected = expectations(case, LOSS, INSTANCES, IPS, [case.question, "and now?"])
    results = check([Turn(case.question, [_right_answer()])], expected)
    assert [(r.fact, r.ok, r.detail) for r in results if r.turn == 1] == [
        ("language", False, "no answer"),
        ("asked_back", False, "no answer"),
    ]


def test_a_case_meant_to_be_asked_back_expects_the_truth_of_the_reply() -> None:
    case = _case(question="hi", expect={"asked_back": True}, then=["retransmissions between app and db"])
    expected = expectations(case, LOSS, INSTANCES, IPS, ["hi", "retransmissions between app and db"])
    assert expected[0] == {"language": "en", "asked_back": True}
    assert expected[1]["cause"] == "path_loss"
