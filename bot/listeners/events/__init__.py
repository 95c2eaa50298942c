"""Events: mentions anywhere, and replies in threads NetOps started."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.listeners.events.mention import on_mention
from bot.listeners.events.thread_reply import on_message
from bot.services import Services


def register(app: AsyncApp, services: Services) -> tuple[str, ...]:
    async def _mention(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        await on_mention(body, event, context.bot_user_id, services)

    async def _message(body: dict[str, Any], event: dict[str, Any], context: Any) -> None:
        await on_message(body, event, context.bot_user_id, services)

    app.event("app_mention")(_mention)
    app.event("message")(_message)
    return ("app_mention", "message")
