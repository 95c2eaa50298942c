"""Seeding the incident into moto through plain boto3 calls, as an operator's tooling would.

Traffic Mirroring watches the interface of the scenario's mirrored host (the app in most:
the sender, whose capture shows its flows from the sending side); a scenario without one
gets no mirror session at all.

Going through the API (not moto's internals) keeps the lab honest: whatever the agent later
reads back is what AWS would have answered to the same calls. moto lacks
`create_traffic_mirror_filter_rule`, so the filter carries no rules; its description says
what the rules would be.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from agents.lab import topology
from agents.lab.scenarios import Scenario
from agents.lab.topology import LabIds


def _tags(resource: str, name: str) -> list[dict]:
    return [
        {
            "ResourceType": resource,
            "Tags": [{"Key": "Name", "Value": name}, {"Key": "netops:lab", "Value": "true"}],
        }
    ]


def seed_stack(cloudformation: Any, ec2: Any, scenario: Scenario) -> LabIds:
    """Create the `netops-lab` stack of the scenario's hosts, and the mirroring of its mirrored host."""
    cloudformation.create_stack(StackName=topology.STACK_NAME, TemplateBody=topology.stack_template(scenario))
    stack = cloudformation.describe_stacks(StackName=topology.STACK_NAME)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"the lab stack ended in {stack['StackStatus']}: {stack.get('StackStatusReason', '')}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.list_stack_resources(StackName=topology.STACK_NAME)["StackResourceSummaries"]
    }
    instances = {role: outputs[topology.logical_id(role, "InstanceId")] for role in scenario.hosts}
    subnets = {role: resources[logical] for role, logical in topology.subnet_ids(scenario).items()}
    ids = LabIds(vpc_id=outputs["VpcId"], instances=instances, subnets=subnets)
    if scenario.mirror is None:
        return ids
    return _mirror(ec2, ids, scenario.mirror, scenario)


def _mirror(ec2: Any, ids: LabIds, role: str, scenario: Scenario) -> LabIds:
    """A mirror session on the role's interface, to a collector in its subnet (VXLAN, truncated)."""
    described = ec2.describe_instances(InstanceIds=[ids.instances[role]])["Reservations"][0]["Instances"][0]
    eni = described["NetworkInterfaces"][0]["NetworkInterfaceId"]
    ports = sorted({flow.port for flow in scenario.flows if role in (flow.client, flow.server)})
    collector = ec2.create_network_interface(
        SubnetId=ids.subnets[role],
        Description="netops-lab traffic mirror collector",
        TagSpecifications=_tags("network-interface", "netops-lab-collector"),
    )["NetworkInterface"]["NetworkInterfaceId"]
    target = ec2.create_traffic_mirror_target(
        NetworkInterfaceId=collector,
        Description="netops-lab collector (tcpdump -i any, rotated to S3)",
        TagSpecifications=_tags("traffic-mirror-target", "netops-lab-target"),
    )["TrafficMirrorTarget"]["TrafficMirrorTargetId"]
    mirror_filter = ec2.create_traffic_mirror_filter(
        Description=f"{role}: tcp ports {', '.join(map(str, ports)) or 'all'} both directions",
        TagSpecifications=_tags("traffic-mirror-filter", "netops-lab-filter"),
    )["TrafficMirrorFilter"]["TrafficMirrorFilterId"]
    session = ec2.create_traffic_mirror_session(
        NetworkInterfaceId=eni,
        TrafficMirrorTargetId=target,
        TrafficMirrorFilterId=mirror_filter,
        SessionNumber=topology.MIRROR_SESSION_NUMBER,
        VirtualNetworkId=topology.MIRROR_VNI,
        PacketLength=topology.MIRROR_PACKET_LENGTH,
        Description=f"mirror the {role} host's interface",
        TagSpecifications=_tags("traffic-mirror-session", "netops-lab-session"),
    )["TrafficMirrorSession"]["TrafficMirrorSessionId"]
    return dataclasses.replace(
        ids, mirrored_eni_id=eni, mirror_target_id=target, mirror_filter_id=mirror_filter, mirror_session_id=session
    )


def seed_bucket(s3: Any, bucket: str) -> None:
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "netops:lab", "Value": "true"}]})
