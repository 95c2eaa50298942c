"""Where cards, agent health and conversations live: Redis, shared by every collaborator replica.

`netops route`, which must work without a Redis server, uses it over fakeredis.
Values are small JSON documents; keys hash the agent URL so no URL text reaches a key name.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from typing import Any

import redis.asyncio as aioredis

KEY_PREFIX = "netops:collab:"
# Lifetimes of conversation state (CONTRACTS.md section 6): the whole record lives a week after
# its last turn; within it, a reply is read with the last answer only for a day, and completes an
# ask-back only for a quarter of an hour. Past those, it is read as a new question.
CONVERSATION_TTL_S = 7 * 24 * 3600
LAST_ANSWER_TTL_S = 24 * 3600
CLARIFYING_TTL_S = 15 * 60
CARD_KEEP_S = 24 * 3600  # stale cards are kept this long past freshness, for ETag revalidation


@dataclass
class CachedCard:
    card_json: str
    etag: str | None
    fetched_at: float
    fresh_until: float


@dataclass
class Health:
    failures: int
    next_retry_at: float
    last_error: str


@dataclass
class Conversation:
    """Per collaborator context: the remote context per agent URL, and what is pending."""

    remote_contexts: dict[str, str] = field(default_factory=dict)
    pending_agent: str | None = None  # an agent answered INPUT_REQUIRED: the reply goes back to it
    pending_task: str | None = None
    clarifying: str | None = None  # we asked back: the question the reply completes
    clarifying_at: float | None = None  # when we asked back (epoch seconds)
    last_answer: dict[str, Any] | None = None  # the last diagnosis data part relayed in this context
    last_agent: str | None = None  # the URL of the agent that gave it
    answered_at: float | None = None  # when (epoch seconds)

    def recent_answer(self, now: float) -> dict[str, Any] | None:
        """The last answer, while a reply may still be read with it (LAST_ANSWER_TTL_S)."""
        fresh = self.answered_at is not None and now - self.answered_at <= LAST_ANSWER_TTL_S
        return self.last_answer if fresh else None

    def open_question(self, now: float) -> str | None:
        """The question we asked back about, while a reply may still complete it (CLARIFYING_TTL_S)."""
        fresh = self.clarifying_at is not None and now - self.clarifying_at <= CLARIFYING_TTL_S
        return self.clarifying if fresh else None


def _url_key(kind: str, url: str) -> str:
    return f"{KEY_PREFIX}{kind}:{hashlib.sha256(url.encode()).hexdigest()[:24]}"


def _conversation_key(context_id: str) -> str:
    return f"{KEY_PREFIX}conv:{hashlib.sha256(context_id.encode()).hexdigest()[:32]}"


def _decode(raw: Any, kind: type) -> Any:
    if raw is None:
        return None
    try:
        return kind(**json.loads(raw))
    except (ValueError, TypeError):
        return None  # an unreadable entry is treated as absent, and overwritten


class RedisStore:
    def __init__(self, redis: aioredis.Redis) -> None:
        self._redis = redis

    async def load_cards(self, urls: list[str]) -> tuple[list[CachedCard | None], list[Health | None]]:
        if not urls:
            return [], []
        keys = [_url_key("card", u) for u in urls] + [_url_key("health", u) for u in urls]
        raw = await self._redis.mget(keys)
        n = len(urls)
        return [_decode(r, CachedCard) for r in raw[:n]], [_decode(r, Health) for r in raw[n:]]

    async def save_card(self, url: str, card: CachedCard) -> None:
        keep = max(1, int(card.fresh_until - card.fetched_at) + CARD_KEEP_S)
        await self._redis.set(_url_key("card", url), json.dumps(asdict(card)), ex=keep)

    async def drop_card(self, url: str) -> None:
        await self._redis.delete(_url_key("card", url))

    async def save_health(self, url: str, health: Health | None) -> None:
        key = _url_key("health", url)
        if health is None:
            await self._redis.delete(key)
        else:
            await self._redis.set(key, json.dumps(asdict(health)), ex=CARD_KEEP_S)

    async def load_conversation(self, context_id: str) -> Conversation:
        return _decode(await self._redis.get(_conversation_key(context_id)), Conversation) or Conversation()

    async def save_conversation(self, context_id: str, conversation: Conversation) -> None:
        await self._redis.set(_conversation_key(context_id), json.dumps(asdict(conversation)), ex=CONVERSATION_TTL_S)
