"""From tool reports to findings, a headline and (only when the evidence supports it) a fix.

Pure functions over the tools' structured reports, so every judgement is testable without
AWS. TCP fixes are recommended only for a flow whose retransmissions (or NFM timeouts) pass
the thresholds below AND whose instance is known; the recommendation names that instance
and the exact changes. The AWS network health indicator is reported as AWS's own verdict,
apart from ours, because a degraded AWS network is not something TCP tuning fixes.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agents.performance.answer import (
    DIAGNOSIS_KIND,
    SEVERITY_ORDER,
    Answer,
    Evidence,
    Finding,
    Recommendation,
)
from agents.performance.tools.aws import AwsProblem
from agents.performance.tools.flow_monitor import FlowContributor, FlowMonitorReport, describe_flow
from agents.performance.tools.mirroring import MirroredFlow, MirroringReport, human_bytes
from agents.performance.tools.remediation import dry_run
from agents.plural import counted

RETRANSMISSION_WARNING = 0.01  # 1 % of data segments retransmitted: worth a look
RETRANSMISSION_CRITICAL = 0.02  # 2 %: throughput collapses on long-lived flows
MIN_PACKETS = 10  # below this, one retransmission is a big rate: noise
RTT_P99_WARNING_MS = 100.0
NFM_TIMEOUTS_WARNING = 1
MAX_FLOW_FINDINGS = 3


@dataclass
class Diagnosis:
    answer: Answer
    analyzed_anything: bool


def _rate_severity(rate: float) -> str:
    if rate >= RETRANSMISSION_CRITICAL:
        return "critical"
    return "warning" if rate >= RETRANSMISSION_WARNING else "ok"


def _problem_finding(problem: AwsProblem) -> Finding:
    return Finding(
        severity="warning",
        title=f"{problem.operation} failed ({problem.code})",
        detail=problem.message,
        evidence=Evidence(source="aws", extra={"operation": problem.operation, "code": problem.code}),
        recommendation=problem.advice,
    )


def _mirrored_findings(report: MirroringReport) -> tuple[list[Finding], list[MirroredFlow]]:
    findings: list[Finding] = []
    bad = [f for f in report.flows if f.packets >= MIN_PACKETS and f.retransmission_rate >= RETRANSMISSION_WARNING]
    bad.sort(key=lambda f: (f.retransmission_rate, f.retransmissions), reverse=True)
    for flow in bad[:MAX_FLOW_FINDINGS]:
        where = f" on {flow.instance_id}" if flow.instance_id else ""
        rtt = f", RTT p99 {flow.rtt_p99_ms:.0f} ms" if flow.rtt_p99_ms is not None else ""
        findings.append(
            Finding(
                severity=_rate_severity(flow.retransmission_rate),  # type: ignore[arg-type]
                title=f"{flow.retransmission_rate:.1%} of segments retransmitted on {flow.flow}{where}",
                detail=(
                    f"{counted(flow.retransmissions, 'retransmission')} in {counted(flow.packets, 'packet')}{rtt}, "
                    f"{counted(flow.resets, 'reset')}, from {counted(report.files_analyzed, 'mirrored capture')}."
                ),
                evidence=Evidence(
                    source="traffic_mirroring",
                    flow=flow.flow,
                    instance_id=flow.instance_id,
                    retransmission_rate=round(flow.retransmission_rate, 5),
                    rtt_p50_ms=None if flow.rtt_p50_ms is None else round(flow.rtt_p50_ms, 3),
                    rtt_p99_ms=None if flow.rtt_p99_ms is None else round(flow.rtt_p99_ms, 3),
                    resets=flow.resets,
                ),
                recommendation=None
                if flow.instance_id
                else "No instance owns these addresses: name the instance in the question to get a fix.",
            )
        )
    if report.analyzed and not bad:
        counts = report.counts
        worst = worst_mirrored_flow(report)
        findings.append(
            Finding(
                severity="ok",
                title="No flow with a retransmission problem in the mirrored traffic",
                detail=(
                    f"{counted(report.files_analyzed, 'capture')}, "
                    f"{counted(counts.get('tcp_packets', 0), 'TCP packet')}, "
                    f"{counted(counts.get('retransmissions', 0), 'retransmission')} "
                    f"in {counted(len(report.flows), 'flow')}"
                    + (f"; worst: {describe_mirrored(worst)}." if worst else ".")
                ),
                evidence=Evidence(
                    source="traffic_mirroring",
                    extra={
                        "captures": report.files_analyzed,
                        "tcp_packets": counts.get("tcp_packets", 0),
                        "retransmissions": counts.get("retransmissions", 0),
                    },
                ),
            )
        )
    if report.cap_note:
        findings.append(
            Finding(
                severity="info",
                title="Not every capture was analyzed",
                detail=report.cap_note + f"; {human_bytes(report.bytes_total)} in the window.",
                evidence=Evidence(source="traffic_mirroring", extra={"files_total": report.files_total}),
                recommendation="Ask about a shorter time window or one instance to cover all of it.",
            )
        )
    if report.file_errors:
        findings.append(
            Finding(
                severity="warning",
                title=f"{counted(len(report.file_errors), 'capture')} could not be read",
                detail="; ".join(f"{e['key']}: {e['error']}" for e in report.file_errors[:3]),
                evidence=Evidence(source="traffic_mirroring"),
                recommendation="Check the capture rotation on the mirror target; truncated files are skipped.",
            )
        )
    if report.files_total == 0 and not report.problems:
        findings.append(
            Finding(
                severity="info",
                title="No captures in the time window",
                detail=f"Nothing under s3://{report.bucket}/{report.prefix} overlaps the last "
                f"{counted(report.window.minutes, 'minute', spec='.0f')}.",
                evidence=Evidence(source="traffic_mirroring"),
                recommendation="Check that the mirror target is capturing, or ask about a longer window.",
            )
        )
    return findings, [f for f in bad if f.instance_id]


def _nfm_is_bad(c: FlowContributor) -> bool:
    rate = c.estimated_retransmission_rate or 0
    return (c.timeouts or 0) >= NFM_TIMEOUTS_WARNING or rate >= RETRANSMISSION_WARNING


def _nfm_findings(report: FlowMonitorReport) -> tuple[list[Finding], list[FlowContributor]]:
    findings: list[Finding] = []
    bad = [c for c in report.worst_flows(limit=len(report.contributors)) if _nfm_is_bad(c)]
    for c in bad[:MAX_FLOW_FINDINGS]:
        rate = c.estimated_retransmission_rate
        severity = "critical" if (rate or 0) >= RETRANSMISSION_CRITICAL else "warning"
        place = ", ".join(x for x in (c.local_instance_id, c.local_subnet_id, c.local_az) if x)
        findings.append(
            Finding(
                severity=severity,  # type: ignore[arg-type]
                title=f"Network Flow Monitor: {c.flow} ({place or 'unknown instance'}) is among the worst flows",
                detail=(
                    f"{counted(c.retransmissions or 0, 'retransmission', spec='.0f')}, "
                    f"{counted(c.timeouts or 0, 'timeout', spec='.0f')}, "
                    f"RTT {c.rtt_ms or 0:.1f} ms, {human_bytes(c.bytes or 0)} sent to "
                    f"{c.remote_instance_id or c.remote_ip} ({c.destination_category}) in monitor {c.monitor}."
                ),
                evidence=Evidence(
                    source="flow_monitor",
                    flow=c.flow,
                    instance_id=c.local_instance_id,
                    retransmission_rate=None if rate is None else round(rate, 5),
                    rtt_p50_ms=None if c.rtt_ms is None else round(c.rtt_ms, 3),
                    extra={"timeouts": c.timeouts or 0, "subnet_id": c.local_subnet_id, "az": c.local_az},
                ),
            )
        )
    if report.contributors and not bad:
        worst = report.worst_flows(limit=1)[0]
        findings.append(
            Finding(
                severity="ok",
                title="No flow with a problem among Network Flow Monitor's top contributors",
                detail=f"{counted(len(report.contributors), 'flow')} checked; worst: {describe_flow(worst)}.",
                evidence=Evidence(source="flow_monitor", flow=worst.flow, instance_id=worst.local_instance_id),
            )
        )
    return findings, [c for c in bad if c.local_instance_id]


def _health_findings(report: FlowMonitorReport, ours: Finding | None) -> list[Finding]:
    """AWS's verdict on its own network, per monitor, set beside (never mixed with) ours on the flows."""
    findings = []
    for m in report.metrics:
        if m.aws_network_degraded:
            detail = "AWS reports a problem in its own network for this monitor (HealthIndicator = 1)."
        elif ours is not None:
            detail = (
                "AWS reports no problem in its own network for this monitor (HealthIndicator = 0); "
                f"our analysis: {ours.title}, so look at the hosts, not at AWS's network."
            )
        else:
            detail = (
                "AWS reports no problem in its own network for this monitor (HealthIndicator = 0), "
                "and our analysis of the flows finds none either."
            )
        findings.append(
            Finding(
                severity="warning" if m.aws_network_degraded else "info",
                title=f"AWS network health indicator for monitor {m.monitor}: "
                + ("degraded" if m.aws_network_degraded else "healthy"),
                detail=detail,
                evidence=Evidence(source="cloudwatch", extra={"monitor": m.monitor, **m.values}),
                recommendation="Check the AWS Health Dashboard; TCP tuning does not fix an AWS network event."
                if m.aws_network_degraded
                else None,
            )
        )
    return findings


