"""Feedback on an answer: Slack's feedback buttons (thumbs up / down) and the optional reason (pure).

The buttons are Slack's own `feedback_buttons` element in a `context_actions` block, the
surface Slack made for rating an agent's answers. Each button's value names the vote and
the stored result it rates, so the click alone says what was rated.
"""

from __future__ import annotations

from typing import Any

from agents.i18n import tr
from bot.blocks.ids import INPUT_REASON
from bot.blocks.limits import mrkdwn, plain

ACTION_FEEDBACK = "answer_feedback"
VIEW_FEEDBACK = "feedback_reason"
BLOCK_FEEDBACK = "feedback"
UP, DOWN = "up", "down"


def feedback_block(result_id: str, lang: str = "en") -> dict[str, Any]:
    return {
        "type": "context_actions",
        "block_id": BLOCK_FEEDBACK,
        "elements": [
            {
                "type": "feedback_buttons",
                "action_id": ACTION_FEEDBACK,
                "positive_button": {
                    "text": plain("👍"),
                    "accessibility_label": tr(lang, "This answer helped"),
                    "value": f"{UP}:{result_id}",
                },
                "negative_button": {
                    "text": plain("👎"),
                    "accessibility_label": tr(lang, "This answer was wrong or did not help"),
                    "value": f"{DOWN}:{result_id}",
                },
            }
        ],
    }


def parse_vote(value: str) -> tuple[str, str] | None:
    """(vote, result id) from a button's value, or None for anything we did not write."""
    vote, _, result_id = (value or "").partition(":")
    return (vote, result_id) if vote in (UP, DOWN) and result_id else None


def reason_modal(result_id: str, lang: str = "en") -> dict[str, Any]:
    """After a thumbs-down: what was wrong, optionally (the vote is already recorded)."""
    return {
        "type": "modal",
        "callback_id": VIEW_FEEDBACK,
        "private_metadata": result_id,
        "title": plain(tr(lang, "What was wrong?"), 24),
        "submit": plain(tr(lang, "Send"), 24),
        "close": plain(tr(lang, "Skip"), 24),
        "blocks": [
            {"type": "section", "text": mrkdwn(tr(lang, "Your 👎 is recorded. A reason helps turn it into a test."))},
            {
                "type": "input",
                "block_id": INPUT_REASON,
                "optional": True,
                "label": plain(tr(lang, "Reason"), 2000),
                "element": {
                    "type": "plain_text_input",
                    "action_id": INPUT_REASON,
                    "max_length": 500,
                    "multiline": True,
                },
            },
        ],
    }


def thanks(lang: str, vote: str) -> str:
    if vote == UP:
        return tr(lang, "Thanks: your 👍 on this answer is recorded.")
    return tr(lang, "Thanks: your 👎 on this answer is recorded.")
