"""The incident the lab reproduces, as data: addresses, names and the CloudFormation template.

Everything the lab seeds, and everything its telemetry describes, is derived from these
constants, so a capture's flow, a Network Flow Monitor row and a CloudWatch dimension always
name the same hosts. Pure data: no I/O here.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

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
APP_AZ = "us-east-1a"
DB_AZ = "us-east-1b"
APP_IP = "10.0.1.10"
DB_IP = "10.0.2.20"
APP_PORT = 40000  # the client side of the app → db connection
DB_PORT = 5432
# A second, healthy connection from the app to the db, so a report that blames "everything"
# is visibly wrong: only the one impaired flow should stand out.
APP_HEALTHY_PORT = 40001
DB_HEALTHY_PORT = 6379
# The tag deploy/iam-policy.json requires (ssm:resourceTag/…) before the agent may send its fix.
MANAGED_TAG = "netops-managed"


@dataclass(frozen=True)
class LabIds:
    """The identifiers moto assigned while seeding; the rest of the lab addresses resources by these."""

    vpc_id: str
    app_subnet_id: str
    db_subnet_id: str
    app_instance_id: str
    db_instance_id: str
    mirrored_eni_id: str  # the app instance's interface
    mirror_target_id: str
    mirror_filter_id: str
    mirror_session_id: str

    def to_dict(self) -> dict[str, str]:
        return dict(self.__dict__)


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


def _instance(subnet: str, ip: str, name: str, role: str) -> dict:
    return {
        "Type": "AWS::EC2::Instance",
        "Properties": {
            "ImageId": "ami-0c6b1d09930fac512",
            "InstanceType": "t3.small",
            "SubnetId": {"Ref": subnet},
            "PrivateIpAddress": ip,
            "Tags": [
                {"Key": "Name", "Value": name},
                {"Key": "netops:role", "Value": role},
                {"Key": "netops:lab", "Value": "true"},
                # deploy/iam-policy.json lets the agent run its fix only on instances tagged so.
                {"Key": MANAGED_TAG, "Value": "true"},
            ],
        },
    }


def stack_template() -> str:
    """The `netops-lab` stack: a VPC, app and db subnets in two AZs, and the two instances.

    Its outputs name the instance to fix (`InstanceId`, the app host whose TCP settings cause
    the retransmissions) the way the workshop's stack did, plus both hosts by role.
    """
    template = {
        "AWSTemplateFormatVersion": "2010-09-09",
        "Description": "NetOps lab: app → db retransmission incident",
        "Resources": {
            "Vpc": {
                "Type": "AWS::EC2::VPC",
                "Properties": {"CidrBlock": VPC_CIDR, "Tags": [{"Key": "Name", "Value": "netops-lab"}]},
            },
            "AppSubnetA": _subnet("10.0.1.0/24", APP_AZ, "netops-lab-app-a"),
            "DbSubnetB": _subnet("10.0.2.0/24", DB_AZ, "netops-lab-db-b"),
            "AppSubnetB": _subnet("10.0.3.0/24", DB_AZ, "netops-lab-app-b"),
            "DbSubnetA": _subnet("10.0.4.0/24", APP_AZ, "netops-lab-db-a"),
            "AppInstance": _instance("AppSubnetA", APP_IP, "netops-lab-app", "app"),
            "DbInstance": _instance("DbSubnetB", DB_IP, "netops-lab-db", "db"),
        },
        "Outputs": {
            "InstanceId": {
                "Description": "Instance with the TCP settings to fix (the app host)",
                "Value": {"Ref": "AppInstance"},
            },
            "AppInstanceId": {"Description": "App host (traffic-mirrored)", "Value": {"Ref": "AppInstance"}},
            "DbInstanceId": {"Description": "Database host", "Value": {"Ref": "DbInstance"}},
            "VpcId": {"Description": "Lab VPC", "Value": {"Ref": "Vpc"}},
        },
    }
    return json.dumps(template)
