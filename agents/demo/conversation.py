"""A scripted conversation in one thread: the question, the follow-ups, and the approvals.

`play` drives a `DemoSession` (the bot's own console session, with a second person who
approves) through a `Script` and tells a `Listener` after every step, so the same
conversation prints as the human transcript, as `--json` lines, or feeds the eval suite.
Each follow-up is asked only once the answer before it, and any fix it led to, is complete.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

import redis.asyncio as aioredis

from agents.settings import Settings
from bot.approvals import ApproverPolicy
from bot.console import ConsoleMessage, ConsoleSession
from bot.runner import DECISION

ASKER = "OPERATOR"
APPROVER = "APPROVER"
FOLLOW_UP = "Is the app to db flow healthy now? Check the last 5 minutes."
# A fix, then an undo that fix offers, …: enough for any lifecycle, bounded so a thread that
# keeps offering fixes cannot keep a scripted run going forever.
MAX_APPROVALS_PER_ANSWER = 3


class DemoSession(ConsoleSession):
    """A console session with two people, as on Slack: the asker may not approve, `approver` may."""

    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        collaborator: Any,
        *,
        channel: str = "CONSOLE",
        approver: str = APPROVER,
        on_change: Callable[[ConsoleMessage], None] | None = None,
    ) -> None:
        super().__init__(settings, redis, collaborator, user=ASKER, channel=channel, on_change=on_change)
        self.approver = approver
        self.services.policy = ApproverPolicy(
            redis, approvers=[approver], group=None, allow_self=False, fetch_group=None
        )

    def fix_offered(self) -> bool:
        """Whether the thread shows a live "Apply" button."""
        return self._pending_approval() is not None

    async def approve_as_approver(self) -> str:
        """The approver clicks the live "Apply" button and confirms; returns the thread."""
        approval_id = self._pending_approval()
        if approval_id is not None:
            payload = {"approval_id": approval_id, "user": self.approver, "decision": "approved", "note": ""}
            await self._run(DECISION, payload | {"channel": self.channel, "thread_ts": self.thread_ts})
        return self.thread()


@dataclass(frozen=True)
class Script:
    question: str
    follow_ups: tuple[str, ...] = ()
    approve: bool = False


def script(question: str, *, then: list[str] | None = None, approve: bool = False) -> Script:
    """`--ask Q [--then F]… [--approve]`: without `--then`, an approval is followed by a look at the last minutes."""
    follow_ups = tuple(then or ())
    if approve and not follow_ups:
        follow_ups = (FOLLOW_UP,)
    return Script(question, follow_ups, approve)


class Listener(Protocol):
    def asking(self, question: str, *, first: bool) -> None: ...
    def approving(self, approver: str) -> None: ...
    def stepped(self) -> Awaitable[None]: ...


async def _approve_offered(session: DemoSession, listener: Listener) -> None:
    for _ in range(MAX_APPROVALS_PER_ANSWER):
        if not session.fix_offered():
            return
        listener.approving(session.approver)
        await session.approve_as_approver()
        await listener.stepped()


async def play(session: DemoSession, plan: Script, listener: Listener) -> None:
    """Ask, approve what is offered (with `plan.approve`), then each follow-up in turn."""
    for index, question in enumerate((plan.question, *plan.follow_ups)):
        listener.asking(question, first=index == 0)
        await session.ask(question)
        await listener.stepped()
        if plan.approve:
            await _approve_offered(session, listener)
