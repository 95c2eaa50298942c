"""Seeding the incident into moto through plain boto3 calls, as an operator's tooling would.

Traffic Mirroring watches the app host's interface: the suspect sender, as the capture
generator models it (a sender-side capture) and as the performance agent reads it (the
mirrored end of a bad flow is the instance to fix).

Going through the API (not moto's internals) keeps the lab honest: whatever the agent later
reads back is what AWS would have answered to the same calls. moto lacks
`create_traffic_mirror_filter_rule`, so the filter carries no rules; its description says
what the rules would be.
"""

from __future__ import annotations

from typing import Any

from agents.lab import topology
from agents.lab.topology import LabIds


def _tags(resource: str, name: str) -> list[dict]:
    return [
        {
            "ResourceType": resource,
            "Tags": [{"Key": "Name", "Value": name}, {"Key": "netops:lab", "Value": "true"}],
        }
    ]


def seed_stack(cloudformation: Any, ec2: Any) -> LabIds:
    """Create the `netops-lab` stack and the mirroring on the app instance's interface."""
    cloudformation.create_stack(StackName=topology.STACK_NAME, TemplateBody=topology.stack_template())
    stack = cloudformation.describe_stacks(StackName=topology.STACK_NAME)["Stacks"][0]
    if stack["StackStatus"] != "CREATE_COMPLETE":
        raise RuntimeError(f"the lab stack ended in {stack['StackStatus']}: {stack.get('StackStatusReason', '')}")
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    resources = {
        r["LogicalResourceId"]: r["PhysicalResourceId"]
        for r in cloudformation.list_stack_resources(StackName=topology.STACK_NAME)["StackResourceSummaries"]
    }
    app = ec2.describe_instances(InstanceIds=[outputs["AppInstanceId"]])["Reservations"][0]["Instances"][0]
    app_eni = app["NetworkInterfaces"][0]["NetworkInterfaceId"]

    # The mirror target is a collector's interface in the app subnet: it receives the VXLAN stream.
    collector = ec2.create_network_interface(
        SubnetId=resources["AppSubnetA"],
        Description="netops-lab traffic mirror collector",
        TagSpecifications=_tags("network-interface", "netops-lab-collector"),
    )["NetworkInterface"]["NetworkInterfaceId"]
    target = ec2.create_traffic_mirror_target(
        NetworkInterfaceId=collector,
        Description="netops-lab collector (tcpdump -i any, rotated to S3)",
        TagSpecifications=_tags("traffic-mirror-target", "netops-lab-target"),
    )["TrafficMirrorTarget"]["TrafficMirrorTargetId"]
    mirror_filter = ec2.create_traffic_mirror_filter(
        Description=f"app <-> db: tcp port {topology.DB_PORT} both directions",
        TagSpecifications=_tags("traffic-mirror-filter", "netops-lab-filter"),
    )["TrafficMirrorFilter"]["TrafficMirrorFilterId"]
    session = ec2.create_traffic_mirror_session(
        NetworkInterfaceId=app_eni,
        TrafficMirrorTargetId=target,
        TrafficMirrorFilterId=mirror_filter,
        SessionNumber=topology.MIRROR_SESSION_NUMBER,
        VirtualNetworkId=topology.MIRROR_VNI,
        PacketLength=topology.MIRROR_PACKET_LENGTH,
        Description="mirror the app host's interface (the suspect sender)",
        TagSpecifications=_tags("traffic-mirror-session", "netops-lab-session"),
    )["TrafficMirrorSession"]["TrafficMirrorSessionId"]
    return LabIds(
        vpc_id=outputs["VpcId"],
        app_subnet_id=resources["AppSubnetA"],
        db_subnet_id=resources["DbSubnetB"],
        app_instance_id=outputs["AppInstanceId"],
        db_instance_id=outputs["DbInstanceId"],
        mirrored_eni_id=app_eni,
        mirror_target_id=target,
        mirror_filter_id=mirror_filter,
        mirror_session_id=session,
    )


def seed_bucket(s3: Any, bucket: str) -> None:
    s3.create_bucket(Bucket=bucket)
    s3.put_bucket_tagging(Bucket=bucket, Tagging={"TagSet": [{"Key": "netops:lab", "Value": "true"}]})
