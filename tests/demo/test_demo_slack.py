"""`netops demo` with Slack tokens: the real bot in Socket Mode, answering from the lab.

Slack itself is the one part that cannot run here: the bot's own fake Slack (Web API and the
Socket Mode WebSocket, from tests/bot) stands in at the protocol boundary.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs

import pytest
from demo_process import redis_url_for_tests

from agents.demo.run import DemoOptions, run
from agents.lab.server import LAB_CREDENTIALS, SERVICES
from agents.settings import load_settings

BOT_TESTS = Path(__file__).resolve().parents[1] / "bot"


def _bot_helper(name: str) -> ModuleType:
    """One of the bot's test helpers (its fake Slack), loaded by path: test dirs are not packages."""
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, BOT_TESTS / f"{name}.py")
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


FakeSlack = _bot_helper("bot_fake_slack").FakeSlack
block_text = _bot_helper("bot_fake_slack").block_text
command_body = _bot_helper("bot_slack_requests").command_body

QUESTION = "why are TCP retransmissions high between app and db?"


@pytest.fixture
def isolated_aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The demo points this process's AWS environment at its lab; undo that after the test."""
    names = ["AWS_ENDPOINT_URL", "AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_SESSION_TOKEN"]
    names += [f"AWS_ENDPOINT_URL_{service}" for service in SERVICES]
    names += [name.upper() for name in LAB_CREDENTIALS]
    names += ["NETOPS_CAPTURE_BUCKET", "NETOPS_CAPTURE_PREFIX", "NETOPS_STACK_NAME", "AWS_SECURITY_TOKEN"]
    for name in names:
        monkeypatch.delenv(name, raising=False)


async def test_with_slack_tokens_the_demo_answers_a_slash_command_in_socket_mode(isolated_aws_env: None) -> None:
    slack = FakeSlack()
    await slack.start()
    settings = load_settings(
        slack_bot_token="xoxb-test-token",  # the tokens the fake Slack accepts
        slack_app_token="xapp-test-token",
        slack_api_url=slack.url,
        redis_url=redis_url_for_tests(),  # the tests' own database, never the operator's
    )
    lines: list[str] = []
    demo = asyncio.create_task(run(settings, DemoOptions(), write=lines.append))
    try:
        connected = asyncio.create_task(slack.wait_for(lambda s: s.of("socket.connect"), within=120))
        await asyncio.wait({connected, demo}, return_when=asyncio.FIRST_COMPLETED)
        if demo.done():
            connected.cancel()
            raise AssertionError(f"the demo stopped before connecting to Slack: {demo.exception()!r}")
        await connected
        assert any("surface: Slack, Socket Mode" in line for line in lines)
        payload = parse_qs(command_body(QUESTION).decode())
        await slack.send_envelope(
            {
                "envelope_id": "env-demo-1",
                "type": "slash_commands",
                "accepts_response_payload": True,
                "payload": {key: values[0] for key, values in payload.items()},
            }
        )
        answered = await slack.wait_for(
            lambda s: [
                m
                for m in s.messages().values()
                if "Packet loss on 10.0.1.10 → 10.0.2.20:5432" in block_text(m.get("blocks"))
            ],
            within=60,
        )
        assert answered
    finally:
        demo.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await demo
        await slack.stop()
