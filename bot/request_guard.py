"""What a request to POST /slack/events must be before bolt sees it: signed, fresh, well formed.

Bolt parses the body before it checks the signature, and a body it cannot parse (bad JSON,
`payload=%7Bnot-json`, a timestamp that is not a number) raises inside it: a 500 and a traceback
for anyone who can reach the URL. Signed payloads missing what a listener reads (a block_actions
without `user`, an app_mention without `channel`, an action value that is an object) failed the
same way, or later with a misleading "try again". So every request is checked here first, by pure
functions: a forged or stale one gets 401, a malformed one 400, each with one sentence, which
the server logs as one line.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from slack_bolt.request.internals import parse_body

MAX_AGE_S = 300  # Slack's own rule: older requests may be replays
MAX_BODY_BYTES = 1024 * 1024  # Slack's largest payloads (a view with 100 blocks) are far below this


@dataclass(frozen=True)
class Rejection:
    status: int  # 400 malformed, 401 not from Slack, 413 too large
    reason: str  # one sentence, for the log line and the response body


def check_signature(headers: Mapping[str, str], body: bytes, secret: str, now: float) -> Rejection | None:
    """None when `body` carries Slack's signature over it with `secret`, made within MAX_AGE_S."""
    timestamp = headers.get("x-slack-request-timestamp", "")
    signature = headers.get("x-slack-signature", "")
    if not timestamp or not signature:
        return Rejection(401, "the request is not signed (no X-Slack-Signature or X-Slack-Request-Timestamp)")
    if not timestamp.isascii() or not timestamp.isdigit():
        return Rejection(400, "X-Slack-Request-Timestamp is not a number of seconds")
    if abs(now - int(timestamp)) > MAX_AGE_S:
        return Rejection(401, f"the request is older than {MAX_AGE_S} s (or from the future): a replay")
    base = b"v0:" + timestamp.encode() + b":" + body
    expected = "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected.encode(), signature.encode("utf-8", "replace")):
        return Rejection(401, "the signature does not match the signing secret")
    return None


def parsed_body(body: bytes, content_type: str | None) -> dict[str, Any] | Rejection:
    """The body as bolt will parse it, or why it cannot be parsed."""
    try:
        parsed = parse_body(body.decode("utf-8"), (content_type or "").split(";")[0].strip() or None)
    except (UnicodeDecodeError, ValueError) as exc:  # json.JSONDecodeError is a ValueError
        return Rejection(400, f"the body is not valid JSON or form data ({type(exc).__name__})")
    if not isinstance(parsed, dict):
        return Rejection(400, "the body is not a JSON object")
    return parsed


def _text(value: Any, path: str) -> str | None:
    """A problem sentence unless `value` is a non-empty string."""
    return None if isinstance(value, str) and value else f"{path} is missing or not a string"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _action_problem(body: dict[str, Any]) -> str | None:
    if problem := _text(_dict(body.get("user")).get("id"), "user.id"):
        return problem
    actions = body.get("actions")
    if not isinstance(actions, list) or not all(isinstance(action, dict) for action in actions):
        return "actions is not a list of objects"
    for action in actions:
        if "value" in action and not isinstance(action["value"], str):
            return "an action's value is not a string"
    return None


def _event_problem(body: dict[str, Any]) -> str | None:
    event = body.get("event")
    if not isinstance(event, dict):
        return "event is missing or not an object"
    if event.get("type") in ("app_mention", "message") and not event.get("subtype"):
        for key in ("channel", "ts"):
            if problem := _text(event.get(key), f"event.{key}"):
                return problem
        if "text" in event and not isinstance(event["text"], str):
            return "event.text is not a string"
    return None


def shape_problem(body: dict[str, Any]) -> str | None:
    """What a listener would need and does not find, for the kinds of request NetOps handles."""
    kind = body.get("type")
    if "command" in body:  # a slash command (form fields)
        return _text(body.get("channel_id"), "channel_id") or _text(body.get("user_id"), "user_id")
    if kind == "block_actions":
        return _action_problem(body)
    if kind == "view_submission":
        problem = _text(_dict(body.get("user")).get("id"), "user.id")
        return problem or (None if isinstance(body.get("view"), dict) else "view is missing or not an object")
    if kind == "event_callback":
        return _event_problem(body)
    return None


def check_request(
    headers: Mapping[str, str], body: bytes, secret: str, now: float, content_type: str | None
) -> Rejection | None:
    """None when bolt may have the request; otherwise the status and the sentence to answer with."""
    if len(body) > MAX_BODY_BYTES:
        return Rejection(413, f"the body is larger than {MAX_BODY_BYTES} bytes")
    if rejection := check_signature(headers, body, secret, now):
        return rejection
    parsed = parsed_body(body, content_type)
    if isinstance(parsed, Rejection):
        return parsed
    problem = shape_problem(parsed)
    return Rejection(400, f"malformed Slack payload: {problem}") if problem else None


def rejection_body(rejection: Rejection) -> bytes:
    return json.dumps({"error": rejection.reason}).encode()
