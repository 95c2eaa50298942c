"""Per-key locks: one holder per key, independent keys, nothing left behind."""

from __future__ import annotations

import asyncio

from agents.collaborator.keyed_lock import KeyedLock


async def test_a_second_holder_of_the_same_key_waits_for_the_first() -> None:
    locks = KeyedLock()
    order: list[str] = []
    first_in = asyncio.Event()
    release = asyncio.Event()

    async def first() -> None:
        async with locks.hold("ctx"):
            first_in.set()
            await release.wait()
            order.append("first")

    async def second() -> None:
        await first_in.wait()
        async with locks.hold("ctx"):
            order.append("second")

    tasks = [asyncio.create_task(first()), asyncio.create_task(second())]
    await first_in.wait()
    release.set()
    await asyncio.wait_for(asyncio.gather(*tasks), timeout=5)
    assert order == ["first", "second"]
    assert len(locks) == 0


async def test_different_keys_do_not_wait_for_each_other() -> None:
    locks = KeyedLock()
    async with locks.hold("a"):
        await asyncio.wait_for(_enter(locks, "b"), timeout=5)
    assert len(locks) == 0


async def _enter(locks: KeyedLock, key: str) -> None:
    async with locks.hold(key):
        pass
