"""Reading traces out of A2A metadata (protobuf Struct or dict) and the request's trace context."""

from __future__ import annotations

import json

from google.protobuf import struct_pb2

from agents.traceability import TRACE_METADATA_KEY, CallType, ResponseTrace, StepRecord, trace_from_metadata
from agents.traceability.metadata import trace_request_from_metadata, trace_request_metadata


def _trace() -> ResponseTrace:
    return ResponseTrace("trace-1", [StepRecord("step-1", "trace-1", None, CallType.AGENT, "agent", None, 5.0)])


def test_reads_a_trace_from_a_protobuf_struct():
    struct = struct_pb2.Struct()
    struct.update({TRACE_METADATA_KEY: _trace().to_dict(), "other": 1})
    trace = trace_from_metadata(struct)
    assert trace.trace_id == "trace-1"
    assert trace.steps[0].call_type is CallType.AGENT


def test_reads_a_trace_from_a_dict_and_from_json_text():
    assert trace_from_metadata({TRACE_METADATA_KEY: _trace().to_dict()}).steps[0].step_id == "step-1"
    assert trace_from_metadata({TRACE_METADATA_KEY: json.dumps(_trace().to_dict())}).steps[0].step_id == "step-1"


def test_no_trace_gives_none():
    assert trace_from_metadata(None) is None
    assert trace_from_metadata(struct_pb2.Struct()) is None
    assert trace_from_metadata({TRACE_METADATA_KEY: "not json"}) is None
    assert trace_from_metadata({TRACE_METADATA_KEY: [1, 2]}) is None


def test_request_context_round_trips_through_a_struct():
    struct = struct_pb2.Struct()
    struct.update(trace_request_metadata("trace-1", "step-9"))
    assert trace_request_from_metadata(struct) == ("trace-1", "step-9")


def test_request_ids_that_could_forge_log_lines_are_refused():
    metadata = {TRACE_METADATA_KEY: {"trace_id": "t\nFAKE LOG LINE", "parent_step_id": "x" * 500}}
    assert trace_request_from_metadata(metadata) == (None, None)
