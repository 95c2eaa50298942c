"""Helpers the lab's tests share: run a script on a lab host over the lab's SSM, as the agent does."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from agents.lab import topology
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


def monitor_datapoints(lab: Lab, metric: str, statistic: str, *, minutes: float, end: datetime | None = None) -> list:
    """The lab monitor's per-minute `statistic` of `metric` over the `minutes` before `end` (now)."""
    end = end or datetime.now(UTC)
    return lab.client("cloudwatch").get_metric_statistics(
        Namespace=topology.METRIC_NAMESPACE,
        MetricName=metric,
        Dimensions=[
            {"Name": "MeasurementSource", "Value": topology.MEASUREMENT_SOURCE},
            {"Name": "MonitorName", "Value": topology.MONITOR_NAME},
        ],
        StartTime=end - timedelta(minutes=minutes),
        EndTime=end,
        Period=60,
        Statistics=[statistic],
    )["Datapoints"]
