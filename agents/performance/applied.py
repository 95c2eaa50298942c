"""Applied plans, remembered: when each fix landed on which hosts, and what the hosts had before.

A question asked after a fix must not mix the traffic before it with the traffic after it (a
30-minute window right after a fix is mostly pre-fix traffic and would re-recommend the fix
that is in place), and an undo must know what to restore. So every verified apply is recorded
here (a Redis sorted set scored by time, pruned after a week), and a diagnosis whose window
spans a fix on its hosts looks only at what came after it.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

import redis.asyncio as aioredis

APPLIED_KEY = "netops:applied"
KEEP_S = 7 * 24 * 3600


@dataclass(frozen=True)
class AppliedFix:
    at: float  # epoch seconds, when the hosts were changed
    plan_id: str
    hosts: list[str]
    cause: str | None = None
    before: dict[str, dict[str, str]] = field(default_factory=dict)  # host → setting → value before
    after: dict[str, dict[str, str]] = field(default_factory=dict)
    kind: str = "apply"  # apply | undo

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, raw: str | bytes) -> AppliedFix:
        data: dict[str, Any] = json.loads(raw)
        return cls(**data)


async def record_applied(redis: aioredis.Redis, fix: AppliedFix) -> None:
    async with redis.pipeline(transaction=True) as pipe:
        pipe.zadd(APPLIED_KEY, {fix.to_json(): fix.at})
        pipe.zremrangebyscore(APPLIED_KEY, "-inf", time.time() - KEEP_S)
        await pipe.execute()


async def applied_between(redis: aioredis.Redis, start: float, end: float) -> list[AppliedFix]:
    """Fixes applied in [start, end], oldest first."""
    raws = await redis.zrangebyscore(APPLIED_KEY, start, end)
    return [AppliedFix.from_json(raw) for raw in raws]


async def latest_fix(redis: aioredis.Redis, instances: tuple[str, ...] = ()) -> AppliedFix | None:
    """The newest change on these hosts (any host when none is named) within the kept week, if it was a fix:
    a fix already undone has nothing left to undo."""
    raws = await redis.zrevrangebyscore(APPLIED_KEY, "+inf", time.time() - KEEP_S, start=0, num=200)
    for raw in raws:
        fix = AppliedFix.from_json(raw)
        if not instances or set(instances) & set(fix.hosts):
            return fix if fix.kind == "apply" else None
    return None
