"""Who a turn's message goes to, given the conversation it belongs to.

A reply to an agent's question goes back to that agent; a question about the last answer is
answered from it, with no agent called; a reply that routes nowhere on its own asks the agent of
the last answer again, carrying its scope; anything else is routed afresh, and asked back when it
is unclear. The turn ends here (answered, asked back or failed) when there is no agent to ask.
"""

from __future__ import annotations

import time
import uuid
from typing import Any

from a2a.helpers.proto_helpers import new_data_part
from a2a.types import Part

from agents.collaborator.followup_answer import followup_answer
from agents.collaborator.replies import Reading, read_reply
from agents.collaborator.requests import Request
from agents.collaborator.routing import Router
from agents.collaborator.selection import Agent, Decision
from agents.collaborator.turn import Turn
from agents.i18n import detect_language
from agents.traceability import CallType, TraceStep, current_step

_MAX_CLARIFYING = 2000  # characters of an unanswered question kept while asking back


async def choose_recipient(
    turn: Turn, request: Request, agents: list[Agent], unavailable: list[str], router: Router
) -> tuple[Agent | None, str | None]:
    """The agent to ask and the text to send it (None: the caller's parts as they are)."""
    conv = turn.conversation
    if conv.pending_agent and not request.remediation:
        pending = next((a for a in agents if a.url == conv.pending_agent), None)
        if pending is not None:
            await turn.working(f"Passing your answer to {pending.name}, which asked for it.")
            return pending, None
        conv.pending_agent = conv.pending_task = None
    reading = Reading(request.text)
    if not request.remediation:
        reading = read_reply(request.text, conv, time.time(), routes_alone=lambda q: router.routes_alone(q, agents))
    conv.clarifying = conv.clarifying_at = None  # read together now, or dropped: never carried further
    if reading.topic is not None:
        await _answer_from_last(turn, reading)
        return None, None
    question = reading.text
    async with TraceStep("select agent", CallType.TOOL, {"remediation": request.remediation}) as step:
        decision = await router.select(question, agents, remediation=request.remediation)
        follow = _follow_up_agent(decision, reading, agents)
        step.set_attribute("scores", {c.agent.name: round(c.score, 3) for c in decision.candidates})
        step.set_attribute("decision", decision.explain())
        if reading.read_together:
            step.set_attribute("read_together", reading.read_together)
        if follow is not None:
            step.set_attribute("follow_up_to", follow.name)
        turn.scope = _carry(reading, follow or (decision.pick.agent if decision.pick else None))
        if decision.failure:
            step.end_step(error=decision.failure)
    if follow is None and decision.clarification is not None:
        conv.clarifying, conv.clarifying_at = question[-_MAX_CLARIFYING:], time.time()
        await turn.updater.requires_input(turn.text(_with_unavailable(decision.clarification, unavailable)))
        return None, None
    agent = follow or (decision.pick.agent if decision.pick else None)
    if agent is None:
        await turn.fail(_with_unavailable(decision.failure or decision.reason, unavailable))
        return None, None
    turn.read_together = reading.read_together
    status = f"Asking {decision.explain()}" if follow is None else f"Asking {agent.name} again (a follow-up)"
    if reading.read_together:
        status += f"; read together with your earlier question: {reading.read_together}"
    await turn.working(status)
    return agent, (question if question != request.text else None)


async def _answer_from_last(turn: Turn, reading: Reading) -> None:
    """Answer a question about the last answer from it: no agent is called, nothing is measured."""
    conv, language = turn.conversation, detect_language(reading.text)
    async with TraceStep("answer from the last answer", CallType.TOOL, {"topic": reading.topic}) as step:
        text, data = followup_answer(language, reading.topic or "", conv.last_answer or {}, reading.text)
        step.set_attribute("answered_at", conv.answered_at)
    parts = [Part(text=text), new_data_part(data)]
    await turn.updater.add_artifact(parts, artifact_id=str(uuid.uuid4()), name="answer")
    await turn.updater.complete()


def _follow_up_agent(decision: Decision, reading: Reading, agents: list[Agent]) -> Agent | None:
    """The agent that gave the last answer, for a reply that routes nowhere on its own.

    "and the last 5 minutes?" names no symptom; in a thread with an answer it asks that agent
    again. Not when the reply is about something no agent here does: that is asked back.
    """
    if decision.pick is not None or decision.failure or decision.topics or reading.last_agent is None:
        return None
    return next((agent for agent in agents if agent.url == reading.last_agent), None)


def _carry(reading: Reading, agent: Agent | None) -> dict[str, Any] | None:
    """The carried scope when the reply goes to the agent that gave the last answer; the current step records it."""
    if reading.scope is None or agent is None or agent.url != reading.last_agent:
        return None
    step = current_step()
    if step is not None:
        step.set_attribute("carried", reading.scope.get("carried", []))
        step.set_attribute("carried_scope", reading.scope)
    return reading.scope


def _with_unavailable(text: str, unavailable: list[str]) -> str:
    if not unavailable:
        return text
    return text + "\nUnavailable right now: " + "; ".join(unavailable) + "."
