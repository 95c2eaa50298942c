"""Evidence: the tools' reports folded into one picture per flow, per direction and per host.

The first layer of a diagnosis (evidence → cause → recommendation → words). A "flow" here is
what an operator means by one: client IP → server IP:port (all its connections in the window),
so a server that resets a share of many short connections is one flow with a count of reset
connections. Capture analysis and Network Flow Monitor rows of the same flow are kept side by
side in one `FlowEvidence` (the captures are a sample of the flow); hosts are what SSM read
from them. Pure: built from reports, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from agents.performance.tools.flow_monitor import FlowContributor, FlowMonitorReport
from agents.performance.tools.host_reads import HostRead
from agents.performance.tools.mirroring import MirroredFlow, MirroringReport

CLIENT_TO_SERVER = "client_to_server"
SERVER_TO_CLIENT = "server_to_client"


@dataclass(frozen=True)
class Direction:
    """The segments one side sent, and what the other side said about them, as captured."""

    name: str  # CLIENT_TO_SERVER | SERVER_TO_CLIENT
    sender: str  # IP
    receiver: str
    data_segments: int = 0
    payload_bytes: int = 0
    retransmissions: int = 0
    fast_retransmissions: int = 0
    spurious_retransmissions: int = 0
    duplicate_acks: int = 0  # sent by the receiver, asking for a segment
    lost_segments: int = 0
    out_of_order: int = 0
    zero_windows: int = 0  # advertised by the receiver
    window_full: int = 0  # the sender's segments that filled the receiver's window
    resets: int = 0  # sent by the sender
    receiver_max_window: int = 0
    sender_window_scale: int | None = None  # None: no SYN seen; -1: SYN without the option
    receiver_window_scale: int | None = None
    max_in_flight: int = 0
    duration_s: float = 0.0
    rtt_p50_ms: float | None = None  # Karn's rule: never-retransmitted segments only
    rtt_p99_ms: float | None = None
    rtt_samples: int = 0

    @property
    def real_retransmissions(self) -> int:
        """Retransmissions of data that was really missing (spurious ones repeat data that had arrived)."""
        return max(0, self.retransmissions - self.spurious_retransmissions)

    @property
    def timeout_retransmissions(self) -> int:
        """Retransmissions no duplicate ACK asked for: the retransmission timer fired."""
        return max(0, self.retransmissions - self.fast_retransmissions - self.spurious_retransmissions)

    @property
    def loss_rate(self) -> float:
        return self.real_retransmissions / self.data_segments if self.data_segments else 0.0

    @property
    def throughput_bps(self) -> float | None:
        return self.payload_bytes * 8 / self.duration_s if self.duration_s > 0 else None

    @property
    def scaling_negotiated(self) -> bool | None:
        """RFC 7323: both SYNs must carry the option; None when a handshake was not captured."""
        if self.sender_window_scale is None or self.receiver_window_scale is None:
            return None
        return self.sender_window_scale >= 0 and self.receiver_window_scale >= 0


@dataclass(frozen=True)
class NfmNumbers:
    """Network Flow Monitor's numbers for a flow over the window (measured by the local host's agent)."""

    monitor: str
    local_ip: str | None
    local_instance_id: str | None
    retransmissions: float | None
    timeouts: float | None
    rtt_ms: float | None
    bytes: float | None

    @property
    def retransmission_rate(self) -> float | None:
        """Estimated: segments taken as bytes / 1448 (a full MSS); NFM gives no segment count."""
        if self.retransmissions is None or not self.bytes:
            return None
        return self.retransmissions / max(1.0, self.bytes / 1448)


@dataclass
class FlowEvidence:
    client: str
    server: str
    server_port: int
    vni: int | None = None
    client_ports: list[int] = field(default_factory=list)
    client_instance: str | None = None
    server_instance: str | None = None
    connections: int = 0
    reset_connections: int = 0
    forward: Direction | None = None  # client → server
    reverse: Direction | None = None  # server → client
    nfm: list[NfmNumbers] = field(default_factory=list)

    @property
    def label(self) -> str:
        tail = f" (VNI {self.vni})" if self.vni is not None else ""
        return f"{self.client} → {self.server}:{self.server_port}{tail}"

    @property
    def sources(self) -> list[str]:
        found = ["traffic_mirroring"] if self.forward or self.reverse else []
        return found + (["flow_monitor"] if self.nfm else [])

    def direction(self, name: str) -> Direction | None:
        return self.forward if name == CLIENT_TO_SERVER else self.reverse

    def instance_of(self, ip: str) -> str | None:
        return self.client_instance if ip == self.client else self.server_instance if ip == self.server else None

    @property
    def data_segments(self) -> int:
        return sum(d.data_segments for d in (self.forward, self.reverse) if d)

    def involves(self, instances: Iterable[str], ips: Iterable[str], ports: Iterable[int]) -> bool:
        instances, ips, ports = set(instances), set(ips), set(ports)
        if instances and not instances & {self.client_instance, self.server_instance}:
            return False
        if ips and not ips & {self.client, self.server}:
            return False
        return not ports or bool(ports & {self.server_port, *self.client_ports})


@dataclass(frozen=True)
class Health:
    """AWS's network health indicator for one monitor: 1 degraded, 0 healthy, None not reported (unknown)."""

    monitor: str
    value: float | None


