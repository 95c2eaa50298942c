"""Cause: from the evidence to ranked cause codes, each with the evidence for it and against it.

The second layer of a diagnosis. Every rule is a pure function of one flow's evidence (and the
hosts and AWS health around it) and encodes a rule of thumb a network engineer uses; each
threshold is a named constant whose comment says why. The vocabulary is CONTRACTS.md section 10.
Facts are kept as (message id, values) so the words layer can say them in the asker's language.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.performance.evidence import CLIENT_TO_SERVER, Direction, Evidence, FlowEvidence
from agents.performance.tools.host_reads import HostRead
from agents.performance.tools.instances import InstanceInfo

# --- thresholds (why each is what it is) --------------------------------------------------
# A rate needs segments, not packets, in its denominator, and enough of them: at 200 data
# segments one retransmission is 0.5 %, so a smaller sample cannot carry a verdict on loss.
MIN_SEGMENTS = 200
# Real (non-spurious) retransmissions per data segment. Bulk TCP throughput falls as 1/sqrt(p)
# (Mathis et al.): at 0.5 % a long-lived flow already runs far below the path, at 2 % it collapses.
LOSS_WARNING = 0.005
LOSS_CRITICAL = 0.02
# Network Flow Monitor gives retransmissions and bytes, not segments: the same rates, estimated.
NFM_LOSS_WARNING = LOSS_WARNING
# A share of the real retransmissions that came right after duplicate ACKs: the receiver saw
# later segments arrive, so the missing one was dropped in between (path or sender egress).
FAST_SHARE_FOR_PATH_LOSS = 0.3
# Captures are a sample of the flow and Network Flow Monitor counts all of it: rates within a factor of
# two of each other tell the same story; beyond that the answer says they differ.
SAMPLE_DISAGREEMENT = 2.0
# Reordering: segments out of order with spurious retransmissions, while the data was not really
# lost. One segment in 200 arriving out of order is more than a single path reorders.
REORDER_SHARE = 0.005
MIN_SPURIOUS = 2
# Real loss makes no spurious retransmissions; a quarter of them spurious is the path delivering late.
SPURIOUS_SHARE = 0.25
# The receiver's window: any zero window in a sample is the receiver saying "stop"; segments
# that fill its advertised window on 1 % of the data mean the sender keeps waiting on it.
MIN_ZERO_WINDOWS = 1
WINDOW_FULL_SHARE = 0.01
# Without window scaling (RFC 7323) the window field caps at 65,535 bytes; in flight within 10 %
# of that means the cap, not the application, set the pace.
UNSCALED_WINDOW = 65535
AT_CAP = 0.9
# RTT a path should have inside one region: the same AZ well under a millisecond, across AZs a
# millisecond or two. Latency is "added" when the measured median is both at least 20 ms and 5 times
# that: jitter, an inspection appliance or a hop through another AZ add a few milliseconds and are the
# path as built; tens of milliseconds inside a region are a delay someone or something introduced.
# A median of fewer RTT samples than this is two or three segments' luck, not the path's latency.
MIN_RTT_SAMPLES = 20
SAME_AZ_RTT_MS = 0.5
INTER_AZ_RTT_MS = 2.0
ADDED_LATENCY_MIN_MS = 20.0
ADDED_LATENCY_RATIO = 5.0
# Resets: 5 % of connections reset (and at least 3) is more than clients closing rudely.
RESET_SHARE = 0.05
MIN_RESETS = 3
# Causes whose evidence is strong enough to act on; weaker ones are listed, not acted on.
ACTIONABLE = 0.6

Fact = tuple[str, dict[str, Any]]


def fact(msgid: str, **values: Any) -> Fact:
    """A sentence to say later, in the asker's language; counts get thousands separators ("7,714")."""
    return (msgid, {k: f"{v:,}" if isinstance(v, int) and not isinstance(v, bool) else v for k, v in values.items()})


