"""The assistant threads' context (the channel the user is viewing) in Redis, not bolt's files.

Bolt's default store writes files on one host; every bot replica must see the same context,
and a restarted bot too, so it lives in Redis like the conversations it belongs to.
"""

from __future__ import annotations

import json

import redis.asyncio as aioredis
from slack_bolt.context.assistant.thread_context import AssistantThreadContext
from slack_bolt.context.assistant.thread_context_store.async_store import AsyncAssistantThreadContextStore

CONTEXT_TTL_S = 14 * 24 * 3600  # as long as the thread's conversation (bot/conversations.py)


class RedisThreadContextStore(AsyncAssistantThreadContextStore):
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    @staticmethod
    def _key(channel_id: str, thread_ts: str) -> str:
        return f"netops:assistant-context:{channel_id}:{thread_ts}"

    async def save(self, *, channel_id: str, thread_ts: str, context: dict[str, str]) -> None:
        await self._redis.set(self._key(channel_id, thread_ts), json.dumps(context), ex=CONTEXT_TTL_S)

    async def find(self, *, channel_id: str, thread_ts: str) -> AssistantThreadContext | None:
        raw = await self._redis.get(self._key(channel_id, thread_ts))
        return AssistantThreadContext(json.loads(raw)) if raw else None
