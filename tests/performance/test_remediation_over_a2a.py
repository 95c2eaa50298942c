"""Remediation over real A2A: an approval is required, checked, used once; only then one SSM command."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jsonschema
import redis.asyncio as aioredis
from a2a.helpers import new_data_part
from a2a.types import Part
from perf_harness import agent_settings, ask, serve_performance_agent

from agents.approval_token import ApprovalClaims, sign
from agents.performance.answer import ANSWER_SCHEMA

SECRET = "test-approval-secret"


def _token(instance: str, *, expires_in: float = 600, action: str = "fix_retransmissions", secret: str = SECRET) -> str:
    claims = ApprovalClaims(str(uuid.uuid4()), action, instance, "U0APPROVER", int(time.time() + expires_in))
    return sign(claims, secret)


def _request(instance: str, token: str | None) -> list[Part]:
    data: dict[str, Any] = {"kind": "netops.remediate/v1", "instance_id": instance, "stack_name": "netops-lab"}
    if token is not None:
        data["approval_token"] = token
    return [Part(text=f"apply TCP fixes to {instance}"), new_data_part(data)]


def _commands(aws: Any) -> list[dict]:
    return aws("ssm").list_commands()["Commands"]


async def test_remediation_without_an_approval_is_refused_and_nothing_reaches_ssm(perf_agent, lab, http, aws) -> None:
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, None))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "no approval token was given" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_an_expired_approval_is_refused(perf_agent, lab, http, aws) -> None:
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, _token(lab.client_instance, expires_in=-1)))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "expired" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_a_tampered_approval_is_refused(perf_agent, lab, http, aws) -> None:
    token = _token(lab.client_instance, secret="someone-elses-secret")
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, token))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "signature does not match" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_an_approval_for_another_instance_is_refused(perf_agent, lab, http, aws) -> None:
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, _token(lab.db_instance)))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert f"the approval is for {lab.db_instance}" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_a_valid_approval_sends_exactly_one_ssm_command(perf_agent, lab, http, aws) -> None:
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, _token(lab.client_instance)))
    jsonschema.validate(reply.data, ANSWER_SCHEMA)
    [command] = _commands(aws)
    assert command["DocumentName"] == "AWS-RunShellScript"
    # moto lists every instance in InstanceIds when a command has no Targets; the invocation is exact.
    ssm = aws("ssm")
    assert ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=lab.client_instance)["Status"]
    assert "sysctl -q -w" in command["Parameters"]["commands"][0]
    remediation = reply.data["remediation"]
    assert remediation["command_id"] == command["CommandId"]
    # moto answers Success without running the script, so there is no read-back to verify.
    assert remediation["status"] == "Success"
    assert remediation["verified"] is False
    assert "read-back does not show the fix" in remediation["error"]


async def test_a_replayed_approval_is_refused_and_sends_nothing_more(perf_agent, lab, http, aws) -> None:
    token = _token(lab.client_instance)
    await ask(http, perf_agent.url, *_request(lab.client_instance, token))
    replay = await ask(http, perf_agent.url, *_request(lab.client_instance, token))
    assert replay.final_state == "TASK_STATE_REJECTED"
    assert "already used" in replay.data["remediation"]["error"]
    assert len(_commands(aws)) == 1


async def test_the_instance_comes_from_the_stack_when_none_is_named(perf_agent, lab, http, aws) -> None:
    data = {"kind": "netops.remediate/v1", "stack_name": "netops-lab", "approval_token": _token(lab.stack_instance)}
    reply = await ask(http, perf_agent.url, Part(text="apply TCP fixes"), new_data_part(data))
    [command] = _commands(aws)
    assert reply.data["remediation"]["instance_id"] == lab.stack_instance
    assert reply.data["remediation"]["command_id"] == command["CommandId"]


async def test_without_redis_the_approval_cannot_be_checked_and_nothing_reaches_ssm(moto_url, lab, http, aws) -> None:
    unreachable = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    async with serve_performance_agent(agent_settings(moto_url), unreachable) as agent:
        reply = await ask(http, agent.url, *_request(lab.client_instance, _token(lab.client_instance)))
    await unreachable.aclose()
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "Redis is unreachable" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_an_instance_that_does_not_exist_is_refused_before_ssm(perf_agent, http, aws) -> None:
    ghost = "i-0123456789abcdef0"
    reply = await ask(http, perf_agent.url, *_request(ghost, _token(ghost)))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "could not find" in reply.data["remediation"]["error"]
    assert _commands(aws) == []
