"""Running the tools for one question: in worker threads, traced, with progress bridged back.

boto3 is synchronous, so each tool runs in a worker thread (contextvars are copied, so its
TOOL step nests under the request's trace); progress texts from inside a tool reach the event
loop in call order. The deterministic planner and the LLM planners drive the same runner, which
keeps each tool's structured report for the diagnosis. A tool that fails in an unexpected way
becomes a problem in the answer, so the other tools' results still count.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from concurrent.futures import Future
from dataclasses import dataclass, field
from typing import Any

from agents.performance.aws_clients import AwsClients, ClientPool, region_or_default
from agents.performance.planner import FIX, FLOW_MONITOR, MAX_WINDOW_MINUTES, MIRRORING, ToolCall
from agents.performance.tools.aws import AwsProblem, aws_step
from agents.performance.tools.fix_script import INSTANCE_ID_RE
from agents.performance.tools.flow_monitor import FlowMonitorReport, TimeWindow, analyze_network_flow_monitor
from agents.performance.tools.mirroring import MirroringReport, analyze_traffic_mirroring_logs
from agents.performance.tools.remediation import dry_run, resolve_instance
from agents.plural import counted
from agents.settings import Settings
from agents.traceability import CallType, TraceStep

log = logging.getLogger(__name__)
Emit = Callable[[str], Awaitable[None]]


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
        except BadArguments as exc:  # arguments a model made up: tell it, do not crash the turn
            return {"error": f"bad arguments for {call.name}: {exc}"}
        except Exception as exc:  # a bug in one source must not cost the others their answer
            log.exception("tool %s failed", call.name)
            self.problems.append(
                AwsProblem(
                    operation=call.name,
                    code="InternalError",
                    message=f"{call.name} failed inside the agent ({type(exc).__name__})",
                    advice="The other sources still answered; report this with the trace, it is a bug in the agent.",
                )
            )
            return {"error": f"{call.name} failed inside the agent"}

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
        self.progress(f"Querying Network Flow Monitor in {region} (last {counted(minutes, 'minute', spec='g')})…")
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
            max_files=_count(args.get("max_files"), self.settings.capture_max_files, self.settings.capture_max_files),
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


class BadArguments(ValueError):
    """A planner (usually a model) passed arguments a tool cannot take; the message says which."""


def _minutes(value: Any, default: float) -> float:
    """A window length from a planner's arguments: a positive number of minutes, at most a week."""
    try:
        minutes = float(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        minutes = -1.0
    if not minutes > 0:
        raise BadArguments(f"a time window must be a positive number of minutes, not {value!r}")
    return min(minutes, MAX_WINDOW_MINUTES)


def _count(value: Any, default: int, most: int) -> int:
    try:
        count = int(value) if value not in (None, "") else default
    except (TypeError, ValueError):
        count = 0
    if count < 1:
        raise BadArguments(f"a file count must be a whole number above 0, not {value!r}")
    return min(count, most)


def _instance_or_none(value: Any) -> str | None:
    if value in (None, ""):
        return None
    if not INSTANCE_ID_RE.fullmatch(str(value)):
        raise BadArguments(f"{value!r} is not an EC2 instance id")
    return str(value)
