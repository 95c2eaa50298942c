"""Secrets are masked and the size cap holds before a trace leaves the process."""

from __future__ import annotations

import json

import pytest

from agents.traceability import CallType, ResponseTrace, StepRecord, TraceConfig, export_trace, summarize
from agents.traceability.redaction import MASK, cap_trace_dict, redact_text

AWS_KEY_ID = "AKIA" + "IOSFODNN7EXAMPLE"
AWS_SECRET = "wJalrXUtnFEMI/K7MDENG/" + "bPxRfiCYEXAMPLEKEY"
SLACK_TOKEN = "xoxb-" + "123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx"


def _trace(**step_fields) -> ResponseTrace:
    step = StepRecord("s1", "t", None, CallType.TOOL, "tool", None, 1.0)
    for key, value in step_fields.items():
        setattr(step, key, value)
    return ResponseTrace("t", [step])


@pytest.mark.parametrize(
    "name",
    [
        "password",
        "db_password",
        "api_key",
        "apiKey",
        "Authorization",
        "cookie",
        "approval_token",
        "secret",
        "key",
        "aws_secret_access_key",
        "x-api-key",
        "session_id",
    ],
)
def test_parameters_with_secret_names_are_masked(name):
    exported = export_trace(_trace(parameters={name: "hunter2", "monitor": "m1"}))
    assert exported["steps"][0]["parameters"] == {name: MASK, "monitor": "m1"}


@pytest.mark.parametrize("name", ["max_tokens", "input_tokens", "monitor_name", "instance_id", "bucket"])
def test_ordinary_parameter_names_are_kept(name):
    exported = export_trace(_trace(parameters={name: "value"}))
    assert exported["steps"][0]["parameters"] == {name: "value"}


@pytest.mark.parametrize(
    "secret",
    [AWS_KEY_ID, AWS_SECRET, SLACK_TOKEN, "xapp-1-A0123456-0123456789-abcdef0123", "Bearer abcdef0123456789.xyz"],
)
def test_secret_looking_values_are_masked_anywhere(secret):
    exported = export_trace(
        _trace(
            parameters={"note": f"used {secret} here"},
            error=f"ClientError: {secret}",
            additional_attributes={"nested": [{"v": secret}]},
        )
    )
    text = json.dumps(exported)
    assert secret not in text
    assert exported["steps"][0]["parameters"]["note"] == f"used {MASK} here"


def test_name_value_pairs_in_error_text_are_masked():
    assert (
        redact_text("bad config: password=hunter2, region=us-east-1")
        == f"bad config: password={MASK}, region=us-east-1"
    )


def test_hex_digests_are_not_mistaken_for_aws_secrets():
    digest = "da39a3ee5e6b4b0d3255bfef95601890afd80709"
    assert redact_text(digest) == digest


def test_export_leaves_the_live_steps_untouched():
    trace = _trace(parameters={"password": "hunter2"})
    export_trace(trace)
    assert trace.steps[0].parameters == {"password": "hunter2"}


def test_model_fields_are_not_redacted():
    exported = export_trace(_trace(input_tokens=5, output_tokens=6, total_tokens=11))
    assert exported["steps"][0]["total_tokens"] == 11
    assert exported["steps"][0]["input_tokens"] == 5


def _big_trace(n_steps: int, payload: int) -> ResponseTrace:
    root = StepRecord("root", "t", None, CallType.AGENT, "agent", None, 1.0)
    root.end_time, root.latency_ms = 100.0, 99000.0
    steps = [root]
    for i in range(n_steps):
        step = StepRecord(f"s{i}", "t", "root", CallType.TOOL, f"tool{i}", {"blob": "x" * payload}, 2.0 + i)
        step.end_time, step.latency_ms = 2.5 + i, float(i)
        step.traceback = "Traceback\n" + "y" * payload
        steps.append(step)
    failed = StepRecord("bad", "t", "root", CallType.TOOL, "failing_tool", None, 3.0)
    failed.end_time, failed.latency_ms, failed.error = 3.1, 100.0, "ValueError: the cause"
    steps.append(failed)
    return ResponseTrace("t", steps)


def _size(data) -> int:
    return len(json.dumps(data, separators=(",", ":")).encode())


def test_a_small_trace_is_not_touched_by_the_cap():
    exported = export_trace(_trace(parameters={"a": 1}))
    assert "truncated" not in exported


def test_the_cap_drops_tracebacks_first_and_says_so():
    trace = _big_trace(20, 3000)
    exported = export_trace(trace, TraceConfig(max_bytes=100_000))
    assert _size(exported) <= 100_000
    assert exported["truncated"]["dropped"] == ["tracebacks"]
    assert all(s["parameters"] for s in exported["steps"] if s["step_id"].startswith("s"))


def test_the_cap_drops_leaf_steps_but_keeps_the_failure_and_the_root():
    trace = _big_trace(2000, 10)
    exported = export_trace(trace, TraceConfig(max_bytes=64 * 1024))
    assert _size(exported) <= 64 * 1024
    kept = {s["step_id"] for s in exported["steps"]}
    assert {"root", "bad"} <= kept
    assert len(kept) < 2002
    assert exported["truncated"]["original_bytes"] > 64 * 1024
    assert any(entry.endswith("steps") for entry in exported["truncated"]["dropped"])
    assert summarize(ResponseTrace.from_dict(exported)).failing_step.name == "failing_tool"


def test_cap_of_a_dict_already_under_the_limit_is_identity():
    data = {"trace_id": "t", "steps": []}
    assert cap_trace_dict(data, 1024) is data


def test_exported_parameters_are_plain_json_a_protobuf_struct_accepts():
    from datetime import datetime

    from google.protobuf import struct_pb2

    exported = export_trace(
        _trace(parameters={"when": datetime(2025, 1, 1), "ids": {"i-1"}, 3: float("nan"), "raw": b"\x00"})
    )
    params = exported["steps"][0]["parameters"]
    assert params == {"when": "2025-01-01 00:00:00", "ids": ["i-1"], "3": "nan", "raw": "b'\\x00'"}
    struct_pb2.Struct().update(exported)  # would raise on anything that is not JSON


def test_recorded_tracebacks_are_masked_on_export():
    from agents.traceability import TraceStep, start_trace

    with start_trace(config=TraceConfig(tracebacks=True)) as tracer:
        try:
            with TraceStep("login"):
                raise PermissionError(f"rejected key {AWS_KEY_ID}")
        except PermissionError:
            pass
    exported = export_trace(tracer.trace())
    assert "PermissionError" in exported["steps"][0]["traceback"]
    assert AWS_KEY_ID not in json.dumps(exported)


def test_a_text_masked_before_is_masked_again() -> None:
    text = f"ClientError: {AWS_KEY_ID}"
    assert redact_text(text) == redact_text(text) == f"ClientError: {MASK}"


def test_a_text_too_long_to_remember_is_still_masked() -> None:
    text = "x" * 2000 + f" password=hunter2 {SLACK_TOKEN}"
    assert redact_text(text) == "x" * 2000 + f" password={MASK} {MASK}"
