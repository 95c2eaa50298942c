"""`netops bot`'s HTTP surface and start-up: health, readiness, settings errors, rate limits, audit."""

from __future__ import annotations

import asyncio
import contextlib
import json
from urllib.parse import parse_qs

import pytest
import redis.asyncio as aioredis
from bot_fake_agent import FakeAgent
from bot_fake_slack import FakeSlack, block_text
from bot_harness import Harness, make_settings, redis_url_of
from bot_slack_requests import JSON, command_body, post_signed

from agents.cli import main
from agents.settings import SettingsError, load_settings
from bot.audit import AuditLog
from bot.server import check_settings, serve


async def test_healthz_and_readyz_answer_when_redis_and_the_collaborator_do(harness: Harness) -> None:
    assert (await harness.http.get(harness.url + "/healthz")).json() == {"status": "ok"}
    ready = await harness.http.get(harness.url + "/readyz")
    assert ready.status_code == 200 and ready.json() == {"status": "ok", "redis": "ok", "collaborator": "ok"}


async def test_readyz_is_503_and_names_the_collaborator_when_it_is_down(harness_factory, closed_port_url) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(collaborator_url=closed_port_url)
    ready = await harness.http.get(harness.url + "/readyz")
    assert ready.status_code == 503
    assert ready.json()["collaborator"] == f"no agent card at {closed_port_url}"
    assert (await harness.http.get(harness.url + "/healthz")).status_code == 200


async def test_slack_429_is_waited_out_and_the_message_still_posted(harness: Harness) -> None:
    harness.slack.rate_limit_next["chat.postMessage"] = 1
    await harness.command("why?")
    await harness.slack.wait_for(
        lambda s: any("Packet loss" in block_text(m.get("blocks")) for m in s.messages().values())
    )
    assert harness.slack.rate_limit_next["chat.postMessage"] == 0


def test_http_mode_without_a_signing_secret_fails_with_one_line() -> None:
    settings = load_settings(slack_bot_token="xoxb-1", slack_signing_secret=None, slack_app_token=None)
    with pytest.raises(SettingsError, match="SLACK_SIGNING_SECRET") as info:
        check_settings(settings)
    assert "\n" not in str(info.value)


def test_socket_mode_needs_no_signing_secret() -> None:
    check_settings(load_settings(slack_bot_token="xoxb-1", slack_signing_secret=None, slack_app_token="xapp-1"))


async def test_netops_audit_prints_entries_oldest_first(
    redis_client: aioredis.Redis, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    audit = AuditLog(redis_client)
    await audit.record("approved", approval_id="abc", user="UAPPROVE1", instance_id="i-0abc1234def567890")
    await audit.record("fix_result", approval_id="abc", status="applied")
    monkeypatch.setenv("REDIS_URL", redis_url_of(redis_client))
    # main() runs its own event loop: run it in a worker thread, as the CLI would run in its own process.
    assert await asyncio.to_thread(main, ["audit"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 2
    assert "approved" in lines[0] and "instance_id=i-0abc1234def567890" in lines[0] and "user=UAPPROVE1" in lines[0]
    assert "fix_result" in lines[1] and "status=applied" in lines[1]


def test_netops_audit_says_what_to_do_when_redis_is_unreachable(
    closed_port_url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("REDIS_URL", closed_port_url.replace("http://", "redis://") + "/0")
    assert main(["audit"]) == 1
    assert "unreachable" in capsys.readouterr().err


async def test_socket_mode_acks_an_envelope_and_answers_in_the_thread(
    redis_client: aioredis.Redis, fake_slack: FakeSlack, agent: FakeAgent
) -> None:
    settings = make_settings(
        redis_client, fake_slack.url, collaborator_url=agent.url, slack_app_token="xapp-test-token"
    )
    bot = asyncio.create_task(serve(settings, port=0, host="127.0.0.1"))
    try:
        await fake_slack.wait_for(lambda s: s.of("socket.connect"))
        payload = parse_qs(command_body("why is payments slow?").decode())
        envelope = {
            "envelope_id": "env-1",
            "type": "slash_commands",
            "accepts_response_payload": True,
            "payload": {key: values[0] for key, values in payload.items()},
        }
        await fake_slack.send_envelope(envelope)
        acks = await fake_slack.wait_for(lambda s: [a for a in s.socket_acks if a.get("envelope_id") == "env-1"])
        assert acks[0].get("payload") in (None, {})  # the empty ack: the answer goes in a thread
        await fake_slack.wait_for(
            lambda s: any("Packet loss" in block_text(m.get("blocks")) for m in s.messages().values())
        )
    finally:
        bot.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await bot


async def test_slacks_url_verification_challenge_is_answered_in_http_mode(harness: Harness) -> None:
    body = json.dumps(
        {
            "token": "legacy",
            "challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P",
            "type": "url_verification",
        }
    )
    response = await post_signed(harness.http, harness.url, body.encode(), JSON)
    assert response.status_code == 200
    assert response.json() == {"challenge": "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P"}


async def test_a_slack_request_is_answered_with_the_apps_server_timing(harness: Harness) -> None:
    response = await harness.command("why is payments slow?")
    assert response.status_code == 200
    name, _, duration = response.headers["server-timing"].partition(";dur=")
    assert name == "app" and float(duration) >= 0
