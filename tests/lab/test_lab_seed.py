"""The seeded incident as boto3 sees it: stack, instances, mirroring, bucket, metrics, isolation."""

from __future__ import annotations

import itertools
import re
from datetime import UTC, datetime, timedelta

from lab_helpers import monitor_datapoints

from agents.lab import topology
from agents.lab.server import Lab, LabConfig
from agents.performance.tools.mirroring import capture_time

KEY = re.compile(
    r"^raw-captures/year=\d{4}/month=\d{2}/day=\d{2}/instance-(?P<instance>i-[0-9a-f]+)/capture-\d{8}-\d{6}\.pcap$"
)


def test_stack_outputs_name_the_app_instance_as_the_one_to_fix(shared_lab: Lab) -> None:
    stack = shared_lab.client("cloudformation").describe_stacks(StackName=topology.STACK_NAME)["Stacks"][0]
    outputs = {o["OutputKey"]: o["OutputValue"] for o in stack["Outputs"]}
    assert stack["StackStatus"] == "CREATE_COMPLETE"
    assert outputs["InstanceId"] == outputs["AppInstanceId"] == shared_lab.ids.app_instance_id
    assert outputs["DbInstanceId"] == shared_lab.ids.db_instance_id


def test_app_and_db_run_in_two_azs_at_their_addresses(shared_lab: Lab) -> None:
    reservations = shared_lab.client("ec2").describe_instances(
        InstanceIds=[shared_lab.ids.app_instance_id, shared_lab.ids.db_instance_id]
    )["Reservations"]
    placed = {
        i["InstanceId"]: (i["PrivateIpAddress"], i["Placement"]["AvailabilityZone"], i["State"]["Name"])
        for r in reservations
        for i in r["Instances"]
    }
    assert placed == {
        shared_lab.ids.app_instance_id: (topology.APP_IP, topology.APP_AZ, "running"),
        shared_lab.ids.db_instance_id: (topology.DB_IP, topology.DB_AZ, "running"),
    }


def test_vpc_has_the_scenarios_subnets_in_their_azs(shared_lab: Lab) -> None:
    subnets = shared_lab.client("ec2").describe_subnets(Filters=[{"Name": "vpc-id", "Values": [shared_lab.ids.vpc_id]}])
    by_name = {
        next(t["Value"] for t in s["Tags"] if t["Key"] == "Name"): s["AvailabilityZone"] for s in subnets["Subnets"]
    }
    assert by_name == {"netops-lab-app": topology.APP_AZ, "netops-lab-db": topology.DB_AZ}  # web shares the app's


def test_mirror_session_watches_the_app_interface(shared_lab: Lab) -> None:
    ec2 = shared_lab.client("ec2")
    [session] = ec2.describe_traffic_mirror_sessions()["TrafficMirrorSessions"]
    [target] = ec2.describe_traffic_mirror_targets()["TrafficMirrorTargets"]
    [mirror_filter] = ec2.describe_traffic_mirror_filters()["TrafficMirrorFilters"]
    assert session["NetworkInterfaceId"] == shared_lab.ids.mirrored_eni_id
    app = shared_lab.client("ec2").describe_instances(InstanceIds=[shared_lab.ids.app_instance_id])
    assert (
        app["Reservations"][0]["Instances"][0]["NetworkInterfaces"][0]["NetworkInterfaceId"]
        == session["NetworkInterfaceId"]
    )
    assert session["TrafficMirrorTargetId"] == target["TrafficMirrorTargetId"]
    assert session["TrafficMirrorFilterId"] == mirror_filter["TrafficMirrorFilterId"]
    assert (session["VirtualNetworkId"], session["PacketLength"]) == (
        topology.MIRROR_VNI,
        topology.MIRROR_PACKET_LENGTH,
    )
    assert target["Type"] == "network-interface"


def _seeded(lab: Lab) -> list[dict]:
    """The captures of the history the lab published at start-up (those that started before it)."""
    first_open = lab.observed(0, float("inf"))[LabConfig().history_minutes - 1].start + 60
    listed = lab.client("s3").list_objects_v2(Bucket=lab.bucket, Prefix=topology.CAPTURE_PREFIX)["Contents"]
    return [o for o in listed if capture_time(o["Key"]).timestamp() < first_open]


def test_bucket_holds_a_capture_of_the_mirrored_app_instance_for_every_minute_of_history(shared_lab: Lab) -> None:
    seeded = _seeded(shared_lab)
    starts = sorted(capture_time(o["Key"]) for o in seeded)
    assert len(seeded) == LabConfig().history_minutes
    assert {b - a for a, b in itertools.pairwise(starts)} == {timedelta(minutes=1)}
    assert {KEY.match(o["Key"])["instance"] for o in seeded} == {shared_lab.ids.app_instance_id}


def test_each_seeded_capture_was_uploaded_when_its_minute_closed(shared_lab: Lab) -> None:
    for obj in _seeded(shared_lab):
        assert obj["LastModified"] == capture_time(obj["Key"]) + timedelta(minutes=1)
        assert obj["LastModified"] <= datetime.now(UTC)


def test_flow_monitor_metrics_carry_measurement_source_and_monitor_dimensions(shared_lab: Lab) -> None:
    metrics = shared_lab.client("cloudwatch").list_metrics(Namespace=topology.METRIC_NAMESPACE)["Metrics"]
    names = {m["MetricName"] for m in metrics}
    assert names == {"Retransmissions", "Timeouts", "RoundTripTime", "DataTransferred", "HealthIndicator"}
    assert {tuple(sorted(d["Name"] for d in m["Dimensions"])) for m in metrics} == {
        ("MeasurementSource", "MonitorName")
    }


def test_health_indicator_stays_zero_because_the_fault_is_on_our_host(shared_lab: Lab) -> None:
    stats = monitor_datapoints(shared_lab, "HealthIndicator", "Maximum", minutes=60)
    assert len(stats) >= LabConfig().history_minutes - 1  # the hour's window may cut the first minute
    assert {d["Maximum"] for d in stats} == {0.0}


def test_two_labs_in_one_process_do_not_see_each_others_resources(shared_lab: Lab) -> None:
    with Lab() as other:
        stacks = other.client("cloudformation").describe_stacks()["Stacks"]
        assert [s["StackName"] for s in stacks] == [topology.STACK_NAME]
        assert other.ids.app_instance_id != shared_lab.ids.app_instance_id
        instances = [
            i["InstanceId"] for r in other.client("ec2").describe_instances()["Reservations"] for i in r["Instances"]
        ]
        assert shared_lab.ids.app_instance_id not in instances


def test_env_points_every_service_at_the_lab(shared_lab: Lab) -> None:
    env = shared_lab.env()
    assert env["AWS_ENDPOINT_URL"] == shared_lab.url
    assert env["AWS_ENDPOINT_URL_NETWORKFLOWMONITOR"] == shared_lab.url
    assert env["NETOPS_CAPTURE_BUCKET"] == shared_lab.bucket
    assert env["NETOPS_STACK_NAME"] == topology.STACK_NAME
