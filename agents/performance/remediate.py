"""Applying an approved plan: checked, applied per host, verified, measured, remembered, undoable.

The order is the point. The token is checked before any AWS call; the plan it names is read from
Redis (so the caller cannot change what is applied); its single use is recorded only after every
other check passed. A second redemption of the same approval (a bot replica that died mid-apply,
and the one that took its job over) gets the first redemption's result, not a refusal. After a
verified apply the agent records what the hosts had before (the undo plan is built from that and
offered), waits for the first capture after the change and compares the same flow before and after.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agents.approval_token import ApprovalTokenError, verify
from agents.i18n import tr
from agents.performance.answer import REMEDIATION_KIND, Answer, Remediation
from agents.performance.applied import AppliedFix, record_applied
from agents.performance.approval import redeem_approval
from agents.performance.aws_clients import ClientPool
from agents.performance.compare import Side, comparison, find_direction
from agents.performance.evidence import gather
from agents.performance.plans import StoredPlan, load_plan, plan_to_dict, save_plan
from agents.performance.tools.apply_plan import apply_plan, undo_plan
from agents.performance.tools.mirroring import analyze_traffic_mirroring_logs, captures_since
from agents.settings import Settings
from agents.traceability import CallType, StepPlan, TraceStep

log = logging.getLogger(__name__)
RESULT_KEY = "netops:approval-result:{}"
BEFORE_MINUTES = 15  # the stretch before a fix the comparison reads
POLL_S = 2.0


class Remediator:
    def __init__(self, settings: Settings, pool: ClientPool, redis: aioredis.Redis) -> None:
        self.settings = settings
        self.pool = pool
        self.redis = redis

    async def remediate(self, request: dict[str, Any], emit: Any, region: str) -> tuple[Answer, bool, str | None]:
        """(answer, ok, refusal): the remediation answer, whether it succeeded, why it was refused."""
        instance_id, token, plan_id = (_text(request.get(k)) for k in ("instance_id", "approval_token", "plan_id"))
        shown = str(instance_id or "the plan")
        secret = self.settings.approval_secret.get_secret_value() if self.settings.approval_secret else ""
        try:
            claims = verify(token, secret)
        except ApprovalTokenError as exc:
            return refused(shown, f"Refused: {exc}.")
        try:
            stored = await load_plan(self.redis, plan_id)
            earlier = await self.redis.get(RESULT_KEY.format(claims.approval_id))
        except RedisError:
            return refused(shown, REDIS_DOWN)
        if stored is None:
            return refused(
                shown,
                "Refused: this approval names no plan the agent still has; ask again for a "
                "fresh recommendation and approve that.",
            )
        first = stored.hosts[0].instance_id
        if claims.plan_id != stored.plan_id or claims.action != stored.action or instance_id not in (None, first):
            return refused(shown, "Refused: the approval is not for this plan.")
        if earlier is not None:  # the same approval again (a replica took over a job): the first result stands
            answer = Answer.from_dict(json.loads(earlier))
            return answer, answer.remediation is not None and answer.remediation.status in _DONE, None
        # planned steps: a refusal at the redeem records the apply as skipped because of it (the trace says why)
        with StepPlan(["approval.redeem", "apply_plan"]) as steps:
            try:
                with steps.step("approval.redeem", parameters={"instance_id": first}):
                    claims = await redeem_approval(
                        token, instance_id=first, secret=secret, redis=self.redis, actions=(stored.action,)
                    )
            except ApprovalTokenError as exc:
                return refused(first, f"Refused: {exc}.")
            except RedisError:
                return refused(first, REDIS_DOWN)
            answer = await self._apply(stored, claims.approver, emit, region, steps)
        try:
            await self.redis.set(RESULT_KEY.format(claims.approval_id), json.dumps(answer.to_dict()), ex=7 * 86400)
        except RedisError:
            log.warning("the result of approval %s could not be kept in Redis", claims.approval_id)
        return answer, answer.remediation is not None and answer.remediation.status in _DONE, None

    async def _apply(self, stored: StoredPlan, approver: str, emit: Any, region: str, steps: StepPlan) -> Answer:
        lang = stored.language
        hosts = ", ".join(h.instance_id for h in stored.hosts)
        await emit(_progress(lang, stored.action, hosts, approver))
        s = self.settings
        clients = self.pool.get(region)
        started = time.time()  # before any host changed: captures from here on show the new state
        with steps.step("apply_plan", parameters={"instances": hosts, "plan_id": stored.plan_id}):
            remediation = await asyncio.to_thread(
                apply_plan,
                clients.ssm,
                stored,
                poll_interval_s=s.ssm_poll_interval_s,
                timeout_s=s.ssm_timeout_s,
                persist=s.persist_sysctl,
            )
        if remediation.status == "Success":
            await self._remember(stored, remediation, started)
        if remediation.verified and remediation.status == "Success":
            await self._offer_undo(stored, remediation)
            # an undo's proof is its read-back; the next question shows the flow
            if stored.flow and stored.action != "undo":
                remediation.comparison = await self._compare(stored, started, emit, region)
        severity, headline = _headline(lang, stored.action, hosts, remediation)
        return Answer(REMEDIATION_KIND, severity, headline, remediation=remediation, language=lang)  # type: ignore[arg-type]

    async def _remember(self, stored: StoredPlan, remediation: Remediation, started: float) -> None:
        # only verified hosts: an unconfirmed change must not cut later windows or be offered for undo
        changed = [h for h in remediation.hosts if h.get("verified") and h.get("changed")]
        if not changed:
            return
        fix = AppliedFix(
            at=started,
            plan_id=stored.plan_id,
            hosts=[h["instance_id"] for h in changed],
            cause=stored.cause,
            before={h["instance_id"]: h.get("before", {}) for h in changed},
            after={h["instance_id"]: h.get("after", {}) for h in changed},
            kind="undo" if stored.action == "undo" else "apply",
        )
        try:
            await record_applied(self.redis, fix)
        except RedisError:
            log.warning("the applied plan %s could not be recorded in Redis", stored.plan_id)

    async def _offer_undo(self, stored: StoredPlan, remediation: Remediation) -> None:
        if stored.action == "undo":
            return
        undo = undo_plan(stored, remediation)
        if undo is None:
            return
        undo = StoredPlan(undo.plan_id, undo.cause, undo.hosts, "undo", stored.flow, stored.language)
        try:
            await save_plan(self.redis, undo, self.settings.approval_ttl_s + 300)
        except RedisError:
            return
        remediation.undo = {
            **plan_to_dict(undo),
            "summary": tr(
                stored.language,
                "Restore what {hosts} had before the fix.",
                hosts=", ".join(h.instance_id for h in undo.hosts),
            ),
        }

    async def _compare(self, stored: StoredPlan, started: float, emit: Any, region: str) -> dict[str, Any] | None:
        """The plan's flow in the captures before the fix and in the first ones after it."""
        bucket = self.settings.capture_bucket
        if not bucket or stored.flow is None:
            return None
        lang, s3, ec2 = stored.language, self.pool.get(region).s3, self.pool.get(region).ec2
        moment = datetime.fromtimestamp(started, tz=UTC)
        await emit(tr(lang, "Waiting for the first capture after the change to compare before and after…"))
        deadline = time.monotonic() + self.settings.post_fix_wait_s
        prefix = self.settings.capture_prefix
        with TraceStep("compare_before_after", CallType.TOOL, parameters={"since": moment.isoformat()}) as step:
            while not await asyncio.to_thread(captures_since, s3, bucket, prefix, moment):
                if time.monotonic() >= deadline:
                    step.set_attribute("after", "no capture yet")
                    break
                await asyncio.sleep(POLL_S)
            now = datetime.now(UTC)

            def analyze(end: datetime, minutes: float, after: datetime | None) -> Any:
                return analyze_traffic_mirroring_logs(
                    ec2,
                    s3,
                    s3_bucket_name=bucket,
                    prefix=prefix,
                    time_window_minutes=minutes,
                    now=end,
                    started_after=after,
                    max_files=self.settings.capture_max_files,
                    byte_budget=self.settings.capture_byte_budget,
                )

            before_report, after_report = await asyncio.gather(
                asyncio.to_thread(analyze, moment, BEFORE_MINUTES, None),
                asyncio.to_thread(analyze, now, max(1.0, (now - moment).total_seconds() / 60 + 1), moment),
            )
        flow, direction = stored.flow, stored.flow.get("direction")
        before = find_direction(gather(before_report, None).flows, flow, direction)
        after = find_direction(gather(after_report, None).flows, flow, direction)
        window_before = tr(lang, "{n} minutes before {at} UTC", n=BEFORE_MINUTES, at=moment.strftime("%H:%M:%S"))
        window_after = tr(lang, "{start}–{end} UTC", start=moment.strftime("%H:%M:%S"), end=now.strftime("%H:%M:%S"))
        return comparison(
            lang,
            stored.cause,
            flow,
            direction,
            Side.of(before) if before else None,
            Side.of(after) if after else None,
            window_before,
            window_after,
        )


