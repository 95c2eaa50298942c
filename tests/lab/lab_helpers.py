"""Helpers the lab's tests share: run a script on a lab host over the lab's SSM, as the agent does."""

from __future__ import annotations

from agents.lab.server import Lab


def run_script(lab: Lab, host: str, *commands: str) -> dict:
    """Run `commands` on a host (a role or an instance id) and wait for the invocation to finish."""
    instance_id = lab.instances.get(host, host)
    ssm = lab.client("ssm")
    command = ssm.send_command(
        DocumentName="AWS-RunShellScript", InstanceIds=[instance_id], Parameters={"commands": list(commands)}
    )["Command"]
    ssm.get_waiter("command_executed").wait(
        CommandId=command["CommandId"], InstanceId=instance_id, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    return ssm.get_command_invocation(CommandId=command["CommandId"], InstanceId=instance_id)
