"""Recommendation: the host changes that fix the causes found, and nothing else.

The third layer of a diagnosis. Only causes a host change fixes get changes: a netem qdisc on a
host (remove it), a receiver whose buffer limits the window (raise its `tcp_rmem` maximum to a
size computed from the bandwidth-delay product, not a fixed number), window scaling off (on
every end that has it off; only new connections gain). Every change starts from the value read
on the host; a change already in place is not proposed, and a host that could not be read gets
no blind change: the plan says it is blocked and why. Causes no host change fixes (AWS's
network, ENA allowances, resets, reordering on the path) get an action to take instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from agents.performance.causes import ACTIONABLE, Cause, Context, Fact, fact
from agents.performance.evidence import Direction

# Sizing the receive buffer: the bandwidth-delay product (the bytes a path holds in flight at
# full rate) times two, so a window can grow past one BDP while loss recovery runs, then up to
# the next power of two. More than a few BDPs buys nothing and costs kernel memory per socket.
BUFFER_HEADROOM = 2.0
MIN_BUFFER = 4 * 1024 * 1024  # no point proposing less than a stock kernel's 4-6 MiB maximum
MAX_BUFFER = 64 * 1024 * 1024
FALLBACK_RATE_FACTOR = 4.0  # bandwidth unknown: size for four times what the flow managed
QDISC = "qdisc"
SCALING = "net.ipv4.tcp_window_scaling"
RMEM = "net.ipv4.tcp_rmem"
RMEM_MAX = "net.core.rmem_max"
REMOVED = "removed"

_ACTIONS = {
    "aws_network": "Check the AWS Health Dashboard for the region and open a support case with the monitor and time "
    "window; TCP tuning does not fix an AWS network event.",
    "instance_allowance_exceeded": "Move {host} to an instance type with more network bandwidth and packets per "
    "second, or send fewer, larger packets (batching, jumbo frames inside the VPC); TCP tuning does not raise an ENA "
    "allowance.",
    "connection_resets": "Check the connection limits of the service on {host} (max_connections, the listen backlog "
    "net.core.somaxconn, idle timeouts) and its logs at those times; a TCP setting does not stop a server from "
    "resetting connections.",
    "reordering": "Look for multipath or a middlebox reordering packets between the hosts; TCP copes with reordering, "
    "so no host setting needs to change.",
    "added_latency": "Find what adds the delay on the path (a proxy, a detour through another AZ or region); no TCP "
    "setting shortens a round trip.",
    "path_loss": "Find where packets are dropped between the hosts (security appliances, MTU mismatches, an "
    "overloaded NAT); no TCP setting stops loss on the path.",
    "receiver_window_limited": "The receiver's buffer is already larger than the path needs: the application on "
    "{host} is not reading fast enough; look at it, not at TCP settings.",
}


@dataclass(frozen=True)
class Change:
    setting: str
    current: str | None
    proposed: str
    why: Fact


@dataclass
class HostPlan:
    instance_id: str
    role: str  # sender | receiver
    changes: list[Change] = field(default_factory=list)


@dataclass
class Plan:
    """What to do: host changes (possibly none), actions for the rest, and why."""

    causes: list[str]
    hosts: list[HostPlan] = field(default_factory=list)
    rationale: list[Fact] = field(default_factory=list)
    actions: list[Fact] = field(default_factory=list)
    blocked: list[Fact] = field(default_factory=list)  # changes not offered, and why
    in_place: list[Fact] = field(default_factory=list)  # what a host already has right

    @property
    def offerable(self) -> bool:
        return any(h.changes for h in self.hosts) and not self.blocked


def _human(n: int) -> str:
    return f"{n / 1024**2:g} MiB" if n >= 1024**2 else f"{n / 1024:g} KiB"


def _pow2(n: float) -> int:
    size = 1
    while size < n:
        size *= 2
    return size


def buffer_target(d: Direction, ctx: Context, sender: str | None, receiver: str | None) -> tuple[int, Fact]:
    """The receive buffer a flow needs: 2 × bandwidth × RTT, bounded, with the arithmetic as a fact."""
    rtt_s = (d.rtt_p50_ms or 1.0) / 1000
    rates = [g for i in (sender, receiver) if (info := ctx.instances.get(i or "")) and (g := info.peak_gbps)]
    if rates:
        bps, source = min(rates) * 1e9, f"{min(rates):g} Gbit/s (the instance type's peak bandwidth)"
    else:
        bps = (d.throughput_bps or 10e6) * FALLBACK_RATE_FACTOR
        source = f"{bps / 1e6:.0f} Mbit/s (4 × what the flow reached)"
    bdp = bps / 8 * rtt_s
    target = int(min(MAX_BUFFER, max(MIN_BUFFER, _pow2(BUFFER_HEADROOM * bdp))))
    why = fact(
        "bandwidth-delay product {rate} × {rtt} ms = {bdp}; twice that, to the next power of two: {target}",
        rate=source,
        rtt=f"{rtt_s * 1000:.1f}",
        bdp=_human(int(bdp)),
        target=_human(target),
    )
    return target, why


def _vector_max(value: str | None) -> int | None:
    words = (value or "").split()
    return int(words[2]) if len(words) == 3 and words[2].isdigit() else None


def _receiver_changes(cause: Cause, ctx: Context, plan: Plan) -> list[Change]:
    d = cause.flow.direction(cause.direction) if cause.flow and cause.direction else None
    read = ctx.read(cause.host)
    if d is None or read is None:
        return []
    target, why = buffer_target(d, ctx, cause.flow.instance_of(d.sender), cause.host)
    changes = []
    rmem = read.sysctl.get(RMEM)
    if (current := _vector_max(rmem)) is not None and current < target:
        low, default, _ = rmem.split()
        changes.append(Change(RMEM, rmem, f"{low} {default} {target}", why))
    rmem_max = read.sysctl.get(RMEM_MAX)
    if rmem_max and rmem_max.isdigit() and int(rmem_max) < target:
        changes.append(Change(RMEM_MAX, rmem_max, str(target), why))
    if changes:
        plan.rationale.append(why)
    if not changes and rmem is not None:
        plan.in_place.append(
            fact(
                "{host}'s {setting} is {value}, already above what the path needs ({target})",
                host=cause.host,
                setting=RMEM,
                value=rmem,
                target=_human(target),
            )
        )
        plan.actions.append(fact(_ACTIONS["receiver_window_limited"], host=cause.host))
    return changes


def _scaling_changes(cause: Cause, ctx: Context, plan: Plan) -> dict[str, list[Change]]:
    ends = [i for i in (cause.flow.client_instance, cause.flow.server_instance) if i] if cause.flow else []
    found: dict[str, list[Change]] = {}
    why = fact("both ends must offer window scaling in their SYN for either to use it")
    for instance_id in ends:
        read = ctx.read(instance_id)
        value = read.sysctl.get(SCALING) if read else None
        if value == "0":
            found[instance_id] = [Change(SCALING, value, "1", why)]
        elif value == "1":
            plan.in_place.append(fact("{host} already has {setting} = 1", host=instance_id, setting=SCALING))
    if found:
        plan.rationale.append(
            fact(
                "window scaling is negotiated when a connection opens: only new connections gain, so recycle "
                "long-lived connections (connection pools) after the change"
            )
        )
    return found


def _netem_change(cause: Cause) -> Change:
    return Change(
        QDISC,
        cause.netem,
        REMOVED,
        fact(
            "the netem qdisc is injecting the {what} on {host}'s egress", what=_netem_word(cause.netem), host=cause.host
        ),
    )


def _netem_word(qdisc: str | None) -> str:
    words = (qdisc or "").split()
    return next((w for w in ("loss", "delay", "reorder") if w in words), "impairment")


def _add(plan: Plan, instance_id: str, role: str, changes: list[Change]) -> None:
    if not changes:
        return
    host = next((h for h in plan.hosts if h.instance_id == instance_id), None)
    if host is None:
        host = HostPlan(instance_id, role)
        plan.hosts.append(host)
    for change in changes:
        if all(c.setting != change.setting for c in host.changes):
            host.changes.append(change)


def _unreadable(cause: Cause, ctx: Context, plan: Plan) -> bool:
    """A host that must change but could not be read: say so instead of offering a blind change."""
    targets = (
        [cause.host]
        if cause.code != "window_scaling_disabled"
        else [i for i in (cause.flow.client_instance, cause.flow.server_instance) if i]
        if cause.flow
        else []
    )
    blocked = False
    for instance_id in targets:
        read = ctx.read(instance_id)
        if instance_id and (read is None or not read.readable):
            reason = read.error if read is not None and read.error else "it was not read"
            plan.blocked.append(
                fact(
                    "{host} could not be read over SSM ({reason}), so no change is offered for it",
                    host=instance_id,
                    reason=reason,
                )
            )
            blocked = True
    return blocked


def recommend(causes: list[Cause], ctx: Context) -> Plan:
    """The plan for the actionable causes: changes per host (current → proposed), actions for the rest."""
    actionable = [c for c in causes if c.confidence >= ACTIONABLE and c.code not in {"none", "insufficient_evidence"}]
    plan = Plan(causes=[c.code for c in actionable])
    for cause in actionable:
        if cause.netem and cause.host:
            if not _unreadable(cause, ctx, plan):
                _add(plan, cause.host, "sender", [_netem_change(cause)])
            continue
        if cause.code == "receiver_window_limited" and cause.host:
            if not _unreadable(cause, ctx, plan):
                _add(plan, cause.host, "receiver", _receiver_changes(cause, ctx, plan))
            continue
        if cause.code == "window_scaling_disabled":
            if not _unreadable(cause, ctx, plan):
                for instance_id, changes in _scaling_changes(cause, ctx, plan).items():
                    _add(plan, instance_id, "receiver" if instance_id == cause.host else "sender", changes)
            continue
        if cause.code in _ACTIONS and cause.code != "receiver_window_limited":
            plan.actions.append(fact(_ACTIONS[cause.code], host=cause.host or "the host"))
    return plan
