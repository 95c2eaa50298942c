"""The collaborator's task store forgets the oldest tasks past its limit."""

from __future__ import annotations

from a2a.server.context import ServerCallContext
from a2a.types import Task, TaskState, TaskStatus

from agents.task_store import BoundedTaskStore


def _task(n: int) -> Task:
    return Task(id=f"t{n}", context_id="c", status=TaskStatus(state=TaskState.TASK_STATE_COMPLETED))


async def test_past_the_limit_the_oldest_task_is_forgotten() -> None:
    store, context = BoundedTaskStore(max_tasks=2), ServerCallContext()
    for n in range(3):
        await store.save(_task(n), context)
    assert await store.get("t0", context) is None
    assert (await store.get("t2", context)).id == "t2"
    assert len(store) == 2


async def test_saving_a_task_again_keeps_it_as_the_newest() -> None:
    store, context = BoundedTaskStore(max_tasks=2), ServerCallContext()
    await store.save(_task(0), context)
    await store.save(_task(1), context)
    await store.save(_task(0), context)  # t0 updated: now t1 is the oldest
    await store.save(_task(2), context)
    assert await store.get("t1", context) is None
    assert await store.get("t0", context) is not None
