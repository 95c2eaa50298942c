"""Questions about things no agent here may do: what the topic is, and what would answer it.

When a question is about security groups, DNS, a VPN or the weather and no available agent
declares a skill tagged for it, the ask-back says so and points to what would help, instead of
listing the agents as if the question were merely unclear. Pure.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from agents.collaborator.text import stem
from agents.i18n import N_, tr


@dataclass(frozen=True)
class Topic:
    name: str  # a msgid: the topic as the sentence names it
    triggers: frozenset[str]  # stems; a pair "security_group" is an adjacent pair of terms
    tags: frozenset[str]  # skill tags of an agent that would serve it
    pointer: str  # a msgid: what would answer it instead


def _topic(name: str, triggers: str, tags: str, pointer: str) -> Topic:
    stems = frozenset("_".join(stem(w) for w in t.split("+")) for t in triggers.split())
    return Topic(name, stems, frozenset(tags.split()), pointer)


TOPICS: tuple[Topic, ...] = (
    _topic(
        N_("security groups and network ACLs"),
        "security+group security+groups firewall nacl acl port blocked reach reachable unreachable allow deny",
        "security-groups reachability nacl connectivity",
        N_("VPC Reachability Analyzer, or the inbound rules of the instance's security groups"),
    ),
    _topic(
        N_("DNS"),
        "dns resolve resolution resolving nxdomain hostname route53 route+53",
        "dns route53",
        N_("Route 53 Resolver query logs, or `dig` from the instance"),
    ),
    _topic(
        N_("VPN and Direct Connect links"),
        "vpn ipsec tunnel direct+connect",
        "vpn connectivity",
        N_("the Site-to-Site VPN console's tunnel status and the TunnelState metric in CloudWatch"),
    ),
    _topic(
        N_("route tables and gateways"),
        "route+table route+tables route routes routing gateway nat peering subnet",
        "route-tables connectivity",
        N_("VPC Reachability Analyzer"),
    ),
    _topic(
        N_("IAM permissions"),
        "iam permission permissions accessdenied",
        "iam",
        N_("the IAM policy simulator or IAM Access Analyzer"),
    ),
    _topic(
        N_("costs and billing"),
        "cost costs billing bill invoice",
        "billing",
        N_("AWS Cost Explorer"),
    ),
    _topic(
        N_("the weather"),
        "weather forecast rain",
        "weather",
        N_("a weather service"),
    ),
)


def unserved_topics(question_terms: Iterable[str], served_tags: set[str]) -> list[Topic]:
    """The topics the question is about that no available agent declares a skill for."""
    words = set(question_terms)
    return [topic for topic in TOPICS if topic.triggers & words and not topic.tags & served_tags]


def out_of_scope_sentence(language: str, topics: Sequence[Topic]) -> str:
    """ "No agent here handles DNS; Route 53 Resolver query logs … would." (one clause per topic)."""
    return " ".join(
        tr(
            language,
            "No agent here handles {topic}; {pointer} would.",
            topic=tr(language, t.name),
            pointer=tr(language, t.pointer),
        )
        for t in topics
    )
