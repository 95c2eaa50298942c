"""One answer as one JSON object: the `netops demo --json` line (CONTRACTS.md section 17).

Pure: built from the data part the bot received, its ask-back flag and its trace. The keys of
the diagnosis answer v2 (`status`, `causes`, `flows`, …) are taken as the agent sent them; an
older agent sends none, and then each is derived from what it did send (the headline's
severity, the findings' evidence, the planned changes) or left empty, and named in `derived`,
so a reader (the eval suite) can tell "the agent said" from "we inferred".
"""

from __future__ import annotations

import re
from typing import Any

from agents.i18n import detect_language
from bot.collaborator import Final
from bot.trace_view import TraceView

STATUSES = ("critical", "warning", "ok", "unknown")
# The headline severities of answer v1; "info" claims nothing about the network.
_SEVERITY_STATUS = {"critical": "critical", "warning": "warning", "ok": "ok"}
_TROUBLE = ("critical", "warning")
_COLLABORATOR_CALL = "call collaborator"
_FLOW_LABEL = re.compile(r"^(?P<src>[0-9a-fA-F.:]+?)(?::(?P<sport>\d+))? → (?P<dst>[0-9a-fA-F.:]+?):(?P<dport>\d+)\b")
_LEGACY_CHANGE = re.compile(r"^(?P<setting>[a-z0-9_]+(?:\.[a-z0-9_]+)+)(?: maximum)? → (?P<proposed>\S+)")


def _dict(value: object) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


def _int(value: object) -> int | None:
    try:
        return int(value)  # protobuf Structs carry integers as floats
    except (TypeError, ValueError):
        return None


def routed_to(trace: TraceView | None) -> str | None:
    """The agent the collaborator forwarded to (its `call <agent>` step), or None when it asked none."""
    if trace is None:
        return None
    calls = [
        step.name.removeprefix("call ")
        for step in trace.steps
        if step.call_type.upper() == "AGENT" and step.name.startswith("call ") and step.name != _COLLABORATOR_CALL
    ]
    return calls[-1] if calls else None


def parse_flow_label(label: str) -> dict[str, Any] | None:
    """`10.0.1.10:40000 → 10.0.2.20:5432 (VNI 4242)` (the analyzer's label) as src, sport, dst, dport."""
    match = _FLOW_LABEL.match(label or "")
    if match is None:
        return None
    return {
        "flow": label,
        "src": match["src"],
        "dst": match["dst"],
        "sport": _int(match["sport"]),
        "dport": int(match["dport"]),
    }


def _flow(raw: dict[str, Any]) -> dict[str, Any]:
    return {
        "flow": raw.get("flow"),
        "src": raw.get("src"),
        "dst": raw.get("dst"),
        "sport": _int(raw.get("sport")),
        "dport": _int(raw.get("dport")),
        "direction": raw.get("direction"),
        "instance_id": raw.get("instance_id"),
    }


def _troubled_findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [_dict(f) for f in _list(data.get("findings")) if _dict(f).get("severity") in _TROUBLE]


def _flows_from_findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    """v1 fallback: the flows the troubled findings' evidence names (no direction: v1 has none)."""
    flows: list[dict[str, Any]] = []
    seen: set[tuple[Any, ...]] = set()
    for finding in _troubled_findings(data):
        evidence = _dict(finding.get("evidence"))
        parsed = parse_flow_label(str(evidence.get("flow") or ""))
        if parsed is None or (key := (parsed["src"], parsed["dst"], parsed["dport"])) in seen:
            continue
        seen.add(key)
        flows.append(_flow(parsed | {"instance_id": evidence.get("instance_id")}))
    return flows


def _instances_from_findings(data: dict[str, Any]) -> list[str]:
    named = [_dict(f.get("evidence")).get("instance_id") for f in _troubled_findings(data)]
    named.append(_dict(data.get("recommendation")).get("instance_id"))
    return list(dict.fromkeys(str(i) for i in named if i))


def legacy_change(text: str) -> dict[str, Any]:
    """A v1 planned change ("net.core.rmem_max → 134217728 (if lower)") as setting and proposed value."""
    match = _LEGACY_CHANGE.match(text)
    if match is not None:
        return {"setting": match["setting"], "current": None, "proposed": match["proposed"]}
    if "qdisc" in text:
        return {"setting": "qdisc", "current": None, "proposed": None}
    return {"setting": text, "current": None, "proposed": None}


