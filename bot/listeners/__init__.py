"""Registers every listener on the bolt app, by Slack surface, and says what it registered.

The returned `Registered` is what `manifest.yml` is checked against, so the manifest and the
code cannot drift apart: a listener added here without a manifest entry fails a test.
"""

from __future__ import annotations

from dataclasses import dataclass

from slack_bolt.async_app import AsyncApp

from bot.listeners import actions, assistant, commands, events, views
from bot.services import Services


@dataclass(frozen=True)
class Registered:
    commands: tuple[str, ...]
    events: tuple[str, ...]
    actions: tuple[str, ...]
    views: tuple[str, ...]


def register_listeners(app: AsyncApp, services: Services) -> Registered:
    return Registered(
        commands=commands.register(app, services),
        events=events.register(app, services) + assistant.register(app, services),
        actions=actions.register(app, services),
        views=views.register(app, services),
    )
