"""The "Apply TCP fixes" / "Dismiss" buttons, their confirm dialog, and what replaces them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from agents.i18n import N_, tr
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


def _more(language: str, rest: int) -> str:
    return "; " + tr(language, "+{count} more (listed in the message)", count=rest) if rest else ""


def confirm_text(rec: FixRecommendation, limit: int = CONFIRM_LIMITS["text"], language: str = "en") -> str:
    """The instance and the dry run's exact changes; whole changes only, then how many more."""
    head = tr(language, "On {instance}: ", instance=rec.instance_id)
    if not rec.changes:
        return shorten(head + (rec.summary or tr(language, "apply the recommended TCP fixes")), limit)
    shown: list[str] = []
    for i, change in enumerate(rec.changes):
        rest = len(rec.changes) - i - 1
        more = _more(language, rest)
        candidate = head + "; ".join([*shown, change]) + more
        if len(candidate) > limit:
            break
        shown.append(change)
    if not shown:
        return shorten(head + rec.changes[0], limit)
    return head + "; ".join(shown) + _more(language, len(rec.changes) - len(shown))


UNDO = "undo"


def button_label(rec: FixRecommendation, language: str = "en") -> str:
    return tr(language, "Undo the fix") if rec.action == UNDO else tr(language, "Apply TCP fixes")


def confirm_dialog(rec: FixRecommendation, language: str = "en") -> dict[str, Any]:
    """The confirm dialog: the instance and the exact changes (current → proposed) of the agent's plan."""
    title = tr(language, "Undo the fix?") if rec.action == UNDO else tr(language, "Apply TCP fixes?")
    return {
        "title": plain(title, CONFIRM_LIMITS["title"]),
        "text": {"type": "plain_text", "text": confirm_text(rec, language=language)},
        "confirm": plain(tr(language, "Apply"), CONFIRM_LIMITS["confirm"]),
        "deny": plain(tr(language, "Cancel"), CONFIRM_LIMITS["deny"]),
        "style": "primary",
    }


def recommendation_blocks(rec: FixRecommendation, language: str = "en") -> list[dict[str, Any]]:
    if rec.action == UNDO:
        head = tr(language, "*Undo* on `{instance}`", instance=escape(rec.instance_id))
    else:
        head = tr(language, "*Recommended fix* for `{instance}`", instance=escape(rec.instance_id))
    if rec.stack_name:
        head += " " + tr(language, "(stack `{stack}`)", stack=escape(rec.stack_name))
    lines = [head]
    if rec.summary:
        lines.append(escape(rec.summary))
    lines += [f"• {escape(change)}" for change in rec.changes]
    return sections("\n".join(lines))


def approval_buttons(approval_id: str, rec: FixRecommendation, language: str = "en") -> dict[str, Any]:
    """The button values carry only the opaque approval id; everything else lives in Redis."""
    return {
        "type": "actions",
        "block_id": BLOCK_APPROVAL,
        "elements": [
            {
                "type": "button",
                "action_id": ACTION_APPLY,
                "text": plain(button_label(rec, language)),
                "style": "danger" if rec.action == UNDO else "primary",
                "value": approval_id,
                "confirm": confirm_dialog(rec, language),
            },
            {
                "type": "button",
                "action_id": ACTION_DISMISS,
                "text": plain(tr(language, "Dismiss")),
                "value": approval_id,
            },
        ],
    }


_STATE_TEXT = {
    "approved": N_(":white_check_mark: Approved by {by}: applying…"),
    "applied": N_(":white_check_mark: Approved by {by}: applied (result below)."),
    "failed": N_(":x: Approved by {by}: the fix failed (details below)."),
    "dismissed": N_(":no_entry_sign: Dismissed by {by}"),
    "unavailable": N_(":information_source: This fix cannot be applied from Slack"),
    "stale": N_(":hourglass: Out of date"),
}


def approval_state_block(state: ApprovalState, language: str = "en") -> dict[str, Any]:
    template = _STATE_TEXT.get(state.status)
    by = mention(state.by) if state.by else tr(language, "someone")
    text = tr(language, template, by=by) if template else by
    if state.note:  # out of date: one of approvals.SUPERSEDED; else the dismisser's own words
        note = tr(language, state.note) if state.status == "stale" else state.note
        text += f": {escape(note)}"
    return context(text)


def dismiss_modal(approval_id: str, language: str = "en") -> dict[str, Any]:
    """Asks why a fix is dismissed, so the audit trail says more than "no"."""
    return {
        "type": "modal",
        "callback_id": VIEW_DISMISS,
        "private_metadata": approval_id,
        "title": plain(tr(language, "Dismiss the fix"), 24),
        "submit": plain(tr(language, "Dismiss"), 24),
        "close": plain(tr(language, "Cancel"), 24),
        "blocks": [
            {"type": "section", "text": mrkdwn(tr(language, "The recommended TCP fixes will not be applied."))},
            {
                "type": "input",
                "block_id": INPUT_REASON,
                "optional": True,
                "label": plain(tr(language, "Reason"), 2000),
                "element": {"type": "plain_text_input", "action_id": INPUT_REASON, "max_length": 500},
            },
        ],
    }
