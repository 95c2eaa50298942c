"""`netops bot`: the Slack app in HTTP mode (Starlette) or Socket Mode, plus health endpoints.

HTTP mode serves Slack's requests on POST /slack/events (verified with the signing secret)
and, in both modes, GET /healthz (liveness: the process answers) and GET /readyz
(readiness: Redis answers and the collaborator's agent card is reachable), and POST /aws/sns
(CloudWatch alarms from SNS, bot/sns).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import time
from collections.abc import AsyncIterator

import uvicorn
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agents.settings import Settings, SettingsError
from bot.jobs import AcksInFlight
from bot.runtime import BotRuntime, bot_runtime
from bot.sns.endpoint import sns_routes

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


class ServerTiming:
    """Adds `Server-Timing: app;dur=MS` to every HTTP response: the time from the request reaching
    the app to its response headers, so that a client (the ack benchmark, an operator with curl)
    can tell the app's share of a slow ack from the network's and the event loop's queueing."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        start = time.perf_counter()

        async def timed_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                duration = f"app;dur={(time.perf_counter() - start) * 1000:.3f}".encode()
                message = {**message, "headers": [*message.get("headers", []), (b"server-timing", duration)]}
            await send(message)

        await self.app(scope, receive, timed_send)


def slack_http_app(app: AsyncApp, routes: list[Route], acks: AcksInFlight | None = None) -> ASGIApp:
    """POST /slack/events for bolt `app` (counted in `acks`), plus `routes`; shared with the ack
    benchmark's bare app."""
    handler = AsyncSlackRequestHandler(app)
    acks = acks or AcksInFlight()

    async def events(request: Request) -> Response:
        acks.enter()
        try:
            return await handler.handle(request)
        finally:
            acks.leave()

    return ServerTiming(Starlette(routes=[Route("/slack/events", events, methods=["POST"]), *routes]))


def side_routes(runtime: BotRuntime) -> list[Route]:
    """Health, and POST /aws/sns for CloudWatch alarms: served in both modes."""
    return health_routes(runtime) + (sns_routes(runtime.sns) if runtime.sns is not None else [])


def http_app(runtime: BotRuntime) -> ASGIApp:
    return slack_http_app(runtime.app, side_routes(runtime), runtime.acks)


def uvicorn_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """How `netops bot` serves HTTP (the benchmark's bare app uses it too, to compare like with like)."""
    return uvicorn.Config(app, host=host, port=port, log_level="warning")


def check_settings(settings: Settings) -> None:
    """Fails start-up with one line when the mode's required settings are missing."""
    if settings.slack_bot_token is None:
        raise SettingsError("setting SLACK_BOT_TOKEN is missing: `netops bot` needs the app's bot token (xoxb-…)")
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise SettingsError(
            "setting SLACK_SIGNING_SECRET is missing: HTTP mode needs it (or set SLACK_APP_TOKEN for Socket Mode)"
        )
    if settings.sns_lab_certificate is not None and not settings.lab_mode:
        raise SettingsError(
            "setting NETOPS_SNS_LAB_CERTIFICATE is set without NETOPS_LAB_MODE: the lab's certificate is never "
            "trusted in production; unset it"
        )


async def serve(settings: Settings, port: int, host: str = "0.0.0.0") -> None:
    check_settings(settings)
    async with bot_runtime(settings) as runtime:
        # Everything built so far (imports, clients, the bolt app) lives as long as the process:
        # moved out of the collector's sight, a full collection no longer scans ~100k objects, which
        # during a burst of acks paused the loop for tens of ms (p99 85 ms -> 45-65 ms in bench_ack).
        gc.freeze()
        if settings.slack_app_token is not None:
            await _serve_socket_mode(runtime, settings, host, port)
        else:
            log.info("netops bot: HTTP mode on %s:%d (POST /slack/events)", host, port)
            await uvicorn.Server(uvicorn_config(http_app(runtime), host, port)).serve()


async def _serve_socket_mode(runtime: BotRuntime, settings: Settings, host: str, port: int) -> None:
    from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler

    assert settings.slack_app_token is not None
    handler = AsyncSocketModeHandler(runtime.app, settings.slack_app_token.get_secret_value())
    health = uvicorn.Server(
        uvicorn.Config(Starlette(routes=side_routes(runtime)), host=host, port=port, log_level="warning")
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
    server = uvicorn.Server(uvicorn_config(http_app(runtime), host, 0))
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