def worst_mirrored_flow(report: MirroringReport) -> MirroredFlow | None:
    """The mirrored flow with the highest retransmission rate, ignoring flows too small to judge when others exist."""
    judged = [f for f in report.flows if f.packets >= MIN_PACKETS] or report.flows
    return max(judged, key=lambda f: (f.retransmission_rate, f.retransmissions), default=None)


def describe_mirrored(flow: MirroredFlow) -> str:
    """`10.0.1.10:40000 → 10.0.2.20:5432 with 0.0% retransmitted, RTT p99 1.0 ms`."""
    rtt = f", RTT p99 {flow.rtt_p99_ms:.1f} ms" if flow.rtt_p99_ms is not None else ""
    return f"{flow.flow} with {flow.retransmission_rate:.1%} retransmitted{rtt}"


def _worst_checked(mirroring: MirroringReport | None, flow_monitor: FlowMonitorReport | None) -> str | None:
    """The worst flow the evidence covered, so a healthy answer says what was checked."""
    if mirroring is not None and (flow := worst_mirrored_flow(mirroring)):
        return describe_mirrored(flow)
    if flow_monitor is not None and (worst := flow_monitor.worst_flows(limit=1)):
        return describe_flow(worst[0]) + " (Network Flow Monitor)"
    return None


