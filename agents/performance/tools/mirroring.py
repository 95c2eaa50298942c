"""Tool: Traffic Mirroring captures in S3, streamed through our TCP analyzer.

What is mirrored (sessions, targets, filters) comes from EC2 so the evidence can be
explained and each flow's addresses named by instance. Capture objects overlapping the
window are analyzed newest first, each streamed from S3 straight into the analyzer (never
read whole into memory, gzip included), under a file cap and a byte budget; when a cap bites
the report says "analyzed N of M files (X GB)". The files are analyzed at once, one thread each
up to the cores this process may use (the compiled analyzer and the S3 reads both release the
GIL; without the compiled kernel one at a time), and folded into the report in file order, so
the answer does not depend on which finished first. Per-flow results are merged across files.
Time spent reading S3 and time in the analyzer are measured apart, so the trace (and the
benchmark) can tell transfer, analysis and our own overhead from each other.
"""

from __future__ import annotations

import contextvars
import re
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, BinaryIO

from agents.performance.tools.aws import AwsProblem, aws_step
from agents.performance.tools.flow_monitor import TimeWindow
from agents.plural import counted

DEFAULT_MAX_FILES = 20
DEFAULT_BYTE_BUDGET = 2 * 1024**3
_KEY_TIME = re.compile(r"capture-(\d{8})-(\d{6})\.pcap(?:ng)?(?:\.gz)?$")
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$")


@dataclass
class CaptureObject:
    key: str
    size: int
    last_modified: datetime
    started: datetime | None

    def overlaps(self, window: TimeWindow) -> bool:
        begin = self.started or self.last_modified
        return begin <= window.end and self.last_modified >= window.start


@dataclass
class MirroredFlow:
    flow: str
    src: str
    dst: str
    sport: int
    dport: int
    vni: int | None
    packets: int
    bytes: int
    retransmissions: int
    retransmission_rate: float
    rtt_p50_ms: float | None
    rtt_p99_ms: float | None
    resets: int
    src_instance_id: str | None = None
    dst_instance_id: str | None = None
    instance_id: str | None = None  # the end to fix: see `_flow_rows`
    stats: Any = field(default=None, repr=False, compare=False)  # the analyzer's FlowStats (per-direction evidence)


@dataclass
class MirroringReport:
    bucket: str
    prefix: str
    window: TimeWindow
    sessions: list[dict[str, Any]] = field(default_factory=list)
    targets: list[dict[str, Any]] = field(default_factory=list)
    filters: list[dict[str, Any]] = field(default_factory=list)
    files_total: int = 0
    bytes_total: int = 0
    files_analyzed: int = 0
    bytes_analyzed: int = 0
    cap_note: str | None = None
    file_errors: list[dict[str, str]] = field(default_factory=list)
    counts: dict[str, Any] = field(default_factory=dict)
    ack_rtt: dict[str, Any] = field(default_factory=dict)
    flows: list[MirroredFlow] = field(default_factory=list)
    s3_read_s: float = 0.0
    analyze_s: float = 0.0
    problems: list[AwsProblem] = field(default_factory=list)
    address_book: dict[str, str] = field(default_factory=dict, repr=False)  # private IP → instance id
    started_after: datetime | None = None  # only captures that started then or later (after a fix)

    @property
    def analyzed(self) -> bool:
        return self.files_analyzed > len(self.file_errors)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "prefix": self.prefix,
            "window": {"start": self.window.start.isoformat(), "end": self.window.end.isoformat()},
            "mirroring": {"sessions": self.sessions, "targets": self.targets, "filters": self.filters},
            "files": {
                "total": self.files_total,
                "analyzed": self.files_analyzed,
                "bytes_total": self.bytes_total,
                "bytes_analyzed": self.bytes_analyzed,
                "cap_note": self.cap_note,
                "errors": self.file_errors,
            },
            "counts": self.counts,
            "ack_rtt": self.ack_rtt,
            "worst_flows": [{k: v for k, v in vars(f).items() if k != "stats"} for f in self.flows[:10]],
            "problems": [p.to_dict() for p in self.problems],
        }


class TimedReader:
    """A read-only stream that adds the time spent waiting on the underlying body to `seconds`."""

    def __init__(self, body: BinaryIO) -> None:
        self._body = body
        self.seconds = 0.0
        self.bytes = 0
        self.largest_read = 0

    def read(self, size: int = -1) -> bytes:
        started = time.perf_counter()
        data = self._body.read(size)
        self.seconds += time.perf_counter() - started
        self.bytes += len(data)
        self.largest_read = max(self.largest_read, len(data))
        return data

    def readable(self) -> bool:
        return True


