"""A diagnosis: evidence → cause → recommendation → words, for the question that was asked.

Pure: the tools' reports and the question's scope in, the answer's data part out (CONTRACTS.md
sections 3 and 9). The flows are first narrowed to what the question names (an instance, an IP,
a port; a name that is not found is said plainly, never swapped for another), causes are ranked
(`causes`), host changes are planned only for causes they fix (`recommend`), and the headline
answers the question's intent first ("is loss the cause?" gets a yes or no with the number).
The status is `unknown`, never `ok`, when the evidence is too thin for a verdict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.i18n import tr
from agents.performance.answer import DIAGNOSIS_KIND, Answer, Evidence, Finding, Recommendation
from agents.performance.causes import MIN_SEGMENTS, Cause, Context, decide
from agents.performance.evidence import Evidence as EvidenceSet
from agents.performance.evidence import FlowEvidence
from agents.performance.question import Scope
from agents.performance.recommend import Plan, recommend
from agents.performance.tools.aws import AwsProblem
from agents.performance.tools.instances import InstancesReport
from agents.performance.tools.plan_script import PlannedChange, build_plan_script
from agents.performance.words import (
    cause_title,
    headline_for_cause,
    is_cause_headline,
    rate,
    say,
    window_label,
)

MAX_CAUSE_FINDINGS = 3
_SEVERITY = {"critical": "critical", "warning": "warning", "ok": "ok", "unknown": "info"}


@dataclass
class Diagnosis:
    answer: Answer
    analyzed_anything: bool
    plan: Plan | None = None


# --- scope -------------------------------------------------------------------------------


def in_scope(
    flows: list[FlowEvidence], scope: Scope, evidence: EvidenceSet, instances: InstancesReport
) -> tuple[list[FlowEvidence], list[dict[str, str]]]:
    """The flows the question is about, and the names it gave that were not found."""
    not_found = [{"kind": "instance", "value": i} for i in scope.instances if i in instances.not_found]
    known = [i for i in scope.instances if i not in instances.not_found]
    ips = set(scope.ips)
    for instance_id in known:  # an instance is its addresses too, as EC2 and the flows know them
        info = instances.found.get(instance_id)
        ips |= set(info.ips if info else ()) | evidence.instance_ips.get(instance_id, set())
    seen_ips = {ip for f in flows for ip in (f.client, f.server)}
    not_found += [{"kind": "ip", "value": ip} for ip in scope.ips if ip not in seen_ips]
    if not scope.instances and not scope.ips and not scope.ports:
        return flows, not_found
    if scope.instances and not known and not scope.ips:
        return [], not_found
    selected = [f for f in flows if f.involves((), ips, scope.ports)] if ips or scope.ports else flows
    return selected, not_found


# --- findings ------------------------------------------------------------------------------


def _flow_numbers(flow: FlowEvidence) -> dict[str, Any]:
    d = max((x for x in (flow.forward, flow.reverse) if x), key=lambda x: x.retransmissions, default=None)
    numbers: dict[str, Any] = {}
    if d is not None:
        numbers.update(
            retransmission_rate=round(d.loss_rate, 5),
            data_segments=d.data_segments,
            retransmissions=d.retransmissions,
        )
        if d.rtt_p50_ms is not None:
            numbers.update(rtt_p50_ms=round(d.rtt_p50_ms, 3), rtt_p99_ms=round(d.rtt_p99_ms or 0.0, 3))
    if flow.connections:
        numbers.update(connections=flow.connections, resets=flow.reset_connections)
    return numbers


def _cause_finding(lang: str, cause: Cause) -> Finding:
    detail = "; ".join(say(lang, f) for f in cause.evidence_for)
    if cause.evidence_against:
        detail += " " + tr(lang, "Against: {facts}.", facts="; ".join(say(lang, f) for f in cause.evidence_against))
    flow = cause.flow
    sources = flow.sources if flow else ["cloudwatch"]
    return Finding(
        severity=cause.severity,  # type: ignore[arg-type]
        title=cause_title(lang, cause),
        detail=detail,
        evidence=Evidence(
            source=sources[0] if sources else "traffic_mirroring",  # type: ignore[arg-type]
            flow=flow.label if flow else None,
            instance_id=cause.host,
            extra={"cause": cause.code, "direction": cause.direction, **(_flow_numbers(flow) if flow else {})},
        ),
    )


def _coverage_finding(lang: str, scope: Scope, evidence: EvidenceSet, flows: list[FlowEvidence]) -> Finding:
    """What the answer rests on: captures and NFM rows over which window, with the denominators."""
    parts = []
    if evidence.capture_location is not None:
        parts.append(
            tr(
                lang,
                "captures analyzed: {n} of {total} in {where}",
                n=evidence.captures_analyzed,
                total=evidence.captures_total,
                where=evidence.capture_location,
            )
        )
    if evidence.monitors or evidence.nfm_rows:
        parts.append(
            tr(
                lang,
                "Network Flow Monitor rows: {rows} (monitors: {monitors})",
                rows=evidence.nfm_rows,
                monitors=evidence.monitors,
            )
        )
    segments = sum(f.data_segments for f in flows)
    parts.append(
        tr(lang, "flows in scope: {flows}, data segments: {segments}", flows=len(flows), segments=f"{segments:,}")
    )
    if evidence.captures_capped:
        parts.append(
            tr(
                lang,
                "only the newest captures were analyzed (file cap or byte budget): ask about a shorter "
                "window to cover all of it",
            )
        )
    if evidence.capture_note:
        parts.append(tr(lang, "no captures for this region: {why}", why=evidence.capture_note))
    return Finding(
        severity="info",
        title=tr(lang, "Evidence: {window} in {region}", window=window_label(lang, scope), region=scope.region),
        detail="; ".join(parts) + ".",
        evidence=Evidence(
            source="traffic_mirroring" if evidence.capture_location else "flow_monitor",
            extra={"captures": evidence.captures_analyzed, "nfm_rows": evidence.nfm_rows},
        ),
    )


def _health_finding(lang: str, evidence: EvidenceSet) -> Finding:
    """AWS's verdict on its own network, apart from ours; absent is unknown, never healthy."""
    degraded = [h.monitor for h in evidence.health if h.value is not None and h.value >= 1]
    reported = [h for h in evidence.health if h.value is not None]
    if degraded:
        title, severity = (
            tr(lang, "AWS network health indicator: degraded for {monitors}", monitors=", ".join(degraded)),
            "warning",
        )
    elif reported:
        title, severity = (
            tr(lang, "AWS network health indicator: no AWS-side problem (monitors reporting: {n})", n=len(reported)),
            "info",
        )
    else:
        title, severity = tr(lang, "AWS network health indicator: not reported (unknown)"), "info"
    detail = tr(lang, "It speaks only for AWS's network, not for the hosts' own limits or settings.")
    return Finding(
        severity=severity,
        title=title,
        detail=detail,  # type: ignore[arg-type]
        evidence=Evidence(source="cloudwatch", extra={"degraded": degraded}),
    )


