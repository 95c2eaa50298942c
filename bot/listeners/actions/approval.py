"""Clicks on "Apply TCP fixes" and "Dismiss".

"Apply" only queues a decision: the job checks the approver and claims the approval
atomically, so twenty clicks on three replicas still run one fix. "Dismiss" first asks for
a reason in a modal (its submission queues the decision, see bot/listeners/views).
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from redis.exceptions import RedisError

from bot.blocks.approval import dismiss_modal
from bot.queue_notes import not_queued
from bot.runner import DECISION
from bot.services import Services
from bot.surface import SurfaceError

log = logging.getLogger(__name__)


def _where(body: dict[str, Any]) -> tuple[str, str | None]:
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id", "")
    message = body.get("message") or {}
    return channel, message.get("thread_ts") or (body.get("container") or {}).get("thread_ts")


async def on_apply(body: dict[str, Any], action: dict[str, Any], services: Services) -> None:
    channel, thread_ts = _where(body)
    user = body["user"]["id"]
    payload = {
        "approval_id": action.get("value", ""),
        "user": user,
        "decision": "approved",
        "channel": channel,
        "thread_ts": thread_ts,
    }
    try:
        await services.jobs.enqueue(DECISION, payload, dedupe_key=f"action:{body.get('trigger_id')}")
    except RedisError as exc:
        log.error("could not queue an approval: %s", exc)
        try:
            await services.surface.post_ephemeral(channel, user, not_queued("approval", exc, "en"), thread_ts)
        except SurfaceError as err:
            log.warning("%s", err)


LANGUAGE_LOOKUP_S = 0.5  # of the 3 s a trigger id lasts: past this the modal opens in English


async def on_dismiss(body: dict[str, Any], action: dict[str, Any], services: Services) -> None:
    approval_id = action.get("value", "")
    language = await _approval_language(services, approval_id)
    try:
        await services.surface.open_modal(body["trigger_id"], dismiss_modal(approval_id, language))
    except SurfaceError as exc:
        log.warning("%s", exc)


async def _approval_language(services: Services, approval_id: str) -> str:
    """The answer's language, read from its approval; English when Redis cannot say in time."""
    try:
        approval = await asyncio.wait_for(services.approvals.get(approval_id), LANGUAGE_LOOKUP_S)
    except (TimeoutError, RedisError, ValueError) as exc:
        log.warning(
            "dismiss %s: the approval's language could not be read (%s); the form is in English", approval_id, exc
        )
        return "en"
    return approval.language if approval is not None else "en"
