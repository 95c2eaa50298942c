"""Running jobs from the consumer group: read, run at most `concurrency` at a time, acknowledge.

One `JobWorker` per bot process, any number of replicas. A job is acknowledged only once its
handler returned, that is once its outcome (or its failure) was posted; a handler that raised
leaves the entry pending, to be run again after `reclaim_after_s` (`bot.job_claims`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
import uuid

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from bot.acks_in_flight import AcksInFlight
from bot.job_claims import JobClaims
from bot.job_queue import JobQueue
from bot.job_stream import JOB_GROUP, JOB_STREAM, Handler, Job, job_from_entry

log = logging.getLogger("bot.jobs")  # the logger name the job queue's log lines have always had


def consumer_name() -> str:
    return f"{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"


class JobWorker:
    """Runs jobs from the group until `stop()`; each job at most `concurrency` at a time."""

    def __init__(
        self,
        redis: aioredis.Redis,
        handler: Handler,
        *,
        stream: str = JOB_STREAM,
        group: str = JOB_GROUP,
        consumer: str | None = None,
        reclaim_after_s: float = 60.0,
        concurrency: int = 8,
        block_ms: int = 500,
        acks: AcksInFlight | None = None,
        ack_wait_s: float = 0.25,
    ) -> None:
        self._redis = redis
        self._handler = handler
        self._queue = JobQueue(redis, stream)
        self._stream = stream
        self._group = group
        self.consumer = consumer or consumer_name()
        self._claims = JobClaims(redis, stream, group, self.consumer, int(reclaim_after_s * 1000))
        self._slots = asyncio.Semaphore(concurrency)
        self._block_ms = block_ms
        self._acks = acks or AcksInFlight()
        self.ack_wait_s = ack_wait_s
        self._tasks: set[asyncio.Task[None]] = set()
        self._running: set[str] = set()  # entry ids this consumer is running now
        self._stopping = asyncio.Event()
        self.processed = 0

    async def run(self) -> None:
        """Reads and runs jobs until `stop()`; a Redis outage (or a flushed group) is waited out."""
        group_ready = False
        while not self._stopping.is_set():
            try:
                if not group_ready:
                    await self._queue.ensure_group(self._group)
                    group_ready = True
                await self._slots.acquire()
                self._slots.release()
                jobs = await self._claims.reclaim(self._running) or await self._read()
            except RedisError as exc:
                group_ready = group_ready and "NOGROUP" not in str(exc)
                log.warning("job queue: Redis failed (%s); retrying in 1 s", exc)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._stopping.wait(), 1.0)
                continue
            for job in jobs:
                await self._acks.wait_idle(self.ack_wait_s)
                await self._slots.acquire()
                self._running.add(job.entry_id)
                task = asyncio.create_task(self._run_one(job))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)

    async def stop(self, grace_s: float = 10.0) -> None:
        """Stops reading, gives running jobs `grace_s` to finish, then stops the rest.

        A stopped job is not acknowledged: it stays pending, and another replica (or this bot
        after a restart) takes it over once it has been idle for `reclaim_after_s`.
        """
        self._stopping.set()
        running = list(self._tasks)
        if running and grace_s > 0:
            await asyncio.wait(running, timeout=grace_s)
        unfinished = [task for task in running if not task.done()]
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)

    async def _read(self) -> list[Job]:
        response = await self._redis.xreadgroup(
            self._group, self.consumer, {self._stream: ">"}, count=1, block=self._block_ms
        )
        return [job_from_entry(entry_id, body) for _, entries in response or [] for entry_id, body in entries if body]

    async def _run_one(self, job: Job) -> None:
        work = asyncio.create_task(self._handler(job))
        heartbeat = asyncio.create_task(self._claims.keep(job.entry_id, work))
        try:
            await asyncio.shield(work)
        except asyncio.CancelledError:
            if not work.cancelled():  # we are being stopped: leave the entry pending for another consumer
                work.cancel()
                raise
            return  # taken over by another consumer: it acknowledges, not us
        except Exception:
            # Neither its outcome nor its failure reached the thread: run it again later (reruns are idempotent).
            log.exception(
                "job %s (%s) failed; left pending, it runs again in %d ms",
                job.entry_id,
                job.kind,
                self._claims.reclaim_ms,
            )
            return
        finally:
            heartbeat.cancel()
            self._running.discard(job.entry_id)
            self._slots.release()
        await self._claims.acknowledge(job.entry_id, self._stopping)
        self.processed += 1
