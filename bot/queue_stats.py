"""How far behind the job queue is: unfinished jobs and the age of the oldest, read from the stream itself."""

from __future__ import annotations

import time

import redis.asyncio as aioredis
from redis.exceptions import ResponseError

from bot.jobs import JOB_GROUP, JOB_STREAM
from bot.redis_text import as_text


def entry_time_s(entry_id: str) -> float:
    """A stream entry id's creation time: its first half is milliseconds since the epoch."""
    return int(entry_id.split("-", 1)[0]) / 1000.0


async def queue_stats(
    redis: aioredis.Redis, stream: str = JOB_STREAM, group: str = JOB_GROUP, now: float | None = None
) -> tuple[int, float]:
    """(jobs pending or not yet delivered, seconds since the oldest of them was queued); (0, 0.0) when idle."""
    now = time.time() if now is None else now
    try:
        groups = await redis.xinfo_groups(stream)
    except ResponseError:  # no stream yet: nothing was ever queued
        return 0, 0.0
    info = next((g for g in groups if as_text(g["name"]) == group), None)
    if info is None:
        length = await redis.xlen(stream)
        oldest = await redis.xrange(stream, count=1)
        return length, (now - entry_time_s(as_text(oldest[0][0]))) if oldest else 0.0
    oldest_times = []
    pending = await redis.xpending(stream, group)
    if pending["pending"]:
        oldest_times.append(entry_time_s(as_text(pending["min"])))
    last = as_text(info["last-delivered-id"])
    undelivered = await redis.xrange(stream, min=f"({last}", count=1)
    if undelivered:
        oldest_times.append(entry_time_s(as_text(undelivered[0][0])))
    lag = info.get("lag")
    depth = int(info["pending"]) + (int(lag) if lag is not None else len(undelivered))
    return depth, max(0.0, now - min(oldest_times)) if oldest_times else 0.0
