"""The answer's text part for people: markdown from templates, a pure function of the data part."""

from __future__ import annotations

from agents.i18n import tr
from agents.performance.answer import Answer

_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵", "ok": "🟢"}


def render_markdown(answer: Answer, *, reasons: list[str] | None = None) -> str:
    lang = answer.language
    lines = [f"{_ICON[answer.headline_severity]} **{answer.headline}**"]
    if answer.findings:
        lines.append("")
    for finding in answer.findings:
        lines.append(f"- {_ICON[finding.severity]} **{finding.title}** — {finding.detail}")
        if finding.recommendation:
            lines.append(f"  - ➜ {finding.recommendation}")
    rec = answer.recommendation
    if rec:
        hosts = ", ".join(f"`{h['instance_id']}`" for h in rec.hosts) or f"`{rec.instance_id}`"
        lines += ["", tr(lang, "**Recommended changes on {hosts}** (need an approval):", hosts=hosts)]
        lines += [f"- {change}" for change in rec.changes]
        if rec.rationale:
            lines.append(f"- {rec.rationale}")
    rem = answer.remediation
    if rem and rem.status != "Refused":  # a refusal is the headline; nothing ran
        verdict = tr(lang, "verified") if rem.verified else tr(lang, "NOT verified")
        lines += ["", f"**{tr(lang, 'Fix on {host}', host=f'`{rem.instance_id}`')}: {rem.status}, {verdict}**"]
        keys = sorted(set(rem.before) | set(rem.after))
        if keys:
            lines += ["", tr(lang, "| setting | before | after |"), "| --- | --- | --- |"]
            lines += [f"| {k} | {rem.before.get(k, '—')} | {rem.after.get(k, '—')} |" for k in keys]
        if rem.skipped:
            lines += ["", tr(lang, "Skipped (not on this kernel): {keys}", keys=", ".join(rem.skipped))]
        if rem.error:
            lines += ["", rem.error]
    if reasons:
        lines += ["", "_" + tr(lang, "Looked at: {reasons}.", reasons="; ".join(reasons)) + "_"]
    return "\n".join(lines).strip() + "\n"
