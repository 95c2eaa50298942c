"""Feedback on answers, kept so that a thumbs-down can become an eval case.

Each vote is stored with what is needed to reproduce the answer: the trace id, the question,
the answer's cause codes and headline, where it was asked, and the scenario the process ran
against (`NETOPS_SCENARIO`, set by the demo; unset in production, where the region stands in).
One vote per person per answer: voting again replaces it. Kept 90 days, indexed by time.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis

from bot.results import StoredResult

FEEDBACK_TTL_S = 90 * 24 * 3600
INDEX = "netops:feedback:index"


@dataclass(frozen=True)
class Feedback:
    result_id: str
    user: str
    vote: str  # "up" | "down"
    at: str  # ISO 8601, UTC
    reason: str = ""
    trace_id: str | None = None
    question: str = ""
    causes: tuple[str, ...] = field(default_factory=tuple)
    headline: str = ""
    channel: str = ""
    thread_ts: str = ""
    scenario: str | None = None
    region: str | None = None

    @property
    def moment(self) -> datetime:
        return datetime.fromisoformat(self.at)


def feedback_of(stored: StoredResult, user: str, vote: str, scenario: str | None, now: datetime) -> Feedback:
    """The record of one vote on a stored answer (pure)."""
    data: dict[str, Any] = stored.data or {}
    causes = tuple(str(c.get("code")) for c in data.get("causes") or () if isinstance(c, dict) and c.get("code"))
    headline = data.get("headline") if isinstance(data.get("headline"), dict) else {}
    scope = data.get("scope") if isinstance(data.get("scope"), dict) else {}
    return Feedback(
        result_id=stored.result_id,
        user=user,
        vote=vote,
        at=now.astimezone(UTC).isoformat(),
        trace_id=stored.trace.trace_id if stored.trace else None,
        question=stored.question,
        causes=causes,
        headline=str(headline.get("text") or next(iter(stored.text.splitlines()), "")),
        channel=stored.channel,
        thread_ts=stored.thread_ts,
        scenario=scenario,
        region=str(scope.get("region")) if scope.get("region") else None,
    )


def _key(result_id: str, user: str) -> str:
    return f"netops:feedback:{result_id}:{user}"


def _load(raw: bytes | str) -> Feedback:
    values = json.loads(raw)
    values["causes"] = tuple(values.get("causes") or ())
    return Feedback(**values)


class FeedbackStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def record(self, feedback: Feedback) -> None:
        key = _key(feedback.result_id, feedback.user)
        async with self._redis.pipeline(transaction=True) as pipe:
            pipe.set(key, json.dumps(asdict(feedback)), ex=FEEDBACK_TTL_S)
            pipe.zadd(INDEX, {key: feedback.moment.timestamp()})
            pipe.zremrangebyscore(INDEX, "-inf", feedback.moment.timestamp() - FEEDBACK_TTL_S)
            await pipe.execute()

    async def add_reason(self, result_id: str, user: str, reason: str) -> Feedback | None:
        """The reason given after a vote; None when there is no vote to add it to."""
        raw = await self._redis.get(_key(result_id, user))
        if raw is None:
            return None
        updated = replace(_load(raw), reason=reason)
        await self._redis.set(_key(result_id, user), json.dumps(asdict(updated)), keepttl=True)
        return updated

    async def since(self, moment: datetime | None = None) -> list[Feedback]:
        """Every vote at or after `moment` (all kept ones when None), oldest first."""
        low = moment.timestamp() if moment else "-inf"
        keys = await self._redis.zrangebyscore(INDEX, low, "+inf")
        if not keys:
            return []
        return [_load(raw) for raw in await self._redis.mget(keys) if raw is not None]
