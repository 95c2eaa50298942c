"""What each answer of a case must show, and whether it does: pure functions over `--json` lines.

`expectations` turns a case and the scenario's ground truth into concrete facts per turn
(roles become the running lab's IPs and instance ids); `check` compares them with the turns'
answer lines. A key an answer lacks is a failed fact with a reason, never an exception: the
suite measures agents that do not send every key yet.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from agents.evals.cases import Case, CaseError, Expect
from agents.i18n import detect_language
from agents.lab.scenarios import Truth

FACTS = ("status", "cause", "flow", "direction", "instance", "fix", "language", "asked_back", "fixed", "restored")
_NO_TROUBLE = {"none": "ok", "insufficient_evidence": "unknown"}
TROUBLE_STATUSES = ["critical", "warning"]


@dataclass
class Turn:
    """One question of the conversation and the lines it produced: its answer first, then fix results."""

    question: str
    lines: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class FactResult:
    fact: str
    turn: int
    ok: bool
    detail: str = ""


def default_status(cause: str) -> list[str]:
    status = _NO_TROUBLE.get(cause)
    return [status] if status else list(TROUBLE_STATUSES)


def _truth_defaults(truth: Truth, approve: bool) -> dict[str, Any]:
    defaults: dict[str, Any] = {
        "status": default_status(truth.cause),
        "cause": truth.cause,
        "flow": {"client": truth.flow.client, "server": truth.flow.server, "dport": truth.flow.dport}
        if truth.flow
        else None,
        "fix": truth.fix,
    }
    if truth.direction is not None:
        defaults["direction"] = truth.direction
    if truth.host is not None:
        defaults["instance"] = truth.host
    if approve and any(truth.fix.values()):
        defaults["fixed"] = True
    return defaults


def _given(expect: Expect) -> dict[str, Any]:
    return {name: expect.model_dump()[name] for name in expect.given()}


def _role(roles: dict[str, str], role: str, what: str) -> str:
    if role not in roles:
        raise CaseError(f"{what} names the role {role!r}, which the lab does not have ({', '.join(sorted(roles))})")
    return roles[role]


def _concrete(facts: dict[str, Any], instances: dict[str, str], ips: dict[str, str]) -> dict[str, Any]:
    """Roles replaced by the lab's addresses: flow → IPs, instance and fix → instance ids."""
    out = dict(facts)
    if out.get("flow") is not None:
        flow = out["flow"]
        out["flow"] = {
            "src": _role(ips, flow["client"], "flow.client"),
            "dst": _role(ips, flow["server"], "flow.server"),
            "dport": int(flow["dport"]),
        }
    if out.get("instance") is not None:
        out["instance"] = _role(instances, out["instance"], "instance")
    if out.get("fix") is not None:
        out["fix"] = {
            _role(instances, role, "fix"): sorted(settings) for role, settings in out["fix"].items() if settings
        }
    if isinstance(out.get("status"), str):
        out["status"] = [out["status"]]
    return out


def expectations(
    case: Case, truth: Truth, instances: dict[str, str], ips: dict[str, str], questions: list[str]
) -> list[dict[str, Any]]:
    """Per turn (question, then each follow-up), fact name → expected value; `questions` as filled in.

    The scenario's truth is expected of the first turn that is not meant to be an ask-back: a
    case whose question is too vague expects the collaborator to ask, and the reply to be answered.
    """
    stated = [case.expect, *(follow_up.expect for follow_up in case.then)]
    truth_turn = next((i for i, expect in enumerate(stated) if expect.asked_back is not True), None)
    turns = []
    for index, (expect, question) in enumerate(zip(stated, questions, strict=True)):
        facts: dict[str, Any] = {"language": detect_language(question), "asked_back": False}
        if index == truth_turn:
            facts |= _truth_defaults(truth, case.approve)
        turns.append(facts | _given(expect))
    return [_concrete(facts, instances, ips) for facts in turns]


# --- the checks: (answer line, expected, turns, index) -> (ok, detail) ---


def _status(line: dict[str, Any], expected: list[str]) -> tuple[bool, str]:
    status = line.get("status")
    return status in expected, f"status {status!r}, expected {' or '.join(expected)}"


def _cause(line: dict[str, Any], expected: str) -> tuple[bool, str]:
    if "causes" not in line or "causes" in (line.get("derived") or []):
        return False, "the answer names no causes"
    causes = line.get("causes") or []
    first = causes[0] if causes else None
    if expected == "none":
        return first in (None, "none"), f"first cause {first!r}, expected none"
    return first == expected, f"first cause {first!r}, expected {expected!r}"


def _first_flow(line: dict[str, Any]) -> dict[str, Any] | None:
    flows = line.get("flows")
    return flows[0] if isinstance(flows, list) and flows and isinstance(flows[0], dict) else None


