""" "View trace": the step tree of a stored result in a modal (opened at once: trigger ids last 3 s)."""

from __future__ import annotations

import logging
from typing import Any

from agents.i18n import LANGUAGES, tr
from bot.blocks.trace import trace_modal
from bot.services import Services
from bot.surface import SurfaceError

log = logging.getLogger(__name__)


async def on_view_trace(body: dict[str, Any], action: dict[str, Any], services: Services) -> None:
    stored = await services.results.get(action.get("value", ""))
    try:
        if stored is None or stored.trace is None:
            channel = (body.get("channel") or {}).get("id", "")
            languages = (stored.language,) if stored is not None and stored.language else LANGUAGES
            gone = "\n".join(
                tr(language, "This trace is no longer kept (traces are kept 7 days): ask again.")
                for language in languages
            )
            await services.surface.post_ephemeral(channel, body["user"]["id"], gone)
            return
        modal = trace_modal(stored.trace, services.settings.dashboard_url, stored.language)
        await services.surface.open_modal(body["trigger_id"], modal)
    except SurfaceError as exc:
        log.warning("%s", exc)
