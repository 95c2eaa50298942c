"""Remediation over real A2A: an approval names a stored plan; it is checked, used once; only then SSM.

The plans are stored with `plans.save_plan`, as the agent stores a recommendation's plan, so each
test states exactly which hosts and changes an approval stands for. moto's SSM answers Success
without running scripts; the plan script itself and its read-back are tested on simulated hosts
(tests/performance/tools/test_apply_plan.py, tests/performance/diagnosis/test_plan_script.py).
"""

from __future__ import annotations

import secrets
import time
import uuid
from typing import Any

import jsonschema
import pytest
import redis.asyncio as aioredis
from a2a.helpers import new_data_part
from a2a.types import Part
from perf_harness import agent_settings, ask, serve_performance_agent

from agents.approval_token import ApprovalClaims, sign
from agents.performance.answer import ANSWER_SCHEMA
from agents.performance.applied import APPLIED_KEY
from agents.performance.plans import HostChanges, StoredPlan, save_plan
from agents.performance.tools.plan_script import PlannedChange, build_plan_script

SECRET = "test-approval-secret"
SCALING = PlannedChange("net.ipv4.tcp_window_scaling", "0", "1")
RMEM_MAX = PlannedChange("net.core.rmem_max", "212992", "4194304")


def _plan(*instances: str) -> StoredPlan:
    hosts = tuple(HostChanges(i, (SCALING, RMEM_MAX)) for i in instances)
    return StoredPlan(plan_id=secrets.token_urlsafe(18), cause="window_scaling_disabled", hosts=hosts)


async def _stored(redis: aioredis.Redis, *instances: str) -> StoredPlan:
    plan = _plan(*instances)
    await save_plan(redis, plan, ttl_s=600)
    return plan


def _token(
    instance: str,
    plan_id: str,
    *,
    expires_in: float = 600,
    action: str = "fix_retransmissions",
    secret: str = SECRET,
) -> str:
    claims = ApprovalClaims(
        str(uuid.uuid4()), action, instance, "U0APPROVER", int(time.time() + expires_in), plan_id=plan_id
    )
    return sign(claims, secret)


def _request(instance: str | None, plan_id: str | None, token: str | None) -> list[Part]:
    data: dict[str, Any] = {"kind": "netops.remediate/v1"}
    for key, value in (("instance_id", instance), ("plan_id", plan_id), ("approval_token", token)):
        if value is not None:
            data[key] = value
    return [Part(text=f"apply the approved plan to {instance or 'the hosts'}"), new_data_part(data)]


def _commands(aws: Any) -> list[dict]:
    return aws("ssm").list_commands()["Commands"]


async def test_remediation_without_an_approval_is_refused_and_nothing_reaches_ssm(
    perf_agent, lab, http, aws, redis_client
) -> None:
    plan = await _stored(redis_client, lab.client_instance)
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, plan.plan_id, None))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "no approval token was given" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_an_expired_approval_is_refused(perf_agent, lab, http, aws, redis_client) -> None:
    plan = await _stored(redis_client, lab.client_instance)
    token = _token(lab.client_instance, plan.plan_id, expires_in=-1)
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, plan.plan_id, token))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "expired" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_a_tampered_approval_is_refused(perf_agent, lab, http, aws, redis_client) -> None:
    plan = await _stored(redis_client, lab.client_instance)
    token = _token(lab.client_instance, plan.plan_id, secret="someone-elses-secret")
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, plan.plan_id, token))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "signature does not match" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_an_approval_of_another_plan_is_refused(perf_agent, lab, http, aws, redis_client) -> None:
    """A token approving plan B cannot apply plan A, even for the same host."""
    approved, other = await _stored(redis_client, lab.client_instance), await _stored(redis_client, lab.client_instance)
    token = _token(lab.client_instance, approved.plan_id)
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, other.plan_id, token))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "not for this plan" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_an_approval_for_another_instance_than_the_plans_is_refused(
    perf_agent, lab, http, aws, redis_client
) -> None:
    plan = await _stored(redis_client, lab.client_instance)
    token = _token(lab.db_instance, plan.plan_id)
    reply = await ask(http, perf_agent.url, *_request(None, plan.plan_id, token))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert f"the approval is for {lab.db_instance}, not {lab.client_instance}" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_a_request_aimed_at_another_instance_than_the_plans_is_refused(
    perf_agent, lab, http, aws, redis_client
) -> None:
    plan = await _stored(redis_client, lab.client_instance)
    token = _token(lab.client_instance, plan.plan_id)
    reply = await ask(http, perf_agent.url, *_request(lab.db_instance, plan.plan_id, token))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "not for this plan" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


