"""How a reply in a thread relates to the thread's last answer. Pure.

A reply either asks about the last answer ("which instance exactly?", "왜 window scaling을
권했어?"): the collaborator answers it from that answer, without calling an agent; or it asks
again with a change ("and the last 5 minutes?", "us-west-2는?", "what about the db?"): it is
forwarded with the last answer's scope carried over, except what the reply names itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

# Ends by lookahead, not \b: a Korean particle glued on ("us-west-2는") is a word character.
INSTANCE = re.compile(r"(?<![0-9a-z-])i-[0-9a-f]{8,17}(?![0-9a-z])")
IPV4 = re.compile(r"(?<![0-9.])(?:\d{1,3}\.){3}\d{1,3}(?![0-9])")
REGION = re.compile(
    r"(?<![a-z])[a-z]{2}(?:-gov)?-(?:north|south|east|west|central|northeast|southeast|northwest|southwest)-\d(?![0-9a-z])"
)
_MINUTES = {"m": 1, "min": 1, "mins": 1, "minute": 1, "minutes": 1, "분": 1}
_HOURS = {"h": 60, "hr": 60, "hrs": 60, "hour": 60, "hours": 60, "시간": 60}
WINDOW = re.compile(
    r"(?:\b(?:last|past|previous)\s+(?:(\d+)\s*)?(m|mins?|minutes?|h|hrs?|hours?)\b)|(\d+)\s*(분|시간|m\b|mins?\b|minutes?\b|h\b|hrs?\b|hours?\b)",
    re.IGNORECASE,
)
SINCE = re.compile(r"(?:\bsince\s+(\d{1,2}):(\d{2})\b)|(?:(\d{1,2}):(\d{2})\s*(?:부터|이후))", re.IGNORECASE)
# Words that name a host or tier: a reply naming one asks about it, not about the last answer's hosts.
TARGET = re.compile(
    r"\b(?:db|database|app|web|api|cache|redis|kafka|broker|bastion|load balancer|lb|server|host)s?\b"
    r"|데이터베이스|디비|앱|웹|서버|호스트|캐시"
    r"|(?<![a-z])(?:db|app)(?=[가-힣])",
    re.IGNORECASE,
)

# What a reply asks about the last answer, by topic; first match wins.
ABOUT_LAST: tuple[tuple[str, re.Pattern[str]], ...] = (
    (
        "recommendation",
        re.compile(
            r"\bwhy\b.*\b(?:recommend|recommended|suggest|suggested|propose|proposed|advise|advised)\b"
            r"|왜.*(?:권했|권장|권하|추천|제안)",
            re.IGNORECASE,
        ),
    ),
    (
        "instance",
        re.compile(
            r"\b(?:which|what)\s+(?:instance|host|server|machine|node)s?\b|\binstance\s+id\b"
            r"|(?:어떤|어느|무슨)\s*(?:인스턴스|호스트|서버)|인스턴스(?:가|는)?\s*(?:뭐|어디|무엇)",
            re.IGNORECASE,
        ),
    ),
    (
        "flow",
        re.compile(
            r"\b(?:which|what)\s+(?:flow|connection)s?\b|(?:어떤|어느|무슨)\s*(?:플로우|흐름|연결)", re.IGNORECASE
        ),
    ),
    (
        "rtt",
        re.compile(
            r"\bwhat\s+(?:was|is|were)\s+the\s+(?:rtt|round[- ]trip|latency)\b"
            r"|\bhow\s+(?:high|long|bad)\s+(?:was|is)\s+the\s+(?:rtt|latency)\b"
            r"|(?:rtt|왕복|지연)[^?]*(?:얼마|몇)",
            re.IGNORECASE,
        ),
    ),
    (
        "loss",
        re.compile(
            r"\bwhat\s+(?:was|is)\s+the\s+(?:retransmission|loss)\s+rate\b|\bhow\s+many\s+retransmissions\b"
            r"|(?:재전송|손실)[^?]*(?:얼마|몇|비율)",
            re.IGNORECASE,
        ),
    ),
    (
        "window",
        re.compile(
            r"\bwhat\s+(?:time\s+)?window\b|\bwhich\s+region\b|(?:어떤|어느|무슨)\s*(?:기간|시간대|리전)", re.IGNORECASE
        ),
    ),
)


@dataclass(frozen=True)
class ReplyScope:
    """What a reply names itself."""

    instances: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    region: str | None = None
    window_minutes: int | None = None
    since: str | None = None
    target: bool = False  # names a host or tier in words ("the db")
    named: tuple[str, ...] = field(default=())

    @property
    def names_anything(self) -> bool:
        return bool(self.named) or self.target


def _window_minutes(text: str) -> int | None:
    match = WINDOW.search(text)
    if match is None:
        return None
    count, unit = (match.group(1), match.group(2)) if match.group(2) else (match.group(3), match.group(4))
    unit = unit.lower()
    factor = _MINUTES.get(unit) or _HOURS.get(unit) or 1
    return max(1, int(count or 1) * factor)


def _since(text: str, now: datetime) -> str | None:
    match = SINCE.search(text)
    if match is None:
        return None
    hour, minute = (match.group(1), match.group(2)) if match.group(1) else (match.group(3), match.group(4))
    if int(hour) > 23 or int(minute) > 59:
        return None
    return now.astimezone(UTC).replace(hour=int(hour), minute=int(minute), second=0, microsecond=0).isoformat()


def read_scope(text: str, *, now: datetime | None = None) -> ReplyScope:
    """The instances, addresses, region, window and start time a reply names (times in UTC)."""
    lowered = text.lower()
    instances = tuple(dict.fromkeys(INSTANCE.findall(lowered)))
    ips = tuple(dict.fromkeys(IPV4.findall(lowered)))
    region_match = REGION.search(lowered)
    region = region_match.group(0) if region_match else None
    window = _window_minutes(lowered)
    since = _since(lowered, now or datetime.now(UTC))
    named = tuple(
        key
        for key, value in (
            ("instances", instances),
            ("ips", ips),
            ("region", region),
            ("window_minutes", window),
            ("since", since),
        )
        if value
    )
    target = bool(TARGET.search(text)) and not instances and not ips
    return ReplyScope(instances, ips, region, window, since, target, named)


def about_last_answer(text: str) -> str | None:
    """The topic a reply asks about the last answer ("instance", "recommendation", …), or None.

    A reply that names a new scope (a window, region, instance or address) asks again instead.
    """
    scope = read_scope(text)
    if scope.named:
        return None
    return next((topic for topic, pattern in ABOUT_LAST if pattern.search(text)), None)


def last_scope(answer: dict[str, Any]) -> dict[str, Any]:
    """The scope of a stored answer, in the carried-scope keys (CONTRACTS.md section 4)."""
    scope = answer.get("scope") if isinstance(answer.get("scope"), dict) else {}
    window = scope.get("window") if isinstance(scope.get("window"), dict) else {}
    instances = [str(i) for i in scope.get("instances") or answer.get("instances") or []]
    out: dict[str, Any] = {
        "instances": instances,
        "ips": [str(ip) for ip in scope.get("ips") or []],
        "region": scope.get("region"),
        "window_minutes": int(window["minutes"]) if isinstance(window.get("minutes"), int | float) else None,
        "since": window.get("start") if scope.get("since") else None,
    }
    return {key: value for key, value in out.items() if value not in (None, [], "")}


def carried_scope(reply: str, answer: dict[str, Any], *, now: datetime | None = None) -> dict[str, Any] | None:
    """`metadata["netops"]["scope"]` for a reply that asks again: what it names, the rest carried.

    Instances and addresses are not carried when the reply names a host or tier in words ("what
    about the db?"): the agent resolves that name. A reply with its own window drops the carried
    start time, and the other way round. None when there is nothing to send.
    """
    named = read_scope(reply, now=now)
    previous = last_scope(answer)
    scope: dict[str, Any] = {}
    carried: list[str] = []
    for key in ("instances", "ips", "region", "window_minutes", "since"):
        value = getattr(named, key)
        if value:
            scope[key] = list(value) if isinstance(value, tuple) else value
            continue
        if key not in previous:
            continue
        if key in ("instances", "ips") and (named.target or named.instances or named.ips):
            continue
        if (key == "since" and named.window_minutes) or (key == "window_minutes" and named.since):
            continue
        scope[key] = previous[key]
        carried.append(key)
    if not scope:
        return None
    scope.setdefault("since", None)
    scope["carried"] = carried
    return scope
