"""`netops bot`: the Slack app in HTTP mode (Starlette) or Socket Mode, plus health endpoints.

HTTP mode serves Slack's requests on POST /slack/events (verified with the signing secret)
and, in both modes, GET /healthz (liveness: the process answers) and GET /readyz
(readiness: Redis answers and the collaborator's agent card is reachable).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncIterator

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from agents.settings import Settings, SettingsError
from bot.runtime import BotRuntime, bot_runtime

log = logging.getLogger(__name__)


async def readiness(runtime: BotRuntime) -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    try:
        await runtime.services.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    collaborator = runtime.services.collaborator
    checks["collaborator"] = "ok" if await collaborator.ready() else f"no agent card at {collaborator.base_url}"
    return all(value == "ok" for value in checks.values()), checks


def health_routes(runtime: BotRuntime) -> list[Route]:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        ok, checks = await readiness(runtime)
        return JSONResponse({"status": "ok" if ok else "not ready", **checks}, status_code=200 if ok else 503)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]


def http_app(runtime: BotRuntime) -> Starlette:
    handler = AsyncSlackRequestHandler(runtime.app)

    async def events(request: Request) -> Response:
        return await handler.handle(request)

    return Starlette(routes=[Route("/slack/events", events, methods=["POST"]), *health_routes(runtime)])


def check_settings(settings: Settings) -> None:
    """Fails start-up with one line when the mode's required settings are missing."""
    if settings.slack_bot_token is None:
        raise SettingsError("setting SLACK_BOT_TOKEN is missing: `netops bot` needs the app's bot token (xoxb-…)")
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise SettingsError(
            "setting SLACK_SIGNING_SECRET is missing: HTTP mode needs it (or set SLACK_APP_TOKEN for Socket Mode)"
        )


async def serve(settings: Settings, port: int, host: str = "0.0.0.0") -> None:
    check_settings(settings)
    async with bot_runtime(settings) as runtime:
        if settings.slack_app_token is not None:
            await _serve_socket_mode(runtime, settings, host, port)
        else:
            log.info("netops bot: HTTP mode on %s:%d (POST /slack/events)", host, port)
            await uvicorn.Server(uvicorn.Config(http_app(runtime), host=host, port=port, log_level="warning")).serve()


async def _serve_socket_mode(runtime: BotRuntime, settings: Settings, host: str, port: int) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(runtime.app, settings.slack_app_token.get_secret_value())
    health = uvicorn.Server(
        uvicorn.Config(Starlette(routes=health_routes(runtime)), host=host, port=port, log_level="warning")
    )
    log.info("netops bot: Socket Mode (health on %s:%d)", host, port)
    await handler.connect_async()
    try:
        await health.serve()
    finally:
        with contextlib.suppress(Exception):
            await handler.close_async()


@contextlib.asynccontextmanager
async def running_http(runtime: BotRuntime, host: str = "127.0.0.1") -> AsyncIterator[str]:
    """Serves `runtime` over HTTP on a free port (tests, benchmark); yields the base URL."""
    server = uvicorn.Server(uvicorn.Config(http_app(runtime), host=host, port=0, log_level="warning"))
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            await task
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://{host}:{port}"
    finally:
        server.should_exit = True
        await task
