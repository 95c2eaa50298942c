"""Carrying a trace across A2A hops with a2a-sdk 1.3 (the seed's integration patterns 4 and 5).

Client side, `traced_send_message` wraps `client.send_message`: it runs the call inside an
AGENT step, requests the extension with the `A2A-Extensions` header, sends the trace id and
its step id in the message metadata, and merges the called agent's steps (found in artifact,
final-status, task or message metadata) under that step as they arrive.

Server side, `TracingAgentExecutor` wraps any `AgentExecutor`: it continues the caller's
trace, runs the inner executor inside an AGENT step, and, when the caller asked for the
extension (`A2A-Extensions`, or the older `X-A2A-Extensions`), writes the steps into the
metadata of every artifact and of the message or status that ends the turn. An inner
executor that raises after creating its task still ends the turn FAILED with its trace, so
the caller sees which step failed instead of a bare error.
"""

from __future__ import annotations

import logging
import traceback
import uuid
from collections.abc import AsyncIterator
from typing import Any

from a2a.client import Client, ClientCallContext
from a2a.client.service_parameters import ServiceParametersFactory, with_a2a_extensions
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.types import (
    AgentExtension,
    Artifact,
    Message,
    Part,
    Role,
    SendMessageRequest,
    StreamResponse,
    Task,
    TaskArtifactUpdateEvent,
    TaskState,
    TaskStatus,
    TaskStatusUpdateEvent,
)
from a2a.utils.errors import A2AError

from agents.traceability.config import TraceConfig
from agents.traceability.metadata import (
    export_trace,
    trace_from_metadata,
    trace_request_from_metadata,
    trace_request_metadata,
)
from agents.traceability.model import (
    SPAN_KIND_ATTRIBUTE,
    TRACE_EXTENSION_URI,
    TRACE_METADATA_KEY,
    CallType,
    ResponseTrace,
)
from agents.traceability.redaction import redact_text
from agents.traceability.step import TraceStep
from agents.traceability.tracer import Tracer, start_trace

__all__ = [
    "TracingAgentExecutor",
    "trace_agent_extension",
    "trace_from_metadata",
    "trace_from_stream_response",
    "traced_send_message",
]

logger = logging.getLogger(__name__)

LEGACY_EXTENSIONS_HEADER = "x-a2a-extensions"

# States that end a turn: the caller stops reading after one of these.
TURN_ENDING_STATES = frozenset(
    {
        TaskState.TASK_STATE_COMPLETED,
        TaskState.TASK_STATE_FAILED,
        TaskState.TASK_STATE_CANCELED,
        TaskState.TASK_STATE_REJECTED,
        TaskState.TASK_STATE_INPUT_REQUIRED,
        TaskState.TASK_STATE_AUTH_REQUIRED,
    }
)
_FAILED_STATES = frozenset({TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_REJECTED})


def trace_agent_extension() -> AgentExtension:
    """The entry for an agent card's `capabilities.extensions`, declaring that the agent traces."""
    return AgentExtension(
        uri=TRACE_EXTENSION_URI,
        description="Returns the agent's trace (steps, latency, tokens, cost, errors) in artifact and status metadata.",
        required=False,
    )


# --- client side ---------------------------------------------------------------------------


def trace_from_stream_response(response: StreamResponse) -> ResponseTrace | None:
    """The trace a called agent put into one streamed event, or None."""
    kind = response.WhichOneof("payload")
    if kind == "artifact_update":
        return trace_from_metadata(response.artifact_update.artifact.metadata) or trace_from_metadata(
            response.artifact_update.metadata
        )
    if kind == "status_update":
        update = response.status_update
        return trace_from_metadata(update.metadata) or trace_from_metadata(update.status.message.metadata)
    if kind == "task":
        task = response.task
        found = trace_from_metadata(task.metadata) or trace_from_metadata(task.status.message.metadata)
        if found is None:
            for artifact in reversed(task.artifacts):
                found = trace_from_metadata(artifact.metadata)
                if found is not None:
                    break
        return found
    if kind == "message":
        return trace_from_metadata(response.message.metadata)
    return None