@dataclass
class Evidence:
    flows: list[FlowEvidence] = field(default_factory=list)
    hosts: dict[str, HostRead] = field(default_factory=dict)
    health: list[Health] = field(default_factory=list)
    instance_ips: dict[str, set[str]] = field(default_factory=dict)  # instance → its IPs (what we saw)
    captures_analyzed: int = 0
    captures_total: int = 0
    capture_location: str | None = None  # s3://bucket/prefix
    capture_note: str | None = None  # why captures of the region were not read (another region's bucket)
    captures_capped: bool = False  # more captures overlapped the window than the file cap or byte budget allowed
    monitors: int = 0
    nfm_rows: int = 0

    @property
    def analyzed(self) -> bool:
        return self.captures_analyzed > 0 or self.nfm_rows > 0

    def host(self, instance_id: str | None) -> HostRead | None:
        return self.hosts.get(instance_id) if instance_id else None


# --- building it -----------------------------------------------------------------------


def _direction(name: str, sent: Any, peer: Any, sender: str, receiver: str) -> Direction | None:
    """From the analyzer's per-direction stats (`DirectionStats`) of a merged group of connections."""
    if not sent.packets:
        return None
    first, last = sent.first_data_ts, sent.last_data_ts
    p50, p99 = sent.rtt_p50_s, sent.rtt_p99_s
    return Direction(
        name=name,
        sender=sender,
        receiver=receiver,
        data_segments=int(sent.data_segments),
        payload_bytes=int(sent.payload_bytes),
        retransmissions=int(sent.retransmissions),
        fast_retransmissions=int(sent.fast_retransmissions),
        spurious_retransmissions=int(sent.spurious_retransmissions),
        duplicate_acks=int(peer.duplicate_acks),
        lost_segments=int(sent.lost_segments),
        out_of_order=int(sent.out_of_order),
        zero_windows=int(peer.zero_windows),
        window_full=int(sent.window_full),
        resets=int(sent.resets),
        receiver_max_window=int(peer.max_window),
        sender_window_scale=sent.window_scale,
        receiver_window_scale=peer.window_scale,
        max_in_flight=int(sent.max_in_flight),
        duration_s=max(0.0, (last - first)) if first is not None and last is not None else 0.0,
        rtt_p50_ms=None if p50 is None else p50 * 1000,
        rtt_p99_ms=None if p99 is None else p99 * 1000,
        rtt_samples=int(sent.rtt.count),
    )


def _group_key(row: MirroredFlow) -> tuple:
    return (row.src, row.dst, row.dport, row.vni)


