"""Moving a trace in and out of A2A metadata (a protobuf `Struct` in a2a-sdk 1.3, or a dict).

Export is where redaction and the size cap happen: nothing leaves the process unmasked.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from typing import Any

from agents.traceability.config import DEFAULT_CONFIG, TraceConfig
from agents.traceability.model import TRACE_METADATA_KEY, ResponseTrace
from agents.traceability.redaction import cap_trace_dict, redact_trace_dict

logger = logging.getLogger(__name__)

# What a caller puts in its request metadata so the called agent continues the trace.
REQUEST_TRACE_ID = "trace_id"
REQUEST_PARENT_STEP_ID = "parent_step_id"


def export_trace(trace: ResponseTrace, config: TraceConfig | None = None) -> dict[str, Any]:
    """The trace as it may leave the process: redacted, then capped to `config.max_bytes`."""
    config = config or DEFAULT_CONFIG
    return cap_trace_dict(redact_trace_dict(trace.to_dict()), config.max_bytes)


def metadata_dict(metadata: object) -> dict[str, Any]:
    """A plain dict from a protobuf Struct, a mapping, or None."""
    if metadata is None:
        return {}
    if hasattr(metadata, "DESCRIPTOR"):  # a Struct is also a Mapping, but of Struct values
        from google.protobuf import json_format

        return json_format.MessageToDict(metadata)  # type: ignore[arg-type]
    if isinstance(metadata, Mapping):
        return dict(metadata)
    return {}


def trace_from_metadata(metadata: object) -> ResponseTrace | None:
    """The trace carried under TRACE_METADATA_KEY, or None when there is none or it is unreadable.

    Accepts the value as an object or as JSON text (some implementations stringify it).
    """
    value = metadata_dict(metadata).get(TRACE_METADATA_KEY)
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            logger.warning("ignoring a trace in metadata that is not JSON")
            return None
    if not isinstance(value, Mapping):
        return None
    return ResponseTrace.from_dict(dict(value))


def trace_request_metadata(trace_id: str, parent_step_id: str | None) -> dict[str, Any]:
    """What a caller sends under TRACE_METADATA_KEY in its message: the trace to continue and where."""
    value: dict[str, Any] = {REQUEST_TRACE_ID: trace_id}
    if parent_step_id:
        value[REQUEST_PARENT_STEP_ID] = parent_step_id
    return {TRACE_METADATA_KEY: value}


def trace_request_from_metadata(metadata: object) -> tuple[str | None, str | None]:
    """(trace_id, parent_step_id) a caller asked us to continue; (None, None) when absent or malformed."""
    value = metadata_dict(metadata).get(TRACE_METADATA_KEY)
    if not isinstance(value, Mapping):
        return None, None
    trace_id = value.get(REQUEST_TRACE_ID)
    parent = value.get(REQUEST_PARENT_STEP_ID)
    trace_id = trace_id if isinstance(trace_id, str) and _safe_id(trace_id) else None
    parent = parent if isinstance(parent, str) and _safe_id(parent) else None
    return trace_id, parent


def _safe_id(value: str) -> bool:
    """Ids from callers end up in logs and spans: short, printable, no separators that forge lines."""
    return 0 < len(value) <= 128 and value.isprintable() and not any(c in value for c in "\r\n\t ")