def capture_time(key: str) -> datetime | None:
    """The start time encoded in a rotated capture's key (`capture-YYYYMMDD-HHMMSS.pcap`)."""
    match = _KEY_TIME.search(key)
    if not match:
        return None
    try:
        return datetime.strptime(match.group(1) + match.group(2), "%Y%m%d%H%M%S").replace(tzinfo=UTC)
    except ValueError:
        return None


def day_prefixes(prefix: str, window: TimeWindow, target_instance_id: str | None) -> list[str]:
    """The `year=/month=/day=` partitions the window touches (plus the instance folder when known)."""
    prefixes = []
    day = window.start.date()
    while day <= window.end.date():
        part = f"{prefix}year={day:%Y}/month={day:%m}/day={day:%d}/"
        prefixes.append(part + (f"instance-{target_instance_id}/" if target_instance_id else ""))
        day += timedelta(days=1)
    return prefixes


def human_bytes(n: float) -> str:
    """Binary units, as operators read memory and buffer sizes: `512 B`, `4.0 KiB`, `5.4 MiB`, `2.0 GiB`."""
    for unit in ("B", "KiB", "MiB"):
        if n < 1024:
            return f"{n:.0f} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return f"{n:.1f} GiB"


def _describe_mirroring(ec2: Any, report: MirroringReport) -> None:
    """Sessions (with the instance behind each source ENI), targets and filters."""
    with aws_step("ec2.describe_traffic_mirroring", report.problems) as step:
        sessions = ec2.describe_traffic_mirror_sessions().get("TrafficMirrorSessions", [])
        targets = ec2.describe_traffic_mirror_targets().get("TrafficMirrorTargets", [])
        filters = ec2.describe_traffic_mirror_filters().get("TrafficMirrorFilters", [])
        report.sessions = [
            {
                "id": s.get("TrafficMirrorSessionId"),
                "source_eni": s.get("NetworkInterfaceId"),
                "target": s.get("TrafficMirrorTargetId"),
                "filter": s.get("TrafficMirrorFilterId"),
                "vni": s.get("VirtualNetworkId"),
                "packet_length": s.get("PacketLength"),
            }
            for s in sessions
        ]
        report.targets = [
            {"id": t.get("TrafficMirrorTargetId"), "type": t.get("Type"), "eni": t.get("NetworkInterfaceId")}
            for t in targets
        ]
        report.filters = [
            {
                "id": f.get("TrafficMirrorFilterId"),
                "ingress_rules": len(f.get("IngressFilterRules", [])),
                "egress_rules": len(f.get("EgressFilterRules", [])),
            }
            for f in filters
        ]
        step.set_attribute("sessions", len(sessions))
        enis = sorted({s["source_eni"] for s in report.sessions if s["source_eni"]})
        if enis:
            described = ec2.describe_network_interfaces(NetworkInterfaceIds=enis).get("NetworkInterfaces", [])
            by_id = {e["NetworkInterfaceId"]: e for e in described}
            for session in report.sessions:
                eni = by_id.get(session["source_eni"], {})
                session["source_instance"] = (eni.get("Attachment") or {}).get("InstanceId")
                session["source_ip"] = eni.get("PrivateIpAddress")
            vpcs = sorted({e["VpcId"] for e in described if e.get("VpcId")})
            if vpcs:
                report.address_book.update(_addresses(ec2, [{"Name": "vpc-id", "Values": vpcs}]))


def _resolve_instances(ec2: Any, ips: Iterable[str], report: MirroringReport) -> dict[str, str]:
    ips = sorted(set(ips))
    if not ips:
        return {}
    found: dict[str, str] = {}
    with aws_step("ec2.describe_network_interfaces", report.problems, parameters={"ips": len(ips)}):
        found = _addresses(ec2, [{"Name": "addresses.private-ip-address", "Values": ips}])
    return found


def _addresses(ec2: Any, filters: list[dict[str, Any]], max_pages: int = 5) -> dict[str, str]:
    """Private IP → instance id for the ENIs matching `filters` (a bounded number of pages)."""
    found: dict[str, str] = {}
    pages = ec2.get_paginator("describe_network_interfaces").paginate(
        Filters=filters, PaginationConfig={"MaxItems": max_pages * 1000, "PageSize": 1000}
    )
    for page in pages:
        for eni in page.get("NetworkInterfaces", []):
            instance = (eni.get("Attachment") or {}).get("InstanceId")
            if instance:
                for address in eni.get("PrivateIpAddresses", []):
                    found[address["PrivateIpAddress"]] = instance
    return found


def _after(obj: CaptureObject, moment: datetime | None) -> bool:
    """A capture that started before a fix holds pre-fix traffic, however late it was uploaded."""
    return moment is None or (obj.started is not None and obj.started >= moment.replace(microsecond=0))


