"""The A2A side of the Performance Agent: messages in, status updates and one artifact out.

A question (text) becomes a diagnosis; a data part of kind `netops.remediate/v1` becomes a
remediation (CONTRACTS section 4). The task is enqueued before any status update, as
a2a-sdk 1.3 requires, and every turn ends in a terminal state: COMPLETED (with partial
results if some tools failed), FAILED when nothing at all could be analyzed or the fix did
not run, REJECTED when a remediation is refused (missing, expired, tampered or replayed
approval). The final artifact carries a markdown text part and the data part the bot
renders (`agents.performance.answer`); the tracing wrapper adds the trace to its metadata.
"""

from __future__ import annotations

import logging
from typing import Any

from a2a.helpers import get_data_parts, get_text_parts, new_data_part
from a2a.server.agent_execution import AgentExecutor, RequestContext
from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Part, Task, TaskState, TaskStatus
from google.protobuf.json_format import MessageToDict

from agents.performance.agent import Outcome, PerformanceAgent
from agents.performance.answer import DIAGNOSIS_KIND, REMEDIATE_REQUEST_KIND

log = logging.getLogger(__name__)


def remediation_request(parts: Any) -> dict[str, Any] | None:
    """The `netops.remediate/v1` data part of a message, if it has one."""
    for data in get_data_parts(parts):
        if isinstance(data, dict) and data.get("kind") == REMEDIATE_REQUEST_KIND:
            return data
    return None


def _netops_metadata(message: Any) -> dict[str, Any]:
    """`metadata["netops"]` of the message (CONTRACTS section 4): thread, asker, carried scope, time zone."""
    if message is None or not message.HasField("metadata"):
        return {}
    data = MessageToDict(message.metadata).get("netops")
    return data if isinstance(data, dict) else {}


class PerformanceExecutor(AgentExecutor):
    def __init__(self, agent: PerformanceAgent) -> None:
        self.agent = agent

    async def execute(self, context: RequestContext, event_queue: EventQueue) -> None:
        message = context.message
        task = context.current_task
        if task is None:
            task = Task(
                id=context.task_id,
                context_id=context.context_id,
                status=TaskStatus(state=TaskState.TASK_STATE_SUBMITTED),
                history=[message] if message else [],
            )
            await event_queue.enqueue_event(task)
        # a2a-sdk 1.3: on a follow-up carrying only task_id, context.context_id is a fresh UUID.
        updater = TaskUpdater(event_queue, task.id, task.context_id)

        async def emit(text: str) -> None:
            await updater.update_status(
                TaskState.TASK_STATE_WORKING, message=updater.new_agent_message([Part(text=text)])
            )

        parts = message.parts if message else []
        request = remediation_request(parts)
        question = "\n".join(get_text_parts(parts)).strip()
        if request is None and not question:
            await updater.reject(updater.new_agent_message([Part(text="Ask a question about the network, in words.")]))
            return
        await emit("Checking the approval…" if request else "Planning which AWS sources to query…")
        try:
            if request is not None:
                outcome = await self.agent.remediate(request, emit)
            else:
                outcome = await self.agent.diagnose(question, emit, _netops_metadata(message))
        except Exception:
            log.exception("performance agent failed on task %s", task.id)
            text = "The Performance Agent hit an internal error; its log has the details. Ask again, or report it."
            await updater.failed(updater.new_agent_message([Part(text=text)]))
            return
        await self._finish(updater, outcome)

    @staticmethod
    async def _finish(updater: TaskUpdater, outcome: Outcome) -> None:
        answer = outcome.answer
        await updater.add_artifact(
            [
                Part(text=outcome.markdown, media_type="text/markdown"),
                new_data_part(answer.to_dict(), "application/json"),
            ],
            name="diagnosis" if answer.kind == DIAGNOSIS_KIND else "remediation",
            last_chunk=True,
        )
        final = updater.new_agent_message([Part(text=answer.headline)])
        if outcome.refused:
            await updater.reject(final)
        elif outcome.ok:
            await updater.complete(final)
        else:
            await updater.failed(final)

    async def cancel(self, context: RequestContext, event_queue: EventQueue) -> None:
        task = context.current_task
        if task is not None:
            await TaskUpdater(event_queue, task.id, task.context_id).cancel()
