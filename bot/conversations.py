"""Slack thread → A2A context, so a follow-up in a thread continues the same conversation.

Kept in Redis (not in memory) so every bot replica and a restarted bot see the same map.
`owned` marks threads the bot started (a `/netops` root): replies there are addressed to
the bot even without a mention, while in other threads only mentions are.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import redis.asyncio as aioredis

CONVERSATION_TTL_S = 14 * 24 * 3600


@dataclass(frozen=True)
class Conversation:
    channel: str
    thread_ts: str
    context_id: str | None = None
    owned: bool = False


def _key(channel: str, thread_ts: str) -> str:
    return f"netops:thread:{channel}:{thread_ts}"


class Conversations:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def get(self, channel: str, thread_ts: str) -> Conversation | None:
        raw = await self._redis.get(_key(channel, thread_ts))
        if raw is None:
            return None
        data = json.loads(raw)
        return Conversation(channel, thread_ts, data.get("context_id"), bool(data.get("owned")))

    async def start(self, channel: str, thread_ts: str, *, owned: bool) -> None:
        """Remembers a thread before its first answer, keeping any context it already has."""
        existing = await self.get(channel, thread_ts)
        context_id = existing.context_id if existing else None
        await self._save(Conversation(channel, thread_ts, context_id, owned or bool(existing and existing.owned)))

    async def set_context(self, channel: str, thread_ts: str, context_id: str) -> None:
        existing = await self.get(channel, thread_ts)
        await self._save(Conversation(channel, thread_ts, context_id, bool(existing and existing.owned)))

    async def _save(self, conversation: Conversation) -> None:
        payload = json.dumps({"context_id": conversation.context_id, "owned": conversation.owned})
        await self._redis.set(_key(conversation.channel, conversation.thread_ts), payload, ex=CONVERSATION_TTL_S)
