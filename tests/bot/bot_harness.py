"""What bot tests share besides fixtures: the settings they run with and the harness around a running bot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
import redis.asyncio as aioredis
from bot_fake_agent import FakeAgent
from bot_fake_slack import FakeSlack
from bot_slack_requests import FORM, JSON, SIGNING_SECRET, command_body, event_body, post_signed

from agents.settings import Settings, load_settings
from bot.runtime import BotRuntime

APPROVER = "UAPPROVE1"
ASKER = "UASKER01"


def redis_url_of(client: aioredis.Redis) -> str:
    kwargs = client.connection_pool.connection_kwargs
    return f"redis://{kwargs.get('host', '127.0.0.1')}:{kwargs.get('port', 6379)}/{kwargs.get('db', 15)}"


def make_settings(redis_client: aioredis.Redis, slack_url: str, **extra: Any) -> Settings:
    values: dict[str, Any] = {
        "slack_bot_token": "xoxb-test-token",
        "slack_signing_secret": SIGNING_SECRET,
        "slack_app_token": None,
        "slack_api_url": slack_url,
        "redis_url": redis_url_of(redis_client),
        "approvers": [APPROVER],
        "approval_secret": "test-approval-secret",
        "request_timeout_s": 20.0,
        "job_reclaim_s": 30.0,
    }
    return load_settings(**(values | extra))


@dataclass
class Harness:
    url: str
    http: httpx.AsyncClient
    slack: FakeSlack
    agent: FakeAgent
    runtime: BotRuntime
    settings: Settings

    async def command(self, text: str, **kwargs: Any) -> httpx.Response:
        return await post_signed(self.http, self.url, command_body(text, **kwargs), FORM)

    async def event(self, event: dict[str, Any], event_id: str | None = None, **kwargs: Any) -> httpx.Response:
        return await post_signed(self.http, self.url, event_body(event, event_id), JSON, **kwargs)

    async def form(self, body: bytes) -> httpx.Response:
        return await post_signed(self.http, self.url, body, FORM)
