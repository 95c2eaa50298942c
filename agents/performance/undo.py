"""Undo as a question: "undo the fix" / "되돌려 줘" offers the plan that restores what a fix changed.

The applied fix is the newest one on the question's hosts (or, when it names none, the newest
at all) from `agents.performance.applied`; each host is read first, so the offer says what it has
now and what it will get back, and a host already back to its old values gets nothing proposed.
The offer is a recommendation with `action: "undo"`: the same approval path applies it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from agents.i18n import tr
from agents.performance.answer import DIAGNOSIS_KIND, Answer, Finding, Recommendation
from agents.performance.answer import Evidence as AnswerEvidence
from agents.performance.applied import AppliedFix
from agents.performance.plans import HostChanges, StoredPlan, new_plan_id
from agents.performance.question import Scope
from agents.performance.tools.host_reads import HostRead
from agents.performance.tools.plan_script import PlannedChange, build_plan_script

QDISC = "qdisc"


def _now_value(read: HostRead | None, setting: str) -> str | None:
    if read is None or not read.readable:
        return None
    return read.qdisc if setting == QDISC else read.sysctl.get(setting)


def undo_changes(fix: AppliedFix, reads: dict[str, HostRead]) -> tuple[list[HostChanges], list[str]]:
    """Per host, what to put back (from the fix's before values), and the hosts that could not be read."""
    hosts, unreadable = [], []
    for instance_id in fix.hosts:
        read = reads.get(instance_id)
        if read is None or not read.readable:
            unreadable.append(instance_id)
            continue
        before, after = fix.before.get(instance_id, {}), fix.after.get(instance_id, {})
        changes = []
        for setting, old in before.items():
            if after.get(setting) == old:
                continue  # the fix did not change it
            now = _now_value(read, setting)
            if now is None or " ".join(now.split()) == " ".join(old.split()):
                continue  # already back
            changes.append(PlannedChange(setting, " ".join(now.split()), " ".join(old.split())))
        if changes:
            hosts.append(HostChanges(instance_id, tuple(changes)))
    return hosts, unreadable


def undo_answer(
    scope: Scope, fix: AppliedFix | None, reads: dict[str, HostRead], stack_name: str | None
) -> tuple[Answer, StoredPlan | None]:
    """The answer to "undo the fix": the restore plan as a recommendation, or why there is none."""
    lang = scope.language
    if fix is None:
        text = tr(lang, "There is no applied fix to undo on these hosts in the last week.")
        return _answer(scope, "info", text, []), None
    at = datetime.fromtimestamp(fix.at, tz=UTC).strftime("%Y-%m-%d %H:%M:%S")
    hosts, unreadable = undo_changes(fix, reads)
    findings = [
        Finding(
            "warning",
            tr(lang, "No change offered"),
            tr(lang, "{host} could not be read over SSM, so nothing is offered for it.", host=host),
            AnswerEvidence(source="aws"),
        )
        for host in unreadable
    ]
    if not hosts:
        text = (
            tr(
                lang,
                "Nothing to undo: the hosts of the fix applied at {at} UTC already have their earlier values.",
                at=at,
            )
            if not unreadable
            else tr(lang, "The fix applied at {at} UTC cannot be undone from here: its hosts could not be read.", at=at)
        )
        return _answer(scope, "info", text, findings), None
    plan = StoredPlan(new_plan_id(), fix.cause, tuple(hosts), action="undo", language=lang)
    lines = [
        tr(
            lang,
            "{setting} on {host}: {current} → {proposed}",
            setting=c.setting,
            host=h.instance_id,
            current=c.current,
            proposed=c.proposed,
        )
        for h in hosts
        for c in h.changes
    ]
    rec = Recommendation(
        instance_id=hosts[0].instance_id,
        stack_name=stack_name,
        changes=lines,
        script="\n".join(build_plan_script(h.instance_id, h.changes) for h in hosts),
        summary=tr(lang, "Restore what the fix applied at {at} UTC changed.", at=at)[:300],
        action="undo",
        cause=fix.cause,
        rationale=tr(lang, "Each value goes back to what the host had before the fix, as it read back then."),
        hosts=[
            {
                "instance_id": h.instance_id,
                "role": "restore",
                "changes": [
                    {"setting": c.setting, "current": c.current, "proposed": c.proposed, "why": ""} for c in h.changes
                ],
            }
            for h in hosts
        ],
        plan_id=plan.plan_id,
    )
    text = tr(
        lang,
        "Undo of the fix applied at {at} UTC on {hosts}: approve to restore the earlier values.",
        at=at,
        hosts=", ".join(h.instance_id for h in hosts),
    )
    answer = _answer(scope, "warning", text, findings)
    answer.recommendation = rec
    answer.instances = [h.instance_id for h in hosts]
    return answer, plan


def _answer(scope: Scope, severity: str, text: str, findings: list[Finding]) -> Answer:
    data: dict[str, Any] = scope.to_dict()
    return Answer(
        kind=DIAGNOSIS_KIND,
        headline_severity=severity,  # type: ignore[arg-type]
        headline=text,
        findings=findings,
        status="unknown" if severity == "info" else "warning",
        language=scope.language,
        scope={**data, "not_found": []},
    )
