"""Applying a stored plan over SSM: SSM at the protocol boundary (Stubber), each script really run on a SimHost.

SSM's own "Success" proves nothing: a host is verified only when its script's read-back shows
every planned value. The waiter keeps waiting through SSM's transient states and stops on its
terminal ones; a command that fails, times out or cannot be sent is reported as such.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from agents.lab.host import SimHost, create_host
from agents.performance.plans import HostChanges, StoredPlan
from agents.performance.tools.apply_plan import apply_host, apply_plan
from agents.performance.tools.plan_script import PlannedChange, build_plan_script

INSTANCE = "i-0123456789abcdef0"
COMMAND = "3f2b7c1e-8d4a-4f6b-9c0d-1a2b3c4d5e6f"
CHANGES = (PlannedChange("qdisc", "netem loss 3%", "removed"), PlannedChange("net.core.rmem_max", "212992", "4194304"))
HOST = HostChanges(INSTANCE, CHANGES)


@pytest.fixture
def ssm() -> Any:
    client = boto3.client("ssm", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    yield client
    client.close()


def _ran_on(host: SimHost, status: str = "Success") -> dict:
    """What SSM reports after running the host's plan script on `host` (the script's real output)."""
    result = host.run_script(build_plan_script(INSTANCE, CHANGES))
    return {
        "CommandId": COMMAND,
        "InstanceId": INSTANCE,
        "Status": status if result.exit_code == 0 else "Failed",
        "StandardOutputContent": result.stdout,
        "StandardErrorContent": result.stderr,
    }


def _stub_send(stub: Stubber) -> None:
    expected = {
        "InstanceIds": [INSTANCE],
        "DocumentName": "AWS-RunShellScript",
        "Comment": ANY,
        "Parameters": {"commands": [build_plan_script(INSTANCE, CHANGES)], "executionTimeout": ANY},
        "TimeoutSeconds": ANY,
    }
    stub.add_response("send_command", {"Command": {"CommandId": COMMAND}}, expected)


def _apply(ssm: Any) -> dict:
    return apply_host(ssm, HOST, poll_interval_s=0.01, timeout_s=1)


def test_a_plan_that_reads_back_right_is_verified_with_before_and_after(ssm: Any, tmp_path: Path) -> None:
    host = create_host(tmp_path)
    with Stubber(ssm) as stub:
        _stub_send(stub)
        stub.add_response("get_command_invocation", {"Status": "InProgress"})
        final = _ran_on(host)
        stub.add_response("get_command_invocation", final)  # the waiter's success
        stub.add_response("get_command_invocation", final)  # the read of the output
        result = _apply(ssm)
        stub.assert_no_pending_responses()
    assert (result["status"], result["verified"], result["error"]) == ("Success", True, None)
    assert result["command_id"] == COMMAND
    assert result["before"] == {"qdisc": "netem loss 3%", "net.core.rmem_max": "212992"}
    assert result["after"]["net.core.rmem_max"] == "4194304"
    assert host.sysctl_values()["net.core.rmem_max"] == "4194304"


def test_the_waiter_keeps_waiting_while_the_invocation_does_not_exist_yet(ssm: Any, tmp_path: Path) -> None:
    host = create_host(tmp_path)
    with Stubber(ssm) as stub:
        _stub_send(stub)
        stub.add_client_error("get_command_invocation", "InvocationDoesNotExist")
        stub.add_response("get_command_invocation", {"Status": "Pending"})
        stub.add_response("get_command_invocation", {"Status": "Delayed"})
        final = _ran_on(host)
        stub.add_response("get_command_invocation", final)
        stub.add_response("get_command_invocation", final)
        result = _apply(ssm)
        stub.assert_no_pending_responses()
    assert result["verified"]


def test_a_script_that_fails_on_the_host_is_failed_not_verified_and_the_host_is_restored(
    ssm: Any, tmp_path: Path
) -> None:
    host = create_host(tmp_path)
    host.refuse_writes("net.core.rmem_max")
    with Stubber(ssm) as stub:
        _stub_send(stub)
        final = _ran_on(host)
        stub.add_response("get_command_invocation", final)  # Failed is terminal: the waiter stops
        stub.add_response("get_command_invocation", final)
        result = _apply(ssm)
        stub.assert_no_pending_responses()
    assert (result["status"], result["verified"]) == ("Failed", False)
    assert f"the plan ended Failed on {INSTANCE}" in result["error"]
    assert "what had been changed was restored" in result["error"]
    assert host.qdiscs()["eth0"] == "netem loss 3%"


def test_a_command_that_timed_out_is_reported_timed_out_and_not_verified(ssm: Any) -> None:
    timed_out = {"CommandId": COMMAND, "InstanceId": INSTANCE, "Status": "TimedOut", "StandardOutputContent": ""}
    with Stubber(ssm) as stub:
        _stub_send(stub)
        stub.add_response("get_command_invocation", {"Status": "InProgress"})
        stub.add_response("get_command_invocation", timed_out)
        stub.add_response("get_command_invocation", timed_out)
        result = _apply(ssm)
        stub.assert_no_pending_responses()
    assert (result["status"], result["verified"]) == ("TimedOut", False)
    assert "ended TimedOut" in result["error"]


def test_success_without_a_read_back_is_not_verified(ssm: Any) -> None:
    """What moto does: Success, and no output from a script that never ran."""
    silent = {"CommandId": COMMAND, "InstanceId": INSTANCE, "Status": "Success", "StandardOutputContent": ""}
    with Stubber(ssm) as stub:
        _stub_send(stub)
        stub.add_response("get_command_invocation", silent)
        stub.add_response("get_command_invocation", silent)
        result = _apply(ssm)
    assert (result["status"], result["verified"]) == ("Success", False)
    assert result["error"].startswith("the read-back does not show the plan")


def test_a_send_command_error_is_reported_and_nothing_is_awaited(ssm: Any) -> None:
    with Stubber(ssm) as stub:
        stub.add_client_error("send_command", "InvalidInstanceId", "Instances not in a valid state")
        result = _apply(ssm)
        stub.assert_no_pending_responses()
    assert (result["status"], result["verified"], result["command_id"]) == ("NotSent", False, None)
    assert result["error"]


def test_a_plan_whose_host_failed_is_failed_and_keeps_what_the_host_had(ssm: Any, tmp_path: Path) -> None:
    """The plan's result is its hosts' (several hosts at once: tests/performance/test_remediation_over_a2a.py)."""
    plan = StoredPlan("p" * 24, "path_loss", (HOST,))
    host = create_host(tmp_path)
    host.refuse_writes("net.core.rmem_max")
    with Stubber(ssm) as stub:
        _stub_send(stub)
        final = _ran_on(host)
        stub.add_response("get_command_invocation", final)
        stub.add_response("get_command_invocation", final)
        remediation = apply_plan(ssm, plan, poll_interval_s=0.01, timeout_s=1)
    assert (remediation.status, remediation.verified) == ("Failed", False)
    assert [h["instance_id"] for h in remediation.hosts] == [INSTANCE]
    assert remediation.before == {"qdisc": "netem loss 3%", "net.core.rmem_max": "212992"}
