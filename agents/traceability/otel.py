"""Optional export of finished traces as OpenTelemetry spans with GenAI semantic-convention attributes.

Off unless `NETOPS_OTEL_ENABLED`. Each process exports only its own steps when its trace
ends; span and trace ids are derived from our step and trace ids, so the spans of the bot,
the collaborator and the performance agent join into one OpenTelemetry trace in the
backend without any extra propagation header.
"""

from __future__ import annotations

import hashlib
import logging
import sys
from contextvars import ContextVar
from typing import TYPE_CHECKING

from opentelemetry import trace as otel_trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import SpanProcessor, TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter
from opentelemetry.sdk.trace.id_generator import IdGenerator, RandomIdGenerator
from opentelemetry.trace import NonRecordingSpan, SpanContext, SpanKind, Status, StatusCode, TraceFlags

from agents.traceability.model import PROVIDER_ATTRIBUTE, SPAN_KIND_ATTRIBUTE, CallType, ResponseTrace, StepRecord
from agents.traceability.redaction import redact_text

if TYPE_CHECKING:
    from agents.settings import Settings

logger = logging.getLogger(__name__)

_NEXT_SPAN_ID: ContextVar[int | None] = ContextVar("netops_otel_span_id", default=None)
_NEXT_TRACE_ID: ContextVar[int | None] = ContextVar("netops_otel_trace_id", default=None)


def otel_trace_id(trace_id: str) -> int:
    """A stable, non-zero 128-bit OpenTelemetry trace id for one of our trace ids."""
    return int.from_bytes(hashlib.sha256(trace_id.encode()).digest()[:16], "big") or 1


def otel_span_id(step_id: str) -> int:
    """A stable, non-zero 64-bit OpenTelemetry span id for one of our step ids."""
    return int.from_bytes(hashlib.sha256(step_id.encode()).digest()[:8], "big") or 1


class _StepIds(IdGenerator):
    """Hands the SDK the ids we derived for the span being started; random ones otherwise."""

    _random = RandomIdGenerator()

    def generate_span_id(self) -> int:
        return _NEXT_SPAN_ID.get() or self._random.generate_span_id()

    def generate_trace_id(self) -> int:
        return _NEXT_TRACE_ID.get() or self._random.generate_trace_id()


def _operation(step: StepRecord) -> str | None:
    if step.model or step.input_tokens is not None or step.output_tokens is not None:
        return "chat"
    if step.call_type is CallType.AGENT:
        return "invoke_agent"
    if step.call_type is CallType.TOOL:
        return "execute_tool"
    return None  # HOST: the application itself, no GenAI operation


_SPAN_KINDS = {"client": SpanKind.CLIENT, "server": SpanKind.SERVER}
# Bedrock model ids start with their vendor ("anthropic.claude-…", "us.amazon.nova-…"), others do not.
_BEDROCK_VENDORS = ("anthropic.", "amazon.", "meta.", "mistral.", "cohere.", "ai21.", "deepseek.", "writer.")


def span_kind(step: StepRecord) -> SpanKind:
    """CLIENT for the caller's side of an A2A hop, SERVER for the agent's, so backends draw the call graph."""
    return _SPAN_KINDS.get(str(step.additional_attributes.get(SPAN_KIND_ATTRIBUTE)), SpanKind.INTERNAL)


def provider_name(step: StepRecord) -> str:
    """`gen_ai.provider.name` (required on model spans): as recorded, else told from the model id."""
    recorded = step.additional_attributes.get(PROVIDER_ATTRIBUTE)
    if recorded:
        return str(recorded)
    model = (step.model or "").lower()
    if any(vendor in model.split(":")[0] for vendor in _BEDROCK_VENDORS):
        return "aws.bedrock"
    return "openai" if model.startswith(("gpt-", "o1", "o3", "o4")) else "unknown"


