"""Optional LLM routing (`NETOPS_ROUTE_LLM=true` with `NETOPS_LLM_MODE=openai`), the scorer as fallback.

The model sees the question and the agents' skills and names one agent, or none when the question
is unclear. Its answer is only accepted if it names an agent that was offered; anything else
(an error, a timeout, an unknown name, text that is not the JSON asked for) keeps the scorer's
decision and says why in the decision's notes. Remediations never reach the model: they go by
the remediation tag alone. Bedrock is not offered here, because boto3 stays inside the
performance agent's tools (design.md section 2); with `NETOPS_LLM_MODE=bedrock` the scorer routes.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Sequence
from typing import Any

import httpx
from pydantic import SecretStr

from agents.collaborator.askback import ask_back
from agents.collaborator.selection import Agent, Decision
from agents.i18n import detect_language
from agents.traceability import CallType, TraceStep

SYSTEM_PROMPT = (
    "You route a network-operations question to the one agent whose skills fit it. "
    'Answer with JSON only: {"agent": "<agent name>", "reason": "<one short sentence>"}, '
    'or {"agent": null, "reason": "..."} when the question is too unclear to route.'
)
_FENCE = re.compile(r"^```(?:json)?\s*|\s*```$")


def routing_prompt(question: str, agents: Sequence[Agent]) -> str:
    lines = ["Agents:"]
    for agent in agents:
        for skill in agent.card.skills:
            lines.append(f"- {agent.name}: {skill.name}: {skill.description} (tags: {', '.join(skill.tags)})")
    lines += ["", f"Question: {question}"]
    return "\n".join(lines)


def parse_choice(content: str, names: Sequence[str]) -> tuple[str | None, str]:
    """(agent name or None, reason) from the model's text; ValueError if it is not the JSON asked for."""
    data: Any = json.loads(_FENCE.sub("", content.strip()))
    if not isinstance(data, dict) or "agent" not in data:
        raise ValueError("the answer has no 'agent' field")
    agent, reason = data["agent"], str(data.get("reason") or "").strip()[:200]
    if agent is not None and agent not in names:
        raise ValueError(f"it named {str(agent)[:60]!r}, which is not an available agent")
    return agent, reason


class LlmRouter:
    def __init__(self, http: httpx.AsyncClient, base_url: str, model: str, api_key: SecretStr | None) -> None:
        self._http = http  # its own client: the agents' bearer token must never reach a model endpoint
        self._url = base_url.rstrip("/") + "/chat/completions"
        self._model = model
        self._headers = {"Authorization": f"Bearer {api_key.get_secret_value()}"} if api_key else {}

    async def choose(self, question: str, agents: Sequence[Agent], scored: Decision) -> Decision:
        """The model's pick when it gives a valid one, else the scorer's decision with a note why."""
        if not agents:
            return scored
        async with TraceStep("route with LLM", CallType.TOOL, {"model": self._model}) as step:
            try:
                content, usage = await self._ask(question, agents)
                step.record_usage(
                    provider="openai",
                    model=self._model,
                    input_tokens=int(usage.get("prompt_tokens", 0)),
                    output_tokens=int(usage.get("completion_tokens", 0)),
                )
                name, reason = parse_choice(content, [a.name for a in agents])
            except (httpx.HTTPError, ValueError, KeyError, IndexError, TypeError) as exc:
                note = f"LLM router failed ({_describe(exc)}); the scorer decided"
                step.end_step(error=note)
                return dataclasses.replace(scored, notes=(*scored.notes, note))
            step.set_attribute("choice", name)
        note = f"LLM router: {reason or 'no reason given'}"
        if name is None:
            clarification = scored.clarification or ask_back(detect_language(question), [a.card for a in agents])
            return Decision(
                None, scored.candidates, "the LLM router found the question unclear", clarification, notes=(note,)
            )
        pick = next((c for c in scored.candidates if c.agent.name == name), None)
        if pick is None:
            return dataclasses.replace(scored, notes=(*scored.notes, f"LLM router named {name}, which has no skills"))
        return Decision(pick, scored.candidates, "LLM router", notes=(note,))

    async def _ask(self, question: str, agents: Sequence[Agent]) -> tuple[str, dict]:
        body = {
            "model": self._model,
            "temperature": 0,
            "messages": [
                {"role": "system", "content": SYSTEM_PROMPT},
                {"role": "user", "content": routing_prompt(question, agents)},
            ],
        }
        response = await self._http.post(self._url, json=body, headers=self._headers)
        response.raise_for_status()
        data = response.json()
        return str(data["choices"][0]["message"]["content"] or ""), data.get("usage") or {}


def _describe(exc: BaseException) -> str:
    if isinstance(exc, httpx.HTTPStatusError):
        return f"HTTP {exc.response.status_code}"
    if isinstance(exc, httpx.HTTPError):
        return exc.__class__.__name__
    return str(exc)[:120] or exc.__class__.__name__
