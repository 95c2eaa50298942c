"""Enqueueing on the ack path: once per dedupe key, within the ack's budget for Redis.

Duplicates (Slack retrying one `event_id`, a repeated command trigger) are dropped here: the
dedupe key and the XADD are written by one Lua script (atomic), so neither exists without the other.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import ResponseError
from redis.exceptions import TimeoutError as RedisTimeoutError

from bot.job_stream import JOB_GROUP, JOB_STREAM
from bot.pipeline_batch import PipelineBatch
from bot.redis_text import as_text

DEDUPE_TTL_S = 24 * 3600
STREAM_MAXLEN = 10_000
# The ack path's budget for Redis: Slack wants the ack within 3 s, and a failed enqueue still has
# to post its note before the ack is sent.
ENQUEUE_TIMEOUT_S = 1.5

# Writes the dedupe key and the entry atomically, or neither when the key exists: one command
# instead of WATCH, EXISTS and MULTI/EXEC (three round trips), with the same guarantee.
ENQUEUE_ONCE = """
if redis.call('SET', KEYS[1], '1', 'NX', 'EX', ARGV[1]) then
  return redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[2], '*', 'kind', ARGV[3], 'payload', ARGV[4])
end
return false
"""


class EnqueueTimeout(RedisTimeoutError):
    """Redis did not answer the enqueue in time: the job may or may not have been written."""

    def __init__(self, timeout_s: float) -> None:
        super().__init__(f"Redis did not answer within {timeout_s:g} s")
        self.timeout_s = timeout_s


class JobQueue:
    """Enqueues on the ack path. Enqueues made in one turn of the event loop (a burst of Slack
    requests) go to Redis in one pipeline (`PipelineBatch`)."""

    def __init__(self, redis: aioredis.Redis, stream: str = JOB_STREAM, timeout_s: float = ENQUEUE_TIMEOUT_S) -> None:
        self._redis = redis
        self.stream = stream
        self.timeout_s = timeout_s
        self._batch = PipelineBatch(redis)

    async def enqueue(self, kind: str, payload: dict[str, Any], dedupe_key: str | None = None) -> str | None:
        """The new entry id, or None when `dedupe_key` was already seen (a duplicate delivery).

        Raises a RedisError when Redis fails, `EnqueueTimeout` when it does not answer within `timeout_s`.
        """
        try:
            async with asyncio.timeout(self.timeout_s):
                return await self._enqueue(kind, payload, dedupe_key)
        except TimeoutError:
            raise EnqueueTimeout(self.timeout_s) from None

    async def _enqueue(self, kind: str, payload: dict[str, Any], dedupe_key: str | None) -> str | None:
        body = json.dumps(payload)
        if dedupe_key is None:
            fields = {"kind": kind, "payload": body}
            entry_id = await self._batch.write(
                lambda pipe: pipe.xadd(self.stream, fields, maxlen=STREAM_MAXLEN, approximate=True)
            )
        else:
            keys_and_args = (f"netops:dedupe:{dedupe_key}", self.stream, DEDUPE_TTL_S, STREAM_MAXLEN, kind, body)
            entry_id = await self._batch.write(lambda pipe: pipe.eval(ENQUEUE_ONCE, 2, *keys_and_args))
        return as_text(entry_id) if entry_id is not None else None

    async def ensure_group(self, group: str = JOB_GROUP) -> None:
        try:
            await self._redis.xgroup_create(self.stream, group, id="0", mkstream=True)
        except ResponseError as exc:
            if "BUSYGROUP" not in str(exc):
                raise