def flows_from_captures(report: MirroringReport) -> list[FlowEvidence]:
    """One `FlowEvidence` per client → server:port, its connections' stats merged."""
    groups: dict[tuple, list[MirroredFlow]] = {}
    for row in report.flows:
        groups.setdefault(_group_key(row), []).append(row)
    flows = []
    for (client, server, port, vni), rows in groups.items():
        stats = [row.stats for row in rows if row.stats is not None]
        merged = stats[0].copy() if stats else None
        for extra in stats[1:]:
            merged.merge(extra)
        flow = FlowEvidence(
            client=client,
            server=server,
            server_port=int(port),
            vni=vni,
            client_ports=sorted({row.sport for row in rows})[:20],
            client_instance=rows[0].src_instance_id,
            server_instance=rows[0].dst_instance_id,
            connections=len(rows),
            reset_connections=sum(1 for row in rows if row.resets),
        )
        if merged is not None:
            flow.forward = _direction(CLIENT_TO_SERVER, merged.forward, merged.reverse, client, server)
            flow.reverse = _direction(SERVER_TO_CLIENT, merged.reverse, merged.forward, server, client)
        flows.append(flow)
    return flows


def _nfm_numbers(c: FlowContributor) -> NfmNumbers:
    return NfmNumbers(c.monitor, c.local_ip, c.local_instance_id, c.retransmissions, c.timeouts, c.rtt_ms, c.bytes)


def attach_flow_monitor(flows: list[FlowEvidence], report: FlowMonitorReport) -> list[FlowEvidence]:
    """Add NFM's rows to the capture flows they describe (same endpoints and port), or as flows of their own."""
    by_endpoints = {(f.client, f.server, f.server_port): f for f in flows}
    for c in report.contributors:
        if not c.local_ip or not c.remote_ip:
            continue
        port = int(c.target_port) if c.target_port is not None else 0
        flow = by_endpoints.get((c.local_ip, c.remote_ip, port)) or by_endpoints.get((c.remote_ip, c.local_ip, port))
        if flow is None:
            flow = FlowEvidence(
                client=c.local_ip,
                server=c.remote_ip,
                server_port=port,
                client_instance=c.local_instance_id,
                server_instance=c.remote_instance_id,
            )
            flows.append(flow)
            by_endpoints[(flow.client, flow.server, port)] = flow
        flow.client_instance = flow.client_instance or (c.local_instance_id if c.local_ip == flow.client else None)
        flow.server_instance = flow.server_instance or (c.remote_instance_id if c.remote_ip == flow.server else None)
        flow.nfm.append(_nfm_numbers(c))
    return flows


def gather(
    mirroring: MirroringReport | None,
    flow_monitor: FlowMonitorReport | None,
    hosts: dict[str, HostRead] | None = None,
) -> Evidence:
    """The evidence of one question, from whatever the tools returned (a missing tool is missing evidence)."""
    evidence = Evidence(hosts=dict(hosts or {}))
    flows: list[FlowEvidence] = []
    if mirroring is not None:
        flows = flows_from_captures(mirroring)
        evidence.captures_analyzed = max(0, mirroring.files_analyzed - len(mirroring.file_errors))
        evidence.captures_total = mirroring.files_total
        evidence.capture_location = f"s3://{mirroring.bucket}/{mirroring.prefix}"
        evidence.captures_capped = mirroring.cap_note is not None
    if flow_monitor is not None:
        flows = attach_flow_monitor(flows, flow_monitor)
        evidence.monitors = len(flow_monitor.monitors)
        evidence.nfm_rows = len(flow_monitor.contributors)
        reported = {m.monitor for m in flow_monitor.metrics if "HealthIndicator" in m.values}
        for m in flow_monitor.metrics:
            if "HealthIndicator" in m.values:
                evidence.health.append(Health(m.monitor, m.values["HealthIndicator"]))
        for monitor in flow_monitor.monitors:
            if monitor["name"] not in reported:
                evidence.health.append(Health(monitor["name"], None))
    evidence.flows = flows
    for flow in flows:
        for ip, instance in ((flow.client, flow.client_instance), (flow.server, flow.server_instance)):
            if instance:
                evidence.instance_ips.setdefault(instance, set()).add(ip)
    return evidence
