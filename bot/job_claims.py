"""One consumer's claims on the stream's pending entries: taking over, keeping, and releasing them.

An entry stays pending until XACKed, so a consumer that died mid-job leaves it to be taken over
(XAUTOCLAIM once idle for `reclaim_after_s`); a running job refreshes its claim (XCLAIM … JUSTID)
so a slow analysis is not mistaken for a dead one; an entry delivered more than `MAX_DELIVERIES`
times is dropped rather than retried forever.
"""

from __future__ import annotations

import asyncio
import logging

import redis.asyncio as aioredis
from redis.exceptions import RedisError, ResponseError

from bot.job_stream import Job, job_from_entry
from bot.redis_text import as_text

log = logging.getLogger("bot.jobs")  # the logger name the job queue's log lines have always had
MAX_DELIVERIES = 5  # a job that failed this often is dropped (logged) rather than retried forever


class JobClaims:
    """What `consumer` holds of `group`'s pending entries on `stream`."""

    def __init__(self, redis: aioredis.Redis, stream: str, group: str, consumer: str, reclaim_ms: int) -> None:
        self._redis = redis
        self._stream = stream
        self._group = group
        self.consumer = consumer
        self.reclaim_ms = reclaim_ms

    async def reclaim(self, running: set[str]) -> list[Job]:
        """Entries a consumer took and then stopped refreshing (it died mid-job, or its run failed).

        `running` are the entries this consumer is running now: Redis stalled past `reclaim_after_s`
        hands them back, and they must not start a second time.
        """
        _next, entries, *_ = await self._redis.xautoclaim(
            self._stream, self._group, self.consumer, min_idle_time=self.reclaim_ms, start_id="0-0", count=1
        )
        jobs = []
        for raw_id, body in entries:
            entry_id = as_text(raw_id)
            if entry_id in running:  # ours, still running: Redis stalled past reclaim_after_s
                continue
            if not body:  # trimmed from the stream while pending: nothing to run
                await self._redis.xack(self._stream, self._group, entry_id)
                continue
            deliveries = await self._deliveries(entry_id)
            if deliveries > MAX_DELIVERIES:
                log.error("job %s failed %d times; dropped", entry_id, deliveries - 1)
                await self._redis.xack(self._stream, self._group, entry_id)
                continue
            log.info("job queue: reclaimed %s (delivery %d)", entry_id, deliveries)
            jobs.append(job_from_entry(entry_id, body, deliveries=deliveries))
        return jobs

    async def _deliveries(self, entry_id: str) -> int:
        pending = await self._redis.xpending_range(self._stream, self._group, min=entry_id, max=entry_id, count=1)
        return int(pending[0]["times_delivered"]) if pending else 1

    async def _owner(self, entry_id: str) -> str | None:
        pending = await self._redis.xpending_range(self._stream, self._group, min=entry_id, max=entry_id, count=1)
        return as_text(pending[0]["consumer"]) if pending else None

    async def keep(self, entry_id: str, work: asyncio.Task[None]) -> None:
        """Refreshes our claim while the job runs; if another consumer took the entry (we stalled
        past `reclaim_after_s`), stops our run so that the job is finished once, by the taker."""
        while True:
            await asyncio.sleep(max(self.reclaim_ms / 3000, 0.05))
            try:
                owner = await self._owner(entry_id)
                if owner is not None and owner != self.consumer:
                    log.warning("job %s was taken over by %s; stopping our run of it", entry_id, owner)
                    work.cancel()
                    return
                await self._redis.xclaim(
                    self._stream, self._group, self.consumer, min_idle_time=0, message_ids=[entry_id], justid=True
                )
            except RedisError as exc:
                log.warning("job %s: could not refresh its claim (%s)", entry_id, exc)

    async def acknowledge(self, entry_id: str, stopping: asyncio.Event) -> None:
        """XACK, retried while Redis is away (the outcome is posted: a rerun would only repeat it),
        unless the worker is `stopping`: then the entry stays pending for whoever runs next."""
        while True:
            try:
                await self._redis.xack(self._stream, self._group, entry_id)
                return
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # Redis restarted empty: the entry went with the group
                    return
                raise
            except RedisError as exc:
                if stopping.is_set():
                    raise
                log.warning("job %s: could not acknowledge it (%s); retrying in 1 s", entry_id, exc)
                await asyncio.sleep(1.0)