_DONE = {"Success", "AlreadyInPlace"}
REDIS_DOWN = "Refused: the approval cannot be checked because Redis is unreachable; fix REDIS_URL and approve again."


def _progress(lang: str, action: str, hosts: str, approver: str) -> str:
    if action == "undo":
        return tr(
            lang,
            "Restoring the values before the fix on {hosts} over SSM (approved by {approver})…",
            hosts=hosts,
            approver=approver,
        )
    return tr(
        lang, "Applying the approved plan to {hosts} over SSM (approved by {approver})…", hosts=hosts, approver=approver
    )


def _headline(lang: str, action: str, hosts: str, rem: Remediation) -> tuple[str, str]:
    if rem.status == "AlreadyInPlace":
        return "ok", tr(lang, "Nothing to change on {hosts}: every value is already in place.", hosts=hosts)
    if rem.verified:
        verdict = (rem.comparison or {}).get("verdict")
        if action == "undo":
            return "ok", tr(lang, "The values before the fix are back on {hosts}, verified by read-back.", hosts=hosts)
        if verdict in {"improved", "unchanged", "worse"}:
            text = {
                "improved": "The plan was applied to {hosts} and verified; the flow improved.",
                "unchanged": "The plan was applied to {hosts} and verified, but the flow did not change.",
                "worse": "The plan was applied to {hosts} and verified, but the flow got worse.",
            }[verdict]
            return ("ok" if verdict == "improved" else "warning"), tr(lang, text, hosts=hosts)
        return "ok", tr(lang, "The plan was applied to {hosts} and verified by read-back.", hosts=hosts)
    if rem.status == "Success":
        return "warning", tr(lang, "The plan ran on {hosts} but the read-back does not confirm it.", hosts=hosts)
    return "critical", tr(lang, "The plan on {hosts} did not complete ({status}).", hosts=hosts, status=rem.status)


def refused(instance: str, reason: str) -> tuple[Answer, bool, str]:
    remediation = Remediation(instance_id=instance, command_id=None, status="Refused", verified=False, error=reason)
    return Answer(REMEDIATION_KIND, "warning", reason, remediation=remediation), False, reason


def _text(value: Any) -> str | None:
    """A field of the request as text (JSON may carry anything); the validators after this judge it."""
    return None if value in (None, "") else str(value)