def _headline(
    findings: list[Finding], recommendation: Recommendation | None, analyzed: bool, checked: str | None
) -> tuple[str, str]:
    if not analyzed:
        return "critical", "Nothing could be analyzed: see the findings for what to fix first."
    worst = min(findings, key=lambda f: SEVERITY_ORDER[f.severity], default=None)
    if worst is None or worst.severity in {"ok", "info"}:
        text = "No TCP or network problem found in the evidence analyzed"
        return "ok", text + (f"; worst flow checked: {checked}." if checked else ".")
    text = worst.title
    if recommendation:
        text += f": TCP fixes recommended for {recommendation.instance_id}."
    return worst.severity, text


def diagnose(
    flow_monitor: FlowMonitorReport | None,
    mirroring: MirroringReport | None,
    *,
    stack_name: str | None,
    persist: bool,
    extra_problems: Sequence[AwsProblem] = (),
) -> Diagnosis:
    """The answer's data part for a diagnosis (kind netops.diagnosis/v1)."""
    findings: list[Finding] = []
    candidates: list[str] = []
    if mirroring is not None:
        found, fixable = _mirrored_findings(mirroring)
        findings += found
        candidates += [f.instance_id for f in fixable if f.instance_id]
    if flow_monitor is not None:
        found, fixable = _nfm_findings(flow_monitor)
        findings += found
        candidates += [c.local_instance_id for c in fixable if c.local_instance_id]
        ours = min(
            (f for f in findings if f.severity in {"critical", "warning"}),
            key=lambda f: SEVERITY_ORDER[f.severity],
            default=None,
        )
        findings += _health_findings(flow_monitor, ours)
    problems = [*(flow_monitor.problems if flow_monitor else []), *(mirroring.problems if mirroring else [])]
    findings += [_problem_finding(p) for p in [*problems, *extra_problems]]
    findings.sort(key=lambda f: SEVERITY_ORDER[f.severity])
    recommendation = dry_run(candidates[0], stack_name, persist=persist) if candidates else None
    if recommendation:
        for finding in findings:
            if finding.evidence.instance_id == recommendation.instance_id and finding.recommendation is None:
                finding.recommendation = f"Apply the TCP fixes to {recommendation.instance_id} (approval needed)."
    analyzed = bool((mirroring and mirroring.analyzed) or (flow_monitor and flow_monitor.analyzed))
    severity, text = _headline(findings, recommendation, analyzed, _worst_checked(mirroring, flow_monitor))
    answer = Answer(
        kind=DIAGNOSIS_KIND,
        headline_severity=severity,  # type: ignore[arg-type]
        headline=text,
        findings=findings,
        recommendation=recommendation,
    )
    return Diagnosis(answer=answer, analyzed_anything=analyzed)