@pytest.mark.parametrize("plan_id", ["never-stored-plan-id-0001", "../../etc/passwd", None])
async def test_an_approval_naming_no_stored_plan_is_refused(perf_agent, lab, http, aws, plan_id) -> None:
    token = _token(lab.client_instance, plan_id or "")
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, plan_id, token))
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "names no plan the agent still has" in reply.data["remediation"]["error"]
    assert _commands(aws) == []


async def test_a_valid_approval_sends_the_stored_plans_script_once(perf_agent, lab, http, aws, redis_client) -> None:
    plan = await _stored(redis_client, lab.client_instance)
    token = _token(lab.client_instance, plan.plan_id)
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, plan.plan_id, token))
    jsonschema.validate(reply.data, ANSWER_SCHEMA)
    [command] = _commands(aws)
    assert command["DocumentName"] == "AWS-RunShellScript"
    assert command["Parameters"]["commands"] == [build_plan_script(lab.client_instance, plan.hosts[0].changes)]
    remediation = reply.data["remediation"]
    assert remediation["command_id"] == command["CommandId"]
    # moto answers Success without running the script, so there is no read-back to verify.
    assert remediation["status"] == "Success"
    assert remediation["verified"] is False
    assert "the read-back does not show the plan" in remediation["error"]


async def test_a_plan_for_two_hosts_sends_one_command_to_each(perf_agent, lab, http, aws, redis_client) -> None:
    plan = await _stored(redis_client, lab.client_instance, lab.db_instance)
    token = _token(lab.client_instance, plan.plan_id)
    reply = await ask(http, perf_agent.url, *_request(None, plan.plan_id, token))
    commands = _commands(aws)
    assert len(commands) == 2
    ssm = aws("ssm")
    sent_to = {}
    for command in commands:
        [script] = command["Parameters"]["commands"]
        host = next(i for i in (lab.client_instance, lab.db_instance) if i in script)
        assert ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=host)["Status"]
        sent_to[host] = script
    assert sent_to == {h.instance_id: build_plan_script(h.instance_id, h.changes) for h in plan.hosts}
    assert [h["instance_id"] for h in reply.data["remediation"]["hosts"]] == [lab.client_instance, lab.db_instance]


async def test_a_plan_whose_read_back_does_not_verify_is_not_remembered_as_applied(
    perf_agent, lab, http, redis_client
) -> None:
    """moto's SSM answers Success and runs nothing, so nothing reads back: an unconfirmed change must not cut a
    later question's window or be offered for undo. (The verified path runs on the lab: tests/demo, the evals.)"""
    plan = await _stored(redis_client, lab.client_instance)
    token = _token(lab.client_instance, plan.plan_id)
    reply = await ask(http, perf_agent.url, *_request(lab.client_instance, plan.plan_id, token))
    assert reply.data["remediation"]["verified"] is False
    assert await redis_client.zrange(APPLIED_KEY, 0, -1) == []
    assert reply.data["remediation"]["undo"] is None


async def test_an_approval_redeemed_again_returns_the_first_result_and_sends_nothing_more(
    perf_agent, lab, http, aws, redis_client
) -> None:
    """A bot replica that died mid-apply and the one that took its job over send the same approval twice: the
    second hears what the first did (not "already used", which would make the thread say "failed")."""
    plan = await _stored(redis_client, lab.client_instance)
    token = _token(lab.client_instance, plan.plan_id)
    first = await ask(http, perf_agent.url, *_request(lab.client_instance, plan.plan_id, token))
    again = await ask(http, perf_agent.url, *_request(lab.client_instance, plan.plan_id, token))
    assert first.final_state == again.final_state == "TASK_STATE_COMPLETED"
    assert again.data["remediation"]["command_id"] == first.data["remediation"]["command_id"]
    assert again.data["remediation"]["status"] == first.data["remediation"]["status"]
    assert len(_commands(aws)) == 1


async def test_without_redis_the_approval_cannot_be_checked_and_nothing_reaches_ssm(moto_url, lab, http, aws) -> None:
    plan = _plan(lab.client_instance)  # the agent cannot reach the Redis it would be stored in
    unreachable = aioredis.from_url("redis://127.0.0.1:1/0", socket_connect_timeout=1)
    async with serve_performance_agent(agent_settings(moto_url), unreachable) as agent:
        token = _token(lab.client_instance, plan.plan_id)
        reply = await ask(http, agent.url, *_request(lab.client_instance, plan.plan_id, token))
    await unreachable.aclose()
    assert reply.final_state == "TASK_STATE_REJECTED"
    assert "Redis is unreachable" in reply.data["remediation"]["error"]
    assert _commands(aws) == []