@dataclass
class Cause:
    code: str
    confidence: float
    severity: str  # critical | warning
    flow: FlowEvidence | None = None
    direction: str | None = None
    host: str | None = None  # the instance at fault, when one is
    evidence_for: list[Fact] = field(default_factory=list)
    evidence_against: list[Fact] = field(default_factory=list)
    netem: str | None = None  # the host's netem qdisc, when that is the fault


@dataclass(frozen=True)
class Context:
    """What the rules need beyond one flow: hosts read over SSM, instances from EC2, AWS health."""

    hosts: dict[str, HostRead]
    instances: dict[str, InstanceInfo]
    degraded_monitors: tuple[str, ...]
    unknown_health: bool

    def read(self, instance_id: str | None) -> HostRead | None:
        return self.hosts.get(instance_id) if instance_id else None


# --- helpers -----------------------------------------------------------------------------


def _netem(read: HostRead | None, word: str) -> str | None:
    """The host's root qdisc when it is a netem with `word` (loss, delay, reorder)."""
    if read is None or not read.readable or not read.qdisc:
        return None
    words = read.qdisc.split()
    return read.qdisc if words[:1] == ["netem"] and word in words else None


def _clean(read: HostRead | None) -> bool:
    """Read and nothing wrong on it: no netem, no ENA allowance counter rising."""
    return read is not None and read.readable and not (read.qdisc or "").startswith("netem") and not read.ena_rising


def _pct(part: float, whole: float) -> str:
    return f"{part / whole:.1%}" if whole else "0.0%"


def expected_rtt_ms(a: InstanceInfo | None, b: InstanceInfo | None) -> float | None:
    """What a healthy path between two instances should show; None when their placement is unknown."""
    if a is None or b is None or not a.az or not b.az:
        return None
    if a.az[:-1] != b.az[:-1]:
        return None  # another region: no baseline from placement alone
    return SAME_AZ_RTT_MS if a.az == b.az else INTER_AZ_RTT_MS


def _nfm_rate(flow: FlowEvidence, sender: str | None) -> tuple[float | None, float]:
    """NFM's estimated rate for what `sender` sent: its agent measures the TCP stack of the local host."""
    rows = [n for n in flow.nfm if sender is None or n.local_ip in (None, sender)]
    rates = [n.retransmission_rate for n in rows if n.retransmission_rate is not None]
    timeouts = sum(n.timeouts or 0 for n in rows)
    return (max(rates) if rates else None), timeouts


# --- the rules ---------------------------------------------------------------------------