def _flow(line: dict[str, Any], expected: dict[str, Any] | None) -> tuple[bool, str]:
    if "flows" not in line:
        return False, "the answer has no flows"
    flow = _first_flow(line)
    if expected is None:
        return flow is None, "no flow with trouble expected" + (f", got {flow.get('flow')!r}" if flow else "")
    if flow is None:
        return False, f"no flow named, expected {expected['src']} → {expected['dst']}:{expected['dport']}"
    got = (flow.get("src"), flow.get("dst"), flow.get("dport"))
    want = (expected["src"], expected["dst"], expected["dport"])
    return got == want, f"first flow {got[0]} → {got[1]}:{got[2]}, expected {want[0]} → {want[1]}:{want[2]}"


def _direction(line: dict[str, Any], expected: str | None) -> tuple[bool, str]:
    flow = _first_flow(line)
    direction = flow.get("direction") if flow else None
    return direction == expected, f"direction {direction!r}, expected {expected!r}"


def _instance(line: dict[str, Any], expected: str | None) -> tuple[bool, str]:
    named = line.get("instances") if isinstance(line.get("instances"), list) else []
    first = named[0] if named else None
    return first == expected, f"first instance {first!r}, expected {expected!r}"


def recommended_settings(line: dict[str, Any]) -> dict[str, list[str]]:
    """instance id → the settings the answer's recommendation would change (hosts without changes left out)."""
    recommendation = line.get("recommendation")
    hosts = recommendation.get("hosts") if isinstance(recommendation, dict) else None
    out: dict[str, list[str]] = {}
    for host in hosts if isinstance(hosts, list) else []:
        settings = sorted({str(c.get("setting")) for c in host.get("changes") or [] if isinstance(c, dict)})
        if settings:
            out[str(host.get("instance_id"))] = settings
    return out


def _changes(by_host: dict[str, list[str]]) -> str:
    """`qdisc, net.core.rmem_max on i-0a; … on i-0d`, or `nothing`."""
    return "; ".join(f"{', '.join(settings)} on {host}" for host, settings in by_host.items()) or "nothing"


def _fix(line: dict[str, Any], expected: dict[str, list[str]]) -> tuple[bool, str]:
    got = recommended_settings(line)
    if not expected:
        return not got, "no host change expected" + (f", recommended {_changes(got)}" if got else "")
    return got == expected, f"recommended {_changes(got)}, expected {_changes(expected)}"


def _equal(name: str) -> Any:
    def check(line: dict[str, Any], expected: Any) -> tuple[bool, str]:
        return line.get(name) == expected, f"{name} {line.get(name)!r}, expected {expected!r}"

    return check


def _fix_results(turn: Turn) -> list[dict[str, Any]]:
    return [line["fix_result"] for line in turn.lines[1:] if isinstance(line.get("fix_result"), dict)]


def _fixed(turn: Turn, expected: bool) -> tuple[bool, str]:
    verified = [r for r in _fix_results(turn) if r.get("verified") and r.get("changes")]
    return bool(
        verified
    ) == expected, f"{len(verified)} verified fix results, expected {'some' if expected else 'none'}"


def _restored(turns: list[Turn], index: int, expected: bool) -> tuple[bool, str]:
    """This turn's answer (or a fix result after it) puts every setting back to its value before the first fix."""
    earlier = [r for turn in turns[:index] for r in _fix_results(turn)]
    if not earlier:
        return not expected, "no earlier fix to restore"
    before = {c.get("setting"): c.get("before") for c in earlier[0].get("changes") or []}
    candidates = [line.get("fix_result") for line in turns[index].lines]
    for result in (r for r in candidates if isinstance(r, dict)):
        after = {c.get("setting"): c.get("after") for c in result.get("changes") or []}
        if result.get("verified") and all(after.get(s) == v for s, v in before.items()):
            return expected, "restored every setting the fix changed"
    return not expected, f"no verified result restores {sorted(before)}"


_LINE_CHECKS = {
    "status": _status,
    "cause": _cause,
    "flow": _flow,
    "direction": _direction,
    "instance": _instance,
    "fix": _fix,
    "language": _equal("language"),
    "asked_back": _equal("asked_back"),
}


def check(turns: list[Turn], expected: list[dict[str, Any]]) -> list[FactResult]:
    """Every expected fact of every turn, checked against the lines the conversation produced."""
    results: list[FactResult] = []
    for index, facts in enumerate(expected):
        turn = turns[index] if index < len(turns) else Turn("")
        for fact in FACTS:
            if fact not in facts:
                continue
            want = facts[fact]
            if fact == "fixed":
                ok, detail = _fixed(turn, bool(want))
            elif fact == "restored":
                ok, detail = _restored(turns, index, bool(want))
            elif not turn.lines:
                ok, detail = False, "no answer"
            else:
                ok, detail = _LINE_CHECKS[fact](turn.lines[0], want)
            results.append(FactResult(fact, index, ok, detail))
    return results
