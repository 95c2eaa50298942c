"""Messages around a question: the thread root, usage, progress, and failures."""

from __future__ import annotations

from typing import Any

from agents.i18n import N_, tr
from bot.blocks.limits import context, mrkdwn, sections, shorten
from bot.blocks.mrkdwn import escape, mention

MAX_QUESTION_CHARS = 4000

USAGE = N_(
    "*Ask NetOps why the network is slow.*\n"
    "• `/netops QUESTION`: starts a thread in this channel and answers there, "
    "e.g. `/netops why are retransmissions high on the payments service?`\n"
    "• `@netops QUESTION` in a channel or an incident thread: answers in the thread; "
    "replies in a NetOps thread keep the same conversation.\n"
    "• `/netops help`: this message.\n"
    "When the answer recommends TCP fixes, an approver can apply them with the button."
)


def asked_text(user: str, question: str, language: str = "en") -> str:
    """The root's text (and its notification): the question escaped, so it cannot ping or link."""
    return tr(language, "<@{user}> asked: {question}", user=escape(user), question=escape(question))


def question_root(user: str, question: str, language: str = "en") -> list[dict[str, Any]]:
    """The thread root `/netops` posts: who asked what, so the channel sees the question."""
    return sections(asked_text(user, question, language))


def usage_blocks(note: str | None = None, language: str = "en") -> list[dict[str, Any]]:
    blocks = sections(tr(language, USAGE))
    if note:
        blocks.insert(0, {"type": "section", "text": mrkdwn(note)})
    return blocks


def too_long_note(length: int, language: str = "en") -> str:
    return tr(
        language,
        "Your question is {length} characters long; the limit is {limit}. "
        "Shorten it (paste logs as a file or a link) and ask again.",
        length=f"{length:,}",
        limit=f"{MAX_QUESTION_CHARS:,}",
    )


def working_text(language: str = "en") -> str:
    return tr(language, "Working…")


def working_blocks(status: str | None = None, language: str = "en") -> list[dict[str, Any]]:
    """The one "Working…" message, edited as the agents report progress."""
    text = ":hourglass_flowing_sand: " + working_text(language)
    if status:
        text += f" {shorten(escape(status), 2500)}"
    return [{"type": "section", "text": mrkdwn(text)}]


def applying_blocks(instance_id: str, approver: str) -> list[dict[str, Any]]:
    """The "Working…" message of an approved fix: which instance, and who approved it (a mention)."""
    text = (
        f":hourglass_flowing_sand: Working… applying TCP fixes to {escape(instance_id)} "
        f"(approved by {mention(approver)})"
    )
    return [{"type": "section", "text": mrkdwn(text)}]


def error_blocks(what: str, todo: str) -> list[dict[str, Any]]:
    """A failure the operator can act on: what went wrong, then what to try."""
    return [
        {"type": "section", "text": mrkdwn(f":warning: {shorten(escape(what), 2000)}")},
        context(escape(todo)),
    ]
