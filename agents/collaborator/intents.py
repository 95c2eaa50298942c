"""What operators mean, mapped onto the tags agents declare.

A question rarely repeats a card's words ("the app is sluggish" never says
"performance"), so a handful of intents bridge the gap: each has trigger words and the
tags of skills that serve it. The scorer credits a skill once per intent whose tags it
carries, and names the intent in its reasons.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.collaborator.text import stem


@dataclass(frozen=True)
class Intent:
    name: str
    triggers: frozenset[str]
    tags: frozenset[str]


def _intent(name: str, triggers: str, tags: str) -> Intent:
    return Intent(name, frozenset(stem(w) for w in triggers.split()), frozenset(tags.split()))


INTENTS: tuple[Intent, ...] = (
    _intent(
        "slowness",
        "slow slower slowness sluggish latency latencies lag delay delayed rtt jitter throughput bandwidth "
        "timeout timeouts performance p99 p50 congestion cap capped",
        "performance network-monitoring tcp-analysis cloudwatch-metrics",
    ),
    _intent(
        "packet loss",
        "retransmission retransmissions retransmit retransmitted retransmitting loss lost drop drops dropped "
        "dropping packet packets duplicate dupack segment segments",
        "tcp-analysis traffic-mirroring performance",
    ),
    _intent(
        "resets",
        "reset resets resetting rst refusing",
        "tcp-analysis traffic-mirroring",
    ),
    _intent(
        "flow health",
        "health healthy ok okay fine worst top flow flows contributor contributors degraded",
        "network-monitoring performance",
    ),
    _intent(
        "tcp",
        "tcp window windows rwnd mss sack syn ack acks handshake",
        "tcp-analysis",
    ),
    _intent(
        "packet capture",
        "pcap capture captures mirror mirrored mirroring tcpdump wireshark tshark",
        "traffic-mirroring tcp-analysis",
    ),
    _intent(
        "metrics",
        "metric metrics cloudwatch graph dashboard indicator monitor",
        "cloudwatch-metrics network-monitoring",
    ),
    _intent(
        "reachability",
        "reach reachable unreachable refused blocked ping port open firewall allowed deny denied acl nacl security",
        "connectivity reachability security-groups",
    ),
    _intent(
        "routing",
        "route routes routing gateway nat peering subnet vpn",
        "route-tables connectivity",
    ),
    _intent(
        "name resolution",
        "dns resolve resolution resolving hostname nxdomain lookup route53",
        "dns",
    ),
    _intent(
        "fix",
        "fix apply remediate remediation tune tuning repair sysctl",
        "remediation tcp-tuning",
    ),
)


def matched_intents(question_stems: set[str]) -> list[Intent]:
    """The intents whose trigger words appear in the question."""
    return [intent for intent in INTENTS if intent.triggers & question_stems]
