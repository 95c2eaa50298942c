"""Durable work off the ack path: a Redis Streams consumer group.

Listeners `enqueue` and return; `JobWorker`s (one per bot process, any number of replicas)
read with XREADGROUP, XACK when a job is done, and reclaim entries a dead consumer left
pending with XAUTOCLAIM once they have been idle for `reclaim_after_s`. A running job
refreshes its claim (XCLAIM … JUSTID) so a slow analysis is not mistaken for a dead one, and a
consumer never starts a second run of a job it is still running (after a Redis stall longer than
`reclaim_after_s`, XAUTOCLAIM hands a consumer its own live entries back). A job is acknowledged
only once its handler returned, that is once its outcome (or its failure) was posted; a handler
that raised leaves the entry pending, to be run again after `reclaim_after_s`, at most
`MAX_DELIVERIES` times.
Duplicates (Slack retrying one `event_id`, a repeated command trigger) are dropped at
enqueue: the dedupe key and the XADD are written by one Lua script (atomic), so neither exists
without the other.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis
from redis.asyncio.client import Pipeline
from redis.exceptions import RedisError, ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.redis_text import as_text

log = logging.getLogger(__name__)

JOB_STREAM = "netops:jobs"
JOB_GROUP = "netops-bot"
DEDUPE_TTL_S = 24 * 3600
STREAM_MAXLEN = 10_000
MAX_DELIVERIES = 5  # a job that failed this often is dropped (logged) rather than retried forever
# The ack path's budget for Redis: Slack wants the ack within 3 s, and a failed enqueue still has
# to post its note before the ack is sent.
ENQUEUE_TIMEOUT_S = 1.5


class EnqueueTimeout(RedisTimeoutError):
    """Redis did not answer the enqueue in time: the job may or may not have been written."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"Redis did not answer within {timeout_s:g} s")
        self.timeout_s = timeout_s


@dataclass(frozen=True)
class Job:
    entry_id: str
    kind: str
    payload: dict[str, Any]
    deliveries: int = 1


Handler = Callable[[Job], Awaitable[None]]


