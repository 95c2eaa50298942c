"""The lab's evidence: Traffic Mirroring captures in S3 and `AWS/NetworkFlowMonitor` metrics.

Both are derived from `agents.lab.model` for the hosts' state at the time and written through
boto3 to the lab's own endpoint, exactly where the performance agent reads them. A capture is
a sample of its stretch of time: a bounded number of segments per flow, timed at the flow's
modelled throughput, as the mirror target's tcpdump records them (SLL2 around outer
IP/UDP/VXLAN, truncated by the session's PacketLength). A mirror session sees only its own
interface: flows of other hosts are not in the capture, and a flow the mirrored host receives
is seen from the receiver's side.
"""

from __future__ import annotations

import io
import struct
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from agents.lab import topology
from agents.lab.model import MSS, REQUEST_SEGMENTS, RESPONSE_SEGMENTS, FlowCondition, Observation
from agents.lab.scenarios import Monitor
from agents.performance.pcap.generator import FlowSpec, write_capture

BULK_SAMPLE_SEGMENTS = 480  # data segments of a bulk flow per capture: a stable loss rate, a small file
SAMPLE_CONNECTIONS = 20  # connections of a request/response flow per capture (a fifth reset = 4)
CONNECTION_SPACING_S = 0.05
# The mirror session truncates each mirrored packet to PacketLength; the target's capture adds
# SLL2 (20), outer IPv4 (20), UDP (8) and VXLAN (8) in front of what is left.
MIRROR_SNAPLEN = 20 + 20 + 8 + 8 + topology.MIRROR_PACKET_LENGTH
SAMPLE_EPOCH = datetime(2026, 1, 1, tzinfo=UTC)  # where a state's samples are drawn before re-timing
# Samples drawn per host state, used in turn minute by minute: the losses fall elsewhere from one
# minute to the next and short connections take other ephemeral ports, as on a real host.
SAMPLE_VARIANTS = 4
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


def _burst_interval_s(flow: FlowCondition, burst: int) -> float:
    """How often a burst of `burst` segments starts when the flow runs at its modelled throughput."""
    return burst * MSS * 8 / max(flow.throughput_bps, 1.0)


def _common(flow: FlowCondition, mirrored_role: str) -> dict[str, Any]:
    return {
        "server": (flow.server_ip, flow.server_port),
        "loss_rate": flow.loss_rate,
        "reorder_rate": flow.reorder_rate,
        "reorder_depth": flow.reorder_depth,
        "rtt_s": flow.rtt_s,
        "mss": MSS,
        "vni": topology.MIRROR_VNI,
        "syn_options": True,
        "timestamps": flow.timestamps,
        "client_wscale": flow.client_wscale,
        "server_wscale": flow.server_wscale,
        "client_window": flow.client_window,
        "server_window": flow.window,
        "capture_at": "sender" if mirrored_role == flow.client_role else "receiver",
    }


def flow_specs(flow: FlowCondition, mirrored_role: str, variant: int = 0) -> list[FlowSpec]:
    """The connections of one flow in one capture: a bulk transfer, or a run of short exchanges.

    A run of short exchanges takes ephemeral ports from the flow's `client_port` up, a new range
    for each sample variant."""
    common = _common(flow, mirrored_role)
    if flow.pattern == "bulk":
        burst = flow.burst
        return [
            FlowSpec(
                client=(flow.client_ip, flow.client_port),
                segments=BULK_SAMPLE_SEGMENTS,
                burst=burst,
                burst_interval_s=_burst_interval_s(flow, burst),
                zero_window_pause_s=flow.zero_window_pause_s,
                **common,
            )
        ]
    specs = []
    for k in range(SAMPLE_CONNECTIONS):
        # the server resets its share of connections, spread evenly over the sample
        reset = int((k + 1) * flow.reset_share) > int(k * flow.reset_share) if flow.reset_share else False
        specs.append(
            FlowSpec(
                client=(flow.client_ip, flow.client_port + variant * SAMPLE_CONNECTIONS + k),
                segments=REQUEST_SEGMENTS,
                burst=REQUEST_SEGMENTS,
                response_segments=0 if reset else RESPONSE_SEGMENTS,
                reset=reset,
                start_s=k * CONNECTION_SPACING_S,
                **common,
            )
        )
    return specs


def capture_bytes(
    flows: Iterable[FlowCondition], when: datetime, mirrored_role: str, seed_text: str = "", variant: int = 0
) -> bytes:
    """One capture of the mirrored host's interface, starting at `when`.

    Deterministic for a given time, seed text (the scenario's name) and variant, so a test can regenerate it.
    """
    specs = [
        spec
        for flow in flows
        if mirrored_role in (flow.client_role, flow.server_role)
        for spec in flow_specs(flow, mirrored_role, variant)
    ]
    out = io.BytesIO()
    seed = zlib.crc32(f"{seed_text}@{when.isoformat()}#{variant}".encode())
    write_capture(out, specs, link="sll2-vxlan", seed=seed, start_time=when.timestamp(), snaplen=MIRROR_SNAPLEN)
    return out.getvalue()


