"""The whole bot over HTTP with SNS enabled: real Redis, the fake Slack Web API, the test agent,
and AWS's certificate host played by an httpx transport (bot_sns.FakeAws)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import redis.asyncio as aioredis
from bot_fake_agent import FakeAgent
from bot_fake_slack import FakeSlack
from bot_harness import make_settings
from bot_sns import CERT_URL, TOPIC, FakeAws, Signer, post_sns

from bot.runtime import BotRuntime, bot_runtime
from bot.server import running_http

CHANNEL = "CINC0001"


@dataclass
class AlarmBot:
    url: str
    http: httpx.AsyncClient
    slack: FakeSlack
    agent: FakeAgent
    aws: FakeAws
    signer: Signer
    runtime: BotRuntime

    async def deliver(self, message: dict[str, Any], version: str = "2") -> httpx.Response:
        return await post_sns(self.http, self.url, self.signer.sign(message, version))


@contextlib.asynccontextmanager
async def alarm_bot(
    redis_client: aioredis.Redis, slack: FakeSlack, agent: FakeAgent, **extra: Any
) -> AsyncIterator[AlarmBot]:
    signer = Signer.throwaway()
    aws = FakeAws({CERT_URL: signer.pem})
    values = {
        "collaborator_url": agent.url,
        "sns_topic_arns": [TOPIC],
        "alarm_channels": {"app-db-retransmissions": CHANNEL},
    }
    settings = make_settings(redis_client, slack.url, **(values | extra))
    async with contextlib.AsyncExitStack() as stack:
        sns_http = await stack.enter_async_context(aws.client())
        runtime = await stack.enter_async_context(
            bot_runtime(settings, progress_interval_s=0.0, drain_s=1.0, sns_http=sns_http)
        )
        url = await stack.enter_async_context(running_http(runtime))
        http = await stack.enter_async_context(httpx.AsyncClient(timeout=10.0))
        yield AlarmBot(url, http, slack, agent, aws, signer, runtime)
