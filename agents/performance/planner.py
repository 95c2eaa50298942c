"""The deterministic planner: which tools a question needs, and with what arguments.

It reads what, where and when from the text (region, instance id, bucket and prefix, time
window) and fills the rest from settings; like the seed's prompt, it never asks the operator
for a region or an account. Everything it extracts is validated by pattern, so nothing the
operator typed reaches AWS unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from agents.performance.question import Scope

FLOW_MONITOR = "analyze_network_flow_monitor"
MIRRORING = "analyze_traffic_mirroring_logs"
FIX = "fix_retransmissions"

_S3_URL = re.compile(r"\bs3://([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])(?:/(\S*))?")
_BUCKET = re.compile(r"\bbucket\s+[`'\"]?([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\b", re.IGNORECASE)
# Naming a source narrows the plan to it; symptoms (slow, retransmissions, latency…) use both.
_CAPTURE_SOURCE = re.compile(r"pcap|capture|mirror", re.IGNORECASE)
_MONITOR_SOURCE = re.compile(r"flow monitor|\bnfm\b|cloudwatch|top contributor", re.IGNORECASE)
_FIX_WORDS = re.compile(r"\b(fix|remediat|tune|apply)", re.IGNORECASE)
MAX_WINDOW_MINUTES = 7 * 24 * 60


@dataclass
class ToolCall:
    name: str
    args: dict[str, Any] = field(default_factory=dict)


@dataclass
class Plan:
    region: str
    window_minutes: float
    instance_id: str | None
    calls: list[ToolCall]
    reasons: list[str]


def plan(
    scope: Scope,
    *,
    capture_bucket: str | None,
    capture_prefix: str,
    max_files: int,
) -> Plan:
    """Map a question's scope to tool calls; both diagnosis tools run unless the question names one source.

    The window's end travels with the calls, so "since 14:00" and "14:00-15:00" mean the same
    minutes to every source.
    """
    question = scope.text
    minutes = round(scope.window.minutes, 3)
    end = scope.window.end.isoformat()
    bucket, prefix = capture_bucket, capture_prefix
    if url := _S3_URL.search(question):
        bucket = url.group(1)
        prefix = url.group(2) or capture_prefix
    elif named := _BUCKET.search(question):
        bucket = named.group(1)

    wants_captures = bool(_CAPTURE_SOURCE.search(question))
    wants_monitor = bool(_MONITOR_SOURCE.search(question))
    if not wants_captures and not wants_monitor:
        wants_captures = wants_monitor = True
    reasons = [
        f"region {scope.region}" + ("" if scope.region_named else " (default)"),
        f"{minutes:g} minutes up to {scope.window.end:%H:%M} UTC",
    ]
    calls: list[ToolCall] = []
    if wants_monitor or not bucket:
        calls.append(ToolCall(FLOW_MONITOR, {"region": scope.region, "window_minutes": minutes, "end": end}))
        reasons.append("Network Flow Monitor for flow health, RTT and timeouts")
    if wants_captures and bucket:
        calls.append(
            ToolCall(
                MIRRORING,
                {
                    "s3_bucket_name": bucket,
                    "prefix": prefix,
                    "time_window_minutes": minutes,
                    "end": end,
                    **({"started_after": scope.window.start.isoformat()} if scope.window.stated == "since_fix" else {}),
                    "region": scope.region,
                    "target_instance_id": None,
                    "max_files": max_files,
                },
            )
        )
        reasons.append(f"Traffic Mirroring captures in s3://{bucket}/{prefix} for TCP retransmissions")
    elif wants_captures:
        reasons.append("no capture bucket is configured (NETOPS_CAPTURE_BUCKET), so captures are skipped")
    if _FIX_WORDS.search(question):
        reasons.append("a fix was asked for: the answer carries the plan; applying it needs an approval")
    return Plan(
        region=scope.region,
        window_minutes=minutes,
        instance_id=scope.instances[0] if scope.instances else None,
        calls=calls,
        reasons=reasons,
    )