def _problem_finding(lang: str, problem: AwsProblem) -> Finding:
    return Finding(
        severity="warning",
        title=tr(lang, "{operation} failed ({code})", operation=problem.operation, code=problem.code),
        detail=problem.message,
        evidence=Evidence(source="aws", extra={"operation": problem.operation, "code": problem.code}),
        recommendation=problem.advice,
    )


def _not_found_finding(lang: str, item: dict[str, str], scope: Scope) -> Finding:
    if item["kind"] == "instance":
        title = tr(lang, "Instance {id} was not found in {region}", id=item["value"], region=scope.region)
        detail = tr(lang, "EC2 does not know this id in this account and region; nothing else was put in its place.")
    else:
        title = tr(lang, "No flow of {ip} in the evidence", ip=item["value"])
        detail = tr(lang, "No capture or Network Flow Monitor row in the window involves this address.")
    return Finding(
        severity="warning",
        title=title,
        detail=detail,
        evidence=Evidence(source="aws", extra={"not_found": item["value"]}),
    )


def _missing_evidence(lang: str, scope: Scope, evidence: EvidenceSet, flows: list[FlowEvidence]) -> str:
    """Unknown says what was missing and how to get it: the first gap that explains the verdict."""
    missing = []
    segments = sum(f.data_segments for f in flows)
    if evidence.captures_analyzed and segments < MIN_SEGMENTS:
        missing.append(tr(lang, "only {n} data segments in the captures, too few for a rate", n=f"{segments:,}"))
    if evidence.capture_location is None:
        missing.append(tr(lang, "no capture bucket for {region}", region=scope.region))
    elif evidence.captures_analyzed == 0:
        missing.append(
            tr(
                lang,
                "no captures in the {window} in {where}",
                window=window_label(lang, scope),
                where=evidence.capture_location,
            )
        )
    if evidence.monitors == 0:
        missing.append(tr(lang, "no Network Flow Monitor monitor in {region}", region=scope.region))
    elif evidence.nfm_rows == 0:
        missing.append(tr(lang, "no Network Flow Monitor rows in the window"))
    if not missing:
        missing.append(tr(lang, "too few data segments for a rate"))
    return "; ".join(missing)


