"""Requests exactly as Slack sends them: form or JSON bodies, signed with the signing secret."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
import uuid
from typing import Any
from urllib.parse import urlencode

import httpx

SIGNING_SECRET = "test-signing-secret"
TEAM = "T0001"


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


async def post_signed(
    http: httpx.AsyncClient,
    url: str,
    body: bytes,
    content_type: str,
    *,
    timestamp: int | None = None,
    secret: str = SIGNING_SECRET,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    ts = int(time.time()) if timestamp is None else timestamp
    all_headers = {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts, secret),
        **(headers or {}),
    }
    return await http.post(url + "/slack/events", content=body, headers=all_headers)


def command_body(
    text: str,
    user: str = "UASKER01",
    channel: str = "CINC0001",
    trigger_id: str | None = None,
    response_url: str = "https://hooks.slack.invalid/commands/1",
) -> bytes:
    return urlencode(
        {
            "token": "legacy",
            "team_id": TEAM,
            "team_domain": "netops",
            "channel_id": channel,
            "channel_name": "incidents",
            "user_id": user,
            "user_name": "asker",
            "command": "/netops",
            "text": text,
            "api_app_id": "A0001",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger_id or f"trig-{uuid.uuid4().hex}",
        }
    ).encode()


def event_body(event: dict[str, Any], event_id: str | None = None) -> bytes:
    return json.dumps(
        {
            "token": "legacy",
            "team_id": TEAM,
            "api_app_id": "A0001",
            "event": event,
            "type": "event_callback",
            "event_id": event_id or f"Ev{uuid.uuid4().hex[:10].upper()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM, "user_id": "UBOT0001", "is_bot": True}],
        }
    ).encode()


def mention_event(text: str, *, ts: str, thread_ts: str | None = None, user: str = "UASKER01") -> dict[str, Any]:
    event = {"type": "app_mention", "user": user, "text": text, "ts": ts, "channel": "CINC0001", "event_ts": ts}
    if thread_ts:
        event["thread_ts"] = thread_ts
    return event


def message_event(text: str, *, ts: str, thread_ts: str, user: str = "UASKER01") -> dict[str, Any]:
    return {
        "type": "message",
        "channel_type": "channel",
        "user": user,
        "text": text,
        "ts": ts,
        "thread_ts": thread_ts,
        "channel": "CINC0001",
        "event_ts": ts,
    }


def block_action_body(
    action_id: str, value: str, *, user: str, message_ts: str, thread_ts: str, channel: str = "CINC0001"
) -> bytes:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM, "domain": "netops"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy",
        "container": {"type": "message", "message_ts": message_ts, "channel_id": channel, "is_ephemeral": False},
        "trigger_id": f"trig-{uuid.uuid4().hex}",
        "channel": {"id": channel, "name": "incidents"},
        "message": {"type": "message", "ts": message_ts, "thread_ts": thread_ts, "text": "result"},
        "response_url": "https://hooks.slack.invalid/actions/1",
        "actions": [
            {
                "action_id": action_id,
                "block_id": "approval",
                "value": value,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


def view_submission_body(callback_id: str, private_metadata: str, reason: str, *, user: str) -> bytes:
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM, "domain": "netops"},
        "user": {"id": user, "username": user.lower(), "team_id": TEAM},
        "api_app_id": "A0001",
        "token": "legacy",
        "trigger_id": f"trig-{uuid.uuid4().hex}",
        "view": {
            "id": "V0001",
            "type": "modal",
            "callback_id": callback_id,
            "private_metadata": private_metadata,
            "state": {"values": {"reason": {"reason": {"type": "plain_text_input", "value": reason}}}},
        },
    }
    return urlencode({"payload": json.dumps(payload)}).encode()


FORM = "application/x-www-form-urlencoded"
JSON = "application/json"
