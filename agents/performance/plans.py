"""Recommended plans, kept in Redis so an approval applies exactly what was shown.

The confirm dialog lists each host's changes (current → proposed); the approval token names
the plan's id, and the remediation reads the plan from here, so a caller can neither change
what is applied nor aim it at another host. A plan lives as long as its button can be used.
"""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import asdict, dataclass
from typing import Any

import redis.asyncio as aioredis

from agents.performance.tools.plan_script import PlannedChange

PLAN_KEY = "netops:plan:{}"
PLAN_ID_RE = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


@dataclass(frozen=True)
class HostChanges:
    instance_id: str
    changes: tuple[PlannedChange, ...]


@dataclass(frozen=True)
class StoredPlan:
    plan_id: str
    cause: str | None
    hosts: tuple[HostChanges, ...]

    def to_json(self) -> str:
        return json.dumps(
            {
                "plan_id": self.plan_id,
                "cause": self.cause,
                "hosts": [
                    {"instance_id": h.instance_id, "changes": [asdict(c) for c in h.changes]} for h in self.hosts
                ],
            }
        )

    @classmethod
    def from_json(cls, raw: str | bytes) -> StoredPlan:
        data = json.loads(raw)
        return cls(
            plan_id=data["plan_id"],
            cause=data.get("cause"),
            hosts=tuple(
                HostChanges(h["instance_id"], tuple(PlannedChange(**c) for c in h["changes"])) for h in data["hosts"]
            ),
        )


def plan_from_recommendation(rec: dict[str, Any]) -> StoredPlan:
    return StoredPlan(
        plan_id=secrets.token_urlsafe(18),
        cause=rec.get("cause"),
        hosts=tuple(
            HostChanges(
                h["instance_id"],
                tuple(PlannedChange(c["setting"], c["current"], c["proposed"]) for c in h["changes"]),
            )
            for h in rec.get("hosts", [])
        ),
    )


async def save_plan(redis: aioredis.Redis, plan: StoredPlan, ttl_s: int) -> None:
    await redis.set(PLAN_KEY.format(plan.plan_id), plan.to_json(), ex=max(60, ttl_s))


async def load_plan(redis: aioredis.Redis, plan_id: str | None) -> StoredPlan | None:
    if not plan_id or not PLAN_ID_RE.fullmatch(plan_id):
        return None
    raw = await redis.get(PLAN_KEY.format(plan_id))
    return None if raw is None else StoredPlan.from_json(raw)
