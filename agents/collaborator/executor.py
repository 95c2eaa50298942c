"""One turn of the collaborator: discover, select, forward, relay the remote agent's events.

The remote agent's status updates are relayed as they arrive, its artifacts unchanged (only
the task and context ids become ours), its INPUT_REQUIRED too. Per collaborator context, the
remote context of each agent is kept in Redis, so a follow-up from the same Slack thread lands in
the same remote conversation; a reply to an agent's question goes back to that agent and task.
"""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from dataclasses import dataclass
from typing import Any

from a2a.helpers.proto_helpers import new_data_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import (
    CancelTaskRequest,
    Message,
    Part,
    Role,
    StreamResponse,
    Task,
    TaskArtifactUpdateEvent,
    TaskState,
    TaskStatus,
    TaskStatusUpdateEvent,
)
from a2a.utils.errors import A2AError
from google.protobuf.json_format import MessageToDict
from google.protobuf.struct_pb2 import Struct

from agents.collaborator.discovery import AgentStatus, Discovery
from agents.collaborator.followup_answer import followup_answer
from agents.collaborator.forwarding import (
    Forwarder,
    describe_failure,
    ends_turn,
    is_connection_failure,
    outbound_message,
)
from agents.collaborator.fresh_ids import FreshContextIds
from agents.collaborator.keyed_lock import KeyedLock
from agents.collaborator.last_answer import diagnosis_of, with_scope
from agents.collaborator.llm_router import LlmRouter
from agents.collaborator.registry import Registry
from agents.collaborator.replies import Reading, read_reply
from agents.collaborator.requests import Request, read_request
from agents.collaborator.selection import Agent, Decision, decide
from agents.collaborator.store import Conversation, RedisStore
from agents.i18n import detect_language, tr
from agents.traceability import TRACE_METADATA_KEY, CallType, TraceStep, current_step, current_tracer
from agents.traceability.a2a import TURN_ENDING_STATES

log = logging.getLogger(__name__)

_WAITS_FOR_CALLER = {TaskState.TASK_STATE_INPUT_REQUIRED, TaskState.TASK_STATE_AUTH_REQUIRED}
_MAX_CLARIFYING = 2000  # characters of an unanswered question kept while asking back
_FAILED = {TaskState.TASK_STATE_FAILED, TaskState.TASK_STATE_CANCELED, TaskState.TASK_STATE_REJECTED}


@dataclass(frozen=True)
class RoutingConfig:
    min_score: float
    tie_ratio: float
    deadline_s: float


@dataclass
class _Turn:
    """The state of one turn: our task, the conversation, and who is being asked."""

    task: Task
    updater: TaskUpdater
    queue: EventQueue
    conversation: Conversation
    agent: Agent | None = None
    remote_task_id: str | None = None
    scope: dict[str, Any] | None = None  # carried from the last answer into metadata["netops"]["scope"]
    read_together: str | None = None  # the earlier question read with this one, told in the final status
    language: str = "en"  # the asker's, for the sentences the collaborator itself says


