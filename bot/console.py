"""The console surface: the same threads, blocks and approval flow as Slack, printed as text.

`netops demo` uses it when no Slack tokens are set. Its API:

    session = ConsoleSession(settings, redis, collaborator)   # redis: real or fakeredis
    text = await session.ask("why is the payments service slow?")  # the thread as text
    text = await session.ask("and what about the db side?")        # same thread, same A2A context
    text = await session.approve()      # clicks "Apply TCP fixes" (confirm dialog accepted)
    text = await session.dismiss("not during the freeze")           # or dismisses instead
    modal = await session.view_trace()  # clicks the newest "View trace": the step tree as text
    print(session.thread())

`ConsoleSession(..., on_change=callback)` calls `callback(message)` on every post and edit
(a `ConsoleMessage` with `blocks`; `render_blocks(message.blocks)` is its text), so a demo
can show "Working…" progress live while `ask` runs.

The first `ask` starts a thread as `/netops` does; later ones are replies in it, so they
continue the conversation. Jobs run inline (no stream, no worker). The console user is
both the one who asks and the approver (a demo has one person), so self-approval is on;
everything else (atomic claim, expiry, audit, signed token) is the Slack path's code.
`render_blocks` is the pure text renderer, usable on any Block Kit list.
"""

from __future__ import annotations

import re
import secrets
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import redis.asyncio as aioredis

from agents.i18n import detect_language, tr
from agents.settings import Settings
from bot.approvals import ApproverPolicy
from bot.blocks.ids import ACTION_APPLY, ACTION_VIEW_TRACE
from bot.blocks.mrkdwn import unescape
from bot.collaborator import CollaboratorClient
from bot.jobs import Job
from bot.listeners.actions.trace import on_view_trace
from bot.runner import DECISION, QUESTION, JobRunner
from bot.services import Services

EMOJI = {
    ":red_circle:": "🔴",
    ":large_orange_circle:": "🟠",
    ":large_green_circle:": "🟢",
    ":large_blue_circle:": "🔵",
    ":hourglass_flowing_sand:": "⏳",
    ":white_check_mark:": "✅",
    ":x:": "❌",
    ":no_entry_sign:": "🚫",
    ":warning:": "⚠️",
    ":information_source:": "ℹ️",
}
_USER = re.compile(r"<@([A-Z0-9_]+)(?:\|[^>]*)?>")
_LINK = re.compile(r"<(https?://[^|>\s]+)\|([^>]+)>")  # mrkdwn's <url|label>: "label (url)" on a terminal


def render_text(text: str) -> str:
    """Slack mrkdwn made readable in a terminal: emoji codes, user mentions, bold markers."""
    text = _LINK.sub(lambda match: f"{match.group(2)} ({match.group(1)})", text)
    for code, symbol in EMOJI.items():
        text = text.replace(code, symbol)
    text = _USER.sub(lambda match: f"@{match.group(1)}", text)
    text = re.sub(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])", r"\1", text)
    return unescape(re.sub(r"(?<![\w_])_([^_\n]+)_(?![\w_])", r"\1", text))


def _element_text(element: dict[str, Any]) -> str:
    return render_text(str((element.get("text") or {}).get("text", "")))


def render_button(element: dict[str, Any]) -> list[str]:
    label = f"[ {_element_text(element)} ]"
    lines = [label + ("  (primary)" if element.get("style") == "primary" else "")]
    confirm = element.get("confirm")
    if confirm:
        lines.append(
            f"    confirm: {confirm['title']['text']}: {confirm['text']['text']} "
            f"[{confirm['confirm']['text']}] / [{confirm['deny']['text']}]"
        )
    return lines


