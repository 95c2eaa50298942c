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
    instance_id: str
    stack_name: str | None
    changes: list[str]
    script: str
    summary: str
    action: str = "fix_retransmissions"

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

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "headline": {"severity": self.headline_severity, "text": self.headline},
            "findings": [f.to_dict() for f in self.findings],
            "recommendation": self.recommendation.to_dict() if self.recommendation else None,
            "remediation": self.remediation.to_dict() if self.remediation else None,
        }


_SEVERITY = {"enum": ["critical", "warning", "ok", "info"]}
_STRING_MAP = {"type": "object", "additionalProperties": {"type": "string"}}

ANSWER_SCHEMA: dict[str, Any] = {
    "$schema": "https://json-schema.org/draft/2020-12/schema",
    "$id": "https://netops.invalid/schemas/performance-answer.json",
    "title": "Performance Agent answer (data part)",
    "type": "object",
    "required": ["kind", "headline", "findings", "recommendation", "remediation"],
    "additionalProperties": False,
    "properties": {
        "kind": {"enum": [DIAGNOSIS_KIND, REMEDIATION_KIND]},
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
                    "required": ["action", "instance_id", "stack_name", "changes", "script", "summary"],
                    "additionalProperties": False,
                    "properties": {
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
                    },
                },
            ]
        },
    },
}
