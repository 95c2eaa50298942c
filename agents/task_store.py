"""An in-memory task store that forgets the oldest tasks past a limit.

a2a-sdk's `InMemoryTaskStore` keeps every task forever, and each task of either agent
carries its answer and trace (up to NETOPS_TRACE_MAX_BYTES), so a long-running collaborator
would grow without bound. Conversations do not depend on it (their state is in Redis); only
a `task_id` follow-up to a task older than the last `max_tasks` finds nothing.
"""

from __future__ import annotations

from collections import OrderedDict

from a2a.server.context import ServerCallContext
from a2a.server.tasks import InMemoryTaskStore, TaskStore
from a2a.types import ListTasksRequest, ListTasksResponse, Task


class BoundedTaskStore(TaskStore):
    def __init__(self, max_tasks: int) -> None:
        self._inner = InMemoryTaskStore()
        self._max = max_tasks
        self._order: OrderedDict[str, ServerCallContext] = OrderedDict()

    async def save(self, task: Task, context: ServerCallContext) -> None:
        await self._inner.save(task, context)
        self._order[task.id] = context
        self._order.move_to_end(task.id)
        while len(self._order) > self._max:
            old_id, old_context = self._order.popitem(last=False)
            await self._inner.delete(old_id, old_context)

    async def get(self, task_id: str, context: ServerCallContext) -> Task | None:
        return await self._inner.get(task_id, context)

    async def list(self, params: ListTasksRequest, context: ServerCallContext) -> ListTasksResponse:
        return await self._inner.list(params, context)

    async def delete(self, task_id: str, context: ServerCallContext) -> None:
        self._order.pop(task_id, None)
        await self._inner.delete(task_id, context)

    def __len__(self) -> int:
        return len(self._order)
