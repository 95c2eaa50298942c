"""`TraceStep` (sync and async context manager) and the `traced` decorator.

Unlike the public sample, a failing block keeps its own exception (the step records the type
and message and re-raises the original), zero costs and tokens stay zero, and an `end_step`
called inside the block is final: exit does not overwrite its end time. The step is cheap on
purpose (see bench/bench_trace.py): slots, no copies, clocks read once each.
"""

from __future__ import annotations

import functools
import inspect
import time
import traceback as traceback_module
from collections.abc import Callable
from random import getrandbits
from types import TracebackType
from typing import Any, TypeVar

from agents.traceability.model import PROVIDER_ATTRIBUTE, CallType, StepRecord
from agents.traceability.tracer import CURRENT_STEP, CURRENT_TRACER, Tracer, _reset

F = TypeVar("F", bound=Callable[..., Any])

_perf_ns = time.perf_counter_ns
_now = time.time


class TraceStep:
    """One timed unit of work. Nested steps find their parent through a contextvar.

    Outside any `start_trace`, a step with no parent starts a trace of its own (reachable as
    `step.tracer`), so the outermost HOST step of a request needs no extra setup.
    `activate=False` records the step without making it the current one: for steps held open
    across the yields of an async generator, whose body runs in the consumer's context.
    """

    __slots__ = (
        "_activate",
        "_call_type",
        "_direct_cost",
        "_ended",
        "_name",
        "_owns_tracer",
        "_parameters",
        "_parent_step_id",
        "_prev_step",
        "_step_token",
        "_t0",
        "_tracer_token",
        "record",
        "tracer",
    )

    def __init__(
        self,
        name: str,
        call_type: CallType = CallType.TOOL,
        parameters: dict[str, Any] | None = None,
        *,
        parent_step_id: str | None = None,
        tracer: Tracer | None = None,
        activate: bool = True,
    ) -> None:
        self._activate = activate
        self._name = name
        self._call_type = call_type
        self._parameters = parameters
        self._parent_step_id = parent_step_id
        self.tracer = tracer
        self.record: StepRecord | None = None
        self._ended = False
        self._direct_cost = False
        self._owns_tracer = False

    # --- lifecycle -------------------------------------------------------------------------

    def __enter__(self) -> TraceStep:
        parent = CURRENT_STEP.get()
        tracer = self.tracer or CURRENT_TRACER.get()
        if tracer is None:
            tracer = (parent.tracer if parent is not None else None) or Tracer(parent_step_id=self._parent_step_id)
            if parent is None:
                self._owns_tracer = True
                if self._activate:
                    self._tracer_token = CURRENT_TRACER.set(tracer)
        self.tracer = tracer
        parent_id = self._parent_step_id
        if parent_id is None:
            parent_id = (
                parent.record.step_id if parent is not None and parent.tracer is tracer else tracer.parent_step_id
            )
        record = StepRecord(
            f"step-{getrandbits(64):016x}",
            tracer.trace_id,
            parent_id,
            self._call_type,
            self._name,
            self._parameters,
            _now(),
        )
        self.record = record
        tracer.add(record)
        self._prev_step = parent
        if self._activate:
            self._step_token = CURRENT_STEP.set(self)
        self._t0 = _perf_ns()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if not self._ended:
            self._finish()
        if exc is not None:
            self._record_exception(exc)
        if self._activate:
            _reset(CURRENT_STEP, self._step_token, self._prev_step)
        self._prev_step = None
        if self._owns_tracer:
            if self._activate:
                _reset(CURRENT_TRACER, self._tracer_token, None)
            self.tracer.finish()  # type: ignore[union-attr]
        # Returning None lets the original exception propagate unchanged.

    async def __aenter__(self) -> TraceStep:
        return self.__enter__()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.__exit__(exc_type, exc, tb)

    def _finish(self) -> None:
        elapsed = _perf_ns() - self._t0
        record = self.record
        record.latency_ms = elapsed / 1e6
        record.end_time = record.start_time + elapsed / 1e9
        self._ended = True

    def _record_exception(self, exc: BaseException) -> None:
        record = self.record
        if record.error is not None:
            return  # the block's own end_step(error=...) said it better
        if not isinstance(exc, Exception):
            # Cancellation and interpreter exits are not failures of this step.
            record.additional_attributes["interrupted"] = type(exc).__name__
            return
        record.error_type = type(exc).__name__
        record.error = _describe(exc)
        if self.tracer is not None and self.tracer.config.tracebacks:
            record.traceback = "".join(traceback_module.format_exception(exc))

    # --- what the block reports ------------------------------------------------------------

    @property
    def step_id(self) -> str:
        return self._require().step_id

    @property
    def trace_id(self) -> str | None:
        return self._require().trace_id

    def record_usage(
        self,
        model: str | None = None,
        input_tokens: int | None = None,
        output_tokens: int | None = None,
        total_tokens: int | None = None,
        provider: str | None = None,
    ) -> None:
        """Record an LLM call's usage; the price table turns it into cost unless a cost was reported.

        `provider` ("aws.bedrock", "openai", ...) is OpenTelemetry's required `gen_ai.provider.name`.
        """
        record = self._require()
        if provider is not None:
            record.additional_attributes[PROVIDER_ATTRIBUTE] = provider
        if model is not None:
            record.model = model
        if input_tokens is not None:
            record.input_tokens = int(input_tokens)
        if output_tokens is not None:
            record.output_tokens = int(output_tokens)
        if total_tokens is not None:
            record.total_tokens = int(total_tokens)
        if self._direct_cost:
            return
        prices = self.tracer.config.prices  # type: ignore[union-attr]
        cost = prices.cost(record.model, record.input_tokens, record.output_tokens)
        record.cost = cost
        if cost is None and record.model:
            record.additional_attributes["cost_note"] = f"no price known for model {record.model}"
        else:
            record.additional_attributes.pop("cost_note", None)

    def record_cost(self, usd: float) -> None:
        """Record a cost reported directly (USD); it wins over the price table."""
        self._require().cost = float(usd)
        self._direct_cost = True
        self.record.additional_attributes.pop("cost_note", None)  # type: ignore[union-attr]

    def set_attribute(self, key: str, value: Any) -> None:
        self._require().additional_attributes[key] = value

    def end_step(
        self,
        error: BaseException | str | None = None,
        cost: float | None = None,
        total_tokens: int | None = None,
        additional_attributes: dict[str, Any] | None = None,
    ) -> None:
        """End the step now (exit will not move its end time); zero cost and tokens are kept."""
        record = self._require()
        if not self._ended:
            self._finish()
        if cost is not None:
            self.record_cost(cost)
        if total_tokens is not None:
            record.total_tokens = int(total_tokens)
        if additional_attributes:
            record.additional_attributes.update(additional_attributes)
        if isinstance(error, BaseException):
            record.error = None
            self._record_exception(error)
        elif error is not None:
            record.error = str(error)

    def _require(self) -> StepRecord:
        if self.record is None:
            raise RuntimeError("TraceStep used before it was entered; use it as `with TraceStep(...) as step:`")
        return self.record


