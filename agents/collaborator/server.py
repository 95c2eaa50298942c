"""The collaborator's A2A server: `netops agent collaborator` (port 10000).

`Collaborator` owns the process's network clients (one Redis, one HTTP client) from start-up to
shutdown, and a background task that re-reads NETOPS_AGENT_URLS and refreshes stale cards; SIGHUP
triggers the same at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import httpx
import redis.asyncio as aioredis
import uvicorn
from a2a.server.agent_execution import SimpleRequestContextBuilder
from a2a.server.request_handlers import DefaultRequestHandler
from a2a.server.routes import create_agent_card_routes, create_jsonrpc_routes
from a2a.types import (
    AgentCapabilities,
    AgentCard,
    AgentInterface,
    AgentSkill,
    HTTPAuthSecurityScheme,
    SecurityRequirement,
    SecurityScheme,
    StringList,
)
from starlette.applications import Starlette

from agents.collaborator.auth import BearerAuth
from agents.collaborator.discovery import Discovery, DiscoveryConfig
from agents.collaborator.executor import CollaboratorExecutor
from agents.collaborator.forwarding import Forwarder, make_http_client
from agents.collaborator.llm_router import LlmRouter
from agents.collaborator.registry import Registry
from agents.collaborator.routing import RoutingConfig
from agents.collaborator.store import RedisStore
from agents.observability import COLLABORATOR_SERVICE, ProcessMetrics, configure_logging, metrics_route
from agents.redis_client import connect as connect_redis
from agents.request_limit import MaxBodySize
from agents.settings import Settings, SettingsError, load_settings
from agents.task_store import BoundedTaskStore
from agents.traceability import TraceConfig
from agents.traceability.a2a import TracingAgentExecutor, trace_agent_extension

log = logging.getLogger(__name__)

CARD_CACHE_CONTROL = "public, max-age=300"


def collaborator_card(url: str, *, bearer_required: bool = False) -> AgentCard:
    """The card the bot reads; it declares the bearer scheme when NETOPS_AGENT_TOKEN is set."""
    card = AgentCard(
        name="NetOps_Collaborator",
        description="Routes NetOps questions to the agent whose skills fit, and streams its answer back.",
        version="1.0.0",
        supported_interfaces=[AgentInterface(url=url, protocol_binding="JSONRPC", protocol_version="1.0")],
        capabilities=AgentCapabilities(streaming=True, push_notifications=False, extensions=[trace_agent_extension()]),
        default_input_modes=["text/plain", "application/json"],
        default_output_modes=["text/plain", "text/markdown", "application/json"],
        skills=[
            AgentSkill(
                id="route_question",
                name="Route a NetOps question",
                description="Picks the agent for a network question by its card's skills, and forwards it.",
                tags=["routing", "collaboration"],
                examples=["Why are there TCP retransmissions between the app and the database?"],
            )
        ],
    )
    if bearer_required:
        card.security_schemes["bearer"].CopyFrom(
            SecurityScheme(http_auth_security_scheme=HTTPAuthSecurityScheme(scheme="Bearer"))
        )
        card.security_requirements.append(SecurityRequirement(schemes={"bearer": StringList()}))
    return card


def discovery_config(settings: Settings) -> DiscoveryConfig:
    return DiscoveryConfig(
        default_ttl_s=settings.card_default_ttl_s,
        max_ttl_s=settings.card_max_ttl_s,
        retry_base_s=settings.agent_retry_base_s,
        retry_max_s=settings.agent_retry_max_s,
        fetch_timeout_s=settings.agent_connect_timeout_s,
    )


class Collaborator:
    """The parts of one collaborator process, wired once."""

    def __init__(
        self,
        settings: Settings,
        *,
        redis: aioredis.Redis,
        http: httpx.AsyncClient,
        registry: Registry,
        llm_http: httpx.AsyncClient | None = None,
    ) -> None:
        """`llm_http` turns on LLM routing (settings name the endpoint); without it the scorer routes."""
        self.settings = settings
        self.redis = redis
        self.http = http
        self.registry = registry
        self.refreshed = asyncio.Event()  # set after each background refresh (observable by tests and probes)
        self.store = RedisStore(redis)
        self.discovery = Discovery(http, self.store, discovery_config(settings))
        self.llm_http = llm_http
        llm = None
        if llm_http is not None:
            llm = LlmRouter(llm_http, str(settings.llm_base_url), str(settings.llm_model), settings.llm_api_key)
        self.executor = CollaboratorExecutor(
            self.registry,
            self.discovery,
            Forwarder(http),
            self.store,
            RoutingConfig(settings.route_min_score, settings.route_tie_ratio, settings.request_timeout_s),
            llm,
        )
        self.metrics = ProcessMetrics(COLLABORATOR_SERVICE)
        trace_config = TraceConfig.from_settings(settings, COLLABORATOR_SERVICE, self.metrics.steps.observe_trace)
        self.traced_executor = TracingAgentExecutor(self.executor, name="NetOps_Collaborator", config=trace_config)

    def app(self, public_url: str) -> Starlette:
        token = self.settings.agent_token
        card = collaborator_card(public_url, bearer_required=token is not None)
        tasks = BoundedTaskStore(self.settings.max_tasks)
        contexts = SimpleRequestContextBuilder(task_store=tasks, context_id_generator=self.executor.fresh_ids)
        handler = DefaultRequestHandler(self.traced_executor, tasks, card, request_context_builder=contexts)
        routes = create_agent_card_routes(card, cache_control=CARD_CACHE_CONTROL) + create_jsonrpc_routes(
            handler, rpc_url="/"
        )
        routes.append(metrics_route(self.metrics, self.refresh_agent_up))  # behind BearerAuth like the rest
        app = Starlette(routes=routes, lifespan=self._lifespan)
        app.add_middleware(MaxBodySize, max_bytes=self.settings.max_request_bytes)
        if token is not None:
            app.add_middleware(BearerAuth, token=token.get_secret_value())
        return app

    async def refresh_agent_up(self) -> None:
        """`netops_agent_up` per agent URL, as discovery sees it now: the card cache, fetching only stale cards."""
        assert self.metrics.collaborator is not None
        for status in await self.discovery.discover(self.registry.urls()):
            self.metrics.collaborator.agent_up.labels(status.url).set(0 if status.agent is None else 1)

    async def refresh(self) -> None:
        """Re-read the agent URLs and bring stale cards up to date (what the timer and SIGHUP do)."""
        self.registry.reload()
        await self.discovery.discover(self.registry.urls(), ahead_s=self.settings.card_refresh_s)

    async def refresh_forever(self, wake: asyncio.Event) -> None:
        while True:
            try:
                await self.refresh()
            except Exception:
                log.exception("card refresh failed; trying again on the next tick")
            self.refreshed.set()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=self.settings.card_refresh_s)
            wake.clear()

    @contextlib.asynccontextmanager
    async def _lifespan(self, _app: Starlette) -> AsyncIterator[None]:
        wake = asyncio.Event()
        loop = asyncio.get_running_loop()
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(signal.SIGHUP, wake.set)
        refresher = asyncio.create_task(self.refresh_forever(wake))
        try:
            yield
        finally:
            refresher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await refresher
            await self.executor.drain()
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.remove_signal_handler(signal.SIGHUP)
            await self.http.aclose()
            if self.llm_http is not None:
                await self.llm_http.aclose()
            await self.redis.aclose()


def build(settings: Settings, public_url: str) -> Starlette:
    """The collaborator app with its own clients, closed when the app shuts down."""
    try:
        registry = Registry(lambda: load_settings().agent_urls)  # re-read on SIGHUP and on the timer
    except ValueError as exc:
        raise SettingsError(f"setting NETOPS_AGENT_URLS is invalid: {exc}") from None
    http = make_http_client(
        connect_timeout_s=settings.agent_connect_timeout_s,
        read_timeout_s=settings.agent_read_timeout_s,
        token=settings.agent_token,
    )
    redis = connect_redis(settings.redis_url)
    llm_http = llm_client(settings)
    return Collaborator(settings, redis=redis, http=http, registry=registry, llm_http=llm_http).app(public_url)


def llm_client(settings: Settings) -> httpx.AsyncClient | None:
    """The model endpoint's client when LLM routing is on and possible; settings problems stop start-up."""
    if not settings.route_llm:
        return None
    if settings.llm_mode != "openai":
        log.warning(
            "NETOPS_ROUTE_LLM needs NETOPS_LLM_MODE=openai (bedrock stays in the performance agent); the scorer routes"
        )
        return None
    if not settings.llm_base_url or not settings.llm_model:
        raise SettingsError("setting NETOPS_LLM_BASE_URL and NETOPS_LLM_MODEL are required when NETOPS_ROUTE_LLM=true")
    return httpx.AsyncClient(timeout=httpx.Timeout(20.0, connect=settings.agent_connect_timeout_s))


def serve(settings: Settings, host: str, port: int) -> None:
    """Serve until Ctrl-C or SIGTERM (used by `netops agent collaborator`)."""
    configure_logging(settings.log_level, COLLABORATOR_SERVICE, json_lines=settings.log_json)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_IGN)  # until the app is up and reloads on it
    public_host = "127.0.0.1" if host in ("0.0.0.0", "::") else host
    configured = settings.collaborator_url
    public_url = configured if urlsplit(configured).port == port else f"http://{public_host}:{port}/"
    app = build(settings, public_url)
    uvicorn.run(app, host=host, port=port, log_level=settings.log_level.lower())
