"""Slack's size limits, applied before sending so Slack never rejects a message.

Slack answers `invalid_blocks` for an over-long section or a 51st block and the operator
sees nothing; shortening with a visible note keeps the answer useful instead.
"""

from __future__ import annotations

from typing import Any

from bot.blocks.mrkdwn import safe_cut

MAX_MESSAGE_BLOCKS = 50
MAX_MODAL_BLOCKS = 100
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 2000
MAX_HEADER_TEXT = 150
MAX_BUTTON_TEXT = 75
MAX_FALLBACK_TEXT = 3000
MAX_MODAL_TITLE = 24
CONFIRM_LIMITS = {"title": 100, "text": 300, "confirm": 30, "deny": 30}

SHORTENED_NOTE = "… (shortened)"


def shorten(text: str, limit: int, note: str = SHORTENED_NOTE) -> str:
    """`text` cut to `limit` characters, ending with `note` when anything was cut."""
    if len(text) <= limit:
        return text
    if limit <= len(note):
        return safe_cut(text, limit)
    return safe_cut(text, limit - len(note)).rstrip() + note


def split_text(text: str, limit: int = MAX_SECTION_TEXT) -> list[str]:
    """Pieces of at most `limit` characters, broken at line ends where possible, none of them blank
    (Slack rejects a section with no text), and none cut inside an mrkdwn entity."""
    pieces: list[str] = []
    rest = text
    while len(rest) > limit:
        cut = rest.rfind("\n", 0, limit)
        if cut <= 0:
            cut = len(safe_cut(rest, limit)) or limit
        pieces.append(rest[:cut])
        rest = rest[cut:].lstrip("\n")
    pieces.append(rest)
    return [piece for piece in pieces if piece.strip()]


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def plain(text: str, limit: int = MAX_SECTION_TEXT) -> dict[str, Any]:
    return {"type": "plain_text", "text": shorten(text, limit), "emoji": True}


def sections(text: str) -> list[dict[str, Any]]:
    """One or more section blocks carrying `text`, split at Slack's 3,000-character limit."""
    return [{"type": "section", "text": mrkdwn(piece)} for piece in split_text(text)]


def context(text: str) -> dict[str, Any]:
    return {"type": "context", "elements": [mrkdwn(shorten(text, MAX_CONTEXT_TEXT))]}


def fit_blocks(
    blocks: list[dict[str, Any]], limit: int = MAX_MESSAGE_BLOCKS, keep_tail: int = 0
) -> list[dict[str, Any]]:
    """At most `limit` blocks: the middle is dropped (never the last `keep_tail`), with a note.

    The tail holds the trace summary and the buttons, which must survive a long answer.
    """
    if len(blocks) <= limit:
        return blocks
    tail = blocks[len(blocks) - keep_tail :] if keep_tail else []
    head_room = limit - keep_tail - 1
    dropped = len(blocks) - keep_tail - head_room
    note = context(
        f"_{dropped} more blocks were left out to fit Slack's limit of {limit}; “View trace” has every step._"
    )
    return [*blocks[:head_room], note, *tail]
