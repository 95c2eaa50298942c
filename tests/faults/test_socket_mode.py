"""Socket Mode while Slack is unreachable, and stopping a Socket Mode bot."""

from __future__ import annotations

import signal

import httpx
from fault_processes import bot_env, eventually, free_port, wait_healthy


async def test_liveness_answers_at_once_while_slack_is_unreachable_and_readiness_says_why(
    netops,
    agent,
    own_redis,
    closed_port_url_factory,  # type: ignore[no-untyped-def]
) -> None:
    redis = own_redis()
    port = free_port()
    env = bot_env(
        redis_url=redis.url,
        slack_url=closed_port_url_factory() + "/api/",
        collaborator_url=agent.url,
        SLACK_APP_TOKEN="xapp-test-token",
    )
    bot = await netops(["bot", "--host", "127.0.0.1", "--port", str(port)], env)
    url = f"http://127.0.0.1:{port}"
    await wait_healthy(url, bot)
    async with httpx.AsyncClient(timeout=5) as http:
        for _ in range(20):  # every poll answers, not just the first
            assert (await http.get(url + "/healthz")).status_code == 200
        ready = await http.get(url + "/readyz")
    assert ready.status_code == 503
    assert ready.json()["slack"].startswith("not connected") and ready.json()["redis"] == "ok"


async def test_sigterm_closes_the_socket_normally_and_exits_zero(netops, fake_slack, agent, own_redis) -> None:  # type: ignore[no-untyped-def]
    redis = own_redis()
    port = free_port()
    env = bot_env(
        redis_url=redis.url, slack_url=fake_slack.url, collaborator_url=agent.url, SLACK_APP_TOKEN="xapp-test-token"
    )
    bot = await netops(["bot", "--host", "127.0.0.1", "--port", str(port)], env)
    url = f"http://127.0.0.1:{port}"
    await wait_healthy(url, bot)
    await fake_slack.wait_for(lambda s: s.of("socket.connect"))
    async with httpx.AsyncClient(timeout=5) as http:
        await eventually(lambda: _ready(http, url), 15, "/readyz says the socket is connected")
    bot.send(signal.SIGTERM)
    assert await bot.wait(20) == 0
    closes = await fake_slack.wait_for(lambda s: s.of("socket.close"))
    assert closes[0].args["code"] == 1000  # a normal close, not 1006
    assert "Unclosed client session" not in bot.log()


async def _ready(http: httpx.AsyncClient, url: str) -> bool:
    return (await http.get(url + "/readyz")).json().get("slack") == "ok"