# --- the headline ------------------------------------------------------------------------


def _headline(
    lang: str,
    scope: Scope,
    causes: list[Cause],
    plan: Plan,
    evidence: EvidenceSet,
    flows: list[FlowEvidence],
    not_found: list[dict[str, str]],
) -> str:
    top = causes[0]
    window = window_label(lang, scope)
    rtt_first = _rtt_line(lang, flows) if scope.intent == "metric" and scope.focus == "rtt" else None
    if top.code == "insufficient_evidence" and rtt_first:  # the number asked for, then why there is no verdict
        return (
            rtt_first
            + " "
            + tr(
                lang,
                "Too little evidence for a verdict on the cause ({missing}).",
                missing=_missing_evidence(lang, scope, evidence, flows),
            )
        )
    if top.code == "insufficient_evidence":
        if not_found and not flows:
            names = ", ".join(i["value"] for i in not_found)
            return tr(
                lang,
                "Unknown: {names} not found, so there is nothing to judge in the {window}.",
                names=names,
                window=window,
            )
        return tr(
            lang,
            "Unknown: not enough evidence in the {window} ({missing}); ask about a longer window or "
            "check the mirror session and monitors.",
            window=window,
            missing=_missing_evidence(lang, scope, evidence, flows),
        )
    fixed = [h.instance_id for h in plan.hosts if h.changes] if plan.offerable else []
    if scope.intent == "is_cause" and scope.asked_cause:
        asked = next((c for c in causes if c.code == scope.asked_cause), None)
        return is_cause_headline(lang, scope.asked_cause, top if top.code != "none" else None, asked)
    if scope.intent == "metric" and scope.focus == "rtt" and (line := _rtt_line(lang, flows)):
        return line + " " + headline_for_cause(lang, top, fixed_hosts=fixed)
    if scope.intent == "metric" and scope.focus == "resets":
        resets = sum(f.reset_connections for f in flows)
        connections = sum(f.connections for f in flows)
        lead = tr(
            lang, "{n} of {total} connections were reset in the {window}.", n=resets, total=connections, window=window
        )
        return lead + " " + headline_for_cause(lang, top, fixed_hosts=fixed)
    if scope.intent == "worst_flows" and (ranked := _worst_flows(lang, flows)):
        lead = tr(lang, "Worst flows in the {window}: {flows}.", window=window, flows="; ".join(ranked))
        return lead + " " + (headline_for_cause(lang, top, fixed_hosts=fixed) if top.code != "none" else "")
    if top.code == "none":
        worst = _worst_line(lang, flows)
        return tr(
            lang,
            "No TCP or network problem found in the {window}; worst flow checked: {worst}.",
            window=window,
            worst=worst,
        )
    if plan.blocked and not fixed:  # a host cause we could not act on: say why, not "no host change fixes this"
        rest = tr(
            lang, "{title}: a host could not be read over SSM, so no change is offered.", title=cause_title(lang, top)
        )
    else:
        rest = headline_for_cause(lang, top, fixed_hosts=fixed)
    if scope.intent == "health":
        return tr(lang, "Not healthy: {rest}", rest=rest)
    return rest


