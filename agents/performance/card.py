"""The Performance Agent's card: what the collaborator reads to decide whether to ask us."""

from __future__ import annotations

from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    HTTPAuthSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
    StringList,
)

from agents.traceability.a2a import trace_agent_extension

AGENT_NAME = "Performance_Agent"
DIAGNOSE_SKILL = "analyze_network_performance"
REMEDIATE_SKILL = "remediate_tcp_retransmissions"
BEARER_SCHEME = "bearer"
CARD_CACHE_CONTROL = "public, max-age=300"


def build_card(url: str, *, bearer_required: bool, version: str = "1.0.0") -> AgentCard:
    """The card served at /.well-known/agent-card.json; `url` is where the JSON-RPC endpoint answers."""
    diagnose = AgentSkill(
        id=DIAGNOSE_SKILL,
        name="Analyze network performance",
        description=(
            "Diagnoses AWS network performance problems: Network Flow Monitor top contributors and health, "
            "CloudWatch network metrics, and TCP analysis of VPC Traffic Mirroring captures in S3 "
            "(retransmissions, duplicate ACKs, resets, RTT), with findings and a recommended TCP fix."
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
            "Why is the connection from the app tier to the database slow?",
            "Analyze the traffic mirroring captures from the last hour for TCP retransmissions",
            "Show the Network Flow Monitor top contributors in us-east-1 for the past 30 minutes",
            "Are we seeing packet loss between 10.0.1.10 and 10.0.2.20?",
        ],
        input_modes=["text/plain"],
        output_modes=["text/markdown", "application/json"],
    )
    remediate = AgentSkill(
        id=REMEDIATE_SKILL,
        name="Apply TCP fixes",
        description=(
            "Applies the recommended TCP fixes (128 MB socket buffers, window scaling, removal of an injected "
            "netem qdisc) to one EC2 instance over SSM and verifies them by reading them back. Requires a "
            "signed, single-use approval token (data part kind netops.remediate/v1)."
        ),
        tags=["remediation", "tcp-tuning", "ssm"],
        examples=["apply TCP fixes to i-0123456789abcdef0"],
        input_modes=["text/plain", "application/json"],
        output_modes=["text/markdown", "application/json"],
    )
    card = AgentCard(
        name=AGENT_NAME,
        description=(
            "Performance Agent: analyzes AWS network performance with Network Flow Monitor, CloudWatch and "
            "VPC Traffic Mirroring captures, explains what it found, and applies approved TCP fixes."
        ),
        version=version,
        supported_interfaces=[AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0")],
        capabilities=AgentCapabilities(
            streaming=True,
            push_notifications=True,
            extensions=[trace_agent_extension()],
        ),
        default_input_modes=["text/plain"],
        default_output_modes=["text/markdown", "application/json"],
        skills=[diagnose, remediate],
    )
    if bearer_required:
        card.security_schemes[BEARER_SCHEME].CopyFrom(
            SecurityScheme(
                http_auth_security_scheme=HTTPAuthSecurityScheme(
                    scheme="Bearer", description="NETOPS_AGENT_TOKEN shared by the agents and the bot."
                )
            )
        )
        card.security_requirements.append(SecurityRequirement(schemes={BEARER_SCHEME: StringList()}))
    return card
