"""One turn of the collaborator: its state, and the messages it says on our task.

Every part of a turn (choosing the agent, relaying its events) speaks on the same task through the
same updater, in the asker's language; keeping that here lets each part say things without holding
the executor.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from a2a.server.events import EventQueue
from a2a.server.tasks import TaskUpdater
from a2a.types import Message, Part, Role, Task, TaskState

from agents.collaborator.selection import Agent
from agents.collaborator.store import Conversation


@dataclass
class Turn:
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

    def text(self, text: str) -> Message:
        """A message of ours on this turn's task."""
        return Message(
            message_id=str(uuid.uuid4()),
            role=Role.ROLE_AGENT,
            parts=[Part(text=text)],
            task_id=self.task.id,
            context_id=self.task.context_id,
        )

    def rewrap(self, remote: Message) -> Message:
        """A remote agent's message, re-addressed to our task."""
        message = Message()
        message.CopyFrom(remote)
        message.task_id, message.context_id = self.task.id, self.task.context_id
        message.role = Role.ROLE_AGENT
        return message

    async def working(self, text: str) -> None:
        await self.updater.update_status(TaskState.TASK_STATE_WORKING, self.text(text))

    async def fail(self, sentence: str) -> None:
        await self.updater.failed(self.text(sentence))
