"""The data model round-trips through the sample's dict format and parses foreign traces tolerantly."""

from __future__ import annotations

import json

from google.protobuf import json_format, struct_pb2
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from agents.traceability import TRACE_EXTENSION_URI, TRACE_METADATA_KEY, CallType, ResponseTrace, StepRecord

SAMPLE_KEYS = {
    "step_id",
    "trace_id",
    "parent_step_id",
    "call_type",
    "name",
    "parameters",
    "requests",
    "step_type",
    "cost",
    "total_tokens",
    "additional_attributes",
    "latency",
    "start_time",
    "end_time",
    "error",
}


def _step(**overrides) -> StepRecord:
    step = StepRecord(
        "step-1", "trace-1", "step-0", CallType.TOOL, "query_monitor", {"monitor": "m1"}, 1_700_000_000.25
    )
    step.end_time = 1_700_000_000.75
    step.latency_ms = 500.0
    step.cost = 0.0
    step.input_tokens = 10
    step.output_tokens = 5
    step.model = "gpt-4o"
    step.additional_attributes = {"rows": 3}
    for key, value in overrides.items():
        setattr(step, key, value)
    return step


def test_constants_match_the_public_sample():
    assert TRACE_EXTENSION_URI == "https://github.com/a2aproject/a2a-samples/extensions/traceability/v1"
    assert TRACE_METADATA_KEY == "github.com/a2aproject/a2a-samples/extensions/traceability/v1/traceability"


def test_step_dict_uses_every_key_of_the_sample_format():
    data = _step().to_dict()
    assert set(data) >= SAMPLE_KEYS
    assert data["call_type"] == "TOOL"
    assert data["start_time"] == "2023-11-14T22:13:20.250000+00:00"
    assert data["latency"] == 500.0


def test_step_round_trips_through_its_dict():
    original = _step(error="ValueError: boom", error_type="ValueError")
    again = StepRecord.from_dict(original.to_dict())
    assert again.to_dict() == original.to_dict()


def test_trace_round_trips_through_json():
    trace = ResponseTrace("trace-1", [_step(), _step(step_id="step-2", parent_step_id="step-1")])
    again = ResponseTrace.from_dict(json.loads(json.dumps(trace.to_dict())))
    assert again.to_dict() == trace.to_dict()


def test_zero_cost_stays_zero_through_the_dict():
    again = StepRecord.from_dict(_step(cost=0.0, total_tokens=0, input_tokens=0, output_tokens=0).to_dict())
    assert again.cost == 0.0
    assert again.total_tokens == 0


def test_parsing_after_a_protobuf_struct_turns_float_counts_back_into_integers():
    struct = struct_pb2.Struct()
    struct.update({TRACE_METADATA_KEY: ResponseTrace("trace-1", [_step(total_tokens=15)]).to_dict()})
    raw = json_format.MessageToDict(struct)[TRACE_METADATA_KEY]
    assert raw["steps"][0]["total_tokens"] == 15.0  # what the wire does to integers
    step = ResponseTrace.from_dict(raw).steps[0]
    assert step.total_tokens == 15
    assert isinstance(step.total_tokens, int)
    assert step.input_tokens == 10


def test_unknown_keys_survive_a_round_trip():
    data = _step().to_dict() | {"vendor_span": {"x": 1}}
    trace_data = {"trace_id": "t", "steps": [data], "sampler": "always"}
    again = ResponseTrace.from_dict(trace_data).to_dict()
    assert again["sampler"] == "always"
    assert again["steps"][0]["vendor_span"] == {"x": 1}


def test_a_sample_agent_step_with_missing_fields_parses():
    sample = {"step_id": "step-abc", "call_type": "CallTypeEnum.AGENT", "start_time": "2025-01-01T00:00:00Z"}
    step = StepRecord.from_dict(sample)
    assert step.call_type is CallType.AGENT
    assert step.start_time == 1735689600.0
    assert step.end_time is None
    assert step.cost is None
    assert step.parameters is None


def test_proto_enum_numbers_and_lower_case_call_types_are_understood():
    assert StepRecord.from_dict({"step_id": "a", "call_type": 2.0}).call_type is CallType.TOOL
    assert StepRecord.from_dict({"step_id": "a", "call_type": "host"}).call_type is CallType.HOST


def test_an_unknown_call_type_is_kept_as_text():
    assert StepRecord.from_dict({"step_id": "a", "call_type": "LLM"}).call_type == "LLM"


def test_latency_is_derived_from_times_when_missing():
    step = StepRecord.from_dict({"step_id": "a", "start_time": 10.0, "end_time": 10.5})
    assert step.latency_ms == 500.0


def test_non_object_steps_are_skipped_and_trace_id_taken_from_steps():
    trace = ResponseTrace.from_dict({"steps": ["junk", None, {"step_id": "a", "trace_id": "t-9"}]})
    assert [s.step_id for s in trace.steps] == ["a"]
    assert trace.trace_id == "t-9"


_values = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.dictionaries(
        st.sampled_from(sorted(SAMPLE_KEYS | {"model", "x"})), _values | st.dictionaries(st.text(max_size=5), _values)
    )
)
def test_parsing_never_raises_on_arbitrary_values(data):
    step = StepRecord.from_dict(data)
    json.dumps(step.to_dict())
