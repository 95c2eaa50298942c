"""Builds (and closes) the per-process pieces of the bot: Redis, Slack client, A2A client, worker.

One place creates every network client once and closes it on the way out, used alike by
`netops bot`, the tests and the benchmark.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

import httpx
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient

from agents.redis_client import connect as connect_redis
from agents.settings import Settings
from bot.app import create_app
from bot.approvals import ApproverPolicy
from bot.collaborator import CollaboratorClient
from bot.jobs import AcksInFlight, JobWorker
from bot.listeners import Registered
from bot.runner import JobRunner
from bot.services import Services
from bot.sns.endpoint import SnsReceiver, build_receiver
from bot.streaming import Streams
from bot.surface import SlackSurface, retry_handlers


def slack_client(settings: Settings) -> AsyncWebClient:
    """A Web API client that waits out 429s (Retry-After) and retries dropped connections."""
    token = settings.slack_bot_token.get_secret_value() if settings.slack_bot_token else None
    return AsyncWebClient(token=token, base_url=settings.slack_api_url, retry_handlers=retry_handlers())


def group_fetcher(client: AsyncWebClient):  # type: ignore[no-untyped-def]
    async def fetch(group_id: str) -> list[str]:
        response = await client.usergroups_users_list(usergroup=group_id)
        return [str(user) for user in response.get("users") or []]

    return fetch


@dataclass
class BotRuntime:
    services: Services
    app: AsyncApp
    registered: Registered
    worker: JobWorker
    web: AsyncWebClient
    acks: AcksInFlight  # counted by the HTTP server, heeded by the worker
    signing_secret: str | None  # None only in Socket Mode
    sns: SnsReceiver | None = None  # POST /aws/sns (alarms branch)


@contextlib.asynccontextmanager
async def bot_runtime(
    settings: Settings,
    *,
    run_worker: bool = True,
    progress_interval_s: float = 1.0,
    consumer: str | None = None,
    drain_s: float = 10.0,
    sns_http: httpx.AsyncClient | None = None,
) -> AsyncIterator[BotRuntime]:
    """The whole bot for one process; the job worker runs in the background while inside.

    On the way out, running jobs get `drain_s` to finish (a deploy's SIGTERM); the rest stay
    pending in the stream for another replica. `sns_http` fetches SNS certificates and confirms
    subscriptions (tests give one whose transport plays AWS).
    """
    redis = connect_redis(settings.redis_url)
    web = slack_client(settings)
    token = settings.agent_token.get_secret_value() if settings.agent_token else None
    collaborator = CollaboratorClient(settings.collaborator_url, token=token)
    policy = ApproverPolicy(
        redis,
        approvers=settings.approvers,
        group=settings.approver_group,
        allow_self=settings.allow_self_approval,
        fetch_group=group_fetcher(web),
    )
    services = Services.build(settings, redis, SlackSurface(web), collaborator, policy)
    secret = settings.slack_signing_secret.get_secret_value() if settings.slack_signing_secret else None
    app, registered = create_app(services, web, signing_secret=secret, socket_mode=settings.slack_app_token is not None)
    acks = AcksInFlight()
    worker = JobWorker(
        redis,
        JobRunner(services, progress_interval_s, streams=Streams(web, settings.slack_streaming)),
        consumer=consumer,
        reclaim_after_s=settings.job_reclaim_s,
        concurrency=settings.job_concurrency,
        acks=acks,
    )
    task = asyncio.create_task(worker.run()) if run_worker else None
    own_sns_http = sns_http is None
    sns_http = sns_http or httpx.AsyncClient(timeout=10.0)
    try:
        sns = build_receiver(settings, services.jobs.enqueue, sns_http)
        yield BotRuntime(services, app, registered, worker, web, acks, secret, sns)
    finally:
        if own_sns_http:
            await sns_http.aclose()
        await worker.stop(grace_s=drain_s)
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await collaborator.aclose()
        await redis.aclose()
        session = getattr(web, "session", None)
        if session is not None:
            await session.close()
