"""Masking secrets and capping size before a trace leaves the process.

Both work on the exported dict form, never on the live steps, so the hot path pays nothing
and an in-process consumer still sees what actually happened. Masking is by name
(parameters called password, token, secret, key, authorization, cookie and the like) and by
value (AWS access keys and secret keys, Slack tokens and webhooks, bearer tokens,
`name=value` pairs with secret names inside free text such as error messages).
"""

from __future__ import annotations

import functools
import json
import math
import re
from typing import Any

from agents.plural import counted
from agents.traceability.model import STEP_KEYS as _MODEL_KEYS

MASK = "[redacted]"

_SECRET_NAME = re.compile(
    r"passw(or)?d|passphrase|^pass$|secret|token(?!s|_?count|_?usage)|authori[sz]ation|cookie|credential|signature|bearer|^auth$"
    r"|session[_\-.]?id|(^|[_\-.])key$|(api|access|private|signing)[_\-.]?key",
    re.IGNORECASE,
)
_SECRET_VALUES = (
    # AWS access key ids (long-term and temporary)
    re.compile(r"\b(?:AKIA|ASIA|AROA|AIDA|ANPA|AGPA|ANVA|AIPA)[A-Z0-9]{16}\b"),
    # Slack tokens and app tokens, and incoming webhook URLs
    re.compile(r"\bx(?:ox[abposrce]|app)-[A-Za-z0-9-]{8,}"),
    re.compile(r"https://hooks\.slack\.com/(?:services|workflows|triggers)/[A-Za-z0-9/_-]+"),
    # Authorization headers
    re.compile(r"(?i)\b(?:bearer|basic)\s+[A-Za-z0-9._~+/=-]{8,}"),
)
# An AWS secret access key: 40 base64 characters mixing cases and digits (hex digests do not match).
_AWS_SECRET = re.compile(
    r"(?<![A-Za-z0-9/+=])(?=[A-Za-z0-9/+]*[a-z])(?=[A-Za-z0-9/+]*[A-Z])[A-Za-z0-9/+]{40}(?![A-Za-z0-9/+=])"
)
# name=value / name: value pairs inside free text, e.g. an exception message quoting a config line.
_SECRET_PAIR = re.compile(
    r"(?i)\b([\w.-]*(?:password|passwd|secret|token|api[_-]?key|access[_-]?key|private[_-]?key|cookie|authorization)"
    r"[\w.-]*)(\s*[=:]\s*)(\"[^\"]*\"|'[^']*'|[^\s,;&]+)"
)


# Every exported trace re-masks the same few strings (step names, agent names, routing reasons),
# and six regex passes per string were most of the cost of exporting one. Masking is a pure
# function of the text, so short texts are remembered; long ones (tracebacks) are not kept.
_CACHED_TEXT_MAX = 512
_CACHE_SIZE = 4096


@functools.lru_cache(maxsize=_CACHE_SIZE)
def is_secret_name(name: str) -> bool:
    return bool(_SECRET_NAME.search(name))


def redact_text(text: str) -> str:
    """Mask secret-looking values inside free text."""
    if len(text) <= _CACHED_TEXT_MAX:
        return _redact_short(text)
    return _redact(text)


@functools.lru_cache(maxsize=_CACHE_SIZE)
def _redact_short(text: str) -> str:
    return _redact(text)


def _redact(text: str) -> str:
    for pattern in _SECRET_VALUES:
        text = pattern.sub(MASK, text)
    text = _AWS_SECRET.sub(MASK, text)
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}{m.group(2)}{MASK}", text)


