"""`/netops QUESTION`: ack at once, queue the question; the job posts the thread root and answers."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

from agents.i18n import detect_language
from bot.blocks.ask import MAX_QUESTION_CHARS, too_long_note, usage_blocks
from bot.queue_notes import not_queued
from bot.runner import QUESTION
from bot.services import Services

log = logging.getLogger(__name__)

HELP_WORDS = {"", "help", "-h", "--help", "?"}


async def netops_command(ack: Any, command: dict[str, Any], services: Services) -> None:
    text = (command.get("text") or "").strip()
    if text.lower() in HELP_WORDS:
        await ack(blocks=usage_blocks(), text="How to use /netops", response_type="ephemeral")
        return
    if len(text) > MAX_QUESTION_CHARS:
        await ack(text=too_long_note(len(text)), response_type="ephemeral")
        return
    payload = {
        "channel": command["channel_id"],
        "user": command["user_id"],
        "question": text,
        "response_url": command.get("response_url"),
    }
    try:
        await services.jobs.enqueue(QUESTION, payload, dedupe_key=f"command:{command.get('trigger_id')}")
    except RedisError as exc:
        log.error("could not queue /netops: %s", exc)
        await ack(text=not_queued("question", exc, detect_language(text)), response_type="ephemeral")
        return
    await ack()
