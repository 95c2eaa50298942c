"""`netops route "QUESTION"`: which agent the collaborator would pick, and why.

It fetches the cards of the agents in NETOPS_AGENT_URLS afresh (no Redis needed: the cache
lives in-process for the one run) and scores the question exactly as the collaborator does.
Exit code 0 when an agent would be picked, 1 when the collaborator would ask back or fail.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
from collections.abc import Iterator

import fakeredis

from agents.collaborator import discovery as discovery_module
from agents.collaborator.discovery import AgentStatus, Discovery
from agents.collaborator.forwarding import make_http_client
from agents.collaborator.llm_router import LlmRouter
from agents.collaborator.registry import Registry
from agents.collaborator.selection import Decision, decide
from agents.collaborator.server import discovery_config, llm_client
from agents.collaborator.store import RedisStore
from agents.settings import Settings, SettingsError, load_settings


@contextlib.contextmanager
def _no_retry_promises() -> Iterator[None]:
    """One run, no retries: discovery's "…; next try in 2 s" warning would promise one.

    The output's "Unavailable:" section already names every agent that did not answer.
    """
    logger = logging.getLogger(discovery_module.__name__)
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        yield
    finally:
        logger.setLevel(level)


def render(question: str, decision: Decision, statuses: list[AgentStatus]) -> str:
    """The routing decision as an operator reads it."""
    lines = [f"Question: {question}"]
    if decision.pick is not None:
        pick = decision.pick
        lines.append(f"Pick: {pick.agent.name} ({pick.agent.url}), skill {pick.skill_id}, score {pick.score:.2f}")
        lines.append("  why: " + ("; ".join(pick.reasons()) or decision.reason))
        lines.extend(f"  note: {note}" for note in decision.notes)
    elif decision.clarification is not None:
        lines.append(f"No pick, would ask back: {decision.reason}")
        lines.extend(f"  note: {note}" for note in decision.notes)
        lines.extend("  " + line for line in decision.clarification.splitlines())
    else:
        lines.append(f"No pick: {decision.failure or decision.reason}")
    others = [c for c in decision.candidates if decision.pick is None or c is not decision.pick]
    if others:
        lines.append("Scores:" if decision.pick is None else "Other candidates:")
        for cand in others:
            why = "; ".join(cand.reasons()) or "nothing matched"
            lines.append(f"  {cand.agent.name:<24} {cand.score:6.2f}  {cand.skill_id}: {why}")
    down = [s.error for s in statuses if s.error]
    if down:
        lines.append("Unavailable:")
        lines.extend(f"  {error}" for error in down)
    return "\n".join(lines)


async def route(settings: Settings, question: str, *, remediation: bool) -> tuple[Decision, list[AgentStatus]]:
    registry = Registry(lambda: settings.agent_urls)
    redis = fakeredis.aioredis.FakeRedis()
    http = make_http_client(
        connect_timeout_s=settings.agent_connect_timeout_s,
        read_timeout_s=settings.agent_connect_timeout_s,
        token=settings.agent_token,
    )
    try:
        discovery = Discovery(http, RedisStore(redis), discovery_config(settings))
        with _no_retry_promises():
            statuses = await discovery.discover(registry.urls(), force=True)
    finally:
        await http.aclose()
        await redis.aclose()
    agents = [s.agent for s in statuses if s.agent is not None]
    decision = decide(
        question,
        agents,
        min_score=settings.route_min_score,
        tie_ratio=settings.route_tie_ratio,
        remediation=remediation,
    )
    llm_http = llm_client(settings)
    if llm_http is not None and not remediation:
        async with llm_http:
            router = LlmRouter(llm_http, str(settings.llm_base_url), str(settings.llm_model), settings.llm_api_key)
            decision = await router.choose(question, agents, decision)
    return decision, statuses


def _run(args: argparse.Namespace) -> int:
    settings = load_settings()
    try:
        decision, statuses = asyncio.run(route(settings, args.question, remediation=args.remediation))
    except ValueError as exc:  # a URL in NETOPS_AGENT_URLS that the registry refuses
        raise SettingsError(f"setting NETOPS_AGENT_URLS is invalid: {exc}") from None
    print(render(args.question, decision, statuses))
    return 0 if decision.pick is not None else 1


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "route", help="show which agent would answer a question, and why (against NETOPS_AGENT_URLS)"
    )
    parser.add_argument("question", help="the question, as an operator would ask it")
    parser.add_argument(
        "--remediation", action="store_true", help="route as a remediation request (only remediation skills)"
    )
    parser.set_defaults(handler=_run)
