"""The lab's Network Flow Monitor, driven by a plain boto3 client over HTTP (restJson)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from lab_helpers import run_script

from agents.lab import topology
from agents.lab.server import Lab

MONITOR = topology.MONITOR_NAME


def _start(
    nfm, metric: str = "RETRANSMISSIONS", category: str = "INTER_AZ", minutes: float = 30, start: datetime | None = None
) -> str:
    end = datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=1)
    return nfm.start_query_monitor_top_contributors(
        monitorName=MONITOR,
        startTime=start or end - timedelta(minutes=minutes),
        endTime=end,
        metricName=metric,
        destinationCategory=category,
    )["queryId"]


def _results(nfm, query_id: str) -> dict:
    for _ in range(5):  # the shared lab answers RUNNING once, then SUCCEEDED
        status = nfm.get_query_status_monitor_top_contributors(monitorName=MONITOR, queryId=query_id)["status"]
        if status == "SUCCEEDED":
            return nfm.get_query_results_monitor_top_contributors(monitorName=MONITOR, queryId=query_id)
    raise AssertionError(f"query {query_id} never succeeded (last status {status})")


def test_list_monitors_names_the_lab_monitor_as_active(shared_lab: Lab) -> None:
    monitors = shared_lab.client("networkflowmonitor").list_monitors()["monitors"]
    assert [(m["monitorName"], m["monitorStatus"]) for m in monitors] == [(MONITOR, "ACTIVE")]
    assert monitors[0]["monitorArn"].endswith(f":{shared_lab.account_id}:monitor/{MONITOR}")


def test_get_monitor_scopes_the_monitor_to_the_lab_vpc(shared_lab: Lab) -> None:
    monitor = shared_lab.client("networkflowmonitor").get_monitor(monitorName=MONITOR)
    assert monitor["localResources"] == [
        {
            "type": "AWS::EC2::VPC",
            "identifier": f"arn:aws:ec2:us-east-1:{shared_lab.account_id}:vpc/{shared_lab.ids.vpc_id}",
        }
    ]
    assert isinstance(monitor["createdAt"], datetime)


def test_unknown_monitor_is_resource_not_found(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    with pytest.raises(nfm.exceptions.ResourceNotFoundException):
        nfm.get_monitor(monitorName="no-such-monitor")


def test_query_reports_running_before_succeeded(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    query_id = _start(nfm)
    statuses = [
        nfm.get_query_status_monitor_top_contributors(monitorName=MONITOR, queryId=query_id)["status"] for _ in range(2)
    ]
    assert statuses == ["RUNNING", "SUCCEEDED"]


def test_results_before_success_are_refused(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    query_id = _start(nfm)
    with pytest.raises(nfm.exceptions.ValidationException, match="QUEUED"):
        nfm.get_query_results_monitor_top_contributors(monitorName=MONITOR, queryId=query_id)


def test_retransmission_top_contributor_is_the_app_to_db_flow(shared_lab: Lab) -> None:
    result = _results(shared_lab.client("networkflowmonitor"), _start(shared_lab.client("networkflowmonitor")))
    row = result["topContributors"][0]
    ids = shared_lab.ids
    assert result["unit"] == "Count"
    assert (row["localInstanceId"], row["remoteInstanceId"]) == (ids.app_instance_id, ids.db_instance_id)
    assert (row["localIp"], row["remoteIp"], row["targetPort"]) == (topology.APP_IP, topology.DB_IP, topology.DB_PORT)
    assert (row["localAz"], row["remoteAz"], row["localSubnetId"]) == (
        topology.APP_AZ,
        topology.DB_AZ,
        ids.app_subnet_id,
    )
    assert row["value"] > 0


def test_round_trip_time_rows_arrive_in_microseconds(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    result = _results(nfm, _start(nfm, metric="ROUND_TRIP_TIME"))
    assert result["unit"] == "Microseconds"
    assert result["topContributors"][0]["value"] >= 900


def test_values_add_up_the_observed_minutes_in_the_window(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    start = datetime.now(UTC).replace(microsecond=0) - timedelta(minutes=12)
    stretches = shared_lab.observed(start.timestamp(), datetime.now(UTC).timestamp() + 1)
    value = _results(nfm, _start(nfm, start=start))["topContributors"][0]["value"]
    app_to_db = [next(f for f in o.flows if f.server_port == topology.DB_PORT) for o in stretches]
    expected = sum(
        f.per_minute()["RETRANSMISSIONS"] * o.seconds / 60 for f, o in zip(app_to_db, stretches, strict=True)
    )
    assert 11 <= len(stretches) <= 13
    assert value == round(expected)


def test_a_window_of_the_last_two_minutes_finds_rows(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    assert _results(nfm, _start(nfm, minutes=2))["topContributors"][0]["value"] > 0


def test_a_window_before_the_history_has_no_rows(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    end = datetime.now(UTC) - timedelta(hours=2)
    query_id = nfm.start_query_monitor_top_contributors(
        monitorName=MONITOR,
        startTime=end - timedelta(minutes=30),
        endTime=end,
        metricName="RETRANSMISSIONS",
        destinationCategory="INTER_AZ",
    )["queryId"]
    assert _results(nfm, query_id)["topContributors"] == []


def test_other_destination_categories_have_no_rows(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    assert _results(nfm, _start(nfm, category="INTRA_AZ"))["topContributors"] == []


def test_unknown_metric_is_a_validation_error(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    with pytest.raises(nfm.exceptions.ValidationException, match="metricName"):
        _start(nfm, metric="PACKET_LOSS")


def test_stopped_query_is_canceled(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    query_id = _start(nfm)
    nfm.stop_query_monitor_top_contributors(monitorName=MONITOR, queryId=query_id)
    status = nfm.get_query_status_monitor_top_contributors(monitorName=MONITOR, queryId=query_id)["status"]
    assert status == "CANCELED"


def test_unknown_query_is_resource_not_found(shared_lab: Lab) -> None:
    nfm = shared_lab.client("networkflowmonitor")
    with pytest.raises(ClientError) as caught:
        nfm.get_query_status_monitor_top_contributors(monitorName=MONITOR, queryId="no-such-query")
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404


def test_window_after_the_host_heals_shows_a_clean_flow_still_carrying_data(fresh_lab: Lab) -> None:
    nfm = fresh_lab.client("networkflowmonitor")
    before = _results(nfm, _start(nfm))["topContributors"][0]["value"]
    healed_at = datetime.now(UTC).replace(microsecond=0)
    run_script(fresh_lab, "app", "tc qdisc del dev eth0 root")
    fresh_lab.rotate_now()
    rows = _results(nfm, _start(nfm, start=healed_at))["topContributors"]
    data = _results(nfm, _start(nfm, metric="DATA_TRANSFERRED", start=healed_at))["topContributors"]
    assert before > 0
    assert [row["value"] for row in rows] == [0, 0, 0]  # the app's two flows to the db and the web host's
    assert all(row["value"] > 0 for row in data)


def test_window_spanning_the_fix_still_shows_the_incident(fresh_lab: Lab) -> None:
    nfm = fresh_lab.client("networkflowmonitor")
    run_script(fresh_lab, "app", "tc qdisc del dev eth0 root")
    fresh_lab.rotate_now()
    assert _results(nfm, _start(nfm, minutes=30))["topContributors"][0]["value"] > 0
