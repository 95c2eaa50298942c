"""Which agents there are and which one a question goes to, apart from any conversation.

The cards' scores decide (`selection.decide`); with LLM routing on, the model may choose among
the candidates, except for a remediation, which only the scorer routes.
"""

from __future__ import annotations

from dataclasses import dataclass

from agents.collaborator.discovery import AgentStatus, Discovery
from agents.collaborator.llm_router import LlmRouter
from agents.collaborator.registry import Registry
from agents.collaborator.selection import Agent, Decision, decide
from agents.traceability import CallType, TraceStep


@dataclass(frozen=True)
class RoutingConfig:
    min_score: float
    tie_ratio: float
    deadline_s: float


class Router:
    def __init__(
        self, registry: Registry, discovery: Discovery, config: RoutingConfig, llm: LlmRouter | None = None
    ) -> None:
        self._registry = registry
        self._discovery = discovery
        self._config = config
        self._llm = llm

    async def discover(self) -> list[AgentStatus]:
        urls = self._registry.urls()
        async with TraceStep("discover agents", CallType.TOOL, {"agents": len(urls)}) as step:
            statuses = await self._discovery.discover(urls)
            step.set_attribute("available", [s.agent.name for s in statuses if s.agent is not None])
            step.set_attribute("sources", {s.url: s.source for s in statuses})
            unavailable = [s.error for s in statuses if s.error]
            if unavailable:
                step.set_attribute("unavailable", unavailable)
            return statuses

    async def select(self, question: str, agents: list[Agent], *, remediation: bool) -> Decision:
        decision = decide(
            question,
            agents,
            min_score=self._config.min_score,
            tie_ratio=self._config.tie_ratio,
            remediation=remediation,
        )
        if self._llm is not None and not remediation:
            decision = await self._llm.choose(question, agents, decision)
        return decision

    def routes_alone(self, question: str, agents: list[Agent]) -> bool:
        """Whether the scorer alone would pick an agent for `question` (no model call)."""
        config = self._config
        return decide(question, agents, min_score=config.min_score, tie_ratio=config.tie_ratio).pick is not None
