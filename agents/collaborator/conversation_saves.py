"""Saving each turn's conversation to Redis in the background.

The SDK ends the caller's stream only when `execute()` returns, so an awaited save would hold
every answer back by a Redis round trip. The next turn of the conversation waits for the save
before reading, and shutdown waits (bounded) for the saves still running.
"""

from __future__ import annotations

import asyncio
import logging

from agents.collaborator.store import Conversation, RedisStore

log = logging.getLogger("agents.collaborator.executor")  # the name these log lines have always had


class ConversationSaves:
    """The running save of each conversation (by context id), until it is done."""

    def __init__(self, store: RedisStore) -> None:
        self._store = store
        self._saves: dict[str, asyncio.Task[None]] = {}  # context id -> its last turn's save, while running

    async def wait_for(self, context_id: str) -> None:
        """Until the conversation's last save is done, so a turn reads what the turn before it wrote.

        Shielded: a turn that times out waiting must not cancel the save it waited for.
        """
        earlier = self._saves.get(context_id)
        if earlier is not None:
            await asyncio.shield(earlier)

    def save_in_background(self, context_id: str, conversation: Conversation) -> None:
        saving = asyncio.create_task(self._save(context_id, conversation))
        self._saves[context_id] = saving

        def forget(done: asyncio.Task[None]) -> None:
            if self._saves.get(context_id) is done:
                del self._saves[context_id]

        saving.add_done_callback(forget)

    async def _save(self, context_id: str, conversation: Conversation) -> None:
        try:
            await self._store.save_conversation(context_id, conversation)
        except Exception as exc:  # the answer has gone out; a lost save only loses the follow-up's context
            log.warning("could not save conversation state to Redis (%r); a follow-up will start afresh", exc)

    async def drain(self, timeout_s: float = 5.0) -> None:
        """Wait for the conversation saves still running (at shutdown, before Redis is closed).

        Bounded, so a Redis that stopped answering cannot hold the shutdown up.
        """
        saves = list(self._saves.values())
        if not saves:
            return
        _, pending = await asyncio.wait(saves, timeout=timeout_s)
        if pending:
            log.warning("%d conversation saves did not finish within %g s of shutdown", len(pending), timeout_s)
