"""Network Flow Monitor tool: a real NFM client stubbed at the protocol boundary, CloudWatch on moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.stub import Stubber

from agents.performance.tools.aws import AwsProblem
from agents.performance.tools.flow_monitor import (
    DESTINATION_CATEGORIES,
    METRICS,
    FlowMonitorReport,
    TimeWindow,
    analyze_network_flow_monitor,
    convert,
    status_text,
)

NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)
WINDOW = TimeWindow.last(30, now=NOW)
BAD = {
    "localIp": "10.0.1.10",
    "localInstanceId": "i-0aaaaaaaaaaaaaaa1",
    "localSubnetId": "subnet-1",
    "localAz": "use1-az1",
    "remoteIp": "10.0.2.20",
    "remoteInstanceId": "i-0bbbbbbbbbbbbbbb2",
    "remoteSubnetId": "subnet-2",
    "remoteAz": "use1-az2",
    "targetPort": 5432,
}
GOOD = BAD | {"localIp": "10.0.1.11", "localInstanceId": "i-0ccccccccccccccc3"}
VALUES = {
    "RETRANSMISSIONS": ("Count", 900, 2),
    "TIMEOUTS": ("Count", 4, 0),
    "ROUND_TRIP_TIME": ("Microseconds", 210000, 900),
    "DATA_TRANSFERRED": ("Bytes", 43_440_000, 50_000_000),
}


@pytest.fixture
def nfm() -> Any:
    client = boto3.client("networkflowmonitor", region_name="us-east-1")
    yield client
    client.close()


def _stub_monitor(stub: Stubber, *, statuses: tuple[str, ...] = ("RUNNING", "SUCCEEDED")) -> None:
    stub.add_response(
        "list_monitors",
        {
            "monitors": [
                {
                    "monitorArn": "arn:aws:networkflowmonitor:us-east-1:123456789012:monitor/lab",
                    "monitorName": "lab",
                    "monitorStatus": "ACTIVE",
                }
            ]
        },
    )
    stub.add_response(
        "get_monitor",
        {
            "monitorArn": "arn:aws:networkflowmonitor:us-east-1:123456789012:monitor/lab",
            "monitorName": "lab",
            "monitorStatus": "ACTIVE",
            "localResources": [{"type": "AWS::EC2::Subnet", "identifier": "subnet-1"}],
            "remoteResources": [],
            "createdAt": NOW,
            "modifiedAt": NOW,
        },
        {"monitorName": "lab"},
    )
    queries = [(m, c) for m in METRICS for c in DESTINATION_CATEGORIES]
    for i, (metric, category) in enumerate(queries):
        stub.add_response(
            "start_query_monitor_top_contributors",
            {"queryId": f"q{i}"},
            {
                "monitorName": "lab",
                "startTime": WINDOW.start,
                "endTime": WINDOW.end,
                "metricName": metric,
                "destinationCategory": category,
                "limit": 10,
            },
        )
    for status in statuses:
        for i in range(len(queries)):
            stub.add_response(
                "get_query_status_monitor_top_contributors",
                {"status": status},
                {"monitorName": "lab", "queryId": f"q{i}"},
            )


def _stub_results(stub: Stubber) -> None:
    for i, (metric, category) in enumerate((m, c) for m in METRICS for c in DESTINATION_CATEGORIES):
        unit, bad, good = VALUES[metric]
        rows = (
            []
            if category != "INTRA_AZ"
            else [
                BAD | {"value": bad, "destinationCategory": category},
                GOOD | {"value": good, "destinationCategory": category},
            ]
        )
        stub.add_response(
            "get_query_results_monitor_top_contributors",
            {"unit": unit, "topContributors": rows},
            {"monitorName": "lab", "queryId": f"q{i}"},
        )


def _seed_cloudwatch(cw: Any, *, health: float) -> None:
    dims = [{"Name": "MeasurementSource", "Value": "AWS"}, {"Name": "MonitorName", "Value": "lab"}]
    at = NOW - timedelta(minutes=5)
    cw.put_metric_data(
        Namespace="AWS/NetworkFlowMonitor",
        MetricData=[
            {"MetricName": "Retransmissions", "Dimensions": dims, "Value": 902, "Timestamp": at},
            {"MetricName": "RoundTripTime", "Dimensions": dims, "Value": 2500, "Timestamp": at, "Unit": "Microseconds"},
            {"MetricName": "HealthIndicator", "Dimensions": dims, "Value": health, "Timestamp": at},
        ],
    )


def _run(nfm: Any, cw: Any, **kwargs: Any):
    return analyze_network_flow_monitor(
        nfm,
        cw,
        region="us-east-1",
        account_id="123456789012",
        window=WINDOW,
        poll_interval_s=0,
        sleep=lambda _s: None,
        **kwargs,
    )


def test_worst_flow_is_named_by_instance_subnet_and_az_with_rtt_in_ms(nfm: Any, aws: Any) -> None:
    cw = aws("cloudwatch")
    _seed_cloudwatch(cw, health=0)
    with Stubber(nfm) as stub:
        _stub_monitor(stub)
        _stub_results(stub)
        report = _run(nfm, cw)
        stub.assert_no_pending_responses()
    worst = report.worst_flows()[0]
    assert (worst.local_instance_id, worst.local_subnet_id, worst.local_az) == (
        "i-0aaaaaaaaaaaaaaa1",
        "subnet-1",
        "use1-az1",
    )
    assert worst.rtt_ms == pytest.approx(210.0)
    assert worst.retransmissions == 900
    assert worst.estimated_retransmission_rate == pytest.approx(900 / 30000)
    assert report.problems == []


def test_cloudwatch_metrics_are_read_with_discovered_dimensions(nfm: Any, aws: Any) -> None:
    cw = aws("cloudwatch")
    _seed_cloudwatch(cw, health=1)
    with Stubber(nfm) as stub:
        _stub_monitor(stub)
        _stub_results(stub)
        report = _run(nfm, cw)
    [metrics] = report.metrics
    assert {d["Name"] for d in metrics.dimensions} == {"MeasurementSource", "MonitorName"}
    assert metrics.values["Retransmissions"] == 902
    assert metrics.values["RoundTripTimeMs"] == pytest.approx(2.5)
    assert metrics.aws_network_degraded
    assert report.to_dict()["aws_network_degraded"] == ["lab"]


def test_queries_still_running_at_the_deadline_are_stopped(nfm: Any, aws: Any) -> None:
    with Stubber(nfm) as stub:
        _stub_monitor(stub, statuses=("RUNNING",))
        for i in range(len(METRICS) * len(DESTINATION_CATEGORIES)):
            stub.add_response("stop_query_monitor_top_contributors", {}, {"monitorName": "lab", "queryId": f"q{i}"})
        report = analyze_network_flow_monitor(
            nfm,
            aws("cloudwatch"),
            region="us-east-1",
            account_id=None,
            window=WINDOW,
            query_timeout_s=0,
            poll_interval_s=0,
            sleep=lambda _s: None,
        )
        stub.assert_no_pending_responses()
    assert [p.code for p in report.problems] == ["QueryTimeout"]
    assert "shorter time window" in report.problems[0].advice
    assert {q["status"] for q in report.queries} == {"STOPPED"}


def test_no_monitors_is_a_problem_with_advice(nfm: Any, aws: Any) -> None:
    with Stubber(nfm) as stub:
        stub.add_response("list_monitors", {"monitors": []})
        report = _run(nfm, aws("cloudwatch"))
    assert [p.code for p in report.problems] == ["NoMonitors"]
    assert "Create a Network Flow Monitor monitor" in report.problems[0].advice
    assert not report.analyzed


@pytest.mark.parametrize(
    ("code", "advice"),
    [("AccessDeniedException", "Grant the agent's IAM role permission"), ("ThrottlingException", "throttling")],
)
def test_aws_error_on_list_monitors_becomes_a_problem(nfm: Any, aws: Any, code: str, advice: str) -> None:
    with Stubber(nfm) as stub:
        stub.add_client_error("list_monitors", service_error_code=code, service_message="nope", http_status_code=403)
        report = _run(nfm, aws("cloudwatch"))
    assert [p.code for p in report.problems] == [code]
    assert advice in report.problems[0].advice


def test_failed_query_is_reported_and_its_rows_are_not_read(nfm: Any, aws: Any) -> None:
    with Stubber(nfm) as stub:
        _stub_monitor(stub, statuses=("FAILED",))
        report = _run(nfm, aws("cloudwatch"))
        stub.assert_no_pending_responses()
    assert [p.code for p in report.problems] == ["QueryFailed"]
    assert report.contributors == []


@pytest.mark.parametrize(
    ("value", "unit", "metric", "expected"),
    [
        (2500, "Microseconds", "ROUND_TRIP_TIME", 2.5),
        (3, "Milliseconds", "ROUND_TRIP_TIME", 3.0),
        (2, "Kilobytes", "DATA_TRANSFERRED", 2048),
        (7, "Count", "RETRANSMISSIONS", 7),
    ],
)
def test_values_are_converted_by_their_unit(value: float, unit: str, metric: str, expected: float) -> None:
    assert convert(value, unit, metric) == expected


def test_monitor_pages_are_all_read_and_inactive_monitors_are_reported(nfm: Any, aws: Any) -> None:
    with Stubber(nfm) as stub:
        stub.add_response("list_monitors", {"monitors": [], "nextToken": "page-2"})
        stub.add_response(
            "list_monitors",
            {
                "monitors": [
                    {
                        "monitorArn": "arn:aws:networkflowmonitor:us-east-1:123456789012:monitor/b",
                        "monitorName": "b",
                        "monitorStatus": "INACTIVE",
                    }
                ]
            },
            {"nextToken": "page-2"},
        )
        report = _run(nfm, aws("cloudwatch"))
        stub.assert_no_pending_responses()
    assert report.monitors == []  # the only monitor is inactive: nothing to query
    [problem] = report.problems
    assert problem.code == "NoActiveMonitors"
    assert "b is INACTIVE" in problem.message


def _last_status(nfm: Any, aws: Any, *, health: int) -> str:
    """The tool's final progress text for one monitor with two flows and this health indicator."""
    cw = aws("cloudwatch")
    _seed_cloudwatch(cw, health=health)
    statuses: list[str] = []

    def progress(msgid: str, **values: object) -> None:  # as the agent's Progress says it, in English
        statuses.append(msgid.format(**values))

    with Stubber(nfm) as stub:
        _stub_monitor(stub)
        _stub_results(stub)
        _run(nfm, cw, progress=progress)
    return statuses[-1]


def test_last_status_keeps_the_aws_health_indicator_apart_from_our_numbers_on_the_flows(nfm: Any, aws: Any) -> None:
    assert _last_status(nfm, aws, health=0) == (
        "Network Flow Monitor: 2 flows from 1 monitor; "
        "AWS network health indicator: healthy (no AWS-side problem); "
        "our analysis: worst flow 10.0.1.10 → 10.0.2.20:5432 with ~3.0% retransmissions, 4 timeouts, RTT 210.0 ms."
    )


def test_last_status_names_the_monitor_whose_aws_network_is_degraded(nfm: Any, aws: Any) -> None:
    assert "; AWS network health indicator: degraded for lab (AWS-side); " in _last_status(nfm, aws, health=1)


def test_status_without_metrics_says_the_indicator_was_not_reported_and_counts_problems_singular() -> None:
    problem = AwsProblem("networkflowmonitor.list_monitors", "NoMonitors", "none", "Create one.")
    report = FlowMonitorReport(region="us-east-1", account_id=None, window=WINDOW, problems=[problem])
    assert status_text(report, monitors=0) == (
        "Network Flow Monitor: 0 flows from 0 monitors; AWS network health indicator: not reported; "
        "1 problem querying it (see the answer)."
    )
