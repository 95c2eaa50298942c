"""`netops eval`: one case end to end, selection, and the exit codes."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from agents.evals.cases import Case
from agents.evals.runner import batches, first_of_each_scenario


def _eval(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_"))}
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", "eval", *args], capture_output=True, text=True, env=env, timeout=240
    )


def test_one_case_runs_alone_and_the_last_line_is_its_pass_rate() -> None:
    done = _eval("--case", "incident-terse")
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.strip().splitlines()
    assert [line.split()[1] for line in lines if re.match(r"^(PASS|FAIL|XFAIL|XPASS|ERROR) ", line)] == [
        "incident-terse"
    ]
    assert re.fullmatch(r"eval: [01] of 1 case passed \(.*\) in \d+ s: (0\.0|100\.0)% passed", lines[-1])
    assert re.search(r"^incident\s+1\s", done.stdout, re.MULTILINE)  # the scenario table
    assert re.search(r"^cause\s+1\s", done.stdout, re.MULTILINE)  # the fact table


def test_a_case_id_that_matches_nothing_exits_2() -> None:
    done = _eval("--case", "no-such-case")
    assert done.returncode == 2
    assert "no case matches --case no-such-case" in done.stderr


def test_a_suite_that_cannot_be_read_exits_2_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "broken.yaml").write_text("scenario: incident\ncases:\n  - {id: a}\n", encoding="utf-8")
    done = _eval("--cases", str(tmp_path))
    assert done.returncode == 2
    assert "broken.yaml: cases[0] (id a).question" in done.stderr


def test_a_case_for_a_scenario_the_lab_cannot_stage_exits_2(tmp_path: Path) -> None:
    (tmp_path / "x.yaml").write_text("scenario: no-such-scenario\ncases:\n  - {id: a, question: q}\n", "utf-8")
    done = _eval("--cases", str(tmp_path))
    assert done.returncode == 2
    assert "no-such-scenario" in done.stderr


def _case(case_id: str, approve: bool) -> Case:
    return Case(id=case_id, question="q", approve=approve, scenario="incident")


def test_approving_cases_run_last_on_the_shared_stack_and_then_one_stack_each() -> None:
    cases = [_case("fix-1", True), _case("ask-1", False), _case("fix-2", True), _case("ask-2", False)]
    assert [[c.id for c in batch] for batch in batches(cases)] == [["ask-1", "ask-2", "fix-1"], ["fix-2"]]


def test_a_sample_takes_the_first_cases_of_every_scenario() -> None:
    cases = [Case(id=f"{s}-{i}", question="q", scenario=s) for s in ("a", "b") for i in range(3)]
    assert [c.id for c in first_of_each_scenario(cases, 2)] == ["a-0", "a-1", "b-0", "b-1"]


def test_each_scenario_runs_in_a_child_that_runs_exactly_its_cases(tmp_path: Path) -> None:
    from agents.evals.isolation import child_command

    command = child_command([_case("a", False), _case("b", True)], tmp_path)
    assert command[1:] == [
        "-m", "agents.cli", "eval", "--in-process", "--json", "--cases", str(tmp_path), "--case", "a", "--case", "b",
    ]  # fmt: skip


def test_a_case_result_survives_the_json_line_between_processes() -> None:
    from agents.evals.facts import FactResult
    from agents.evals.report import CaseResult, result_from_json

    result = CaseResult("a", "incident", "issue 11", [FactResult("cause", 0, False, "x")], None, [{"q": 1}], 2.5)
    assert result_from_json(result.to_json()) == result
