"""`GET /metrics` for any of our Starlette apps, in Prometheus's text format.

Gauges that mirror outside state (the job queue in Redis, the agents' health) are refreshed just
before each scrape by `refresh`, so they are as fresh as the scrape and cost nothing between
scrapes; a refresh that fails leaves the last values and the step metrics are still served.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from agents.observability.metrics import ProcessMetrics

log = logging.getLogger(__name__)

METRICS_PATH = "/metrics"

Refresh = Callable[[], Awaitable[None]]
Endpoint = Callable[[Request], Awaitable[Response]]


def metrics_endpoint(metrics: ProcessMetrics, refresh: Refresh | None = None) -> Endpoint:
    async def endpoint(_: Request) -> Response:
        if refresh is not None:
            try:
                await refresh()
            except Exception as exc:
                log.warning("metrics refresh failed (%s: %s); serving the last values", type(exc).__name__, exc)
        return Response(generate_latest(metrics.registry), headers={"Content-Type": CONTENT_TYPE_LATEST})

    return endpoint


def metrics_route(metrics: ProcessMetrics, refresh: Refresh | None = None) -> Route:
    return Route(METRICS_PATH, metrics_endpoint(metrics, refresh), methods=["GET"])
