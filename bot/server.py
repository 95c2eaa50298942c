"""`netops bot`: the Slack app in HTTP mode (Starlette) or Socket Mode, plus health endpoints.

HTTP mode serves Slack's requests on POST /slack/events (each checked by `bot.request_guard`
before bolt sees it: always signed, never malformed) and, in both modes, GET /healthz and GET
/readyz (`bot.health`), /metrics and /dashboard/ (`bot.dashboard`), and POST /aws/sns (CloudWatch
alarms from SNS, `bot.sns`). SIGTERM and SIGINT drain and close in every mode (`bot.shutdown`).
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
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agents.settings import Settings, SettingsError
from bot.app import HTTP_NEEDS_SECRET
from bot.dashboard.mount import observability_routes
from bot.health import health_routes
from bot.jobs import AcksInFlight
from bot.request_guard import MAX_BODY_BYTES, Rejection, check_request, rejection_body
from bot.runtime import BotRuntime, bot_runtime
from bot.shutdown import OwnSignalsServer, serve_until, stop_on_signals
from bot.sns.endpoint import sns_routes
from bot.socket_mode import serve_socket_mode

log = logging.getLogger(__name__)


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


def slack_http_app(
    app: AsyncApp, routes: list[Route], acks: AcksInFlight | None = None, *, signing_secret: str
) -> ASGIApp:
    """POST /slack/events for bolt `app` (counted in `acks`), plus `routes`; shared with the ack
    benchmark's bare app. Forged, stale, malformed and oversized requests are answered here (401,
    400, 413) with one log line, before bolt parses anything."""
    handler = AsyncSlackRequestHandler(app)
    acks = acks or AcksInFlight()

    async def events(request: Request) -> Response:
        body = await _read_capped(request)
        rejection = body if isinstance(body, Rejection) else None
        if rejection is None:
            rejection = check_request(
                request.headers, body, signing_secret, time.time(), request.headers.get("content-type")
            )
        if rejection is not None:
            log.warning("POST /slack/events refused with %d: %s", rejection.status, rejection.reason)
            return Response(rejection_body(rejection), rejection.status, media_type="application/json")
        acks.enter()
        try:
            return await handler.handle(_replayed(request, body))
        finally:
            acks.leave()

    return ServerTiming(Starlette(routes=[Route("/slack/events", events, methods=["POST"]), *routes]))


async def _read_capped(request: Request) -> bytes | Rejection:
    """The body, read no further than MAX_BODY_BYTES (a declared or streamed larger one is refused)."""
    too_large = Rejection(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        return too_large
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY_BYTES:
            return too_large
        chunks.append(chunk)
    return b"".join(chunks)


def _replayed(request: Request, body: bytes) -> Request:
    """The request again, with the body already read, for bolt's adapter to read once more."""

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    return Request(request.scope, receive)


def side_routes(runtime: BotRuntime) -> list[Route]:
    """Metrics, the dashboard and POST /aws/sns (CloudWatch alarms): served beside health in both modes."""
    return [*observability_routes(runtime.services), *(sns_routes(runtime.sns) if runtime.sns is not None else [])]


def http_app(runtime: BotRuntime) -> ASGIApp:
    if runtime.signing_secret is None:
        raise SettingsError(HTTP_NEEDS_SECRET)
    routes = [*health_routes(runtime), *side_routes(runtime)]
    return slack_http_app(runtime.app, routes, runtime.acks, signing_secret=runtime.signing_secret)


def uvicorn_config(app: ASGIApp, host: str, port: int) -> uvicorn.Config:
    """How `netops bot` serves HTTP (the benchmark's bare app uses it too, to compare like with like)."""
    return uvicorn.Config(app, host=host, port=port, log_level="warning")


def check_settings(settings: Settings) -> None:
    """Fails start-up with one line when the mode's required settings are missing (empty counts as missing)."""
    if settings.slack_bot_token is None:
        raise SettingsError("setting SLACK_BOT_TOKEN is missing: `netops bot` needs the app's bot token (xoxb-…)")
    if settings.slack_app_token is None and settings.slack_signing_secret is None:
        raise SettingsError(HTTP_NEEDS_SECRET)
    if settings.approval_secret is None:
        log.warning(
            "netops bot: NETOPS_APPROVAL_SECRET is not set, so answers offer no Apply or Undo button "
            "(set the same value for the bot and the Performance Agent)"
        )
    if settings.sns_lab_certificate is not None and not settings.lab_mode:
        raise SettingsError(
            "setting NETOPS_SNS_LAB_CERTIFICATE is set without NETOPS_LAB_MODE: the lab's certificate is never "
            "trusted in production; unset it"
        )


async def serve(settings: Settings, port: int, host: str = "0.0.0.0") -> None:
    """Runs the bot until SIGTERM or SIGINT, then drains running jobs (bounded) and closes every client."""
    check_settings(settings)
    stop = asyncio.Event()
    with stop_on_signals(stop):
        async with bot_runtime(settings) as runtime:
            # Everything built so far (imports, clients, the bolt app) lives as long as the process:
            # moved out of the collector's sight, a full collection no longer scans ~100k objects, which
            # during a burst of acks paused the loop for tens of ms (p99 85 ms -> 45-65 ms in bench_ack).
            gc.freeze()
            if settings.slack_app_token is not None:
                await serve_socket_mode(runtime, settings.slack_app_token.get_secret_value(), host, port, stop)
            else:
                log.info("netops bot: HTTP mode on %s:%d (POST /slack/events)", host, port)
                await serve_until(OwnSignalsServer(uvicorn_config(http_app(runtime), host, port)), stop)
    log.info("netops bot: stopped")


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
