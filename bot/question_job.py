"""The `question` job: ask the collaborator in the question's thread and show the answer there.

A slash command's question becomes the root of a new thread; a mention, the assistant panel or
an alarm asks in a thread that exists. The A2A context of the thread's conversation carries on,
so a follow-up is answered knowing what came before.
"""

from __future__ import annotations

import logging
from typing import Any

from agents.i18n import detect_language, tr
from bot.blocks.ask import asked_text, question_root, working_blocks, working_text
from bot.exchange import Failure, ask_in_thread
from bot.job_state import JobState
from bot.jobs import Job
from bot.outcome_posts import OutcomePosts
from bot.progress import Throttle
from bot.services import Services
from bot.streaming import ProgressMessage, Streams, WorkingMessage
from bot.surface import SurfaceError

log = logging.getLogger("bot.runner")  # the logger name the job runner's log lines have always had


def scope(payload: dict[str, Any]) -> dict[str, Any]:
    """What a question is about beyond its words (CONTRACTS section 18): an alarm's scope, the channel
    an assistant-panel user is viewing."""
    return {key: payload[key] for key in ("scope", "viewing_channel") if payload.get(key)}


class QuestionJobs:
    def __init__(
        self,
        services: Services,
        state: JobState,
        posts: OutcomePosts,
        progress_interval_s: float,
        streams: Streams | None,
    ) -> None:
        """`streams`: where questions may stream their answers (Slack); None edits Working… (console)."""
        self._s = services
        self._state = state
        self._posts = posts
        self._progress_interval_s = progress_interval_s
        self._streams = streams

    async def __call__(self, job: Job) -> None:
        p = job.payload
        channel, user, question = p["channel"], p["user"], p["question"]
        thread_ts = p.get("thread_ts") or await self._open_thread(job)
        if thread_ts is None:
            return
        await self._s.conversations.start(channel, thread_ts, owned=bool(p.get("owned")) or not p.get("thread_ts"))
        message = await self._progress_message(job, channel, thread_ts, user, question)
        try:
            await self._answer(job, thread_ts, message)
        except Exception as exc:  # never leave "Working…" behind
            log.exception("question job %s failed", job.entry_id)
            language = detect_language(question)
            await self._posts.fail(
                message,
                tr(language, "NetOps failed while answering ({error}).", error=type(exc).__name__),
                tr(language, "Ask again; if it repeats, the bot's log has the details."),
            )

    async def _open_thread(self, job: Job) -> str | None:
        """A slash command: the question becomes the thread root. None when the channel refused it."""
        p = job.payload
        channel, user, question = p["channel"], p["user"], p["question"]
        language = detect_language(question)
        try:
            return await self._state.remember(
                job,
                "root_ts",
                lambda: self._s.surface.post(
                    channel, question_root(user, question, language), asked_text(user, question, language)
                ),
            )
        except SurfaceError as exc:
            await self._posts.cannot_post(p.get("response_url"), exc)
            return None

    async def _answer(self, job: Job, thread_ts: str, message: ProgressMessage) -> None:
        p = job.payload
        channel, user, question = p["channel"], p["user"], p["question"]
        language = detect_language(question)
        conversation = await self._s.conversations.get(channel, thread_ts)
        outcome, trace = await ask_in_thread(
            self._s,
            message,
            "netops bot: question",
            question,
            channel=channel,
            thread_ts=thread_ts,
            user=user,
            context_id=conversation.context_id if conversation else None,
            language=language,
            metadata=scope(p),
        )
        self._s.metrics.bot.questions.labels("failed" if isinstance(outcome, Failure) else "answered").inc()
        if isinstance(outcome, Failure):
            await self._posts.show_failure(outcome, trace, channel, thread_ts, message)
            return
        if outcome.context_id:
            await self._s.conversations.set_context(channel, thread_ts, outcome.context_id)
        await self._posts.show_result(
            outcome,
            trace,
            channel=channel,
            thread_ts=thread_ts,
            user=user,
            message=message,
            question=question,
            language=language,
        )

    async def _progress_message(
        self, job: Job, channel: str, thread_ts: str, user: str, question: str
    ) -> ProgressMessage:
        """A stream with task cards where the workspace allows it, else the Working… message. Only a
        first run streams: a rerun after a crash edits a Working… message, which it can find again."""
        surface, language = self._s.surface, detect_language(question)
        first_run = not await self._state.posted_any(job, ["working_ts", "stream_ts"])
        if self._streams is not None and first_run:
            stream = await self._streams.open(surface, channel, thread_ts, user, language)
            if stream is not None:
                await self._state.record(job, "stream_ts", stream.ts)
                return stream
        post = lambda: surface.post(channel, working_blocks(None, language), working_text(language), thread_ts)  # noqa: E731
        ts = await self._state.remember(job, "working_ts", post)
        return WorkingMessage(surface, channel, ts, Throttle(self._progress_interval_s), lang=language)
