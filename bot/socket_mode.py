"""Socket Mode: the WebSocket to Slack, connected in the background, and health served at once.

`connect_async()` retries forever while Slack is unreachable; the health server used to start
only after it returned, so `/healthz` did not answer during a Slack outage and a liveness probe
killed the bot. Now liveness never depends on Slack, and `/readyz` says whether the socket is
connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging

import uvicorn
from slack_bolt.adapter.socket_mode.async_handler import AsyncSocketModeHandler
from starlette.applications import Starlette

from bot.dashboard.mount import observability_routes
from bot.health import health_routes
from bot.runtime import BotRuntime
from bot.shutdown import OwnSignalsServer, serve_until
from bot.sns.endpoint import sns_routes

log = logging.getLogger(__name__)


async def serve_socket_mode(runtime: BotRuntime, app_token: str, host: str, port: int, stop: asyncio.Event) -> None:
    """Connects to Slack in the background, serves health until `stop`, then closes the socket."""
    handler = AsyncSocketModeHandler(runtime.app, app_token)

    async def slack_status() -> str:
        return "ok" if await handler.client.is_connected() else "not connected to Slack (Socket Mode)"

    sns = sns_routes(runtime.sns) if runtime.sns is not None else []
    app = Starlette(routes=[*health_routes(runtime, slack_status), *observability_routes(runtime.services), *sns])
    health = OwnSignalsServer(uvicorn.Config(app, host=host, port=port, log_level="warning"))
    connecting = asyncio.create_task(handler.connect_async())
    log.info("netops bot: Socket Mode (health on %s:%d), connecting to Slack in the background", host, port)
    try:
        await serve_until(health, stop)
    finally:
        await handler.close_async()  # also ends connect()'s retry loop
        connecting.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await connecting
