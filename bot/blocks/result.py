"""A diagnosis or a remediation result as one Slack message.

Layout: headline, findings with their evidence, the fix (with buttons or their outcome),
then the trace summary and "View trace". The tail always survives Slack's 50-block limit.
"""

from __future__ import annotations

from typing import Any

from agents.i18n import detect_language
from bot.answer import Answer, Finding, RemediationResult
from bot.blocks.approval import ApprovalState, approval_buttons, approval_state_block, recommendation_blocks
from bot.blocks.feedback import feedback_block
from bot.blocks.limits import MAX_FALLBACK_TEXT, MAX_MESSAGE_BLOCKS, fit_blocks, sections, shorten
from bot.blocks.trace import trace_blocks
from bot.trace_view import TraceView

SEVERITY_EMOJI = {
    "critical": ":red_circle:",
    "warning": ":large_orange_circle:",
    "ok": ":large_green_circle:",
    "info": ":large_blue_circle:",
}


def _number(value: object, digits: int = 1) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def evidence_text(evidence: dict[str, Any]) -> str:
    """The evidence in one line, with units: what was measured where."""
    parts: list[str] = []
    if evidence.get("source") == "aws" and evidence.get("operation"):
        parts.append(f"AWS call `{evidence['operation']}` failed with `{evidence.get('code') or '?'}`")
    if evidence.get("flow"):
        parts.append(f"flow `{evidence['flow']}`")
    if evidence.get("instance_id"):
        parts.append(f"instance `{evidence['instance_id']}`")
    rate = evidence.get("retransmission_rate")
    if isinstance(rate, int | float):
        parts.append(f"retransmissions {rate * 100:.1f} %")
    rtt = [
        f"{name} {_number(evidence[key])} ms"
        for name, key in (("p50", "rtt_p50_ms"), ("p99", "rtt_p99_ms"))
        if evidence.get(key) is not None
    ]
    if rtt:
        parts.append("RTT " + " / ".join(rtt))
    if evidence.get("resets") is not None:
        parts.append(f"resets {_number(evidence['resets'])}")
    known = {"flow", "instance_id", "retransmission_rate", "rtt_p50_ms", "rtt_p99_ms", "resets", "source"}
    known |= {"operation", "code"} if evidence.get("source") == "aws" else set()
    parts += [f"{key} {_number(value)}" for key, value in evidence.items() if key not in known and value is not None]
    line = ", ".join(parts)
    if evidence.get("source"):
        source = str(evidence["source"]).replace("_", " ")
        line = f"{line} ({source})" if line else f"from {source}"
    return line


def finding_text(finding: Finding) -> str:
    lines = [f"{SEVERITY_EMOJI[finding.severity]} *{finding.title}*"]
    if finding.detail:
        lines.append(finding.detail)
    if finding.evidence:
        lines.append(f"_Evidence:_ {evidence_text(finding.evidence)}")
    if finding.recommendation:
        lines.append(f"_Recommendation:_ {finding.recommendation}")
    return "\n".join(lines)


def remediation_text(result: RemediationResult) -> str:
    mark = ":white_check_mark:" if result.verified and not result.error else ":x:"
    lines = [
        f"{mark} SSM command `{result.command_id or '?'}` on `{result.instance_id}`: {result.status}, "
        + ("verified by reading the settings back" if result.verified else "not verified")
    ]
    for key in sorted(set(result.before) | set(result.after)):
        before, after = result.before.get(key, "?"), result.after.get(key, "?")
        lines.append(f"• `{key}`: {before} → {after}")
    if result.skipped:
        lines.append("Skipped (not on this kernel): " + ", ".join(f"`{item}`" for item in result.skipped))
    if result.error:
        lines.append(f"Error: {result.error}")
    return "\n".join(lines)


def headline_text(answer: Answer) -> str:
    return f"{SEVERITY_EMOJI[answer.severity]} *{answer.severity.capitalize()}*: {answer.headline}"


def result_blocks(
    answer: Answer,
    trace: TraceView | None,
    result_id: str,
    approval_id: str | None = None,
    approval: ApprovalState | None = None,
) -> list[dict[str, Any]]:
    """The whole result message; `approval` None with an `approval_id` means buttons are live."""
    body: list[dict[str, Any]] = sections(headline_text(answer))
    body.append({"type": "divider"})
    for finding in answer.findings:
        body += sections(finding_text(finding))
    if answer.remediation is not None:
        body += sections(remediation_text(answer.remediation))
    if answer.kind == "text" and answer.text:
        body += sections(answer.text)
    tail: list[dict[str, Any]] = []
    if answer.recommendation is not None:
        tail += recommendation_blocks(answer.recommendation)[:2]
        if approval is not None:
            tail.append(approval_state_block(approval))
        elif approval_id:
            tail.append(approval_buttons(approval_id, answer.recommendation))
    tail += [*trace_blocks(trace, result_id), feedback_block(result_id, detect_language(answer.headline))]
    return fit_blocks(body + tail, MAX_MESSAGE_BLOCKS, keep_tail=len(tail))


def result_fallback(answer: Answer) -> str:
    """The notification text (and what screen readers read)."""
    return shorten(f"{answer.severity.capitalize()}: {answer.headline}", MAX_FALLBACK_TEXT)
