"""The bot's own HTTP server (what `netops bot` runs) serves the dashboard and /metrics next to Slack's events,
and `netops dashboard` serves the same pages alone."""

from __future__ import annotations

import httpx
import redis.asyncio as aioredis

from agents.settings import load_settings
from bot.dashboard.command import dashboard_server
from bot.runtime import bot_runtime
from bot.server import running_http


def _settings(redis_client: aioredis.Redis, closed_url: str, **extra: object):  # type: ignore[no-untyped-def]
    db = redis_client.connection_pool.connection_kwargs["db"]
    return load_settings(
        slack_bot_token="xoxb-test",
        slack_signing_secret="test-secret",
        slack_api_url=f"{closed_url}/api/",
        collaborator_url=closed_url,
        redis_url=f"redis://127.0.0.1:{redis_client.connection_pool.connection_kwargs['port']}/{db}",
        **extra,
    )


async def test_the_bots_http_server_serves_the_dashboard_and_metrics_beside_slack(
    redis_client: aioredis.Redis, closed_port_url: str
) -> None:
    settings = _settings(redis_client, closed_port_url)
    async with bot_runtime(settings, drain_s=0.5) as runtime, running_http(runtime) as url, httpx.AsyncClient() as http:
        dashboard = await http.get(f"{url}/dashboard/")
        metrics = await http.get(f"{url}/metrics")
        slack = await http.post(f"{url}/slack/events", content=b"{}")  # unsigned: bolt refuses it
    assert dashboard.status_code == 200 and "NetOps traces" in dashboard.text
    assert metrics.status_code == 200 and "netops_questions_total" in metrics.text
    assert slack.status_code == 401


async def test_netops_dashboard_redirects_to_its_pages_and_keeps_the_token_rule(
    redis_client: aioredis.Redis, closed_port_url: str
) -> None:
    app = dashboard_server(_settings(redis_client, closed_port_url, dashboard_token="t0ken"))
    transport = httpx.ASGITransport(app=app, client=("127.0.0.1", 40000))
    async with httpx.AsyncClient(transport=transport, base_url="http://netops.test") as http:
        home = await http.get("/")
        refused = await http.get("/dashboard/")
        allowed = await http.get("/dashboard/", headers={"Authorization": "Bearer t0ken"})
    assert (home.status_code, home.headers["location"]) == (307, "/dashboard/")
    assert refused.status_code == 401
    assert allowed.status_code == 200 and "NetOps traces" in allowed.text
