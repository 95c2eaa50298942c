"""Each scenario's cases in a process of their own.

One process that starts stack after stack degrades: after several labs, a new lab's endpoint
stops answering its own seeding (botocore's read timeout), which a fresh process never shows.
So `netops eval` runs every scenario in a child `netops eval --in-process` and reads its
`--json` case lines; nothing one scenario's lab leaves behind can reach the next.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from agents.evals.cases import Case
from agents.evals.report import CaseResult, result_from_json
from agents.evals.runner import by_scenario


def child_command(cases: list[Case], suite: Path | None) -> list[str]:
    """The child that runs exactly these cases (one scenario's) in its own process, as JSON lines."""
    command = [sys.executable, "-m", "agents.cli", "eval", "--in-process", "--json"]
    if suite is not None:
        command += ["--cases", str(suite)]
    for case in cases:
        command += ["--case", case.id]
    return command


def _run_child(cases: list[Case], suite: Path | None, on_result: Callable[[CaseResult], None]) -> list[CaseResult]:
    results: list[CaseResult] = []
    with subprocess.Popen(child_command(cases, suite), stdout=subprocess.PIPE, text=True) as child:
        assert child.stdout is not None
        for line in child.stdout:
            data = json.loads(line) if line.startswith("{") else None
            if isinstance(data, dict) and "outcome" in data:
                results.append(result_from_json(data))
                on_result(results[-1])
    done = {r.case_id for r in results}
    for case in (c for c in cases if c.id not in done):  # the child died before it reported these
        error = f"the {case.scenario} process ended (exit {child.returncode}) before this case reported"
        results.append(CaseResult(case.id, case.scenario, case.xfail, [], error=error))
        on_result(results[-1])
    return results


def run_isolated(
    cases: list[Case], suite: Path | None, *, on_result: Callable[[CaseResult], None] = lambda _r: None
) -> list[CaseResult]:
    """Every scenario's cases in a child process, one scenario after the other."""
    results: list[CaseResult] = []
    for group in by_scenario(cases).values():
        results += _run_child(group, suite, on_result)
    return results