def loss_cause(flow: FlowEvidence, d: Direction | None, ctx: Context) -> Cause | None:
    """Segments really lost in one direction; then who lost them: a netem on the sender, the
    instance's ENA allowances, AWS's network, or somewhere on the path we cannot name."""
    nfm_rate, timeouts = _nfm_rate(flow, d.sender if d else None)
    measured = d is not None and d.data_segments >= MIN_SEGMENTS
    lossy = measured and d.loss_rate >= LOSS_WARNING
    nfm_lossy = nfm_rate is not None and nfm_rate >= NFM_LOSS_WARNING
    if not lossy and not (nfm_lossy and not measured):
        return None
    direction = d.name if d else CLIENT_TO_SERVER
    sender = d.sender if d else flow.client
    sender_id = flow.instance_of(sender)
    receiver_id = flow.instance_of(d.receiver if d else flow.server)
    rate = d.loss_rate if lossy else nfm_rate or 0.0
    cause = Cause("path_loss", 0.6, "critical" if rate >= LOSS_CRITICAL else "warning", flow, direction)
    if lossy and reordered(d):  # the "loss" is late segments retransmitted: reordering ranks above it
        cause.confidence, cause.severity = 0.4, "warning"
        cause.evidence_against.append(
            fact(
                "{spurious} of the {n} retransmissions repeated data that had arrived and {ooo} segments came out "
                "of order: late segments, not lost ones, explain most of them",
                spurious=d.spurious_retransmissions,
                n=d.retransmissions,
                ooo=d.out_of_order,
            )
        )
    if lossy:
        cause.evidence_for.append(
            fact(
                "{n} of {total} data segments retransmitted ({rate}) from {sender}",
                n=f"{d.real_retransmissions:,}",
                total=f"{d.data_segments:,}",
                rate=_pct(d.real_retransmissions, d.data_segments),
                sender=sender,
            )
        )
        if d.real_retransmissions and d.fast_retransmissions >= FAST_SHARE_FOR_PATH_LOSS * d.real_retransmissions:
            cause.evidence_for.append(
                fact(
                    "{fast} of them were fast retransmissions after {dupacks} duplicate ACKs: segments were dropped "
                    "between the hosts, not delayed",
                    fast=d.fast_retransmissions,
                    dupacks=d.duplicate_acks,
                )
            )
        elif d.timeout_retransmissions:
            cause.evidence_for.append(
                fact(
                    "{n} were retransmitted on timeout with few duplicate ACKs: the tail of a burst was lost",
                    n=d.timeout_retransmissions,
                )
            )
    if nfm_rate is not None:
        cause.evidence_for.append(
            fact(
                "Network Flow Monitor: about {rate} retransmitted, {timeouts} timeouts",
                rate=f"{nfm_rate:.1%}",
                timeouts=f"{timeouts:.0f}",
            )
        )
        if lossy and not (
            1 / SAMPLE_DISAGREEMENT <= (d.loss_rate or 1e-9) / max(nfm_rate, 1e-9) <= SAMPLE_DISAGREEMENT
        ):
            cause.evidence_against.append(
                fact(
                    "the captures are a sample of the flow: they show {sample}, Network Flow Monitor about {nfm} over "
                    "the whole window",
                    sample=_pct(d.real_retransmissions, d.data_segments),
                    nfm=f"{nfm_rate:.1%}",
                )
            )
    _attribute_loss(cause, sender_id, receiver_id, ctx)
    return cause


def _attribute_loss(cause: Cause, sender_id: str | None, receiver_id: str | None, ctx: Context) -> None:
    sender_read, receiver_read = ctx.read(sender_id), ctx.read(receiver_id)
    if netem := _netem(sender_read, "loss"):
        cause.confidence, cause.host, cause.netem = 0.95, sender_id, netem
        cause.evidence_for.append(
            fact("{host} has a root qdisc `{qdisc}`: it drops its own egress", host=sender_id, qdisc=netem)
        )
        return
    for instance_id, read in ((sender_id, sender_read), (receiver_id, receiver_read)):
        if read is not None and read.ena_rising:
            cause.code, cause.confidence, cause.host = "instance_allowance_exceeded", 0.9, instance_id
            rising = ", ".join(f"{k} +{v}" for k, v in sorted(read.ena_rising.items()))
            cause.evidence_for.append(
                fact("ENA counters rising on {host}: {counters}", host=instance_id, counters=rising)
            )
            return
    hosts_clean = _clean(sender_read) and (receiver_id is None or _clean(receiver_read))
    if ctx.degraded_monitors:
        cause.code = "aws_network"
        cause.confidence = 0.85 if hosts_clean else 0.65
        cause.evidence_for.append(
            fact("AWS's network health indicator is degraded for {monitors}", monitors=", ".join(ctx.degraded_monitors))
        )
        if hosts_clean:
            cause.evidence_for.append(fact("both hosts are clean: no netem qdisc, no ENA allowance exceeded"))
        return
    if hosts_clean:
        cause.evidence_for.append(fact("both hosts are clean: no netem qdisc, no ENA allowance exceeded"))
    elif sender_read is None or not sender_read.readable:
        cause.evidence_against.append(fact("the sending host could not be read, so a host cause is not ruled out"))
    if ctx.unknown_health:
        cause.evidence_against.append(fact("AWS's network health indicator was not reported, so AWS is not ruled out"))
    else:
        cause.evidence_against.append(fact("AWS's network health indicator reports no AWS-side problem"))


