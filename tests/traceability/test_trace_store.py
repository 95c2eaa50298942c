"""The trace store: a summary when a question starts, the whole trace when it ends, newest first."""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from agents.traceability import CallType, ResponseTrace, StepRecord
from agents.traceability.store import ANSWERED, FAILED, INDEX_KEY, PARTIAL, RUNNING, TraceRecord, TraceStore
from agents.traceability.tracer import Tracer


def _trace(trace_id: str, error: str | None = None, cost: float | None = None) -> ResponseTrace:
    step = StepRecord("step-1", trace_id, None, CallType.TOOL, "s3.list_captures", None, 100.0)
    step.latency_ms, step.end_time, step.error, step.cost = 250.0, 100.25, error, cost
    return ResponseTrace(trace_id, [step])


async def test_a_started_trace_is_listed_as_running_before_it_has_steps(redis_client: aioredis.Redis) -> None:
    store = TraceStore(redis_client)
    await store.begin("trace-a", "why slow?")
    [record] = await store.recent(since=time.time() - 60)
    assert (record.trace_id, record.question, record.status) == ("trace-a", "why slow?", RUNNING)
    assert await store.trace("trace-a") is None


async def test_a_finished_trace_keeps_its_figures_and_its_steps(redis_client: aioredis.Redis) -> None:
    store = TraceStore(redis_client)
    started = await store.begin("trace-a", "why slow?")
    record = await store.finish(started, _trace("trace-a", cost=0.002), failed=False)
    assert (record.status, record.latency_ms, record.step_count, record.cost_usd) == (ANSWERED, 250.0, 1, 0.002)
    assert await store.record("trace-a") == record
    stored = await store.trace("trace-a")
    assert [s.name for s in stored.steps] == ["s3.list_captures"]


async def test_status_says_whether_an_answer_came_and_whether_a_step_failed(redis_client: aioredis.Redis) -> None:
    store = TraceStore(redis_client)
    partial = await store.finish(await store.begin("p", "q"), _trace("p", error="NoSuchBucket"), failed=False)
    failed = await store.finish(await store.begin("f", "q"), _trace("f"), failed=True)
    assert (partial.status, partial.failing_step, partial.failing_error) == (
        PARTIAL,
        "s3.list_captures",
        "NoSuchBucket",
    )
    assert failed.status == FAILED


async def test_recent_lists_newest_first_from_the_given_time(redis_client: aioredis.Redis) -> None:
    store = TraceStore(redis_client)
    for trace_id in ("old", "mid", "new"):
        await store.begin(trace_id, trace_id)
    await redis_client.zadd(INDEX_KEY, {"old": time.time() - 7200})  # started two hours ago
    assert [r.trace_id for r in await store.recent(since=time.time() - 3600)] == ["new", "mid"]


async def test_ids_that_cannot_be_trace_ids_are_not_looked_up(redis_client: aioredis.Redis) -> None:
    store = TraceStore(redis_client)
    assert await store.trace("../../etc") is None and await store.record("x" * 200) is None


async def test_following_a_stream_saves_snapshots_no_more_often_than_asked(redis_client: aioredis.Redis) -> None:
    store, tracer, now = TraceStore(redis_client), Tracer("trace-live"), [0.0]

    async def events():
        for t in (0.2, 0.5, 1.1, 1.3, 2.4):
            now[0] = t
            tracer.add(_trace("trace-live").steps[0])
            yield t

    saved: list[float] = []
    async for event in store.follow(events(), tracer, every_s=1.0, clock=lambda: now[0]):
        snapshot = await store.trace("trace-live")
        if snapshot is not None and snapshot.extra["captured_at"] not in saved:
            saved.append(snapshot.extra["captured_at"])
            assert event in (1.1, 2.4)
    assert len(saved) == 2  # after 1.1 s and after 2.4 s, not at every event
    assert [s.name for s in (await store.trace("trace-live")).steps] == ["s3.list_captures"]


async def test_a_redis_that_stopped_answering_loses_the_trace_not_the_answer(closed_port_url: str) -> None:
    dead = aioredis.from_url(closed_port_url.replace("http://", "redis://"), socket_connect_timeout=0.5)
    store = TraceStore(dead)
    started = TraceRecord("t", "q", "question", RUNNING, 100.0)  # as begin() made it, before Redis went away
    try:
        record = await store.finish(started, _trace("t"), failed=False)
        await store.snapshot(_trace("t"))
    finally:
        await dead.aclose()
    assert record.status == ANSWERED
