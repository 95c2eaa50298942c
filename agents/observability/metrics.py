"""The Prometheus metrics of a NetOps process, each on a registry of its own.

A registry per process object (not prometheus_client's global one) so that tests, the demo and
the benchmarks can run the bot and both agents in one interpreter without their series mixing.
Step metrics come from finished traces (`StepMetrics.observe_trace` is a `TraceConfig.on_finish`
hook), so every `TraceStep` is measured without a line of metrics code at the call site; the
outcome counters are incremented where the outcome is decided; gauges are read at scrape time.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

from agents.observability.labels import BoundedLabels, step_label
from agents.traceability.model import SKIPPED_STEP_TYPE, CallType, ResponseTrace, StepRecord

SERIES_CACHE = 4096  # raw step names whose series are remembered (names with ids in them are many)

# From a Redis round trip (1 ms) to a whole diagnosis over many captures (minutes).
LATENCY_BUCKETS_S = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0)


class StepMetrics:
    """What every process measures about its own trace steps (remote steps are measured remotely)."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._steps = BoundedLabels()
        self._models = BoundedLabels(50)
        self._series: dict[tuple[int, str, str | None], object] = {}  # (metric, call type, raw name) -> child
        self.step_duration = Histogram(
            "netops_step_duration_seconds",
            "Duration of trace steps recorded by this process, by call type and normalised step name.",
            ["call_type", "step"],
            buckets=LATENCY_BUCKETS_S,
            registry=registry,
        )
        self.step_errors = Counter(
            "netops_step_errors_total",
            "Trace steps that failed, by call type and step.",
            ["call_type", "step"],
            registry=registry,
        )
        self.steps_skipped = Counter(
            "netops_steps_skipped_total",
            "Planned steps not run because an earlier one failed.",
            ["step"],
            registry=registry,
        )
        self.model_tokens = Counter(
            "netops_model_tokens_total",
            "Model tokens used, by model and direction (input, output).",
            ["model", "direction"],
            registry=registry,
        )
        self.model_cost = Counter(
            "netops_model_cost_usd_total", "Model cost in US dollars, by model.", ["model"], registry=registry
        )

    def observe_trace(self, trace: ResponseTrace) -> None:
        for step in trace.steps:
            self.observe_step(step)

    def observe_step(self, step: StepRecord) -> None:
        call_type = step.call_type.value if isinstance(step.call_type, CallType) else "OTHER"
        if step.step_type == SKIPPED_STEP_TYPE:
            self._child(self.steps_skipped, call_type, step.name).inc()
            return
        if step.latency_ms is not None:
            self._child(self.step_duration, call_type, step.name).observe(step.latency_ms / 1000.0)
        if step.error is not None:
            self._child(self.step_errors, call_type, step.name).inc()
        if step.input_tokens or step.output_tokens or step.cost:
            self._observe_model(step)

    def _child(self, metric: Counter | Histogram, call_type: str, step_name: str | None):  # type: ignore[no-untyped-def]
        """`metric`'s series for one step; prometheus_client's `labels()` costs microseconds and the same
        few dozen step names come back on every question, so each child is looked up once."""
        key = (id(metric), call_type, step_name)
        child = self._series.get(key)
        if child is None:
            name = self._steps.admit(step_label(step_name))
            child = metric.labels(name) if metric is self.steps_skipped else metric.labels(call_type, name)
            if len(self._series) < SERIES_CACHE:
                self._series[key] = child
        return child

    def _observe_model(self, step: StepRecord) -> None:
        model = self._models.admit(step.model or "unknown")
        if step.input_tokens:
            self.model_tokens.labels(model, "input").inc(step.input_tokens)
        if step.output_tokens:
            self.model_tokens.labels(model, "output").inc(step.output_tokens)
        if step.cost:
            self.model_cost.labels(model).inc(step.cost)


class BotMetrics:
    """The bot's outcomes and its job queue."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.questions = Counter(
            "netops_questions_total",
            "Questions answered, by outcome (answered, failed).",
            ["outcome"],
            registry=registry,
        )
        self.approvals = Counter(
            "netops_approvals_total",
            "Approval decisions, by outcome (approved, dismissed, refused).",
            ["outcome"],
            registry=registry,
        )
        self.fixes = Counter(
            "netops_fixes_total",
            "TCP fixes run, by outcome (verified, unverified, failed, refused).",
            ["outcome"],
            registry=registry,
        )
        self.job_queue_depth = Gauge(
            "netops_job_queue_depth",
            "Jobs in the Redis stream not yet finished (pending plus undelivered).",
            registry=registry,
        )
        self.job_queue_oldest_age = Gauge(
            "netops_job_queue_oldest_age_seconds",
            "Age of the oldest unfinished job; 0 when the queue is empty.",
            registry=registry,
        )


class CollaboratorMetrics:
    """The agents as the collaborator sees them."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self.agent_up = Gauge(
            "netops_agent_up",
            "1 when the agent's card answers, 0 when the collaborator marks it down.",
            ["agent_url"],
            registry=registry,
        )


class ProcessMetrics:
    """One process's registry: the step metrics, plus the bot's or the collaborator's when it is one."""

    def __init__(self, service: str) -> None:
        self.service = service
        self.registry = CollectorRegistry()
        self.steps = StepMetrics(self.registry)
        Gauge(
            "netops_service_info",
            "Always 1; the label names this process's service.",
            ["service"],
            registry=self.registry,
        ).labels(service).set(1)
        self.bot = BotMetrics(self.registry) if service == "netops-bot" else None
        self.collaborator = CollaboratorMetrics(self.registry) if service == "netops-collaborator" else None
