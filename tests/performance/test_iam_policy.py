"""deploy/iam-policy.json allows every AWS call the Performance Agent makes, and SendCommand only narrowly.

The agent runs a full diagnosis and an approved fix against the lab (moto plus the lab's Network
Flow Monitor and SSM) while a botocore handler on each of its clients records every operation;
each must map to an Action the policy allows. So a new AWS call without a policy update fails here.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import boto3
import pytest
import redis.asyncio as aioredis
from botocore.stub import ANY, Stubber

from agents.approval_token import ApprovalClaims, sign
from agents.lab import topology
from agents.lab.server import Lab, LabConfig
from agents.performance.agent import PerformanceAgent
from agents.performance.applied import APPLIED_KEY
from agents.performance.approval import FIX_ACTION, USED_KEY
from agents.performance.aws_clients import ClientPool
from agents.performance.llm.bedrock import BedrockConverse
from agents.performance.plans import PLAN_KEY
from agents.settings import load_settings

ROOT = Path(__file__).resolve().parents[2]
POLICY = json.loads((ROOT / "deploy" / "iam-policy.json").read_text())
SECRET = "iam-policy-test-approval-secret"
# sts:GetCallerIdentity needs no permission: AWS answers it even under an explicit Deny.
NEEDS_NO_PERMISSION = {"sts:GetCallerIdentity"}
# Where the IAM action is not "<service>:<Operation>" (botocore's service and operation names).
IAM_PREFIX = {"bedrock-runtime": "bedrock"}
IAM_ACTION = {"s3:ListObjectsV2": "s3:ListBucket", "bedrock:Converse": "bedrock:InvokeModel"}


@dataclass(frozen=True)
class Call:
    action: str  # the IAM action the call needs
    params: dict[str, Any]


def iam_action(service: str, operation: str) -> str:
    action = f"{IAM_PREFIX.get(service, service)}:{operation}"
    return IAM_ACTION.get(action, action)


def record_calls(client: Any, calls: list[Call]) -> None:
    """Record each operation the client makes (paginators and waiters included), before it is sent."""
    service = client.meta.service_model.service_name

    def before(params: dict[str, Any], model: Any, **_: Any) -> None:
        calls.append(Call(iam_action(service, model.name), dict(params)))

    client.meta.events.register("before-parameter-build", before)


def allowed_actions(policy: dict[str, Any]) -> set[str]:
    return {
        action
        for statement in policy["Statement"]
        if statement["Effect"] == "Allow"
        for action in ([statement["Action"]] if isinstance(statement["Action"], str) else statement["Action"])
    }


def resources(statement: dict[str, Any]) -> list[str]:
    value = statement["Resource"]
    return [value] if isinstance(value, str) else list(value)


@dataclass
class Recorded:
    calls: list[Call]
    lab: Lab
    verified: bool


async def _diagnose_and_fix(agent: PerformanceAgent, redis: aioredis.Redis) -> bool:
    async def emit(_text: str) -> None:
        return None

    outcome = await agent.diagnose("why are TCP retransmissions high between app and db?", emit)
    recommendation = outcome.answer.recommendation
    assert recommendation is not None and recommendation.plan_id, "the lab's incident got no fix to approve"
    claims = ApprovalClaims(
        str(uuid.uuid4()),
        FIX_ACTION,
        recommendation.instance_id,
        "U0APPROVER",
        int(time.time()) + 600,
        plan_id=recommendation.plan_id,
    )
    request = {"plan_id": recommendation.plan_id, "approval_token": sign(claims, SECRET)}
    try:
        fixed = await agent.remediate(request, emit)
    finally:
        await redis.delete(USED_KEY.format(claims.approval_id), PLAN_KEY.format(recommendation.plan_id))
        await redis.delete(APPLIED_KEY)
        await redis.aclose()
    return bool(fixed.answer.remediation and fixed.answer.remediation.verified)


@pytest.fixture(scope="module")
def recorded() -> Iterator[Recorded]:
    """One diagnosis and one approved fix against a fresh lab, every AWS operation recorded."""
    with Lab(config=LabConfig(rotation_s=None, ssm_settle_s=0.1)) as lab, pytest.MonkeyPatch.context() as env:
        for name in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN"):
            env.delenv(name, raising=False)
        for name, value in lab.env().items():
            env.setenv(name, value)
        settings = load_settings(
            aws_endpoint_url=lab.url,
            nfm_endpoint_url=lab.url,
            aws_region=lab.region,
            capture_bucket=lab.bucket,
            stack_name=topology.STACK_NAME,
            approval_secret=SECRET,
            aws_max_attempts=1,
            ssm_poll_interval_s=0.05,
        )
        pool = ClientPool(settings)
        calls: list[Call] = []
        for client in vars(pool.get(lab.region)).values():
            record_calls(client, calls)
        # Module-scoped, so not the function-scoped redis_client; the same database the suite uses.
        url, db = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"), os.environ.get("NETOPS_TEST_REDIS_DB", "15")
        redis = aioredis.from_url(url, db=int(db))
        try:
            verified = asyncio.run(_diagnose_and_fix(PerformanceAgent(settings, pool, redis), redis))
            yield Recorded(calls, lab, verified)
        finally:
            pool.close()


def test_every_aws_call_of_a_diagnosis_and_an_approved_fix_is_allowed_by_the_policy(recorded: Recorded) -> None:
    assert recorded.verified, "the fix did not complete, so not every call was exercised"
    made = {c.action for c in recorded.calls}
    assert {
        "ssm:SendCommand",
        "ssm:DescribeInstanceInformation",
        "ec2:DescribeInstanceTypes",
        "s3:GetObject",
        "networkflowmonitor:GetQueryResultsMonitorTopContributors",
    } <= made
    assert made - NEEDS_NO_PERMISSION - allowed_actions(POLICY) == set()


def test_every_command_goes_through_aws_run_shell_script_to_instances_with_the_managed_tag(
    recorded: Recorded,
) -> None:
    """The read-only host looks and the fix alike: nothing else is ever sent."""
    sent = [c for c in recorded.calls if c.action == "ssm:SendCommand"]
    assert len(sent) >= 2, "expected a read-only host look and the fix"
    assert {c.params["DocumentName"] for c in sent} == {"AWS-RunShellScript"}
    targets = sorted({i for c in sent for i in c.params["InstanceIds"]})
    reservations = recorded.lab.client("ec2").describe_instances(InstanceIds=targets)
    for reservation in reservations["Reservations"]:
        for instance in reservation["Instances"]:
            tags = {t["Key"]: t["Value"] for t in instance.get("Tags", [])}
            assert tags.get(topology.MANAGED_TAG) == "true", instance["InstanceId"]


def test_send_command_is_allowed_only_for_aws_run_shell_script_and_tagged_instances() -> None:
    statements = [s for s in POLICY["Statement"] if "ssm:SendCommand" in allowed_actions({"Statement": [s]})]
    by_resource = {r: s for s in statements for r in resources(s)}
    assert set(by_resource) == {"arn:aws:ssm:*::document/AWS-RunShellScript", "arn:aws:ec2:*:*:instance/*"}
    assert "Condition" not in by_resource["arn:aws:ssm:*::document/AWS-RunShellScript"]
    assert by_resource["arn:aws:ec2:*:*:instance/*"]["Condition"] == {
        "StringEquals": {f"ssm:resourceTag/{topology.MANAGED_TAG}": "true"}
    }


def test_the_policy_has_no_wildcard_actions_and_nothing_writes_but_send_command() -> None:
    reads = re.compile(r"^\w[\w-]*:(List|Get|Describe)\w*$")
    queries = re.compile(r"^networkflowmonitor:(Start|Stop)QueryMonitorTopContributors$")
    others = {a for a in allowed_actions(POLICY) if not reads.match(a) and not queries.match(a)}
    assert others == {"ssm:SendCommand", "bedrock:InvokeModel"}
    assert all(s["Effect"] == "Allow" and "*" not in str(s["Action"]) for s in POLICY["Statement"])


def test_every_action_in_the_policy_is_an_operation_the_agent_calls() -> None:
    """Least privilege the other way round: nothing in the policy that no code in the agent calls."""
    source = "\n".join(p.read_text() for p in (ROOT / "agents" / "performance").rglob("*.py"))
    called = {"s3:ListBucket": "list_objects_v2", "bedrock:InvokeModel": "converse"}
    for action in allowed_actions(POLICY):
        operation = action.split(":", 1)[1]
        method = called.get(action) or re.sub(r"(?<!^)(?=[A-Z])", "_", operation).lower()
        assert re.search(rf"\b{method}\b", source), f"{action} is in the policy but the agent never calls {method}"


async def test_the_bedrock_planners_model_call_is_allowed_by_the_policy() -> None:
    client = boto3.client("bedrock-runtime", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    calls: list[Call] = []
    record_calls(client, calls)
    model = "anthropic.claude-3-5-haiku-20241022-v1:0"
    reply = {
        "output": {"message": {"role": "assistant", "content": [{"text": "done"}]}},
        "stopReason": "end_turn",
        "usage": {"inputTokens": 1, "outputTokens": 1, "totalTokens": 2},
        "metrics": {"latencyMs": 1},
    }
    with Stubber(client) as stub:
        expected = {"modelId": model, "system": ANY, "messages": ANY, "toolConfig": ANY, "inferenceConfig": ANY}
        stub.add_response("converse", reply, expected)
        converse = BedrockConverse(client, model)
        tool = {"name": "analyze", "description": "analyze", "parameters": {"type": "object", "properties": {}}}
        await converse.call(converse.start("system", "question"), [tool])
    assert [c.action for c in calls] == ["bedrock:InvokeModel"]
    assert {c.action for c in calls} <= allowed_actions(POLICY)
