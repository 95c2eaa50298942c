"""An id with a trailing newline is not an id: `re.match` with `$` accepted "i-0123456789abcdef0\\n"
everywhere an instance, stack, approval or result id was checked."""

from __future__ import annotations

import pytest
import redis.asyncio as aioredis
from a2a.types import Message, Part, Role

from agents.collaborator.requests import read_request
from agents.performance.question import read_names
from agents.performance.tools.plan_script import PlannedChange, build_plan_script
from bot.answer import FixRecommendation
from bot.approvals import Approvals
from bot.results import Results

GOOD = "i-0123456789abcdef0"
WITH_NEWLINE = GOOD + "\n"


def _recommendation(instance_id: str, stack_name: str = "netops-lab") -> FixRecommendation:
    return FixRecommendation("fix_retransmissions", instance_id, stack_name, ("net.core.rmem_max → 1",), "", "")


async def _create(approvals: Approvals, rec: FixRecommendation):  # type: ignore[no-untyped-def]
    return await approvals.create(rec, requester="U1", channel="C1", thread_ts="1.1", result_id="r" * 16, ttl_s=60)


async def test_the_bot_offers_no_approval_for_an_instance_id_with_a_newline(redis_client: aioredis.Redis) -> None:
    approvals = Approvals(redis_client)
    assert await _create(approvals, _recommendation(GOOD)) is not None
    assert await _create(approvals, _recommendation(WITH_NEWLINE)) is None
    assert await _create(approvals, _recommendation(GOOD, "netops-lab\n")) is None


async def test_the_bot_finds_no_approval_or_result_for_an_id_with_a_newline(redis_client: aioredis.Redis) -> None:
    approvals = Approvals(redis_client)
    approval = await _create(approvals, _recommendation(GOOD))
    assert approval is not None and await approvals.get(approval.approval_id) is not None
    assert await approvals.get(approval.approval_id + "\n") is None
    assert await Results(redis_client).get("r" * 16 + "\n") is None


def _remediate(instance_id: str) -> Message:
    data = Part()
    data.data.struct_value.update({"kind": "netops.remediate/v1", "instance_id": instance_id, "approval_token": "t"})
    return Message(role=Role.ROLE_USER, message_id="m1", parts=[Part(text="apply"), data])


def test_the_collaborator_rejects_a_remediation_for_an_instance_id_with_a_newline() -> None:
    assert read_request(_remediate(GOOD)).problem is None
    assert "no valid EC2 instance id" in str(read_request(_remediate(WITH_NEWLINE)).problem)


def test_the_fix_script_is_never_built_for_an_instance_id_with_a_newline() -> None:
    change = [PlannedChange("net.ipv4.tcp_window_scaling", "0", "1")]
    assert GOOD in build_plan_script(GOOD, change)
    with pytest.raises(ValueError):
        build_plan_script(WITH_NEWLINE, change)


def test_the_performance_agent_reads_an_id_with_a_newline_only_as_the_id_before_it() -> None:
    instances, _, _ = read_names(f"why is {WITH_NEWLINE}slow")
    assert instances == (GOOD,)
