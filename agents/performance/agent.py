"""The Performance Agent's logic, apart from A2A: diagnose a question, remediate on approval.

The data part always comes from `diagnose` over the tools' structured reports, so a model (in
LLM mode) can word the answer but cannot invent findings. A remediation is checked (approval
signature and expiry first, before any AWS call; then the instance; then single use in Redis)
before one SSM command is sent.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agents.approval_token import ApprovalTokenError, verify
from agents.performance.answer import REMEDIATION_KIND, Answer, Remediation
from agents.performance.approval import redeem_approval
from agents.performance.aws_clients import ClientPool, region_or_default
from agents.performance.diagnosis import diagnose
from agents.performance.llm.loop import LlmError
from agents.performance.planner import Plan, plan
from agents.performance.render import render_markdown
from agents.performance.runner import Emit, Progress, ToolRunner
from agents.performance.tools.aws import AwsProblem
from agents.performance.tools.remediation import apply_fix, resolve_instance
from agents.settings import Settings
from agents.traceability import StepPlan


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

    def plan(self, question: str) -> Plan:
        s = self.settings
        return plan(
            question,
            default_region=s.aws_region,
            default_window_minutes=s.analysis_window_minutes,
            capture_bucket=s.capture_bucket,
            capture_prefix=s.capture_prefix,
            max_files=s.capture_max_files,
        )

    async def diagnose(self, question: str, emit: Emit) -> Outcome:
        progress = Progress(emit, asyncio.get_running_loop())
        runner = ToolRunner(self.settings, self.pool, progress)
        the_plan = self.plan(question)
        text = None
        if self.llm is not None:
            text = await self._llm_answer(question, the_plan, runner)
        if text is None:
            await asyncio.gather(*(runner.run(call) for call in the_plan.calls))
        await progress.drain()
        result = diagnose(
            runner.flow_monitor,
            runner.mirroring,
            stack_name=self.settings.stack_name,
            persist=self.settings.persist_sysctl,
            extra_problems=runner.problems,
        )
        markdown = text or render_markdown(result.answer, reasons=the_plan.reasons)
        return Outcome(result.answer, markdown, ok=result.analyzed_anything)

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
        instance_id, stack_name, token = (
            _text(request.get(k)) for k in ("instance_id", "stack_name", "approval_token")
        )
        stack_name = stack_name or self.settings.stack_name
        secret = self.settings.approval_secret.get_secret_value() if self.settings.approval_secret else ""
        try:
            verify(token, secret)  # refuse early, before any AWS call
        except ApprovalTokenError as exc:
            return self._refused(str(instance_id or stack_name), f"Refused: {exc}.")
        clients = self.pool.get(self._region(request))
        resolved = await asyncio.to_thread(
            resolve_instance, clients.ec2, clients.cloudformation, instance_id=instance_id, stack_name=stack_name
        )
        if resolved.instance_id is None:
            reason = resolved.problems[0].advice if resolved.problems else "no instance to fix was found"
            return self._refused(str(instance_id or stack_name), reason)
        with StepPlan(["approval.redeem", "fix_retransmissions"]) as plan:  # a refusal shows the fix as skipped
            try:
                with plan.step("approval.redeem", parameters={"instance_id": resolved.instance_id}):
                    claims = await redeem_approval(
                        token, instance_id=resolved.instance_id, secret=secret, redis=self.redis
                    )
            except ApprovalTokenError as exc:
                return self._refused(resolved.instance_id, f"Refused: {exc}.")
            except RedisError:
                reason = (
                    "Refused: the approval cannot be checked because Redis is unreachable;"
                    " fix REDIS_URL and approve again."
                )
                return self._refused(resolved.instance_id, reason)
            await emit(f"Applying TCP fixes to {resolved.instance_id} over SSM (approved by {claims.approver})…")
            s = self.settings
            with plan.step("fix_retransmissions", parameters={"instance_id": resolved.instance_id}):
                remediation = await asyncio.to_thread(
                    apply_fix,
                    clients.ssm,
                    resolved.instance_id,
                    persist=s.persist_sysctl,
                    poll_interval_s=s.ssm_poll_interval_s,
                    timeout_s=s.ssm_timeout_s,
                )
        if remediation.verified:
            severity, headline = "ok", f"TCP fixes applied to {remediation.instance_id} and verified by read-back."
        elif remediation.status == "Success":
            severity, headline = (
                "warning",
                f"The fix ran on {remediation.instance_id} but the read-back does not confirm it.",
            )
        else:
            severity, headline = (
                "critical",
                f"The fix on {remediation.instance_id} did not complete ({remediation.status}).",
            )
        answer = Answer(REMEDIATION_KIND, severity, headline, remediation=remediation)  # type: ignore[arg-type]
        return Outcome(answer, render_markdown(answer), ok=remediation.status == "Success")

    def _region(self, request: dict[str, Any]) -> str:
        return region_or_default(request.get("region"), self.settings.aws_region)

    @staticmethod
    def _refused(instance: str, reason: str) -> Outcome:
        remediation = Remediation(instance_id=instance, command_id=None, status="Refused", verified=False, error=reason)
        answer = Answer(REMEDIATION_KIND, "warning", reason, remediation=remediation)
        return Outcome(answer, render_markdown(answer), ok=False, refused=reason)


def _text(value: Any) -> str | None:
    """A field of the request as text (JSON may carry anything); the validators after this judge it."""
    return None if value in (None, "") else str(value)
