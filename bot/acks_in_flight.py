"""Slack requests this process is answering, so that jobs do not start in the middle of a burst of acks."""

from __future__ import annotations

import asyncio
import contextlib


class AcksInFlight:
    """Slack requests this process is answering. The worker starts no new job while there are
    any (waiting `JobWorker.ack_wait_s` at most, so that jobs still start under constant load):
    Slack gives an ack 3 s and retries it, a job's answer can start a burst's length later, and
    jobs started in the middle of a burst of acks were what made the acks' p99 in bench_ack."""

    def __init__(self) -> None:
        self._count = 0
        self._idle = asyncio.Event()
        self._idle.set()

    def enter(self) -> None:
        self._count += 1
        self._idle.clear()

    def leave(self) -> None:
        self._count -= 1
        if self._count == 0:
            self._idle.set()

    async def wait_idle(self, at_most_s: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._idle.wait(), at_most_s)
