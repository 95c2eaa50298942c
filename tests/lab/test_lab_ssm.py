"""The lab's SSM Run Command: scripts really run on the simulated hosts (awsJson1_1 over HTTP)."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from botocore.exceptions import ClientError
from lab_helpers import run_script

from agents.lab.scenarios import load_scenario
from agents.lab.server import Lab, LabConfig
from agents.performance.tools.fix_script import build_script, parse_output, verification_problems


def test_send_command_answers_pending_before_the_script_runs(shared_lab: Lab) -> None:
    command = shared_lab.client("ssm").send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[shared_lab.ids.db_instance_id],
        Parameters={"commands": ["true"]},
    )["Command"]
    assert command["Status"] == "Pending"
    assert command["InstanceIds"] == [shared_lab.ids.db_instance_id]


def test_invocation_returns_the_scripts_real_output_from_the_host(shared_lab: Lab) -> None:
    invocation = run_script(shared_lab, shared_lab.ids.app_instance_id, "sysctl -n net.ipv4.tcp_window_scaling")
    assert (invocation["Status"], invocation["ResponseCode"]) == ("Success", 0)
    assert invocation["StandardOutputContent"] == "0\n"


def test_failing_script_is_failed_with_its_exit_code_and_stderr(shared_lab: Lab) -> None:
    ssm = shared_lab.client("ssm")
    instance_id = shared_lab.ids.db_instance_id
    command = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[instance_id],
        Parameters={"commands": ["sysctl -n net.ipv4.no_such_key"]},
    )["Command"]
    with pytest.raises(Exception, match="Failed"):
        ssm.get_waiter("command_executed").wait(
            CommandId=command["CommandId"], InstanceId=instance_id, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
        )
    invocation = ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=instance_id)
    assert invocation["Status"] == "Failed"
    assert invocation["ResponseCode"] != 0
    assert "no_such_key" in invocation["StandardErrorContent"]


def test_instance_outside_the_lab_is_invalid_instance_id(shared_lab: Lab) -> None:
    ssm = shared_lab.client("ssm")
    with pytest.raises(ssm.exceptions.InvalidInstanceId):
        ssm.send_command(
            DocumentName="AWS-RunShellScript", InstanceIds=["i-0123456789abcdef0"], Parameters={"commands": ["true"]}
        )


def test_malformed_instance_id_is_refused_before_anything_runs(shared_lab: Lab) -> None:
    ssm = shared_lab.client("ssm")
    with pytest.raises(ssm.exceptions.InvalidInstanceId):
        ssm.send_command(
            DocumentName="AWS-RunShellScript", InstanceIds=["i-1; rm -rf /"], Parameters={"commands": ["true"]}
        )


def test_other_documents_are_invalid_document(shared_lab: Lab) -> None:
    ssm = shared_lab.client("ssm")
    with pytest.raises(ssm.exceptions.InvalidDocument):
        ssm.send_command(
            DocumentName="AWS-RunPowerShellScript",
            InstanceIds=[shared_lab.ids.app_instance_id],
            Parameters={"commands": ["true"]},
        )


def test_unknown_invocation_is_invocation_does_not_exist(shared_lab: Lab) -> None:
    ssm = shared_lab.client("ssm")
    with pytest.raises(ssm.exceptions.InvocationDoesNotExist):
        ssm.get_command_invocation(
            CommandId="00000000-0000-0000-0000-000000000000", InstanceId=shared_lab.ids.app_instance_id
        )


def test_lab_instances_are_online_managed_instances(shared_lab: Lab) -> None:
    listed = shared_lab.client("ssm").describe_instance_information()["InstanceInformationList"]
    assert {i["InstanceId"] for i in listed} == set(shared_lab.instances.values())
    assert {i["PingStatus"] for i in listed} == {"Online"}


def test_other_ssm_operations_still_reach_moto(shared_lab: Lab) -> None:
    ssm = shared_lab.client("ssm")
    ssm.put_parameter(Name="/netops/test", Value="kept", Type="String")
    assert ssm.get_parameter(Name="/netops/test")["Parameter"]["Value"] == "kept"


def test_agents_fix_script_heals_the_host_and_verifies(fresh_lab: Lab) -> None:
    instance_id = fresh_lab.ids.app_instance_id
    invocation = run_script(fresh_lab, instance_id, build_script(instance_id))
    report = parse_output(invocation["StandardOutputContent"])
    assert invocation["Status"] == "Success"
    assert report.before["qdisc"] == "netem loss 3%"
    assert verification_problems(report) == []
    assert fresh_lab.app_host.is_healthy()


def test_command_listing_shows_the_finished_invocation(fresh_lab: Lab) -> None:
    instance_id = fresh_lab.ids.db_instance_id
    invocation = run_script(fresh_lab, instance_id, "echo hello")
    listed = fresh_lab.client("ssm").list_command_invocations(CommandId=invocation["CommandId"], Details=True)
    [entry] = listed["CommandInvocations"]
    assert entry["Status"] == "Success"
    assert entry["CommandPlugins"][0]["Output"] == "hello\n"


def test_a_host_the_scenario_leaves_unmanaged_is_refused_as_aws_does(tmp_path: Path) -> None:
    data = yaml.safe_load((Path(__file__).parents[2] / "agents/lab/scenarios/healthy.yaml").read_text())
    data["hosts"]["db"]["ssm_managed"] = False
    path = tmp_path / "unmanaged-db.yaml"
    path.write_text(yaml.safe_dump(data))
    with Lab(config=LabConfig(scenario=load_scenario(path), rotation_s=None)) as lab:
        with pytest.raises(ClientError) as refused:
            run_script(lab, "db", "sysctl -n net.ipv4.tcp_rmem")
        listed = lab.client("ssm").describe_instance_information()["InstanceInformationList"]
    assert refused.value.response["Error"]["Code"] == "InvalidInstanceId"
    assert lab.instances["db"] not in {i["InstanceId"] for i in listed}
