"""Tool: apply the TCP fix to one instance over SSM, and verify it by reading the values back.

The instance is the one named, or the one the CloudFormation stack declares (outputs first,
then resources, as the seed did); either way its id is validated before it reaches AWS or
the script. A dry run returns the exact script without sending anything (the confirm
dialog shows it). A real run sends one `AWS-RunShellScript` command and waits by the SSM
`command_executed` waiter's rules (Pending, InProgress, Delayed and InvocationDoesNotExist
mean keep waiting). `verified` is true only when the command succeeded and its read-back
shows the fixed values; SSM's "Success" alone proves nothing.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import WaiterError

from agents.performance.answer import Recommendation, Remediation
from agents.performance.tools.aws import AwsProblem, StepFailed, aws_step
from agents.performance.tools.fix_script import (
    INSTANCE_ID_RE,
    build_script,
    parse_output,
    planned_changes,
    verification_problems,
)

STACK_NAME_RE = re.compile(r"^[A-Za-z][-A-Za-z0-9]{0,127}$")


@dataclass
class Resolved:
    instance_id: str | None
    stack_name: str | None
    problems: list[AwsProblem]


def _invalid(operation: str, message: str, advice: str) -> AwsProblem:
    return AwsProblem(operation=operation, code="InvalidParameter", message=message, advice=advice)


def resolve_instance(ec2: Any, cloudformation: Any, *, instance_id: str | None, stack_name: str | None) -> Resolved:
    """The instance to fix, checked against EC2; problems say why none could be found."""
    problems: list[AwsProblem] = []
    if instance_id is not None and not INSTANCE_ID_RE.fullmatch(instance_id):
        problems.append(
            _invalid(
                "resolve_instance",
                f"{instance_id!r} is not an EC2 instance id",
                "Name the instance as i- followed by 8 or 17 hex digits.",
            )
        )
        return Resolved(None, stack_name, problems)
    if instance_id is None:
        if not stack_name or not STACK_NAME_RE.fullmatch(stack_name):
            problems.append(
                _invalid(
                    "resolve_instance",
                    f"no instance id was given and {stack_name!r} is not a CloudFormation stack name",
                    "Name the instance (i-…) or the stack in the request.",
                )
            )
            return Resolved(None, stack_name, problems)
        with aws_step(
            "cloudformation.resolve_instance", problems, parameters={"stack": stack_name}, resource=stack_name
        ):
            instance_id = _instance_from_stack(cloudformation, stack_name)
            if instance_id is None:
                raise StepFailed(
                    _invalid(
                        "cloudformation.resolve_instance",
                        f"stack {stack_name} declares no EC2 instance",
                        "Name the instance (i-…) in the request, or check the stack's outputs.",
                    )
                )
        if problems:
            return Resolved(None, stack_name, problems)
    with aws_step("ec2.describe_instances", problems, parameters={"instance_id": instance_id}, resource=instance_id):
        ec2.describe_instances(InstanceIds=[instance_id])
    return Resolved(None if problems else instance_id, stack_name, problems)


def _instance_from_stack(cloudformation: Any, stack_name: str) -> str | None:
    stacks = cloudformation.describe_stacks(StackName=stack_name).get("Stacks", [])
    for output in stacks[0].get("Outputs", []) if stacks else []:
        value = str(output.get("OutputValue", ""))
        if "instance" in output.get("OutputKey", "").lower() and INSTANCE_ID_RE.fullmatch(value):
            return value
    resources = cloudformation.describe_stack_resources(StackName=stack_name).get("StackResources", [])
    for resource in resources:
        value = str(resource.get("PhysicalResourceId", ""))
        if resource.get("ResourceType") == "AWS::EC2::Instance" and INSTANCE_ID_RE.fullmatch(value):
            return value
    return None


def dry_run(instance_id: str, stack_name: str | None, *, persist: bool) -> Recommendation:
    """The recommendation the confirm dialog shows: the exact script, sent to nobody."""
    changes = planned_changes(persist=persist)
    return Recommendation(
        instance_id=instance_id,
        stack_name=stack_name,
        changes=changes,
        script=build_script(instance_id, persist=persist),
        summary=f"Raise TCP buffers to 128 MB, enable window scaling and remove injected packet loss on {instance_id}.",
    )


def apply_fix(
    ssm: Any,
    instance_id: str,
    *,
    persist: bool = False,
    poll_interval_s: float = 2.0,
    timeout_s: float = 120.0,
) -> Remediation:
    """Send the script once, wait for it, and verify the read-back."""
    script = build_script(instance_id, persist=persist)
    problems: list[AwsProblem] = []
    command_id: str | None = None
    with aws_step("ssm.send_command", problems, parameters={"instance_id": instance_id}, resource=instance_id) as step:
        sent = ssm.send_command(
            InstanceIds=[instance_id],
            DocumentName="AWS-RunShellScript",
            Comment="netops fix_retransmissions",
            Parameters={"commands": [script], "executionTimeout": [str(int(timeout_s))]},
            TimeoutSeconds=max(30, int(timeout_s)),
        )
        command_id = sent["Command"]["CommandId"]
        step.set_attribute("command_id", command_id)
    if command_id is None:
        return Remediation(instance_id, None, "NotSent", False, error=problems[0].advice if problems else None)

    status, stdout, stderr = "Unknown", "", ""
    with aws_step("ssm.wait_command", problems, parameters={"command_id": command_id}) as step:
        waiter = ssm.get_waiter("command_executed")
        try:
            waiter.wait(
                CommandId=command_id,
                InstanceId=instance_id,
                WaiterConfig={"Delay": poll_interval_s, "MaxAttempts": max(1, math.ceil(timeout_s / poll_interval_s))},
            )
        except WaiterError as exc:
            # A terminal failure (Failed, Cancelled, TimedOut) or too many attempts: the invocation says which.
            step.set_attribute("waiter", str((exc.last_response or {}).get("Status", exc)))
        invocation = ssm.get_command_invocation(CommandId=command_id, InstanceId=instance_id)
        status = invocation.get("Status", "Unknown")
        stdout = invocation.get("StandardOutputContent", "")
        stderr = invocation.get("StandardErrorContent", "")
        step.set_attribute("status", status)

    report = parse_output(stdout)
    issues = verification_problems(report)
    error = None
    if problems:
        error = problems[0].advice
    elif status != "Success":
        error = f"The fix command ended {status}: {stderr.strip()[-300:] or 'no error output'}."
    elif issues:
        error = "The command succeeded but the read-back does not show the fix: " + "; ".join(issues) + "."
    return Remediation(
        instance_id=instance_id,
        command_id=command_id,
        status=status,
        verified=status == "Success" and not issues and not problems,
        before=report.before,
        after=report.after,
        skipped=report.skipped,
        error=error,
    )
