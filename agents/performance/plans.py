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
    action: str = "fix_retransmissions"  # or "undo": what the approval token must say
    flow: dict[str, Any] | None = None  # the flow the cause was found on (src, dst, dport, direction)
    language: str = "en"  # of the question that led to it: the result is said in it too

    def to_json(self) -> str:
        return json.dumps(
            {
                "plan_id": self.plan_id,
                "cause": self.cause,
                "action": self.action,
                "flow": self.flow,
                "language": self.language,
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
            action=data.get("action", "fix_retransmissions"),
            flow=data.get("flow"),
            language=data.get("language", "en"),
            hosts=tuple(
                HostChanges(h["instance_id"], tuple(PlannedChange(**c) for c in h["changes"])) for h in data["hosts"]
            ),
        )


def new_plan_id() -> str:
    return secrets.token_urlsafe(18)


def plan_from_recommendation(
    rec: dict[str, Any], flow: dict[str, Any] | None = None, language: str = "en"
) -> StoredPlan:
    return StoredPlan(
        language=language,
        plan_id=new_plan_id(),
        cause=rec.get("cause"),
        action=rec.get("action") or "fix_retransmissions",
        flow=flow,
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


def plan_to_dict(plan: StoredPlan) -> dict[str, Any]:
    """A stored plan as an answer shows it: `recommendation`-shaped (CONTRACTS.md section 9)."""
    hosts = [
        {
            "instance_id": h.instance_id,
            "changes": [{"setting": c.setting, "current": c.current, "proposed": c.proposed} for c in h.changes],
        }
        for h in plan.hosts
    ]
    lines = [f"{c.setting} on {h.instance_id}: {c.current} → {c.proposed}" for h in plan.hosts for c in h.changes]
    return {
        "plan_id": plan.plan_id,
        "action": plan.action,
        "instance_id": plan.hosts[0].instance_id,
        "changes": lines,
        "hosts": hosts,
    }
