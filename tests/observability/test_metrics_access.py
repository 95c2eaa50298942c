"""Who may read /metrics: the agents' bearer token where one is set; on the bot, the dashboard's rule."""

from __future__ import annotations

import httpx
import redis.asyncio as aioredis
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette

from agents.collaborator.forwarding import make_http_client
from agents.collaborator.registry import Registry
from agents.collaborator.server import Collaborator
from agents.performance.server import create_app as performance_app
from agents.settings import load_settings
from bot.dashboard.mount import observability_routes
from bot.services import Services

TOKEN = "metrics-test-token"


def client(app: object, host: str = "127.0.0.1") -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, client=(host, 40000))  # type: ignore[arg-type]
    return httpx.AsyncClient(transport=transport, base_url="http://netops.test")


def collaborator(settings, redis: aioredis.Redis, agent_urls: list[str]) -> Collaborator:  # type: ignore[no-untyped-def]
    http = make_http_client(connect_timeout_s=1.0, read_timeout_s=1.0, token=settings.agent_token)
    return Collaborator(settings, redis=redis, http=http, registry=Registry(lambda: agent_urls))


def bot_app(redis: aioredis.Redis, **settings: object) -> Starlette:
    services = Services.build(load_settings(**settings), redis, surface=None, collaborator=None, policy=None)  # type: ignore[arg-type]
    return Starlette(routes=observability_routes(services))


async def test_the_performance_agents_metrics_need_its_bearer_token(redis_client: aioredis.Redis) -> None:
    app = performance_app(load_settings(agent_token=TOKEN), public_url="http://127.0.0.1:1/", redis=redis_client)
    async with client(app) as http:
        refused = await http.get("/metrics")
        allowed = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert refused.status_code == 401
    assert allowed.status_code == 200
    assert "netops_step_duration_seconds" in {family.name for family in text_string_to_metric_families(allowed.text)}


async def test_the_collaborators_metrics_need_its_bearer_token(redis_client: aioredis.Redis) -> None:
    settings = load_settings(agent_token=TOKEN)
    app = collaborator(settings, redis_client, []).app("http://127.0.0.1:1/")
    async with client(app) as http:
        refused = await http.get("/metrics")
        allowed = await http.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
    assert (refused.status_code, allowed.status_code) == (401, 200)


async def test_an_agent_that_does_not_answer_is_reported_down(
    redis_client: aioredis.Redis, closed_port_url: str
) -> None:
    app = collaborator(load_settings(), redis_client, [closed_port_url]).app("http://127.0.0.1:1/")
    async with client(app) as http:
        text = (await http.get("/metrics")).text
    samples = [s for f in text_string_to_metric_families(text) for s in f.samples if s.name == "netops_agent_up"]
    assert [(s.labels["agent_url"], s.value) for s in samples] == [(closed_port_url, 0.0)]


async def test_without_a_token_the_bots_metrics_answer_only_local_clients(redis_client: aioredis.Redis) -> None:
    app = bot_app(redis_client)
    async with client(app) as local, client(app, host="203.0.113.9") as remote:
        assert (await local.get("/metrics")).status_code == 200
        refused = await remote.get("/metrics")
    assert refused.status_code == 403
    assert "NETOPS_DASHBOARD_TOKEN" in refused.text


async def test_with_a_token_the_bots_metrics_need_it_even_from_this_machine(redis_client: aioredis.Redis) -> None:
    app = bot_app(redis_client, dashboard_token=TOKEN)
    async with client(app) as local, client(app, host="203.0.113.9") as remote:
        assert (await local.get("/metrics")).status_code == 401
        assert (await remote.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})).status_code == 200
        assert (await remote.get("/metrics", headers={"Authorization": "Bearer wrong"})).status_code == 401
