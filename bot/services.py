"""Everything a listener or a job needs, built once per process and passed down explicitly."""

from __future__ import annotations

from dataclasses import dataclass

import redis.asyncio as aioredis

from agents.observability import BOT_SERVICE, ProcessMetrics
from agents.settings import Settings
from agents.traceability import TraceConfig
from agents.traceability.store import TraceStore
from bot.approvals import Approvals, ApproverPolicy
from bot.audit import AuditLog
from bot.collaborator import CollaboratorClient
from bot.conversations import Conversations
from bot.jobs import JobQueue
from bot.results import Results
from bot.surface import Surface


@dataclass
class Services:
    settings: Settings
    redis: aioredis.Redis
    surface: Surface
    collaborator: CollaboratorClient
    policy: ApproverPolicy
    conversations: Conversations
    approvals: Approvals
    results: Results
    audit: AuditLog
    jobs: JobQueue
    trace_config: TraceConfig
    metrics: ProcessMetrics
    traces: TraceStore  # what the dashboard shows (traces branch)

    @classmethod
    def build(
        cls,
        settings: Settings,
        redis: aioredis.Redis,
        surface: Surface,
        collaborator: CollaboratorClient,
        policy: ApproverPolicy,
        trace_config: TraceConfig | None = None,
    ) -> Services:
        """`trace_config`: the process's one TraceConfig (from settings, with the step metrics, when not given)."""
        metrics = ProcessMetrics(BOT_SERVICE)
        return cls(
            settings=settings,
            redis=redis,
            surface=surface,
            collaborator=collaborator,
            policy=policy,
            conversations=Conversations(redis),
            approvals=Approvals(redis),
            results=Results(redis),
            audit=AuditLog(redis),
            jobs=JobQueue(redis),
            trace_config=trace_config or TraceConfig.from_settings(settings, BOT_SERVICE, metrics.steps.observe_trace),
            metrics=metrics,
            traces=TraceStore(redis),
        )
