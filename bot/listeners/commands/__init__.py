"""Slash commands."""

from __future__ import annotations

from slack_bolt.async_app import AsyncApp

from bot.blocks.ids import COMMAND
from bot.listeners.commands.netops import netops_command
from bot.services import Services


def register(app: AsyncApp, services: Services) -> tuple[str, ...]:
    async def _netops(ack, command) -> None:  # type: ignore[no-untyped-def]
        await netops_command(ack, command, services)

    app.command(COMMAND)(_netops)
    return (COMMAND,)
