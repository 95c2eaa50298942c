"""Modal submissions."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks.feedback import VIEW_FEEDBACK
from bot.blocks.ids import INPUT_REASON, VIEW_DISMISS
from bot.listeners.views.dismiss import on_dismiss_submitted
from bot.listeners.views.feedback import on_feedback_reason
from bot.services import Services


def register(app: AsyncApp, services: Services) -> tuple[str, ...]:
    async def _dismiss(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        problem = await on_dismiss_submitted(body, view, services)
        if problem:  # the modal stays open and says why, instead of closing on a lost dismissal
            await ack(response_action="errors", errors={INPUT_REASON: problem})
        else:
            await ack()

    async def _feedback_reason(ack: Any, body: dict[str, Any], view: dict[str, Any]) -> None:
        await ack()
        await on_feedback_reason(body, view, services)

    app.view(VIEW_DISMISS)(_dismiss)
    app.view(VIEW_FEEDBACK)(_feedback_reason)
    return (VIEW_DISMISS, VIEW_FEEDBACK)
