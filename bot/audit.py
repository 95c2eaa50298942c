"""The audit stream: every approval, dismissal, refusal and fix result, append-only in Redis.

A Redis Stream (not a log file) so every replica writes to one ordered record that
`netops audit` can print, and entries carry their own time (the stream id).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import redis.asyncio as aioredis

from bot.redis_text import as_text

AUDIT_STREAM = "netops:audit"
AUDIT_MAXLEN = 100_000


@dataclass(frozen=True)
class AuditEntry:
    entry_id: str
    event: str
    fields: dict[str, Any]

    @property
    def time(self) -> datetime:
        return datetime.fromtimestamp(int(self.entry_id.split("-")[0]) / 1000, tz=UTC)


class AuditLog:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def record(self, event: str, **fields: Any) -> str:
        """Appends one entry; `fields` must hold no secrets (tokens are never passed here)."""
        body = {"event": event, "fields": json.dumps(fields, sort_keys=True, default=str)}
        entry_id = await self._redis.xadd(AUDIT_STREAM, body, maxlen=AUDIT_MAXLEN, approximate=True)
        return as_text(entry_id)

    async def entries(self, count: int = 100) -> list[AuditEntry]:
        """The newest `count` entries, oldest first."""
        raw = await self._redis.xrevrange(AUDIT_STREAM, count=count)
        entries = []
        for entry_id, body in reversed(raw):
            decoded = {as_text(k): as_text(v) for k, v in body.items()}
            entries.append(
                AuditEntry(as_text(entry_id), decoded.get("event", "?"), json.loads(decoded.get("fields", "{}")))
            )
        return entries


def format_entry(entry: AuditEntry) -> str:
    """One line per entry: time, event, then key=value in a stable order."""
    details = " ".join(f"{key}={value}" for key, value in sorted(entry.fields.items()))
    return f"{entry.time:%Y-%m-%d %H:%M:%S}Z  {entry.event:<18} {details}".rstrip()
