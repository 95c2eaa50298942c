"""Approvals: the record behind an "Apply TCP fixes" button, and the one atomic claim on it.

The button carries only an opaque id; what is approved (action, instance, stack, who asked,
where, until when) lives here. A click claims the approval with `SET … NX`, so exactly one
click (of any number, on any replica) wins and everything after it is told who won.
Who may approve is decided by `ApproverPolicy` from settings: user ids and/or one user group,
whose members are fetched by a callable (Slack's `usergroups.users.list`) and cached in Redis.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime

import redis.asyncio as aioredis

from agents.i18n import LANGUAGES, N_, tr
from bot.answer import FixRecommendation

APPROVAL_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
INSTANCE_ID = re.compile(r"^i-[0-9a-f]{8,17}$")
STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,127}$")
KEEP_AFTER_EXPIRY_S = 7 * 24 * 3600
GROUP_CACHE_TTL_S = 300


@dataclass(frozen=True)
class Approval:
    approval_id: str
    action: str
    instance_id: str
    stack_name: str
    changes: tuple[str, ...]
    requester: str
    channel: str
    thread_ts: str
    result_id: str
    expires_at: float
    message_ts: str | None = None
    plan_id: str = ""  # the agent's plan this approval applies
    hosts: tuple[str, ...] = ()  # every instance the plan touches (one live approval per host)
    language: str = "en"  # the answer's: what a click on its buttons is told comes in it

    def to_json(self) -> str:
        return json.dumps(asdict(self))

    @classmethod
    def from_json(cls, raw: bytes | str) -> Approval:
        data = json.loads(raw)
        data["changes"] = tuple(data.get("changes") or ())
        data["hosts"] = tuple(data.get("hosts") or ())
        return cls(**data)


@dataclass(frozen=True)
class Claim:
    status: str  # approved | dismissed | applied | failed
    by: str
    note: str = ""


@dataclass(frozen=True)
class Outcome:
    """The result of a click: `approval` and `claim` when it won, otherwise `refusal` says why."""

    refusal: str | None
    approval: Approval | None = None
    claim: Claim | None = None


def _key(approval_id: str) -> str:
    return f"netops:approval:{approval_id}"


def _claim_key(approval_id: str) -> str:
    return f"netops:approval:{approval_id}:claim"


def _open_key(instance_id: str) -> str:
    return f"netops:open-approvals:{instance_id}"


def _when(ts: float) -> str:
    return datetime.fromtimestamp(ts, tz=UTC).strftime("%H:%M UTC")


class Approvals:
    def __init__(self, redis: aioredis.Redis, clock: Callable[[], float] = time.time) -> None:
        self._redis = redis
        self._clock = clock

    async def create(
        self,
        rec: FixRecommendation,
        *,
        requester: str,
        channel: str,
        thread_ts: str,
        result_id: str,
        ttl_s: int,
        language: str = "en",
    ) -> Approval | None:
        """A pending approval, or None when the agent's recommendation names no valid instance."""
        if not INSTANCE_ID.fullmatch(rec.instance_id) or (rec.stack_name and not STACK_NAME.fullmatch(rec.stack_name)):
            return None
        approval = Approval(
            approval_id=secrets.token_urlsafe(18),
            action=rec.action,
            instance_id=rec.instance_id,
            stack_name=rec.stack_name,
            changes=rec.changes,
            requester=requester,
            channel=channel,
            thread_ts=thread_ts,
            result_id=result_id,
            expires_at=self._clock() + ttl_s,
            plan_id=rec.plan_id,
            hosts=tuple(dict.fromkeys((rec.instance_id, *rec.hosts))),
            language=language,
        )
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(_key(approval.approval_id), approval.to_json(), ex=ttl_s + KEEP_AFTER_EXPIRY_S)
            for host in approval.hosts:
                pipe.sadd(_open_key(host), approval.approval_id)
                pipe.expire(_open_key(host), ttl_s + KEEP_AFTER_EXPIRY_S)
            await pipe.execute()
        return approval

    async def supersede(self, approval: Approval, why: str) -> list[Approval]:
        """A plan on these hosts was applied, dismissed or undone: every other open approval touching them is out
        of date (its click is refused with `why`); returns them, so their messages can say so."""
        stale: list[Approval] = []
        for host in approval.hosts or (approval.instance_id,):
            for raw_id in await self._redis.smembers(_open_key(host)):
                other_id = raw_id.decode() if isinstance(raw_id, bytes) else str(raw_id)
                await self._redis.srem(_open_key(host), other_id)
                if other_id == approval.approval_id or (other := await self.get(other_id)) is None:
                    continue
                claim = json.dumps(asdict(Claim("stale", approval.approval_id, why)))
                ttl = max(60, int(other.expires_at - self._clock()) + KEEP_AFTER_EXPIRY_S)
                if await self._redis.set(_claim_key(other_id), claim, nx=True, ex=ttl):
                    stale.append(other)
        return stale

    async def get(self, approval_id: str) -> Approval | None:
        if not APPROVAL_ID.fullmatch(approval_id or ""):
            return None
        raw = await self._redis.get(_key(approval_id))
        return None if raw is None else Approval.from_json(raw)

    async def set_message(self, approval: Approval, message_ts: str) -> Approval:
        """Remembers which message carries the buttons, so a decision can edit it."""
        updated = Approval(**{**asdict(approval), "message_ts": message_ts})
        ttl = await self._redis.ttl(_key(approval.approval_id))
        await self._redis.set(_key(approval.approval_id), updated.to_json(), ex=max(int(ttl), 60))
        return updated

    async def claim_of(self, approval_id: str) -> Claim | None:
        raw = await self._redis.get(_claim_key(approval_id))
        return None if raw is None else Claim(**json.loads(raw))

    async def decide(
        self, approval_id: str, user: str, decision: str, policy: ApproverPolicy, note: str = ""
    ) -> Outcome:
        """Checks the click, then claims the approval atomically for `decision` (approved | dismissed)."""
        approval = await self.get(approval_id)
        if approval is None:  # nothing says which language the answer was in: both
            return Outcome("\n".join(tr(language, UNKNOWN_APPROVAL) for language in LANGUAGES))
        language = approval.language
        claimed = await self.claim_of(approval_id)
        if claimed is not None:
            return Outcome(_already(claimed, language), approval, claimed)
        if self._clock() >= approval.expires_at:
            return Outcome(
                tr(
                    language,
                    "This approval expired at {time}: ask NetOps again for a fresh analysis.",
                    time=_when(approval.expires_at),
                ),
                approval,
            )
        refusal = await policy.refusal(user, approval, decision)
        if refusal:
            return Outcome(refusal, approval)
        claim = Claim(decision, user, note)
        ttl = int(approval.expires_at - self._clock()) + KEEP_AFTER_EXPIRY_S
        won = await self._redis.set(_claim_key(approval_id), json.dumps(asdict(claim)), nx=True, ex=ttl)
        if not won:
            claimed = await self.claim_of(approval_id)
            if claimed:
                return Outcome(_already(claimed, language), approval)
            return Outcome(tr(language, "Someone else decided at the same moment."), approval)
        return Outcome(None, approval, claim)

    async def finish(self, approval: Approval, status: str) -> Claim | None:
        """Records how an approved fix ended (applied | failed), keeping who approved it."""
        claimed = await self.claim_of(approval.approval_id)
        if claimed is None:
            return None
        done = Claim(status, claimed.by, claimed.note)
        await self._redis.set(_claim_key(approval.approval_id), json.dumps(asdict(done)), keepttl=True)
        return done


