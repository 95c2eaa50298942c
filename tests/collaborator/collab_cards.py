"""Agent cards of the test agents (A2A 1.0), shared by the routing table and the servers."""

from __future__ import annotations

from a2a.types import AgentCapabilities, AgentCard, AgentInterface, AgentSkill


def _card(name: str, url: str, description: str, skills: list[AgentSkill]) -> AgentCard:
    return AgentCard(
        name=name,
        description=description,
        version="1.0.0",
        supported_interfaces=[AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0")],
        capabilities=AgentCapabilities(streaming=True, push_notifications=False),
        default_input_modes=["text/plain"],
        default_output_modes=["text/plain", "application/json"],
        skills=skills,
    )


def performance_card(url: str) -> AgentCard:
    """Shaped like the real Performance_Agent's card (design.md section 3)."""
    return _card(
        "Performance_Agent",
        url,
        "Diagnoses AWS network performance problems and applies approved TCP fixes.",
        [
            AgentSkill(
                id="analyze_network_performance",
                name="Analyze network performance",
                description=(
                    "Finds why traffic between instances is slow: Network Flow Monitor top contributors, "
                    "CloudWatch network metrics, and TCP analysis of Traffic Mirroring packet captures "
                    "(retransmissions, round-trip time, resets)."
                ),
                tags=[
                    "performance",
                    "network-monitoring",
                    "vpc-flow-logs",
                    "traffic-mirroring",
                    "tcp-analysis",
                    "cloudwatch-metrics",
                ],
                examples=[
                    "Why is traffic between my app and database slow?",
                    "Analyze the latest traffic mirroring captures for retransmissions",
                ],
            ),
            AgentSkill(
                id="remediate_tcp_retransmissions",
                name="Remediate TCP retransmissions",
                description="Applies approved TCP tuning to an instance over SSM and reads the settings back.",
                tags=["remediation", "tcp-tuning", "ssm"],
                examples=["Apply the recommended TCP fixes to i-0123456789abcdef0"],
            ),
        ],
    )


def connectivity_card(url: str) -> AgentCard:
    """A second, different specialist, so that routing has a real choice."""
    return _card(
        "Connectivity_Agent",
        url,
        "Checks whether one resource can reach another in a VPC.",
        [
            AgentSkill(
                id="check_reachability",
                name="Check reachability",
                description=(
                    "Explains why a connection is refused or times out: security groups, network ACLs, "
                    "route tables, NAT and internet gateways, VPC peering."
                ),
                tags=["connectivity", "reachability", "security-groups", "route-tables", "nacl"],
                examples=["Can the web server reach the database on port 5432?"],
            ),
            AgentSkill(
                id="diagnose_dns",
                name="Diagnose DNS",
                description="Finds why a hostname does not resolve in a VPC: Route 53 resolver rules, private zones.",
                tags=["dns", "route53", "connectivity"],
                examples=["Why does db.internal not resolve from the app subnet?"],
            ),
        ],
    )
