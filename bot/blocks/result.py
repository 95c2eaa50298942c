"""A diagnosis or a remediation result as one Slack message.

Layout: headline, findings with their evidence, the fix (with buttons or their outcome),
then the trace summary and "View trace". The tail always survives Slack's 50-block limit.
"""

from __future__ import annotations

from typing import Any

from agents.i18n import N_, tr
from bot.answer import Answer, Finding, RemediationResult
from bot.blocks.approval import ApprovalState, approval_buttons, approval_state_block, recommendation_blocks
from bot.blocks.feedback import feedback_block
from bot.blocks.limits import MAX_FALLBACK_TEXT, MAX_MESSAGE_BLOCKS, context, fit_blocks, sections, shorten
from bot.blocks.mrkdwn import escape
from bot.blocks.trace import trace_blocks
from bot.trace_view import TraceView

SEVERITY_LABEL = {"critical": N_("Critical"), "warning": N_("Warning"), "ok": N_("Ok"), "info": N_("Info")}
SEVERITY_EMOJI = {
    "critical": ":red_circle:",
    "warning": ":large_orange_circle:",
    "ok": ":large_green_circle:",
    "info": ":large_blue_circle:",
}


def _number(value: object, digits: int = 1) -> str:
    """A number as shown; anything else an agent put there, escaped."""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return escape(value)


def evidence_text(evidence: dict[str, Any], language: str = "en") -> str:
    """The evidence in one line, with units: what was measured where."""
    parts: list[str] = []
    if evidence.get("source") == "aws" and evidence.get("operation"):
        parts.append(
            tr(
                language,
                "AWS call `{operation}` failed with `{code}`",
                operation=escape(evidence["operation"]),
                code=escape(evidence.get("code") or "?"),
            )
        )
    if evidence.get("flow"):
        parts.append(tr(language, "flow `{flow}`", flow=escape(evidence["flow"])))
    if evidence.get("instance_id"):
        parts.append(tr(language, "instance `{instance}`", instance=escape(evidence["instance_id"])))
    rate = evidence.get("retransmission_rate")
    if isinstance(rate, int | float):
        parts.append(tr(language, "retransmissions {percent} %", percent=f"{rate * 100:.1f}"))
    rtt = [
        f"{name} {_number(evidence[key])} ms"
        for name, key in (("p50", "rtt_p50_ms"), ("p99", "rtt_p99_ms"))
        if evidence.get(key) is not None
    ]
    if rtt:
        parts.append("RTT " + " / ".join(rtt))
    if evidence.get("resets") is not None:
        parts.append(tr(language, "resets {count}", count=_number(evidence["resets"])))
    known = {"flow", "instance_id", "retransmission_rate", "rtt_p50_ms", "rtt_p99_ms", "resets", "source"}
    known |= {"operation", "code"} if evidence.get("source") == "aws" else set()
    parts += [
        f"{escape(key)} {_number(value)}" for key, value in evidence.items() if key not in known and value is not None
    ]
    line = ", ".join(parts)
    if evidence.get("source"):
        source = escape(evidence["source"]).replace("_", " ")
        line = f"{line} ({source})" if line else tr(language, "from {source}", source=source)
    return line


def finding_text(finding: Finding, language: str = "en") -> str:
    lines = [f"{SEVERITY_EMOJI[finding.severity]} *{escape(finding.title)}*"]
    if finding.detail:
        lines.append(escape(finding.detail))
    if finding.evidence:
        lines.append(tr(language, "_Evidence:_ {evidence}", evidence=evidence_text(finding.evidence, language)))
    if finding.recommendation:
        lines.append(tr(language, "_Recommendation:_ {recommendation}", recommendation=escape(finding.recommendation)))
    return "\n".join(lines)


VERDICTS = {"improved": N_("improved"), "unchanged": N_("unchanged"), "worse": N_("worse"), "unknown": N_("unknown")}


