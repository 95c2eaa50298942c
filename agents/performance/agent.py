"""The Performance Agent's logic, apart from A2A: run a plan's tools, diagnose, remediate.

boto3 is synchronous, so each tool runs in a worker thread (contextvars are copied, so its
TOOL step nests under the request's trace); progress from inside a tool is bridged back to
the event loop in order. Clients are created once per region per process and closed on
shutdown. The deterministic planner and the LLM planners drive the same `ToolRunner`, and
the data part always comes from `diagnose` over the tools' structured reports, so a model
can word the answer but cannot invent findings.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

import boto3
import redis.asyncio as aioredis
from botocore.config import Config

from agents.approval_token import ApprovalTokenError, verify
from agents.performance.answer import REMEDIATION_KIND, Answer, Remediation
from agents.performance.approval import redeem_approval
from agents.performance.diagnosis import diagnose
from agents.performance.llm.loop import LlmError
from agents.performance.planner import FIX, FLOW_MONITOR, MAX_WINDOW_MINUTES, MIRRORING, Plan, ToolCall, plan
from agents.performance.render import render_markdown
from agents.performance.tools.aws import AwsProblem, aws_step
from agents.performance.tools.fix_script import INSTANCE_ID_RE
from agents.performance.tools.flow_monitor import FlowMonitorReport, TimeWindow, analyze_network_flow_monitor
from agents.performance.tools.mirroring import MirroringReport, analyze_traffic_mirroring_logs
from agents.performance.tools.remediation import apply_fix, dry_run, resolve_instance
from agents.settings import Settings
from agents.traceability import CallType, TraceStep

Emit = Callable[[str], Awaitable[None]]
_REGION = re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$")
_SERVICES = ("ec2", "s3", "cloudwatch", "ssm", "cloudformation", "sts")


def region_or_default(value: Any, default: str) -> str:
    """A region someone supplied, if it is a region name at all; otherwise the default."""
    return str(value) if value and _REGION.match(str(value)) else default


@dataclass
class AwsClients:
    ec2: Any
    s3: Any
    cloudwatch: Any
    ssm: Any
    cloudformation: Any
    sts: Any
    nfm: Any

    def close(self) -> None:
        for client in vars(self).values():
            client.close()


class ClientPool:
    """boto3 clients per region, created on first use and kept for the process's life."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._clients: dict[str, AwsClients] = {}
        self._lock = threading.Lock()
        self.account_id: str | None = None  # from STS, once per process

    def get(self, region: str) -> AwsClients:
        if not _REGION.match(region):
            raise ValueError(f"{region!r} is not an AWS region name")
        with self._lock:
            if region not in self._clients:
                self._clients[region] = self._create(region)
            return self._clients[region]

    def _create(self, region: str) -> AwsClients:
        attempts = self._settings.aws_max_attempts
        config = Config(retries={"mode": "standard", "max_attempts": attempts}, connect_timeout=5, read_timeout=60)
        endpoint = self._settings.aws_endpoint_url
        made = {s: boto3.client(s, region_name=region, endpoint_url=endpoint, config=config) for s in _SERVICES}
        nfm_endpoint = self._settings.nfm_endpoint_url or endpoint
        made["nfm"] = boto3.client("networkflowmonitor", region_name=region, endpoint_url=nfm_endpoint, config=config)
        return AwsClients(**made)

    def close(self) -> None:
        with self._lock:
            for clients in self._clients.values():
                clients.close()
            self._clients.clear()


class Progress:
    """A thread-safe `progress(text)` that delivers status texts to the loop in call order."""

    def __init__(self, emit: Emit, loop: asyncio.AbstractEventLoop) -> None:
        self._emit = emit
        self._loop = loop
        self._pending: list[Future] = []

    def __call__(self, text: str) -> None:
        self._pending.append(asyncio.run_coroutine_threadsafe(self._emit(text), self._loop))

    async def drain(self) -> None:
        await asyncio.gather(*(asyncio.wrap_future(f) for f in self._pending))
        self._pending.clear()


