"""Fixtures: a real moto server on 127.0.0.1 (reset for every test), the lab seeded in it, the agent."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import boto3
import httpx
import pytest
from moto.server import ThreadedMotoServer
from perf_harness import REGION, Lab, RunningAgent, agent_settings, seed_lab, serve_performance_agent


@pytest.fixture(scope="session")
def moto_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


@pytest.fixture
def moto_url(moto_server: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """The moto server, emptied, with fake credentials in the environment (never real AWS)."""
    for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
    httpx.post(f"{moto_server}/moto-api/reset", timeout=60).raise_for_status()  # slow on a busy machine
    return moto_server


@pytest.fixture
def aws(moto_url: str) -> Iterator[Any]:
    """`aws("s3")` → a boto3 client on the moto server; all are closed after the test."""
    made: list[Any] = []

    def client(service: str) -> Any:
        made.append(boto3.client(service, region_name=REGION, endpoint_url=moto_url))
        return made[-1]

    yield client
    for c in made:
        c.close()


@pytest.fixture
def lab(aws: Any) -> Lab:
    return seed_lab(aws)


@pytest.fixture
async def perf_agent(moto_url: str, lab: Lab, redis_client: Any) -> AsyncIterator[RunningAgent]:
    async with serve_performance_agent(agent_settings(moto_url), redis_client) as running:
        yield running


@pytest.fixture
async def http() -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(timeout=httpx.Timeout(60.0)) as client:
        yield client
