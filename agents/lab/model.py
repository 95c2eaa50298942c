"""What the network does for given host states and paths: one model behind every kind of telemetry.

Captures, Network Flow Monitor rows, CloudWatch datapoints and what a host answers over SSM
all come from here, so they cannot disagree. The rules are the ones a TCP expert reasons
with (pure functions, no I/O):

- a host's egress netem loss drops the segments it sends; netem delay adds to the RTT; netem
  or path reordering reorders without loss;
- ENA allowance drops (the `*_allowance_exceeded` counters rising) act like egress loss
  (`bw_in_allowance_exceeded` like loss on the way in), with no netem anywhere;
- the receiver's `tcp_rmem` maximum bounds the window it advertises (half of it, as Linux's
  default `tcp_adv_win_scale` gives), and window scaling off on either end caps it at 65,535
  bytes, so throughput = min(offered rate, window / RTT, what loss allows);
- a server that reads its socket only every `server_pause_ms` fills a small buffer: it
  advertises zero windows and the sender's segments fill its window;
- the server resets `reset_pct` of new connections.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from agents.lab.scenarios import Flow, HostSpec, Netem, Scenario

MSS = 1448
MAX_WINDOW_UNSCALED = 65_535
MAX_WSCALE = 14  # RFC 7323
# Linux's default tcp_adv_win_scale (1) offers half the receive buffer as window, half for overhead.
ADV_WINDOW_SHARE = 0.5
# Mathis et al.: a loss-limited Reno/CUBIC flow reaches about MSS / RTT * C / sqrt(p).
MATHIS_C = 1.22
# A lost segment is recovered by a fast retransmit only when three later segments of its
# window raise duplicate ACKs; losses among the last three of a window wait for the RTO.
DUPACK_THRESHOLD = 3
# A bulk sender's application writes this much at a time (46 KiB) and the NIC's segmentation
# offload sends a write as one burst, window permitting: the burst a loss sits in.
WRITE_SEGMENTS = 32
REQUEST_SEGMENTS = 3  # a request/response exchange: the client's request …
RESPONSE_SEGMENTS = 2  # … and the server's answer, on a connection of its own
OUT_DROP_COUNTERS = ("bw_out_allowance_exceeded", "pps_allowance_exceeded")
IN_DROP_COUNTERS = ("bw_in_allowance_exceeded",)
METRIC_UNITS = {
    "RETRANSMISSIONS": "Count",
    "TIMEOUTS": "Count",
    "ROUND_TRIP_TIME": "Microseconds",
    "DATA_TRANSFERRED": "Bytes",
}


@dataclass(frozen=True)
class HostState:
    """The part of a host that shapes its traffic: sysctls, root netem, ENA counter rates per minute."""

    sysctl: Mapping[str, str]
    netem: Netem | None = None
    ena: Mapping[str, float] = field(default_factory=dict)

    @classmethod
    def of_spec(cls, spec: HostSpec) -> HostState:
        return cls(sysctl=spec.sysctls(), netem=spec.qdisc, ena=dict(spec.ena))

    @classmethod
    def of_host(cls, state: Mapping, ena: Mapping[str, float]) -> HostState:
        """A simulated host's `state()` (its files: sysctls, root qdiscs) with its ENA counter rates."""
        return cls(sysctl=dict(state["sysctl"]), netem=parse_netem((state.get("qdisc") or {}).get("eth0")), ena=ena)

    def _max(self, key: str) -> int:
        return int(self.sysctl[key].split()[-1])

    @property
    def window_scaling(self) -> bool:
        return self.sysctl.get("net.ipv4.tcp_window_scaling", "1") == "1"

    @property
    def timestamps(self) -> bool:
        return self.sysctl.get("net.ipv4.tcp_timestamps", "1") == "1"

    @property
    def rmem_max(self) -> int:
        """The most the receive buffer autotunes to: `tcp_rmem`'s third value."""
        return self._max("net.ipv4.tcp_rmem")

    @property
    def wmem_max(self) -> int:
        return self._max("net.ipv4.tcp_wmem")

    def wscale(self) -> int | None:
        """The shift this host offers in its SYN (None: scaling off), as Linux sizes it for its buffers."""
        if not self.window_scaling:
            return None
        space = max(self.rmem_max, int(self.sysctl.get("net.core.rmem_max", "0")))
        shift = 0
        while shift < MAX_WSCALE and MAX_WINDOW_UNSCALED << shift < space:
            shift += 1
        return shift

    def egress_delay_s(self) -> float:
        return (self.netem.delay_ms / 1000) if self.netem else 0.0

    def egress_loss(self) -> float:
        return (self.netem.loss_pct / 100) if self.netem else 0.0

    def egress_reorder(self) -> float:
        return (self.netem.reorder_pct / 100) if self.netem else 0.0


