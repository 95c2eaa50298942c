"""The dismiss modal was submitted: queue the dismissal with its reason."""

from __future__ import annotations

import logging
from typing import Any

from redis.exceptions import RedisError

from bot.blocks.ids import INPUT_REASON
from bot.queue_notes import not_queued
from bot.runner import DECISION
from bot.services import Services

log = logging.getLogger(__name__)


def submitted_reason(view: dict[str, Any]) -> str:
    values = (view.get("state") or {}).get("values") or {}
    value = (values.get(INPUT_REASON) or {}).get(INPUT_REASON) or {}
    return " ".join(str(value.get("value") or "").split())[:500]


async def on_dismiss_submitted(body: dict[str, Any], view: dict[str, Any], services: Services) -> str | None:
    """Queues the dismissal; None when queued, otherwise the note to show in the modal."""
    payload = {
        "approval_id": view.get("private_metadata", ""),
        "user": body["user"]["id"],
        "decision": "dismissed",
        "note": submitted_reason(view),
        "channel": "",
        "thread_ts": None,
    }
    try:
        await services.jobs.enqueue(DECISION, payload, dedupe_key=f"view:{view.get('id')}")
    except RedisError as exc:
        log.error("could not queue a dismissal: %s", exc)
        return not_queued("dismissal", exc, "en")
    return None
