"""A failure's path: planned steps after a failed one are recorded as skipped, naming it; the summary
names the first cause."""

from __future__ import annotations

import secrets
import time
import uuid

import httpx
import pytest
import redis.asyncio as aioredis
from a2a.client import A2ACardResolver, ClientConfig, ClientFactory
from a2a.helpers import new_data_part
from a2a.types import Message, Part, Role, SendMessageRequest
from running_stack import running_stack

from agents.approval_token import ApprovalClaims, sign
from agents.performance.plans import HostChanges, StoredPlan, save_plan
from agents.performance.tools.plan_script import PlannedChange
from agents.traceability import CallType, ResponseTrace, StepPlan, StepRecord, TraceStep, start_trace, summarize
from agents.traceability.a2a import traced_send_message
from agents.traceability.model import SKIPPED_STEP_TYPE
from agents.traceability.plan import SKIPPED_BECAUSE


def _skipped(steps: list[StepRecord]) -> dict[str, str]:
    return {s.name: s.additional_attributes[SKIPPED_BECAUSE] for s in steps if s.step_type == SKIPPED_STEP_TYPE}


def test_steps_planned_after_a_failure_are_recorded_as_skipped_naming_it() -> None:
    with (
        start_trace() as tracer,
        TraceStep("remediate", CallType.AGENT) as parent,
        StepPlan(["check", "apply", "verify"]) as plan,
    ):
        try:
            with plan.step("check"):
                raise PermissionError("token already used")
        except PermissionError:
            pass
    skipped = [s for s in tracer.steps if s.step_type == SKIPPED_STEP_TYPE]
    assert _skipped(tracer.steps) == {"apply": "check", "verify": "check"}
    assert {s.parent_step_id for s in skipped} == {parent.step_id}
    assert all(s.error is None and s.latency_ms == 0.0 for s in skipped)  # skipped is not a second failure
    assert summarize(tracer.trace()).failing_step.name == "check"


def test_a_plan_cut_short_without_a_failure_records_nothing() -> None:
    with start_trace() as tracer, StepPlan(["first", "second"]) as plan, plan.step("first"):
        pass  # the caller decided the second step was not needed
    assert [s.name for s in tracer.steps] == ["first"]


def test_a_plan_whose_steps_all_ran_adds_no_skipped_steps_even_when_the_last_failed() -> None:
    with start_trace() as tracer, pytest.raises(TimeoutError), StepPlan(["first", "second"]) as plan:
        with plan.step("first"):
            pass
        with plan.step("second"):
            raise TimeoutError
    assert _skipped(tracer.steps) == {}
    assert [s.name for s in tracer.steps] == ["first", "second"]


def _step(
    step_id: str, parent: str | None, name: str, start: float, end: float, error: str | None = None
) -> StepRecord:
    step = StepRecord(step_id, "t", parent, CallType.TOOL, name, None, start)
    step.end_time, step.latency_ms, step.error = end, (end - start) * 1000, error
    return step


def test_the_failing_step_is_the_first_cause_not_a_deeper_later_symptom() -> None:
    trace = ResponseTrace(
        "t",
        [
            _step("h", None, "question", 0.0, 5.0, error="failed"),
            _step("s3", "h", "s3.list_captures", 0.1, 0.2, error="NoSuchBucket"),  # first, shallow
            _step("an", "h", "analyze", 0.3, 4.0),
            _step("deep", "an", "read capture", 0.4, 3.0),
            _step("deeper", "deep", "s3.get_object", 0.5, 2.9, error="NoSuchKey"),  # later, deeper
        ],
    )
    failing = summarize(trace).failing_step
    assert (failing.name, failing.error) == ("s3.list_captures", "NoSuchBucket")


def test_a_parent_that_failed_because_its_child_did_is_not_the_cause() -> None:
    trace = ResponseTrace(
        "t",
        [
            _step("a", None, "call Performance_Agent", 0.0, 1.0, error="Performance_Agent ended the task FAILED"),
            _step("b", "a", "Performance_Agent", 0.1, 0.9, error="RuntimeError: boom"),
        ],
    )
    assert summarize(trace).failing_step.name == "Performance_Agent"


async def test_an_approval_refused_at_the_redeem_shows_the_apply_as_skipped_because_of_it(
    redis_client: aioredis.Redis,
) -> None:
    async with running_stack() as stack:
        settings, instance = stack.demo.settings, stack.demo.lab.ids.app_instance_id
        plan = StoredPlan(secrets.token_urlsafe(18), "path_loss", (HostChanges(instance, (NETEM,)),))
        await save_plan(redis_client, plan, ttl_s=600)
        other = "i-0" + "1" * 16  # the token approves this plan on another instance: refused at the redeem
        claims = ApprovalClaims(
            str(uuid.uuid4()), "fix_retransmissions", other, "U0APPROVER", int(time.time()) + 600, plan.plan_id
        )
        token = sign(claims, settings.approval_secret.get_secret_value())
        refused = await _remediate(stack.agent_url, instance, token, plan.plan_id)

    assert _skipped(refused.steps) == {"apply_plan": "approval.redeem"}
    failing = summarize(refused).failing_step
    assert failing.name == "approval.redeem" and other in failing.error


NETEM = PlannedChange("qdisc", "netem loss 3%", "removed")


async def _remediate(agent_url: str, instance: str, token: str, plan_id: str) -> ResponseTrace:
    data = {"kind": "netops.remediate/v1", "instance_id": instance, "approval_token": token, "plan_id": plan_id}
    message = Message(
        role=Role.ROLE_USER, message_id=str(uuid.uuid4()), parts=[Part(text="apply TCP fixes"), new_data_part(data)]
    )
    async with httpx.AsyncClient(timeout=60.0) as http:
        card = await A2ACardResolver(http, agent_url).get_agent_card()
        client = ClientFactory(ClientConfig(httpx_client=http, streaming=True)).create(card)
        with start_trace() as tracer:
            async for _ in traced_send_message(client, SendMessageRequest(message=message), agent_name="agent"):
                pass
    return tracer.trace()
