"""The bot under test, whole: real Redis, real HTTP, a fake Slack Web API and a test A2A agent."""

from __future__ import annotations

import contextlib
from typing import Any

import bot_fake_fixtures
import httpx
import pytest
import redis.asyncio as aioredis
from bot_fake_agent import FakeAgent
from bot_fake_slack import FakeSlack
from bot_harness import Harness, make_settings

from bot.runtime import bot_runtime
from bot.server import running_http

# Shared with the fault suite; bound by name, which is how pytest finds a conftest's fixtures.
fake_slack = bot_fake_fixtures.fake_slack
agent = bot_fake_fixtures.agent


@pytest.fixture
async def harness_factory(redis_client: aioredis.Redis, fake_slack: FakeSlack, agent: FakeAgent):  # type: ignore[no-untyped-def]
    """Starts the whole bot over HTTP against the fakes; `**extra` overrides settings."""
    async with contextlib.AsyncExitStack() as stack:

        async def start(**extra: Any) -> Harness:
            settings = make_settings(redis_client, fake_slack.url, **({"collaborator_url": agent.url} | extra))
            runtime = await stack.enter_async_context(bot_runtime(settings, progress_interval_s=0.0, drain_s=1.0))
            url = await stack.enter_async_context(running_http(runtime))
            http = await stack.enter_async_context(httpx.AsyncClient(timeout=10.0))
            return Harness(url, http, fake_slack, agent, runtime, settings)

        yield start


@pytest.fixture
async def harness(harness_factory) -> Harness:  # type: ignore[no-untyped-def]
    return await harness_factory()
