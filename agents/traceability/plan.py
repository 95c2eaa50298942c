"""Steps planned in order, so that when one fails the ones after it show as skipped, not as missing.

The traceability article's error path: a failure upstream leaves the downstream steps "skipped
due to upstream failure". A trace holds only what ran, so without a plan a reader cannot tell a
step that was never needed from one that was cut off; `StepPlan` records the cut-off ones, each
naming the step whose failure stopped it.

    with StepPlan(["approval.redeem", "fix_retransmissions"]) as plan:
        with plan.step("approval.redeem", parameters=...): ...
        with plan.step("fix_retransmissions"): ...
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from random import getrandbits
from types import TracebackType
from typing import Any

from agents.traceability.model import SKIPPED_STEP_TYPE, CallType, StepRecord
from agents.traceability.step import TraceStep
from agents.traceability.tracer import current_step, current_tracer

SKIPPED_BECAUSE = "skipped_because"


class StepPlan:
    def __init__(self, names: Sequence[str], call_type: CallType = CallType.TOOL) -> None:
        self._names = list(names)
        self._call_type = call_type
        self._started: list[TraceStep] = []

    def __enter__(self) -> StepPlan:
        parent = current_step()
        self._tracer = parent.tracer if parent is not None else current_tracer()
        self._parent_id = parent.step_id if parent is not None else None
        return self

    def step(self, name: str, parameters: dict[str, Any] | None = None) -> TraceStep:
        """The TraceStep of one planned step (use it as usual: `with plan.step(...)`)."""
        step = TraceStep(name, self._call_type, parameters)
        self._started.append(step)
        return step

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        failed = next((s for s in self._started if s.record is not None and s.record.error is not None), None)
        if failed is None or self._tracer is None:
            return  # nothing failed: a step left out was left out on purpose
        ran = {s.record.name for s in self._started if s.record is not None}
        cause = failed.record.name if failed.record is not None else "?"
        now = time.time()
        for name in self._names:
            if name in ran:
                continue
            record = StepRecord(
                f"step-{getrandbits(64):016x}", self._tracer.trace_id, self._parent_id, self._call_type, name, None, now
            )
            record.step_type = SKIPPED_STEP_TYPE
            record.end_time = now
            record.latency_ms = 0.0
            record.additional_attributes[SKIPPED_BECAUSE] = cause
            self._tracer.add(record)
