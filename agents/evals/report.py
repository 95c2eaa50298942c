"""What `netops eval` prints: a line per case, a table per scenario and per fact, the pass rate last.

Pure functions of the case results, so the tables and the last line are tested without a lab.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agents.evals.facts import FACTS, FactResult
from agents.plural import counted

OUTCOMES = ("PASS", "FAIL", "XFAIL", "XPASS", "ERROR")


@dataclass(frozen=True)
class CaseResult:
    case_id: str
    scenario: str
    xfail: str | None
    facts: list[FactResult]
    error: str | None = None  # the case could not run (a placeholder the lab cannot fill, a lab that did not start)
    lines: list[dict[str, Any]] = field(default_factory=list)
    seconds: float = 0.0

    @property
    def passed(self) -> bool:
        return self.error is None and bool(self.facts) and all(f.ok for f in self.facts)

    @property
    def outcome(self) -> str:
        if self.error is not None:
            return "ERROR"
        if self.xfail:
            return "XPASS" if self.passed else "XFAIL"
        return "PASS" if self.passed else "FAIL"

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.case_id,
            "scenario": self.scenario,
            "outcome": self.outcome,
            "xfail": self.xfail,
            "error": self.error,
            "seconds": round(self.seconds, 2),
            "facts": [{"fact": f.fact, "turn": f.turn, "ok": f.ok, "detail": f.detail} for f in self.facts],
            "answers": self.lines,
        }


def result_from_json(data: dict[str, Any]) -> CaseResult:
    """The inverse of `CaseResult.to_json` (a child process's case line)."""
    facts = [FactResult(f["fact"], int(f["turn"]), bool(f["ok"]), f.get("detail", "")) for f in data.get("facts", [])]
    return CaseResult(
        data["id"],
        data["scenario"],
        data.get("xfail"),
        facts,
        data.get("error"),
        data.get("answers", []),
        float(data.get("seconds", 0.0)),
    )


def case_line(result: CaseResult) -> str:
    """`FAIL  path-loss-terse  cause: first cause None, expected 'path_loss'; …`."""
    failed = [
        f"{f.fact}: {f.detail}" if f.turn == 0 else f"{f.fact} (turn {f.turn + 1}): {f.detail}"
        for f in result.facts
        if not f.ok
    ]
    why = result.error or "; ".join(failed)
    mark = f" [{result.xfail}]" if result.xfail else ""
    return f"{result.outcome:<5} {result.case_id}{mark}" + (f"  {why}" if why and not result.passed else "")


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        "  ".join(
            str(c).ljust(w) if i == 0 else str(c).rjust(w) for i, (c, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in [header, *rows]
    ]
    return "\n".join(lines)


def _percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.1f}%" if whole else "-"


def scenario_table(results: Iterable[CaseResult]) -> str:
    by_scenario: dict[str, list[CaseResult]] = {}
    for result in results:
        by_scenario.setdefault(result.scenario, []).append(result)
    rows = []
    for scenario, group in by_scenario.items():
        counts = {o: sum(r.outcome == o for r in group) for o in OUTCOMES}
        passed = sum(r.passed for r in group)
        rows.append([scenario, str(len(group)), *(str(counts[o]) for o in OUTCOMES), _percent(passed, len(group))])
    return _table(["scenario", "cases", *(o.lower() for o in OUTCOMES), "passed"], rows)


def fact_table(results: Iterable[CaseResult]) -> str:
    checked = [f for r in results for f in r.facts]
    rows = []
    for fact in FACTS:
        of_fact = [f for f in checked if f.fact == fact]
        if of_fact:
            ok = sum(f.ok for f in of_fact)
            rows.append([fact, str(len(of_fact)), str(ok), _percent(ok, len(of_fact))])
    return _table(["fact", "checked", "held", "held %"], rows)


def last_line(results: list[CaseResult], seconds: float) -> str:
    """`eval: 71 of 88 cases passed (12 expected failures, 1 XPASS, 0 errors) in 182 s: 80.7% passed`."""
    passed = sum(r.passed for r in results)
    xfail = sum(r.outcome == "XFAIL" for r in results)
    xpass = sum(r.outcome == "XPASS" for r in results)
    errors = sum(r.outcome == "ERROR" for r in results)
    rate = 100 * passed / len(results) if results else 0.0
    return (
        f"eval: {passed} of {counted(len(results), 'case')} passed ({counted(xfail, 'expected failure')}, "
        f"{xpass} XPASS, {counted(errors, 'error')}) in {seconds:.0f} s: {rate:.1f}% passed"
    )


def render(results: list[CaseResult], seconds: float) -> str:
    """The summary after the per-case lines: both tables, then the pass rate as the last line."""
    return "\n".join(["", scenario_table(results), "", fact_table(results), "", last_line(results, seconds)])