def reordered(d: Direction) -> bool:
    """Late segments, not lost ones: a good share of the retransmissions repeated data that had arrived, and
    segments came out of order. Seen from the receiver (a mirror on the db), the sender's fast retransmits of
    late segments look like loss repaired; the spurious copies and the out-of-order originals give it away."""
    return (
        d.out_of_order >= REORDER_SHARE * d.data_segments
        and d.spurious_retransmissions >= MIN_SPURIOUS
        and d.spurious_retransmissions >= SPURIOUS_SHARE * max(1, d.retransmissions)
    )


def reordering_cause(flow: FlowEvidence, d: Direction | None, ctx: Context) -> Cause | None:
    """Out of order and spurious retransmissions while nothing was really lost: the path reorders."""
    if d is None or d.data_segments < MIN_SEGMENTS:
        return None
    if d.out_of_order < REORDER_SHARE * d.data_segments or d.spurious_retransmissions < MIN_SPURIOUS:
        return None
    if d.loss_rate >= LOSS_WARNING and not reordered(d):
        return None
    cause = Cause("reordering", 0.8, "warning", flow, d.name)
    cause.evidence_for += [
        fact(
            "{n} of {total} data segments arrived out of order ({rate})",
            n=f"{d.out_of_order:,}",
            total=f"{d.data_segments:,}",
            rate=_pct(d.out_of_order, d.data_segments),
        ),
        fact(
            "{n} retransmissions were spurious (the data had arrived) after {dupacks} duplicate ACKs",
            n=d.spurious_retransmissions,
            dupacks=d.duplicate_acks,
        ),
        fact("real loss is only {rate}", rate=_pct(d.real_retransmissions, d.data_segments)),
    ]
    sender_id = flow.instance_of(d.sender)
    if netem := _netem(ctx.read(sender_id), "reorder"):
        cause.host, cause.netem, cause.confidence = sender_id, netem, 0.9
        cause.evidence_for.append(
            fact("{host} has a root qdisc `{qdisc}`: it reorders its own egress", host=sender_id, qdisc=netem)
        )
    return cause


def window_cause(flow: FlowEvidence, d: Direction | None, ctx: Context) -> Cause | None:
    """The window, not the network, sets the pace: unscaled at 64 KiB, or the receiver's buffer."""
    if d is None or d.data_segments < MIN_SEGMENTS:
        return None
    full = d.window_full >= WINDOW_FULL_SHARE * d.data_segments
    capped = d.max_in_flight >= AT_CAP * UNSCALED_WINDOW
    sender_id, receiver_id = flow.instance_of(d.sender), flow.instance_of(d.receiver)
    scaling_off = [
        i for i in (sender_id, receiver_id) if (r := ctx.read(i)) and r.sysctl.get("net.ipv4.tcp_window_scaling") == "0"
    ]
    unscaled = d.scaling_negotiated is False or bool(scaling_off)
    if unscaled and d.receiver_max_window <= UNSCALED_WINDOW and (full or capped):
        cause = Cause("window_scaling_disabled", 0.9, "warning", flow, d.name, host=(scaling_off or [receiver_id])[0])
        cause.evidence_for.append(
            fact("window scaling was not negotiated: the window stays at most {cap} bytes", cap=f"{UNSCALED_WINDOW:,}")
        )
        if scaling_off:
            cause.evidence_for.append(fact("net.ipv4.tcp_window_scaling is 0 on {hosts}", hosts=", ".join(scaling_off)))
        cause.evidence_for.append(
            fact(
                "{inflight} bytes in flight at most and {full} segments filled the window: the window sets the pace",
                inflight=f"{d.max_in_flight:,}",
                full=d.window_full,
            )
        )
        if d.rtt_p50_ms:
            cap_mbps = UNSCALED_WINDOW * 8 / (d.rtt_p50_ms / 1000) / 1e6
            cause.evidence_for.append(
                fact(
                    "at RTT {rtt} ms a 64 KiB window caps the flow at {cap} Mbit/s",
                    rtt=f"{d.rtt_p50_ms:.1f}",
                    cap=f"{cap_mbps:.0f}",
                )
            )
        return cause
    if d.zero_windows >= MIN_ZERO_WINDOWS or full:
        severity = "critical" if d.zero_windows >= MIN_ZERO_WINDOWS else "warning"
        cause = Cause(
            "receiver_window_limited", 0.9 if d.zero_windows else 0.7, severity, flow, d.name, host=receiver_id
        )
        if d.zero_windows:
            cause.evidence_for.append(
                fact("{receiver} advertised a zero window {n} times", receiver=d.receiver, n=d.zero_windows)
            )
        if full:
            cause.evidence_for.append(
                fact(
                    "{n} of {total} segments filled {receiver}'s advertised window",
                    n=d.window_full,
                    total=d.data_segments,
                    receiver=d.receiver,
                )
            )
        if d.receiver_max_window:
            cause.evidence_for.append(
                fact("its largest advertised window was {window} bytes", window=f"{d.receiver_max_window:,}")
            )
        if d.loss_rate < LOSS_WARNING:
            cause.evidence_for.append(
                fact("no loss: {rate} retransmitted", rate=_pct(d.real_retransmissions, d.data_segments))
            )
        else:
            cause.evidence_against.append(
                fact("loss too: {rate} retransmitted", rate=_pct(d.real_retransmissions, d.data_segments))
            )
            cause.confidence -= 0.2
        return cause
    return None


