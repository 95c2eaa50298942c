"""`@netops QUESTION` in a channel or a thread: answered in the thread, in its conversation."""

from __future__ import annotations

import logging
import re
from typing import Any

from redis.exceptions import RedisError

from agents.i18n import detect_language
from bot.blocks.ask import MAX_QUESTION_CHARS, too_long_note, usage_blocks
from bot.listeners.commands.netops import HELP_WORDS
from bot.queue_notes import not_queued
from bot.runner import QUESTION
from bot.services import Services
from bot.surface import SurfaceError

log = logging.getLogger(__name__)


def question_text(text: str, bot_user_id: str | None) -> str:
    """The text without the bot's mention (other people's mentions stay: they may matter)."""
    if bot_user_id:
        text = re.sub(rf"<@{re.escape(bot_user_id)}(?:\|[^>]*)?>", " ", text)
    return " ".join(text.split())


async def queue_question(
    services: Services, *, event_id: str | None, channel: str, thread_ts: str, user: str, text: str, owned: bool
) -> None:
    """Usage, a refusal, or the queued question; failures are told in the thread."""
    surface = services.surface
    try:
        if text.lower() in HELP_WORDS:
            await surface.post(channel, usage_blocks(), "How to use NetOps", thread_ts)
            return
        if len(text) > MAX_QUESTION_CHARS:
            note = too_long_note(len(text))
            await surface.post(channel, usage_blocks(note), note, thread_ts)
            return
        payload = {"channel": channel, "thread_ts": thread_ts, "user": user, "question": text, "owned": owned}
        try:
            await services.jobs.enqueue(QUESTION, payload, dedupe_key=f"event:{event_id}" if event_id else None)
        except RedisError as exc:
            log.error("could not queue a mention: %s", exc)
            note = not_queued("question", exc, detect_language(text))
            await surface.post(channel, usage_blocks(note), note, thread_ts)
    except SurfaceError as exc:
        log.warning("could not answer in %s: %s", channel, exc)


async def on_mention(body: dict[str, Any], event: dict[str, Any], bot_user_id: str | None, services: Services) -> None:
    if event.get("bot_id"):
        return
    await queue_question(
        services,
        event_id=body.get("event_id"),
        channel=event["channel"],
        thread_ts=event.get("thread_ts") or event["ts"],
        user=event.get("user", ""),
        text=question_text(event.get("text", ""), bot_user_id),
        owned=False,
    )
