"""The one escaping function for Slack mrkdwn: text we did not write must not become markup.

Slack reads `<…>` in mrkdwn as a mention (`<@U123>`, `<!channel>`) or a link
(`<https://evil.example|click to approve>`), and `&` starts an entity; its docs ask apps to
replace exactly these three characters with `&amp;`, `&lt;` and `&gt;`
(https://api.slack.com/reference/surfaces/formatting#escaping). Everything that did not come
from our own templates (questions, agent and AWS texts, trace step names, errors, reasons)
goes through `escape` before it is put into a mrkdwn text or a message's fallback `text`.
"""

from __future__ import annotations

import re

_ESCAPES = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})
_ENTITY = re.compile(r"&(amp|lt|gt);")
_UNESCAPES = {"amp": "&", "lt": "<", "gt": ">"}
# A cut that ends inside an entity ("&am") would show its pieces: the longest entity is 5 characters.
_PARTIAL_ENTITY_TAIL = re.compile(r"&[a-z]{0,3}$")


def escape(text: object) -> str:
    """`text` (anything: agents send numbers too) as mrkdwn that shows exactly those characters."""
    return str(text).translate(_ESCAPES)


def unescape(text: str) -> str:
    """What a person reads for escaped mrkdwn (the console surface prints text, not mrkdwn)."""
    return _ENTITY.sub(lambda match: _UNESCAPES[match.group(1)], text)


def safe_cut(text: str, limit: int) -> str:
    """`text[:limit]`, moved back so that it does not end in the middle of an entity."""
    head = text[:limit]
    if len(text) > limit and (partial := _PARTIAL_ENTITY_TAIL.search(head)):
        return head[: partial.start()]
    return head


_USER_ID = re.compile(r"[A-Z0-9_]{2,32}")  # Slack user ids (U…, W…), and the console's OPERATOR


def mention(user_id: str) -> str:
    """`<@U…>` for a Slack user id; anything else (a forged payload's "user") shown as text, never as markup."""
    return f"<@{user_id}>" if _USER_ID.fullmatch(user_id or "") else escape(user_id)