def span_attributes(step: StepRecord) -> dict[str, str | int | float | bool]:
    """GenAI semantic-convention attributes of one step, plus ours under `netops.`."""
    attributes: dict[str, str | int | float | bool] = {
        "netops.step_id": step.step_id,
        "netops.call_type": step.call_type.value if isinstance(step.call_type, CallType) else str(step.call_type),
    }
    operation = _operation(step)
    if operation:
        attributes["gen_ai.operation.name"] = operation
    if step.call_type is CallType.AGENT and step.name:
        attributes["gen_ai.agent.name"] = step.name
    if step.call_type is CallType.TOOL and step.name:
        attributes["gen_ai.tool.name"] = step.name
    if operation == "chat":
        attributes[PROVIDER_ATTRIBUTE] = provider_name(step)
    if step.model:
        attributes["gen_ai.request.model"] = step.model
    if step.input_tokens is not None:
        attributes["gen_ai.usage.input_tokens"] = step.input_tokens
    if step.output_tokens is not None:
        attributes["gen_ai.usage.output_tokens"] = step.output_tokens
    if step.cost is not None:
        attributes["netops.cost_usd"] = step.cost
    if step.parent_step_id:
        attributes["netops.parent_step_id"] = step.parent_step_id
    if step.error_type:
        attributes["error.type"] = step.error_type
    return attributes


class OtelExporter:
    """Turns a process's finished steps into spans on a provider of its own (not the global one)."""

    def __init__(self, processor: SpanProcessor, service_name: str = "netops") -> None:
        self._provider = TracerProvider(
            id_generator=_StepIds(), resource=Resource.create({"service.name": service_name})
        )
        self._provider.add_span_processor(processor)
        self._tracer = self._provider.get_tracer("agents.traceability")

    @property
    def resource(self) -> Resource:
        """What every span of this process says about it (`service.name`)."""
        return self._provider.resource

    def export(self, trace: ResponseTrace) -> None:
        trace_int = otel_trace_id(trace.trace_id)
        # Parents are referenced by derived id, so the order of export does not matter.
        for step in trace.steps:
            self._export_step(step, trace_int)

    def _export_step(self, step: StepRecord, trace_int: int) -> None:
        if step.start_time is None:
            return
        parent = None
        if step.parent_step_id:
            parent_context = SpanContext(
                trace_id=trace_int,
                span_id=otel_span_id(step.parent_step_id),
                is_remote=True,
                trace_flags=TraceFlags(TraceFlags.SAMPLED),
            )
            parent = otel_trace.set_span_in_context(NonRecordingSpan(parent_context))
        operation = _operation(step)
        label = step.model if operation == "chat" and step.model else step.name
        name = f"{operation} {label}" if operation else (step.name or step.step_id)
        span_token = _NEXT_SPAN_ID.set(otel_span_id(step.step_id))
        trace_token = _NEXT_TRACE_ID.set(trace_int)
        try:
            span = self._tracer.start_span(
                name,
                context=parent,
                kind=span_kind(step),
                attributes=span_attributes(step),
                start_time=int(step.start_time * 1e9),
            )
        finally:
            _NEXT_SPAN_ID.reset(span_token)
            _NEXT_TRACE_ID.reset(trace_token)
        if step.error is not None:
            span.set_status(Status(StatusCode.ERROR, redact_text(step.error)))
        end = step.end_time if step.end_time is not None else step.start_time
        span.end(end_time=int(end * 1e9))

    def shutdown(self) -> None:
        self._provider.shutdown()


def exporter_from_settings(settings: Settings, service_name: str = "netops") -> OtelExporter:
    """OTLP over HTTP when its exporter package is installed (configured by the standard
    OTEL_EXPORTER_OTLP_* variables); otherwise spans go to stderr as JSON, with a warning."""
    exporter: SpanExporter
    try:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
    except ImportError:
        logger.warning(
            "NETOPS_OTEL_ENABLED is set but opentelemetry-exporter-otlp-proto-http is not installed; "
            "writing spans to stderr instead (install it to send them to a collector)"
        )
        exporter = ConsoleSpanExporter(out=sys.stderr)
    else:
        exporter = OTLPSpanExporter()
    return OtelExporter(BatchSpanProcessor(exporter), service_name)
