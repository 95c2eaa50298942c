"""Eval cases as data: loading, the errors a bad file gets, placeholders, and the shipped suite."""

from __future__ import annotations

from pathlib import Path

import pytest

from agents.evals.cases import CaseError, fill, lab_values, load_file, load_suite, placeholders
from agents.evals.runner import check_case
from agents.lab.scenarios import load_scenario, scenario_names

GOOD = """
scenario: incident
cases:
  - id: terse
    question: "app→db slow"
  - id: with-follow-up
    question: "is {app_instance} ok?"
    then: ["and the last 5 minutes?", {ask: "what about {db_ip}?", expect: {status: ok}}]
    approve: true
    expect: {cause: path_loss, status: [critical, warning]}
    xfail: "issue 11"
"""


def _file(tmp_path: Path, text: str, name: str = "incident.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_a_file_gives_its_cases_with_the_scenario_filled_in(tmp_path: Path) -> None:
    cases = load_file(_file(tmp_path, GOOD))
    assert [(c.id, c.scenario) for c in cases] == [("terse", "incident"), ("with-follow-up", "incident")]
    follow_ups = cases[1].then
    assert [f.ask for f in follow_ups] == ["and the last 5 minutes?", "what about {db_ip}?"]
    assert follow_ups[1].expect.status == "ok"


def test_an_expectation_left_out_is_not_given_but_an_explicit_null_is(tmp_path: Path) -> None:
    case = load_file(_file(tmp_path, "scenario: x\ncases:\n  - {id: a, question: q, expect: {flow: null}}\n"))[0]
    assert case.expect.given() == {"flow"}


@pytest.mark.parametrize(
    ("entry", "named"),
    [
        ("{id: a, question: q, expect: {status: great}}", "cases[0] (id a).expect.status"),
        ("{id: a, question: q, xfail: later}", "cases[0] (id a).xfail"),
        ("{id: a, question: q, expect: {colour: red}}", "cases[0] (id a).expect.colour"),
        ("{id: Bad_Id, question: q}", "cases[0] (id Bad_Id).id"),
        ("{id: a}", "cases[0] (id a).question"),
    ],
)
def test_a_bad_case_is_refused_with_one_sentence_naming_file_case_and_field(
    tmp_path: Path, entry: str, named: str
) -> None:
    with pytest.raises(CaseError) as caught:
        load_file(_file(tmp_path, f"scenario: incident\ncases:\n  - {entry}\n"))
    assert str(caught.value).startswith(f"incident.yaml: {named}: ")
    assert "\n" not in str(caught.value)


def test_a_file_that_is_not_yaml_is_refused_by_name(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match=r"^broken.yaml: cannot be read as YAML"):
        load_file(_file(tmp_path, "cases: [unclosed", "broken.yaml"))


def test_two_cases_with_one_id_are_refused(tmp_path: Path) -> None:
    _file(tmp_path, "scenario: incident\ncases:\n  - {id: a, question: q}\n", "a.yaml")
    _file(tmp_path, "scenario: healthy\ncases:\n  - {id: a, question: q}\n", "b.yaml")
    with pytest.raises(CaseError, match=r"^b.yaml: case id 'a' is already used in a.yaml"):
        load_suite(tmp_path)


def test_an_empty_directory_is_no_suite(tmp_path: Path) -> None:
    with pytest.raises(CaseError, match="no eval cases"):
        load_suite(tmp_path)


def test_placeholders_are_filled_from_the_running_lab() -> None:
    values = lab_values({"app": "i-0a", "db": "i-0d"}, {"app": "10.0.1.10", "db": "10.0.2.20"}, "us-east-1")
    filled = fill("retransmits from {app_instance} ({app_ip}) to {db_ip} in {region}?", values)
    assert filled == "retransmits from i-0a (10.0.1.10) to 10.0.2.20 in us-east-1?"


def test_half_hour_ago_is_a_utc_clock_time_inside_the_labs_history() -> None:
    from datetime import UTC, datetime

    values = lab_values({}, {}, "us-east-1", now=datetime(2026, 12, 1, 16, 5, tzinfo=UTC))
    assert fill("slow since {half_hour_ago} UTC", values) == "slow since 15:35 UTC"


def test_an_unknown_placeholder_names_itself_and_what_the_lab_fills() -> None:
    with pytest.raises(
        CaseError, match=r"placeholder \{cache_ip\} is not one the lab fills \(it fills app_ip, half_hour_ago, region\)"
    ):
        fill("what about {cache_ip}?", {"app_ip": "10.0.1.10", "half_hour_ago": "15:35", "region": "us-east-1"})


def test_a_case_naming_a_host_its_scenario_lacks_is_refused_before_any_lab_starts(tmp_path: Path) -> None:
    case = load_file(_file(tmp_path, "scenario: incident\ncases:\n  - {id: a, question: 'is {cache_instance} ok?'}\n"))[
        0
    ]
    with pytest.raises(CaseError, match=r"^case a: placeholder \{cache_instance\}"):
        check_case(case, load_scenario("incident"))


def test_a_role_in_an_expected_fact_must_be_a_host_of_the_scenario(tmp_path: Path) -> None:
    text = "scenario: incident\ncases:\n  - {id: a, question: q, expect: {instance: cache}}\n"
    with pytest.raises(CaseError, match=r"^case a: instance names the role 'cache'"):
        check_case(load_file(_file(tmp_path, text))[0], load_scenario("incident"))


def test_placeholders_lists_the_names_in_order() -> None:
    assert placeholders("{app_ip} → {db_ip}:5432") == ["app_ip", "db_ip"]


# --- the shipped suite ---


def test_the_shipped_suite_has_at_least_80_cases_over_every_scenario() -> None:
    cases = load_suite()
    assert len(cases) >= 80
    assert {c.scenario for c in cases} == set(scenario_names())


def test_every_shipped_case_fits_its_scenario() -> None:
    staged = {name: load_scenario(name) for name in scenario_names()}
    for case in load_suite():
        check_case(case, staged[case.scenario])


def test_the_shipped_suite_asks_in_korean_and_follows_up_and_approves() -> None:
    from agents.i18n import detect_language

    cases = load_suite()
    assert sum(detect_language(c.question) == "ko" for c in cases) >= 15
    assert sum(bool(c.then) for c in cases) >= 8
    assert sum(c.approve for c in cases) >= 4
