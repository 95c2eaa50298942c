"""Step metrics from finished traces: normalised step names, bounded label sets, tokens and cost by model."""

from __future__ import annotations

from prometheus_client import generate_latest
from prometheus_client.parser import text_string_to_metric_families

from agents.observability.labels import OTHER, BoundedLabels, step_label
from agents.observability.metrics import ProcessMetrics
from agents.traceability import CallType, ResponseTrace, StepRecord
from agents.traceability.model import SKIPPED_STEP_TYPE


def test_step_names_lose_ids_addresses_keys_and_numbers() -> None:
    assert step_label("ec2.describe_traffic_mirroring") == "ec2.describe_traffic_mirroring"
    assert step_label("call Performance_Agent") == "call Performance_Agent"
    assert step_label("analyze s3://netops-captures/raw/2026/12/01/capture-1.pcap") == "analyze {url}"
    assert step_label("fix i-0123456789abcdef0") == "fix {id}"
    assert step_label("probe 10.0.1.10:5432 attempt 3") == "probe {ip} attempt {n}"
    assert step_label("task 3f2b8a9c-1d2e-4f5a-8b9c-0d1e2f3a4b5c") == "task {id}"
    assert step_label("query limit=50") == "query limit={v}"
    assert step_label("llm gpt-4o") == "llm gpt-4o"


def test_past_its_limit_a_label_set_admits_only_what_it_has_seen() -> None:
    labels = BoundedLabels(limit=2)
    assert [labels.admit(v) for v in ("a", "b", "c", "a")] == ["a", "b", OTHER, "a"]


def _samples(metrics: ProcessMetrics) -> dict:
    text = generate_latest(metrics.registry).decode()
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for f in text_string_to_metric_families(text)
        for s in f.samples
    }


def _step(name: str, call_type: CallType = CallType.TOOL, latency_ms: float = 12.0, **fields: object) -> StepRecord:
    step = StepRecord(f"step-{name}", "t", None, call_type, name, None, 0.0)
    step.latency_ms = latency_ms
    for key, value in fields.items():
        setattr(step, key, value)
    return step


def test_a_finished_trace_feeds_latency_errors_skips_tokens_and_cost() -> None:
    metrics = ProcessMetrics("netops-performance")
    metrics.steps.observe_trace(
        ResponseTrace(
            "t",
            [
                _step("s3.list_captures i-0abc12345678", latency_ms=250.0, error="NoSuchBucket"),
                _step("fix_retransmissions", latency_ms=0.0, step_type=SKIPPED_STEP_TYPE),
                _step("llm gpt-4o", model="gpt-4o", input_tokens=400, output_tokens=30, cost=0.0021),
            ],
        )
    )
    samples = _samples(metrics)
    labels = (("call_type", "TOOL"), ("step", "s3.list_captures {id}"))
    assert samples[("netops_step_duration_seconds_count", labels)] == 1
    assert samples[("netops_step_duration_seconds_sum", labels)] == 0.25
    assert samples[("netops_step_errors_total", labels)] == 1
    assert samples[("netops_steps_skipped_total", (("step", "fix_retransmissions"),))] == 1
    assert (
        "netops_step_duration_seconds_count",
        (("call_type", "TOOL"), ("step", "fix_retransmissions")),
    ) not in samples
    assert samples[("netops_model_tokens_total", (("direction", "input"), ("model", "gpt-4o")))] == 400
    assert samples[("netops_model_tokens_total", (("direction", "output"), ("model", "gpt-4o")))] == 30
    assert samples[("netops_model_cost_usd_total", (("model", "gpt-4o"),))] == 0.0021


def test_only_the_bot_has_question_metrics_and_only_the_collaborator_has_agent_health() -> None:
    bot, collaborator = ProcessMetrics("netops-bot"), ProcessMetrics("netops-collaborator")
    assert bot.bot is not None and bot.collaborator is None
    assert collaborator.collaborator is not None and collaborator.bot is None