def latency_cause(flow: FlowEvidence, d: Direction | None, ctx: Context) -> Cause | None:
    """RTT far above what the placement of the two instances gives."""
    rtt = d.rtt_p50_ms if d and d.rtt_samples >= MIN_RTT_SAMPLES else None
    if rtt is None and d is not None and d.name != CLIENT_TO_SERVER:
        return None  # NFM's RTT is the flow's, not a direction's: said once, on the client's side
    if rtt is None:
        rtts = [n.rtt_ms for n in flow.nfm if n.rtt_ms is not None]
        rtt = max(rtts) if rtts else None
    if rtt is None:
        return None
    a = ctx.instances.get(flow.client_instance or "")
    b = ctx.instances.get(flow.server_instance or "")
    baseline = expected_rtt_ms(a, b)
    delayed = [(i, q) for i in (flow.client_instance, flow.server_instance) if (q := _netem(ctx.read(i), "delay"))]
    if baseline is None and not delayed:
        return None
    limit = max(ADDED_LATENCY_MIN_MS, ADDED_LATENCY_RATIO * (baseline or 0))
    if rtt < limit and not (delayed and rtt >= ADDED_LATENCY_MIN_MS):
        return None
    cause = Cause("added_latency", 0.7, "warning", flow, d.name if d else CLIENT_TO_SERVER)
    cause.evidence_for.append(fact("RTT median {rtt} ms", rtt=f"{rtt:.1f}"))
    if baseline is not None:
        expected = f"{baseline:g}"
        if a is not None and b is not None and a.az == b.az:
            cause.evidence_for.append(fact("a path inside one AZ should take about {baseline} ms", baseline=expected))
        else:
            cause.evidence_for.append(
                fact("a path between two AZs of one region should take about {baseline} ms", baseline=expected)
            )
    if delayed:
        host, qdisc = delayed[0]
        cause.host, cause.netem, cause.confidence = host, qdisc, 0.9
        cause.evidence_for.append(
            fact("{host} has a root qdisc `{qdisc}`: it delays its own egress", host=host, qdisc=qdisc)
        )
    if d and d.loss_rate >= LOSS_WARNING:
        cause.evidence_against.append(fact("loss too, which also slows the flow"))
    return cause


