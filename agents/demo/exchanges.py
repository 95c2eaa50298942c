"""Each exchange the bot had with the collaborator, as the bot received it.

The `--json` demo and the eval suite read answers from here: the data part, the ask-back flag
and the trace are what the bot's job code got, before any rendering, so nothing is parsed
back out of the thread's text. The recorder only watches; every event still reaches the bot.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

from agents.traceability import Tracer, current_tracer
from bot.collaborator import CollaboratorClient, CollaboratorError, Final, Progress
from bot.trace_view import TraceView
from bot.tracing import trace_view

STOPPED_WAITING = "The bot stopped waiting for the agents (its deadline passed)."


@dataclass
class Exchange:
    """One question (or fix request) and how it ended: a `Final`, or the sentence saying why not."""

    question: str
    fix_request: bool
    final: Final | None = None
    error: str | None = None
    tracer: Tracer | None = None  # the bot's HOST trace around the exchange

    def trace(self) -> TraceView | None:
        """The whole trace (bot, collaborator, agents); complete once the bot's job has ended."""
        return trace_view(self.tracer.trace()) if self.tracer is not None else None


class RecordingCollaborator:
    """A `CollaboratorClient` that notes every exchange, in the order the bot made them."""

    def __init__(self, inner: CollaboratorClient) -> None:
        self.inner = inner
        self.exchanges: list[Exchange] = []

    async def ready(self) -> bool:
        return await self.inner.ready()

    async def aclose(self) -> None:
        await self.inner.aclose()

    async def ask(
        self,
        text: str,
        *,
        context_id: str | None,
        metadata: dict[str, Any],
        data: dict[str, Any] | None = None,
        language: str = "en",
    ) -> AsyncIterator[Progress | Final]:
        exchange = Exchange(text, fix_request=data is not None, tracer=current_tracer())
        self.exchanges.append(exchange)
        try:
            stream = self.inner.ask(text, context_id=context_id, metadata=metadata, data=data, language=language)
            async for event in stream:
                if isinstance(event, Final):
                    exchange.final = event
                yield event
        except CollaboratorError as exc:
            exchange.error = exc.what
            raise
        finally:
            if exchange.final is None and exchange.error is None:
                exchange.error = STOPPED_WAITING
