"""Evidence as the rules see it, built directly: one flow, its two directions, hosts and instances."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from agents.performance.causes import Context
from agents.performance.evidence import CLIENT_TO_SERVER, SERVER_TO_CLIENT, Direction, FlowEvidence
from agents.performance.tools.host_reads import HostRead
from agents.performance.tools.instances import InstanceInfo

APP, DB = "i-0aaaaaaaaaaaaaaa1", "i-0bbbbbbbbbbbbbbb2"
APP_IP, DB_IP = "10.0.1.10", "10.0.2.20"
STOCK = {
    "net.ipv4.tcp_rmem": "4096 131072 6291456",
    "net.ipv4.tcp_wmem": "4096 16384 4194304",
    "net.core.rmem_max": "212992",
    "net.core.wmem_max": "212992",
    "net.ipv4.tcp_window_scaling": "1",
}


def clean_direction(name: str = CLIENT_TO_SERVER, **changes: Any) -> Direction:
    sender, receiver = (APP_IP, DB_IP) if name == CLIENT_TO_SERVER else (DB_IP, APP_IP)
    base = Direction(
        name=name,
        sender=sender,
        receiver=receiver,
        data_segments=5000,
        payload_bytes=5000 * 1448,
        receiver_max_window=3_000_000,
        sender_window_scale=7,
        receiver_window_scale=7,
        max_in_flight=40_000,
        duration_s=10.0,
        rtt_p50_ms=0.9,
        rtt_p99_ms=1.4,
        rtt_samples=4000,
    )
    return replace(base, **changes)


def flow(forward: Direction | None = None, reverse: Direction | None = None, **changes: Any) -> FlowEvidence:
    built = FlowEvidence(
        client=APP_IP,
        server=DB_IP,
        server_port=5432,
        client_ports=[40000],
        client_instance=APP,
        server_instance=DB,
        connections=1,
        forward=forward if forward is not None else clean_direction(),
        reverse=reverse if reverse is not None else clean_direction(SERVER_TO_CLIENT, data_segments=2500),
    )
    for key, value in changes.items():
        setattr(built, key, value)
    return built


def host(
    instance_id: str, *, qdisc: str = "mq", ena: dict[str, int] | None = None, sysctl: dict[str, str] | None = None
) -> HostRead:
    """A host as the read script reports it: stock settings unless told, ENA counters rising by `ena`."""
    values = {**STOCK, **(sysctl or {})}
    first = dict.fromkeys(("bw_in_allowance_exceeded", "bw_out_allowance_exceeded", "pps_allowance_exceeded"), 0)
    second = {k: first[k] + (ena or {}).get(k, 0) for k in first}
    return HostRead(instance_id, sysctl=values, interface="eth0", qdisc=qdisc, ena_first=first, ena_second=second)


def context(
    *reads: HostRead, degraded: tuple[str, ...] = (), unknown_health: bool = False, same_az: bool = False
) -> Context:
    instances = {
        APP: InstanceInfo(APP, "us-east-1a", "t3.small", (APP_IP,), "app", "running", peak_gbps=5.0),
        DB: InstanceInfo(
            DB, "us-east-1a" if same_az else "us-east-1b", "t3.small", (DB_IP,), "db", "running", peak_gbps=5.0
        ),
    }
    return Context(
        hosts={r.instance_id: r for r in reads},
        instances=instances,
        degraded_monitors=degraded,
        unknown_health=unknown_health,
    )
