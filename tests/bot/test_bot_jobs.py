"""The Redis Streams job queue: duplicates dropped, dead consumers' jobs taken over, once."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from pathlib import Path

import httpx
import pytest
import redis.asyncio as aioredis
from bot_fake_slack import block_text
from bot_harness import redis_url_of
from bot_slack_requests import FORM, SIGNING_SECRET, command_body, post_signed
from redis.exceptions import RedisError

from bot.jobs import JOB_GROUP, AcksInFlight, Job, JobQueue, JobWorker

ROOT = Path(__file__).resolve().parents[2]


async def test_concurrent_enqueues_with_one_dedupe_key_make_one_entry(redis_client: aioredis.Redis) -> None:
    queue = JobQueue(redis_client)
    ids = await asyncio.gather(*(queue.enqueue("question", {"n": i}, dedupe_key="event:Ev1") for i in range(10)))
    assert len([entry for entry in ids if entry is not None]) == 1
    assert await redis_client.xlen(queue.stream) == 1


async def test_concurrent_enqueues_each_get_their_own_entry_with_their_own_payload(
    redis_client: aioredis.Redis,
) -> None:
    queue = JobQueue(redis_client)
    ids = await asyncio.gather(*(queue.enqueue("question", {"n": n}, dedupe_key=f"command:T{n}") for n in range(50)))
    assert len(set(ids)) == 50 and None not in ids
    entries = dict(await redis_client.xrange(queue.stream))
    assert [json.loads(entries[entry_id.encode()][b"payload"])["n"] for entry_id in ids] == list(range(50))


async def test_every_waiting_enqueue_fails_with_a_redis_error_when_redis_is_unreachable(closed_port_url: str) -> None:
    unreachable = aioredis.from_url(closed_port_url.replace("http://", "redis://") + "/0")
    queue = JobQueue(unreachable)
    outcomes = await asyncio.gather(
        queue.enqueue("question", {"n": 1}, dedupe_key="command:T1"),
        queue.enqueue("question", {"n": 2}),
        return_exceptions=True,
    )
    await unreachable.aclose()
    assert all(isinstance(outcome, RedisError) for outcome in outcomes)


async def test_a_job_left_pending_by_a_dead_consumer_is_reclaimed_and_acked(redis_client: aioredis.Redis) -> None:
    queue = JobQueue(redis_client)
    await queue.ensure_group()
    await queue.enqueue("question", {"q": "why?"})
    # A consumer reads the entry, then dies without acknowledging it.
    taken = await redis_client.xreadgroup(JOB_GROUP, "dead-consumer", {queue.stream: ">"}, count=1)
    assert taken

    ran: list[Job] = []
    done = asyncio.Event()

    async def handler(job: Job) -> None:
        ran.append(job)
        done.set()

    worker = JobWorker(redis_client, handler, consumer="survivor", reclaim_after_s=0.2, block_ms=50)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(done.wait(), 10)
    await worker.stop()
    task.cancel()
    assert [(job.kind, job.payload) for job in ran] == [("question", {"q": "why?"})]
    pending = await redis_client.xpending(queue.stream, JOB_GROUP)
    assert pending["pending"] == 0


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def _wait_healthy(url: str, process: asyncio.subprocess.Process) -> None:
    async with httpx.AsyncClient() as http, asyncio.timeout(30):
        while True:
            assert process.returncode is None, "netops bot exited at start-up"
            try:
                if (await http.get(url + "/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)


async def test_a_bot_killed_mid_job_is_replaced_by_another_which_answers_once(
    redis_client: aioredis.Redis, fake_slack, agent, harness_factory
) -> None:  # type: ignore[no-untyped-def]
    agent.gate = asyncio.Event()  # the agent holds its answer until the first bot is dead
    port = _free_port()
    env = os.environ | {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "NETOPS_SLACK_API_URL": fake_slack.url,
        "REDIS_URL": redis_url_of(redis_client),
        "NETOPS_COLLABORATOR_URL": agent.url,
        "NETOPS_APPROVERS": "UAPPROVE1",
        "NETOPS_JOB_RECLAIM_S": "1",
    }
    env.pop("SLACK_APP_TOKEN", None)
    first = await asyncio.create_subprocess_exec(
        *[sys.executable, "-m", "agents.cli", "bot", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}"
        await _wait_healthy(url, first)
        async with httpx.AsyncClient() as http:
            assert (await post_signed(http, url, command_body("why is payments slow?"), FORM)).status_code == 200
        await asyncio.wait_for(agent.arrived.wait(), 20)  # the first bot is mid-job
        first.send_signal(signal.SIGKILL)
        await asyncio.wait_for(first.wait(), 10)
    finally:
        if first.returncode is None:
            first.kill()
            await asyncio.wait_for(first.wait(), 10)

    agent.gate.set()
    await harness_factory(job_reclaim_s=1.0)  # a second bot replica, in this process

    def answered(slack):  # type: ignore[no-untyped-def]
        return [m for m in slack.messages().values() if "Packet loss" in block_text(m.get("blocks"))]

    results = await fake_slack.wait_for(answered, within=30)
    posts = fake_slack.of("chat.postMessage")
    assert len(results) == 1
    assert len([p for p in posts if not p.args.get("thread_ts")]) == 1  # one thread root
    assert len([p for p in posts if p.args.get("thread_ts")]) == 1  # one "Working…", edited into the result
    assert len(agent.received) == 2  # the question was asked again by the survivor


async def test_a_stalled_consumer_whose_job_was_taken_over_stops_and_does_not_ack(redis_client: aioredis.Redis) -> None:
    queue = JobQueue(redis_client)
    await queue.ensure_group()
    entry_id = await queue.enqueue("question", {"q": "why?"})
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def slow(job: Job) -> None:
        started.set()
        try:
            await asyncio.Event().wait()  # never finishes on its own
        except asyncio.CancelledError:
            cancelled.set()
            raise

    worker = JobWorker(redis_client, slow, consumer="stalled", reclaim_after_s=0.3, block_ms=50)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(started.wait(), 10)
        # Another replica takes the entry over (as XAUTOCLAIM would after the idle timeout).
        await redis_client.xclaim(queue.stream, JOB_GROUP, "taker", min_idle_time=0, message_ids=[entry_id])
        await asyncio.wait_for(cancelled.wait(), 10)
    finally:
        await worker.stop()
        task.cancel()
    pending = await redis_client.xpending_range(queue.stream, JOB_GROUP, min=entry_id, max=entry_id, count=1)
    assert [p["consumer"] for p in pending] == [b"taker"]
    assert worker.processed == 0


async def test_two_replicas_share_the_queue_and_run_each_job_once(redis_client: aioredis.Redis) -> None:
    queue = JobQueue(redis_client)
    await queue.ensure_group()
    ran: list[tuple[str, int]] = []
    all_done = asyncio.Event()

    def handler_for(name: str):  # type: ignore[no-untyped-def]
        async def handler(job: Job) -> None:
            await asyncio.sleep(0)  # let the other replica read meanwhile
            ran.append((name, job.payload["n"]))
            if len(ran) == 20:
                all_done.set()

        return handler

    workers = [JobWorker(redis_client, handler_for(n), consumer=n, block_ms=50) for n in ("replica-a", "replica-b")]
    tasks = [asyncio.create_task(w.run()) for w in workers]
    try:
        for n in range(20):
            await queue.enqueue("question", {"n": n})
        await asyncio.wait_for(all_done.wait(), 15)
    finally:
        for worker, task in zip(workers, tasks, strict=True):
            await worker.stop()
            task.cancel()
    assert sorted(n for _, n in ran) == list(range(20))
    assert sum(w.processed for w in workers) == 20
    assert (await redis_client.xpending(queue.stream, JOB_GROUP))["pending"] == 0


async def _worker_with_blocked_job(redis_client: aioredis.Redis, release: asyncio.Event):  # type: ignore[no-untyped-def]
    queue = JobQueue(redis_client)
    await queue.ensure_group()
    entry_id = await queue.enqueue("question", {"q": "slow"})
    started = asyncio.Event()

    async def handler(job: Job) -> None:
        started.set()
        await release.wait()

    worker = JobWorker(redis_client, handler, consumer="deploying", block_ms=50)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(started.wait(), 10)
    return queue, entry_id, worker, task


async def test_stop_lets_a_running_job_finish_within_the_grace_period(redis_client: aioredis.Redis) -> None:
    release = asyncio.Event()
    queue, _, worker, task = await _worker_with_blocked_job(redis_client, release)
    stopping = asyncio.create_task(worker.stop(grace_s=10))
    release.set()
    await asyncio.wait_for(stopping, 10)
    task.cancel()
    assert worker.processed == 1
    assert (await redis_client.xpending(queue.stream, JOB_GROUP))["pending"] == 0


async def test_stop_leaves_a_job_that_outlasts_the_grace_period_pending_for_another_replica(
    redis_client: aioredis.Redis,
) -> None:
    queue, entry_id, worker, task = await _worker_with_blocked_job(redis_client, asyncio.Event())
    await asyncio.wait_for(worker.stop(grace_s=0.1), 10)
    task.cancel()
    assert worker.processed == 0
    pending = await redis_client.xpending_range(queue.stream, JOB_GROUP, min=entry_id, max=entry_id, count=1)
    assert [p["consumer"] for p in pending] == [b"deploying"]


class ObservedAcks(AcksInFlight):
    """The real gate, telling the test when the worker (holding a job it read) waits on it."""

    def __init__(self) -> None:
        super().__init__()
        self.worker_waiting = asyncio.Event()

    async def wait_idle(self, at_most_s: float) -> None:
        self.worker_waiting.set()
        await super().wait_idle(at_most_s)


async def _read_but_not_started(redis_client: aioredis.Redis, acks: ObservedAcks, ack_wait_s: float):  # type: ignore[no-untyped-def]
    """A worker that has read one job while `acks` has a Slack request in flight."""
    queue = JobQueue(redis_client)
    await queue.ensure_group()
    await queue.enqueue("question", {"q": "why?"})
    started = asyncio.Event()

    async def handler(job: Job) -> None:
        started.set()

    acks.enter()
    worker = JobWorker(redis_client, handler, consumer="acking", block_ms=50, acks=acks, ack_wait_s=ack_wait_s)
    task = asyncio.create_task(worker.run())
    await asyncio.wait_for(acks.worker_waiting.wait(), 10)
    return worker, task, started


async def test_the_worker_starts_a_job_it_read_only_once_the_acks_in_flight_are_answered(
    redis_client: aioredis.Redis,
) -> None:
    acks = ObservedAcks()
    worker, task, started = await _read_but_not_started(redis_client, acks, ack_wait_s=60)
    assert not started.is_set()
    acks.leave()
    await asyncio.wait_for(started.wait(), 10)
    await worker.stop()
    task.cancel()


async def test_the_worker_starts_a_job_after_ack_wait_s_even_if_acks_never_stop(redis_client: aioredis.Redis) -> None:
    worker, task, started = await _read_but_not_started(redis_client, ObservedAcks(), ack_wait_s=0.2)
    await asyncio.wait_for(started.wait(), 10)
    await worker.stop()
    task.cancel()


async def _poll(check, within: float = 10.0) -> None:  # type: ignore[no-untyped-def]
    """Waits for a condition only Redis can tell (no event to wait on), checking every 20 ms."""
    async with asyncio.timeout(within):
        while True:
            result = check()
            if await result if asyncio.iscoroutine(result) else result:
                return
            await asyncio.sleep(0.02)


async def test_a_consumer_never_starts_a_second_run_of_its_own_live_job(redis_client: aioredis.Redis) -> None:
    """After a Redis stall longer than reclaim_after_s, XAUTOCLAIM hands a consumer its own running entry."""
    queue = JobQueue(redis_client)
    await queue.ensure_group()
    entry_id = await queue.enqueue("question", {"q": "why?"})
    starts: list[str] = []
    release = asyncio.Event()
    started = asyncio.Event()

    async def handler(job: Job) -> None:
        starts.append(job.entry_id)
        started.set()
        await release.wait()

    # reclaim 30 s: our heartbeat refreshes every 10 s, so it cannot hide the stall made below.
    worker = JobWorker(redis_client, handler, consumer="stalled-own", reclaim_after_s=30, block_ms=20)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(started.wait(), 10)
        # What a long stall leaves behind: our own entry, idle for longer than reclaim_after_s.
        await redis_client.xclaim(
            queue.stream, JOB_GROUP, "stalled-own", min_idle_time=0, message_ids=[entry_id], idle=60_000, justid=True
        )

        async def delivered_again() -> bool:
            pending = await redis_client.xpending_range(queue.stream, JOB_GROUP, min=entry_id, max=entry_id, count=1)
            return pending[0]["times_delivered"] >= 2  # XAUTOCLAIM took it (for us)

        await _poll(delivered_again)
        release.set()
        await _poll(lambda: worker.processed >= 1)
    finally:
        await worker.stop(grace_s=5)
        task.cancel()
    assert starts == [entry_id]


async def test_a_job_whose_handler_raised_is_left_pending_and_run_again(redis_client: aioredis.Redis) -> None:
    queue = JobQueue(redis_client)
    await queue.ensure_group()
    entry_id = await queue.enqueue("question", {"q": "why?"})
    runs: list[int] = []
    done = asyncio.Event()

    async def flaky(job: Job) -> None:
        runs.append(job.deliveries)
        if len(runs) == 1:
            raise RedisError("Connection closed by server.")  # e.g. a stale connection, before anything was posted
        done.set()

    worker = JobWorker(redis_client, flaky, consumer="flaky", reclaim_after_s=0.2, block_ms=20)
    task = asyncio.create_task(worker.run())
    try:
        await asyncio.wait_for(done.wait(), 10)
        await _poll(lambda: worker.processed >= 1)
    finally:
        await worker.stop()
        task.cancel()
    assert runs == [1, 2]
    assert (await redis_client.xpending(queue.stream, JOB_GROUP))["pending"] == 0
    assert entry_id is not None


async def test_a_job_that_keeps_failing_is_dropped_after_max_deliveries(redis_client: aioredis.Redis) -> None:
    from bot.jobs import MAX_DELIVERIES

    queue = JobQueue(redis_client)
    await queue.ensure_group()
    await queue.enqueue("question", {"q": "why?"})
    runs: list[int] = []

    async def broken(job: Job) -> None:
        runs.append(job.deliveries)
        raise RuntimeError("always")

    worker = JobWorker(redis_client, broken, consumer="broken", reclaim_after_s=0.05, block_ms=20)
    task = asyncio.create_task(worker.run())
    try:

        async def dropped() -> bool:
            return len(runs) >= MAX_DELIVERIES and not (await redis_client.xpending(queue.stream, JOB_GROUP))["pending"]

        await _poll(dropped, within=20)
    finally:
        await worker.stop()
        task.cancel()
    assert runs == list(range(1, MAX_DELIVERIES + 1))


async def test_enqueue_gives_up_within_its_budget_when_redis_accepts_and_never_answers() -> None:
    from agents.redis_client import connect
    from bot.jobs import EnqueueTimeout

    held: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)  # a hung Redis: the connection is accepted, nothing is ever answered

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    client = connect(f"redis://127.0.0.1:{port}/0")
    queue = JobQueue(client, timeout_s=0.5)
    start = asyncio.get_running_loop().time()
    try:
        with pytest.raises(EnqueueTimeout):
            await queue.enqueue("question", {"q": "why?"}, dedupe_key="command:T1")
        assert asyncio.get_running_loop().time() - start < 1.5
    finally:
        await client.aclose()
        server.close()
        for writer in held:
            writer.close()
