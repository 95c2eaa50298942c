"""The performance agent's data part (CONTRACTS section 3), parsed tolerantly into plain data.

Agents evolve separately from the bot; a missing or odd field must degrade the message,
never crash the worker, so everything here has a default and numbers are coerced
(protobuf Structs turn every integer into a float).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.i18n import LANGUAGES, detect_language

SEVERITIES = ("critical", "warning", "ok", "info")
DIAGNOSIS_KIND = "netops.diagnosis/v1"
REMEDIATION_KIND = "netops.remediation/v1"


def _severity(value: object) -> str:
    text = str(value or "info").lower()
    return text if text in SEVERITIES else "info"


def _text(value: object) -> str:
    return "" if value is None else str(value)


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Finding:
    severity: str
    title: str
    detail: str = ""
    evidence: dict[str, Any] = field(default_factory=dict)
    recommendation: str = ""


@dataclass(frozen=True)
class FixRecommendation:
    action: str
    instance_id: str
    stack_name: str
    changes: tuple[str, ...]
    script: str
    summary: str
    plan_id: str = ""
    hosts: tuple[str, ...] = ()  # every instance the plan changes


@dataclass(frozen=True)
class RemediationResult:
    instance_id: str
    command_id: str
    status: str
    verified: bool
    before: dict[str, str]
    after: dict[str, str]
    skipped: tuple[str, ...]
    error: str | None
    comparison: dict[str, Any] = field(default_factory=dict)  # the same flow before and after, with a verdict


@dataclass(frozen=True)
class Answer:
    kind: str
    severity: str
    headline: str
    findings: tuple[Finding, ...] = ()
    recommendation: FixRecommendation | None = None
    remediation: RemediationResult | None = None
    text: str = ""  # the markdown part, shown when there is no data part
    language: str = "en"  # the answer's (data part `language`, else detected from its words)


def _finding(raw: object) -> Finding:
    data = _dict(raw)
    return Finding(
        severity=_severity(data.get("severity")),
        title=_text(data.get("title")) or "Finding",
        detail=_text(data.get("detail")),
        evidence=_dict(data.get("evidence")),
        recommendation=_text(data.get("recommendation")),
    )


def _recommendation(raw: object) -> FixRecommendation | None:
    data = _dict(raw)
    if not data.get("instance_id"):
        return None
    return FixRecommendation(
        action=_text(data.get("action")) or "fix_retransmissions",
        instance_id=_text(data.get("instance_id")),
        stack_name=_text(data.get("stack_name")),
        changes=tuple(_text(change) for change in data.get("changes") or ()),
        script=_text(data.get("script")),
        summary=_text(data.get("summary")),
        plan_id=_text(data.get("plan_id")),
        hosts=tuple(_text(_dict(h).get("instance_id")) for h in data.get("hosts") or () if _dict(h).get("instance_id")),
    )


def _remediation(raw: object) -> RemediationResult | None:
    data = _dict(raw)
    if not data:
        return None
    error = data.get("error")
    return RemediationResult(
        instance_id=_text(data.get("instance_id")),
        command_id=_text(data.get("command_id")),
        status=_text(data.get("status")) or "Unknown",
        verified=bool(data.get("verified")),
        before={str(k): _text(v) for k, v in _dict(data.get("before")).items()},
        after={str(k): _text(v) for k, v in _dict(data.get("after")).items()},
        skipped=tuple(_text(item) for item in data.get("skipped") or ()),
        error=None if error in (None, "") else _text(error),
        comparison=_dict(data.get("comparison")),
    )


def parse_answer(data: dict[str, Any] | None, text: str = "", *, asked_in: str | None = None) -> Answer:
    """An `Answer` from the data part (or from the text alone when an agent sent no data part).

    Its language: the data part's `language`, else the question's (`asked_in`), else its own words'.
    """
    if not data:
        first_line = next((line.strip("# ").strip() for line in text.splitlines() if line.strip()), "")
        language = asked_in or detect_language(text)
        return Answer("text", "info", first_line or "The agent answered.", text=text, language=language)
    headline = _dict(data.get("headline"))
    recommendation = _recommendation(data.get("recommendation"))
    undo = _dict(_dict(data.get("remediation")).get("undo"))
    if recommendation is None and undo:  # a verified fix offers its undo: approved like any plan
        recommendation = _recommendation({**undo, "action": "undo"})
    stated = _text(data.get("language"))
    return Answer(
        kind=_text(data.get("kind")) or DIAGNOSIS_KIND,
        severity=_severity(headline.get("severity")),
        headline=_text(headline.get("text")) or "The agent answered.",
        findings=tuple(_finding(item) for item in data.get("findings") or ()),
        recommendation=recommendation,
        remediation=_remediation(data.get("remediation")),
        text=text,
        language=stated if stated in LANGUAGES else asked_in or detect_language(_text(headline.get("text")) or text),
    )