def _list_captures(s3: Any, report: MirroringReport, target_instance_id: str | None) -> list[CaptureObject]:
    objects: list[CaptureObject] = []
    params = {"bucket": report.bucket, "prefix": report.prefix}
    with aws_step("s3.list_captures", report.problems, parameters=params, resource=f"s3://{report.bucket}") as step:
        paginator = s3.get_paginator("list_objects_v2")
        for prefix in day_prefixes(report.prefix, report.window, target_instance_id):
            for page in paginator.paginate(Bucket=report.bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    obj = CaptureObject(item["Key"], int(item["Size"]), item["LastModified"], capture_time(item["Key"]))
                    if obj.size > 0 and obj.overlaps(report.window) and _after(obj, report.started_after):
                        objects.append(obj)
        step.set_attribute("objects", len(objects))
    objects.sort(key=lambda o: (o.started or o.last_modified, o.key), reverse=True)
    return objects


def captures_since(s3: Any, bucket: str, prefix: str, since: datetime, now: datetime | None = None) -> int:
    """How many uploaded captures started at or after `since` (the first ones after a fix)."""
    window = TimeWindow(since, now or datetime.now(UTC))
    count = 0
    for day in day_prefixes(prefix, window, None):
        for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=day):
            for item in page.get("Contents", []):
                started = capture_time(item["Key"])
                if started is not None and started >= since.replace(microsecond=0) and int(item["Size"]) > 0:
                    count += 1
    return count


@dataclass
class _FileOutcome:
    """One capture's analysis, kept apart until it is folded into the report in file order."""

    key: str
    result: Any = None
    s3_read_s: float = 0.0
    analyze_s: float = 0.0
    bytes: int = 0
    problems: list[AwsProblem] = field(default_factory=list)


def _analyze_one(s3: Any, bucket: str, obj: CaptureObject, analyze: Callable, deadline_s: float) -> _FileOutcome:
    outcome = _FileOutcome(obj.key)
    with aws_step("s3.analyze_capture", outcome.problems, parameters={"key": obj.key, "bytes": obj.size}) as step:
        started = time.perf_counter()
        body = s3.get_object(Bucket=bucket, Key=obj.key)["Body"]
        timed = TimedReader(body)
        timed.seconds = time.perf_counter() - started  # the GET's own round trip is S3 transfer too
        try:
            outcome.result = analyze(timed, name=obj.key, deadline_s=deadline_s)  # it un-gzips by itself
        finally:
            body.close()
        elapsed = time.perf_counter() - started
        outcome.s3_read_s, outcome.analyze_s, outcome.bytes = timed.seconds, elapsed - timed.seconds, timed.bytes
        step.set_attribute("s3_read_s", round(timed.seconds, 4))
        step.set_attribute("analyze_s", round(elapsed - timed.seconds, 4))
        step.set_attribute("largest_read", timed.largest_read)  # proof of streaming: far below the size
        if outcome.result.error:
            step.set_attribute("analyzer_error", outcome.result.error)
    return outcome


def _analyze_all(s3: Any, report: MirroringReport, chosen: list[CaptureObject], analyze: Callable, deadline_s: float):
    """Every chosen capture's outcome, in file order, analyzed on all usable cores at once."""
    from agents.performance.pcap import kernel
    from agents.performance.pcap.parallel import usable_cores

    workers = min(len(chosen), usable_cores() if kernel.use_kernel() else 1)
    if workers <= 1:
        return [_analyze_one(s3, report.bucket, obj, analyze, deadline_s) for obj in chosen]
    with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="mirroring-pcap") as pool:
        futures = [
            pool.submit(contextvars.copy_context().run, _analyze_one, s3, report.bucket, obj, analyze, deadline_s)
            for obj in chosen
        ]
        return [future.result() for future in futures]


def _flow_rows(merged: Any, ip_to_instance: dict[str, str], mirrored: set[str]) -> list[MirroredFlow]:
    """Flows named by instance. The end to fix is the mirrored instance when one end is (that is
    the host whose traffic was singled out for capture), else the connection's opener, else the other end;
    the analyzer counts retransmissions of both directions together, so it cannot tell us more."""
    rows = []
    for f in merged.flows:
        src_instance, dst_instance = ip_to_instance.get(f.src), ip_to_instance.get(f.dst)
        mirrored_end = next((i for i in (src_instance, dst_instance) if i and i in mirrored), None)
        rows.append(
            MirroredFlow(
                flow=f.label,
                src=f.src,
                dst=f.dst,
                sport=int(f.sport),
                dport=int(f.dport),
                vni=getattr(f, "vni", None),
                packets=int(f.packets),
                bytes=int(f.bytes),
                retransmissions=int(f.retransmissions),
                retransmission_rate=float(f.retransmission_rate),
                rtt_p50_ms=None if f.rtt_p50_s is None else f.rtt_p50_s * 1000,
                rtt_p99_ms=None if f.rtt_p99_s is None else f.rtt_p99_s * 1000,
                resets=int(f.resets),
                src_instance_id=src_instance,
                dst_instance_id=dst_instance,
                instance_id=mirrored_end or src_instance or dst_instance,
                stats=f,
            )
        )
    return rows


