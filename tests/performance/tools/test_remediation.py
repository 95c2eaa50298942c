"""The remediation tool: SSM at the protocol boundary (Stubber), the script really run on a SimHost."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from agents.lab.host import SimHost, create_host
from agents.performance.tools.fix_script import build_script
from agents.performance.tools.remediation import apply_fix, dry_run, resolve_instance

INSTANCE = "i-0123456789abcdef0"
COMMAND = "3f2b7c1e-8d4a-4f6b-9c0d-1a2b3c4d5e6f"


@pytest.fixture
def ssm() -> Any:
    client = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    yield client
    client.close()


def _invocation(status: str, host: SimHost | None = None) -> dict:
    """What SSM reports after running the script on `host` (the script's real output)."""
    if host is None:
        return {"CommandId": COMMAND, "InstanceId": INSTANCE, "Status": status}
    result = host.run_script(build_script(INSTANCE))
    return {
        "CommandId": COMMAND,
        "InstanceId": INSTANCE,
        "Status": status if result.exit_code == 0 else "Failed",
        "StandardOutputContent": result.stdout,
        "StandardErrorContent": result.stderr,
    }


def _stub_send(stub: Stubber) -> None:
    stub.add_response(
        "send_command",
        {"Command": {"CommandId": COMMAND}},
        {
            "InstanceIds": [INSTANCE],
            "DocumentName": "AWS-RunShellScript",
            "Comment": ANY,
            "Parameters": ANY,
            "TimeoutSeconds": ANY,
        },
    )


def test_a_fix_that_reads_back_right_is_verified(ssm: Any, tmp_path: Path) -> None:
    host = create_host(tmp_path)
    with Stubber(ssm) as stub:
        _stub_send(stub)
        stub.add_response("get_command_invocation", {"Status": "InProgress"})
        final = _invocation("Success", host)
        stub.add_response("get_command_invocation", final)  # the waiter's success
        stub.add_response("get_command_invocation", final)  # the read of the output
        result = apply_fix(ssm, INSTANCE, poll_interval_s=0.01, timeout_s=1)
        stub.assert_no_pending_responses()
    assert result.verified
    assert result.before["net.core.rmem_max"] == "212992"
    assert result.after["net.core.rmem_max"] == "134217728"
    assert result.before["qdisc"] == "netem loss 3%"
    assert result.error is None


def test_the_waiter_keeps_waiting_while_the_invocation_does_not_exist_yet(ssm: Any, tmp_path: Path) -> None:
    host = create_host(tmp_path)
    with Stubber(ssm) as stub:
        _stub_send(stub)
        stub.add_client_error("get_command_invocation", "InvocationDoesNotExist")
        stub.add_response("get_command_invocation", {"Status": "Pending"})
        stub.add_response("get_command_invocation", {"Status": "Delayed"})
        final = _invocation("Success", host)
        stub.add_response("get_command_invocation", final)
        stub.add_response("get_command_invocation", final)
        result = apply_fix(ssm, INSTANCE, poll_interval_s=0.01, timeout_s=1)
        stub.assert_no_pending_responses()
    assert result.verified


def test_a_failing_script_is_reported_failed_and_not_verified(ssm: Any, tmp_path: Path) -> None:
    host = create_host(tmp_path)
    host.refuse_writes("net.core.rmem_max")
    with Stubber(ssm) as stub:
        _stub_send(stub)
        final = _invocation("Success", host)
        stub.add_response("get_command_invocation", final)
        stub.add_response("get_command_invocation", final)
        result = apply_fix(ssm, INSTANCE, poll_interval_s=0.01, timeout_s=1)
    assert result.status == "Failed"
    assert not result.verified
    assert 'permission denied on key "net.core.rmem_max"' in result.error


def test_a_skipped_key_is_listed_and_does_not_block_verification(ssm: Any, tmp_path: Path) -> None:
    host = create_host(tmp_path, missing_keys=["net.ipv4.tcp_wmem"])
    with Stubber(ssm) as stub:
        _stub_send(stub)
        final = _invocation("Success", host)
        stub.add_response("get_command_invocation", final)
        stub.add_response("get_command_invocation", final)
        result = apply_fix(ssm, INSTANCE, poll_interval_s=0.01, timeout_s=1)
    assert result.skipped == ["net.ipv4.tcp_wmem"]
    assert result.verified


def test_a_send_command_error_is_reported_and_nothing_is_awaited(ssm: Any) -> None:
    with Stubber(ssm) as stub:
        stub.add_client_error("send_command", "InvalidInstanceId", "Instances not in a valid state")
        result = apply_fix(ssm, INSTANCE, poll_interval_s=0.01, timeout_s=1)
        stub.assert_no_pending_responses()
    assert result.status == "NotSent"
    assert not result.verified
    assert result.command_id is None


def test_dry_run_returns_the_exact_script_for_the_instance() -> None:
    rec = dry_run(INSTANCE, "netops-lab", persist=True)
    assert rec.script == build_script(INSTANCE, persist=True)
    assert any("sysctl.d" in c for c in rec.changes)
    assert len(rec.summary) <= 300


def test_resolve_refuses_an_invalid_instance_id_without_calling_aws(aws: Any) -> None:
    resolved = resolve_instance(aws("ec2"), aws("cloudformation"), instance_id="i-123; reboot", stack_name=None)
    assert resolved.instance_id is None
    assert resolved.problems[0].code == "InvalidParameter"


def test_resolve_reports_an_unknown_stack(aws: Any) -> None:
    resolved = resolve_instance(aws("ec2"), aws("cloudformation"), instance_id=None, stack_name="no-such-stack")
    assert resolved.instance_id is None
    assert resolved.problems[0].operation == "cloudformation.resolve_instance"