def render_blocks(blocks: list[dict[str, Any]]) -> str:
    """Block Kit as plain text: the headline, findings, trace summary, buttons and confirm dialogs."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "section":
            lines.append(render_text(block["text"]["text"]))
        elif kind == "header":
            lines.append(render_text(block["text"]["text"]).upper())
        elif kind == "context":
            lines.append("  " + " ".join(render_text(item.get("text", "")) for item in block.get("elements", [])))
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "actions":
            for element in block.get("elements", []):
                lines += render_button(element)
        elif kind == "input":
            lines.append(f"{block['label']['text']}: ____")
    return "\n".join(lines)


@dataclass
class ConsoleMessage:
    channel: str
    ts: str
    thread_ts: str | None
    blocks: list[dict[str, Any]]
    text: str
    edits: int = 0


def _session_clock() -> int:
    return int(time.time())


def _session_suffix() -> str:
    return f"{secrets.randbelow(10**6):06d}"


@dataclass
class ConsoleSurface:
    """Keeps every message in memory, in posting order; `ts` values count up like Slack's.

    Each surface starts its clock now with a random fraction of its own, so its threads have
    keys no other console session has (past or present, on the same Redis): a session never
    continues another's conversation.
    """

    messages: list[ConsoleMessage] = field(default_factory=list)
    ephemerals: list[tuple[str, str]] = field(default_factory=list)  # (user, text)
    modals: list[dict[str, Any]] = field(default_factory=list)
    on_change: Callable[[ConsoleMessage], None] | None = None
    _clock: int = field(default_factory=_session_clock)
    _suffix: str = field(default_factory=_session_suffix)

    def _changed(self, message: ConsoleMessage) -> None:
        if self.on_change is not None:
            self.on_change(message)

    async def post(self, channel: str, blocks: list[dict[str, Any]], text: str, thread_ts: str | None = None) -> str:
        self._clock += 1
        ts = f"{self._clock}.{self._suffix}"
        message = ConsoleMessage(channel, ts, thread_ts, blocks, text)
        self.messages.append(message)
        self._changed(message)
        return ts

    async def update(self, channel: str, ts: str, blocks: list[dict[str, Any]], text: str) -> None:
        for message in self.messages:
            if message.channel == channel and message.ts == ts:
                message.blocks, message.text = blocks, text
                message.edits += 1
                self._changed(message)
                return

    async def post_ephemeral(self, channel: str, user: str, text: str, thread_ts: str | None = None) -> None:
        self.ephemerals.append((user, text))

    async def open_modal(self, trigger_id: str, view: dict[str, Any]) -> None:
        self.modals.append(view)

    async def respond(self, response_url: str, text: str) -> None:
        self.ephemerals.append(("", text))

    def thread(self, channel: str, thread_ts: str) -> list[ConsoleMessage]:
        return [m for m in self.messages if m.channel == channel and thread_ts in (m.ts, m.thread_ts)]


class ConsoleSession:
    """One operator, one thread, on the console surface (see the module docstring)."""

    def __init__(
        self,
        settings: Settings,
        redis: aioredis.Redis,
        collaborator: CollaboratorClient,
        *,
        user: str = "OPERATOR",
        channel: str = "CONSOLE",
        on_change: Callable[[ConsoleMessage], None] | None = None,
    ) -> None:
        self.user, self.channel = user, channel
        self.surface = ConsoleSurface(on_change=on_change)
        policy = ApproverPolicy(redis, approvers=[user], group=None, allow_self=True, fetch_group=None)
        self.services = Services.build(settings, redis, self.surface, collaborator, policy)
        self._follow_ups: list[Job] = []
        self._runner = JobRunner(self.services, progress_interval_s=0.0, schedule=self._run_later)
        self.thread_ts: str | None = None
        self.language = "en"  # the last question's, for the console's own notes
        self.nothing_waiting: str | None = None  # set when approve/dismiss found no fix waiting

    async def _run_later(self, kind: str, payload: dict[str, Any], dedupe_key: str) -> None:
        self._follow_ups.append(Job(f"console-{uuid.uuid4().hex}", kind, payload))

    async def _run(self, kind: str, payload: dict[str, Any]) -> None:
        await self._runner(Job(f"console-{uuid.uuid4().hex}", kind, payload))
        while self._follow_ups:
            await self._runner(self._follow_ups.pop(0))

    async def ask(self, question: str) -> str:
        """Asks in the session's thread (the first question opens it); returns the thread as text."""
        self.language = detect_language(question)
        payload: dict[str, Any] = {"channel": self.channel, "user": self.user, "question": question}
        if self.thread_ts is not None:
            payload |= {"thread_ts": self.thread_ts, "owned": True}
        before = len(self.surface.messages)
        await self._run(QUESTION, payload)
        if self.thread_ts is None and len(self.surface.messages) > before:
            self.thread_ts = self.surface.messages[before].ts
        return self.thread()

    def _pending_approval(self) -> str | None:
        for message in reversed(self.surface.thread(self.channel, self.thread_ts or "")):
            for block in message.blocks:
                for element in block.get("elements", []) if block.get("type") == "actions" else []:
                    if element.get("action_id") == ACTION_APPLY:
                        return str(element["value"])
        return None

    async def _decide(self, decision: str, note: str = "") -> str:
        approval_id = self._pending_approval()
        self.nothing_waiting = None
        if approval_id is None:
            self.nothing_waiting = tr(self.language, "(no fix is waiting for approval in this thread)")
            return self.thread() + "\n\n" + self.nothing_waiting
        payload = {"approval_id": approval_id, "user": self.user, "decision": decision, "note": note}
        await self._run(DECISION, payload | {"channel": self.channel, "thread_ts": self.thread_ts})
        return self.thread()

    async def approve(self) -> str:
        """Clicks "Apply TCP fixes" and accepts the confirm dialog; returns the thread with the fix result."""
        return await self._decide("approved")

    async def dismiss(self, reason: str = "") -> str:
        return await self._decide("dismissed", reason)

    async def view_trace(self) -> str | None:
        """Clicks the newest "View trace" in the thread (the Slack listener's code); the modal as text."""
        result_ids = [
            str(element.get("value", ""))
            for message in self.surface.thread(self.channel, self.thread_ts or "")
            for block in message.blocks
            if block.get("type") == "actions"
            for element in block.get("elements", [])
            if element.get("action_id") == ACTION_VIEW_TRACE
        ]
        if not result_ids:
            return None
        opened = len(self.surface.modals)
        body = {"trigger_id": "console", "user": {"id": self.user}, "channel": {"id": self.channel}}
        await on_view_trace(body, {"value": result_ids[-1]}, self.services)
        return render_blocks(self.surface.modals[-1]["blocks"]) if len(self.surface.modals) > opened else None

    def thread(self) -> str:
        """The whole thread as the operator sees it now, plus any notes only they were shown."""
        parts = [render_blocks(m.blocks) for m in self.surface.thread(self.channel, self.thread_ts or "")]
        parts += [f"(only you can see this) {render_text(text)}" for _, text in self.surface.ephemerals]
        return "\n\n".join(parts)