_DELAY_UNITS_MS = (("us", 0.001), ("ms", 1.0), ("s", 1000.0))


def _delay_ms(value: str) -> float:
    for suffix, scale in _DELAY_UNITS_MS:
        if value.endswith(suffix):
            return float(value[: -len(suffix)]) * scale
    return float(value) / 1000  # tc's bare number is microseconds


def parse_netem(qdisc: str | None) -> Netem | None:
    """A host's configured root qdisc (`netem delay 40ms loss 3%`) as a `Netem`; None for no netem."""
    words = (qdisc or "").split()
    if words[:1] != ["netem"]:
        return None
    params = dict(zip(words[1::2], words[2::2], strict=False))
    netem = Netem(
        loss_pct=float(params.get("loss", "0").rstrip("%")),
        delay_ms=_delay_ms(params.get("delay", "0ms")),
        reorder_pct=float(params.get("reorder", "0").rstrip("%")),
    )
    return netem if netem.tc_params() else None


def receive_window(receiver: HostState, scaling: bool) -> int:
    """The window the receiver advertises once its buffer has autotuned, in whole segments (as Linux rounds)."""
    window = int(receiver.rmem_max * ADV_WINDOW_SHARE)
    if not scaling:
        window = min(window, MAX_WINDOW_UNSCALED)
    return max(MSS, window // MSS * MSS)


@dataclass(frozen=True)
class FlowCondition:
    """One TCP flow as the lab's telemetry reports it, for one stretch of time (data client → server)."""

    client_ip: str
    client_port: int
    server_ip: str
    server_port: int
    client_role: str
    server_role: str
    destination_category: str  # Network Flow Monitor's category for this flow
    pattern: str  # "bulk" | "request_response"
    loss_rate: float  # of the client's data segments, 0..1
    rtt_s: float
    offered_bps: float = 0.0
    throughput_bps: float = 0.0
    window: int = MAX_WINDOW_UNSCALED  # what the server advertises, in bytes
    client_window: int = MAX_WINDOW_UNSCALED  # what the client advertises
    client_wscale: int | None = None  # None: no window-scale option in that end's SYN
    server_wscale: int | None = None
    timestamps: bool = True
    reorder_rate: float = 0.0
    reorder_depth: int = 1
    zero_window_pause_s: float = 0.0  # > 0: the server's reader lags and its window closes
    reset_share: float = 0.0

    @property
    def segments_per_minute(self) -> float:
        return self.throughput_bps * 60 / (MSS * 8)

    @property
    def burst(self) -> int:
        """Data segments sent back to back: a request, a write, or the window's worth when it is the limit."""
        if self.pattern == "request_response":
            return REQUEST_SEGMENTS
        if self.zero_window_pause_s:
            return self.window // MSS  # the sender fills what the lagging reader offers
        needed = math.ceil(self.throughput_bps * self.rtt_s / (MSS * 8))
        return max(1, min(self.window // MSS, max(needed, WRITE_SEGMENTS)))

    def per_minute(self) -> dict[str, float]:
        """The flow's Network Flow Monitor metrics for one minute, in the service's units."""
        segments = self.segments_per_minute
        losses = segments * self.loss_rate
        spurious = segments * self.reorder_rate if self.reorder_depth >= DUPACK_THRESHOLD else 0.0
        timeout_share = min(1.0, DUPACK_THRESHOLD / self.burst)
        return {
            "RETRANSMISSIONS": round(losses + spurious),
            "TIMEOUTS": round(losses * timeout_share),
            "ROUND_TRIP_TIME": round(self.rtt_s * 1_000_000),  # microseconds, as the service reports it
            "DATA_TRANSFERRED": round(self.throughput_bps * 60 / 8),
        }


def _offered_segments(flow: Flow) -> float:
    return flow.rate_mbps * 1e6 * 60 / (MSS * 8)


def _drop_rates(scenario: Scenario, states: Mapping[str, HostState]) -> tuple[dict[str, float], dict[str, float]]:
    """Per host, the share of its sent (and of its received) data segments its ENA allowances drop."""
    sent: dict[str, float] = {}
    received: dict[str, float] = {}
    for flow in scenario.flows:
        sent[flow.client] = sent.get(flow.client, 0.0) + _offered_segments(flow)
        received[flow.server] = received.get(flow.server, 0.0) + _offered_segments(flow)
    out = {
        role: min(0.5, sum(state.ena.get(c, 0.0) for c in OUT_DROP_COUNTERS) / sent[role])
        for role, state in states.items()
        if sent.get(role)
    }
    into = {
        role: min(0.5, sum(state.ena.get(c, 0.0) for c in IN_DROP_COUNTERS) / received[role])
        for role, state in states.items()
        if received.get(role)
    }
    return out, into


def _data_loss(flow: Flow, client: HostState, drops: tuple[dict, dict]) -> float:
    """The share of the client's data segments lost: its netem, the path, its and the server's ENA drops."""
    out_drops, in_drops = drops
    survive = (
        (1 - client.egress_loss())
        * (1 - flow.path.loss_pct / 100)
        * (1 - out_drops.get(flow.client, 0.0))
        * (1 - in_drops.get(flow.server, 0.0))
    )
    return 1 - survive


def flow_condition(
    scenario: Scenario, flow: Flow, states: Mapping[str, HostState], drops: tuple[dict, dict]
) -> FlowCondition:
    """One flow's behaviour for the hosts' current states."""
    client, server = states[flow.client], states[flow.server]
    loss = _data_loss(flow, client, drops)
    rtt = flow.base_rtt_ms / 1000 + client.egress_delay_s() + server.egress_delay_s()
    client_wscale = client.wscale()
    # A SYN-ACK carries a window scale only in answer to a SYN that offered one (RFC 7323).
    server_wscale = server.wscale() if client_wscale is not None else None
    scaling = client_wscale is not None and server_wscale is not None
    window = min(receive_window(server, scaling), max(MSS, int(client.wmem_max * ADV_WINDOW_SHARE)))
    offered = flow.rate_mbps * 1e6
    limits = [offered, window * 8 / rtt]
    if loss > 0:
        limits.append(MSS * 8 * MATHIS_C / (rtt * math.sqrt(loss)))
    pause = flow.server_pause_ms / 1000
    lagging = pause > 0 and window < offered / 8 * pause  # what arrives between reads outgrows the buffer
    if lagging:
        limits.append(window * 8 / (rtt + pause))
    reorder = 1 - (1 - flow.path.reorder_pct / 100) * (1 - client.egress_reorder())
    host_a, host_b = scenario.hosts[flow.client], scenario.hosts[flow.server]
    return FlowCondition(
        client_ip=str(host_a.ip),
        client_port=flow.client_port,
        server_ip=str(host_b.ip),
        server_port=flow.port,
        client_role=flow.client,
        server_role=flow.server,
        destination_category="INTRA_AZ" if host_a.az == host_b.az else "INTER_AZ",
        pattern=flow.pattern,
        loss_rate=loss,
        rtt_s=rtt,
        offered_bps=offered,
        throughput_bps=min(limits),
        window=window,
        client_window=receive_window(client, scaling),
        client_wscale=client_wscale,
        server_wscale=server_wscale,
        timestamps=client.timestamps and server.timestamps,
        reorder_rate=reorder,
        reorder_depth=flow.path.reorder_depth,
        zero_window_pause_s=pause if lagging else 0.0,
        reset_share=flow.reset_pct / 100,
    )


def flow_conditions(scenario: Scenario, states: Mapping[str, HostState]) -> list[FlowCondition]:
    """Every flow of the scenario for the hosts' current states (role → state)."""
    drops = _drop_rates(scenario, states)
    return [flow_condition(scenario, flow, states, drops) for flow in scenario.flows]


def initial_states(scenario: Scenario) -> dict[str, HostState]:
    return {role: HostState.of_spec(spec) for role, spec in scenario.hosts.items()}


@dataclass(frozen=True)
class Observation:
    """A stretch of recorded time (`seconds` long from `start`, epoch seconds) and its flows."""

    start: float
    seconds: float
    flows: list[FlowCondition]


def totals(observed: Iterable[Observation]) -> list[tuple[FlowCondition, dict[str, float]]]:
    """Each flow's metrics over the observed stretches: counts and bytes add up, the RTT is time-weighted.

    A flow is identified by its endpoints; its latest condition describes it.
    """
    sums: dict[tuple, dict[str, float]] = {}
    weights: dict[tuple, float] = {}
    latest: dict[tuple, FlowCondition] = {}
    for observation in observed:
        share = observation.seconds / 60
        for flow in observation.flows:
            key = (flow.client_ip, flow.client_port, flow.server_ip, flow.server_port)
            latest[key] = flow
            weights[key] = weights.get(key, 0.0) + share
            acc = sums.setdefault(key, dict.fromkeys(METRIC_UNITS, 0.0))
            for name, value in flow.per_minute().items():
                acc[name] += value * share
    out = []
    for key, acc in sums.items():
        acc["ROUND_TRIP_TIME"] = acc["ROUND_TRIP_TIME"] / weights[key] if weights[key] else 0.0
        out.append((latest[key], {name: round(value) for name, value in acc.items()}))
    return out
