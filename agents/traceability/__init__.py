"""The A2A traceability extension (a2a-samples `extensions/traceability/v1`) for a2a-sdk 1.3.

The contract is in agents/CONTRACTS.md section 1; the A2A propagation lives in
`agents.traceability.a2a` so that importing the model never imports the SDK.
"""

from agents.traceability.config import TraceConfig
from agents.traceability.cost import ModelPrice, PriceTable
from agents.traceability.metadata import export_trace, trace_from_metadata
from agents.traceability.model import (
    TRACE_EXTENSION_URI,
    TRACE_METADATA_KEY,
    CallType,
    ResponseTrace,
    StepRecord,
)
from agents.traceability.plan import StepPlan
from agents.traceability.step import TraceStep, traced
from agents.traceability.summary import FailingStep, SlowestStep, TraceSummary, summarize
from agents.traceability.tracer import Tracer, current_step, current_tracer, start_trace

__all__ = [
    "TRACE_EXTENSION_URI",
    "TRACE_METADATA_KEY",
    "CallType",
    "FailingStep",
    "ModelPrice",
    "PriceTable",
    "ResponseTrace",
    "SlowestStep",
    "StepPlan",
    "StepRecord",
    "TraceConfig",
    "TraceStep",
    "TraceSummary",
    "Tracer",
    "current_step",
    "current_tracer",
    "export_trace",
    "start_trace",
    "summarize",
    "trace_from_metadata",
    "traced",
]
