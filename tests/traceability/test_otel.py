"""OpenTelemetry export: each step a span with GenAI attributes, one OTel trace across processes."""

from __future__ import annotations

import json
import sys

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from agents.settings import load_settings
from agents.traceability import CallType, TraceConfig, TraceStep, start_trace
from agents.traceability.otel import OtelExporter, otel_span_id, otel_trace_id


def _config(memory: InMemorySpanExporter) -> TraceConfig:
    return TraceConfig(on_finish=OtelExporter(SimpleSpanProcessor(memory)).export)


class Boom(Exception):
    pass


def _run(config: TraceConfig, trace_id: str | None = None, parent: str | None = None):
    with start_trace(trace_id, parent, config=config) as tracer, TraceStep("Performance_Agent", CallType.AGENT):
        with TraceStep("planner", CallType.TOOL) as llm:
            llm.record_usage(model="gpt-4o", input_tokens=120, output_tokens=30)
        with TraceStep("flow_monitor", CallType.TOOL, parameters={"password": "x"}):
            pass
        try:
            with TraceStep("read_capture", CallType.TOOL):
                raise Boom("token=abc123 rejected")
        except Boom:
            pass
    return tracer


def test_nothing_is_exported_when_otel_is_off():
    assert TraceConfig.from_settings(load_settings(otel_enabled=False)).on_finish is None


def test_each_step_becomes_a_span_with_gen_ai_attributes():
    memory = InMemorySpanExporter()
    _run(_config(memory))
    by_name = {s.name: s for s in memory.get_finished_spans()}
    assert set(by_name) == {
        "invoke_agent Performance_Agent",
        "chat gpt-4o",
        "execute_tool flow_monitor",
        "execute_tool read_capture",
    }
    agent = by_name["invoke_agent Performance_Agent"].attributes
    assert agent["gen_ai.operation.name"] == "invoke_agent"
    assert agent["gen_ai.agent.name"] == "Performance_Agent"
    llm = by_name["chat gpt-4o"].attributes
    assert llm["gen_ai.request.model"] == "gpt-4o"
    assert llm["gen_ai.usage.input_tokens"] == 120
    assert llm["gen_ai.usage.output_tokens"] == 30
    assert llm["gen_ai.tool.name"] == "planner"
    assert by_name["execute_tool flow_monitor"].attributes["gen_ai.tool.name"] == "flow_monitor"


def test_spans_nest_like_the_steps_and_keep_their_times():
    memory = InMemorySpanExporter()
    tracer = _run(_config(memory))
    spans = {s.attributes["netops.step_id"]: s for s in memory.get_finished_spans()}
    for step in tracer.steps:
        span = spans[step.step_id]
        assert span.context.span_id == otel_span_id(step.step_id)
        assert span.context.trace_id == otel_trace_id(tracer.trace_id)
        assert span.start_time == int(step.start_time * 1e9)
        if step.parent_step_id:
            assert span.parent.span_id == otel_span_id(step.parent_step_id)


def test_a_continued_trace_joins_the_callers_otel_trace():
    memory = InMemorySpanExporter()
    _run(_config(memory), trace_id="trace-from-bot", parent="step-bot-call")
    agent = next(s for s in memory.get_finished_spans() if s.name == "invoke_agent Performance_Agent")
    assert agent.context.trace_id == otel_trace_id("trace-from-bot")
    assert agent.parent.span_id == otel_span_id("step-bot-call")
    assert agent.parent.is_remote


def test_a_failed_step_is_an_error_span_with_a_redacted_description():
    memory = InMemorySpanExporter()
    _run(_config(memory))
    failed = next(s for s in memory.get_finished_spans() if s.name == "execute_tool read_capture")
    assert failed.status.status_code is StatusCode.ERROR
    assert failed.status.description == "Boom: token=[redacted] rejected"
    assert failed.attributes["error.type"] == "Boom"


def test_parameters_are_not_exported_as_attributes():
    memory = InMemorySpanExporter()
    _run(_config(memory))
    for span in memory.get_finished_spans():
        assert all("password" not in key for key in span.attributes)


def test_enabled_in_settings_without_an_otlp_package_writes_spans_to_stderr(capsys, monkeypatch):
    # None in sys.modules makes the import fail as it does where the `otel` extra is not installed
    monkeypatch.setitem(sys.modules, "opentelemetry.exporter.otlp.proto.http.trace_exporter", None)
    config = TraceConfig.from_settings(load_settings(otel_enabled=True))
    _run(config)
    config.on_finish.__self__.shutdown()  # flushes the batch processor
    assert "invoke_agent Performance_Agent" in {span["name"] for span in _json_objects(capsys.readouterr().err)}


def _json_objects(text: str) -> list[dict]:
    """The console exporter writes one pretty-printed JSON object per span, back to back."""
    decoder, objects, index = json.JSONDecoder(), [], 0
    while (start := text.find("{", index)) != -1:
        obj, index = decoder.raw_decode(text, start)
        objects.append(obj)
    return objects


def test_model_spans_name_their_provider_as_recorded_or_told_from_the_model_id():
    memory = InMemorySpanExporter()
    config = TraceConfig(on_finish=OtelExporter(SimpleSpanProcessor(memory), "netops-performance").export)
    with start_trace(config=config), TraceStep("agent", CallType.AGENT):
        for model, provider in (("my-model", "openai"), ("anthropic.claude-3-5-sonnet", None), ("gpt-4o", None)):
            with TraceStep(f"llm {model}", CallType.TOOL) as step:
                step.record_usage(model=model, input_tokens=1, output_tokens=1, provider=provider)
        with TraceStep("s3.list_captures", CallType.TOOL):
            pass
    spans = {span.name: span for span in memory.get_finished_spans()}
    assert spans["chat my-model"].attributes["gen_ai.provider.name"] == "openai"
    assert spans["chat anthropic.claude-3-5-sonnet"].attributes["gen_ai.provider.name"] == "aws.bedrock"
    assert spans["chat gpt-4o"].attributes["gen_ai.provider.name"] == "openai"
    assert "gen_ai.provider.name" not in spans["execute_tool s3.list_captures"].attributes
    assert {span.resource.attributes["service.name"] for span in spans.values()} == {"netops-performance"}


def test_each_process_names_its_own_service_when_otel_is_on():
    config = TraceConfig.from_settings(load_settings(otel_enabled=True), "netops-collaborator")
    assert config.service_name == "netops-collaborator"
    exporter = config.on_finish.__self__
    assert exporter.resource.attributes["service.name"] == "netops-collaborator"
    exporter.shutdown()
