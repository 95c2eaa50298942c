"""A diagnosis data part as the Performance Agent sends it (CONTRACTS.md sections 3 and 9)."""

from __future__ import annotations

APP = "i-0a1b2c3d4e5f60718"
FLOW = "10.0.1.10:40000 → 10.0.2.20:5432"
RATIONALE = "the receiver's window sat at 64 KiB on a path whose bandwidth-delay product is 1.2 MiB"

DIAGNOSIS = {
    "kind": "netops.diagnosis/v1",
    "status": "critical",
    "language": "en",
    "headline": {"severity": "critical", "text": "Window scaling is off on i-0a1b2c3d4e5f60718."},
    "scope": {
        "intent": "why_slow",
        "region": "us-east-1",
        "window": {"minutes": 30, "label": "last 30 minutes"},
        "instances": [APP],
        "ips": ["10.0.1.10"],
    },
    "findings": [
        {
            "severity": "critical",
            "title": "Window stuck at 64 KiB",
            "evidence": {
                "flow": FLOW,
                "instance_id": APP,
                "retransmission_rate": 0.031,
                "rtt_p50_ms": 1.2,
                "rtt_p99_ms": 210.0,
            },
        }
    ],
    "flows": [{"flow": FLOW, "src": "10.0.1.10", "dst": "10.0.2.20", "instance_id": APP}],
    "instances": [APP],
    "recommendation": {
        "action": "fix_retransmissions",
        "instance_id": APP,
        "cause": "window_scaling_disabled",
        "rationale": RATIONALE,
        "script": "sysctl -w net.ipv4.tcp_window_scaling=1",
        "hosts": [
            {
                "instance_id": APP,
                "role": "sender",
                "changes": [
                    {"setting": "net.ipv4.tcp_window_scaling", "current": "0", "proposed": "1", "why": "both ends"}
                ],
            }
        ],
    },
}

# The scope a reply "and the last 5 minutes?" carries from DIAGNOSIS.
LAST_5_MINUTES = {
    "instances": [APP],
    "ips": ["10.0.1.10"],
    "region": "us-east-1",
    "window_minutes": 5,
    "since": None,
    "carried": ["instances", "ips", "region"],
}