def analyze_traffic_mirroring_logs(
    ec2: Any,
    s3: Any,
    *,
    s3_bucket_name: str,
    prefix: str = "raw-captures/",
    time_window_minutes: float = 30,
    target_instance_id: str | None = None,
    max_files: int = DEFAULT_MAX_FILES,
    byte_budget: int = DEFAULT_BYTE_BUDGET,
    per_file_deadline_s: float = 60.0,
    now: datetime | None = None,
    started_after: datetime | None = None,
    progress: Callable[..., None] = lambda _text, **_values: None,
    analyze: Callable | None = None,
    merge: Callable | None = None,
) -> MirroringReport:
    """What is mirrored, and the TCP health of the captures in the window; failures become problems."""
    if analyze is None or merge is None:
        from agents.performance.pcap import analyze_stream, merge_results

        analyze, merge = analyze or analyze_stream, merge or merge_results
    window = TimeWindow.last(time_window_minutes, now=now)
    report = MirroringReport(bucket=s3_bucket_name, prefix=prefix, window=window, started_after=started_after)
    if not _BUCKET.match(s3_bucket_name):
        report.problems.append(
            AwsProblem(
                operation="s3.list_captures",
                code="InvalidBucketName",
                message=f"{s3_bucket_name!r} is not a valid S3 bucket name",
                advice="Name the capture bucket as it appears in S3 (lowercase letters, digits, dots and dashes).",
            )
        )
        return report
    # What is mirrored only explains the evidence: look it up beside the S3 work, off the critical path.
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="mirroring-ec2") as side:
        described = side.submit(contextvars.copy_context().run, _describe_mirroring, ec2, report)
        results = _list_and_analyze(
            s3, report, target_instance_id, max_files, byte_budget, per_file_deadline_s, progress, analyze
        )
        described.result()
    good = [r for r in results if not r.error]
    if good:
        merged = merge(good)
        data = merged.to_json()
        report.counts, report.ack_rtt = data.get("counts", {}), data.get("ack_rtt", {})
        known = report.address_book  # the mirrored sources' VPCs, looked up beside the analysis
        addresses = {a for f in merged.flows for a in (f.src, f.dst)}
        resolved = {**known, **_resolve_instances(ec2, addresses - known.keys(), report)}
        mirrored = {s["source_instance"] for s in report.sessions if s.get("source_instance")}
        report.flows = _flow_rows(merged, resolved, mirrored)
    retransmissions = report.counts.get("retransmissions", 0)
    progress(
        "Traffic mirroring: {captures} analyzed, {flows}, {retransmissions}.",
        captures=counted(report.files_analyzed, "capture"),
        flows=counted(len(report.flows), "flow"),
        retransmissions=counted(retransmissions, "retransmission"),
        n_captures=report.files_analyzed,
        n_flows=len(report.flows),
        n_retransmissions=retransmissions,
    )
    return report


def _list_and_analyze(
    s3: Any,
    report: MirroringReport,
    target_instance_id: str | None,
    max_files: int,
    byte_budget: int,
    per_file_deadline_s: float,
    progress: Callable[..., None],
    analyze: Callable,
) -> list[Any]:
    objects = _list_captures(s3, report, target_instance_id)
    report.files_total, report.bytes_total = len(objects), sum(o.size for o in objects)
    chosen: list[CaptureObject] = []
    budget = byte_budget
    for obj in objects:
        if len(chosen) >= max_files or obj.size > budget:
            break
        chosen.append(obj)
        budget -= obj.size
    if len(chosen) < len(objects):
        report.cap_note = (
            f"analyzed {len(chosen)} of {counted(len(objects), 'file')} "
            f"({human_bytes(sum(o.size for o in chosen))} of {human_bytes(report.bytes_total)})"
        )
    progress(
        "Analyzing {n} of {captures} from s3://{bucket}/{prefix}…",
        n=len(chosen),
        captures=counted(len(objects), "capture"),
        total=len(objects),
        bucket=report.bucket,
        prefix=report.prefix,
    )
    results = []
    for outcome in _analyze_all(s3, report, chosen, analyze, per_file_deadline_s):
        report.problems += outcome.problems
        report.s3_read_s += outcome.s3_read_s
        report.analyze_s += outcome.analyze_s
        report.bytes_analyzed += outcome.bytes
        if outcome.result is not None:
            report.files_analyzed += 1
            results.append(outcome.result)
            if outcome.result.error:
                report.file_errors.append({"key": outcome.key, "error": outcome.result.error})
    return results
