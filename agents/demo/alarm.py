"""`netops demo --alarm`: an incident that starts by itself, told on the console.

The lab's CloudWatch alarm fires on the scenario's metric; its SNS notification, signed
with the lab's certificate, is POSTed to the bot's own `/aws/sns` endpoint (real HTTP on
127.0.0.1, verified in lab mode exactly as in production); the alarm job opens the incident
thread and diagnoses at once; a second person approves the fix; the next evaluation finds a
healthy minute and the alarm's OK resolves the thread. The jobs run in the console session
instead of a Redis stream, with the same dedupe key (`sns:<MessageId>`) the queue uses.
"""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import httpx
from starlette.applications import Starlette

from agents.demo.conversation import DemoSession
from agents.demo.conversation import _approve_offered as approve_offered
from agents.demo.stack import DemoStack, bind_local, serving, url_of
from agents.lab.alarms import LabAlarm, Transition
from bot.jobs import DEDUPE_TTL_S


class IncidentSession(DemoSession):
    """A demo session that also takes the jobs SNS deliveries make, and follows the incident's thread."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.pending: list[asyncio.Task[None]] = []

    async def enqueue(self, kind: str, payload: dict[str, Any], dedupe_key: str) -> str | None:
        """`JobQueue.enqueue`'s contract for the console: once per dedupe key, run here instead of queued."""
        if not await self.services.redis.set(f"netops:dedupe:{dedupe_key}", "1", nx=True, ex=DEDUPE_TTL_S):
            return None
        self.pending.append(asyncio.create_task(self._receive(kind, payload)))
        return dedupe_key

    async def _receive(self, kind: str, payload: dict[str, Any]) -> None:
        before = len(self.surface.messages)
        await self._run(kind, payload)
        if self.thread_ts is None:  # the incident's root is the thread the story follows
            roots = [m for m in self.surface.messages[before:] if m.thread_ts is None]
            self.thread_ts = roots[0].ts if roots else None

    async def settle(self) -> None:
        """Waits for every delivered job (and the diagnosis it scheduled) to finish."""
        while self.pending:
            await self.pending.pop(0)


def alarm_settings(stack: DemoStack, alarm: LabAlarm, channel: str) -> DemoStack:
    """The stack with the bot's settings trusting the lab's SNS (lab mode) and mapping its alarm here."""
    settings = stack.settings.model_copy(
        update={
            "lab_mode": True,
            "sns_lab_certificate": alarm.certificate_pem,
            "sns_topic_arns": [alarm.topic_arn],
            "alarm_channels": {alarm.name: channel},
        }
    )
    return dataclasses.replace(stack, settings=settings)


def transition_line(alarm: LabAlarm, transition: Transition | None) -> str:
    if transition is None:
        return f"> CloudWatch evaluates {alarm.name}: no change of state"
    value = "no data" if transition.value is None else f"{transition.value:g}"
    return (
        f"> CloudWatch: alarm {alarm.name} {transition.old_state} → {transition.new_state} "
        f"(Retransmissions {value}); SNS POSTs the signed notification to the bot's /aws/sns: HTTP {transition.status}"
    )


async def _evaluate(session: IncidentSession, alarm: LabAlarm, listener: Any, write: Any) -> Transition | None:
    transition = await asyncio.to_thread(alarm.evaluate)
    write(transition_line(alarm, transition) + "\n")
    await session.settle()
    await listener.stepped()
    return transition


async def alarm_story(stack: DemoStack, write: Any) -> int:
    """alarm → thread → diagnosis → fix → OK, printed as the operator would see it."""
    from agents.demo.run import TranscriptListener, _session
    from bot.sns.endpoint import build_receiver, sns_routes

    sock = bind_local()
    endpoint = url_of(sock) + "aws/sns"
    alarm = stack.lab.alarm(endpoint)
    staged = alarm_settings(stack, alarm, "CONSOLE")
    session, close = _session(staged, write, IncidentSession)
    offline = httpx.AsyncClient(transport=Offline())
    receiver = build_receiver(staged.settings, session.enqueue, offline)
    listener = TranscriptListener(session, write)
    try:
        async with serving(Starlette(routes=sns_routes(receiver)), sock, "sns endpoint"):
            fired = await _evaluate(session, alarm, listener, write)
            if fired is None or fired.new_state != "ALARM" or session.thread_ts is None:
                write("The scenario's metric did not cross the alarm's threshold: no incident to show.")
                return 1
            await approve_offered(session, listener, None)  # the diagnosis is the thread's first offer
            write("> a minute on, the lab publishes the next stretch of telemetry, and CloudWatch evaluates again\n")
            await asyncio.to_thread(stack.lab.rotate_now)
            await _evaluate(session, alarm, listener, write)
    finally:
        await offline.aclose()
        await close()
    return 0


class Offline(httpx.AsyncBaseTransport):
    """The receiver's HTTP in the demo: the lab's certificate is pinned, so nothing may reach AWS's
    real certificate hosts or SubscribeURLs; a message naming one is refused, not fetched."""

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        return httpx.Response(403, text="the demo never leaves 127.0.0.1")
