"""The lab's evidence: Traffic Mirroring captures in S3 and `AWS/NetworkFlowMonitor` metrics.

Both are written through boto3 to the lab's own endpoint, exactly where the performance agent
will read them, and both are derived from `conditions.flow_conditions` for the host state at
the time, so the evidence follows the incident: impaired → retransmissions on the app → db
flow; fixed → a clean flow in every capture and datapoint written from then on.
"""

from __future__ import annotations

import io
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from agents.lab import topology
from agents.lab.conditions import FlowCondition
from agents.performance.pcap.generator import FlowSpec, write_capture

CAPTURE_SEGMENTS = 1500  # data segments per flow in one capture: enough for a stable loss rate
# The mirror session truncates each mirrored packet to PacketLength; the target's capture adds
# SLL2 (20), outer IPv4 (20), UDP (8) and VXLAN (8) in front of what is left.
MIRROR_SNAPLEN = 20 + 20 + 8 + 8 + topology.MIRROR_PACKET_LENGTH
CLOUDWATCH_NAMES = {
    "RETRANSMISSIONS": ("Retransmissions", "Count"),
    "TIMEOUTS": ("Timeouts", "Count"),
    "ROUND_TRIP_TIME": ("RoundTripTime", "Microseconds"),
    "DATA_TRANSFERRED": ("DataTransferred", "Bytes"),
}


def capture_key(instance_id: str, when: datetime, prefix: str = topology.CAPTURE_PREFIX) -> str:
    """The rotated capture layout: `raw-captures/year=YYYY/month=MM/day=DD/instance-{id}/capture-….pcap`."""
    when = when.astimezone(UTC)
    return (
        f"{prefix}year={when:%Y}/month={when:%m}/day={when:%d}/instance-{instance_id}/capture-{when:%Y%m%d-%H%M%S}.pcap"
    )


def capture_bytes(flows: Iterable[FlowCondition], when: datetime) -> bytes:
    """One capture as the mirror target's tcpdump writes it: SLL2 around outer IP/UDP/VXLAN.

    Deterministic for a given time (the seed derives from it), so a test can regenerate it.
    """
    specs = [
        FlowSpec(
            client=(flow.client_ip, flow.client_port),
            server=(flow.server_ip, flow.server_port),
            segments=CAPTURE_SEGMENTS,
            loss_rate=flow.loss_rate,
            rtt_s=flow.rtt_s,
            vni=topology.MIRROR_VNI,
        )
        for flow in flows
    ]
    out = io.BytesIO()
    seed = zlib.crc32(when.isoformat().encode())
    write_capture(out, specs, link="sll2-vxlan", seed=seed, start_time=when.timestamp(), snaplen=MIRROR_SNAPLEN)
    return out.getvalue()


def metric_data(flows: Iterable[FlowCondition], when: datetime) -> list[dict[str, Any]]:
    """One minute of `AWS/NetworkFlowMonitor` datapoints for the lab's monitor.

    The per-flow values add up to the monitor's totals; `HealthIndicator` stays 0 because the
    incident is on our host, not in the AWS network, which is the point the agent must make.
    """
    totals = {name: 0.0 for name in CLOUDWATCH_NAMES}
    rtts = []
    for flow in flows:
        minute = flow.per_minute()
        for name in ("RETRANSMISSIONS", "TIMEOUTS", "DATA_TRANSFERRED"):
            totals[name] += minute[name]
        rtts.append(minute["ROUND_TRIP_TIME"])
    totals["ROUND_TRIP_TIME"] = sum(rtts) / len(rtts) if rtts else 0.0
    dimensions = [
        {"Name": "MeasurementSource", "Value": topology.MEASUREMENT_SOURCE},
        {"Name": "MonitorName", "Value": topology.MONITOR_NAME},
    ]
    data = [
        {"MetricName": metric, "Dimensions": dimensions, "Timestamp": when, "Value": float(totals[key]), "Unit": unit}
        for key, (metric, unit) in CLOUDWATCH_NAMES.items()
    ]
    data.append(
        {"MetricName": "HealthIndicator", "Dimensions": dimensions, "Timestamp": when, "Value": 0.0, "Unit": "None"}
    )
    return data


@dataclass
class TelemetryWriter:
    """Writes captures and metrics for one lab through boto3 clients pointed at the lab."""

    s3: Any
    cloudwatch: Any
    bucket: str
    mirrored_instance_id: str

    def write_capture(self, flows: list[FlowCondition], when: datetime) -> str:
        key = capture_key(self.mirrored_instance_id, when)
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=capture_bytes(flows, when))
        return key

    def write_metrics(self, flows: list[FlowCondition], minutes: Iterable[datetime]) -> int:
        data = [datum for when in minutes for datum in metric_data(flows, when)]
        for start in range(0, len(data), 500):
            self.cloudwatch.put_metric_data(Namespace=topology.METRIC_NAMESPACE, MetricData=data[start : start + 500])
        return len(data)
