"""The bolt app factory (after Slack's bolt-python-starter-template): app, listeners, error handler."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from agents.errors import SettingsError
from bot.listeners import Registered, register_listeners
from bot.services import Services

log = logging.getLogger(__name__)

HTTP_NEEDS_SECRET = (
    "setting SLACK_SIGNING_SECRET is missing: HTTP mode verifies every request with it (or set SLACK_APP_TOKEN "
    "for Socket Mode)"
)


def create_app(
    services: Services, client: AsyncWebClient, *, signing_secret: str | None, socket_mode: bool = False
) -> tuple[AsyncApp, Registered]:
    """A bolt `AsyncApp` with every listener.

    Verification follows the mode, never the secret: HTTP mode always verifies, and refuses to be
    built without a secret (an empty one once turned verification off: anyone could click "Apply").
    """
    if not socket_mode and not signing_secret:
        raise SettingsError(HTTP_NEEDS_SECRET)
    app = AsyncApp(
        client=client,
        signing_secret=signing_secret or "",
        request_verification_enabled=not socket_mode,
        # Listeners only ack and enqueue (one Redis round trip), so they finish well inside Slack's 3 s and
        # bolt can answer when they return, instead of polling for the ack every 10 ms.
        process_before_response=True,
        raise_error_for_unhandled_request=False,
    )

    @app.error
    async def _on_error(error: Exception, body: dict[str, Any]) -> None:
        log.error("listener failed on a %s request: %s", body.get("type", "?"), error, exc_info=error)

    return app, register_listeners(app, services)
