"""What a (re)run of a job already posted, so a rerun edits its messages instead of posting again.

A job may run twice (a consumer died and another reclaimed it). Each post a job makes is
remembered under a name in `netops:jobstate:<entry id>` for a day; a rerun finds the ts there
and carries on with that message.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import redis.asyncio as aioredis

from bot.jobs import Job
from bot.redis_text import as_text

JOB_STATE_TTL_S = 24 * 3600


def state_key(job: Job) -> str:
    return f"netops:jobstate:{job.entry_id}"


class JobState:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def remember(self, job: Job, name: str, post: Callable[[], Awaitable[str]]) -> str:
        """The ts `name` was posted at by an earlier run, else `post()`'s, remembered for the next run."""
        key = state_key(job)
        existing = await self._redis.hget(key, name)
        if existing is not None:
            return as_text(existing)
        ts = await post()
        await self.record(job, name, ts)
        return ts

    async def record(self, job: Job, name: str, ts: str) -> None:
        key = state_key(job)
        await self._redis.hset(key, name, ts)
        await self._redis.expire(key, JOB_STATE_TTL_S)

    async def posted_any(self, job: Job, names: list[str]) -> bool:
        return any(await self._redis.hmget(state_key(job), names))
