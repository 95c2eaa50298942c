"""Fixtures for the collaborator tests: real test agents on 127.0.0.1, a shared HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from collab_cards import connectivity_card, performance_card
from collab_harness import CollaboratorUnderTest, running_collaborator
from collab_servers import Running, ScriptedExecutor, agent_app, broken_card_app, serve

from agents.settings import Settings
from agents.traceability.a2a import TracingAgentExecutor


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(5.0)) as client:
        yield client


@pytest.fixture
def perf_executor() -> ScriptedExecutor:
    return ScriptedExecutor("Performance_Agent")


@pytest.fixture
def conn_executor() -> ScriptedExecutor:
    return ScriptedExecutor("Connectivity_Agent")


@pytest.fixture
async def perf_agent(perf_executor: ScriptedExecutor) -> AsyncIterator[Running]:
    traced = TracingAgentExecutor(perf_executor, name="Performance_Agent")
    async with serve(lambda url: agent_app(performance_card(url), traced)) as running:
        try:
            yield running
        finally:
            perf_executor.release.set()  # a test that made it hang is over


@pytest.fixture
async def conn_agent(conn_executor: ScriptedExecutor) -> AsyncIterator[Running]:
    async with serve(lambda url: agent_app(connectivity_card(url), conn_executor)) as running:
        yield running


@pytest.fixture
async def broken_agent() -> AsyncIterator[Running]:
    async with serve(lambda _url: broken_card_app()) as running:
        yield running


def make_collaborator_fixture(**overrides):
    @pytest.fixture
    async def fixture(redis_client) -> AsyncIterator[CollaboratorUnderTest]:
        settings = Settings(**{"request_timeout_s": 10.0, "agent_read_timeout_s": 5.0, **overrides})
        async with running_collaborator(redis_client, settings) as running:
            yield running

    return fixture


collaborator = make_collaborator_fixture()
impatient_collaborator = make_collaborator_fixture(agent_read_timeout_s=0.5)
hurried_collaborator = make_collaborator_fixture(request_timeout_s=1.0)
guarded_collaborator = make_collaborator_fixture(agent_token="s3cret-token")