class CollaboratorExecutor(AgentExecutor):
    def __init__(
        self,
        registry: Registry,
        discovery: Discovery,
        forwarder: Forwarder,
        store: RedisStore,
        config: RoutingConfig,
        llm: LlmRouter | None = None,
    ) -> None:
        self._llm = llm
        self._registry = registry
        self._discovery = discovery
        self._forwarder = forwarder
        self._store = store
        self._config = config
        self._running: dict[str, _Turn] = {}
        self._conversations = KeyedLock()
        self._saves: dict[str, asyncio.Task[None]] = {}  # context id -> its last turn's save, while running
        self.fresh_ids = FreshContextIds()  # give it to the request context builder

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task
        if task is None:
            task = Task(
                id=context.task_id,
                context_id=context.context_id,
                status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED),
                history=[context.message],
            )
            await event_queue.enqueue_event(task)
        # design.md: on a task-only follow-up RequestContext.context_id is a fresh UUID; the task's is right.
        updater = TaskUpdater(event_queue, task.id, task.context_id)
        turn = _Turn(task, updater, event_queue, Conversation())
        self._running[task.id] = turn
        try:
            async with asyncio.timeout(self._config.deadline_s), self._conversations.hold(task.context_id):
                # Turns of one conversation run one at a time here. Each turn's save runs in the
                # background: the SDK ends the caller's stream only when execute() returns, so an
                # awaited save would hold every answer back by a Redis round trip. The next turn
                # of the conversation waits for it before reading.
                try:
                    earlier = self._saves.get(task.context_id)
                    if earlier is not None:
                        await asyncio.shield(earlier)
                    if not self.fresh_ids.claim(task.context_id):
                        turn.conversation = await self._store.load_conversation(task.context_id)
                    await self._run(turn, context.message)
                finally:
                    self._save_in_background(task.context_id, turn.conversation)
        except TimeoutError as exc:
            name = turn.agent.name if turn.agent else "The collaborator"
            sentence = describe_failure(name, exc, deadline_s=self._config.deadline_s, language=turn.language)
            if turn.agent is not None:
                _blame_call_step(turn.agent, sentence)
            await self._fail(turn, sentence)
        finally:
            self._running.pop(task.id, None)

    def _save_in_background(self, context_id: str, conversation: Conversation) -> None:
        saving = asyncio.create_task(self._save(context_id, conversation))
        self._saves[context_id] = saving

        def forget(done: asyncio.Task[None]) -> None:
            if self._saves.get(context_id) is done:
                del self._saves[context_id]

        saving.add_done_callback(forget)

    async def _save(self, context_id: str, conversation: Conversation) -> None:
        try:
            await self._store.save_conversation(context_id, conversation)
        except Exception as exc:  # the answer has gone out; a lost save only loses the follow-up's context
            log.warning("could not save conversation state to Redis (%r); a follow-up will start afresh", exc)

    async def drain(self, timeout_s: float = 5.0) -> None:
        """Wait for the conversation saves still running (at shutdown, before Redis is closed).

        Bounded, so a Redis that stopped answering cannot hold the shutdown up.
        """
        saves = list(self._saves.values())
        if not saves:
            return
        _, pending = await asyncio.wait(saves, timeout=timeout_s)
        if pending:
            log.warning("%d conversation saves did not finish within %g s of shutdown", len(pending), timeout_s)

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        turn = self._running.get(context.task_id or "")
        if turn is not None and turn.agent is not None and turn.remote_task_id:
            try:
                await self._forwarder.client(turn.agent).cancel_task(CancelTaskRequest(id=turn.remote_task_id))
            except (A2AError, OSError) as exc:
                log.warning("could not cancel %s's task: %s", turn.agent.name, exc)
        task = context.current_task
        if task is not None:
            await TaskUpdater(event_queue, task.id, task.context_id).cancel()

    async def _run(self, turn: _Turn, message: Message) -> None:
        request = read_request(message)
        turn.language = detect_language(request.text)
        if request.problem:
            await turn.updater.update_status(TaskState.TASK_STATE_REJECTED, self._text(turn, request.problem))
            return
        statuses = await self.discover()
        agents = [s.agent for s in statuses if s.agent is not None]
        unavailable = [s.error for s in statuses if s.error]
        agent, text = await self._choose(turn, request, agents, unavailable)
        if agent is None:
            return
        turn.agent = agent
        await self._forward(turn, agent, message, text)

    async def discover(self) -> list[AgentStatus]:
        urls = self._registry.urls()
        async with TraceStep("discover agents", CallType.TOOL, {"agents": len(urls)}) as step:
            statuses = await self._discovery.discover(urls)
            step.set_attribute("available", [s.agent.name for s in statuses if s.agent is not None])
            step.set_attribute("sources", {s.url: s.source for s in statuses})
            unavailable = [s.error for s in statuses if s.error]
            if unavailable:
                step.set_attribute("unavailable", unavailable)
            return statuses

    async def _choose(
        self, turn: _Turn, request: Request, agents: list[Agent], unavailable: list[str]
    ) -> tuple[Agent | None, str | None]:
        """The agent to ask and the text to send it (None: the caller's parts as they are)."""
        conv = turn.conversation
        if conv.pending_agent and not request.remediation:
            pending = next((a for a in agents if a.url == conv.pending_agent), None)
            if pending is not None:
                await self._working(turn, f"Passing your answer to {pending.name}, which asked for it.")
                return pending, None
            conv.pending_agent = conv.pending_task = None
        reading = Reading(request.text)
        if not request.remediation:
            reading = read_reply(request.text, conv, time.time(), routes_alone=lambda q: self._routes(q, agents))
        conv.clarifying = conv.clarifying_at = None  # read together now, or dropped: never carried further
        if reading.topic is not None:
            await self._answer_from_last(turn, reading)
            return None, None
        question = reading.text
        async with TraceStep("select agent", CallType.TOOL, {"remediation": request.remediation}) as step:
            decision = await self.select(question, agents, remediation=request.remediation)
            follow = _follow_up_agent(decision, reading, agents)
            step.set_attribute("scores", {c.agent.name: round(c.score, 3) for c in decision.candidates})
            step.set_attribute("decision", decision.explain())
            if reading.read_together:
                step.set_attribute("read_together", reading.read_together)
            if follow is not None:
                step.set_attribute("follow_up_to", follow.name)
            turn.scope = _carry(reading, follow or (decision.pick.agent if decision.pick else None))
            if decision.failure:
                step.end_step(error=decision.failure)
        if follow is None and decision.clarification is not None:
            conv.clarifying, conv.clarifying_at = question[-_MAX_CLARIFYING:], time.time()
            await turn.updater.requires_input(self._text(turn, _with_unavailable(decision.clarification, unavailable)))
            return None, None
        agent = follow or (decision.pick.agent if decision.pick else None)
        if agent is None:
            await self._fail(turn, _with_unavailable(decision.failure or decision.reason, unavailable))
            return None, None
        turn.read_together = reading.read_together
        status = f"Asking {decision.explain()}" if follow is None else f"Asking {agent.name} again (a follow-up)"
        if reading.read_together:
            status += f"; read together with your earlier question: {reading.read_together}"
        await self._working(turn, status)
        return agent, (question if question != request.text else None)

    def _routes(self, question: str, agents: list[Agent]) -> bool:
        """Whether the scorer alone would pick an agent for `question` (no model call)."""
        config = self._config
        return decide(question, agents, min_score=config.min_score, tie_ratio=config.tie_ratio).pick is not None

    async def _answer_from_last(self, turn: _Turn, reading: Reading) -> None:
        """Answer a question about the last answer from it: no agent is called, nothing is measured."""
        conv, language = turn.conversation, detect_language(reading.text)
        async with TraceStep("answer from the last answer", CallType.TOOL, {"topic": reading.topic}) as step:
            text, data = followup_answer(language, reading.topic or "", conv.last_answer or {}, reading.text)
            step.set_attribute("answered_at", conv.answered_at)
        parts = [Part(text=text), new_data_part(data)]
        await turn.updater.add_artifact(parts, artifact_id=str(uuid.uuid4()), name="answer")
        await turn.updater.complete()

    async def select(self, question: str, agents: list[Agent], *, remediation: bool) -> Decision:
        decision = decide(
            question,
            agents,
            min_score=self._config.min_score,
            tie_ratio=self._config.tie_ratio,
            remediation=remediation,
        )
        if self._llm is not None and not remediation:
            decision = await self._llm.choose(question, agents, decision)
        return decision

    async def _forward(self, turn: _Turn, agent: Agent, message: Message, text: str | None) -> None:
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
                    self._note(turn, agent, event)
                elif final is None:
                    await self._relay(turn, agent, event)
        except Exception as exc:
            sentence = describe_failure(agent.name, exc, language=turn.language)
            _blame_call_step(agent, sentence)
            if is_connection_failure(exc):
                await self._discovery.mark_down(agent.url, sentence)
            log.warning("forwarding to %s failed: %r", agent.url, exc)
            await self._fail(turn, sentence)
            return
        if final is not None:
            await self._relay(turn, agent, final)
            return
        sentence = tr(
            turn.language, "{name} ended its answer without finishing the task; check its logs.", name=agent.name
        )
        _blame_call_step(agent, sentence)
        await self._fail(turn, sentence)

    def _note(self, turn: _Turn, agent: Agent, event: StreamResponse) -> None:
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

    async def _relay(self, turn: _Turn, agent: Agent, event: StreamResponse) -> None:
        """Pass one remote event on, re-addressed to our task."""
        kind = event.WhichOneof("payload")
        if kind == "task":
            remote = event.task
            self._note(turn, agent, event)
            if remote.status.state in TURN_ENDING_STATES:
                for artifact in remote.artifacts:  # a non-streaming agent answers with the finished task
                    await self._artifact(turn, TaskArtifactUpdateEvent(artifact=artifact))
                await self._status(turn, agent, TaskStatusUpdateEvent(status=remote.status))
        elif kind == "artifact_update":
            await self._artifact(turn, event.artifact_update)
        elif kind == "status_update":
            await self._status(turn, agent, event.status_update)
        elif kind == "message":
            await turn.updater.complete(self._rewrap(turn, event.message))

    async def _artifact(self, turn: _Turn, update: TaskArtifactUpdateEvent) -> None:
        diagnosis = diagnosis_of(update.artifact)
        if diagnosis is not None and turn.agent is not None:
            conv = turn.conversation
            conv.last_answer, conv.last_agent, conv.answered_at = diagnosis, turn.agent.url, time.time()
        relayed = TaskArtifactUpdateEvent()
        relayed.CopyFrom(update)
        relayed.task_id, relayed.context_id = turn.task.id, turn.task.context_id
        await turn.queue.enqueue_event(relayed)

    async def _status(self, turn: _Turn, agent: Agent, update: TaskStatusUpdateEvent) -> None:
        state = update.status.state
        message = self._rewrap(turn, update.status.message) if update.status.HasField("message") else None
        metadata = None
        if update.HasField("metadata"):
            kept = Struct()
            kept.CopyFrom(update.metadata)
            if TRACE_METADATA_KEY in kept:  # already merged into our trace, which the tracing wrapper writes
                del kept[TRACE_METADATA_KEY]
            metadata = MessageToDict(kept) or None
        if state in _FAILED:
            said = _text_of(message) or tr(turn.language, "no reason given")
            message = self._text(
                turn, tr(turn.language, "{name} could not answer: {reason}", name=agent.name, reason=said)
            )
        elif state not in TURN_ENDING_STATES:
            state = TaskState.TASK_STATE_WORKING
        if turn.read_together and state in TURN_ENDING_STATES:
            metadata = {**(metadata or {}), "netops": {"read_together": turn.read_together}}
        await turn.updater.update_status(state, message, metadata=metadata)

    async def _working(self, turn: _Turn, text: str) -> None:
        await turn.updater.update_status(TaskState.TASK_STATE_WORKING, self._text(turn, text))

    async def _fail(self, turn: _Turn, sentence: str) -> None:
        await turn.updater.failed(self._text(turn, sentence))

    def _text(self, turn: _Turn, text: str) -> Message:
        return Message(
            message_id=str(uuid.uuid4()),
            role=Role.ROLE_AGENT,
            parts=[Part(text=text)],
            task_id=turn.task.id,
            context_id=turn.task.context_id,
        )

    def _rewrap(self, turn: _Turn, remote: Message) -> Message:
        message = Message()
        message.CopyFrom(remote)
        message.task_id, message.context_id = turn.task.id, turn.task.context_id
        message.role = Role.ROLE_AGENT
        return message


def _follow_up_agent(decision: Decision, reading: Reading, agents: list[Agent]) -> Agent | None:
    """The agent that gave the last answer, for a reply that routes nowhere on its own.

    "and the last 5 minutes?" names no symptom; in a thread with an answer it asks that agent
    again. Not when the reply is about something no agent here does: that is asked back.
    """
    if decision.pick is not None or decision.failure or decision.topics or reading.last_agent is None:
        return None
    return next((agent for agent in agents if agent.url == reading.last_agent), None)


def _carry(reading: Reading, agent: Agent | None) -> dict[str, Any] | None:
    """The carried scope when the reply goes to the agent that gave the last answer; the current step records it."""
    if reading.scope is None or agent is None or agent.url != reading.last_agent:
        return None
    step = current_step()
    if step is not None:
        step.set_attribute("carried", reading.scope.get("carried", []))
        step.set_attribute("carried_scope", reading.scope)
    return reading.scope


def _blame_call_step(agent: Agent, sentence: str) -> None:
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


def _with_unavailable(text: str, unavailable: list[str]) -> str:
    if not unavailable:
        return text
    return text + "\nUnavailable right now: " + "; ".join(unavailable) + "."
