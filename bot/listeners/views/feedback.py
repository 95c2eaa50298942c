"""The reason given after a thumbs-down, added to the vote the click already recorded."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

from bot.feedback import FeedbackStore
from bot.listeners.views.dismiss import submitted_reason
from bot.services import Services

log = logging.getLogger(__name__)


async def on_feedback_reason(body: dict[str, Any], view: dict[str, Any], services: Services) -> None:
    reason = submitted_reason(view)
    if not reason:
        return
    result_id = str(view.get("private_metadata") or "")
    try:
        await FeedbackStore(services.redis).add_reason(result_id, body["user"]["id"], reason)
    except RedisError as exc:
        log.error("feedback: could not record a reason: %s", exc)
