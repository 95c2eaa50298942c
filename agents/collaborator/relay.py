"""Asking the chosen agent and passing its events on as ours.

Its status updates are relayed as they arrive, its artifacts unchanged (only the task and context
ids become ours), its INPUT_REQUIRED too. What its events tell the conversation (its remote
context and task, a question it is waiting on, its last diagnosis) is noted in the turn's
conversation, so a follow-up from the same thread lands in the same remote conversation.
"""

from __future__ import annotations

import logging
import time

from a2a.types import (
    Message,
    StreamResponse,
    TaskArtifactUpdateEvent,
    TaskState,
    TaskStatusUpdateEvent,
)
from google.protobuf.json_format import MessageToDict
from google.protobuf.struct_pb2 import Struct

from agents.collaborator.discovery import Discovery
from agents.collaborator.forwarding import (
    Forwarder,
    describe_failure,
    ends_turn,
    is_connection_failure,
    outbound_message,
)
from agents.collaborator.last_answer import diagnosis_of, with_scope
from agents.collaborator.selection import Agent
from agents.collaborator.turn import Turn
from agents.i18n import tr
from agents.traceability import TRACE_METADATA_KEY, current_tracer
from agents.traceability.a2a import TURN_ENDING_STATES

log = logging.getLogger("agents.collaborator.executor")  # the name these log lines have always had

_WAITS_FOR_CALLER = {TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED}
_FAILED = {TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED}


class Relay:
    def __init__(self, forwarder: Forwarder, discovery: Discovery) -> None:
        self._forwarder = forwarder
        self._discovery = discovery

    async def forward(self, turn: Turn, agent: Agent, message: Message, text: str | None) -> None:
        """Send the caller's message (or `text` in its place) to `agent` and relay what comes back."""
        conv = turn.conversation
        resume = conv.pending_task if conv.pending_agent == agent.url else None
        outbound = outbound_message(
            message, text=text, remote_context_id=conv.remote_contexts.get(agent.url), remote_task_id=resume
        )
        if turn.scope is not None:
            with_scope(outbound, turn.scope)
        conv.pending_agent = conv.pending_task = None
        final: StreamResponse | None = None
        try:
            async for event in self._forwarder.send(agent, outbound):
                if final is None and ends_turn(event):
                    final = event  # relayed once the stream closes, so the call's trace step has ended
                    _note(turn, agent, event)
                elif final is None:
                    await _relay(turn, agent, event)
        except Exception as exc:
            sentence = describe_failure(agent.name, exc, language=turn.language)
            blame_call_step(agent, sentence)
            if is_connection_failure(exc):
                await self._discovery.mark_down(agent.url, sentence)
            log.warning("forwarding to %s failed: %r", agent.url, exc)
            await turn.fail(sentence)
            return
        if final is not None:
            await _relay(turn, agent, final)
            return
        sentence = tr(
            turn.language, "{name} ended its answer without finishing the task; check its logs.", name=agent.name
        )
        blame_call_step(agent, sentence)
        await turn.fail(sentence)


def _note(turn: Turn, agent: Agent, event: StreamResponse) -> None:
    """What a remote event tells the conversation: the remote context and task, a pending question."""
    kind = event.WhichOneof("payload")
    conv = turn.conversation
    if kind == "task":
        conv.remote_contexts[agent.url] = event.task.context_id
        turn.remote_task_id = event.task.id
    elif kind == "message" and event.message.context_id:
        conv.remote_contexts[agent.url] = event.message.context_id
    state = None
    if kind == "task":
        state = event.task.status.state
    elif kind == "status_update":
        state = event.status_update.status.state
    if state in _WAITS_FOR_CALLER:
        conv.pending_agent, conv.pending_task = agent.url, turn.remote_task_id


async def _relay(turn: Turn, agent: Agent, event: StreamResponse) -> None:
    """Pass one remote event on, re-addressed to our task."""
    kind = event.WhichOneof("payload")
    if kind == "task":
        remote = event.task
        _note(turn, agent, event)
        if remote.status.state in TURN_ENDING_STATES:
            for artifact in remote.artifacts:  # a non-streaming agent answers with the finished task
                await _artifact(turn, TaskArtifactUpdateEvent(artifact=artifact))
            await _status(turn, agent, TaskStatusUpdateEvent(status=remote.status))
    elif kind == "artifact_update":
        await _artifact(turn, event.artifact_update)
    elif kind == "status_update":
        await _status(turn, agent, event.status_update)
    elif kind == "message":
        await turn.updater.complete(turn.rewrap(event.message))


async def _artifact(turn: Turn, update: TaskArtifactUpdateEvent) -> None:
    diagnosis = diagnosis_of(update.artifact)
    if diagnosis is not None and turn.agent is not None:
        conv = turn.conversation
        conv.last_answer, conv.last_agent, conv.answered_at = diagnosis, turn.agent.url, time.time()
    relayed = TaskArtifactUpdateEvent()
    relayed.CopyFrom(update)
    relayed.task_id, relayed.context_id = turn.task.id, turn.task.context_id
    await turn.queue.enqueue_event(relayed)


async def _status(turn: Turn, agent: Agent, update: TaskStatusUpdateEvent) -> None:
    state = update.status.state
    message = turn.rewrap(update.status.message) if update.status.HasField("message") else None
    metadata = None
    if update.HasField("metadata"):
        kept = Struct()
        kept.CopyFrom(update.metadata)
        if TRACE_METADATA_KEY in kept:  # already merged into our trace, which the tracing wrapper writes
            del kept[TRACE_METADATA_KEY]
        metadata = MessageToDict(kept) or None
    if state in _FAILED:
        said = _text_of(message) or tr(turn.language, "no reason given")
        message = turn.text(tr(turn.language, "{name} could not answer: {reason}", name=agent.name, reason=said))
    elif state not in TURN_ENDING_STATES:
        state = TaskState.TASK_STATE_WORKING
    if turn.read_together and state in TURN_ENDING_STATES:
        metadata = {**(metadata or {}), "netops": {"read_together": turn.read_together}}
    await turn.updater.update_status(state, message, metadata=metadata)


def blame_call_step(agent: Agent, sentence: str) -> None:
    """Put the failure sentence on the traced call's AGENT step, so the trace's failing step says it."""
    tracer = current_tracer()
    if tracer is None:
        return
    name = f"call {agent.name}"
    for record in reversed(tracer.local_steps()):
        if record.name == name:
            record.error = sentence
            return


def _text_of(message: Message | None) -> str:
    if message is None:
        return ""
    return " ".join(part.text for part in message.parts if part.HasField("text")).strip()
