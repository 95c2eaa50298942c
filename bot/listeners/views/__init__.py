"""Modal submissions."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks.feedback import VIEW_FEEDBACK
from bot.blocks.ids import VIEW_DISMISS
from bot.listeners.views.dismiss import on_dismiss_submitted
from bot.listeners.views.feedback import on_feedback_reason
from bot.services import Services


def register(app: AsyncApp, services: Services) -> tuple[str, ...]:
    async def _dismiss(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        await ack()
        await on_dismiss_submitted(body, view, services)

    async def _feedback_reason(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        await ack()
        await on_feedback_reason(body, view, services)

    app.view(VIEW_DISMISS)(_dismiss)
    app.view(VIEW_FEEDBACK)(_feedback_reason)
    return (VIEW_DISMISS, VIEW_FEEDBACK)