def _rtt_line(lang: str, flows: list[FlowEvidence]) -> str | None:
    best = [(d, f) for f in flows for d in (f.forward, f.reverse) if d and d.rtt_p50_ms is not None]
    if not best:
        rtts = [(n.rtt_ms, f) for f in flows for n in f.nfm if n.rtt_ms is not None]
        if not rtts:
            return None
        rtt, flow = max(rtts, key=lambda x: x[0])
        return tr(lang, "RTT on {flow}: {rtt} ms (Network Flow Monitor).", flow=flow.label, rtt=f"{rtt:.1f}")
    d, flow = max(best, key=lambda x: x[0].rtt_p50_ms or 0)
    return tr(
        lang,
        "RTT on {flow}: median {p50} ms, p99 {p99} ms over {n} samples.",
        flow=flow.label,
        p50=f"{d.rtt_p50_ms:.1f}",
        p99=f"{d.rtt_p99_ms or 0:.1f}",
        n=f"{d.rtt_samples:,}",
    )


def _worst_flows(lang: str, flows: list[FlowEvidence], limit: int = 3) -> list[str]:
    """The flows with the most real retransmissions per data segment (then the slowest), numbered."""
    directions = [(d, f) for f in flows for d in (f.forward, f.reverse) if d and d.data_segments]
    directions.sort(key=lambda x: (x[0].loss_rate, x[0].rtt_p99_ms or 0.0), reverse=True)
    lines, seen = [], set()
    for d, flow in directions:
        if flow.label in seen:
            continue
        seen.add(flow.label)
        line = f"{len(lines) + 1}) {flow.label}, " + rate(lang, d.real_retransmissions, d.data_segments)
        if d.rtt_p99_ms is not None:
            line += ", " + tr(lang, "RTT p99 {p99} ms", p99=f"{d.rtt_p99_ms:.1f}")
        lines.append(line)
        if len(lines) == limit:
            break
    return lines


def _worst_line(lang: str, flows: list[FlowEvidence]) -> str:
    directions = [(d, f) for f in flows for d in (f.forward, f.reverse) if d and d.data_segments]
    if not directions:
        return tr(lang, "flows from Network Flow Monitor: {n}", n=len(flows))
    d, flow = max(directions, key=lambda x: (x[0].loss_rate, x[0].data_segments))
    line = flow.label + ", " + rate(lang, d.real_retransmissions, d.data_segments)
    if d.rtt_p99_ms is not None:
        line += ", " + tr(lang, "RTT p99 {p99} ms", p99=f"{d.rtt_p99_ms:.1f}")
    return line


# --- the recommendation ----------------------------------------------------------------------


def _recommendation(lang: str, plan: Plan, stack_name: str | None) -> Recommendation | None:
    if not plan.offerable:
        return None
    hosts, lines, scripts = [], [], []
    for host in plan.hosts:
        changes = [PlannedChange(c.setting, c.current, c.proposed) for c in host.changes]
        scripts.append(build_plan_script(host.instance_id, changes))
        hosts.append(
            {
                "instance_id": host.instance_id,
                "role": host.role,
                "changes": [
                    {"setting": c.setting, "current": c.current, "proposed": c.proposed, "why": say(lang, c.why)}
                    for c in host.changes
                ],
            }
        )
        lines += [
            tr(
                lang,
                "{setting} on {host}: {current} → {proposed}",
                setting=c.setting,
                host=host.instance_id,
                current=c.current,
                proposed=_proposed(lang, c.proposed),
            )
            for c in host.changes
        ]
    rationale = " ".join(say(lang, f) for f in plan.rationale)
    first = plan.hosts[0].instance_id
    summary = tr(
        lang,
        "Changes: {n} on {hosts}, each checked before it is written and read back after.",
        n=len(lines),
        hosts=", ".join(h.instance_id for h in plan.hosts),
    )
    return Recommendation(
        instance_id=first,
        stack_name=stack_name,
        changes=lines,
        script="\n".join(scripts),
        summary=summary[:300],
        cause=plan.causes[0] if plan.causes else None,
        rationale=rationale,
        hosts=hosts,
    )


def _proposed(lang: str, value: str) -> str:
    return tr(lang, "removed") if value == "removed" else value


# --- the answer ------------------------------------------------------------------------------


