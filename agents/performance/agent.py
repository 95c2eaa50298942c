"""The Performance Agent's logic, apart from A2A: diagnose a question, remediate on approval.

The data part always comes from `diagnose` over the tools' structured reports, so a model (in
LLM mode) can word the answer but cannot invent findings. A recommended plan is kept in
Redis under an id the approval names; applying it is `agents.performance.remediate`'s job.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agents.i18n import tr
from agents.performance.answer import Answer, Recommendation
from agents.performance.applied import latest_fix
from agents.performance.aws_clients import ClientPool, region_or_default
from agents.performance.causes import Context, flow_causes
from agents.performance.diagnosis import diagnose, in_scope
from agents.performance.evidence import Evidence as EvidenceSet
from agents.performance.evidence import gather
from agents.performance.llm.loop import LlmError
from agents.performance.planner import Plan, plan
from agents.performance.plans import plan_from_recommendation, save_plan
from agents.performance.post_fix import PostFixWindow, last_fix_on
from agents.performance.question import Scope, read_question
from agents.performance.remediate import Remediator
from agents.performance.render import render_markdown
from agents.performance.runner import Emit, Progress, ToolRunner
from agents.performance.tools.aws import AwsProblem
from agents.performance.tools.instances import InstancesReport
from agents.performance.undo import undo_answer
from agents.settings import Settings

log = logging.getLogger(__name__)
_NOT_FAILURES = {"NoMonitors", "NoActiveMonitors"}  # what the account has, not an error of ours or AWS's


def _context(evidence: EvidenceSet, reads: dict, instances: InstancesReport) -> Context:
    degraded = tuple(h.monitor for h in evidence.health if h.value is not None and h.value >= 1)
    unknown = not evidence.health or any(h.value is None for h in evidence.health)
    return Context(hosts=reads, instances=instances.found, degraded_monitors=degraded, unknown_health=unknown)


@dataclass
class Outcome:
    """What the executor sends: the answer, its markdown, and whether the task succeeded."""

    answer: Answer
    markdown: str
    ok: bool
    refused: str | None = None


class PerformanceAgent:
    def __init__(self, settings: Settings, pool: ClientPool, redis: aioredis.Redis, llm: Any = None) -> None:
        self.settings = settings
        self.pool = pool
        self.redis = redis
        self.llm = llm  # an LLM planner (agents.performance.llm) or None for the deterministic one
        self.post_fix = PostFixWindow(settings, pool, redis)

    def scope(self, question: str, context: dict[str, Any] | None = None) -> Scope:
        """The question read with what the caller carried over (thread scope, the asker's time zone)."""
        context = context or {}
        carried = context.get("scope") if isinstance(context.get("scope"), dict) else None
        tz = context.get("tz") if isinstance(context.get("tz"), str) else None
        return read_question(
            question,
            now=datetime.now(UTC),
            default_region=self.settings.aws_region,
            default_window_minutes=self.settings.analysis_window_minutes,
            tz_name=tz,
            carried=carried,
        )

    def plan(self, scope: Scope) -> Plan:
        s = self.settings
        return plan(
            scope, capture_bucket=s.capture_bucket, capture_prefix=s.capture_prefix, max_files=s.capture_max_files
        )

    async def diagnose(self, question: str, emit: Emit, context: dict[str, Any] | None = None) -> Outcome:
        scope = self.scope(question, context)
        progress = Progress(emit, asyncio.get_running_loop(), scope.language)
        runner = ToolRunner(self.settings, self.pool, progress)
        if scope.intent == "undo":
            return await self._offer_undo(scope, runner, emit)
        scope, runner, the_plan, text, evidence = await self._analyze_after_fixes(question, scope, runner, emit)
        instances, ctx = await self._look_at_hosts(scope, evidence, runner, emit)
        await progress.drain()
        # What each source hit (denied, throttled, no bucket, no monitors) is kept in its report.
        problems = [
            *(runner.flow_monitor.problems if runner.flow_monitor else []),
            *(runner.mirroring.problems if runner.mirroring else []),
            *runner.problems,
        ]
        result = diagnose(
            scope, evidence, ctx=ctx, instances=instances, problems=problems, stack_name=self.settings.stack_name
        )
        if result.answer.recommendation is not None:
            top = result.answer.causes[0] if result.answer.causes else {}
            flow = {k: top.get(k) for k in ("flow", "src", "dst", "dport", "direction")} if top.get("src") else None
            await self._keep_plan(result.answer.recommendation, flow, scope.language)
        markdown = text or render_markdown(result.answer, reasons=the_plan.reasons)
        # An honest "unknown" is an answer; only AWS failing us with nothing analyzed fails the task.
        failed = not result.analyzed_anything and any(p.code not in _NOT_FAILURES for p in problems)
        return Outcome(result.answer, markdown, ok=not failed)

    async def _offer_undo(self, scope: Scope, runner: ToolRunner, emit: Emit) -> Outcome:
        """ "Undo the fix": the plan that restores the newest fix's before values, each host read first."""
        try:
            fix = await latest_fix(self.redis, scope.instances)
        except RedisError:
            fix = None
        reads = {}
        if fix is not None:
            await emit(
                tr(
                    scope.language,
                    "Reading the current values on {hosts} over SSM (read only)…",
                    hosts=", ".join(fix.hosts),
                )
            )
            reads = await asyncio.to_thread(runner.read_hosts, scope.region, list(fix.hosts))
        answer, plan = undo_answer(scope, fix, reads, self.settings.stack_name)
        if plan is not None:
            try:
                await save_plan(self.redis, plan, self.settings.approval_ttl_s + 300)
            except RedisError:
                answer.recommendation = None
        return Outcome(answer, render_markdown(answer), ok=True)

    async def _analyze_after_fixes(
        self, question: str, scope: Scope, runner: ToolRunner, emit: Emit
    ) -> tuple[Scope, ToolRunner, Plan, str | None, EvidenceSet]:
        """`_analyze` over the traffic after the newest fix on the question's hosts (`agents.performance.post_fix`):
        the hosts it names, else the hosts its flows touch, which only a first pass over the whole window shows."""
        fixes = await self.post_fix.fixes_in(scope)
        named = last_fix_on(fixes, scope.instances)
        if named is not None:  # the question names a fixed host: look only after its fix
            scope = await self.post_fix.cut_at(scope, named, emit)
        the_plan, text, evidence = await self._analyze(question, scope, runner)
        touched = last_fix_on(fixes, evidence.instance_ips) if not scope.instances else None
        if touched is not None:  # a fix on a host of these flows: answer from the traffic after it, not a mix of both
            scope = await self.post_fix.cut_at(scope, touched, emit)
            runner = ToolRunner(self.settings, self.pool, runner.progress)
            the_plan, text, evidence = await self._analyze(question, scope, runner)
        return scope, runner, the_plan, text, evidence

    async def _analyze(self, question: str, scope: Scope, runner: ToolRunner) -> tuple[Plan, str | None, EvidenceSet]:
        """Plan the tools for the scope, run them (or let the model), and fold their reports into evidence."""
        the_plan = self.plan(scope)
        text = await self._llm_answer(question, the_plan, runner) if self.llm is not None else None
        if text is None:
            await asyncio.gather(*(runner.run(call) for call in the_plan.calls))
        evidence = gather(runner.mirroring, runner.flow_monitor)
        if runner.capture_region_note and evidence.capture_location is None:
            evidence.capture_note = runner.capture_region_note
        return the_plan, text, evidence

    async def _look_at_hosts(
        self, scope: Scope, evidence: EvidenceSet, runner: ToolRunner, emit: Emit
    ) -> tuple[InstancesReport, Context]:
        """EC2 for the instances involved, then a read-only SSM look at the hosts of the flows that show trouble."""
        ids = list(scope.instances) + sorted(evidence.instance_ips)
        instances = await asyncio.to_thread(runner.instances, scope.region, ids) if ids else InstancesReport()
        evidence.instance_ips.update(
            {k: set(v.ips) | evidence.instance_ips.get(k, set()) for k, v in instances.found.items()}
        )
        ctx = _context(evidence, {}, instances)
        flows, _ = in_scope(evidence.flows, scope, evidence, instances)
        suspects = [f for f in flows if flow_causes(f, ctx)]
        to_read = [i for i in scope.instances if i in instances.found]
        to_read += [i for f in suspects for i in (f.client_instance, f.server_instance) if i]
        to_read = list(dict.fromkeys(to_read))
        if not to_read:
            return instances, ctx
        await emit(
            tr(
                scope.language,
                "Reading TCP settings, qdisc and ENA counters on {hosts} over SSM (read only)…",
                hosts=", ".join(to_read),
            )
        )
        reads = await asyncio.to_thread(runner.read_hosts, scope.region, to_read)
        return instances, _context(evidence, reads, instances)

    async def _keep_plan(self, rec: Recommendation, flow: dict[str, Any] | None, language: str) -> None:
        stored = plan_from_recommendation(rec.to_dict(), flow, language)
        try:
            await save_plan(self.redis, stored, self.settings.approval_ttl_s + 300)
        except RedisError:
            log.warning("the plan could not be stored in Redis; it cannot be approved")
            return
        rec.plan_id = stored.plan_id

    async def _llm_answer(self, question: str, the_plan: Plan, runner: ToolRunner) -> str | None:
        """The model's answer, or None when the built-in planner must answer instead (and why, as a problem)."""
        try:
            text = await self.llm.answer(question, the_plan, runner)  # type: ignore[union-attr]
        except LlmError as exc:
            runner.problems.append(
                AwsProblem(
                    operation="llm",
                    code="ModelError",
                    message=str(exc),
                    advice="The model could not answer, so the built-in planner did: check the NETOPS_LLM_* settings.",
                )
            )
            return None
        if runner.flow_monitor is None and runner.mirroring is None:
            return None  # an answer without evidence is not an answer: run the plan's tools
        return text

    async def remediate(self, request: dict[str, Any], emit: Emit) -> Outcome:
        """Apply an approved plan (`agents.performance.remediate`): checked, applied, verified, measured."""
        answer, ok, refusal = await Remediator(self.settings, self.pool, self.redis).remediate(
            request, emit, self._region(request)
        )
        return Outcome(answer, render_markdown(answer), ok=ok, refused=refusal)

    def _region(self, request: dict[str, Any]) -> str:
        return region_or_default(request.get("region"), self.settings.aws_region)
