"""What the bot's HTTP server adds for people and Prometheus: the dashboard and /metrics, both guarded."""

from __future__ import annotations

from starlette.routing import BaseRoute, Mount, Route, request_response

from agents.observability.http import METRICS_PATH, metrics_endpoint
from bot.dashboard.access import Access, Guarded
from bot.dashboard.app import DASHBOARD_PATH, dashboard_app, stale_after
from bot.queue_stats import queue_stats
from bot.services import Services


def observability_routes(services: Services) -> list[BaseRoute]:
    token = services.settings.dashboard_token
    access = Access(token.get_secret_value() if token else None)
    bot_metrics = services.metrics.bot
    assert bot_metrics is not None

    async def refresh_queue() -> None:
        depth, age = await queue_stats(services.redis, services.jobs.stream)
        bot_metrics.job_queue_depth.set(depth)
        bot_metrics.job_queue_oldest_age.set(age)

    metrics = request_response(metrics_endpoint(services.metrics, refresh_queue))
    return [
        Route(METRICS_PATH, Guarded(metrics, access), methods=["GET"]),
        Mount(DASHBOARD_PATH, app=Guarded(dashboard_app(services.traces, stale_after(services.settings)), access)),
    ]
