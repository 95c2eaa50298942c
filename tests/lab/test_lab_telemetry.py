"""The lab's evidence follows the host: captures and metrics before and after the real fix."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

from agents.lab.conditions import HEALTHY, Impairment, flow_conditions

from agents.lab import topology
from agents.lab.server import Lab, LabConfig
from agents.lab.telemetry import capture_bytes, capture_key, metric_data
from agents.performance.pcap import analyze_stream
from agents.performance.tools.fix_script import build_script

WHEN = datetime(2026, 11, 23, 10, 5, 7, tzinfo=UTC)
APP_TO_DB = (topology.APP_IP, topology.APP_PORT, topology.DB_IP, topology.DB_PORT)


def _app_to_db(result) -> object:
    [flow] = [f for f in result.flows if (f.src, f.sport, f.dst, f.dport) == APP_TO_DB]
    return flow


def _newest_capture(lab: Lab) -> tuple[str, object]:
    s3 = lab.client("s3")
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket=lab.bucket)["Contents"])
    body = s3.get_object(Bucket=lab.bucket, Key=keys[-1])["Body"]
    return keys[-1], analyze_stream(body, name=keys[-1])


def test_capture_key_follows_the_rotated_layout() -> None:
    assert capture_key("i-0abc", WHEN) == (
        "raw-captures/year=2026/month=11/day=23/instance-i-0abc/capture-20261123-100507.pcap"
    )


def test_impaired_capture_shows_retransmissions_on_the_app_to_db_flow_through_vxlan() -> None:
    data = capture_bytes(flow_conditions(Impairment(loss_rate=0.03, constrained=True)), WHEN)
    flow = _app_to_db(analyze_stream(io.BytesIO(data), name="impaired"))
    assert flow.vni == topology.MIRROR_VNI
    assert 0.015 < flow.retransmission_rate < 0.06


def test_healthy_capture_has_no_retransmissions() -> None:
    data = capture_bytes(flow_conditions(HEALTHY), WHEN)
    result = analyze_stream(io.BytesIO(data), name="healthy")
    assert result.error is None
    assert _app_to_db(result).retransmissions == 0


def test_captures_are_deterministic_for_a_time() -> None:
    flows = flow_conditions(Impairment(loss_rate=0.03, constrained=True))
    assert capture_bytes(flows, WHEN) == capture_bytes(flows, WHEN)


def test_metric_data_keeps_the_health_indicator_at_zero_while_impaired() -> None:
    data = metric_data(flow_conditions(Impairment(loss_rate=0.03, constrained=True)), WHEN)
    by_name = {d["MetricName"]: d for d in data}
    assert by_name["HealthIndicator"]["Value"] == 0.0
    assert by_name["Retransmissions"]["Value"] > 0
    assert by_name["RoundTripTime"]["Unit"] == "Microseconds"


def test_seeded_captures_show_the_incident(shared_lab: Lab) -> None:
    _, result = _newest_capture(shared_lab)
    assert _app_to_db(result).retransmission_rate > 0.015


def test_after_the_fix_over_ssm_the_newest_capture_and_datapoint_are_healthy(fresh_lab: Lab) -> None:
    instance_id = fresh_lab.ids.app_instance_id
    ssm = fresh_lab.client("ssm")
    command = ssm.send_command(
        DocumentName="AWS-RunShellScript",
        InstanceIds=[instance_id],
        Parameters={"commands": [build_script(instance_id)]},
    )["Command"]
    ssm.get_waiter("command_executed").wait(
        CommandId=command["CommandId"], InstanceId=instance_id, WaiterConfig={"Delay": 1, "MaxAttempts": 30}
    )
    key, result = _newest_capture(fresh_lab)
    assert key > capture_key(fresh_lab.ids.app_instance_id, datetime.now(UTC) - timedelta(minutes=1))
    assert _app_to_db(result).retransmissions == 0
    end = datetime.now(UTC) + timedelta(minutes=1)
    points = fresh_lab.client("cloudwatch").get_metric_statistics(
        Namespace=topology.METRIC_NAMESPACE,
        MetricName="Retransmissions",
        Dimensions=[
            {"Name": "MeasurementSource", "Value": topology.MEASUREMENT_SOURCE},
            {"Name": "MonitorName", "Value": topology.MONITOR_NAME},
        ],
        StartTime=end - timedelta(minutes=3),
        EndTime=end,
        Period=60,
        Statistics=["Sum"],
    )["Datapoints"]
    assert [p["Sum"] for p in points] == [0.0]


def test_rotation_records_new_evidence_on_its_own() -> None:
    with Lab(config=LabConfig(rotation_s=0.2)) as lab:
        seeded = len(lab.observed(0, datetime.now(UTC).timestamp() + 3600))
        assert lab.wait_for_observations(seeded + 1, timeout_s=20), "the lab recorded nothing new within 20 s"


def test_a_recorded_minute_is_visible_to_a_query_issued_at_once(fresh_lab: Lab) -> None:
    fresh_lab.record()
    end = datetime.now(UTC)
    dimensions = [
        {"Name": "MeasurementSource", "Value": topology.MEASUREMENT_SOURCE},
        {"Name": "MonitorName", "Value": topology.MONITOR_NAME},
    ]
    result = fresh_lab.client("cloudwatch").get_metric_data(
        MetricDataQueries=[
            {
                "Id": "m0",
                "MetricStat": {
                    "Metric": {
                        "Namespace": topology.METRIC_NAMESPACE,
                        "MetricName": "DataTransferred",
                        "Dimensions": dimensions,
                    },
                    "Period": 60,
                    "Stat": "Sum",
                },
            }
        ],
        StartTime=end - timedelta(minutes=2),
        EndTime=end,
    )["MetricDataResults"][0]
    assert len(result["Values"]) == 1
