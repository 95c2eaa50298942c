"""Recent traces in Redis, for people to watch: live ones as they start, finished ones whole.

The host that starts a trace (the bot) writes a small summary when a question starts and again,
with the whole trace, when it ends; in between, `follow` saves a snapshot of the steps so far at
most every `every_s` while the answer streams in, so a slow question can be watched step by step.
The dashboard lists summaries (one MGET) and opens one trace at a time. Summaries and traces
expire after `TTL_S`; the index keeps at most `MAX_TRACES`.
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agents.traceability.model import ResponseTrace
from agents.traceability.summary import summarize
from agents.traceability.tracer import Tracer

log = logging.getLogger(__name__)
T = TypeVar("T")
CAPTURED_AT = "captured_at"  # ResponseTrace.extra key of a snapshot: when it was taken (epoch seconds)

INDEX_KEY = "netops:traces"
TTL_S = 7 * 24 * 3600
MAX_TRACES = 10_000
TRACE_ID = re.compile(r"^[A-Za-z0-9_.:-]{1,128}$")

# running: not finished yet; answered: no step failed; partial: answered, but a step failed on the
# way (a tool's AWS call, say); failed: the host got no answer (the turn failed or timed out).
RUNNING, ANSWERED, PARTIAL, FAILED = "running", "answered", "partial", "failed"


@dataclass(frozen=True)
class TraceRecord:
    """What a list of traces shows about one: plain JSON-friendly values."""

    trace_id: str
    question: str
    kind: str  # what the host was doing: "question", "fix"
    status: str  # RUNNING, ANSWERED, PARTIAL or FAILED
    started_at: float  # epoch seconds
    finished_at: float | None = None
    latency_ms: float | None = None
    step_count: int = 0
    total_tokens: int = 0
    cost_usd: float | None = None
    failing_step: str | None = None
    failing_error: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TraceRecord:
        known = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        return cls(**known)


def finished_record(started: TraceRecord, trace: ResponseTrace, failed: bool, now: float) -> TraceRecord:
    """The record of a trace that ended: its figures from the summary, its status from `failed` (no answer) and
    the failing step (partial)."""
    summary = summarize(trace)
    failing = summary.failing_step
    status = FAILED if failed else PARTIAL if failing is not None else ANSWERED
    return TraceRecord(
        trace_id=started.trace_id,
        question=started.question,
        kind=started.kind,
        status=status,
        started_at=started.started_at,
        finished_at=now,
        latency_ms=summary.latency_ms,
        step_count=summary.step_count,
        total_tokens=summary.total_tokens,
        cost_usd=summary.total_cost_usd,
        failing_step=failing.name if failing else None,
        failing_error=failing.error if failing else None,
    )


class TraceStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def begin(self, trace_id: str, question: str, kind: str = "question") -> TraceRecord:
        record = TraceRecord(trace_id, question[:500], kind, RUNNING, time.time())
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.set(_summary_key(trace_id), json.dumps(asdict(record)), ex=TTL_S)
            pipe.zadd(INDEX_KEY, {trace_id: record.started_at})
            pipe.zremrangebyscore(INDEX_KEY, "-inf", record.started_at - TTL_S)
            pipe.zremrangebyrank(INDEX_KEY, 0, -MAX_TRACES - 1)
            await pipe.execute()
        return record

    async def finish(self, started: TraceRecord, trace: ResponseTrace, *, failed: bool) -> TraceRecord:
        """Stores the whole trace; a Redis failure is logged, not raised: the answer it traced matters more."""
        record = finished_record(started, trace, failed, time.time())
        try:
            async with self._redis.pipeline(transaction=False) as pipe:
                pipe.set(_summary_key(record.trace_id), json.dumps(asdict(record)), ex=TTL_S)
                pipe.set(_trace_key(record.trace_id), json.dumps(trace.to_dict(), default=str), ex=TTL_S)
                await pipe.execute()
        except RedisError as exc:
            log.warning("trace %s not stored for the dashboard: %s", record.trace_id, exc)
        return record

    async def snapshot(self, trace: ResponseTrace, now: float | None = None) -> None:
        """The steps of a running trace so far (unfinished ones have no end yet); a Redis failure is logged."""
        data = trace.to_dict()
        data[CAPTURED_AT] = time.time() if now is None else now
        try:
            await self._redis.set(_trace_key(trace.trace_id), json.dumps(data, default=str), ex=TTL_S)
        except RedisError as exc:
            log.warning("snapshot of trace %s not stored: %s", trace.trace_id, exc)

    async def follow(
        self,
        stream: AsyncIterator[T],
        tracer: Tracer,
        every_s: float = 1.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> AsyncIterator[T]:
        """`stream` unchanged, saving a snapshot of `tracer` after an event when `every_s` has passed since the last."""
        last = clock()
        try:
            async for event in stream:
                if clock() - last >= every_s:
                    last = clock()
                    await self.snapshot(tracer.trace())
                yield event
        finally:
            aclose = getattr(stream, "aclose", None)
            if aclose is not None:
                await aclose()

    async def recent(self, since: float, limit: int = 500) -> list[TraceRecord]:
        """Traces started at or after `since` (epoch seconds), newest first."""
        ids = await self._redis.zrevrangebyscore(INDEX_KEY, "+inf", since, start=0, num=limit)
        if not ids:
            return []
        raws = await self._redis.mget([_summary_key(_text(i)) for i in ids])
        return [TraceRecord.from_dict(json.loads(raw)) for raw in raws if raw is not None]

    async def record(self, trace_id: str) -> TraceRecord | None:
        if not TRACE_ID.match(trace_id or ""):
            return None
        raw = await self._redis.get(_summary_key(trace_id))
        return TraceRecord.from_dict(json.loads(raw)) if raw is not None else None

    async def trace(self, trace_id: str) -> ResponseTrace | None:
        """The whole trace of a finished question (None while it runs, or when unknown or expired)."""
        if not TRACE_ID.match(trace_id or ""):
            return None
        raw = await self._redis.get(_trace_key(trace_id))
        return ResponseTrace.from_dict(json.loads(raw)) if raw is not None else None


def _summary_key(trace_id: str) -> str:
    return f"netops:trace:{trace_id}:summary"


def _trace_key(trace_id: str) -> str:
    return f"netops:trace:{trace_id}:steps"


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value
