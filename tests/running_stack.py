"""The whole product running in this process, for tests that watch it as an operator would.

The lab, both agents as real A2A servers and the bot's job runner on the console surface (the
same `JobRunner` the Slack path uses), plus the bot's HTTP routes for people and Prometheus
(`observability_routes`: the dashboard and /metrics) on a real port. Everything is on
127.0.0.1 with OS-chosen ports and the real Redis database of the test run.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from starlette.applications import Starlette

from agents.demo.stack import DemoStack, bind_local, demo_stack, serving, url_of
from agents.lab.server import LabConfig
from agents.settings import load_settings
from bot.collaborator import CollaboratorClient
from bot.console import ConsoleSession
from bot.dashboard.mount import observability_routes

QUESTION = "why are TCP retransmissions high between app and db?"


def stack_redis_url() -> str:
    """REDIS_URL pointed at the database the `redis_client` fixture empties (tests/conftest.py)."""
    parts = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return urlunsplit((parts.scheme, parts.netloc, f"/{os.environ.get('NETOPS_TEST_REDIS_DB', '15')}", parts.query, ""))


@dataclass
class RunningStack:
    demo: DemoStack
    session: ConsoleSession
    bot_url: str  # the bot's HTTP routes: /metrics and /dashboard/

    @property
    def agent_url(self) -> str:
        return self.demo.agent_url.rstrip("/")

    @property
    def collaborator_url(self) -> str:
        return self.demo.collaborator_url.rstrip("/")


@contextlib.asynccontextmanager
async def running_stack(**settings: Any) -> AsyncIterator[RunningStack]:
    """Start everything; the demo's changes to this process's AWS environment are undone on exit."""
    saved = dict(os.environ)
    base = load_settings(redis_url=stack_redis_url(), **settings)
    try:
        async with demo_stack(base, lab_config=LabConfig(rotation_s=None)) as demo:
            redis = demo.redis.make()
            token = demo.settings.agent_token.get_secret_value() if demo.settings.agent_token else None
            collaborator = CollaboratorClient(demo.collaborator_url, token=token)
            session = ConsoleSession(demo.settings, redis, collaborator)
            sock = bind_local()
            try:
                async with serving(Starlette(routes=observability_routes(session.services)), sock, "bot"):
                    yield RunningStack(demo, session, url_of(sock).rstrip("/"))
            finally:
                await collaborator.aclose()
                await redis.aclose()
    finally:
        os.environ.clear()
        os.environ.update(saved)
