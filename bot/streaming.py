"""Where an answer's progress shows: a streamed message with task cards, or the edited "Working…".

Slack's streaming methods (`chat.startStream` / `appendStream` / `stopStream`) show each step
as a task card while it runs; `StreamedMessage` turns the agents' A2A status texts into those
cards (routing, each AWS source, the capture batches, the diagnosis, a fix's steps) and closes
the stream with the answer's blocks. Where the workspace refuses streaming (an older workspace,
a missing scope, any API error) the answer goes to today's `WorkingMessage` instead, with
nothing lost: a stream that fails mid-way is closed quietly and the rest, answer included, goes
to a fresh "Working…" message.

In a channel a stream needs the recipient (team and user), so an alarm's diagnosis, which has
no asker, always takes the "Working…" path.
"""

from __future__ import annotations

import contextlib
import logging
import re
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from agents.i18n import tr
from bot.blocks.ask import working_blocks, working_text
from bot.progress import Throttle
from bot.surface import Blocks, Surface, SurfaceError

log = logging.getLogger(__name__)

MAX_DETAILS = 500
# (pattern on the agents' status text, task id, title): the first match names the step a text reports.
TASKS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"^Asking |Planning", re.I), "routing", "Choosing the agent and the AWS sources"),
    (re.compile(r"Network Flow Monitor", re.I), "flow_monitor", "Network Flow Monitor"),
    (re.compile(r"CloudWatch", re.I), "cloudwatch", "CloudWatch metrics"),
    (re.compile(r"capture|Traffic Mirroring|S3", re.I), "captures", "Traffic Mirroring captures"),
    (re.compile(r"approval|Applying|fix", re.I), "fix", "Applying the TCP fix"),
    (re.compile(r"host|SSM|ethtool|sysctl", re.I), "hosts", "Host settings over SSM"),
)
DIAGNOSIS = ("diagnosis", "Diagnosing the cause")


def task_of(status: str) -> tuple[str, str]:
    """(task id, title) of the step a status text reports (pure)."""
    for pattern, task_id, title in TASKS:
        if pattern.search(status):
            return task_id, title
    return DIAGNOSIS


class ProgressMessage(Protocol):
    channel: str
    ts: str

    async def progress(self, status: str) -> None: ...

    async def finish(self, blocks: Blocks, text: str, *, failed: bool = False) -> str:
        """Shows the answer; returns the ts of the message that carries it."""
        ...


@dataclass
class WorkingMessage:
    """Today's path: one "Working…" message, edited at most once per `interval_s`, replaced by the answer."""

    surface: Surface
    channel: str
    ts: str
    throttle: Throttle = field(default_factory=Throttle)
    lang: str = "en"

    async def progress(self, status: str) -> None:
        if self.throttle.ready():
            try:
                blocks = working_blocks(status, self.lang)
                await self.surface.update(self.channel, self.ts, blocks, working_text(self.lang))
            except SurfaceError as exc:
                log.warning("%s", exc)

    async def finish(self, blocks: Blocks, text: str, *, failed: bool = False) -> str:
        await self.surface.update(self.channel, self.ts, blocks, text)
        return self.ts


def task_chunk(task_id: str, title: str, status: str, details: str | None = None) -> dict[str, Any]:
    chunk: dict[str, Any] = {"type": "task_update", "id": task_id, "title": title, "status": status}
    if details:
        chunk["details"] = details[:MAX_DETAILS]
    return chunk


@dataclass
class StreamedMessage:
    """A streamed answer: one task card per step, the answer's blocks when it stops."""

    web: AsyncWebClient
    surface: Surface
    channel: str
    thread_ts: str
    ts: str
    lang: str = "en"
    current: tuple[str, str] | None = None
    done: list[str] = field(default_factory=list)
    fallback: WorkingMessage | None = None  # set once the stream failed mid-way

    async def progress(self, status: str) -> None:
        if self.fallback is not None:
            await self.fallback.progress(status)
            return
        task_id, title = task_of(status)
        chunks = []
        if self.current is not None and self.current[0] != task_id:
            chunks.append(task_chunk(*self.current, "complete"))
            self.done.append(self.current[0])
        self.current = (task_id, tr(self.lang, title))
        chunks.append(task_chunk(*self.current, "in_progress", status))
        try:
            await self.web.chat_appendStream(channel=self.channel, ts=self.ts, chunks=chunks)
        except SlackApiError as exc:
            await self._fall_back(f"chat.appendStream failed: {_code(exc)}", status)

    async def finish(self, blocks: Blocks, text: str, *, failed: bool = False) -> str:
        if self.fallback is not None:
            return await self.fallback.finish(blocks, text, failed=failed)
        chunks = [task_chunk(*self.current, "error" if failed else "complete")] if self.current else []
        try:
            await self.web.chat_stopStream(channel=self.channel, ts=self.ts, chunks=chunks, blocks=blocks)
        except SlackApiError as exc:
            log.warning(
                "chat.stopStream failed (%s): the answer goes in a message of its own", exc.response.get("error")
            )
            return await self.surface.post(self.channel, blocks, text, self.thread_ts)
        return self.ts

    async def _fall_back(self, why: str, status: str) -> None:
        log.warning("%s: the rest of the answer goes to a Working… message", why)
        with contextlib.suppress(SlackApiError):  # the stream is unusable already; Working… carries on
            await self.web.chat_stopStream(channel=self.channel, ts=self.ts)
        blocks = working_blocks(status, self.lang)
        ts = await self.surface.post(self.channel, blocks, working_text(self.lang), self.thread_ts)
        self.fallback = WorkingMessage(self.surface, self.channel, ts, lang=self.lang)


class Streams:
    """Opens streams for one bot process: `recipient_team_id` is the workspace's (auth.test, once)."""

    def __init__(self, web: AsyncWebClient, enabled: bool = True) -> None:
        self._web = web
        self.enabled = enabled
        self._team: str | None = None

    async def open(
        self, surface: Surface, channel: str, thread_ts: str, user: str, lang: str = "en"
    ) -> StreamedMessage | None:
        """A started stream in the thread, or None where streaming is refused (the caller falls back)."""
        if not self.enabled or not user.startswith(("U", "W")):
            return None
        try:
            if self._team is None:
                self._team = str((await self._web.auth_test()).get("team_id") or "")
            first = task_chunk("routing", tr(lang, "Asking the agents"), "in_progress")
            response = await self._web.chat_startStream(
                channel=channel,
                thread_ts=thread_ts,
                recipient_team_id=self._team or None,
                recipient_user_id=user,
                task_display_mode="timeline",
                chunks=[first],
            )
        except SlackApiError as exc:
            log.info(
                "streaming refused in %s (%s): editing a Working… message instead", channel, exc.response.get("error")
            )
            return None
        stream = StreamedMessage(self._web, surface, channel, thread_ts, str(response["ts"]), lang)
        stream.current = ("routing", tr(lang, "Asking the agents"))
        return stream


def _code(exc: SlackApiError) -> str:
    return str(exc.response.get("error") or "error")
