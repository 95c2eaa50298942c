"""The bot's own Redis stopped (SIGSTOP) and restarted (kill -9, with and without persistence):
acks stay inside Slack's 3 s with a truthful note, and every question asked is answered."""

from __future__ import annotations

import asyncio
import signal
import time

import httpx
import pytest
from bot_fake_slack import FakeSlack, block_text
from bot_slack_requests import FORM, command_body, post_signed
from fault_processes import eventually


def _answered(slack: FakeSlack) -> int:
    return sum("Packet loss" in block_text(m.get("blocks")) for m in slack.messages().values())


def _roots(slack: FakeSlack) -> list[str]:
    return [c.args["text"] for c in slack.of("chat.postMessage") if not c.args.get("thread_ts")]


async def _ready(http: httpx.AsyncClient, url: str) -> bool:
    return (await http.get(url + "/readyz")).json().get("redis") == "ok"


async def test_with_redis_hung_the_ack_comes_within_3_s_and_says_what_is_known(
    own_redis,
    bot_replica,  # type: ignore[no-untyped-def]
) -> None:
    redis = own_redis()
    url, bot = await bot_replica(redis.url)
    async with httpx.AsyncClient(timeout=10) as http:
        await eventually(lambda: _ready(http, url), 30, "the bot reads its Redis")
        redis.signal(signal.SIGSTOP)
        try:
            start = time.monotonic()
            response = await post_signed(http, url, command_body("why is payments slow?"), FORM)
            elapsed = time.monotonic() - start
        finally:
            redis.signal(signal.SIGCONT)
        assert response.status_code == 200 and elapsed < 3.0
        assert response.json()["text"].startswith("NetOps cannot tell whether your question was queued")
        await eventually(lambda: _ready(http, url), 30, "the bot reads its Redis again after SIGCONT")
    assert bot.process is not None and bot.process.returncode is None


@pytest.mark.parametrize("persistent", [False, True], ids=["no-persistence", "append-only-file"])
async def test_after_a_redis_restart_every_question_is_answered(
    own_redis,
    bot_replica,
    fake_slack,
    persistent,  # type: ignore[no-untyped-def]
) -> None:
    redis = own_redis(persistent=persistent)
    url, _ = await bot_replica(redis.url)
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await post_signed(http, url, command_body("first question"), FORM)).status_code == 200
        await fake_slack.wait_for(lambda s: _answered(s) == 1, within=60)
        redis.restart()  # every pooled connection of the bot is now dead
        acks = [await post_signed(http, url, command_body(f"question {n}"), FORM) for n in range(4)]
    assert [a.status_code for a in acks] == [200] * 4
    assert all(not a.content for a in acks)  # empty acks: queued, no "Redis is unreachable"
    await fake_slack.wait_for(lambda s: _answered(s) == 5, within=90)
    assert sorted(_roots(fake_slack)[1:]) == [f"<@UASKER01> asked: question {n}" for n in range(4)]


async def test_a_question_in_flight_while_redis_restarts_with_its_file_is_answered_once(
    own_redis,
    bot_replica,
    agent,
    fake_slack,  # type: ignore[no-untyped-def]
) -> None:
    redis = own_redis(persistent=True)
    agent.gate = asyncio.Event()
    url, _ = await bot_replica(redis.url)
    async with httpx.AsyncClient(timeout=10) as http:
        assert (await post_signed(http, url, command_body("why is payments slow?"), FORM)).status_code == 200
    await asyncio.wait_for(agent.arrived.wait(), 60)
    redis.restart()
    agent.gate.set()
    await fake_slack.wait_for(lambda s: _answered(s) == 1, within=60)
    assert len(_roots(fake_slack)) == 1
