"""What the asker reads when the ack path could not queue their request (Redis down or silent).

A timed-out enqueue may still have been written (Redis that resumes after a stall runs what it
had received), so that note says NetOps cannot tell, instead of claiming the request was lost.
"""

from __future__ import annotations

from typing import Literal

from agents.i18n import tr
from bot.jobs import EnqueueTimeout

# what was being queued -> (the note when Redis was silent, the note when it refused or was down)
_NOTES = {
    "question": (
        "NetOps cannot tell whether your question was queued: its Redis did not answer within {seconds} s. "
        "If no answer appears in the thread within a minute, ask again.",
        "NetOps cannot queue your question because its Redis is unreachable: try again in a minute.",
    ),
    "approval": (
        "NetOps cannot tell whether your approval was recorded: its Redis did not answer within {seconds} s. "
        "If the message does not change within a minute, click again.",
        "NetOps cannot record your approval (Redis is unreachable): try again in a minute.",
    ),
    "dismissal": (
        "NetOps cannot tell whether your dismissal was recorded: its Redis did not answer within {seconds} s. "
        "Submit again in a minute.",
        "NetOps cannot record your dismissal (Redis is unreachable): submit again in a minute.",
    ),
}


def not_queued(what: Literal["question", "approval", "dismissal"], exc: Exception, language: str) -> str:
    """The truthful note for `exc`, raised by `JobQueue.enqueue`."""
    silent, down = _NOTES[what]
    if isinstance(exc, EnqueueTimeout):
        return tr(language, silent, seconds=f"{exc.timeout_s:g}")
    return tr(language, down)
