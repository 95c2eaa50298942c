"""The `decision` job: an approver's click on a fix's card, recorded once and shown on the card.

The claim is atomic (`bot.approvals`), so two clicks, or a click and a rerun, agree on one
decision; the one that lost hears why, privately. An approval schedules the remediation as a job
of its own, so the click is answered before the fix runs.
"""

from __future__ import annotations

import logging

from bot.approvals import SUPERSEDED, Outcome
from bot.blocks.approval import ApprovalState
from bot.job_kinds import REMEDIATION, Schedule
from bot.jobs import Job
from bot.outcome_posts import OutcomePosts, quietly
from bot.services import Services

log = logging.getLogger("bot.runner")  # the logger name the job runner's log lines have always had

NO_SECRET = "The bot has no NETOPS_APPROVAL_SECRET, so it cannot sign approvals: ask whoever runs NetOps to set it."


class DecisionJobs:
    def __init__(self, services: Services, posts: OutcomePosts, schedule: Schedule) -> None:
        self._s = services
        self._posts = posts
        self._schedule = schedule

    async def __call__(self, job: Job) -> None:
        try:
            await self._decide(job)
        except Exception as exc:  # the clicker must hear back, whatever failed
            log.exception("decision job %s failed", job.entry_id)
            p = job.payload
            if p.get("channel"):
                text = f"NetOps could not record your decision ({type(exc).__name__}): try again in a minute."
                await quietly(self._s.surface.post_ephemeral(p["channel"], p["user"], text, p.get("thread_ts")))

    async def _decide(self, job: Job) -> None:
        p = job.payload
        approval_id, user, decision = p["approval_id"], p["user"], p["decision"]
        if decision == "approved" and self._s.settings.approval_secret is None:
            outcome = Outcome(NO_SECRET, await self._s.approvals.get(approval_id))
        else:
            outcome = await self._s.approvals.decide(
                approval_id, user, decision, self._s.policy, note=p.get("note", "")
            )
        approval = outcome.approval
        channel = p.get("channel") or (approval.channel if approval else "")
        thread_ts = p.get("thread_ts") or (approval.thread_ts if approval else None)
        self._s.metrics.bot.approvals.labels("refused" if outcome.refusal else decision).inc()
        if outcome.refusal:
            await self._s.audit.record(
                "refused",
                approval_id=approval_id,
                user=user,
                decision=decision,
                reason=outcome.refusal,
                instance_id=approval.instance_id if approval else None,
            )
            if channel:
                await quietly(self._s.surface.post_ephemeral(channel, user, outcome.refusal, thread_ts))
            return
        assert approval is not None and outcome.claim is not None
        await self._s.audit.record(
            decision,
            approval_id=approval_id,
            user=user,
            requester=approval.requester,
            instance_id=approval.instance_id,
            changes=list(approval.changes),
            note=outcome.claim.note,
        )
        await self._posts.rerender(approval, ApprovalState(decision, user, outcome.claim.note))
        if decision == "dismissed":
            await self._posts.supersede(approval, SUPERSEDED["dismissed"])
        if decision == "approved":
            await self._schedule(REMEDIATION, {"approval_id": approval_id}, f"remediate:{approval_id}")
