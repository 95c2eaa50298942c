"""Runs eval cases against the real product: one lab and agent stack per scenario, a fresh thread per case.

Cases of a scenario share its stack, since asking changes nothing; a case that approves a fix
changes the lab's hosts, so it runs last on the shared stack, and any further approving case
gets a stack of its own. Each case is the `--json` demo's conversation (`agents.demo`), so
the suite measures exactly what an operator's thread receives.
"""

from __future__ import annotations

import logging
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from agents.demo.conversation import DemoSession, Script, play
from agents.demo.run import JsonListener, demo_session
from agents.demo.stack import DemoStack, demo_stack
from agents.evals.cases import Case, CaseError, fill, lab_values
from agents.evals.facts import Turn, check, expectations
from agents.evals.report import CaseResult
from agents.lab.scenarios import Scenario, ScenarioError, load_scenario
from agents.lab.server import LabConfig
from agents.settings import Settings

log = logging.getLogger(__name__)


class TurnListener(JsonListener):
    """The `--json` lines of a conversation, grouped by the question that led to them."""

    def __init__(self, session: DemoSession, recorder: Any) -> None:
        super().__init__(recorder, lambda _line: None)
        self.turns: list[Turn] = []

    def asking(self, question: str, *, first: bool) -> None:
        self.turns.append(Turn(question))

    async def stepped(self) -> None:
        before = len(self.lines)
        await super().stepped()
        self.turns[-1].lines.extend(self.lines[before:])


def batches(cases: list[Case]) -> list[list[Case]]:
    """The stacks a scenario's cases need: the shared one (asking cases, then one approving case), then one each."""
    asking = [c for c in cases if not c.approve]
    approving = [c for c in cases if c.approve]
    return [asking + approving[:1], *([c] for c in approving[1:])]


async def run_case(stack: DemoStack, scenario: Scenario, case: Case) -> CaseResult:
    started = time.monotonic()
    roles, addresses = stack.lab.instances, stack.lab.ips
    values = lab_values(roles, addresses, stack.lab.region)
    try:
        questions = _questions(case, values)
        expected = expectations(case, scenario.truth, roles, addresses, questions)
    except CaseError as exc:  # check_case passed, so only a lab with other roles than its scenario gets here
        return CaseResult(case.id, case.scenario, case.xfail, [], error=f"case {case.id}: {exc}")
    session, recorder, close = demo_session(stack, channel=f"EVAL-{case.id}-{uuid.uuid4().hex[:8]}")
    listener = TurnListener(session, recorder)
    try:
        await play(session, Script(questions[0], tuple(questions[1:]), case.approve), listener)
    finally:
        await close()
    facts = check(listener.turns, expected)
    return CaseResult(
        case.id, case.scenario, case.xfail, facts, lines=listener.lines, seconds=time.monotonic() - started
    )


def by_scenario(cases: Iterable[Case]) -> dict[str, list[Case]]:
    grouped: dict[str, list[Case]] = {}
    for case in cases:
        grouped.setdefault(case.scenario, []).append(case)
    return grouped


def _questions(case: Case, values: dict[str, str]) -> list[str]:
    return [fill(case.question, values), *(fill(f.ask, values) for f in case.then)]


def check_case(case: Case, scenario: Scenario) -> None:
    """Fails (`CaseError`) when a case names a placeholder or role its scenario's lab cannot have."""
    by_role = {role: role for role in scenario.hosts}
    try:
        questions = _questions(case, lab_values(by_role, by_role, "region"))
        expectations(case, scenario.truth, by_role, by_role, questions)
    except CaseError as exc:
        raise CaseError(f"case {case.id}: {exc}") from None


def first_of_each_scenario(cases: list[Case], count: int) -> list[Case]:
    """The first `count` cases of every scenario, in suite order: a sample that still covers every cause."""
    return [case for group in by_scenario(cases).values() for case in group[:count]]


def stage_all(cases: list[Case]) -> dict[str, Scenario]:
    """Every scenario the cases name, loaded and checked against its cases before any stack starts."""
    staged: dict[str, Scenario] = {}
    for scenario, group in by_scenario(cases).items():
        try:
            staged[scenario] = load_scenario(scenario)
        except ScenarioError as exc:
            raise CaseError(f"cases for scenario {scenario!r}: {exc}") from None
        for case in group:
            check_case(case, staged[scenario])
    return staged


async def run_suite(
    base: Settings, cases: list[Case], *, on_result: Callable[[CaseResult], None] = lambda _r: None
) -> list[CaseResult]:
    """Every case, scenario by scenario; a stack that fails to start makes its cases ERROR, not the run."""
    staged = stage_all(cases)
    results: list[CaseResult] = []
    for scenario, group in by_scenario(cases).items():
        for batch in batches(group):
            if not batch:
                continue
            try:
                async with demo_stack(base, lab_config=LabConfig(scenario=staged[scenario])) as stack:
                    for case in batch:
                        results.append(await run_case(stack, staged[scenario], case))
                        on_result(results[-1])
            except Exception as exc:  # the lab or an agent did not start: these cases could not run
                log.warning("the %s stack failed", scenario, exc_info=True)
                done = {r.case_id for r in results}
                for case in (c for c in batch if c.id not in done):
                    error = f"the {scenario} stack failed ({type(exc).__name__}: {exc})"
                    results.append(CaseResult(case.id, scenario, case.xfail, [], error=error))
                    on_result(results[-1])
    return results
