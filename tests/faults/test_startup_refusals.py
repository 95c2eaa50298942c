"""Each process started with each security setting empty: one line and exit 2, or (where empty
means "unset" selects another mode) the mode that is then safe, serving as it should."""

from __future__ import annotations

import httpx
import pytest
from fault_processes import START_S, bot_env, free_port, wait_healthy

CLOSED = "http://127.0.0.1:9"  # nothing is asked of it: the process must refuse before


@pytest.mark.parametrize(
    "name, value",
    [("SLACK_SIGNING_SECRET", ""), ("SLACK_SIGNING_SECRET", "   "), ("SLACK_BOT_TOKEN", "")],
    ids=["signing-secret-empty", "signing-secret-blank", "bot-token-empty"],
)
async def test_netops_bot_refuses_to_start_with_one_line_naming_the_empty_setting(
    netops, name: str, value: str
) -> None:  # type: ignore[no-untyped-def]
    env = bot_env(redis_url="redis://127.0.0.1:9/0", slack_url=CLOSED + "/api/", collaborator_url=CLOSED)
    env[name] = value
    bot = await netops(["bot", "--host", "127.0.0.1", "--port", str(free_port())], env)
    assert await bot.wait(START_S) == 2
    lines = bot.log().strip().splitlines()
    assert len(lines) == 1 and name in lines[0] and "Traceback" not in lines[0]


async def test_netops_bot_refuses_a_redis_url_that_is_not_one(netops) -> None:  # type: ignore[no-untyped-def]
    env = bot_env(redis_url="localhost:6379", slack_url=CLOSED + "/api/", collaborator_url=CLOSED)
    bot = await netops(["bot", "--host", "127.0.0.1", "--port", str(free_port())], env)
    assert await bot.wait(START_S) == 2
    lines = bot.log().strip().splitlines()
    assert len(lines) == 1 and "REDIS_URL" in lines[0]


async def test_an_empty_app_token_means_http_mode_which_serves_and_verifies(own_redis, bot_replica) -> None:  # type: ignore[no-untyped-def]
    redis = own_redis()
    url, _ = await bot_replica(redis.url, SLACK_APP_TOKEN="")  # Socket Mode would never serve /slack/events
    async with httpx.AsyncClient(timeout=5) as http:
        unsigned = await http.post(
            url + "/slack/events",
            content=b"command=/netops&text=why",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
        )
    assert unsigned.status_code == 401


async def test_the_empty_signing_secret_of_a_socket_mode_bot_is_no_reason_to_refuse(
    netops,
    fake_slack,
    agent,
    own_redis,  # type: ignore[no-untyped-def]
) -> None:
    redis = own_redis()
    port = free_port()
    env = bot_env(
        redis_url=redis.url,
        slack_url=fake_slack.url,
        collaborator_url=agent.url,
        SLACK_APP_TOKEN="xapp-test-token",
        SLACK_SIGNING_SECRET="",
    )
    bot = await netops(["bot", "--host", "127.0.0.1", "--port", str(port)], env)
    await wait_healthy(f"http://127.0.0.1:{port}", bot)
    await fake_slack.wait_for(lambda s: s.of("socket.connect"))
