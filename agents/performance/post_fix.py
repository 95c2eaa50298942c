"""A question asked after a fix looks only at the traffic after it.

A window that spans a fix on its hosts would mix the traffic before it with the traffic after it
(30 minutes right after a fix are mostly pre-fix traffic, and would re-recommend the fix that is
in place), so pre-fix traffic could condemn a host that is fixed now. The fixes come from
`agents.performance.applied`; the cut window waits, up to NETOPS_POST_FIX_WAIT_S, for the first
capture taken after the fix, since a capture rotation can take a minute.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterable
from dataclasses import replace
from datetime import UTC, datetime

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from agents.i18n import tr
from agents.performance.applied import AppliedFix, applied_between
from agents.performance.aws_clients import ClientPool
from agents.performance.question import Scope
from agents.performance.runner import Emit
from agents.performance.tools.mirroring import captures_since
from agents.settings import Settings
from agents.traceability import CallType, TraceStep

log = logging.getLogger("agents.performance.agent")  # the name this log line has always had
POST_FIX_POLL_S = 2.0  # how often to look for the first post-fix capture (a rotation is a minute)


def last_fix_on(fixes: list[AppliedFix], hosts: Iterable[str]) -> AppliedFix | None:
    """The newest of `fixes` (oldest first, as `applied_between` gives them) that changed any of `hosts`."""
    wanted = set(hosts)
    touching = [fix for fix in fixes if wanted & set(fix.hosts)]
    return touching[-1] if touching else None


class PostFixWindow:
    """Finds the fixes in a question's window and cuts the window at one of them."""

    def __init__(self, settings: Settings, pool: ClientPool, redis: aioredis.Redis) -> None:
        self.settings = settings
        self.pool = pool
        self.redis = redis

    async def fixes_in(self, scope: Scope) -> list[AppliedFix]:
        """The fixes applied within the question's window, oldest first; none when Redis cannot say."""
        try:
            return await applied_between(self.redis, scope.window.start.timestamp(), scope.window.end.timestamp())
        except RedisError:
            log.warning("applied fixes unreadable (Redis): the window is not split at a fix")
            return []

    async def cut_at(self, scope: Scope, fix: AppliedFix, emit: Emit) -> Scope:
        """The window from the fix on (waiting, up to NETOPS_POST_FIX_WAIT_S, for the first capture taken after
        it), so pre-fix traffic cannot condemn a host that is fixed now."""
        moment = datetime.fromtimestamp(fix.at, tz=UTC)
        scoped = scope.since(moment)
        bucket = self.settings.capture_bucket
        if bucket and self.settings.post_fix_wait_s > 0:
            await emit(
                tr(
                    scope.language,
                    "A fix was applied to {hosts} at {at} UTC: waiting for the first capture taken after it…",
                    hosts=", ".join(fix.hosts),
                    at=moment.strftime("%H:%M:%S"),
                )
            )
            await self._wait_for_capture(scope.region, bucket, moment)
        return replace(scoped, window=replace(scoped.window, end=datetime.now(UTC)))

    async def _wait_for_capture(self, region: str, bucket: str, since: datetime) -> bool:
        s3 = self.pool.get(region).s3
        deadline = asyncio.get_running_loop().time() + self.settings.post_fix_wait_s
        with TraceStep("s3.wait_for_post_fix_capture", CallType.TOOL, parameters={"since": since.isoformat()}) as step:
            while True:
                found = await asyncio.to_thread(captures_since, s3, bucket, self.settings.capture_prefix, since)
                if found or asyncio.get_running_loop().time() >= deadline:
                    step.set_attribute("captures", found)
                    return bool(found)
                await asyncio.sleep(POST_FIX_POLL_S)
