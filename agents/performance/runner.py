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
from datetime import UTC, datetime
from typing import Any

from agents.i18n import tr
from agents.performance.aws_clients import AwsClients, ClientPool, region_or_default
from agents.performance.planner import FIX, FLOW_MONITOR, MAX_WINDOW_MINUTES, MIRRORING, ToolCall
from agents.performance.tools.aws import AwsProblem, aws_step
from agents.performance.tools.fix_script import INSTANCE_ID_RE
from agents.performance.tools.flow_monitor import FlowMonitorReport, TimeWindow, analyze_network_flow_monitor
from agents.performance.tools.host_reads import HostRead, read_hosts
from agents.performance.tools.instances import InstancesReport, describe_instances
from agents.performance.tools.mirroring import MirroringReport, analyze_traffic_mirroring_logs
from agents.plural import counted
from agents.settings import Settings
from agents.traceability import CallType, TraceStep

log = logging.getLogger(__name__)
READ_POLL_S = 0.5  # a read-only look takes a second or two; polling faster than the fix's interval keeps answers quick
Emit = Callable[[str], Awaitable[None]]


class Progress:
    """A thread-safe `progress(msgid, **values)` that delivers status texts to the loop in call order,
    in the asker's language (tools pass catalog message ids, never finished English)."""

    def __init__(self, emit: Emit, loop: asyncio.AbstractEventLoop, language: str = "en") -> None:
        self._emit = emit
        self._loop = loop
        self._pending: list[Future] = []
        self.language = language

    def __call__(self, text: str, **values: object) -> None:
        said = tr(self.language, text, **values)
        self._pending.append(asyncio.run_coroutine_threadsafe(self._emit(said), self._loop))

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
    capture_region_note: str | None = None

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
        self.progress(
            "Querying Network Flow Monitor in {region} (last {minutes})…",
            region=region,
            minutes=counted(round(minutes, 1), "minute", spec="g"),
            n=f"{round(minutes, 1):g}",
        )
        report = analyze_network_flow_monitor(
            clients.nfm,
            clients.cloudwatch,
            region=region,
            account_id=self._account_id(clients),
            window=TimeWindow.last(minutes, now=_end(args.get("end"))),
            query_timeout_s=self.settings.nfm_query_timeout_s,
            progress=self.progress,
        )
        self.flow_monitor = report
        return report.to_dict()

    def _mirroring(self, args: dict[str, Any]) -> dict[str, Any]:
        bucket = args.get("s3_bucket_name") or self.settings.capture_bucket
        region = self._region(args)
        clients = self.pool.get(region)
        if not bucket:
            return {"error": "no capture bucket: set NETOPS_CAPTURE_BUCKET or name the bucket in the question"}
        if region != self.settings.aws_region and (elsewhere := self._bucket_region(clients, str(bucket))) != region:
            self.capture_region_note = f"s3://{bucket} is in {elsewhere}, not in {region}"
            return {"error": f"the capture bucket is in {elsewhere}: no captures for {region}"}
        self.progress("Listing Traffic Mirroring captures in s3://{bucket}…", bucket=bucket)
        report = analyze_traffic_mirroring_logs(
            clients.ec2,
            clients.s3,
            s3_bucket_name=str(bucket),
            prefix=str(args.get("prefix") or self.settings.capture_prefix),
            time_window_minutes=_minutes(args.get("time_window_minutes"), self.settings.analysis_window_minutes),
            now=_end(args.get("end")),
            started_after=_end(args.get("started_after")) if args.get("started_after") else None,
            target_instance_id=_instance_or_none(args.get("target_instance_id")),
            max_files=_count(args.get("max_files"), self.settings.capture_max_files, self.settings.capture_max_files),
            byte_budget=self.settings.capture_byte_budget,
            progress=self.progress,
        )
        self.mirroring = report
        return report.to_dict()

    def _fix_dry_run(self, args: dict[str, Any]) -> dict[str, Any]:
        """The fix is not a fixed bundle: it follows from the causes the evidence shows, after the hosts are read."""
        return {
            "dry_run": True,
            "note": "the recommendation is computed from the diagnosis tools' evidence and each host's current "
            "values; call the diagnosis tools, the answer will carry the plan",
        }

    def _bucket_region(self, clients: AwsClients, bucket: str) -> str | None:
        """Where the capture bucket lives: a question about another region must not read it as that region's."""
        with aws_step("s3.get_bucket_location", self.problems, parameters={"bucket": bucket}):
            location = clients.s3.get_bucket_location(Bucket=bucket).get("LocationConstraint")
            return location or "us-east-1"
        return None

    def instances(self, region: str, ids: list[str]) -> InstancesReport:
        """EC2's view of the instances (exists? AZ, type, bandwidth), as a traced step."""
        return describe_instances(self.pool.get(region).ec2, ids, self.problems)

    def read_hosts(self, region: str, ids: list[str]) -> dict[str, HostRead]:
        """The hosts' current TCP settings, qdisc and ENA counters, over SSM (read only)."""
        s = self.settings
        return read_hosts(
            self.pool.get(region).ssm,
            ids,
            self.problems,
            poll_interval_s=min(s.ssm_poll_interval_s, READ_POLL_S),
            timeout_s=min(60.0, s.ssm_timeout_s),
        )


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


def _end(value: Any) -> datetime | None:
    """The end of a planned window (ISO-8601); None (now) when absent or unreadable."""
    if not value:
        return None
    try:
        end = datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise BadArguments(f"{value!r} is not an ISO-8601 time") from exc
    return end if end.tzinfo else end.replace(tzinfo=UTC)


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
