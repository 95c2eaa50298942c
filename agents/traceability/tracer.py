"""The per-request collector of steps, and the context that makes steps find it by themselves.

A `Tracer` holds the steps of one request in this process: the ones recorded here (added
when they start, so a snapshot taken mid-request shows the running parents) and the ones
merged from agents it called. `start_trace` makes a tracer current through a contextvar, so
every `TraceStep` inside, including in new asyncio tasks and `asyncio.to_thread`, records
into it.
"""

from __future__ import annotations

import contextlib
import logging
import uuid
from collections.abc import Iterable, Iterator
from contextvars import ContextVar
from typing import TYPE_CHECKING

from agents.traceability.config import DEFAULT_CONFIG, TraceConfig
from agents.traceability.model import ResponseTrace, StepRecord

if TYPE_CHECKING:
    from agents.traceability.step import TraceStep

logger = logging.getLogger(__name__)

CURRENT_TRACER: ContextVar[Tracer | None] = ContextVar("netops_trace_tracer", default=None)
CURRENT_STEP: ContextVar[TraceStep | None] = ContextVar("netops_trace_step", default=None)


def new_trace_id() -> str:
    return f"trace-{uuid.uuid4()}"


class Tracer:
    """Collects the steps of one trace. `parent_step_id` is where this process's root steps hang
    (the caller's step when the trace was continued from another agent)."""

    __slots__ = ("_local", "_steps", "config", "parent_step_id", "trace_id")

    def __init__(
        self,
        trace_id: str | None = None,
        parent_step_id: str | None = None,
        config: TraceConfig | None = None,
    ) -> None:
        self.trace_id = trace_id or new_trace_id()
        self.parent_step_id = parent_step_id
        self.config = config or DEFAULT_CONFIG
        self._steps: dict[str, StepRecord] = {}
        self._local: set[str] = set()

    def add(self, record: StepRecord) -> None:
        """Record a step of this process (called when the step starts)."""
        self._steps[record.step_id] = record
        self._local.add(record.step_id)

    def merge(self, remote: ResponseTrace | Iterable[StepRecord], under: str | None) -> int:
        """Add a called agent's steps; steps whose parent is unknown here hang under `under`.

        Re-merging a later snapshot of the same agent replaces the earlier records by
        step_id, so nothing is counted twice; our own steps are never overwritten by an echo.
        Returns how many steps were added or updated.
        """
        steps = remote.steps if isinstance(remote, ResponseTrace) else list(remote)
        incoming = {s.step_id for s in steps if s.step_id}
        changed = 0
        for step in steps:
            if not step.step_id or step.step_id in self._local:
                continue
            step.trace_id = self.trace_id
            parent = step.parent_step_id
            if under is not None and parent != under and parent not in incoming and parent not in self._steps:
                step.parent_step_id = under
            self._steps[step.step_id] = step
            changed += 1
        return changed

    @property
    def steps(self) -> list[StepRecord]:
        return list(self._steps.values())

    def local_steps(self) -> list[StepRecord]:
        return [s for s in self._steps.values() if s.step_id in self._local]

    def trace(self) -> ResponseTrace:
        """A snapshot that later changes to the running steps do not alter."""
        return ResponseTrace(self.trace_id, [s.copy() for s in self._steps.values()])

    def finish(self) -> None:
        """Hand this process's steps to the configured exporter; an exporter failure is logged, not raised."""
        hook = self.config.on_finish
        if hook is None:
            return
        try:
            hook(ResponseTrace(self.trace_id, [s.copy() for s in self.local_steps()]))
        except Exception:
            logger.exception("trace export failed for %s; the request itself is unaffected", self.trace_id)


@contextlib.contextmanager
def start_trace(
    trace_id: str | None = None,
    parent_step_id: str | None = None,
    *,
    config: TraceConfig | None = None,
) -> Iterator[Tracer]:
    """Make a new tracer current; pass `trace_id`/`parent_step_id` to continue a caller's trace."""
    tracer = Tracer(trace_id, parent_step_id, config)
    token = CURRENT_TRACER.set(tracer)
    step_token = CURRENT_STEP.set(None)
    try:
        yield tracer
    finally:
        _reset(CURRENT_STEP, step_token, None)
        _reset(CURRENT_TRACER, token, None)
        tracer.finish()


def current_tracer() -> Tracer | None:
    return CURRENT_TRACER.get()


def current_step() -> TraceStep | None:
    """The innermost running step in this context (task, thread or coroutine chain)."""
    return CURRENT_STEP.get()


def _reset(var: ContextVar, token: object, fallback: object) -> None:
    """Reset a contextvar; a token from another context (an async generator finalised elsewhere)
    cannot be used there, so fall back to setting the value explicitly."""
    try:
        var.reset(token)  # type: ignore[arg-type]
    except ValueError:
        var.set(fallback)
