"""An alarm's incident thread as Slack messages: the root, and the lifecycle notes (pure).

Every text that comes from the alarm (its name, reason, dimensions) is escaped: an alarm
named `<!channel>` must not ping the channel. Language: the alarm's description decides
(a Korean description, Korean thread), since an alarm has no asker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from urllib.parse import quote

from agents.i18n import detect_language, tr
from bot.blocks.limits import MAX_FALLBACK_TEXT, context, sections, shorten
from bot.blocks.mrkdwn import escape
from bot.sns.alarm import AlarmChange, parse_time

MAX_REASON_CHARS = 600


def alarm_language(change: AlarmChange) -> str:
    return detect_language(change.description)


def when(moment: str | datetime) -> str:
    value = parse_time(moment) if isinstance(moment, str) else moment
    return value.strftime("%Y-%m-%d %H:%M:%S UTC")


def console_link(change: AlarmChange) -> str:
    region = change.region or "us-east-1"
    return (
        f"https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}"
        f"#alarmsV2:alarm/{quote(change.name, safe='')}"
    )


def duration(seconds: float, lang: str) -> str:
    """How long an incident lasted, in the unit a person would say."""
    if seconds < 60:
        return tr(lang, "{count} s", count=max(0, round(seconds)))
    return tr(lang, "{count} min", count=round(seconds / 60))


def number(value: float | None) -> str:
    if value is None:
        return "?"
    return str(int(value)) if value.is_integer() else f"{value:g}"


def metric_line(change: AlarmChange, lang: str) -> str:
    metric = escape(f"{change.namespace}/{change.metric}".strip("/")) or "?"
    return tr(
        lang,
        "*Metric:* `{metric}` {comparison} {threshold} (value {value})",
        metric=metric,
        comparison=escape(change.comparison),
        threshold=number(change.threshold),
        value=number(change.value),
    )


def dimensions_text(change: AlarmChange) -> str:
    return ", ".join(f"`{escape(name)}` = `{escape(value)}`" for name, value in change.dimensions) or "—"


def root_blocks(opened: AlarmChange, *, fired: int = 1, resolved: AlarmChange | None = None) -> list[dict[str, Any]]:
    """The thread root: what fired, the metric, threshold, value, dimensions, a link; then its status."""
    lang = alarm_language(opened)
    name = escape(opened.name)
    if resolved is None:
        title = tr(lang, ":red_circle: *CloudWatch alarm {name}* is in ALARM", name=name)
    else:
        title = tr(lang, ":white_check_mark: *CloudWatch alarm {name}* was resolved", name=name)
    lines = [
        title,
        metric_line(opened, lang),
        tr(lang, "*Dimensions:* {dimensions}", dimensions=dimensions_text(opened)),
        tr(lang, "*Reason:* {reason}", reason=escape(shorten(opened.reason, MAX_REASON_CHARS))),
    ]
    status = tr(lang, "Fired at {time}", time=when(opened.changed_at))
    if fired > 1:
        status += " · " + tr(lang, "fired {count} times", count=fired)
    if resolved is None:
        status += " · " + tr(lang, "investigating: the diagnosis follows in this thread")
    else:
        lasted = duration((resolved.changed - opened.changed).total_seconds(), lang)
        status += " · " + tr(
            lang, "resolved at {time} after {duration}", time=when(resolved.changed_at), duration=lasted
        )
    link = tr(lang, "<{url}|Open the alarm in CloudWatch>", url=console_link(opened))
    return [*sections("\n".join(lines)), context(f"{status} · {link}")]


def root_fallback(opened: AlarmChange, resolved: bool = False) -> str:
    lang = alarm_language(opened)
    if resolved:
        text = tr(lang, "CloudWatch alarm {name} was resolved", name=opened.name)
    else:
        text = tr(lang, "CloudWatch alarm {name} is in ALARM", name=opened.name)
    return shorten(escape(text), MAX_FALLBACK_TEXT)


def _note(opened: AlarmChange, change: AlarmChange, template: str) -> str:
    reason = escape(shorten(change.reason, MAX_REASON_CHARS))
    return tr(alarm_language(opened), template, time=when(change.changed_at), reason=reason)


def refire_note(opened: AlarmChange, change: AlarmChange) -> str:
    return _note(
        opened,
        change,
        ":information_source: Fired again at {time}: {reason}. Not investigated again: "
        "the diagnosis in this thread covers this incident.",
    )


def resolved_note(opened: AlarmChange, change: AlarmChange) -> str:
    return _note(opened, change, ":white_check_mark: Resolved at {time}: {reason}")


def no_data_note(opened: AlarmChange, change: AlarmChange) -> str:
    return _note(opened, change, ":warning: No data at {time}: {reason}. The incident stays open.")


def note_blocks(text: str) -> list[dict[str, Any]]:
    return sections(text)
