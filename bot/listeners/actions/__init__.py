"""Buttons: apply or dismiss a fix, view a trace, rate an answer."""

from __future__ import annotations

from typing import Any

from slack_bolt.async_app import AsyncApp

from bot.blocks.feedback import ACTION_FEEDBACK
from bot.blocks.ids import ACTION_APPLY, ACTION_DISMISS, ACTION_VIEW_TRACE
from bot.listeners.actions.approval import on_apply, on_dismiss
from bot.listeners.actions.feedback import on_feedback
from bot.listeners.actions.trace import on_view_trace
from bot.services import Services


def register(app: AsyncApp, services: Services) -> tuple[str, ...]:
    async def _apply(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await on_apply(body, action, services)

    async def _dismiss(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await on_dismiss(body, action, services)

    async def _trace(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await on_view_trace(body, action, services)

    async def _feedback(ack: Any, body: dict[str, Any], action: dict[str, Any]) -> None:
        await ack()
        await on_feedback(body, action, services)

    app.action(ACTION_APPLY)(_apply)
    app.action(ACTION_DISMISS)(_dismiss)
    app.action(ACTION_VIEW_TRACE)(_trace)
    app.action(ACTION_FEEDBACK)(_feedback)
    return (ACTION_APPLY, ACTION_DISMISS, ACTION_VIEW_TRACE, ACTION_FEEDBACK)
