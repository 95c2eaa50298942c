"""The "Apply TCP fixes" / "Dismiss" buttons, their confirm dialog, and what replaces them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from bot.answer import FixRecommendation
from bot.blocks.ids import ACTION_APPLY, ACTION_DISMISS, BLOCK_APPROVAL, INPUT_REASON, VIEW_DISMISS
from bot.blocks.limits import CONFIRM_LIMITS, context, mrkdwn, plain, sections, shorten
from bot.blocks.mrkdwn import escape, mention


@dataclass(frozen=True)
class ApprovalState:
    """How the approval part of a result looks now."""

    status: str  # approved | dismissed | applied | failed | unavailable
    by: str | None = None  # Slack user id
    note: str = ""


def confirm_text(rec: FixRecommendation, limit: int = CONFIRM_LIMITS["text"]) -> str:
    """The instance and the dry run's exact changes; whole changes only, then how many more."""
    head = f"On {rec.instance_id}: "
    if not rec.changes:
        return shorten(head + (rec.summary or "apply the recommended TCP fixes"), limit)
    shown: list[str] = []
    for i, change in enumerate(rec.changes):
        rest = len(rec.changes) - i - 1
        more = f"; +{rest} more (listed in the message)" if rest else ""
        candidate = head + "; ".join([*shown, change]) + more
        if len(candidate) > limit:
            break
        shown.append(change)
    if not shown:
        return shorten(head + rec.changes[0], limit)
    rest = len(rec.changes) - len(shown)
    return head + "; ".join(shown) + (f"; +{rest} more (listed in the message)" if rest else "")


UNDO = "undo"


def button_label(rec: FixRecommendation) -> str:
    return "Undo the fix" if rec.action == UNDO else "Apply TCP fixes"


def confirm_dialog(rec: FixRecommendation) -> dict[str, Any]:
    """The confirm dialog: the instance and the exact changes (current → proposed) of the agent's plan."""
    return {
        "title": plain(button_label(rec) + "?", CONFIRM_LIMITS["title"]),
        "text": {"type": "plain_text", "text": confirm_text(rec)},
        "confirm": plain("Apply", CONFIRM_LIMITS["confirm"]),
        "deny": plain("Cancel", CONFIRM_LIMITS["deny"]),
        "style": "primary",
    }


def recommendation_blocks(rec: FixRecommendation) -> list[dict[str, Any]]:
    what = "*Undo* on" if rec.action == UNDO else "*Recommended fix* for"
    stack = f" (stack `{escape(rec.stack_name)}`)" if rec.stack_name else ""
    lines = [f"{what} `{escape(rec.instance_id)}`" + stack]
    if rec.summary:
        lines.append(escape(rec.summary))
    lines += [f"• {escape(change)}" for change in rec.changes]
    return sections("\n".join(lines))


def approval_buttons(approval_id: str, rec: FixRecommendation) -> dict[str, Any]:
    """The button values carry only the opaque approval id; everything else lives in Redis."""
    return {
        "type": "actions",
        "block_id": BLOCK_APPROVAL,
        "elements": [
            {
                "type": "button",
                "action_id": ACTION_APPLY,
                "text": plain(button_label(rec)),
                "style": "danger" if rec.action == UNDO else "primary",
                "value": approval_id,
                "confirm": confirm_dialog(rec),
            },
            {
                "type": "button",
                "action_id": ACTION_DISMISS,
                "text": plain("Dismiss"),
                "value": approval_id,
            },
        ],
    }


_STATE_TEXT = {
    "approved": ":white_check_mark: Approved by {by}: applying…",
    "applied": ":white_check_mark: Approved by {by}: applied (result below).",
    "failed": ":x: Approved by {by}: the fix failed (details below).",
    "dismissed": ":no_entry_sign: Dismissed by {by}",
    "unavailable": ":information_source: This fix cannot be applied from Slack",
    "stale": ":hourglass: Out of date",
}


def approval_state_block(state: ApprovalState) -> dict[str, Any]:
    text = _STATE_TEXT.get(state.status, "{by}").format(by=mention(state.by) if state.by else "someone")
    if state.note:
        text += f": {escape(state.note)}"
    return context(text)


def dismiss_modal(approval_id: str) -> dict[str, Any]:
    """Asks why a fix is dismissed, so the audit trail says more than "no"."""
    return {
        "type": "modal",
        "callback_id": VIEW_DISMISS,
        "private_metadata": approval_id,
        "title": plain("Dismiss the fix", 24),
        "submit": plain("Dismiss", 24),
        "close": plain("Cancel", 24),
        "blocks": [
            {"type": "section", "text": mrkdwn("The recommended TCP fixes will not be applied.")},
            {
                "type": "input",
                "block_id": INPUT_REASON,
                "optional": True,
                "label": plain("Reason", 2000),
                "element": {"type": "plain_text_input", "action_id": INPUT_REASON, "max_length": 500},
            },
        ],
    }
