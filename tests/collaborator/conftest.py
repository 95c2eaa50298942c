"""Fixtures for the collaborator tests: real test agents on 127.0.0.1, a shared HTTP client."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest
from collab_cards import connectivity_card, performance_card
from collab_servers import Running, ScriptedExecutor, agent_app, broken_card_app, serve


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
    async with serve(lambda url: agent_app(performance_card(url), perf_executor)) as running:
        yield running


@pytest.fixture
async def conn_agent(conn_executor: ScriptedExecutor) -> AsyncIterator[Running]:
    async with serve(lambda url: agent_app(connectivity_card(url), conn_executor)) as running:
        yield running


@pytest.fixture
async def broken_agent() -> AsyncIterator[Running]:
    async with serve(lambda _url: broken_card_app()) as running:
        yield running
