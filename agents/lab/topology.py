"""The lab's fixed names and the CloudFormation template of a scenario's hosts.

What varies by scenario (hosts, addresses, flows) comes from the scenario; what every lab
shares (stack, bucket, monitor namespace, mirror session parameters) is here. Pure data: no
I/O here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from agents.lab.scenarios import HostSpec, Scenario

REGION = "us-east-1"
ACCOUNT_ID = "123456789012"  # moto's default account
STACK_NAME = "netops-lab"
BUCKET = "netops-lab-captures"
CAPTURE_PREFIX = "raw-captures/"
MONITOR_NAME = "netops-lab-app-db"
METRIC_NAMESPACE = "AWS/NetworkFlowMonitor"
MEASUREMENT_SOURCE = "NetworkFlowMonitorAgent"
MIRROR_VNI = 4242
MIRROR_SESSION_NUMBER = 1
MIRROR_PACKET_LENGTH = 128  # the session truncates mirrored packets: the analyzer must use IP lengths

VPC_CIDR = "10.0.0.0/16"
# The addresses the shipped scenarios give their hosts (agents/lab/scenarios/*.yaml); a lab's
# own are in `lab.ips`, from its scenario.
APP_AZ = "us-east-1a"
DB_AZ = "us-east-1b"
APP_IP = "10.0.1.10"
DB_IP = "10.0.2.20"
APP_PORT = 40000  # the client side of the app → db connection
DB_PORT = 5432
# The tag deploy/iam-policy.json requires (ssm:resourceTag/…) before the agent may send its fix.
MANAGED_TAG = "netops-managed"


@dataclass(frozen=True)
class LabIds:
    """The identifiers moto assigned while seeding; the rest of the lab addresses resources by these.

    `instances` and `subnets` are by role; the app/db fields stay for callers of the
    two-host lab (None when the scenario has no such role). The mirror fields are None when
    the scenario mirrors nothing.
    """

    vpc_id: str
    instances: dict[str, str]
    subnets: dict[str, str]
    mirrored_eni_id: str | None = None
    mirror_target_id: str | None = None
    mirror_filter_id: str | None = None
    mirror_session_id: str | None = None

    @property
    def app_instance_id(self) -> str | None:
        return self.instances.get("app")

    @property
    def db_instance_id(self) -> str | None:
        return self.instances.get("db")

    @property
    def app_subnet_id(self) -> str | None:
        return self.subnets.get("app")

    @property
    def db_subnet_id(self) -> str | None:
        return self.subnets.get("db")

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def logical_id(role: str, kind: str) -> str:
    """A CloudFormation logical id for a role's resource: `AppInstance`, `WebSubnet`."""
    return "".join(part.capitalize() for part in role.split("-")) + kind


def _subnet(cidr: str, az: str, name: str) -> dict:
    return {
        "Type": "AWS::EC2::Subnet",
        "Properties": {
            "VpcId": {"Ref": "Vpc"},
            "CidrBlock": cidr,
            "AvailabilityZone": az,
            "Tags": [{"Key": "Name", "Value": name}],
        },
    }


def _instance(subnet: str, spec: HostSpec, role: str) -> dict:
    tags = [
        {"Key": "Name", "Value": f"netops-lab-{role}"},
        {"Key": "netops:role", "Value": role},
        {"Key": "netops:lab", "Value": "true"},
    ]
    if spec.ssm_managed:  # deploy/iam-policy.json lets the agent run its fix only on instances tagged so
        tags.append({"Key": MANAGED_TAG, "Value": "true"})
    return {
        "Type": "AWS::EC2::Instance",
        "Properties": {
            "ImageId": "ami-0c6b1d09930fac512",
            "InstanceType": spec.instance_type,
            "SubnetId": {"Ref": subnet},
            "PrivateIpAddress": str(spec.ip),
            "Tags": tags,
        },
    }


def subnet_ids(scenario: Scenario) -> dict[str, str]:
    """Role → the logical id of its subnet; hosts in the same subnet share one."""
    first: dict[str, str] = {}
    out = {}
    for role, spec in scenario.hosts.items():
        out[role] = first.setdefault(str(spec.subnet), logical_id(role, "Subnet"))
    return out


def stack_template(scenario: Scenario) -> str:
    """The `netops-lab` stack: a VPC, the scenario's subnets and one instance per host.

    Its outputs name each host by role (`AppInstanceId`, …) and, as the workshop's stack did,
    `InstanceId`: the mirrored host (the one the evidence is about), else the first host.
    """
    subnets = subnet_ids(scenario)
    resources: dict[str, dict] = {
        "Vpc": {
            "Type": "AWS::EC2::VPC",
            "Properties": {"CidrBlock": VPC_CIDR, "Tags": [{"Key": "Name", "Value": "netops-lab"}]},
        }
    }
    outputs: dict[str, dict] = {"VpcId": {"Description": "Lab VPC", "Value": {"Ref": "Vpc"}}}
    for role, spec in scenario.hosts.items():
        if subnets[role] not in resources:
            resources[subnets[role]] = _subnet(str(spec.subnet), spec.az, f"netops-lab-{role}")
        resources[logical_id(role, "Instance")] = _instance(subnets[role], spec, role)
        outputs[logical_id(role, "InstanceId")] = {
            "Description": f"{role} host",
            "Value": {"Ref": logical_id(role, "Instance")},
        }
    focus = scenario.mirror or next(iter(scenario.hosts))
    outputs["InstanceId"] = {
        "Description": f"The host the evidence is about ({focus})",
        "Value": {"Ref": logical_id(focus, "Instance")},
    }
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": f"NetOps lab: scenario {scenario.name}",
        "Resources": resources,
        "Outputs": outputs,
    }
    return json.dumps(template)