def _final_state(response: StreamResponse) -> int | None:
    kind = response.WhichOneof("payload")
    if kind == "status_update":
        return response.status_update.status.state
    if kind == "task":
        return response.task.status.state
    return None


async def traced_send_message(
    client: Client,
    request: SendMessageRequest,
    *,
    context: ClientCallContext | None = None,
    agent_name: str | None = None,
) -> AsyncIterator[StreamResponse]:
    """`client.send_message` inside an AGENT step, with the trace propagated and merged back.

    The step is not made the current step: this is an async generator, whose body runs in
    the consumer's context between yields, so steps the consumer opens while iterating stay
    under the consumer's own step. The merged trace is in the current tracer
    (`current_tracer()`, or the caller's `step.tracer`).
    """
    name = agent_name or "agent"
    step = TraceStep(f"call {name}", CallType.AGENT, {"agent": name}, activate=False)
    step.__enter__()
    step.set_attribute(SPAN_KIND_ATTRIBUTE, "client")
    logger.info("calling %s over A2A", name)
    error: BaseException | None = None
    try:
        outgoing = SendMessageRequest()
        outgoing.CopyFrom(request)
        outgoing.message.metadata.update(trace_request_metadata(step.trace_id or "", step.step_id))
        call_context = _with_trace_extension(context)
        tracer = step.tracer
        async for response in client.send_message(outgoing, context=call_context):
            remote = trace_from_stream_response(response)
            if remote is not None and tracer is not None:
                tracer.merge(remote, under=step.step_id)
            state = _final_state(response)
            if state is not None:
                step.set_attribute("a2a.state", TaskState.Name(state))
                if state in _FAILED_STATES and step.record is not None and step.record.error is None:
                    step.record.error = f"{name} ended the task {TaskState.Name(state)}"
            yield response
    except BaseException as exc:
        error = exc
        raise
    finally:
        step.__exit__(type(error) if error else None, error, None)


def _with_trace_extension(context: ClientCallContext | None) -> ClientCallContext:
    context = context or ClientCallContext()
    parameters = ServiceParametersFactory.create_from(
        context.service_parameters, [with_a2a_extensions([TRACE_EXTENSION_URI])]
    )
    return context.model_copy(update={"service_parameters": parameters})


# --- server side ---------------------------------------------------------------------------


def extension_requested(context: RequestContext) -> bool:
    """Whether the caller asked for the trace (`A2A-Extensions`, or the v0.3 `X-A2A-Extensions`)."""
    if TRACE_EXTENSION_URI in context.requested_extensions:
        return True
    headers = context.call_context.state.get("headers") or {}
    legacy = headers.get(LEGACY_EXTENSIONS_HEADER) or ""
    return TRACE_EXTENSION_URI in {item.strip() for item in legacy.split(",")}


class TracingAgentExecutor(AgentExecutor):
    """Wraps an agent executor so that each request is one AGENT step of the caller's trace."""

    def __init__(self, inner: AgentExecutor, *, name: str | None = None, config: TraceConfig | None = None) -> None:
        self._inner = inner
        self._name = name or type(inner).__name__
        self._config = config

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        await self._run(context, event_queue, cancel=False)

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        await self._run(context, event_queue, cancel=True)

    async def _run(self, context: RequestContext, event_queue: EventQueue, *, cancel: bool) -> None:
        trace_id, parent_step_id = trace_request_from_metadata(context.message.metadata if context.message else None)
        if trace_id is None:  # some clients put extension data on the request rather than the message
            trace_id, parent_step_id = trace_request_from_metadata(context.metadata)
        attach = extension_requested(context)
        with start_trace(trace_id, parent_step_id, config=self._config) as tracer:
            async with TraceStep(f"{self._name}.cancel" if cancel else self._name, CallType.AGENT) as step:
                step.set_attribute(SPAN_KIND_ATTRIBUTE, "server")
                logger.info("%s: turn started for task %s", self._name, context.task_id)
                if context.task_id:
                    step.set_attribute("a2a.task_id", context.task_id)
                queue = _TracingQueue(event_queue, context, tracer, step, attach=attach, config=self._config)
                run = self._inner.cancel if cancel else self._inner.execute
                try:
                    await run(context, queue)
                except Exception as exc:
                    if queue.turn_ended or cancel:
                        raise
                    logger.error(
                        "agent %s failed on task %s:\n%s",
                        self._name,
                        context.task_id,
                        redact_text("".join(traceback.format_exception(exc))),
                    )
                    step.end_step(error=exc)
                    await queue.fail(context, exc)