def redact_value(value: Any, depth: int = 0) -> Any:
    """Mask values whose key names look secret, and secret-looking strings, recursively.

    The result is plain JSON (what a protobuf Struct accepts): other objects become their
    text, non-finite numbers become text, keys become strings.
    """
    if isinstance(value, str):
        return redact_text(value)
    if value is None or isinstance(value, (bool, int)):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else str(value)
    if depth > 20:
        return MASK
    if isinstance(value, dict):
        return {
            str(k): (MASK if is_secret_name(str(k)) and v not in (None, "") else redact_value(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple, set, frozenset)):
        return [redact_value(v, depth + 1) for v in value]
    return redact_text(str(value))


_STEP_FREE_TEXT = ("error", "traceback", "name")
_STEP_STRUCTURED = ("parameters", "requests", "additional_attributes")


def redact_trace_dict(trace: dict[str, Any]) -> dict[str, Any]:
    """A redacted copy of a trace in dict form (the input is not modified).

    The model's own fields (ids, times, token counts) are left alone; what callers put in
    (parameters, requests, attributes, error texts) and keys from other implementations are masked.
    """
    out = redact_value({k: v for k, v in trace.items() if k != "steps"})
    steps = []
    for step in trace.get("steps") or []:
        if not isinstance(step, dict):
            continue
        clean = dict(step)
        for key, value in step.items():
            if key in _STEP_STRUCTURED or key not in _MODEL_KEYS:
                clean.update(redact_value({key: value}))
            elif key in _STEP_FREE_TEXT and isinstance(value, str):
                clean[key] = redact_text(value)
        steps.append(clean)
    out["steps"] = steps
    return out


# --- size cap ------------------------------------------------------------------------------

_TEXT_LIMIT = 512


def _size(value: Any) -> int:
    return len(json.dumps(value, separators=(",", ":"), default=str).encode())


def cap_trace_dict(trace: dict[str, Any], max_bytes: int) -> dict[str, Any]:
    """Fit a trace dict into `max_bytes`, dropping the least useful detail first.

    Order: tracebacks, then request bodies and parameters, then long attribute values and
    error texts are cut, then whole steps (finished, successful leaf steps, shortest first).
    The failing steps, roots and the path to them survive longest. What was dropped is
    recorded in the trace under `truncated`, so a reader knows the trace is partial.
    """
    original = _size(trace)
    if original <= max_bytes:
        return trace
    out = dict(trace)
    steps = [dict(s) for s in trace.get("steps") or [] if isinstance(s, dict)]
    out["steps"] = steps
    dropped: list[str] = []
    note = {"original_bytes": original, "max_bytes": max_bytes, "dropped": dropped}
    out["truncated"] = note

    def fits() -> bool:
        return _size(out) <= max_bytes

    for stage, keys in (("tracebacks", ("traceback",)), ("requests", ("requests",)), ("parameters", ("parameters",))):
        if any(s.get(k) is not None for s in steps for k in keys):
            for s in steps:
                for k in keys:
                    if s.get(k) is not None:
                        s[k] = None
            dropped.append(stage)
            if fits():
                return out

    for s in steps:
        attrs = s.get("additional_attributes")
        if isinstance(attrs, dict):
            s["additional_attributes"] = {k: _cut(v) for k, v in attrs.items()}
        if isinstance(s.get("error"), str):
            s["error"] = _cut(s["error"])
    dropped.append("long texts")
    if fits():
        return out

    removed = _drop_steps(out, steps, max_bytes)
    dropped.append(counted(removed, "step"))
    if not fits():
        for s in steps:
            s["additional_attributes"] = {}
        dropped.append("attributes")
    return out


def _cut(value: Any) -> Any:
    if isinstance(value, str) and len(value) > _TEXT_LIMIT:
        return value[: _TEXT_LIMIT - 1] + "…"
    if not isinstance(value, (str, int, float, bool, type(None))):
        text = json.dumps(value, default=str)
        return value if len(text) <= _TEXT_LIMIT else text[: _TEXT_LIMIT - 1] + "…"
    return value


def _drop_steps(out: dict[str, Any], steps: list[dict[str, Any]], max_bytes: int) -> int:
    """Remove leaf steps, least useful first, until the trace fits; returns how many went."""
    excess = _size(out) - max_bytes
    removed = 0
    while excess > 0:
        parents = {s.get("parent_step_id") for s in steps}
        candidates = [s for s in steps if s.get("step_id") not in parents and s.get("parent_step_id")]
        if not candidates:
            break
        # successful before failed, finished before running, then shortest latency first
        candidates.sort(key=lambda s: (s.get("error") is not None, s.get("end_time") is None, s.get("latency") or 0.0))
        batch = candidates[: max(1, len(candidates) // 4)]
        for s in batch:
            if excess <= 0:
                break
            steps.remove(s)
            excess -= _size(s) + 1
            removed += 1
    return removed
