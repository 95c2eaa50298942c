"""The trace data model and its dict form, wire-compatible with the a2a-samples extension.

The dict keys are the sample's (`step_id`, `trace_id`, `parent_step_id`, `call_type`, `name`,
`parameters`, `requests`, `step_type`, `cost`, `total_tokens`, `additional_attributes`,
`latency`, `start_time`, `end_time`, `error`) so traces from the public sample agents read
as ours do; ours add `input_tokens`, `output_tokens`, `model`, `cost_unit`, `error_type` and
`traceback`. Parsing is tolerant because traces arrive through a protobuf `Struct` (every
number is a float) and from other implementations (missing fields, unknown keys, which are
kept and written back out unchanged).
"""

from __future__ import annotations

import math
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

_CORE_PATH = "github.com/a2aproject/a2a-samples/extensions/traceability/v1"
TRACE_EXTENSION_URI = f"https://{_CORE_PATH}"
TRACE_METADATA_KEY = f"{_CORE_PATH}/traceability"
COST_UNIT = "USD"
# additional_attributes keys with a fixed meaning: which side of an A2A hop a step is ("client" or
# "server"; OpenTelemetry's span kind), and the model provider (GenAI conventions' gen_ai.provider.name).
SPAN_KIND_ATTRIBUTE = "span.kind"
PROVIDER_ATTRIBUTE = "gen_ai.provider.name"
SKIPPED_STEP_TYPE = "skipped"  # step_type of a planned step that never ran (agents.traceability.plan)


class CallType(StrEnum):
    """Who did the work of a step: an agent, a tool (or model call), or the host application."""

    AGENT = "AGENT"
    TOOL = "TOOL"
    HOST = "HOST"


# The sample's proto enum numbers, which a Struct round trip may hand us as floats.
_CALL_TYPE_NUMBERS = {1: CallType.AGENT, 2: CallType.TOOL, 3: CallType.HOST}

STEP_KEYS = frozenset(
    {
        "step_id",
        "trace_id",
        "parent_step_id",
        "call_type",
        "name",
        "parameters",
        "requests",
        "step_type",
        "cost",
        "cost_unit",
        "total_tokens",
        "input_tokens",
        "output_tokens",
        "model",
        "additional_attributes",
        "latency",
        "start_time",
        "end_time",
        "error",
        "error_type",
        "traceback",
    }
)


class StepRecord:
    """One step of a trace. Plain attributes with `__slots__`: it is created on the hot path.

    Times are kept as epoch seconds (floats) and turned into ISO 8601 only by `to_dict`;
    `latency_ms` is measured with a monotonic clock while the step runs.
    """

    __slots__ = (
        "additional_attributes",
        "call_type",
        "cost",
        "end_time",
        "error",
        "error_type",
        "extra",
        "input_tokens",
        "latency_ms",
        "model",
        "name",
        "output_tokens",
        "parameters",
        "parent_step_id",
        "requests",
        "start_time",
        "step_id",
        "step_type",
        "total_tokens",
        "trace_id",
        "traceback",
    )

    def __init__(
        self,
        step_id: str,
        trace_id: str | None,
        parent_step_id: str | None,
        call_type: CallType | str,
        name: str | None = None,
        parameters: dict[str, Any] | None = None,
        start_time: float | None = None,
    ) -> None:
        self.step_id = step_id
        self.trace_id = trace_id
        self.parent_step_id = parent_step_id
        self.call_type = call_type
        self.name = name
        self.parameters = parameters
        self.requests: dict[str, Any] | None = None
        self.step_type: str | None = None
        self.start_time = start_time
        self.end_time: float | None = None
        self.latency_ms: float | None = None
        self.cost: float | None = None
        self.total_tokens: int | None = None
        self.input_tokens: int | None = None
        self.output_tokens: int | None = None
        self.model: str | None = None
        self.error: str | None = None
        self.error_type: str | None = None
        self.traceback: str | None = None
        self.additional_attributes: dict[str, Any] = {}
        self.extra: dict[str, Any] = {}

    @property
    def failed(self) -> bool:
        return self.error is not None

    @property
    def finished(self) -> bool:
        return self.end_time is not None

    def tokens(self) -> int | None:
        """Total tokens: the recorded total, else input plus output when either is known."""
        if self.total_tokens is not None:
            return self.total_tokens
        if self.input_tokens is None and self.output_tokens is None:
            return None
        return (self.input_tokens or 0) + (self.output_tokens or 0)

    def copy(self) -> StepRecord:
        """A shallow copy with its own attribute dicts, for snapshots of a running trace."""
        clone = StepRecord.__new__(StepRecord)
        for slot in StepRecord.__slots__:
            setattr(clone, slot, getattr(self, slot))
        clone.additional_attributes = dict(self.additional_attributes)
        clone.extra = dict(self.extra)
        return clone

    def to_dict(self) -> dict[str, Any]:
        call_type = self.call_type.value if isinstance(self.call_type, CallType) else self.call_type
        out: dict[str, Any] = dict(self.extra)
        out.update(
            step_id=self.step_id,
            trace_id=self.trace_id,
            parent_step_id=self.parent_step_id,
            call_type=call_type,
            name=self.name,
            parameters=self.parameters,
            requests=self.requests,
            step_type=self.step_type,
            cost=self.cost,
            cost_unit=COST_UNIT if self.cost is not None else None,
            total_tokens=self.tokens(),
            input_tokens=self.input_tokens,
            output_tokens=self.output_tokens,
            model=self.model,
            additional_attributes=self.additional_attributes,
            latency=None if self.latency_ms is None else round(self.latency_ms, 3),
            start_time=_iso(self.start_time),
            end_time=_iso(self.end_time),
            error=self.error,
            error_type=self.error_type,
            traceback=self.traceback,
        )
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> StepRecord:
        """Parse a step from any implementation; never raises on odd values, keeps unknown keys."""
        step = cls(
            step_id=_str(data.get("step_id")) or "",
            trace_id=_str(data.get("trace_id")),
            parent_step_id=_str(data.get("parent_step_id")),
            call_type=parse_call_type(data.get("call_type")),
            name=_str(data.get("name")),
            parameters=_dict_or_none(data.get("parameters")),
            start_time=_epoch(data.get("start_time")),
        )
        step.requests = _dict_or_none(data.get("requests"))
        step.step_type = _str(data.get("step_type"))
        step.end_time = _epoch(data.get("end_time"))
        step.latency_ms = _float(data.get("latency"))
        if step.latency_ms is None and step.start_time is not None and step.end_time is not None:
            step.latency_ms = (step.end_time - step.start_time) * 1000.0
        step.cost = _float(data.get("cost"))
        step.input_tokens = _int(data.get("input_tokens"))
        step.output_tokens = _int(data.get("output_tokens"))
        step.total_tokens = _int(data.get("total_tokens"))
        step.model = _str(data.get("model"))
        error = data.get("error")
        step.error = None if error is None or error == "" else str(error)
        step.error_type = _str(data.get("error_type"))
        step.traceback = _str(data.get("traceback"))
        attributes = data.get("additional_attributes")
        step.additional_attributes = dict(attributes) if isinstance(attributes, dict) else {}
        step.extra = {k: v for k, v in data.items() if k not in STEP_KEYS}
        return step

    def __repr__(self) -> str:
        return f"StepRecord({self.call_type!s}, {self.name!r}, id={self.step_id}, parent={self.parent_step_id})"


