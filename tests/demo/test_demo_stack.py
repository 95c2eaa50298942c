"""How the demo wires its parts: settings pointed at the lab, the planner, the Redis choice."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from agents.demo.stack import choose_redis, demo_planner, lab_settings, planner_note
from agents.lab import topology
from agents.lab.server import Lab, LabConfig
from agents.settings import load_settings


@pytest.fixture(scope="module")
def lab() -> Iterator[Lab]:
    with Lab(config=LabConfig(rotation_s=None)) as running:
        yield running


def test_settings_point_every_tool_at_the_lab_and_the_local_agents(lab: Lab) -> None:
    settings = lab_settings(
        load_settings(), lab, agent_url="http://127.0.0.1:1/", collaborator_url="http://127.0.0.1:2/"
    )
    assert (settings.aws_endpoint_url, settings.nfm_endpoint_url) == (lab.url, lab.url)
    assert (settings.capture_bucket, settings.stack_name) == (lab.bucket, topology.STACK_NAME)
    assert settings.agent_urls == ["http://127.0.0.1:1/"]
    assert settings.collaborator_url == "http://127.0.0.1:2/"


def test_an_operators_own_settings_survive_and_a_missing_approval_secret_is_made_up(lab: Lab) -> None:
    base = load_settings(approvers=["U123"], request_timeout_s=42.0)
    settings = lab_settings(base, lab, agent_url="http://127.0.0.1:1/", collaborator_url="http://127.0.0.1:2/")
    assert settings.approvers == ["U123"]
    assert settings.request_timeout_s == 42.0
    assert settings.approval_secret is not None and len(settings.approval_secret.get_secret_value()) >= 32


def test_bedrock_planner_mode_falls_back_to_the_built_in_planner_and_says_so() -> None:
    settings = load_settings(llm_mode="bedrock", llm_model="anthropic.claude")
    assert demo_planner(settings) is None
    assert "ignored" in planner_note(settings)


async def test_redis_that_does_not_answer_is_replaced_by_an_embedded_one() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    choice = await choose_redis(f"redis://127.0.0.1:{port}/0")
    client = choice.make()
    try:
        assert choice.embedded
        await client.set("k", "v")
        assert await choice.make().get("k") == b"v"  # every part shares the one embedded server
    finally:
        await client.aclose()


async def test_a_password_in_the_redis_url_never_reaches_the_banner() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    choice = await choose_redis(f"redis://user:s3cret@127.0.0.1:{port}/0")
    assert "s3cret" not in choice.description