_PCAP_HEADER = 24
_RECORD = struct.Struct("<IIII")


def retime(capture: bytes, offset_s: float) -> bytes:
    """The same capture `offset_s` later: every record's timestamp moved, nothing else.

    The lab draws one sample per host state and re-times it for each minute it covers, so an
    hour of history costs one generation per state, not sixty.
    """
    offset_us = round(offset_s * 1e6)
    out = bytearray(capture)
    at = _PCAP_HEADER
    while at + _RECORD.size <= len(out):
        sec, usec, stored, orig = _RECORD.unpack_from(out, at)
        sec, usec = divmod(sec * 1_000_000 + usec + offset_us, 1_000_000)
        _RECORD.pack_into(out, at, sec, usec, stored, orig)
        at += _RECORD.size + stored
    return bytes(out)


def metric_data(flows: Iterable[FlowCondition], when: datetime, monitor: Monitor, seconds: float = 60.0) -> list[dict]:
    """`AWS/NetworkFlowMonitor` datapoints for one monitor over `seconds` from `when`.

    Counts and bytes are the flows' per-minute values for that share of a minute; the RTT is
    the flows' mean. `HealthIndicator` is published only when the scenario gives the monitor one:
    a missing metric means unknown, and the lab must not make it look healthy.
    """
    share = seconds / 60
    totals = dict.fromkeys(CLOUDWATCH_NAMES, 0.0)
    rtts = []
    for flow in flows:
        minute = flow.per_minute()
        for name in ("RETRANSMISSIONS", "TIMEOUTS", "DATA_TRANSFERRED"):
            totals[name] += minute[name] * share
        rtts.append(minute["ROUND_TRIP_TIME"])
    totals["ROUND_TRIP_TIME"] = sum(rtts) / len(rtts) if rtts else 0.0
    dimensions = [
        {"Name": "MeasurementSource", "Value": topology.MEASUREMENT_SOURCE},
        {"Name": "MonitorName", "Value": monitor.name},
    ]
    data = [
        {"MetricName": metric, "Dimensions": dimensions, "Timestamp": when, "Value": float(totals[key]), "Unit": unit}
        for key, (metric, unit) in CLOUDWATCH_NAMES.items()
    ]
    if monitor.health_indicator is not None:
        data.append(
            {
                "MetricName": "HealthIndicator",
                "Dimensions": dimensions,
                "Timestamp": when,
                "Value": float(monitor.health_indicator),
                "Unit": "None",
            }
        )
    return data


@dataclass
class TelemetryWriter:
    """Writes one lab's captures and metrics through boto3 clients pointed at the lab."""

    s3: Any
    cloudwatch: Any
    bucket: str
    mirrored_role: str | None
    mirrored_instance_id: str | None
    monitors: list[Monitor]
    seed_text: str = ""
    _samples: dict[tuple[tuple[FlowCondition, ...], int], bytes] = field(default_factory=dict)

    def key_for(self, started: datetime) -> str | None:
        """Where the capture that started at `started` goes; None when nothing is mirrored."""
        if self.mirrored_role is None or self.mirrored_instance_id is None:
            return None
        return capture_key(self.mirrored_instance_id, started)

    def write_capture(self, flows: list[FlowCondition], started: datetime) -> str | None:
        """Upload the capture that started at `started`; None when nothing is mirrored."""
        key = self.key_for(started)
        if key is None or self.mirrored_role is None:
            return None
        variant = int(started.timestamp() // 60) % SAMPLE_VARIANTS
        state = (tuple(flows), variant)
        if state not in self._samples:
            self._samples[state] = capture_bytes(flows, SAMPLE_EPOCH, self.mirrored_role, self.seed_text, variant)
        sample = self._samples[state]
        body = retime(sample, (started - SAMPLE_EPOCH).total_seconds())
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=body)
        return key

    def write_metrics(self, observations: Iterable[Observation]) -> int:
        """Publish each observed stretch's datapoints, stamped at its start; returns how many."""
        data = [
            datum
            for o in observations
            for monitor in self.monitors
            for datum in metric_data(o.flows, datetime.fromtimestamp(o.start, tz=UTC), monitor, o.seconds)
        ]
        for start in range(0, len(data), 500):
            self.cloudwatch.put_metric_data(Namespace=topology.METRIC_NAMESPACE, MetricData=data[start : start + 500])
        return len(data)