class ResponseTrace:
    """A trace: its id and a flat list of steps, nested by `parent_step_id`."""

    __slots__ = ("extra", "steps", "trace_id")

    def __init__(self, trace_id: str, steps: list[StepRecord] | None = None, extra: dict[str, Any] | None = None):
        self.trace_id = trace_id
        self.steps = steps if steps is not None else []
        self.extra = extra if extra is not None else {}

    def step(self, step_id: str) -> StepRecord | None:
        for step in self.steps:
            if step.step_id == step_id:
                return step
        return None

    def children(self, step_id: str | None) -> list[StepRecord]:
        return [s for s in self.steps if s.parent_step_id == step_id]

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = dict(self.extra)
        out["trace_id"] = self.trace_id
        out["steps"] = [s.to_dict() for s in self.steps]
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ResponseTrace:
        """Parse a trace tolerantly: steps that are not objects are skipped, unknown keys kept."""
        raw_steps = data.get("steps")
        steps = (
            [StepRecord.from_dict(s) for s in raw_steps if isinstance(s, dict)] if isinstance(raw_steps, list) else []
        )
        trace_id = _str(data.get("trace_id")) or next((s.trace_id for s in steps if s.trace_id), None) or ""
        extra = {k: v for k, v in data.items() if k not in ("trace_id", "steps")}
        return cls(trace_id, steps, extra)


def parse_call_type(value: object) -> CallType | str:
    """AGENT/TOOL/HOST in any case, `CallTypeEnum.AGENT`, or the proto number; other values kept as text."""
    if isinstance(value, CallType):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if math.isfinite(value) and int(value) in _CALL_TYPE_NUMBERS:
            return _CALL_TYPE_NUMBERS[int(value)]
        return str(value)
    if isinstance(value, str):
        name = value.rsplit(".", 1)[-1].strip().upper()
        try:
            return CallType(name)
        except ValueError:
            return value
    return CallType.TOOL if value is None else str(value)


# Epoch seconds of 0001-01-02 and 9999-12-30: datetime cannot represent times outside.
_MIN_EPOCH, _MAX_EPOCH = -62135510400.0, 253402128000.0


def _iso(epoch: float | None) -> str | None:
    if epoch is None:
        return None
    try:
        return datetime.fromtimestamp(epoch, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _epoch(value: object) -> float | None:
    """ISO 8601 text, epoch seconds, or a protobuf Timestamp dict (`seconds`, `nanos`)."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value) if math.isfinite(value) and _MIN_EPOCH <= value <= _MAX_EPOCH else None
    if isinstance(value, str):
        text = value.strip()
        if text.endswith("Z"):
            text = text[:-1] + "+00:00"
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            return _epoch(_float(text))
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        try:
            return _epoch(moment.timestamp())
        except (OverflowError, OSError, ValueError):
            return None
    if isinstance(value, dict) and "seconds" in value:
        seconds = _float(value.get("seconds"))
        nanos = _float(value.get("nanos")) or 0.0
        return None if seconds is None else _epoch(seconds + nanos / 1e9)
    return None


def _float(value: object) -> float | None:
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _int(value: object) -> int | None:
    number = _float(value)
    return None if number is None else round(number)


def _str(value: object) -> str | None:
    if value is None:
        return None
    text = str(value)
    return text or None


def _dict_or_none(value: object) -> dict[str, Any] | None:
    return dict(value) if isinstance(value, dict) else None
