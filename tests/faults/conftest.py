"""Fixtures of the fault suite: the test's own Redis servers, the fake Slack Web API, a test A2A
agent (both in the test process), and `netops` processes started and killed by the test."""

from __future__ import annotations

import contextlib
import socket
import sys
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bot"))  # the bot suite's fakes

import bot_fake_fixtures
from bot_fake_agent import FakeAgent
from bot_fake_slack import FakeSlack
from fault_processes import NetopsProcess, OwnRedis, bot_env, free_port, wait_healthy

# The bot suite's; bound by name, which is how pytest finds a conftest's fixtures.
fake_slack = bot_fake_fixtures.fake_slack
agent = bot_fake_fixtures.agent


@pytest.fixture
def own_redis(tmp_path: Path) -> Iterator[Callable[..., OwnRedis]]:
    """Starts redis-servers of this test's own (`persistent=True`: append-only file, fsync always)."""
    servers: list[OwnRedis] = []

    def start(persistent: bool = False) -> OwnRedis:
        workdir = tmp_path / f"redis-{len(servers)}"
        workdir.mkdir()
        server = OwnRedis(workdir, persistent)
        servers.append(server)
        server.start()
        return server

    try:
        yield start
    finally:
        for server in servers:
            server.stop()


@pytest.fixture
async def netops(tmp_path: Path) -> AsyncIterator[Callable[..., Any]]:
    """Starts `netops ARGS…` processes; every one still running at the end is killed."""
    started: list[NetopsProcess] = []

    async def start(args: list[str], env: dict[str, str]) -> NetopsProcess:
        process = NetopsProcess(args, env, tmp_path / f"netops-{len(started)}.log")
        started.append(process)
        await process.start()
        return process

    try:
        yield start
    finally:
        for process in started:
            with contextlib.suppress(ProcessLookupError):
                await process.stop()


@pytest.fixture
def bot_replica(netops, fake_slack: FakeSlack, agent: FakeAgent):  # type: ignore[no-untyped-def]
    """Starts a `netops bot` replica in HTTP mode on `redis_url`; returns (its URL, the process)."""

    async def start(redis_url: str, **extra: str) -> tuple[str, NetopsProcess]:
        port = free_port()
        env = bot_env(redis_url=redis_url, slack_url=fake_slack.url, collaborator_url=agent.url, **extra)
        process = await netops(["bot", "--host", "127.0.0.1", "--port", str(port)], env)
        url = f"http://127.0.0.1:{port}"
        await wait_healthy(url, process)
        return url, process

    return start


@pytest.fixture
def closed_port_url_factory() -> Iterator[Callable[[], str]]:
    """URLs on which nothing listens: each port stays bound (so no one takes it) and never listens."""
    sockets: list[socket.socket] = []

    def make() -> str:
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        sockets.append(sock)
        return f"http://127.0.0.1:{sock.getsockname()[1]}"

    try:
        yield make
    finally:
        for sock in sockets:
            sock.close()
