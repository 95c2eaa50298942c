"""What a job shows in its thread: the result (with its approval card), a failure, a re-rendered card.

Every job ends as a message in the thread, never as silence: a result or a failure replaces the
job's progress message, which is naturally idempotent on a rerun. A secondary message that Slack
refuses (an ephemeral note, a card re-render) is logged and the job carries on. What a message
says is decided by the pure functions here and in `bot.blocks`; the class only stores and posts.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable
from typing import Any

from agents.i18n import tr
from bot.answer import Answer, parse_answer
from bot.approvals import Approval
from bot.blocks.approval import ApprovalState
from bot.blocks.ask import error_blocks
from bot.blocks.mrkdwn import escape
from bot.blocks.result import result_blocks, result_fallback
from bot.blocks.trace import trace_blocks
from bot.collaborator import Final
from bot.exchange import Failure
from bot.results import StoredResult, new_result_id
from bot.services import Services
from bot.streaming import ProgressMessage
from bot.surface import SurfaceError
from bot.trace_view import TraceView

log = logging.getLogger("bot.runner")  # the logger name the job runner's log lines have always had


def approval_unavailable(answer: Answer, approval: Approval | None, *, secret_set: bool) -> ApprovalState | None:
    """Why a recommended fix shows no Apply button, or None when it has one (or nothing is recommended)."""
    if answer.recommendation is None:
        return None
    if not secret_set:
        note = tr(answer.language, "NETOPS_APPROVAL_SECRET is not set, so no fix can be approved")
        return ApprovalState("unavailable", note=note)
    if approval is None:
        note = tr(
            answer.language,
            "it names no valid instance or stack ({instance})",
            instance=repr(answer.recommendation.instance_id),
        )
        return ApprovalState("unavailable", note=note)
    return None


def cannot_post_text(exc: SurfaceError) -> str:
    """What the asker hears privately when the channel refused the question's thread root."""
    if exc.code in ("not_in_channel", "channel_not_found"):
        return "NetOps is not in this channel, so it cannot answer here: invite it with `/invite @netops`, then ask."
    said = escape(exc.code or "no")
    return f"NetOps could not post in this channel (Slack said {said}): try another channel."


async def quietly(call: Awaitable[Any]) -> None:
    """Delivery of a secondary message failed: log it, keep the job going."""
    try:
        await call
    except SurfaceError as exc:
        log.warning("%s", exc)


class OutcomePosts:
    def __init__(self, services: Services) -> None:
        self._s = services

    async def fail(self, message: ProgressMessage, what: str, todo: str) -> None:
        await quietly(message.finish(error_blocks(what, todo), escape(what), failed=True))

    async def show_failure(
        self, failure: Failure, trace: TraceView | None, channel: str, thread_ts: str, message: ProgressMessage
    ) -> None:
        """The failure in the thread, with the trace summary that names the failing step."""
        result_id = new_result_id()
        await self._s.results.save(StoredResult(result_id, None, failure.what, trace, channel, thread_ts))
        blocks = error_blocks(failure.what, failure.todo) + trace_blocks(trace, result_id)
        await quietly(message.finish(blocks, escape(failure.what), failed=True))

    async def show_result(
        self,
        final: Final,
        trace: TraceView | None,
        *,
        channel: str,
        thread_ts: str,
        user: str,
        message: ProgressMessage,
        question: str = "",
        language: str = "en",
    ) -> None:
        """The answer in place of the progress message, with an Apply card when it recommends a fix.

        The approval exists before the result is stored and shown: the card's buttons carry its id.
        """
        answer = parse_answer(final.data, final.text, asked_in=language)
        result_id = new_result_id()
        secret_set = self._s.settings.approval_secret is not None
        approval = None
        if answer.recommendation is not None and secret_set:
            approval = await self._s.approvals.create(
                answer.recommendation,
                requester=user,
                channel=channel,
                thread_ts=thread_ts,
                result_id=result_id,
                ttl_s=self._s.settings.approval_ttl_s,
                language=answer.language,
            )
            if approval is not None:
                approval = await self._s.approvals.set_message(approval, message.ts)
        approval_id = approval.approval_id if approval else None
        await self._s.results.save(
            StoredResult(
                result_id, final.data, final.text, trace, channel, thread_ts, approval_id, answer.language, question
            )
        )
        unavailable = approval_unavailable(answer, approval, secret_set=secret_set)
        blocks = result_blocks(answer, trace, result_id, approval_id, unavailable, final.read_together)
        shown_ts = await message.finish(blocks, result_fallback(answer))
        if approval is not None and shown_ts != message.ts:  # the stream failed at the end: its own message
            await self._s.approvals.set_message(approval, shown_ts)

    async def cannot_post(self, response_url: str | None, exc: SurfaceError) -> None:
        """The channel refused the thread root: tell the asker privately, the only way left."""
        log.warning("cannot post the question's thread: %s", exc)
        if response_url:
            await quietly(self._s.surface.respond(response_url, cannot_post_text(exc)))

    async def supersede(self, approval: Approval, why: str) -> None:
        """One live approval per host: the other open buttons on these hosts say they are out of date."""
        for other in await self._s.approvals.supersede(approval, why):
            await self.rerender(other, ApprovalState("stale", None, why))

    async def rerender(self, approval: Approval, state: ApprovalState) -> None:
        """Replaces the buttons on the result message with who decided what."""
        stored = await self._s.results.get(approval.result_id)
        if stored is None or approval.message_ts is None:
            return
        answer = parse_answer(stored.data, stored.text, asked_in=stored.language)
        blocks = result_blocks(answer, stored.trace, stored.result_id, approval.approval_id, state)
        await quietly(self._s.surface.update(approval.channel, approval.message_ts, blocks, result_fallback(answer)))
