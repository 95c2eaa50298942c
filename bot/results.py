"""Results kept for a week, so "View trace" and a later approval re-render the same message."""

from __future__ import annotations

import json
import re
import secrets
from dataclasses import dataclass
from typing import Any

import redis.asyncio as aioredis

from bot.trace_view import TraceView

RESULT_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}$")
RESULT_TTL_S = 7 * 24 * 3600


@dataclass(frozen=True)
class StoredResult:
    result_id: str
    data: dict[str, Any] | None
    text: str
    trace: TraceView | None
    channel: str
    thread_ts: str
    approval_id: str | None = None
    language: str | None = None  # the answer's, so a re-render (approval, dismissal) keeps it
    question: str = ""  # what was asked, for feedback (alarms branch)


def new_result_id() -> str:
    return secrets.token_urlsafe(18)


class Results:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def save(self, result: StoredResult) -> None:
        payload = {
            "data": result.data,
            "text": result.text,
            "trace": result.trace.to_dict() if result.trace else None,
            "channel": result.channel,
            "thread_ts": result.thread_ts,
            "approval_id": result.approval_id,
            "language": result.language,
            "question": result.question,
        }
        await self._redis.set(f"netops:result:{result.result_id}", json.dumps(payload), ex=RESULT_TTL_S)

    async def get(self, result_id: str) -> StoredResult | None:
        if not RESULT_ID.fullmatch(result_id or ""):
            return None
        raw = await self._redis.get(f"netops:result:{result_id}")
        if raw is None:
            return None
        data = json.loads(raw)
        trace = TraceView.from_dict(data["trace"]) if data.get("trace") else None
        return StoredResult(
            result_id,
            data.get("data"),
            data.get("text", ""),
            trace,
            data["channel"],
            data["thread_ts"],
            data.get("approval_id"),
            data.get("language"),
            data.get("question", ""),
        )
