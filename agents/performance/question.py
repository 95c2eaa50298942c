"""What a question asks and what it names: intent, focus, instances, IPs, ports, region, window.

Operators write terse English, wordy English and Korean; the answer must honour every name and
time they give (or say plainly that it was not found), so this reads them all, in both
languages, as pure functions of the text, the clock and the asker's time zone. Nothing here
touches AWS; every value extracted is validated by pattern before a tool sees it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from agents.i18n import detect_language

MAX_WINDOW_MINUTES = 7 * 24 * 60

INSTANCE_RE = re.compile(r"\b(i-(?:[0-9a-f]{17}|[0-9a-f]{8}))(?![0-9a-z])")
IPV4_RE = re.compile(r"(?<![\d.])((?:25[0-5]|2[0-4]\d|1?\d?\d)(?:\.(?:25[0-5]|2[0-4]\d|1?\d?\d)){3})(?![\d.])")
REGION_RE = re.compile(r"\b((?:us|eu|ap|sa|ca|me|af|il|mx)-(?:gov-)?[a-z]+-\d)\b")
# A port after an IPv4 address ("10.0.2.20:5432"), or named ("port 5432", "포트 5432"); never a clock's minutes.
_PORT_RE = re.compile(
    r"(?:(?<![\d.])(?:\d{1,3}\.){3}\d{1,3}:(\d{1,5})\b)|(?:\bport\s+(\d{1,5})\b)|(?:포트\s*(\d{1,5}))", re.IGNORECASE
)
# Region nicknames operators use, in both languages.
_REGION_NAMES = {
    r"seoul|서울": "ap-northeast-2",
    r"tokyo|도쿄": "ap-northeast-1",
    r"virginia|버지니아": "us-east-1",
    r"oregon|오레곤|오리건": "us-west-2",
    r"singapore|싱가포르|싱가폴": "ap-southeast-1",
    r"frankfurt|프랑크푸르트": "eu-central-1",
}

_UNIT_MINUTES = {"d": 1440, "h": 60, "m": 1, "일": 1440, "시간": 60, "분": 1}
_EN_RELATIVE = re.compile(
    r"\b(?:last|past|previous|in the last|over the last)\s+(?:(\d+(?:\.\d+)?)\s*)?"
    r"(minutes?|mins?|m|hours?|hrs?|h|days?|d)\b",
    re.IGNORECASE,
)
_KO_RELATIVE = re.compile(r"(?:최근|지난|과거)?\s*(\d+(?:\.\d+)?)\s*(분|시간|일)\s*(?:동안|간|전부터|사이|내)?")
_KO_RELATIVE_NEEDS = re.compile(r"최근|지난|동안|간|전부터|사이|이내|내")
_CLOCK = r"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?"
_TZ_NAMES = {
    "utc": "UTC",
    "gmt": "UTC",
    "kst": "Asia/Seoul",
    "jst": "Asia/Tokyo",
    "pst": "America/Los_Angeles",
    "pdt": "America/Los_Angeles",
    "est": "America/New_York",
    "edt": "America/New_York",
}
_TZ_WORD = r"(?:\s*(utc|gmt|kst|jst|pst|pdt|est|edt))?"
_EN_SINCE = re.compile(rf"\bsince\s+{_CLOCK}{_TZ_WORD}", re.IGNORECASE)
_EN_BETWEEN = re.compile(
    rf"\b(?:between|from)\s+{_CLOCK}{_TZ_WORD}\s+(?:and|to|until|-)\s+{_CLOCK}{_TZ_WORD}", re.IGNORECASE
)
_KO_CLOCK = r"(오전|오후)?\s*(\d{1,2})(?:\s*시|:(\d{2}))(?:\s*(\d{1,2})\s*분)?(?:\s*(utc|kst))?"
_KO_SINCE = re.compile(rf"{_KO_CLOCK}\s*(?:부터|이후)", re.IGNORECASE)


@dataclass(frozen=True)
class Window:
    """The time range the answer covers, and how the question stated it (the answer says which)."""

    start: datetime
    end: datetime
    stated: str  # "default" | "relative" | "since" | "between" | "carried" | "since_fix"
    tz_name: str = "UTC"

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60


@dataclass(frozen=True)
class Scope:
    """Everything the question asks and names; what it leaves out is filled from settings or carried over."""

    text: str
    language: str
    intent: str  # why | is_cause | metric | health | worst_flows | compare | fix | undo | explain
    focus: str | None  # retransmissions | loss | rtt | resets | throughput | window | None
    asked_cause: str | None  # for is_cause: the cause code the operator suspects
    region: str
    region_named: bool
    window: Window
    instances: tuple[str, ...] = ()
    ips: tuple[str, ...] = ()
    ports: tuple[int, ...] = ()
    carried: tuple[str, ...] = ()  # scope keys that came from the thread, not the text
    notes: tuple[str, ...] = field(default_factory=tuple)

    def since(self, moment: datetime) -> Scope:
        """The same question over the part of its window after `moment` (a fix applied then)."""
        start = max(self.window.start, moment.astimezone(UTC))
        return replace(self, window=Window(start, self.window.end, "since_fix", self.window.tz_name))

    def to_dict(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "focus": self.focus,
            "asked_cause": self.asked_cause,
            "region": self.region,
            "window": {
                "start": self.window.start.isoformat(),
                "end": self.window.end.isoformat(),
                "minutes": round(self.window.minutes, 2),
                "stated": self.window.stated,
                "tz": self.window.tz_name,
            },
            "instances": list(self.instances),
            "ips": list(self.ips),
            "ports": list(self.ports),
            "carried": list(self.carried),
        }


# --- intent and focus ------------------------------------------------------------------

_CAUSE_WORDS: list[tuple[str, str]] = [
    (r"packet loss|loss|drops?|dropp|손실|유실|드롭|누락", "path_loss"),
    (r"latency|delay|rtt|round.?trip|지연|레이턴시|왕복", "added_latency"),
    (r"window scaling|wscale|윈도우 ?스케일", "window_scaling_disabled"),
    (r"receive window|receiver|zero window|rmem|buffer|수신 ?(?:윈도우|버퍼)|버퍼", "receiver_window_limited"),
    (r"reset|\brst\b|리셋|끊", "connection_resets"),
    (r"reorder|out.of.order|순서", "reordering"),
    (r"allowance|pps|bandwidth limit|ena\b|허용량|대역폭 ?한도", "instance_allowance_exceeded"),
    (r"aws(?:'s)? (?:side|network)|aws 네트워크|aws 쪽|aws측", "aws_network"),
]
_FOCUS_WORDS: list[tuple[str, str]] = [
    (r"retrans|재전송", "retransmissions"),
    (r"reset|\brsts?\b|리셋|연결이 끊|끊김|끊겨", "resets"),
    (r"rtt|round.?trip|latency|지연|레이턴시|왕복|핑", "rtt"),
    (r"packet loss|\bloss\b|drops?\b|dropped|손실|유실|드롭", "loss"),
    (r"throughput|bandwidth|처리량|대역폭|속도", "throughput"),
    (r"window|윈도우", "window"),
]
_UNDO = re.compile(r"\bundo\b|roll ?back|revert|되돌|원복|롤백|원래대로", re.IGNORECASE)
_EXPLAIN = re.compile(r"why did you (?:recommend|suggest|propose)|왜 .*(?:권장|권했|추천|제안)", re.IGNORECASE)
_FIX = re.compile(r"\b(?:fix|remediat\w*|apply|tune)\b|고쳐|적용|조치해|수정해", re.IGNORECASE)
_COMPARE = re.compile(
    r"before and after|before/after|compare|did the fix (?:help|work)|전후|비교|나아졌|개선됐", re.IGNORECASE
)
_WORST = re.compile(
    r"\bworst\b|\btop (?:\d+ )?(?:flows?|talkers|contributors)|가장 (?:나쁜|심한|안 좋은)|상위", re.IGNORECASE
)
_HEALTH = re.compile(
    r"\bhealthy\b|\bhealth\b|\bis (?:the network|it|everything) (?:ok|okay|fine|good)|any (?:problems?|issues?)"
    r"|정상|괜찮|건강|문제(?:가)? 없|이상 없",
    re.IGNORECASE,
)
_IS_CAUSE = re.compile(
    r"\b(?:is|are|could|was)\b.{0,40}\b(?:the )?(?:reason|cause|culprit|to blame|responsible|because)"
    r"|because of|due to|때문(?:이야|인가|일까|이에요|인가요|이니)?|원인(?:이야|인가|일까|이에요|인가요|이니)",
    re.IGNORECASE,
)
_METRIC = re.compile(
    r"\bwhat(?:'s| is| are| was)\b|\bhow (?:much|many|high)\b|\bany\b|\bare there\b"
    r"|얼마|몇|수치|있(?:어|나|나요|습니까)",
    re.IGNORECASE,
)
_WHY = re.compile(r"\bwhy\b|왜|원인|이유|느려|느림|slow", re.IGNORECASE)


def _first(patterns: list[tuple[str, str]], text: str) -> str | None:
    for pattern, value in patterns:
        if re.search(pattern, text, re.IGNORECASE):
            return value
    return None


def read_intent(text: str) -> tuple[str, str | None, str | None]:
    """(intent, focus, asked cause) of a question; order matters: the most specific reading wins."""
    focus = _first(_FOCUS_WORDS, text)
    if _UNDO.search(text):
        return "undo", focus, None
    if _EXPLAIN.search(text):
        return "explain", focus, None
    if _IS_CAUSE.search(text) and (cause := _first(_CAUSE_WORDS, text)):
        return "is_cause", focus, cause
    if _COMPARE.search(text):
        return "compare", focus, None
    if _WORST.search(text):
        return "worst_flows", focus, None
    if _FIX.search(text) and not _WHY.search(text):
        return "fix", focus, None
    if _HEALTH.search(text) and not _WHY.search(text):
        return "health", focus, None
    if _METRIC.search(text) and focus and not _WHY.search(text):
        return "metric", focus, None
    return "why", focus, None


# --- names -----------------------------------------------------------------------------


def read_names(text: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
    """Instance ids, IPv4 addresses and ports the text names, in order, without repeats."""
    instances = tuple(dict.fromkeys(INSTANCE_RE.findall(text)))
    ips = tuple(dict.fromkeys(IPV4_RE.findall(text)))
    ports = []
    for match in _PORT_RE.finditer(text):
        value = int(next(group for group in match.groups() if group))
        if 0 < value < 65536:
            ports.append(value)
    return instances, ips, tuple(dict.fromkeys(ports))


def read_region(text: str) -> str | None:
    if match := REGION_RE.search(text):
        return match.group(1)
    lowered = text.lower()
    for pattern, region in _REGION_NAMES.items():
        if re.search(pattern, lowered):
            return region
    return None


# --- time ------------------------------------------------------------------------------


def zone(name: str | None) -> tuple[tzinfo, str]:
    """The asker's time zone (an IANA name from Slack's profile), UTC when unknown or invalid."""
    if name:
        try:
            return ZoneInfo(name), name
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return UTC, "UTC"


def _clock(hour: str, minute: str | None, meridiem: str | None) -> tuple[int, int] | None:
    h, m = int(hour), int(minute or 0)
    meridiem = (meridiem or "").lower().replace(".", "")
    if meridiem in {"pm", "오후"} and h < 12:
        h += 12
    elif meridiem in {"am", "오전"} and h == 12:
        h = 0
    return (h, m) if h < 24 and m < 60 else None


def _at(now: datetime, hm: tuple[int, int], tz: tzinfo) -> datetime:
    """The latest moment at hour:minute in `tz` that is not after now (today, else yesterday)."""
    local_now = now.astimezone(tz)
    moment = local_now.replace(hour=hm[0], minute=hm[1], second=0, microsecond=0)
    if moment > local_now:
        moment -= timedelta(days=1)
    return moment.astimezone(UTC)


def _tz_of(word: str | None, default: tuple[tzinfo, str]) -> tuple[tzinfo, str]:
    if word and (name := _TZ_NAMES.get(word.lower())):
        return zone(name)
    return default


def _relative_minutes(text: str) -> float | None:
    if match := _EN_RELATIVE.search(text):
        amount = float(match.group(1)) if match.group(1) else 1.0
        return amount * _UNIT_MINUTES[match.group(2)[0].lower()]
    if re.search(r"\b(?:last|past) (?:hour|day)\b", text, re.IGNORECASE):
        return 60.0 if "hour" in text.lower() else 1440.0
    for match in _KO_RELATIVE.finditer(text):
        if _KO_RELATIVE_NEEDS.search(match.group(0)):
            return float(match.group(1)) * _UNIT_MINUTES[match.group(2)]
    return None


def read_window(text: str, *, now: datetime, default_minutes: float, tz_name: str | None) -> Window:
    """The window a question names: relative ("last 2 hours", "최근 5분"), "since 14:00", "from 14:00 to 15:00"
    ("14시부터"), in the asker's zone unless the text names one; the default window otherwise."""
    asker = zone(tz_name)
    now = now.astimezone(UTC)
    if match := _EN_BETWEEN.search(text):
        first_tz = _tz_of(match.group(4) or match.group(8), asker)
        start_hm = _clock(match.group(1), match.group(2), match.group(3))
        end_hm = _clock(match.group(5), match.group(6), match.group(7) or match.group(3))
        if start_hm and end_hm:
            start = _at(now, start_hm, first_tz[0])
            end = _at(now, end_hm, first_tz[0])
            if end <= start:
                end += timedelta(days=1)
            return _bounded(start, min(end, now), "between", first_tz[1])
    if match := _EN_SINCE.search(text):
        tz = _tz_of(match.group(4), asker)
        if hm := _clock(match.group(1), match.group(2), match.group(3)):
            return _bounded(_at(now, hm, tz[0]), now, "since", tz[1])
    if match := _KO_SINCE.search(text):
        tz = _tz_of(match.group(5), asker)
        if hm := _clock(match.group(2), match.group(3) or match.group(4), match.group(1)):
            return _bounded(_at(now, hm, tz[0]), now, "since", tz[1])
    if (minutes := _relative_minutes(text)) is not None:
        minutes = max(1.0, min(minutes, MAX_WINDOW_MINUTES))
        return Window(now - timedelta(minutes=minutes), now, "relative", asker[1])
    return Window(now - timedelta(minutes=default_minutes), now, "default", asker[1])


