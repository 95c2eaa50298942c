"""What the network looks like for a given host state: one model behind every kind of telemetry.

The captures, the Network Flow Monitor rows and the CloudWatch datapoints all come from
`flow_conditions`, so they cannot disagree: an impaired app host (netem loss on its eth0,
small buffers) shows retransmissions and timeouts on the app → db flow everywhere; once the
fix is applied, the same flow is clean everywhere. Pure functions, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.lab import topology

MSS = 1448
SEGMENTS_PER_MINUTE = 6000  # what the app pushes to the db in a minute
HEALTHY_RTT_S = 0.0009  # inter-AZ round trip
# Small buffers and no window scaling stall the sender; each stall that outlasts the RTO
# is a timeout. Per lost segment, roughly this share ends in an RTO rather than a fast retransmit.
TIMEOUT_SHARE_OF_LOSSES = 0.2
TARGET_BUFFER = 134217728  # what the fix sets; below it a host counts as constrained


@dataclass(frozen=True)
class Impairment:
    """The part of a host's state that shapes its traffic."""

    loss_rate: float  # egress loss from a netem qdisc, 0..1
    constrained: bool  # small socket buffers or window scaling off

    @property
    def healthy(self) -> bool:
        return self.loss_rate == 0 and not self.constrained


HEALTHY = Impairment(loss_rate=0.0, constrained=False)


@dataclass(frozen=True)
class FlowCondition:
    """One TCP flow as the lab's telemetry reports it."""

    client_ip: str
    client_port: int
    server_ip: str
    server_port: int
    client_role: str  # "app" | "db": which lab instance each end is
    server_role: str
    destination_category: str  # Network Flow Monitor's category for this flow
    loss_rate: float
    rtt_s: float

    def per_minute(self) -> dict[str, float]:
        """The flow's Network Flow Monitor metrics for one minute, in the service's units."""
        losses = SEGMENTS_PER_MINUTE * self.loss_rate
        return {
            "RETRANSMISSIONS": round(losses),
            "TIMEOUTS": round(losses * TIMEOUT_SHARE_OF_LOSSES),
            "ROUND_TRIP_TIME": round(self.rtt_s * 1_000_000),  # microseconds, as the service reports it
            "DATA_TRANSFERRED": SEGMENTS_PER_MINUTE * MSS,
        }


METRIC_UNITS = {
    "RETRANSMISSIONS": "Count",
    "TIMEOUTS": "Count",
    "ROUND_TRIP_TIME": "Microseconds",
    "DATA_TRANSFERRED": "Bytes",
}


def flow_conditions(app: Impairment) -> list[FlowCondition]:
    """The lab's flows for the app host's current impairment.

    Only the app → db flow crosses the app's impaired interface as data; the db's answers
    travel the other way through a healthy interface, which is why captures show the
    retransmissions in one direction only.
    """
    constrained_rtt = 0.004 if app.constrained else 0.0
    return [
        FlowCondition(
            client_ip=topology.APP_IP,
            client_port=topology.APP_PORT,
            server_ip=topology.DB_IP,
            server_port=topology.DB_PORT,
            client_role="app",
            server_role="db",
            destination_category="INTER_AZ",
            loss_rate=app.loss_rate,
            rtt_s=HEALTHY_RTT_S + constrained_rtt,
        )
    ]


def totals(observed: list[list[FlowCondition]]) -> list[tuple[FlowCondition, dict[str, float]]]:
    """Each flow's metrics over the observed minutes: counts and bytes add up, the RTT is averaged.

    `observed` holds one list of flow conditions per recorded minute; a flow is identified by
    its endpoints, and its latest condition describes it (its instances and category).
    """
    sums: dict[tuple, dict[str, float]] = {}
    minutes: dict[tuple, int] = {}
    latest: dict[tuple, FlowCondition] = {}
    for flows in observed:
        for flow in flows:
            key = (flow.client_ip, flow.client_port, flow.server_ip, flow.server_port)
            latest[key] = flow
            minutes[key] = minutes.get(key, 0) + 1
            acc = sums.setdefault(key, dict.fromkeys(METRIC_UNITS, 0.0))
            for name, value in flow.per_minute().items():
                acc[name] += value
    out = []
    for key, acc in sums.items():
        acc["ROUND_TRIP_TIME"] = round(acc["ROUND_TRIP_TIME"] / minutes[key])
        out.append((latest[key], acc))
    return out


def impairment_of(state: dict) -> Impairment:
    """Read a simulated host's `state()` (sysctl values and root qdiscs) as an impairment.

    A root `netem loss N%` on any device is loss; buffers under 128 MB or window scaling off
    constrain the sender. Keys the host lacks are not judged, as `SimHost.is_healthy` does.
    """
    loss = 0.0
    for qdisc in (state.get("qdisc") or {}).values():
        words = (qdisc or "").split()
        if words[:1] == ["netem"] and "loss" in words:
            at = words.index("loss") + 1
            if at < len(words):
                try:
                    loss = max(loss, float(words[at].rstrip("%")) / 100)
                except ValueError:
                    loss = max(loss, 0.03)
    sysctl = state.get("sysctl") or {}
    constrained = sysctl.get("net.ipv4.tcp_window_scaling", "1") != "1"
    for key in ("net.core.rmem_max", "net.core.wmem_max", "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"):
        if key in sysctl and int(sysctl[key].split()[-1]) < TARGET_BUFFER:
            constrained = True
    return Impairment(loss_rate=min(loss, 1.0), constrained=constrained)
