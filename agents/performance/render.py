"""The answer's text part for people: markdown from templates, a pure function of the data part."""

from __future__ import annotations

from agents.performance.answer import Answer

_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵", "ok": "🟢"}


def render_markdown(answer: Answer, *, reasons: list[str] | None = None) -> str:
    lines = [f"{_ICON[answer.headline_severity]} **{answer.headline}**"]
    if answer.findings:
        lines.append("")
    for finding in answer.findings:
        lines.append(f"- {_ICON[finding.severity]} **{finding.title}** — {finding.detail}")
        if finding.recommendation:
            lines.append(f"  - ➜ {finding.recommendation}")
    rec = answer.recommendation
    if rec:
        lines += ["", f"**Recommended fix for `{rec.instance_id}`** (needs an approval):"]
        lines += [f"- {change}" for change in rec.changes]
    rem = answer.remediation
    if rem and rem.status != "Refused":  # a refusal is the headline; nothing ran
        verdict = "verified" if rem.verified else "NOT verified"
        lines += ["", f"**Fix on `{rem.instance_id}`: {rem.status}, {verdict}**"]
        keys = sorted(set(rem.before) | set(rem.after))
        if keys:
            lines += ["", "| setting | before | after |", "| --- | --- | --- |"]
            lines += [f"| {k} | {rem.before.get(k, '—')} | {rem.after.get(k, '—')} |" for k in keys]
        if rem.skipped:
            lines += ["", f"Skipped (not on this kernel): {', '.join(rem.skipped)}"]
        if rem.error:
            lines += ["", rem.error]
    if reasons:
        lines += ["", "_Looked at: " + "; ".join(reasons) + "._"]
    return "\n".join(lines).strip() + "\n"