def reset_cause(flow: FlowEvidence, ctx: Context) -> Cause | None:
    """A share of the connections ended by RST, and which side sent them."""
    by_side = [(d.resets, d) for d in (flow.forward, flow.reverse) if d and d.resets]
    total = sum(n for n, _ in by_side)
    if total < MIN_RESETS or not flow.connections:
        return None
    share = flow.reset_connections / flow.connections
    if share < RESET_SHARE:
        return None
    resets, d = max(by_side, key=lambda item: item[0])
    host = flow.instance_of(d.sender)
    cause = Cause("connection_resets", 0.85, "critical" if share >= 0.2 else "warning", flow, d.name, host=host)
    cause.evidence_for += [
        fact(
            "{n} of {total} connections were reset ({rate})",
            n=flow.reset_connections,
            total=flow.connections,
            rate=_pct(flow.reset_connections, flow.connections),
        ),
        fact("{sender} sent {n} of the {total} RSTs", sender=d.sender, n=resets, total=total),
    ]
    return cause


def allowance_cause(flow: FlowEvidence, ctx: Context) -> Cause | None:
    """ENA allowance counters rising on a host of the flow, even before loss shows in the sample."""
    for instance_id in (flow.client_instance, flow.server_instance):
        read = ctx.read(instance_id)
        if read is not None and read.ena_rising:
            rising = ", ".join(f"{k} +{v}" for k, v in sorted(read.ena_rising.items()))
            cause = Cause("instance_allowance_exceeded", 0.75, "warning", flow, CLIENT_TO_SERVER, host=instance_id)
            cause.evidence_for.append(
                fact("ENA counters rising on {host}: {counters}", host=instance_id, counters=rising)
            )
            return cause
    return None


def flow_causes(flow: FlowEvidence, ctx: Context) -> list[Cause]:
    """Every cause one flow's evidence supports, in both directions."""
    found: list[Cause] = []
    for d in [d for d in (flow.forward, flow.reverse) if d is not None] or [None]:  # None: NFM's numbers only
        for rule in (loss_cause, reordering_cause, window_cause, latency_cause):
            if (cause := rule(flow, d, ctx)) is not None:
                found.append(cause)
    for rule in (reset_cause, allowance_cause):
        if (cause := rule(flow, ctx)) is not None and all(c.code != cause.code for c in found):
            found.append(cause)
    return found


_SEVERITY_RANK = {"critical": 0, "warning": 1}


def rank(causes: list[Cause]) -> list[Cause]:
    """Most likely first: confidence, then severity, then the flow with more data (stable)."""
    unique: dict[tuple, Cause] = {}
    for cause in causes:
        key = (cause.code, cause.flow.label if cause.flow else None, cause.direction)
        if key not in unique or cause.confidence > unique[key].confidence:
            unique[key] = cause
    return sorted(
        unique.values(),
        key=lambda c: (
            -round(c.confidence, 3),
            _SEVERITY_RANK.get(c.severity, 2),
            -(c.flow.data_segments if c.flow else 0),
        ),
    )


def decide(evidence: Evidence, flows: list[FlowEvidence], ctx: Context) -> list[Cause]:
    """Ranked causes for the flows in scope; `none` or `insufficient_evidence` when no rule fires."""
    causes: list[Cause] = []
    for flow in flows:
        causes += flow_causes(flow, ctx)
    if ctx.degraded_monitors and not any(c.code == "aws_network" for c in causes):
        aws = Cause("aws_network", 0.5, "warning")
        aws.evidence_for.append(
            fact("AWS's network health indicator is degraded for {monitors}", monitors=", ".join(ctx.degraded_monitors))
        )
        causes.append(aws)
    if causes:
        return rank(causes)
    if enough_evidence(flows):
        return [Cause("none", 0.8, "ok")]
    return [Cause("insufficient_evidence", 1.0, "unknown")]


def enough_evidence(flows: list[FlowEvidence]) -> bool:
    """A verdict of "nothing wrong" needs a real sample: captures with enough segments, or NFM's bytes."""
    if any(f.data_segments >= MIN_SEGMENTS for f in flows):
        return True
    return any((n.bytes or 0) >= MIN_SEGMENTS * 1448 for f in flows for n in f.nfm)