def recommendation(raw: object) -> tuple[dict[str, Any] | None, bool]:
    """The recommendation as hosts and changes, and whether it had to be derived from the v1 shape."""
    data = _dict(raw)
    if not data:
        return None, False
    hosts = _list(data.get("hosts"))
    if hosts:
        return {
            "cause": data.get("cause"),
            "hosts": [
                {
                    "instance_id": _dict(h).get("instance_id"),
                    "role": _dict(h).get("role"),
                    "changes": [
                        {"setting": c.get("setting"), "current": c.get("current"), "proposed": c.get("proposed")}
                        for c in map(_dict, _list(_dict(h).get("changes")))
                    ],
                }
                for h in hosts
            ],
        }, False
    if not data.get("instance_id"):
        return None, False
    changes = [legacy_change(str(c)) for c in _list(data.get("changes"))]
    return {"cause": None, "hosts": [{"instance_id": data["instance_id"], "role": None, "changes": changes}]}, True


def fix_result(raw: object) -> dict[str, Any] | None:
    """A fix (or undo) result: verified, and each setting's value before and after, as read back."""
    data = _dict(raw)
    if not data:
        return None
    before, after = _dict(data.get("before")), _dict(data.get("after"))
    settings = list(dict.fromkeys([*before, *after]))
    return {
        "instance_id": data.get("instance_id"),
        "status": data.get("status"),
        "verified": bool(data.get("verified")),
        "changes": [{"setting": s, "before": before.get(s), "after": after.get(s)} for s in settings],
        "skipped": [str(s) for s in _list(data.get("skipped"))],
        "error": data.get("error") or None,
    }


def trace_summary(trace: TraceView | None) -> dict[str, Any]:
    if trace is None:
        return {"steps": 0, "latency_ms": None, "tokens": 0, "cost_usd": None}
    return {
        "steps": trace.step_count,
        "latency_ms": None if trace.latency_ms is None else round(trace.latency_ms, 1),
        "tokens": trace.total_tokens,
        "cost_usd": trace.total_cost_usd,
    }


def _first_line(text: str) -> str:
    return next((line.strip("# ").strip() for line in text.splitlines() if line.strip()), "")


def answer_line(
    question: str, final: Final | None, trace: TraceView | None, error: str | None = None
) -> dict[str, Any]:
    """The JSON object for one answer (a failed exchange is an answer too: status unknown, `error` set)."""
    data = _dict(final.data) if final is not None else {}
    headline = str(_dict(data.get("headline")).get("text") or "") or _first_line(final.text if final else "")
    headline = headline or (error or "")
    derived: list[str] = []

    status = data.get("status")
    if status not in STATUSES:
        status = _SEVERITY_STATUS.get(str(_dict(data.get("headline")).get("severity")), "unknown")
        derived.append("status")
    causes = [str(_dict(c).get("code")) for c in _list(data.get("causes")) if _dict(c).get("code")]
    if "causes" not in data:
        derived.append("causes")
    if "flows" in data:
        flows = [_flow(_dict(f)) for f in _list(data.get("flows"))]
    else:
        flows = _flows_from_findings(data)
        derived.append("flows")
    if "instances" in data:
        instances = [str(i) for i in _list(data.get("instances")) if i]
    else:
        instances = _instances_from_findings(data)
        derived.append("instances")
    language = data.get("language")
    if language not in ("en", "ko"):
        language = detect_language(headline) if headline else None
        derived.append("language")
    recommended, legacy = recommendation(data.get("recommendation"))
    if legacy:
        derived.append("recommendation")
    return {
        "question": question,
        "kind": data.get("kind") or ("text" if final is not None else None),
        "routed_to": routed_to(trace),
        "asked_back": bool(final is not None and final.needs_input),
        "status": status,
        "causes": causes,
        "flows": flows,
        "instances": instances,
        "headline": headline,
        "language": language,
        "recommendation": recommended,
        "fix_result": fix_result(data.get("remediation")),
        "error": error if final is None else (headline if final.failed else None),
        "derived": derived,
        "trace": trace_summary(trace),
    }
