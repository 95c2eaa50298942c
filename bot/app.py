"""The bolt app factory (after Slack's bolt-python-starter-template): app, listeners, error handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from bot.listeners import Registered, register_listeners
from bot.services import Services

log = logging.getLogger(__name__)


def create_app(
    services: Services, client: AsyncWebClient, *, signing_secret: str | None
) -> tuple[AsyncApp, Registered]:
    """A bolt `AsyncApp` with every listener; `signing_secret` None only for Socket Mode."""
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret,
        request_verification_enabled=signing_secret is not None,
        # Listeners only ack and enqueue (one Redis round trip), so they finish well inside Slack's 3 s and
        # bolt can answer when they return, instead of polling for the ack every 10 ms.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    @app.error
    async def _on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("listener failed on a %s request: %s", body.get("type", "?"), error, exc_info=error)

    return app, register_listeners(app, services)
