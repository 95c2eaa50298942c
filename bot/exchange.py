"""One exchange with the collaborator as a job runs it: progress shown, bounded in time, traced.

A question and a fix both ask the collaborator over A2A and must end with something to show in
the thread, so the exchange never raises for A2A: a timeout, a collaborator error or a stream
that ends without an answer all come back as a `Failure` that says what to try.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

from agents.i18n import tr
from bot.collaborator import CollaboratorError, Final, Progress
from bot.services import Services
from bot.streaming import ProgressMessage
from bot.trace_view import TraceView
from bot.tracing import host_trace, trace_view


@dataclass(frozen=True)
class Failure:
    """An exchange that ended without an answer: what failed, and what to try."""

    what: str
    todo: str


async def ask(
    message: ProgressMessage, stream: AsyncIterator[Progress | Final], timeout_s: float, language: str = "en"
) -> Final | Failure:
    """Drives one A2A exchange, showing progress on `message` (streamed or edited); never raises for A2A."""
    try:
        # aclosing: returning at the Final closes the A2A call at once, so its trace step has ended
        # (with its latency) before the HOST step ends and the trace is read.
        async with asyncio.timeout(timeout_s), contextlib.aclosing(stream):
            async for event in stream:
                if isinstance(event, Progress):
                    await message.progress(event.text)
                elif isinstance(event, Final):
                    return event
    except TimeoutError:
        return Failure(
            tr(language, "The agents did not answer within {seconds} s.", seconds=f"{timeout_s:.0f}"),
            tr(language, "Try a narrower question, or raise NETOPS_REQUEST_TIMEOUT_S if analyses are slow here."),
        )
    except CollaboratorError as exc:
        return Failure(exc.what, exc.todo)
    return Failure(tr(language, "The agents ended without an answer."), tr(language, "Ask again."))


async def traced_ask(
    services: Services,
    message: ProgressMessage,
    name: str,
    make_stream: Callable[[], AsyncIterator[Progress | Final]],
    language: str = "en",
    *,
    asked: str = "",
    kind: str = "question",
) -> tuple[Final | Failure, TraceView | None]:
    """`ask` inside the bot's HOST step; returns the outcome and the whole trace (bot, collaborator, agents).

    The trace store (the dashboard) hears of the trace when it starts and gets it whole when it ends.
    """
    with host_trace(name, services.trace_config, channel=message.channel) as tracer:
        started = await services.traces.begin(tracer.trace_id, asked or name, kind)
        stream = services.traces.follow(make_stream(), tracer)
        outcome = await ask(message, stream, services.settings.request_timeout_s, language)
    whole = tracer.trace()
    failed = isinstance(outcome, Failure) or outcome.failed
    await services.traces.finish(started, whole, failed=failed)
    return outcome, trace_view(whole)


async def ask_in_thread(
    services: Services,
    message: ProgressMessage,
    name: str,
    asked: str,
    *,
    channel: str,
    thread_ts: str,
    user: str,
    context_id: str | None,
    language: str = "en",
    kind: str = "question",
    metadata: dict[str, Any] | None = None,
    data: dict[str, Any] | None = None,
) -> tuple[Final | Failure, TraceView | None]:
    """`traced_ask` of the collaborator on behalf of `user` in that thread, carrying on its A2A context.

    The agents hear which thread asked (plus `metadata`, e.g. an alarm's scope) so that their answer and
    any fix they offer belong to it.
    """
    netops = {"channel": channel, "thread_ts": thread_ts, "user": user} | (metadata or {})
    return await traced_ask(
        services,
        message,
        name,
        lambda: services.collaborator.ask(
            asked, context_id=context_id, metadata={"netops": netops}, data=data, language=language
        ),
        language,
        asked=asked,
        kind=kind,
    )
