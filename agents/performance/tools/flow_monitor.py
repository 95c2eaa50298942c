"""Tool: Network Flow Monitor top contributors and its CloudWatch metrics.

For each active monitor, the four top-contributor queries (retransmissions, timeouts, round
trip time, data transferred) run side by side and are polled under one deadline; a query
still running at the deadline is stopped, not abandoned. Values are converted by the unit
each result carries (RTT arrives in microseconds). The `AWS/NetworkFlowMonitor` metrics are
read with the dimension sets `list_metrics` reports, because CloudWatch matches dimensions
exactly. `HealthIndicator` (1 = AWS says its own network is degraded) is kept apart from
our judgement of the flows.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from agents.i18n import tr
from agents.performance.tools.aws import AwsProblem, StepFailed, aws_step
from agents.plural import counted

METRICS = ("RETRANSMISSIONS", "TIMEOUTS", "ROUND_TRIP_TIME", "DATA_TRANSFERRED")
DESTINATION_CATEGORIES = ("INTRA_AZ", "INTER_AZ")
CLOUDWATCH_NAMESPACE = "AWS/NetworkFlowMonitor"
CLOUDWATCH_STATS = {
    "Retransmissions": "Sum",
    "Timeouts": "Sum",
    "DataTransferred": "Sum",
    "RoundTripTime": "Average",
    "HealthIndicator": "Maximum",
}
MAX_MONITORS = 5
_TERMINAL = {"SUCCEEDED", "FAILED", "CANCELED"}
_TO_MS = {"Microseconds": 0.001, "Milliseconds": 1.0, "Seconds": 1000.0}
_TO_BYTES = {"Bytes": 1, "Kilobytes": 1024, "Megabytes": 1024**2, "Gigabytes": 1024**3, "Terabytes": 1024**4}


@dataclass(frozen=True)
class TimeWindow:
    start: datetime
    end: datetime

    @classmethod
    def last(cls, minutes: float, now: datetime | None = None) -> TimeWindow:
        end = now or datetime.now(UTC)
        return cls(end - timedelta(minutes=minutes), end)

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


@dataclass
class FlowContributor:
    """One flow as NFM sees it; the local side is the monitored resource."""

    monitor: str
    destination_category: str
    local_ip: str | None = None
    local_instance_id: str | None = None
    local_subnet_id: str | None = None
    local_az: str | None = None
    remote_ip: str | None = None
    remote_instance_id: str | None = None
    remote_subnet_id: str | None = None
    remote_az: str | None = None
    target_port: int | None = None
    retransmissions: float | None = None
    timeouts: float | None = None
    rtt_ms: float | None = None
    bytes: float | None = None

    @property
    def key(self) -> tuple:
        return (self.monitor, self.local_ip, self.remote_ip, self.target_port, self.local_instance_id)

    @property
    def flow(self) -> str:
        port = f":{self.target_port}" if self.target_port is not None else ""
        return f"{self.local_ip or '?'} → {self.remote_ip or '?'}{port}"

    @property
    def estimated_retransmission_rate(self) -> float | None:
        """Retransmitted segments over segments sent, estimating segments as bytes / 1448 (a full MSS)."""
        if self.retransmissions is None or not self.bytes:
            return None
        return self.retransmissions / max(1.0, self.bytes / 1448)


@dataclass
class MonitorMetrics:
    monitor: str
    dimensions: list[dict[str, str]]
    values: dict[str, float] = field(default_factory=dict)  # Retransmissions, Timeouts, DataTransferred, ...

    @property
    def aws_network_degraded(self) -> bool:
        return self.values.get("HealthIndicator", 0) >= 1


@dataclass
class FlowMonitorReport:
    region: str
    account_id: str | None
    window: TimeWindow
    monitors: list[dict[str, Any]] = field(default_factory=list)
    contributors: list[FlowContributor] = field(default_factory=list)
    metrics: list[MonitorMetrics] = field(default_factory=list)
    queries: list[dict[str, str]] = field(default_factory=list)
    problems: list[AwsProblem] = field(default_factory=list)

    @property
    def analyzed(self) -> bool:
        return bool(self.contributors or self.metrics)

    def worst_flows(self, limit: int = 5) -> list[FlowContributor]:
        def badness(c: FlowContributor) -> tuple:
            return (c.timeouts or 0, c.estimated_retransmission_rate or 0, c.retransmissions or 0, c.rtt_ms or 0)

        return sorted(self.contributors, key=badness, reverse=True)[:limit]

    def to_dict(self) -> dict[str, Any]:
        return {
            "region": self.region,
            "account_id": self.account_id,
            "window": {"start": self.window.start.isoformat(), "end": self.window.end.isoformat()},
            "monitors": self.monitors,
            "worst_flows": [asdict(c) | {"flow": c.flow} for c in self.worst_flows()],
            "metrics": [asdict(m) for m in self.metrics],
            "aws_network_degraded": [m.monitor for m in self.metrics if m.aws_network_degraded],
            "queries": self.queries,
            "problems": [p.to_dict() for p in self.problems],
        }


def convert(value: float, unit: str | None, metric: str) -> float:
    """A top-contributor value in our units: milliseconds for RTT, bytes for data, counts otherwise."""
    if metric == "ROUND_TRIP_TIME":
        return value * _TO_MS.get(unit or "Microseconds", 0.001)
    if metric == "DATA_TRANSFERRED":
        return value * _TO_BYTES.get(unit or "Bytes", 1)
    return value


def _list_monitors(nfm: Any, problems: list[AwsProblem], progress: Callable[..., None]) -> list[dict[str, Any]]:
    monitors: list[dict[str, Any]] = []
    with aws_step("networkflowmonitor.list_monitors", problems) as step:
        token: str | None = None
        while True:
            page = nfm.list_monitors(**({"nextToken": token} if token else {}))
            monitors.extend(page.get("monitors", []))
            token = page.get("nextToken")
            if not token:
                break
        step.set_attribute("monitors", len(monitors))
    if not monitors and not problems:
        problems.append(
            AwsProblem(
                operation="networkflowmonitor.list_monitors",
                code="NoMonitors",
                message="no Network Flow Monitor monitors in this region",
                advice="Create a Network Flow Monitor monitor for the affected VPC or subnet (or ask about the region "
                "that has one); meanwhile the traffic-mirroring captures are the evidence.",
            )
        )
    active = [m for m in monitors if m.get("monitorStatus") == "ACTIVE"]
    if monitors and not active:
        states = ", ".join(f"{m.get('monitorName')} is {m.get('monitorStatus')}" for m in monitors[:5])
        problems.append(
            AwsProblem(
                operation="networkflowmonitor.list_monitors",
                code="NoActiveMonitors",
                message=f"no Network Flow Monitor monitor is active ({states})",
                advice="Activate a monitor (or fix the one in ERROR) in the Network Flow Monitor console, "
                "then ask again.",
            )
        )
    progress(
        "Querying Network Flow Monitor: {active} active of {monitors}…",
        active=len(active),
        monitors=counted(len(monitors), "monitor"),
        total=len(monitors),
    )
    details = []
    for summary in active[:MAX_MONITORS]:
        name = summary["monitorName"]
        with aws_step("networkflowmonitor.get_monitor", problems, parameters={"monitor": name}, resource=name):
            got = nfm.get_monitor(monitorName=name)
            details.append(
                {
                    "name": name,
                    "status": got.get("monitorStatus"),
                    "local_resources": got.get("localResources", []),
                    "remote_resources": got.get("remoteResources", []),
                }
            )
    return details


def _run_queries(
    nfm: Any,
    monitors: list[str],
    window: TimeWindow,
    problems: list[AwsProblem],
    report: FlowMonitorReport,
    *,
    timeout_s: float,
    poll_interval_s: float,
    sleep: Callable[[float], None],
) -> None:
    pending: dict[tuple[str, str, str], str] = {}
    for monitor in monitors:
        for metric in METRICS:
            for category in DESTINATION_CATEGORIES:
                params = {"monitor": monitor, "metric": metric, "category": category}
                with aws_step("networkflowmonitor.start_query", problems, parameters=params, resource=monitor):
                    started = nfm.start_query_monitor_top_contributors(
                        monitorName=monitor,
                        startTime=window.start,
                        endTime=window.end,
                        metricName=metric,
                        destinationCategory=category,
                        limit=10,
                    )
                    pending[(monitor, metric, category)] = started["queryId"]
    deadline = time.monotonic() + timeout_s
    with aws_step("networkflowmonitor.wait_queries", problems, parameters={"queries": len(pending)}) as step:
        done: dict[tuple[str, str, str], str] = {}  # key -> query id, only for SUCCEEDED queries
        while pending:
            for key, query_id in list(pending.items()):
                status = nfm.get_query_status_monitor_top_contributors(monitorName=key[0], queryId=query_id)["status"]
                if status in _TERMINAL:
                    if status == "SUCCEEDED":
                        done[key] = query_id
                    del pending[key]
                    report.queries.append({"monitor": key[0], "metric": key[1], "category": key[2], "status": status})
            if pending and time.monotonic() >= deadline:
                break
            if pending:
                sleep(poll_interval_s)
        for key, query_id in pending.items():
            nfm.stop_query_monitor_top_contributors(monitorName=key[0], queryId=query_id)
            report.queries.append({"monitor": key[0], "metric": key[1], "category": key[2], "status": "STOPPED"})
        step.set_attribute("stopped", len(pending))
        if pending:
            raise StepFailed(
                AwsProblem(
                    operation="networkflowmonitor.wait_queries",
                    code="QueryTimeout",
                    message=f"{len(pending)} top-contributor queries did not finish within {timeout_s:g} s",
                    advice="The unfinished queries were stopped; ask again with a shorter time window.",
                )
            )
    failed = [q for q in report.queries if q["status"] in {"FAILED", "CANCELED"}]
    if failed:
        problems.append(
            AwsProblem(
                operation="networkflowmonitor.query",
                code="QueryFailed",
                message=", ".join(f"{q['monitor']} {q['metric']} {q['category']}: {q['status']}" for q in failed),
                advice="Network Flow Monitor could not answer some queries; check the monitor in the console "
                "and ask again.",
            )
        )
    for (monitor, metric, category), query_id in done.items():
        _collect_rows(nfm, monitor, metric, category, query_id, problems, report)


def _collect_rows(
    nfm: Any,
    monitor: str,
    metric: str,
    category: str,
    query_id: str,
    problems: list[AwsProblem],
    report: FlowMonitorReport,
) -> None:
    by_key = {c.key: c for c in report.contributors}
    attribute = {
        "RETRANSMISSIONS": "retransmissions",
        "TIMEOUTS": "timeouts",
        "ROUND_TRIP_TIME": "rtt_ms",
        "DATA_TRANSFERRED": "bytes",
    }[metric]
    params = {"monitor": monitor, "metric": metric, "category": category}
    with aws_step("networkflowmonitor.get_query_results", problems, parameters=params, resource=monitor) as step:
        token: str | None = None
        rows = 0
        while True:
            page = nfm.get_query_results_monitor_top_contributors(
                monitorName=monitor, queryId=query_id, **({"nextToken": token} if token else {})
            )
            unit = page.get("unit")
            for row in page.get("topContributors", []):
                rows += 1
                contributor = FlowContributor(
                    monitor=monitor,
                    destination_category=row.get("destinationCategory", category),
                    local_ip=row.get("localIp"),
                    local_instance_id=row.get("localInstanceId"),
                    local_subnet_id=row.get("localSubnetId"),
                    local_az=row.get("localAz"),
                    remote_ip=row.get("remoteIp"),
                    remote_instance_id=row.get("remoteInstanceId"),
                    remote_subnet_id=row.get("remoteSubnetId"),
                    remote_az=row.get("remoteAz"),
                    target_port=row.get("targetPort"),
                )
                contributor = by_key.setdefault(contributor.key, contributor)
                setattr(contributor, attribute, convert(float(row.get("value", 0)), unit, metric))
            token = page.get("nextToken")
            if not token:
                break
        step.set_attribute("rows", rows)
    report.contributors = list(by_key.values())


def _read_metrics(
    cloudwatch: Any, monitor: str, window: TimeWindow, problems: list[AwsProblem], report: FlowMonitorReport
) -> None:
    params = {"monitor": monitor, "namespace": CLOUDWATCH_NAMESPACE}
    with aws_step("cloudwatch.network_flow_monitor_metrics", problems, parameters=params, resource=monitor) as step:
        found: list[dict[str, Any]] = []
        for page in cloudwatch.get_paginator("list_metrics").paginate(
            Namespace=CLOUDWATCH_NAMESPACE, Dimensions=[{"Name": "MonitorName", "Value": monitor}]
        ):
            found.extend(m for m in page.get("Metrics", []) if m["MetricName"] in CLOUDWATCH_STATS)
        step.set_attribute("metrics", len(found))
        if not found:
            return
        period = max(60, int(window.minutes * 60) // 60 * 60)
        queries = [
            {
                "Id": f"m{i}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": CLOUDWATCH_NAMESPACE,
                        "MetricName": m["MetricName"],
                        "Dimensions": m["Dimensions"],
                    },
                    "Period": period,
                    "Stat": CLOUDWATCH_STATS[m["MetricName"]],
                },
            }
            for i, m in enumerate(found)
        ]
        response = cloudwatch.get_metric_data(MetricDataQueries=queries, StartTime=window.start, EndTime=window.end)
        by_dims: dict[tuple, MonitorMetrics] = {}
        for result in response.get("MetricDataResults", []):
            metric = found[int(result["Id"][1:])]
            dims = sorted(metric["Dimensions"], key=lambda d: d["Name"])
            entry = by_dims.setdefault(
                tuple((d["Name"], d["Value"]) for d in dims), MonitorMetrics(monitor=monitor, dimensions=dims)
            )
            values = result.get("Values", [])
            if not values:
                continue
            name = metric["MetricName"]
            if CLOUDWATCH_STATS[name] == "Sum":
                value = float(sum(values))
            elif CLOUDWATCH_STATS[name] == "Maximum":
                value = float(max(values))
            else:
                value = float(sum(values) / len(values))
            if name == "RoundTripTime":
                name, value = "RoundTripTimeMs", value / 1000.0  # CloudWatch reports microseconds
            entry.values[name] = value
        report.metrics.extend(by_dims.values())


def analyze_network_flow_monitor(
    nfm: Any,
    cloudwatch: Any,
    *,
    region: str,
    account_id: str | None,
    window: TimeWindow,
    query_timeout_s: float = 60.0,
    poll_interval_s: float = 1.0,
    progress: Callable[..., None] = lambda _text, **_values: None,
    sleep: Callable[[float], None] = time.sleep,
) -> FlowMonitorReport:
    """Monitors, their top contributors over `window`, and their CloudWatch metrics; failures become problems."""
    report = FlowMonitorReport(region=region, account_id=account_id, window=window)
    report.monitors = _list_monitors(nfm, report.problems, progress)
    names = [m["name"] for m in report.monitors]
    if names:
        _run_queries(
            nfm,
            names,
            window,
            report.problems,
            report,
            timeout_s=query_timeout_s,
            poll_interval_s=poll_interval_s,
            sleep=sleep,
        )
        for name in names:
            _read_metrics(cloudwatch, name, window, report.problems, report)
    progress("{status}", status=status_text(report, monitors=len(names), lang=getattr(progress, "language", "en")))
    return report


def status_text(report: FlowMonitorReport, *, monitors: int, lang: str = "en") -> str:
    """What NFM said, with AWS's verdict on its own network kept apart from what the flows show.

    "0 problems" read as "the network is fine" while the flows showed retransmissions: AWS's
    health indicator only speaks for AWS's network, so the flows' numbers are stated beside it.
    """
    parts = [
        tr(
            lang,
            "Network Flow Monitor: {flows} from {monitors}",
            flows=counted(len(report.contributors), "flow"),
            monitors=counted(monitors, "monitor"),
            n_flows=len(report.contributors),
            n_monitors=monitors,
        )
    ]
    degraded = [m.monitor for m in report.metrics if m.aws_network_degraded]
    if degraded:
        parts.append(
            tr(
                lang,
                "AWS network health indicator: degraded for {monitors} (AWS-side)",
                monitors=", ".join(sorted(set(degraded))),
            )
        )
    elif report.metrics:
        parts.append(tr(lang, "AWS network health indicator: healthy (no AWS-side problem)"))
    else:
        parts.append(tr(lang, "AWS network health indicator: not reported"))
    worst = report.worst_flows(limit=1)
    if worst:
        parts.append(tr(lang, "our analysis: worst flow {flow}", flow=describe_flow(worst[0])))
    if report.problems:
        parts.append(
            tr(
                lang,
                "{problems} querying it (see the answer)",
                problems=counted(len(report.problems), "problem"),
                n=len(report.problems),
            )
        )
    return "; ".join(parts) + "."


def describe_flow(c: FlowContributor) -> str:
    """`10.0.1.10 → 10.0.2.20:5432 with ~3.0% retransmissions, 900 timeouts, RTT 4.9 ms` (what NFM measured)."""
    rate = c.estimated_retransmission_rate
    numbers = [f"~{rate:.1%} retransmissions" if rate is not None else None]
    numbers.append(counted(c.timeouts, "timeout", spec=".0f") if c.timeouts is not None else None)
    numbers.append(f"RTT {c.rtt_ms:.1f} ms" if c.rtt_ms is not None else None)
    shown = [n for n in numbers if n]
    return c.flow + (" with " + ", ".join(shown) if shown else "")
