"""The jobs themselves: answer a question, decide on an approval, apply an approved fix.

Each job may run twice (a consumer died and another reclaimed it), so every step that
posts something remembers what it posted in `netops:jobstate:<entry id>` and a rerun edits
that message instead of posting another; results replace the "Working…" message, which is
naturally idempotent. Every failure ends as a message in the thread, never as silence.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from agents.approval_token import ApprovalClaims, sign
from agents.i18n import detect_language, tr
from bot.answer import REMEDIATION_KIND, Answer, parse_answer
from bot.approvals import Approval, Outcome
from bot.blocks.approval import ApprovalState
from bot.blocks.ask import applying_blocks, asked_text, error_blocks, question_root, working_blocks, working_text
from bot.blocks.mrkdwn import escape
from bot.blocks.result import result_blocks, result_fallback
from bot.blocks.trace import trace_blocks
from bot.collaborator import CollaboratorError, Final, Progress
from bot.incidents import IncidentJobs
from bot.jobs import Job
from bot.progress import Throttle
from bot.redis_text import as_text
from bot.results import StoredResult, new_result_id
from bot.services import Services
from bot.sns.endpoint import ALARM
from bot.streaming import ProgressMessage, Streams, WorkingMessage
from bot.surface import SurfaceError
from bot.trace_view import TraceView
from bot.tracing import host_trace, trace_view

log = logging.getLogger(__name__)

JOB_STATE_TTL_S = 24 * 3600
TOKEN_TTL_S = 600  # the signed token only has to outlive the remediation call

NO_SECRET = "The bot has no NETOPS_APPROVAL_SECRET, so it cannot sign approvals: ask whoever runs NetOps to set it."

QUESTION = "question"
DECISION = "decision"
REMEDIATION = "remediation"


@dataclass(frozen=True)
class Failure:
    """An exchange that ended without an answer: what failed, and what to try."""

    what: str
    todo: str


# (kind, payload, dedupe key) -> queued; the console runs follow-up jobs inline instead.
Schedule = Callable[[str, dict[str, Any], str], Awaitable[Any]]


class JobRunner:
    def __init__(
        self,
        services: Services,
        progress_interval_s: float = 1.0,
        schedule: Schedule | None = None,
        streams: Streams | None = None,
    ) -> None:
        """`streams`: where questions may stream their answers (Slack); None edits Working… (console)."""
        self._s = services
        self._streams = streams
        self._progress_interval_s = progress_interval_s
        self._schedule = schedule or services.jobs.enqueue
        self._kinds: dict[str, Callable[[Job], Awaitable[None]]] = {
            QUESTION: self.question,
            DECISION: self.decision,
            REMEDIATION: self.remediation,
            ALARM: IncidentJobs(services.settings, services.redis, services.surface, self._remember, self._schedule),
        }

    async def __call__(self, job: Job) -> None:
        handler = self._kinds.get(job.kind)
        if handler is None:
            log.warning("job %s has unknown kind %r; dropped", job.entry_id, job.kind)
            return
        await handler(job)

    # --- job state: what a (re)run already posted ---

    async def _remember(self, job: Job, name: str, post: Callable[[], Awaitable[str]]) -> str:
        key = f"netops:jobstate:{job.entry_id}"
        existing = await self._s.redis.hget(key, name)
        if existing is not None:
            return as_text(existing)
        ts = await post()
        await self._s.redis.hset(key, name, ts)
        await self._s.redis.expire(key, JOB_STATE_TTL_S)
        return ts

    # --- asking ---

    async def _ask(
        self, message: ProgressMessage, stream: AsyncIterator[Progress | Final], language: str = "en"
    ) -> Final | Failure:
        """Drives one A2A exchange, showing progress on `message` (streamed or edited); never raises for A2A."""
        timeout = self._s.settings.request_timeout_s
        try:
            # aclosing: returning at the Final closes the A2A call at once, so its trace step has ended
            # (with its latency) before the HOST step ends and the trace is read.
            async with asyncio.timeout(timeout), contextlib.aclosing(stream):
                async for event in stream:
                    if isinstance(event, Progress):
                        await message.progress(event.text)
                    elif isinstance(event, Final):
                        return event
        except TimeoutError:
            return Failure(
                tr(language, "The agents did not answer within {seconds} s.", seconds=f"{timeout:.0f}"),
                tr(language, "Try a narrower question, or raise NETOPS_REQUEST_TIMEOUT_S if analyses are slow here."),
            )
        except CollaboratorError as exc:
            return Failure(exc.what, exc.todo)
        return Failure(tr(language, "The agents ended without an answer."), tr(language, "Ask again."))

    async def _traced_ask(
        self,
        message: ProgressMessage,
        name: str,
        make_stream: Callable[[], AsyncIterator[Progress | Final]],
        language: str = "en",
        *,
        asked: str = "",
        kind: str = "question",
    ) -> tuple[Final | Failure, TraceView | None]:
        """`_ask` inside the bot's HOST step; returns the outcome and the whole trace (bot, collaborator, agents).

        The trace store (the dashboard) hears of the trace when it starts and gets it whole when it ends.
        """
        with host_trace(name, self._s.trace_config, channel=message.channel) as tracer:
            started = await self._s.traces.begin(tracer.trace_id, asked or name, kind)
            outcome = await self._ask(message, self._s.traces.follow(make_stream(), tracer), language)
        whole = tracer.trace()
        failed = isinstance(outcome, Failure) or outcome.failed
        await self._s.traces.finish(started, whole, failed=failed)
        return outcome, trace_view(whole)

    async def _fail(self, message: ProgressMessage, what: str, todo: str) -> None:
        await _quietly(message.finish(error_blocks(what, todo), escape(what), failed=True))

    async def _show_failure(
        self, failure: Failure, trace: TraceView | None, channel: str, thread_ts: str, message: ProgressMessage
    ) -> None:
        """The failure in the thread, with the trace summary that names the failing step."""
        result_id = new_result_id()
        await self._s.results.save(StoredResult(result_id, None, failure.what, trace, channel, thread_ts))
        blocks = error_blocks(failure.what, failure.todo) + trace_blocks(trace, result_id)
        await _quietly(message.finish(blocks, escape(failure.what), failed=True))

    async def question(self, job: Job) -> None:
        p = job.payload
        channel, user, question = p["channel"], p["user"], p["question"]
        language = detect_language(question)
        surface = self._s.surface
        thread_ts = p.get("thread_ts")
        if not thread_ts:  # a slash command: the question becomes the thread root
            try:
                thread_ts = await self._remember(
                    job,
                    "root_ts",
                    lambda: surface.post(
                        channel, question_root(user, question, language), asked_text(user, question, language)
                    ),
                )
            except SurfaceError as exc:
                await self._cannot_post(p.get("response_url"), exc)
                return
        await self._s.conversations.start(channel, thread_ts, owned=bool(p.get("owned")) or not p.get("thread_ts"))
        message = await self._progress_message(job, channel, thread_ts, user, question)
        try:
            conversation = await self._s.conversations.get(channel, thread_ts)
            outcome, trace = await self._traced_ask(
                message,
                "netops bot: question",
                lambda: self._s.collaborator.ask(
                    question,
                    context_id=conversation.context_id if conversation else None,
                    metadata={"netops": {"channel": channel, "thread_ts": thread_ts, "user": user} | _scope(p)},
                ),
                language,
                asked=question,
            )
            self._s.metrics.bot.questions.labels("failed" if isinstance(outcome, Failure) else "answered").inc()
            if isinstance(outcome, Failure):
                await self._show_failure(outcome, trace, channel, thread_ts, message)
                return
            if outcome.context_id:
                await self._s.conversations.set_context(channel, thread_ts, outcome.context_id)
            await self._show_result(
                outcome,
                trace,
                channel=channel,
                thread_ts=thread_ts,
                user=user,
                message=message,
                question=question,
                language=language,
            )
        except Exception as exc:  # never leave "Working…" behind
            log.exception("question job %s failed", job.entry_id)
            await self._fail(
                message,
                tr(language, "NetOps failed while answering ({error}).", error=type(exc).__name__),
                tr(language, "Ask again; if it repeats, the bot's log has the details."),
            )

    async def _progress_message(
        self, job: Job, channel: str, thread_ts: str, user: str, question: str
    ) -> ProgressMessage:
        """A stream with task cards where the workspace allows it, else the Working… message. Only a
        first run streams: a rerun after a crash edits a Working… message, which it can find again."""
        surface, state = self._s.surface, f"netops:jobstate:{job.entry_id}"
        first_run = not any(await self._s.redis.hmget(state, ["working_ts", "stream_ts"]))
        if self._streams is not None and first_run:
            stream = await self._streams.open(surface, channel, thread_ts, user, detect_language(question))
            if stream is not None:
                await self._s.redis.hset(state, "stream_ts", stream.ts)
                await self._s.redis.expire(state, JOB_STATE_TTL_S)
                return stream
        language = detect_language(question)
        post = lambda: surface.post(channel, working_blocks(None, language), working_text(language), thread_ts)  # noqa: E731
        ts = await self._remember(job, "working_ts", post)
        return WorkingMessage(surface, channel, ts, Throttle(self._progress_interval_s), lang=language)

    async def _cannot_post(self, response_url: str | None, exc: SurfaceError) -> None:
        """The channel refused the thread root: tell the asker privately, the only way left."""
        log.warning("cannot post the question's thread: %s", exc)
        if not response_url:
            return
        if exc.code in ("not_in_channel", "channel_not_found"):
            text = (
                "NetOps is not in this channel, so it cannot answer here: invite it with `/invite @netops`, then ask."
            )
        else:
            said = escape(exc.code or "no")
            text = f"NetOps could not post in this channel (Slack said {said}): try another channel."
        await _quietly(self._s.surface.respond(response_url, text))

    async def _show_result(
        self,
        final: Final,
        trace: TraceView | None,
        *,
        channel: str,
        thread_ts: str,
        user: str,
        message: ProgressMessage,
        question: str = "",
        language: str = "en",
    ) -> None:
        answer = parse_answer(final.data, final.text, asked_in=language)
        result_id = new_result_id()
        approval = None
        if answer.recommendation is not None and self._s.settings.approval_secret is not None:
            approval = await self._s.approvals.create(
                answer.recommendation,
                requester=user,
                channel=channel,
                thread_ts=thread_ts,
                result_id=result_id,
                ttl_s=self._s.settings.approval_ttl_s,
            )
            if approval is not None:
                approval = await self._s.approvals.set_message(approval, message.ts)
        await self._s.results.save(
            StoredResult(
                result_id,
                final.data,
                final.text,
                trace,
                channel,
                thread_ts,
                approval.approval_id if approval else None,
                answer.language,
                question,
            )
        )
        unavailable = None
        if answer.recommendation is not None and self._s.settings.approval_secret is None:
            note = tr(answer.language, "NETOPS_APPROVAL_SECRET is not set, so no fix can be approved")
            unavailable = ApprovalState("unavailable", note=note)
        elif answer.recommendation is not None and approval is None:
            note = tr(
                answer.language,
                "it names no valid instance or stack ({instance})",
                instance=repr(answer.recommendation.instance_id),
            )
            unavailable = ApprovalState("unavailable", note=note)
        approval_id = approval.approval_id if approval else None
        blocks = result_blocks(answer, trace, result_id, approval_id, unavailable, final.read_together)
        shown_ts = await message.finish(blocks, result_fallback(answer))
        if approval is not None and shown_ts != message.ts:  # the stream failed at the end: its own message
            await self._s.approvals.set_message(approval, shown_ts)

    # --- approving ---

    async def decision(self, job: Job) -> None:
        try:
            await self._decide(job)
        except Exception as exc:  # the clicker must hear back, whatever failed
            log.exception("decision job %s failed", job.entry_id)
            p = job.payload
            if p.get("channel"):
                text = f"NetOps could not record your decision ({type(exc).__name__}): try again in a minute."
                await _quietly(self._s.surface.post_ephemeral(p["channel"], p["user"], text, p.get("thread_ts")))

    async def _decide(self, job: Job) -> None:
        p = job.payload
        approval_id, user, decision = p["approval_id"], p["user"], p["decision"]
        if decision == "approved" and self._s.settings.approval_secret is None:
            outcome = Outcome(NO_SECRET, await self._s.approvals.get(approval_id))
        else:
            outcome = await self._s.approvals.decide(
                approval_id, user, decision, self._s.policy, note=p.get("note", "")
            )
        approval = outcome.approval
        channel = p.get("channel") or (approval.channel if approval else "")
        thread_ts = p.get("thread_ts") or (approval.thread_ts if approval else None)
        self._s.metrics.bot.approvals.labels("refused" if outcome.refusal else decision).inc()
        if outcome.refusal:
            await self._s.audit.record(
                "refused",
                approval_id=approval_id,
                user=user,
                decision=decision,
                reason=outcome.refusal,
                instance_id=approval.instance_id if approval else None,
            )
            if channel:
                await _quietly(self._s.surface.post_ephemeral(channel, user, outcome.refusal, thread_ts))
            return
        assert approval is not None and outcome.claim is not None
        await self._s.audit.record(
            decision,
            approval_id=approval_id,
            user=user,
            requester=approval.requester,
            instance_id=approval.instance_id,
            changes=list(approval.changes),
            note=outcome.claim.note,
        )
        await self._rerender(approval, ApprovalState(decision, user, outcome.claim.note))
        if decision == "dismissed":
            await self._supersede(approval, "a plan for the same hosts was dismissed")
        if decision == "approved":
            await self._schedule(REMEDIATION, {"approval_id": approval_id}, f"remediate:{approval_id}")

    async def _supersede(self, approval: Approval, why: str) -> None:
        """One live approval per host: the other open buttons on these hosts say they are out of date."""
        for other in await self._s.approvals.supersede(approval, why):
            await self._rerender(other, ApprovalState("stale", None, why))

    async def _rerender(self, approval: Approval, state: ApprovalState) -> None:
        """Replaces the buttons on the result message with who decided what."""
        stored = await self._s.results.get(approval.result_id)
        if stored is None or approval.message_ts is None:
            return
        answer = parse_answer(stored.data, stored.text, asked_in=stored.language)
        blocks = result_blocks(answer, stored.trace, stored.result_id, approval.approval_id, state)
        await _quietly(self._s.surface.update(approval.channel, approval.message_ts, blocks, result_fallback(answer)))

    async def remediation(self, job: Job) -> None:
        approval_id = job.payload["approval_id"]
        approval = await self._s.approvals.get(approval_id)
        claim = await self._s.approvals.claim_of(approval_id)
        if approval is None or claim is None or claim.status != "approved":
            log.warning("remediation job for %s has no approved claim; dropped", approval_id)
            return
        surface = self._s.surface
        working_ts = await self._remember(
            job,
            "working_ts",
            lambda: surface.post(
                approval.channel,
                applying_blocks(approval.instance_id, claim.by),
                "Applying TCP fixes…",
                approval.thread_ts,
            ),
        )
        message = WorkingMessage(surface, approval.channel, working_ts, Throttle(self._progress_interval_s))
        secret = self._s.settings.approval_secret
        if secret is None:
            await self._fail(
                message,
                "The bot has no approval secret, so it cannot sign the approval.",
                "Set NETOPS_APPROVAL_SECRET (the same value as the performance agent's) and approve again.",
            )
            await self._finish(approval, "failed", claim.by, None, "no approval secret")
            return
        token = sign(
            ApprovalClaims(
                approval_id,
                approval.action,
                approval.instance_id,
                claim.by,
                int(time.time()) + TOKEN_TTL_S,
                plan_id=approval.plan_id,
            ),
            secret.get_secret_value(),
        )
        data = {
            "kind": "netops.remediate/v1",
            "approval_token": token,
            "instance_id": approval.instance_id,
            "stack_name": approval.stack_name,
            "plan_id": approval.plan_id,
        }
        conversation = await self._s.conversations.get(approval.channel, approval.thread_ts)
        recommended = await self._s.results.get(approval.result_id)
        language = recommended.language if recommended else None  # the fix result reads as its recommendation did
        final: Final | None = None
        error: str | None = None
        try:
            outcome, trace = await self._traced_ask(
                message,
                "netops bot: apply TCP fixes",
                lambda: self._s.collaborator.ask(
                    f"apply TCP fixes to {approval.instance_id}",
                    context_id=conversation.context_id if conversation else None,
                    metadata={
                        "netops": {"channel": approval.channel, "thread_ts": approval.thread_ts, "user": claim.by}
                    },
                    data=data,
                ),
                asked=f"apply TCP fixes to {approval.instance_id}",
                kind="fix",
            )
            if isinstance(outcome, Failure):
                error = outcome.what
                await self._show_failure(outcome, trace, approval.channel, approval.thread_ts, message)
            else:
                final = outcome
                if _succeeded(final):  # before the result offers its own Undo, which must stay live
                    what = "undone" if approval.action == "undo" else "applied"
                    await self._supersede(approval, f"a plan for the same hosts was {what} since")
                await self._show_result(  # the result may offer an undo: its buttons work like Apply's
                    final,
                    trace,
                    channel=approval.channel,
                    thread_ts=approval.thread_ts,
                    user=approval.requester,
                    message=message,
                    language=language or "en",  # the fix result reads as its recommendation did
                )
        except Exception as exc:
            log.exception("remediation job %s failed", job.entry_id)
            error = f"the bot failed ({type(exc).__name__})"
            await self._fail(
                message,
                f"NetOps failed while applying the fix ({type(exc).__name__}).",
                "Check the instance before trying again; the bot's log has the details.",
            )
        answer = parse_answer(final.data, final.text) if final is not None else None
        await self._finish(approval, "applied" if _succeeded(final) else "failed", claim.by, answer, error)

    async def _finish(
        self, approval: Approval, status: str, by: str, answer: Answer | None, error: str | None = None
    ) -> None:
        await self._s.approvals.finish(approval, status)
        result = answer.remediation if answer else None
        self._s.metrics.bot.fixes.labels(_fix_outcome(status, result)).inc()
        await self._s.audit.record(
            "fix_result",
            approval_id=approval.approval_id,
            approver=by,
            instance_id=approval.instance_id,
            status=status,
            ssm_status=result.status if result else None,
            verified=result.verified if result else False,
            before=result.before if result else None,
            after=result.after if result else None,
            error=(result.error if result else None) or error,
        )
        await self._rerender(approval, ApprovalState(status, by))


def _scope(payload: dict[str, Any]) -> dict[str, Any]:
    """What a question is about beyond its words (CONTRACTS section 18): an alarm's scope, the channel
    an assistant-panel user is viewing."""
    return {key: payload[key] for key in ("scope", "viewing_channel") if payload.get(key)}


def _succeeded(final: Final | None) -> bool:
    answer = parse_answer(final.data, final.text) if final is not None else None
    if final is None or final.failed or answer is None or answer.remediation is None:
        return False
    if answer.kind != REMEDIATION_KIND:
        return False
    return answer.remediation.verified and answer.remediation.error is None


def _fix_outcome(status: str, result: Any) -> str:
    """`netops_fixes_total`'s outcome: verified by read-back, ran but unverified, failed, or refused."""
    if result is not None and result.status == "Refused":
        return "refused"
    if status == "applied":
        return "verified"
    return "unverified" if result is not None and result.status == "Success" else "failed"


async def _quietly(call: Awaitable[Any]) -> None:
    """Delivery of a secondary message failed: log it, keep the job going."""
    try:
        await call
    except SurfaceError as exc:
        log.warning("%s", exc)
