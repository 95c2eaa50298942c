"""One turn of the collaborator over A2A: our task, the conversation held, the deadline kept.

Discover the agents, choose who answers (`recipient`, over `routing`), forward and relay its
events (`relay`). Per collaborator context, the conversation (each agent's remote context, a
question an agent waits on, the last answer) is kept in Redis (`conversation_saves`), so a
follow-up from the same Slack thread lands in the same remote conversation; a reply to an agent's
question goes back to that agent and task.
"""

from __future__ import annotations

import asyncio
import logging

from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import CancelTaskRequest, Message, Task, TaskState, TaskStatus
from a2a.utils.errors import A2AError

from agents.collaborator.conversation_saves import ConversationSaves
from agents.collaborator.discovery import Discovery
from agents.collaborator.forwarding import Forwarder, describe_failure
from agents.collaborator.fresh_ids import FreshContextIds
from agents.collaborator.keyed_lock import KeyedLock
from agents.collaborator.llm_router import LlmRouter
from agents.collaborator.recipient import choose_recipient
from agents.collaborator.registry import Registry
from agents.collaborator.relay import Relay, blame_call_step
from agents.collaborator.requests import read_request
from agents.collaborator.routing import Router, RoutingConfig
from agents.collaborator.store import Conversation, RedisStore
from agents.collaborator.turn import Turn
from agents.i18n import detect_language

log = logging.getLogger(__name__)


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
        self._forwarder = forwarder
        self._store = store
        self._config = config
        self._router = Router(registry, discovery, config, llm)
        self._relay = Relay(forwarder, discovery)
        self._running: dict[str, Turn] = {}
        self._conversations = KeyedLock()
        self._saves = ConversationSaves(store)
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
        turn = Turn(task, updater, event_queue, Conversation())
        self._running[task.id] = turn
        try:
            async with asyncio.timeout(self._config.deadline_s), self._conversations.hold(task.context_id):
                # Turns of one conversation run one at a time here; each waits for the save of the one before.
                try:
                    await self._saves.wait_for(task.context_id)
                    if not self.fresh_ids.claim(task.context_id):
                        turn.conversation = await self._store.load_conversation(task.context_id)
                    await self._run(turn, context.message)
                finally:
                    self._saves.save_in_background(task.context_id, turn.conversation)
        except TimeoutError as exc:
            name = turn.agent.name if turn.agent else "The collaborator"
            sentence = describe_failure(name, exc, deadline_s=self._config.deadline_s, language=turn.language)
            if turn.agent is not None:
                blame_call_step(turn.agent, sentence)
            await turn.fail(sentence)
        finally:
            self._running.pop(task.id, None)

    async def drain(self, timeout_s: float = 5.0) -> None:
        """Wait for the conversation saves still running (at shutdown, before Redis is closed)."""
        await self._saves.drain(timeout_s)

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

    async def _run(self, turn: Turn, message: Message) -> None:
        request = read_request(message)
        turn.language = detect_language(request.text)
        if request.problem:
            await turn.updater.update_status(TaskState.TASK_STATE_REJECTED, turn.text(request.problem))
            return
        statuses = await self._router.discover()
        agents = [s.agent for s in statuses if s.agent is not None]
        unavailable = [s.error for s in statuses if s.error]
        agent, text = await choose_recipient(turn, request, agents, unavailable, self._router)
        if agent is None:
            return
        turn.agent = agent
        await self._relay.forward(turn, agent, message, text)