def _cause_dict(lang: str, cause: Cause) -> dict[str, Any]:
    flow = cause.flow
    data: dict[str, Any] = {
        "code": cause.code,
        "confidence": round(cause.confidence, 2),
        "direction": cause.direction,
        "host": cause.host,
        "evidence_for": [say(lang, f) for f in cause.evidence_for],
        "evidence_against": [say(lang, f) for f in cause.evidence_against],
    }
    if flow is not None:
        data.update(
            flow=flow.label,
            src=flow.client,
            dst=flow.server,
            dport=flow.server_port,
            sport=flow.client_ports[0] if flow.client_ports else None,
        )
    return data


def _flow_dicts(causes: list[Cause]) -> list[dict[str, Any]]:
    flows, seen = [], set()
    for cause in causes:
        if cause.flow is None or (cause.flow.label, cause.direction) in seen:
            continue
        seen.add((cause.flow.label, cause.direction))
        f = cause.flow
        sender = f.client if cause.direction != "server_to_client" else f.server
        flows.append(
            {
                "flow": f.label,
                "src": f.client,
                "dst": f.server,
                "dport": f.server_port,
                "direction": cause.direction,
                "sender": sender,
                "instance_id": cause.host or f.client_instance,
            }
        )
    return flows


def _instances(causes: list[Cause], plan: Plan) -> list[str]:
    ordered = [c.host for c in causes if c.host] + [h.instance_id for h in plan.hosts]
    for cause in causes:
        if cause.flow:
            ordered += [i for i in (cause.flow.client_instance, cause.flow.server_instance) if i]
    return list(dict.fromkeys(ordered))


def _status(causes: list[Cause]) -> str:
    top = causes[0]
    if top.code == "insufficient_evidence":
        return "unknown"
    if top.code == "none":
        return "ok"
    return "critical" if any(c.severity == "critical" for c in causes if c.confidence >= 0.6) else "warning"


def diagnose(
    scope: Scope,
    evidence: EvidenceSet,
    *,
    ctx: Context,
    instances: InstancesReport,
    problems: list[AwsProblem],
    stack_name: str | None,
) -> Diagnosis:
    """The answer's data part for a diagnosis (kind netops.diagnosis/v1, v2 keys included)."""
    lang = scope.language
    flows, not_found = in_scope(evidence.flows, scope, evidence, instances)
    causes = decide(evidence, flows, ctx) if evidence.analyzed else [Cause("insufficient_evidence", 1.0, "unknown")]
    if not flows and causes[0].code == "none":
        causes = [Cause("insufficient_evidence", 1.0, "unknown")]
    plan = recommend(causes, ctx)
    status = _status(causes)
    findings = [
        _cause_finding(lang, c) for c in causes[:MAX_CAUSE_FINDINGS] if c.code not in {"none", "insufficient_evidence"}
    ]
    findings += [_not_found_finding(lang, item, scope) for item in not_found]
    findings += _plan_findings(lang, plan)
    findings.append(_coverage_finding(lang, scope, evidence, flows))
    if evidence.monitors:
        findings.append(_health_finding(lang, evidence))
    findings += [_problem_finding(lang, p) for p in problems]
    recommendation = _recommendation(lang, plan, stack_name)
    headline = _headline(lang, scope, causes, plan, evidence, flows, not_found)
    answer = Answer(
        kind=DIAGNOSIS_KIND,
        headline_severity=_SEVERITY[status],  # type: ignore[arg-type]
        headline=headline,
        findings=findings,
        recommendation=recommendation,
        status=status,
        language=lang,
        scope={**scope.to_dict(), "not_found": not_found, "window_label": window_label(lang, scope)},
        causes=[_cause_dict(lang, c) for c in causes if c.code not in {"none"}]
        if status != "ok"
        else [_cause_dict(lang, causes[0])],
        flows=_flow_dicts(causes),
        instances=_instances(causes, plan),
    )
    return Diagnosis(answer=answer, analyzed_anything=evidence.analyzed, plan=plan)


def _plan_findings(lang: str, plan: Plan) -> list[Finding]:
    notes = [("warning", f) for f in plan.blocked] + [("info", f) for f in plan.actions + plan.in_place]
    titles = {"warning": tr(lang, "No change offered"), "info": tr(lang, "What to do")}
    return [
        Finding(
            severity=severity,
            title=titles[severity],
            detail=say(lang, item),  # type: ignore[arg-type]
            evidence=Evidence(source="aws" if severity == "warning" else "cloudwatch"),
        )
        for severity, item in notes
    ]