# Why an open approval went out of date (kept as the English id, shown in each approval's language)
SUPERSEDED = {
    "dismissed": N_("a plan for the same hosts was dismissed"),
    "applied": N_("a plan for the same hosts was applied since"),
    "undone": N_("a plan for the same hosts was undone since"),
}
UNKNOWN_APPROVAL = N_("This approval is unknown or too old: ask NetOps again for a fresh analysis.")


def _already(claim: Claim, language: str) -> str:
    if claim.status == "stale":
        why = tr(language, claim.note)
        return tr(language, "This plan is out of date: {why}. Ask NetOps again for a fresh analysis.", why=why)
    if claim.status == "dismissed":
        return tr(language, "This fix was already dismissed by <@{user}>; nothing more to do.", user=claim.by)
    return tr(language, "This fix was already approved by <@{user}>; nothing more to do.", user=claim.by)


GroupFetcher = Callable[[str], Awaitable[list[str]]]


class ApproverPolicy:
    """Who may approve: listed user ids, members of one user group, never the requester (by default)."""

    def __init__(
        self,
        redis: aioredis.Redis,
        *,
        approvers: list[str],
        group: str | None,
        allow_self: bool,
        fetch_group: GroupFetcher | None,
    ) -> None:
        self._redis = redis
        self._approvers = set(approvers)
        self._group = group
        self._allow_self = allow_self
        self._fetch_group = fetch_group

    async def group_members(self) -> set[str]:
        """Members of the approver group, from Redis when fetched in the last 5 minutes."""
        if not self._group or self._fetch_group is None:
            return set()
        key = f"netops:usergroup:{self._group}"
        cached = await self._redis.get(key)
        if cached is not None:
            return set(json.loads(cached))
        members = await self._fetch_group(self._group)
        await self._redis.set(key, json.dumps(sorted(members)), ex=GROUP_CACHE_TTL_S)
        return set(members)

    async def is_approver(self, user: str) -> bool:
        return user in self._approvers or user in await self.group_members()

    async def refusal(self, user: str, approval: Approval, decision: str) -> str | None:
        """None when `user` may make `decision`; otherwise the sentence they are shown."""
        language = approval.language
        try:
            approver = await self.is_approver(user)
        except Exception:
            return tr(language, "NetOps could not read the approver group from Slack: try again in a minute.")
        if decision == "dismissed":
            if approver or user == approval.requester:
                return None
            return tr(language, "Only the person who asked or an approver can dismiss this fix.")
        if not approver:
            return tr(
                language,
                "Only approvers can apply fixes: ask someone listed in NETOPS_APPROVERS or the approver group.",
            )
        if user == approval.requester and not self._allow_self:
            return tr(language, "You asked for this analysis, so another approver must apply the fix.")
        return None