def comparison_text(comparison: dict[str, Any], language: str = "en") -> str:
    """The flow before and after the fix, metric by metric, with the verdict first."""
    rows = [r for r in comparison.get("rows") or () if isinstance(r, dict)]
    if not rows:
        return ""
    verdict = tr(language, VERDICTS.get(str(comparison.get("verdict")), VERDICTS["unknown"]))
    lines = [
        tr(
            language,
            "*Before / after* on `{flow}`: *{verdict}*",
            flow=escape(comparison.get("flow", "")),
            verdict=escape(verdict),
        ),
        tr(
            language,
            "_before: {before}; after: {after}_",
            before=escape(comparison.get("window_before", "")),
            after=escape(comparison.get("window_after", "")),
        ),
    ]
    lines += [
        f"• {escape(str(r.get('metric')))}: {escape(str(r.get('before')))} → {escape(str(r.get('after')))}"
        for r in rows
    ]
    return "\n".join(lines)


def remediation_text(result: RemediationResult, language: str = "en") -> str:
    if result.status == "AlreadyInPlace":
        return ":information_source: " + tr(
            language,
            "Nothing was changed on `{instance}`: every value is already in place.",
            instance=escape(result.instance_id),
        )
    mark = ":white_check_mark:" if result.verified and not result.error else ":x:"
    verified = (
        tr(language, "verified by reading the settings back") if result.verified else tr(language, "not verified")
    )
    lines = [
        mark
        + " "
        + tr(
            language,
            "SSM command `{command}` on `{instance}`: {status}, {verified}",
            command=escape(result.command_id or "?"),
            instance=escape(result.instance_id),
            status=escape(result.status),
            verified=verified,
        )
    ]
    for key in sorted(set(result.before) | set(result.after)):
        before, after = result.before.get(key, "?"), result.after.get(key, "?")
        lines.append(f"• `{escape(key)}`: {escape(before)} → {escape(after)}")
    if result.skipped:
        skipped = ", ".join(f"`{escape(item)}`" for item in result.skipped)
        lines.append(tr(language, "Skipped (not on this kernel): {settings}", settings=skipped))
    if result.error:
        lines.append(tr(language, "Error: {error}", error=escape(result.error)))
    if result.comparison and (table := comparison_text(result.comparison, language)):
        lines += ["", table]
    return "\n".join(lines)


def headline_text(answer: Answer) -> str:
    label = tr(answer.language, SEVERITY_LABEL[answer.severity])
    return f"{SEVERITY_EMOJI[answer.severity]} *{label}*: {escape(answer.headline)}"


def result_blocks(
    answer: Answer,
    trace: TraceView | None,
    result_id: str,
    approval_id: str | None = None,
    approval: ApprovalState | None = None,
    read_together: str | None = None,
) -> list[dict[str, Any]]:
    """The whole result message; `approval` None with an `approval_id` means buttons are live.

    `read_together`: the earlier question the collaborator read with this one, said under the headline.
    """
    language = answer.language
    body: list[dict[str, Any]] = sections(headline_text(answer))
    if read_together:
        note = tr(language, "Read together with your earlier question: {question}", question=read_together)
        body.append(context(shorten(note, 2000)))
    body.append({"type": "divider"})
    for finding in answer.findings:
        body += sections(finding_text(finding, language))
    if answer.remediation is not None:
        body += sections(remediation_text(answer.remediation, language))
    if answer.kind == "text" and answer.text and answer.text.strip() != answer.headline:
        body += sections(escape(answer.text))  # more than the headline already says (a one-sentence ask-back is not)
    tail: list[dict[str, Any]] = []
    if answer.recommendation is not None:
        tail += recommendation_blocks(answer.recommendation, language)[:2]
        if approval is not None:
            tail.append(approval_state_block(approval, language))
        elif approval_id:
            tail.append(approval_buttons(approval_id, answer.recommendation, language))
    tail += [*trace_blocks(trace, result_id, language), feedback_block(result_id, language)]
    return fit_blocks(body + tail, MAX_MESSAGE_BLOCKS, keep_tail=len(tail))


def result_fallback(answer: Answer) -> str:
    """The notification text (and what screen readers read)."""
    label = tr(answer.language, SEVERITY_LABEL[answer.severity])
    return shorten(f"{label}: {escape(answer.headline)}", MAX_FALLBACK_TEXT)
