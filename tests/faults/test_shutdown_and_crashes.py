"""Replicas that die or are stopped mid-job: SIGTERM and SIGINT drain (not as PID 1), kill -9 mid-question
and mid-fix is taken over by the other replica; each question is answered once and nothing is lost."""

from __future__ import annotations

import asyncio
import signal

import httpx
import pytest
import redis.asyncio as aioredis
from bot_fake_slack import FakeSlack, action_values, block_text
from bot_slack_requests import FORM, block_action_body, command_body, post_signed
from fault_processes import NetopsProcess, eventually

from bot.blocks.ids import ACTION_APPLY
from bot.jobs import JOB_GROUP, JOB_STREAM


def _answers(slack: FakeSlack) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    """(ts, message) of every diagnosis shown in a thread."""
    return [(ts, m) for ts, m in slack.messages().items() if "Packet loss" in block_text(m.get("blocks"))]


def _applied(slack: FakeSlack) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    return [(ts, m) for ts, m in slack.messages().items() if "verified by reading" in block_text(m.get("blocks"))]


async def _pending(redis_url: str) -> list[dict]:  # type: ignore[type-arg]
    client = aioredis.from_url(redis_url)
    try:
        return await client.xpending_range(JOB_STREAM, JOB_GROUP, min="-", max="+", count=10)
    finally:
        await client.aclose()


async def _owner_of_the_job(redis_url: str, replicas: list[NetopsProcess]) -> NetopsProcess:
    """The replica running the one pending job (consumer names carry the pid)."""
    pending = await eventually(lambda: _pending(redis_url), 30, "a job is pending")
    consumer = pending[0]["consumer"].decode()
    return next(r for r in replicas if r.process is not None and f"-{r.process.pid}-" in consumer)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT], ids=["SIGTERM", "SIGINT"])
async def test_a_signal_mid_job_lets_the_job_finish_and_post_before_the_process_exits(
    own_redis,
    bot_replica,
    agent,
    fake_slack,
    sig,  # type: ignore[no-untyped-def]
) -> None:
    redis = own_redis()
    agent.gate = asyncio.Event()
    url, bot = await bot_replica(redis.url)
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await post_signed(http, url, command_body("why is payments slow?"), FORM)).status_code == 200
    await asyncio.wait_for(agent.arrived.wait(), 60)
    bot.send(sig)  # the bot is the test's child, not PID 1
    await eventually(lambda: "draining" in bot.log(), 30, "the bot says it is draining")
    agent.gate.set()
    assert await bot.wait(60) == 0
    assert len(_answers(fake_slack)) == 1
    assert await _pending(redis.url) == []  # answered and acknowledged, nothing left for reclaim
    assert "Unclosed client session" not in bot.log()


async def test_kill_9_mid_question_is_answered_once_by_the_other_replica(
    own_redis,
    bot_replica,
    agent,
    fake_slack,  # type: ignore[no-untyped-def]
) -> None:
    redis = own_redis()
    agent.gate = asyncio.Event()
    replicas = [(await bot_replica(redis.url))[1], (await bot_replica(redis.url))[1]]
    url = f"http://127.0.0.1:{replicas[0].args[-1]}"
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await post_signed(http, url, command_body("why is payments slow?"), FORM)).status_code == 200
    await asyncio.wait_for(agent.arrived.wait(), 60)
    owner = await _owner_of_the_job(redis.url, replicas)
    owner.send(signal.SIGKILL)
    await owner.wait(30)
    agent.gate.set()
    await fake_slack.wait_for(_answers, within=60)
    await eventually(lambda: _no_pending(redis.url), 60, "the job is acknowledged")
    roots = [c for c in fake_slack.of("chat.postMessage") if not c.args.get("thread_ts")]
    assert len(_answers(fake_slack)) == 1 and len(roots) == 1


async def _no_pending(redis_url: str) -> bool:
    return await _pending(redis_url) == []


async def test_kill_9_mid_fix_ends_with_one_fix_result_in_the_thread(
    own_redis,
    bot_replica,
    agent,
    fake_slack,  # type: ignore[no-untyped-def]
) -> None:
    redis = own_redis()
    replicas = [(await bot_replica(redis.url))[1], (await bot_replica(redis.url))[1]]
    url = f"http://127.0.0.1:{replicas[0].args[-1]}"
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await post_signed(http, url, command_body("why is payments slow?"), FORM)).status_code == 200
        answer_ts, answer = (await fake_slack.wait_for(_answers, within=60))[0]
        await eventually(lambda: _no_pending(redis.url), 30, "the question is acknowledged")
        approval_id = action_values(answer["blocks"], ACTION_APPLY)[0]
        agent.gate, agent.arrived = asyncio.Event(), asyncio.Event()
        click = block_action_body(
            ACTION_APPLY, approval_id, user="UAPPROVE1", message_ts=answer_ts, thread_ts=answer["thread_ts"]
        )
        assert (await post_signed(http, url, click, FORM)).status_code == 200
    await asyncio.wait_for(agent.arrived.wait(), 60)  # the fix is being applied
    owner = await _owner_of_the_job(redis.url, replicas)
    owner.send(signal.SIGKILL)
    await owner.wait(30)
    agent.gate.set()
    await fake_slack.wait_for(_applied, within=60)
    await eventually(lambda: _no_pending(redis.url), 60, "the fix job is acknowledged")
    assert len(_applied(fake_slack)) == 1  # one "Applying…" message, edited into the one result