@dataclass
class ToolRunner:
    """Runs named tools with arguments and keeps their structured reports for the diagnosis."""

    settings: Settings
    pool: ClientPool
    progress: Progress
    flow_monitor: FlowMonitorReport | None = None
    mirroring: MirroringReport | None = None
    problems: list[AwsProblem] = field(default_factory=list)

    async def run(self, call: ToolCall) -> dict[str, Any]:
        """Run one tool; returns its report as JSON-able data (what an LLM planner sees)."""
        handlers = {FLOW_MONITOR: self._flow_monitor, MIRRORING: self._mirroring, FIX: self._fix_dry_run}
        handler = handlers.get(call.name)
        if handler is None:
            return {"error": f"there is no tool named {call.name!r}"}
        return await asyncio.to_thread(self._traced, call, handler)

    def _traced(self, call: ToolCall, handler: Callable[[dict[str, Any]], dict[str, Any]]) -> dict[str, Any]:
        try:
            with TraceStep(call.name, CallType.TOOL, parameters=call.args):
                return handler(call.args)
        except (ValueError, TypeError) as exc:  # arguments a model made up: tell it, do not crash the turn
            return {"error": f"bad arguments for {call.name}: {exc}"}

    def _region(self, args: dict[str, Any]) -> str:
        return region_or_default(args.get("region"), self.settings.aws_region)

    def _account_id(self, clients: AwsClients) -> str | None:
        if self.pool.account_id is None:
            with aws_step("sts.get_caller_identity", self.problems):
                self.pool.account_id = clients.sts.get_caller_identity()["Account"]
        return self.pool.account_id

    def _flow_monitor(self, args: dict[str, Any]) -> dict[str, Any]:
        region = self._region(args)
        minutes = _minutes(args.get("window_minutes"), self.settings.analysis_window_minutes)
        clients = self.pool.get(region)
        self.progress(f"Querying Network Flow Monitor in {region} (last {minutes:g} minutes)…")
        report = analyze_network_flow_monitor(
            clients.nfm,
            clients.cloudwatch,
            region=region,
            account_id=self._account_id(clients),
            window=TimeWindow.last(minutes),
            query_timeout_s=self.settings.nfm_query_timeout_s,
            progress=self.progress,
        )
        self.flow_monitor = report
        return report.to_dict()

    def _mirroring(self, args: dict[str, Any]) -> dict[str, Any]:
        bucket = args.get("s3_bucket_name") or self.settings.capture_bucket
        clients = self.pool.get(self._region(args))
        if not bucket:
            return {"error": "no capture bucket: set NETOPS_CAPTURE_BUCKET or name the bucket in the question"}
        self.progress(f"Listing Traffic Mirroring captures in s3://{bucket}…")
        report = analyze_traffic_mirroring_logs(
            clients.ec2,
            clients.s3,
            s3_bucket_name=str(bucket),
            prefix=str(args.get("prefix") or self.settings.capture_prefix),
            time_window_minutes=_minutes(args.get("time_window_minutes"), self.settings.analysis_window_minutes),
            target_instance_id=_instance_or_none(args.get("target_instance_id")),
            max_files=min(
                int(args.get("max_files") or self.settings.capture_max_files), self.settings.capture_max_files
            ),
            byte_budget=self.settings.capture_byte_budget,
            progress=self.progress,
        )
        self.mirroring = report
        return report.to_dict()

    def _fix_dry_run(self, args: dict[str, Any]) -> dict[str, Any]:
        clients = self.pool.get(self._region(args))
        resolved = resolve_instance(
            clients.ec2,
            clients.cloudformation,
            instance_id=args.get("instance_id"),
            stack_name=args.get("stack_name") or self.settings.stack_name,
        )
        self.problems.extend(resolved.problems)
        if resolved.instance_id is None:
            return {"error": resolved.problems[0].advice if resolved.problems else "no instance"}
        rec = dry_run(resolved.instance_id, resolved.stack_name, persist=self.settings.persist_sysctl)
        return {"dry_run": True, **rec.to_dict()}


def _minutes(value: Any, default: float) -> float:
    """A window length from a planner's arguments: a positive number of minutes, at most a week."""
    minutes = float(value) if value not in (None, "") else default
    if not minutes > 0:
        raise ValueError(f"a time window must be a positive number of minutes, not {value!r}")
    return min(minutes, MAX_WINDOW_MINUTES)


def _instance_or_none(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not INSTANCE_ID_RE.match(str(value)):
        raise ValueError(f"{value!r} is not an EC2 instance id")
    return str(value)


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
        instance_id = request.get("instance_id")
        stack_name = request.get("stack_name") or self.settings.stack_name
        secret = self.settings.approval_secret.get_secret_value() if self.settings.approval_secret else ""
        try:
            verify(request.get("approval_token"), secret)  # refuse early, before any AWS call
        except ApprovalTokenError as exc:
            return self._refused(str(instance_id or stack_name), f"Refused: {exc}.")
        clients = self.pool.get(self._region(request))
        resolved = await asyncio.to_thread(
            resolve_instance, clients.ec2, clients.cloudformation, instance_id=instance_id, stack_name=stack_name
        )
        if resolved.instance_id is None:
            reason = resolved.problems[0].advice if resolved.problems else "no instance to fix was found"
            return self._refused(str(instance_id or stack_name), reason)
        try:
            with TraceStep("approval.redeem", CallType.TOOL, parameters={"instance_id": resolved.instance_id}):
                claims = await redeem_approval(
                    request.get("approval_token"), instance_id=resolved.instance_id, secret=secret, redis=self.redis
                )
        except ApprovalTokenError as exc:
            return self._refused(resolved.instance_id, f"Refused: {exc}.")
        await emit(f"Applying TCP fixes to {resolved.instance_id} over SSM (approved by {claims.approver})…")
        s = self.settings
        with TraceStep("fix_retransmissions", CallType.TOOL, parameters={"instance_id": resolved.instance_id}):
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
