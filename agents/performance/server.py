"""`netops agent performance`: the Performance Agent as an A2A 1.0 server (Starlette + uvicorn).

`create_app` wires everything once per process: the boto3 client pool, Redis (approval ids),
an httpx client for push notifications, the card (with `Cache-Control`) and the JSON-RPC
routes, behind a bearer-token check when `NETOPS_AGENT_TOKEN` is set (the card itself stays
public, so callers can discover that a token is needed). Everything is closed on shutdown.
"""

from __future__ import annotations

import contextlib
import hmac
import logging
from collections.abc import AsyncIterator

import httpx
import redis.asyncio as aioredis
import uvicorn
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.server.tasks import BasePushNotificationSender, InMemoryPushNotificationConfigStore
from a2a.utils.constants import AGENT_CARD_WELL_KNOWN_PATH
from a2a.utils.push_url_validator import validate_push_notification_url
from starlette.applications import Starlette
from starlette.middleware.base import BaseHTTPMiddleware, RequestResponseEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from agents.observability import PERFORMANCE_SERVICE, ProcessMetrics, configure_logging, metrics_route
from agents.performance.agent import PerformanceAgent
from agents.performance.aws_clients import ClientPool
from agents.performance.card import AGENT_NAME, CARD_CACHE_CONTROL, build_card
from agents.performance.executor import PerformanceExecutor
from agents.redis_client import connect as connect_redis
from agents.request_limit import MaxBodySize
from agents.settings import Settings
from agents.task_store import BoundedTaskStore
from agents.traceability import TraceConfig
from agents.traceability.a2a import TracingAgentExecutor

log = logging.getLogger(__name__)


class BearerAuth(BaseHTTPMiddleware):
    """Every path but the agent card needs `Authorization: Bearer <NETOPS_AGENT_TOKEN>`."""

    def __init__(self, app: object, token: str) -> None:
        super().__init__(app)  # type: ignore[arg-type]
        self._expected = f"Bearer {token}".encode()

    async def dispatch(self, request: Request, call_next: RequestResponseEndpoint) -> Response:
        if request.url.path != AGENT_CARD_WELL_KNOWN_PATH:
            given = request.headers.get("authorization", "").encode()
            if not hmac.compare_digest(given, self._expected):
                return JSONResponse(
                    {"error": "missing or wrong bearer token: send Authorization: Bearer <NETOPS_AGENT_TOKEN>"},
                    status_code=401,
                    headers={"WWW-Authenticate": "Bearer"},
                )
        return await call_next(request)


async def _allow_any_http_url(url: str) -> bool:
    return url.startswith(("http://", "https://"))


def create_app(
    settings: Settings,
    *,
    public_url: str,
    pool: ClientPool | None = None,
    redis: aioredis.Redis | None = None,
    llm: object | None = None,
) -> Starlette:
    """The ASGI app; resources not passed in are created here and closed on shutdown."""
    owns_pool, owns_redis = pool is None, redis is None
    pool = pool or ClientPool(settings)
    redis = redis or connect_redis(settings.redis_url)
    push_client = httpx.AsyncClient(timeout=httpx.Timeout(10.0))
    token = settings.agent_token.get_secret_value() if settings.agent_token else None
    card = build_card(public_url, bearer_required=bool(token))
    agent = PerformanceAgent(settings, pool, redis, llm=llm)
    push_store = InMemoryPushNotificationConfigStore()
    push_url_ok = _allow_any_http_url if settings.push_allow_private_urls else validate_push_notification_url
    metrics = ProcessMetrics(PERFORMANCE_SERVICE)
    trace_config = TraceConfig.from_settings(settings, PERFORMANCE_SERVICE, metrics.steps.observe_trace)
    handler = DefaultRequestHandler(
        agent_executor=TracingAgentExecutor(PerformanceExecutor(agent), name=AGENT_NAME, config=trace_config),
        task_store=BoundedTaskStore(settings.max_tasks),
        agent_card=card,
        push_config_store=push_store,
        push_sender=BasePushNotificationSender(push_client, push_store, push_url_validator=push_url_ok),
        push_url_validator=push_url_ok,
    )

    @contextlib.asynccontextmanager
    async def lifespan(_app: Starlette) -> AsyncIterator[None]:
        try:
            yield
        finally:
            await push_client.aclose()
            if llm is not None and hasattr(llm, "aclose"):
                await llm.aclose()
            if owns_redis:
                await redis.aclose()
            if owns_pool:
                pool.close()

    routes = [
        *create_agent_card_routes(card, cache_control=CARD_CACHE_CONTROL),
        *create_jsonrpc_routes(handler, rpc_url="/"),
        metrics_route(metrics),  # behind BearerAuth like the JSON-RPC routes
    ]
    app = Starlette(routes=routes, lifespan=lifespan)
    app.add_middleware(MaxBodySize, max_bytes=settings.max_request_bytes)
    if token:
        app.add_middleware(BearerAuth, token=token)
    return app


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM (called by `netops agent performance`)."""
    configure_logging(settings.log_level, PERFORMANCE_SERVICE, json_lines=settings.log_json)
    llm = None
    if settings.llm_mode != "none":
        from agents.performance.llm import create_llm_planner

        llm = create_llm_planner(settings)
    app = create_app(settings, public_url=f"http://{host}:{port}/", llm=llm)
    log.info("Performance_Agent on http://%s:%d/ (card at %s)", host, port, AGENT_CARD_WELL_KNOWN_PATH)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())
