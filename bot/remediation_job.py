"""The `remediation` job: apply (or undo) an approved fix through the agents, and show the result.

Only an approval whose claim says "approved" runs; the bot signs it with NETOPS_APPROVAL_SECRET
so the performance agent can check who approved what, for a few minutes only. Whatever happens
the approval ends applied or failed, audited, counted and shown on its card.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from agents.approval_token import ApprovalClaims, sign
from bot.answer import REMEDIATION_KIND, Answer, RemediationResult, parse_answer
from bot.approvals import SUPERSEDED, Approval
from bot.blocks.approval import ApprovalState
from bot.blocks.ask import applying_blocks
from bot.collaborator import Final
from bot.exchange import Failure, ask_in_thread
from bot.job_state import JobState
from bot.jobs import Job
from bot.outcome_posts import OutcomePosts
from bot.progress import Throttle
from bot.services import Services
from bot.streaming import WorkingMessage
from bot.trace_view import TraceView

log = logging.getLogger("bot.runner")  # the logger name the job runner's log lines have always had

TOKEN_TTL_S = 600  # the signed token only has to outlive the remediation call


def remediate_data(approval: Approval, approver: str, secret: str, now: float) -> dict[str, Any]:
    """The A2A data part that asks for the fix, with the approval signed for the agent to verify."""
    token = sign(
        ApprovalClaims(
            approval.approval_id,
            approval.action,
            approval.instance_id,
            approver,
            int(now) + TOKEN_TTL_S,
            plan_id=approval.plan_id,
        ),
        secret,
    )
    return {
        "kind": "netops.remediate/v1",
        "approval_token": token,
        "instance_id": approval.instance_id,
        "stack_name": approval.stack_name,
        "plan_id": approval.plan_id,
    }


def succeeded(final: Final | None) -> bool:
    """Whether the agent reports the fix as run and verified by reading the settings back."""
    answer = parse_answer(final.data, final.text) if final is not None else None
    if final is None or final.failed or answer is None or answer.remediation is None:
        return False
    if answer.kind != REMEDIATION_KIND:
        return False
    return answer.remediation.verified and answer.remediation.error is None


def fix_outcome(status: str, result: RemediationResult | None) -> str:
    """`netops_fixes_total`'s outcome: verified by read-back, ran but unverified, failed, or refused."""
    if result is not None and result.status == "Refused":
        return "refused"
    if status == "applied":
        return "verified"
    return "unverified" if result is not None and result.status == "Success" else "failed"


class RemediationJobs:
    def __init__(self, services: Services, state: JobState, posts: OutcomePosts, progress_interval_s: float) -> None:
        self._s = services
        self._state = state
        self._posts = posts
        self._progress_interval_s = progress_interval_s

    async def __call__(self, job: Job) -> None:
        approval_id = job.payload["approval_id"]
        approval = await self._s.approvals.get(approval_id)
        claim = await self._s.approvals.claim_of(approval_id)
        if approval is None or claim is None or claim.status != "approved":
            log.warning("remediation job for %s has no approved claim; dropped", approval_id)
            return
        message = await self._applying_message(job, approval, claim.by)
        secret = self._s.settings.approval_secret
        if secret is None:
            await self._posts.fail(
                message,
                "The bot has no approval secret, so it cannot sign the approval.",
                "Set NETOPS_APPROVAL_SECRET (the same value as the performance agent's) and approve again.",
            )
            await self._finish(approval, "failed", claim.by, None, "no approval secret")
            return
        data = remediate_data(approval, claim.by, secret.get_secret_value(), time.time())
        final, error = await self._apply(job, approval, claim.by, data, message)
        answer = parse_answer(final.data, final.text) if final is not None else None
        await self._finish(approval, "applied" if succeeded(final) else "failed", claim.by, answer, error)

    async def _applying_message(self, job: Job, approval: Approval, by: str) -> WorkingMessage:
        surface = self._s.surface
        working_ts = await self._state.remember(
            job,
            "working_ts",
            lambda: surface.post(
                approval.channel,
                applying_blocks(approval.instance_id, by),
                "Applying TCP fixes…",
                approval.thread_ts,
            ),
        )
        return WorkingMessage(surface, approval.channel, working_ts, Throttle(self._progress_interval_s))

    async def _apply(
        self, job: Job, approval: Approval, by: str, data: dict[str, Any], message: WorkingMessage
    ) -> tuple[Final | None, str | None]:
        """Asks the agents for the fix and shows what came back: (their answer, what failed).

        An answer that came back stays the fix's outcome even when showing it failed afterwards.
        """
        conversation = await self._s.conversations.get(approval.channel, approval.thread_ts)
        recommended = await self._s.results.get(approval.result_id)
        language = recommended.language if recommended else None  # the fix result reads as its recommendation did
        final: Final | None = None
        try:
            outcome, trace = await ask_in_thread(
                self._s,
                message,
                "netops bot: apply TCP fixes",
                f"apply TCP fixes to {approval.instance_id}",
                channel=approval.channel,
                thread_ts=approval.thread_ts,
                user=by,
                context_id=conversation.context_id if conversation else None,
                kind="fix",
                data=data,
            )
            if isinstance(outcome, Failure):
                await self._posts.show_failure(outcome, trace, approval.channel, approval.thread_ts, message)
                return None, outcome.what
            final = outcome
            await self._show(approval, final, trace, message, language or "en")
        except Exception as exc:
            log.exception("remediation job %s failed", job.entry_id)
            await self._posts.fail(
                message,
                f"NetOps failed while applying the fix ({type(exc).__name__}).",
                "Check the instance before trying again; the bot's log has the details.",
            )
            return final, f"the bot failed ({type(exc).__name__})"
        return final, None

    async def _show(
        self, approval: Approval, final: Final, trace: TraceView | None, message: WorkingMessage, language: str
    ) -> None:
        if succeeded(final):  # before the result offers its own Undo, which must stay live
            await self._posts.supersede(approval, SUPERSEDED["undone" if approval.action == "undo" else "applied"])
        await self._posts.show_result(  # the result may offer an undo: its buttons work like Apply's
            final,
            trace,
            channel=approval.channel,
            thread_ts=approval.thread_ts,
            user=approval.requester,
            message=message,
            language=language,
        )

    async def _finish(
        self, approval: Approval, status: str, by: str, answer: Answer | None, error: str | None = None
    ) -> None:
        """The approval's end: its claim closed, the fix counted and audited, its card saying how it went."""
        await self._s.approvals.finish(approval, status)
        result = answer.remediation if answer else None
        self._s.metrics.bot.fixes.labels(fix_outcome(status, result)).inc()
        await self._s.audit.record(
            "fix_result",
            approval_id=approval.approval_id,
            approver=by,
            instance_id=approval.instance_id,
            status=status,
            ssm_status=result.status if result else None,
            verified=result.verified if result else False,
            before=result.before if result else None,
            after=result.after if result else None,
            error=(result.error if result else None) or error,
        )
        await self._posts.rerender(approval, ApprovalState(status, by))
