"""A CloudWatch alarm's state change, read from an SNS notification's `Message` (pure).

CloudWatch's message is JSON: `AlarmName`, `NewStateValue`, `NewStateReason`,
`StateChangeTime`, `AlarmArn`, `Trigger` (metric, namespace, dimensions, threshold, …).
The reason carries the datapoint that crossed the threshold ("… 1 datapoint [5.0 (…)] was
greater than the threshold (3.0)."), which is the only place the value appears.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

STATES = ("ALARM", "OK", "INSUFFICIENT_DATA")
COMPARISONS = {
    "GreaterThanThreshold": ">",
    "GreaterThanOrEqualToThreshold": "≥",
    "LessThanThreshold": "<",
    "LessThanOrEqualToThreshold": "≤",
}
_DATAPOINT = re.compile(r"\[\s*(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?)")
_ARN = re.compile(r"^arn:aws[a-z-]*:cloudwatch:([a-z0-9-]+):(\d{12}):alarm:.+$")


class NotAnAlarm(ValueError):
    """The notification is verified but does not carry a CloudWatch alarm state change."""


@dataclass(frozen=True)
class AlarmChange:
    name: str
    state: str
    old_state: str
    reason: str
    changed_at: str  # ISO 8601, UTC
    alarm_arn: str
    region: str
    account: str
    metric: str
    namespace: str
    threshold: float | None
    comparison: str
    value: float | None
    description: str = ""
    dimensions: tuple[tuple[str, str], ...] = field(default_factory=tuple)
    topic_arn: str = ""
    message_id: str = ""

    @property
    def key(self) -> str:
        """One alarm across its incidents (the ARN names account, region and alarm)."""
        return self.alarm_arn or f"{self.account}:{self.region}:{self.name}"

    @property
    def changed(self) -> datetime:
        return parse_time(self.changed_at)

    def dimension(self, name: str) -> str | None:
        return next((value for key, value in self.dimensions if key == name), None)

    def to_payload(self) -> dict[str, Any]:
        return asdict(self) | {"dimensions": [list(pair) for pair in self.dimensions]}

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> AlarmChange:
        values = dict(payload)
        values["dimensions"] = tuple((str(k), str(v)) for k, v in values.get("dimensions") or ())
        return cls(**values)


def parse_time(text: str) -> datetime:
    """CloudWatch writes `2026-12-01T16:00:00.000+0000`; SNS writes `…Z`: both become aware UTC."""
    cleaned = re.sub(r"([+-]\d{2})(\d{2})$", r"\1:\2", text.strip().replace("Z", "+00:00"))
    moment = datetime.fromisoformat(cleaned)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _float(value: object) -> float | None:
    try:
        return float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None


def parse_alarm(message: str, *, topic_arn: str = "", message_id: str = "") -> AlarmChange:
    """The state change in an SNS `Message`, or `NotAnAlarm` saying what is missing."""
    try:
        raw = json.loads(message)
    except ValueError:
        raise NotAnAlarm("the notification's Message is not JSON") from None
    if not isinstance(raw, dict) or not raw.get("AlarmName") or raw.get("NewStateValue") not in STATES:
        raise NotAnAlarm("the notification's Message is not a CloudWatch alarm state change")
    trigger = raw.get("Trigger") if isinstance(raw.get("Trigger"), dict) else {}
    arn = str(raw.get("AlarmArn") or "")
    match = _ARN.match(arn)
    try:
        changed = parse_time(str(raw.get("StateChangeTime") or ""))
    except ValueError:
        raise NotAnAlarm("the alarm's StateChangeTime is not a time") from None
    reason = str(raw.get("NewStateReason") or "")
    operator = str(trigger.get("ComparisonOperator") or "")
    datapoint = _DATAPOINT.search(reason)
    dimensions = tuple(
        (str(item.get("name") or item.get("Name") or ""), str(item.get("value") or item.get("Value") or ""))
        for item in trigger.get("Dimensions") or ()
        if isinstance(item, dict)
    )
    return AlarmChange(
        name=str(raw["AlarmName"]),
        state=str(raw["NewStateValue"]),
        old_state=str(raw.get("OldStateValue") or ""),
        reason=reason,
        changed_at=changed.astimezone(UTC).isoformat(),
        alarm_arn=arn,
        region=match.group(1) if match else "",
        account=match.group(2) if match else str(raw.get("AWSAccountId") or ""),
        metric=str(trigger.get("MetricName") or ""),
        namespace=str(trigger.get("Namespace") or ""),
        threshold=_float(trigger.get("Threshold")),
        comparison=COMPARISONS.get(operator, operator),
        value=_float(datapoint.group(1)) if datapoint else None,
        description=str(raw.get("AlarmDescription") or ""),
        dimensions=dimensions,
        topic_arn=topic_arn,
        message_id=message_id,
    )
