"""Words: every sentence of a diagnosis, in the asker's language, from the message catalog.

The last layer (evidence → cause → recommendation → words). Pure functions: facts and codes in,
text out. Message ids are the English sentences (`agents.i18n.tr`); numbers, ids, flows and
setting names are placeholders, never translated. Every rate carries its denominator.
"""

from __future__ import annotations

from datetime import tzinfo

from agents.i18n import tr
from agents.performance.causes import Cause, Fact
from agents.performance.question import Scope, zone

CAUSE_TITLES = {
    "path_loss": "Packet loss on {flow}",
    "receiver_window_limited": "The receiver's window limits {flow}",
    "window_scaling_disabled": "Window scaling is off on {flow}: the window is stuck at 64 KiB",
    "added_latency": "Added latency on {flow}",
    "aws_network": "AWS's network is degraded on {flow}",
    "instance_allowance_exceeded": "{host} exceeds its ENA network allowance",
    "connection_resets": "Connections reset on {flow}",
    "reordering": "Packets reordered on {flow}",
    "none": "No TCP or network problem found",
    "insufficient_evidence": "Not enough evidence for a verdict",
}
CAUSE_NAMES = {
    "path_loss": "packet loss",
    "receiver_window_limited": "the receiver's window",
    "window_scaling_disabled": "window scaling being off",
    "added_latency": "added latency",
    "aws_network": "an AWS network problem",
    "instance_allowance_exceeded": "the instance's ENA allowance",
    "connection_resets": "connection resets",
    "reordering": "reordering",
}


def say(lang: str, item: Fact) -> str:
    msgid, values = item
    return tr(lang, msgid, **values)


def window_label(lang: str, scope: Scope) -> str:
    w = scope.window
    if w.stated == "since_fix":
        start = w.start.astimezone(_tz(w.tz_name)).strftime("%H:%M:%S")
        return tr(lang, "time since the fix at {start} {tz}", start=start, tz=w.tz_name)
    if w.stated in {"since", "between"}:
        start = w.start.astimezone(_tz(w.tz_name)).strftime("%H:%M")
        end = w.end.astimezone(_tz(w.tz_name)).strftime("%H:%M")
        if w.stated == "since":
            return tr(lang, "since {start} {tz}", start=start, tz=w.tz_name)
        return tr(lang, "{start}–{end} {tz}", start=start, end=end, tz=w.tz_name)
    minutes = round(w.minutes)
    if minutes % 1440 == 0 and minutes >= 1440:
        return tr(lang, "last {n} days", n=minutes // 1440) if minutes > 1440 else tr(lang, "last day")
    if minutes % 60 == 0 and minutes >= 60:
        return tr(lang, "last {n} hours", n=minutes // 60) if minutes > 60 else tr(lang, "last hour")
    return tr(lang, "last {n} minutes", n=minutes) if minutes != 1 else tr(lang, "last minute")


def _tz(name: str) -> tzinfo:
    return zone(name)[0]


def cause_title(lang: str, cause: Cause) -> str:
    flow = cause.flow.label if cause.flow else tr(lang, "the flows checked")
    return tr(lang, CAUSE_TITLES[cause.code], flow=flow, host=cause.host or tr(lang, "a host"))


def cause_name(lang: str, code: str) -> str:
    return tr(lang, CAUSE_NAMES.get(code, code))


def rate(lang: str, part: int, whole: int) -> str:
    """`232 of 7,714 data segments (3.0%)`: a rate is never shown without its denominator."""
    share = f"{part / whole:.1%}" if whole else "0.0%"
    return tr(lang, "{part} of {whole} data segments ({share})", part=f"{part:,}", whole=f"{whole:,}", share=share)


def headline_for_cause(lang: str, cause: Cause, *, fixed_hosts: list[str]) -> str:
    title = cause_title(lang, cause)
    if fixed_hosts:
        return tr(lang, "{title}: host changes recommended for {hosts}.", title=title, hosts=", ".join(fixed_hosts))
    if cause.code in {"none", "insufficient_evidence"}:
        return title + "."
    return tr(lang, "{title}: no host change fixes this; see what to do.", title=title)


def is_cause_headline(lang: str, asked: str, top: Cause | None, asked_cause: Cause | None) -> str:
    name = cause_name(lang, asked)
    if asked_cause is not None:
        first = asked_cause is top
        facts = say(lang, asked_cause.evidence_for[0]) if asked_cause.evidence_for else ""
        if first:
            return tr(lang, "Yes: {name} is the most likely cause ({facts}).", name=name, facts=facts)
        return tr(
            lang,
            "Partly: {name} is there ({facts}), but {top} weighs more.",
            name=name,
            facts=facts,
            top=cause_name(lang, top.code) if top else "",
        )
    if top is None or top.code in {"none", "insufficient_evidence"}:
        return tr(lang, "No evidence of {name}, and no other cause either.", name=name)
    return tr(
        lang, "No: the evidence shows no {name}; the likely cause is {top}.", name=name, top=cause_name(lang, top.code)
    )
