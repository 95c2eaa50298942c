"""manifest.yml asks for exactly what the code handles: no more, no less."""

from __future__ import annotations

import re
from pathlib import Path

import yaml
from bot_harness import Harness

ROOT = Path(__file__).resolve().parents[2]

# Which scope each capability needs (Slack's scope docs).
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.channels": "channels:history",
    "message.groups": "groups:history",
    "message.im": "im:history",
    "assistant_thread_started": "assistant:write",  # the assistant panel (bolt's AsyncAssistant)
    "assistant_thread_context_changed": "assistant:write",
}
METHOD_SCOPES = {
    "chat_postMessage": "chat:write",
    "chat_update": "chat:write",
    "chat_postEphemeral": "chat:write",
    "chat_startStream": "chat:write",  # streamed answers (bot/streaming.py)
    "chat_appendStream": "chat:write",
    "chat_stopStream": "chat:write",
    "usergroups_users_list": "usergroups:read",
    "views_open": None,  # no scope needed
    "auth_test": None,
}


def _manifest() -> dict:
    return yaml.safe_load((ROOT / "manifest.yml").read_text())


def _web_api_methods_called() -> set[str]:
    source = "\n".join(path.read_text() for path in (ROOT / "bot").rglob("*.py"))
    return set(re.findall(r"\.(chat_\w+|views_\w+|usergroups_\w+|users_\w+|conversations_\w+|reactions_\w+)\(", source))


async def test_every_registered_listener_is_in_the_manifest_and_nothing_else(harness: Harness) -> None:
    manifest = _manifest()
    registered = harness.runtime.registered
    commands = {item["command"] for item in manifest["features"]["slash_commands"]}
    assert commands == set(registered.commands)
    events = manifest["settings"]["event_subscriptions"]["bot_events"]
    assert {event.split(".")[0] for event in events} == set(registered.events)
    assert manifest["settings"]["interactivity"]["is_enabled"] is bool(registered.actions or registered.views)
    assert ("assistant_view" in manifest["features"]) is ("assistant_thread_started" in registered.events)


def test_scopes_are_exactly_those_the_code_needs() -> None:
    manifest = _manifest()
    methods = _web_api_methods_called()
    assert methods <= set(METHOD_SCOPES), f"a Web API method without a known scope: {methods - set(METHOD_SCOPES)}"
    needed = {METHOD_SCOPES[m] for m in methods} | {
        EVENT_SCOPES[e] for e in manifest["settings"]["event_subscriptions"]["bot_events"]
    }
    needed |= {"commands"} if manifest["features"]["slash_commands"] else set()
    assert set(manifest["oauth_config"]["scopes"]["bot"]) == needed - {None}


def test_socket_mode_is_on_by_default_and_the_command_has_a_usage_hint() -> None:
    manifest = _manifest()
    assert manifest["settings"]["socket_mode_enabled"] is True
    assert all(item.get("usage_hint") for item in manifest["features"]["slash_commands"])