# Writes the dedupe key and the entry atomically, or neither when the key exists: one command
# instead of WATCH, EXISTS and MULTI/EXEC (three round trips), with the same guarantee.
ENQUEUE_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'kind', ARGV[3], 'payload', ARGV[4])
end
return false
"""

Write = Callable[[Pipeline], Any]


class JobQueue:
    """Enqueues on the ack path. Enqueues made in one turn of the event loop (a burst of Slack
    requests) go to Redis in one pipeline: one connection and one round trip for all of them,
    about a third of the client's CPU per job of one command each; each caller still returns
    only once Redis has its own job."""

    def __init__(self, redis: aioredis.Redis, stream: str = JOB_STREAM, timeout_s: float = ENQUEUE_TIMEOUT_S) -> None:
        self._redis = redis
        self.stream = stream
        self.timeout_s = timeout_s
        self._batch: list[tuple[Write, asyncio.Future[Any]]] = []
        self._writer: asyncio.Task[None] | None = None  # the one that will take the batch
        self._writing: set[asyncio.Task[None]] = set()  # strong references while they run

    async def enqueue(self, kind: str, payload: dict[str, Any], dedupe_key: str | None = None) -> str | None:
        """The new entry id, or None when `dedupe_key` was already seen (a duplicate delivery).

        Raises a RedisError when Redis fails, `EnqueueTimeout` when it does not answer within `timeout_s`.
        """
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._enqueue(kind, payload, dedupe_key)
        except TimeoutError:
            raise EnqueueTimeout(self.timeout_s) from None

    async def _enqueue(self, kind: str, payload: dict[str, Any], dedupe_key: str | None) -> str | None:
        body = json.dumps(payload)
        if dedupe_key is None:
            fields = {"kind": kind, "payload": body}
            entry_id = await self._write(
                lambda pipe: pipe.xadd(self.stream, fields, maxlen=STREAM_MAXLEN, approximate=True)
            )
        else:
            keys_and_args = (f"netops:dedupe:{dedupe_key}", self.stream, DEDUPE_TTL_S, STREAM_MAXLEN, kind, body)
            entry_id = await self._write(lambda pipe: pipe.eval(ENQUEUE_ONCE, 2, *keys_and_args))
        return as_text(entry_id) if entry_id is not None else None

    async def _write(self, write: Write) -> Any:
        future: asyncio.Future[Any] = asyncio.get_running_loop().create_future()
        self._batch.append((write, future))
        if self._writer is None:
            # Runs after every callback already due in this turn of the loop, so theirs join the batch.
            self._writer = asyncio.create_task(self._write_batch())
            self._writing.add(self._writer)
            self._writer.add_done_callback(self._writing.discard)
        return await future

    async def _write_batch(self) -> None:
        batch, self._batch, self._writer = self._batch, [], None
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                for write, _ in batch:
                    write(pipe)
                results = await pipe.execute(raise_on_error=False)
        except Exception as exc:  # the connection failed: no job of the batch is known to be written
            for _, future in batch:
                if not future.done():
                    future.set_exception(exc)
            return
        except BaseException:  # cancelled (shutdown): so are the callers
            for _, future in batch:
                future.cancel()
            raise
        for (_, future), result in zip(batch, results, strict=True):
            if future.done():  # its caller was cancelled
                continue
            if isinstance(result, Exception):
                future.set_exception(result)
            else:
                future.set_result(result)

    async def ensure_group(self, group: str = JOB_GROUP) -> None:
        try:
            await self._redis.xgroup_create(self.stream, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise


class AcksInFlight:
    """Slack requests this process is answering. The worker starts no new job while there are
    any (waiting `JobWorker.ack_wait_s` at most, so that jobs still start under constant load):
    Slack gives an ack 3 s and retries it, a job's answer can start a burst's length later, and
    jobs started in the middle of a burst of acks were what made the acks' p99 in bench_ack."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self._count += 1
        self._idle.clear()

    def leave(self) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()

    async def wait_idle(self, at_most_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), at_most_s)


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
        self._reclaim_ms = int(reclaim_after_s * 1000)
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
                jobs = await self._reclaim() or await self._read()
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
        return [self._job(entry_id, body) for _, entries in response or [] for entry_id, body in entries if body]

    async def _reclaim(self) -> list[Job]:
        """Entries a consumer took and then stopped refreshing (it died mid-job, or its run failed)."""
        _next, entries, *_ = await self._redis.xautoclaim(
            self._stream, self._group, self.consumer, min_idle_time=self._reclaim_ms, start_id="0-0", count=1
        )
        jobs = []
        for raw_id, body in entries:
            entry_id = as_text(raw_id)
            if entry_id in self._running:  # ours, still running: Redis stalled past reclaim_after_s
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
            jobs.append(self._job(entry_id, body, deliveries=deliveries))
        return jobs

    async def _deliveries(self, entry_id: str) -> int:
        pending = await self._redis.xpending_range(self._stream, self._group, min=entry_id, max=entry_id, count=1)
        return int(pending[0]["times_delivered"]) if pending else 1

    @staticmethod
    def _job(entry_id: bytes | str, body: dict[Any, Any], deliveries: int = 1) -> Job:
        fields = {as_text(k): as_text(v) for k, v in body.items()}
        return Job(as_text(entry_id), fields.get("kind", ""), json.loads(fields.get("payload", "{}")), deliveries)

    async def _owner(self, entry_id: str) -> str | None:
        pending = await self._redis.xpending_range(self._stream, self._group, min=entry_id, max=entry_id, count=1)
        return as_text(pending[0]["consumer"]) if pending else None

    async def _keep_claimed(self, entry_id: str, work: asyncio.Task[None]) -> None:
        """Refreshes our claim while the job runs; if another consumer took the entry (we stalled
        past `reclaim_after_s`), stops our run so that the job is finished once, by the taker."""
        while True:
            await asyncio.sleep(max(self._reclaim_ms / 3000, 0.05))
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

    async def _run_one(self, job: Job) -> None:
        work = asyncio.create_task(self._handler(job))
        heartbeat = asyncio.create_task(self._keep_claimed(job.entry_id, work))
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
                "job %s (%s) failed; left pending, it runs again in %d ms", job.entry_id, job.kind, self._reclaim_ms
            )
            return
        finally:
            heartbeat.cancel()
            self._running.discard(job.entry_id)
            self._slots.release()
        await self._acknowledge(job.entry_id)
        self.processed += 1

    async def _acknowledge(self, entry_id: str) -> None:
        """XACK, retried while Redis is away (the outcome is posted: a rerun would only repeat it)."""
        while True:
            try:
                await self._redis.xack(self._stream, self._group, entry_id)
                return
            except ResponseError as exc:
                if "NOGROUP" in str(exc):  # Redis restarted empty: the entry went with the group
                    return
                raise
            except RedisError as exc:
                if self._stopping.is_set():
                    raise
                log.warning("job %s: could not acknowledge it (%s); retrying in 1 s", entry_id, exc)
                await asyncio.sleep(1.0)
