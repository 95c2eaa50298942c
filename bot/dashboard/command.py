"""`netops dashboard [--host 127.0.0.1] [--port 8080]`: the trace dashboard alone, reading the bot's Redis.

It binds 127.0.0.1 unless told otherwise, and refuses any other address without
NETOPS_DASHBOARD_TOKEN: traces hold questions, hosts and errors, so the default is never open.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Mount, Route

from agents.settings import Settings, SettingsError
from bot.dashboard.access import Access, Guarded, is_loopback


def dashboard_server(settings: Settings) -> Starlette:
    """The dashboard under its path (as the bot mounts it), with its own Redis client closed on shutdown."""
    import redis.asyncio as aioredis

    from agents.traceability.store import TraceStore
    from bot.dashboard.app import DASHBOARD_PATH, dashboard_app, stale_after

    redis = aioredis.from_url(settings.redis_url)
    token = settings.dashboard_token
    access = Access(token.get_secret_value() if token else None)

    async def home(_: Request) -> Response:
        return RedirectResponse(f"{DASHBOARD_PATH}/", status_code=307)

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await redis.aclose()

    routes = [
        Route("/", home),
        Mount(DASHBOARD_PATH, app=Guarded(dashboard_app(TraceStore(redis), stale_after(settings)), access)),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def check_bind(settings: Settings, host: str) -> None:
    """Fails start-up on an address others can reach when no token guards the pages."""
    if settings.dashboard_token is None and not _local_host(host):
        raise SettingsError(
            f"setting NETOPS_DASHBOARD_TOKEN is missing: `netops dashboard --host {host}` would show traces to"
            " anyone who can reach it; set a token, or keep the default --host 127.0.0.1"
        )


def _local_host(host: str) -> bool:
    return host == "localhost" or is_loopback(host)


def _run(args: argparse.Namespace) -> int:
    import uvicorn

    from agents.observability import BOT_SERVICE, configure_logging
    from agents.settings import load_settings

    settings = load_settings()
    configure_logging(settings.log_level, BOT_SERVICE, json_lines=settings.log_json)
    check_bind(settings, args.host)
    uvicorn.run(dashboard_server(settings), host=args.host, port=args.port, log_level=settings.log_level.lower())
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("dashboard", help="serve the trace dashboard (live and recent traces, waterfalls)")
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port (default 8080)")
    parser.set_defaults(handler=_run)
