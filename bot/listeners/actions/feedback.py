"""Clicks on the feedback buttons (the reason after a thumbs-down: bot/listeners/views/feedback.py).

A vote is recorded at the click (one Redis write, well inside Slack's 3 s), so closing the
reason modal loses nothing; the modal opens first, since its trigger id expires in 3 s.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from redis.exceptions import RedisError

from agents.i18n import detect_language, tr
from bot.blocks.feedback import DOWN, parse_vote, reason_modal, thanks
from bot.feedback import FeedbackStore, feedback_of
from bot.services import Services
from bot.surface import SurfaceError

log = logging.getLogger(__name__)


async def on_feedback(body: dict[str, Any], action: dict[str, Any], services: Services) -> None:
    parsed = parse_vote(str(action.get("value") or ""))
    user = body["user"]["id"]
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
    if parsed is None:
        log.warning("feedback: a click with an unknown value %r", str(action.get("value"))[:80])
        return
    vote, result_id = parsed
    surface = services.surface
    try:
        stored = await services.results.get(result_id)
        if stored is None:
            text = tr("en", "This answer is no longer kept (answers are kept 7 days), so it cannot be rated.")
            await surface.post_ephemeral(channel, user, text)
            return
        lang = detect_language(stored.question or stored.text)
        if vote == DOWN:
            await surface.open_modal(body["trigger_id"], reason_modal(result_id, lang))
        await FeedbackStore(services.redis).record(
            feedback_of(stored, user, vote, services.settings.scenario, datetime.now(UTC))
        )
        if vote != DOWN:
            await surface.post_ephemeral(channel, user, thanks(lang, vote), stored.thread_ts)
    except RedisError as exc:
        log.error("feedback: could not record a vote: %s", exc)
        await _quietly(
            surface.post_ephemeral(channel, user, tr("en", "Your feedback could not be recorded: try again."))
        )
    except SurfaceError as exc:
        log.warning("feedback: %s", exc)


async def _quietly(call: Any) -> None:
    try:
        await call
    except SurfaceError as exc:
        log.warning("feedback: %s", exc)
