"""The data part of the Performance Agent's answer: the contract the bot renders.

CONTRACTS.md section 3 in code. The dataclasses build it, `ANSWER_SCHEMA` (JSON Schema,
draft 2020-12) documents and checks it; tests validate every answer the agent sends against
the schema, so the two cannot drift apart. Numbers travel through protobuf `Value`s, so a
reader gets floats for every number.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

Severity = Literal["critical", "warning", "ok", "info"]
SEVERITY_ORDER: dict[str, int] = {"critical": 0, "warning": 1, "info": 2, "ok": 3}
DIAGNOSIS_KIND = "netops.diagnosis/v1"
REMEDIATION_KIND = "netops.remediation/v1"
REMEDIATE_REQUEST_KIND = "netops.remediate/v1"
CAUSE_CODES = [
    "path_loss",
    "receiver_window_limited",
    "window_scaling_disabled",
    "added_latency",
    "aws_network",
    "instance_allowance_exceeded",
    "connection_resets",
    "reordering",
    "none",
    "insufficient_evidence",
]


@dataclass
class Evidence:
    source: Literal["traffic_mirroring", "flow_monitor", "cloudwatch", "aws"]
    flow: str | None = None
    instance_id: str | None = None
    retransmission_rate: float | None = None
    rtt_p50_ms: float | None = None
    rtt_p99_ms: float | None = None
    resets: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if v is not None and k != "extra"}
        data.update(self.extra)
        return data


@dataclass
class Finding:
    severity: Severity
    title: str
    detail: str
    evidence: Evidence
    recommendation: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "severity": self.severity,
            "title": self.title,
            "detail": self.detail,
            "evidence": self.evidence.to_dict(),
            "recommendation": self.recommendation,
        }


@dataclass
class Recommendation:
    """A plan of host changes (CONTRACTS.md section 9): `instance_id` is its first host, for the button."""

    instance_id: str
    stack_name: str | None
    changes: list[str]  # one line per change, "setting on host: current → proposed", for the confirm dialog
    script: str
    summary: str
    action: str = "fix_retransmissions"
    cause: str | None = None
    rationale: str = ""
    hosts: list[dict[str, Any]] = field(default_factory=list)  # [{instance_id, role, changes: [{setting, current,
    # proposed, why}]}]
    plan_id: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Remediation:
    instance_id: str
    command_id: str | None
    status: str
    verified: bool
    before: dict[str, str] = field(default_factory=dict)
    after: dict[str, str] = field(default_factory=dict)
    skipped: list[str] = field(default_factory=list)
    error: str | None = None
    hosts: list[dict[str, Any]] = field(default_factory=list)  # per host of a plan: instance_id, status, verified,
    # before, after, error
    undo: dict[str, Any] | None = None  # the plan that restores the before values (CONTRACTS.md section 13)
    comparison: dict[str, Any] | None = None  # the same flow before and after, with a verdict

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Answer:
    kind: str
    headline_severity: Severity
    headline: str
    findings: list[Finding] = field(default_factory=list)
    recommendation: Recommendation | None = None
    remediation: Remediation | None = None
    status: str | None = None  # critical | warning | ok | unknown (CONTRACTS.md section 9)
    language: str = "en"
    scope: dict[str, Any] | None = None
    causes: list[dict[str, Any]] = field(default_factory=list)
    flows: list[dict[str, Any]] = field(default_factory=list)
    instances: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Answer:
        """A remediation answer as `to_dict` wrote it (kept in Redis so a second redemption returns it)."""
        rem = data.get("remediation")
        return cls(
            kind=data["kind"],
            headline_severity=data["headline"]["severity"],
            headline=data["headline"]["text"],
            remediation=Remediation(**rem) if rem else None,
            status=data.get("status"),
            language=data.get("language", "en"),
        )

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "kind": self.kind,
            "headline": {"severity": self.headline_severity, "text": self.headline},
            "findings": [f.to_dict() for f in self.findings],
            "recommendation": self.recommendation.to_dict() if self.recommendation else None,
            "remediation": self.remediation.to_dict() if self.remediation else None,
            "status": self.status or _STATUS_OF_SEVERITY[self.headline_severity],
            "language": self.language,
        }
        if self.scope is not None:
            data["scope"] = self.scope
        if self.kind == DIAGNOSIS_KIND:
            data.update(causes=self.causes, flows=self.flows, instances=self.instances)
        return data


_STATUS_OF_SEVERITY = {"critical": "critical", "warning": "warning", "ok": "ok", "info": "unknown"}


_SEVERITY = {"enum": ["critical", "warning", "ok", "info"]}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

ANSWER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://netops.invalid/schemas/performance-answer.json",
    "title": "Performance Agent answer (data part)",
    "type": "object",
    "required": ["kind", "headline", "findings", "recommendation", "remediation", "status", "language"],
    "additionalProperties": False,
    "properties": {
        "kind": {"enum": [DIAGNOSIS_KIND, REMEDIATION_KIND]},
        "status": {"enum": ["critical", "warning", "ok", "unknown"]},
        "language": {"enum": ["en", "ko"]},
        "scope": {"type": "object"},
        "causes": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["code", "confidence", "evidence_for", "evidence_against"],
                "properties": {
                    "code": {"enum": CAUSE_CODES},
                    "confidence": {"type": "number", "minimum": 0, "maximum": 1},
                    "direction": {"enum": ["client_to_server", "server_to_client", None]},
                    "evidence_for": {"type": "array", "items": {"type": "string"}},
                    "evidence_against": {"type": "array", "items": {"type": "string"}},
                },
            },
        },
        "flows": {"type": "array", "items": {"type": "object", "required": ["flow", "src", "dst", "dport"]}},
        "instances": {"type": "array", "items": {"type": "string"}},
        "headline": {
            "type": "object",
            "required": ["severity", "text"],
            "additionalProperties": False,
            "properties": {"severity": _SEVERITY, "text": {"type": "string", "minLength": 1}},
        },
        "findings": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["severity", "title", "detail", "evidence", "recommendation"],
                "additionalProperties": False,
                "properties": {
                    "severity": _SEVERITY,
                    "title": {"type": "string", "minLength": 1},
                    "detail": {"type": "string"},
                    "recommendation": {"type": ["string", "null"]},
                    "evidence": {
                        "type": "object",
                        "required": ["source"],
                        "properties": {
                            "source": {"enum": ["traffic_mirroring", "flow_monitor", "cloudwatch", "aws"]},
                            "flow": {"type": "string"},
                            "instance_id": {"type": "string"},
                            "retransmission_rate": {"type": "number", "minimum": 0},
                            "rtt_p50_ms": {"type": "number", "minimum": 0},
                            "rtt_p99_ms": {"type": "number", "minimum": 0},
                            "resets": {"type": "number", "minimum": 0},
                        },
                    },
                },
            },
        },
        "recommendation": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": ["action", "instance_id", "stack_name", "changes", "script", "summary", "hosts"],
                    "additionalProperties": False,
                    "properties": {
                        "cause": {"type": ["string", "null"]},
                        "rationale": {"type": "string"},
                        "plan_id": {"type": "string"},
                        "hosts": {
                            "type": "array",
                            "minItems": 1,
                            "items": {
                                "type": "object",
                                "required": ["instance_id", "role", "changes"],
                                "properties": {
                                    "instance_id": {"type": "string"},
                                    "changes": {
                                        "type": "array",
                                        "minItems": 1,
                                        "items": {
                                            "type": "object",
                                            "required": ["setting", "current", "proposed"],
                                        },
                                    },
                                },
                            },
                        },
                        "action": {"const": "fix_retransmissions"},
                        "instance_id": {"type": "string", "pattern": "^i-([0-9a-f]{8}|[0-9a-f]{17})$"},
                        "stack_name": {"type": ["string", "null"]},
                        "changes": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                        "script": {"type": "string", "minLength": 1},
                        "summary": {"type": "string", "maxLength": 300},
                    },
                },
            ]
        },
        "remediation": {
            "oneOf": [
                {"type": "null"},
                {
                    "type": "object",
                    "required": [
                        "instance_id",
                        "hosts",
                        "command_id",
                        "status",
                        "verified",
                        "before",
                        "after",
                        "skipped",
                        "error",
                    ],
                    "additionalProperties": False,
                    "properties": {
                        "instance_id": {"type": "string"},
                        "command_id": {"type": ["string", "null"]},
                        "status": {"type": "string"},
                        "verified": {"type": "boolean"},
                        "before": _STRING_MAP,
                        "after": _STRING_MAP,
                        "skipped": {"type": "array", "items": {"type": "string"}},
                        "error": {"type": ["string", "null"]},
                        "hosts": {"type": "array", "items": {"type": "object"}},
                        "undo": {"type": ["object", "null"]},
                        "comparison": {"type": ["object", "null"]},
                    },
                },
            ]
        },
    },
}