def _bounded(start: datetime, end: datetime, stated: str, tz_name: str) -> Window:
    start = max(start, end - timedelta(minutes=MAX_WINDOW_MINUTES))
    if end - start < timedelta(minutes=1):
        start = end - timedelta(minutes=1)
    return Window(start, end, stated, tz_name)


# --- the whole question ----------------------------------------------------------------


def read_question(
    text: str,
    *,
    now: datetime,
    default_region: str,
    default_window_minutes: float,
    tz_name: str | None = None,
    carried: dict[str, Any] | None = None,
) -> Scope:
    """The question's scope; what the text does not name comes from `carried` (the thread), then settings."""
    carried = carried or {}
    used: list[str] = []
    intent, focus, asked_cause = read_intent(text)
    instances, ips, ports = read_names(text)
    region = read_region(text)
    region_named = region is not None
    if region is None and _valid_region(carried.get("region")):
        region, region_named = str(carried["region"]), True
        used.append("region")
    window = read_window(text, now=now, default_minutes=default_window_minutes, tz_name=tz_name)
    if window.stated == "default":
        window = _carried_window(carried, now, window) or window
        if window.stated == "carried":
            used.append("window")
    if not instances and not ips:
        instances = tuple(i for i in carried.get("instances") or () if INSTANCE_RE.fullmatch(str(i)))
        ips = tuple(i for i in carried.get("ips") or () if IPV4_RE.fullmatch(str(i)))
        used += [k for k, v in (("instances", instances), ("ips", ips)) if v]
    return Scope(
        text=text,
        language=detect_language(text),
        intent=intent,
        focus=focus,
        asked_cause=asked_cause,
        region=region or default_region,
        region_named=region_named,
        window=window,
        instances=instances,
        ips=ips,
        ports=ports,
        carried=tuple(used),
    )


def _valid_region(value: Any) -> bool:
    return isinstance(value, str) and bool(REGION_RE.fullmatch(value))


def _carried_window(carried: dict[str, Any], now: datetime, default: Window) -> Window | None:
    """A window the thread carries: `since` (ISO-8601) or `window_minutes`; None when neither is usable."""
    since = carried.get("since")
    if isinstance(since, str) and since:
        try:
            start = datetime.fromisoformat(since.replace("Z", "+00:00"))
        except ValueError:
            start = None
        if start is not None and start.tzinfo is not None and start < now:
            return _bounded(start.astimezone(UTC), now.astimezone(UTC), "carried", default.tz_name)
    minutes = carried.get("window_minutes")
    if isinstance(minutes, int | float) and minutes > 0:
        minutes = min(float(minutes), MAX_WINDOW_MINUTES)
        return Window(now - timedelta(minutes=minutes), now, "carried", default.tz_name)
    return None