class _TracingQueue(EventQueue):
    """Writes the current trace into what the inner executor enqueues, then passes it on."""

    def __init__(
        self,
        inner: EventQueue,
        context: RequestContext,
        tracer: Tracer,
        step: TraceStep,
        *,
        attach: bool,
        config: TraceConfig | None,
    ) -> None:
        self._inner = inner
        self._tracer = tracer
        self._step = step
        self._attach = attach
        self._config = config
        self.task_created = context.current_task is not None
        self.turn_ended = False

    async def enqueue_event(self, event: Any) -> None:
        if isinstance(event, TaskArtifactUpdateEvent):
            self._write(event.artifact.metadata, event.artifact)
        elif isinstance(event, TaskStatusUpdateEvent):
            if event.status.state in TURN_ENDING_STATES:
                self._end_turn(event.status)
                self._write(event.metadata)
        elif isinstance(event, Task):
            self.task_created = True
            if event.status.state in TURN_ENDING_STATES:
                self._end_turn(event.status)
                self._write(event.metadata)
        elif isinstance(event, Message):
            self.turn_ended = True
            self._step.end_step()
            self._write(event.metadata, event)
        await self._inner.enqueue_event(event)

    def __getattr__(self, name: str) -> Any:
        # Anything beyond enqueue_event (is_closed, close, ...) is the framework's queue's business.
        return getattr(self._inner, name)

    def _end_turn(self, status: TaskStatus) -> None:
        """The AGENT step ends with the turn, so the trace sent with it is complete."""
        self.turn_ended = True
        self._step.end_step()
        self._step.set_attribute("a2a.state", TaskState.Name(status.state))
        record = self._step.record
        if status.state in _FAILED_STATES and record is not None and record.error is None:
            text = " ".join(p.text for p in status.message.parts if p.text)
            record.error = f"task {TaskState.Name(status.state)}" + (f": {text}" if text else "")

    def _write(self, metadata: Any, carrier: Artifact | Message | None = None) -> None:
        if not self._attach:
            return
        metadata.update({TRACE_METADATA_KEY: export_trace(self._tracer.trace(), self._config)})
        if carrier is not None and TRACE_EXTENSION_URI not in carrier.extensions:
            carrier.extensions.append(TRACE_EXTENSION_URI)

    async def fail(self, context: RequestContext, exc: Exception) -> None:
        """End the turn FAILED with a one-sentence reason and the trace that shows where; a task
        the inner executor never created is created FAILED, so the caller still gets both."""
        reason = redact_text(f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__)
        message = Message(
            message_id=str(uuid.uuid4()),
            role=Role.ROLE_AGENT,
            parts=[Part(text=f"The agent failed ({reason}); see the trace's failing step, or the agent's log.")],
        )
        task_id = context.task_id or ""
        context_id = (context.current_task.context_id if context.current_task else context.context_id) or ""
        status = TaskStatus(state=TaskState.TASK_STATE_FAILED, message=message)
        event: Task | TaskStatusUpdateEvent
        if self.task_created:
            event = TaskStatusUpdateEvent(task_id=task_id, context_id=context_id, status=status)
        else:
            history = [context.message] if context.message else []
            event = Task(id=task_id, context_id=context_id, status=status, history=history)
        try:
            await self.enqueue_event(event)
        except A2AError:
            logger.exception("could not report the failure of task %s", context.task_id)
