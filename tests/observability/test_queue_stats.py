"""The job queue's depth and age as /metrics reports them, read from a real Redis stream."""

from __future__ import annotations

import redis.asyncio as aioredis

from bot.queue_stats import entry_time_s, queue_stats

STREAM, GROUP = "netops:test-jobs", "netops-bot"


async def test_an_unknown_stream_is_an_empty_queue(redis_client: aioredis.Redis) -> None:
    assert await queue_stats(redis_client, STREAM, GROUP) == (0, 0.0)


async def test_pending_and_undelivered_jobs_both_count_and_the_oldest_sets_the_age(
    redis_client: aioredis.Redis,
) -> None:
    await redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    first = await redis_client.xadd(STREAM, {"kind": "question"}, id="1000-0")
    await redis_client.xadd(STREAM, {"kind": "question"}, id="4000-0")
    await redis_client.xadd(STREAM, {"kind": "question"}, id="9000-0")
    [[_, delivered]] = await redis_client.xreadgroup(GROUP, "worker", {STREAM: ">"}, count=2)
    await redis_client.xack(STREAM, GROUP, delivered[1][0])  # the second is done; the first still runs

    depth, age = await queue_stats(redis_client, STREAM, GROUP, now=10.0)
    assert depth == 2  # 1000-0 pending, 9000-0 not yet delivered
    assert age == 10.0 - entry_time_s(first.decode())


async def test_a_drained_queue_has_no_age(redis_client: aioredis.Redis) -> None:
    await redis_client.xgroup_create(STREAM, GROUP, id="0", mkstream=True)
    await redis_client.xadd(STREAM, {"kind": "question"}, id="1000-0")
    [[_, delivered]] = await redis_client.xreadgroup(GROUP, "worker", {STREAM: ">"})
    await redis_client.xack(STREAM, GROUP, delivered[0][0])
    assert await queue_stats(redis_client, STREAM, GROUP, now=10.0) == (0, 0.0)
