"""Plain replies in a thread NetOps started with `/netops`: follow-up questions, no mention needed.

Slack sends every channel message here (that is what `message.channels` subscribes to), so
this listener acks them all and picks only human replies in NetOps-owned threads; messages
that mention the bot are left to the `app_mention` listener, so nothing is answered twice.
"""

from __future__ import annotations

from typing import Any

from bot.listeners.events.mention import queue_question
from bot.services import Services


def is_follow_up(event: dict[str, Any], bot_user_id: str | None) -> bool:
    if event.get("subtype") or event.get("bot_id") or not event.get("thread_ts") or not event.get("user"):
        return False
    if event.get("thread_ts") == event.get("ts"):
        return False
    return not (bot_user_id and f"<@{bot_user_id}" in event.get("text", ""))


async def on_message(body: dict[str, Any], event: dict[str, Any], bot_user_id: str | None, services: Services) -> None:
    if not is_follow_up(event, bot_user_id):
        return
    conversation = await services.conversations.get(event["channel"], event["thread_ts"])
    if conversation is None or not conversation.owned:
        return
    await queue_question(
        services,
        event_id=body.get("event_id"),
        channel=event["channel"],
        thread_ts=event["thread_ts"],
        user=event["user"],
        text=" ".join(event.get("text", "").split()),
        owned=True,
    )