def _describe(exc: BaseException) -> str:
    message = str(exc)
    return f"{type(exc).__name__}: {message}" if message else type(exc).__name__


def traced(
    name: str | None = None,
    call_type: CallType = CallType.TOOL,
    *,
    record_args: bool = True,
) -> Callable[[F], F]:
    """Run each call of a function or coroutine function inside a step named after it.

    With `record_args`, the call's arguments (minus `self`/`cls`) become the step's
    parameters; secrets among them are masked when the trace is exported, not here.
    """

    def decorate(func: F) -> F:
        step_name = name or func.__qualname__
        signature = inspect.signature(func) if record_args else None

        def parameters(args: tuple, kwargs: dict) -> dict[str, Any] | None:
            if signature is None:
                return None
            try:
                bound = signature.bind_partial(*args, **kwargs)
            except TypeError:
                return None
            return {k: _plain(v) for k, v in bound.arguments.items() if k not in ("self", "cls")}

        if inspect.iscoroutinefunction(func):

            @functools.wraps(func)
            async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
                async with TraceStep(step_name, call_type, parameters(args, kwargs)):
                    return await func(*args, **kwargs)

            return async_wrapper  # type: ignore[return-value]

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            with TraceStep(step_name, call_type, parameters(args, kwargs)):
                return func(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorate


def _plain(value: Any) -> Any:
    """Arguments as JSON-friendly values, so a trace can always be serialised."""
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value[:50]]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in list(value.items())[:50]}
    text = repr(value)
    return text if len(text) <= 200 else text[:197] + "..."
