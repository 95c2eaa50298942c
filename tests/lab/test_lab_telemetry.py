"""What the lab writes: captures as the mirror target records them, and the monitor's datapoints."""

from __future__ import annotations

import io
import struct
from datetime import UTC, datetime, timedelta

from agents.lab import topology
from agents.lab.model import flow_conditions, initial_states
from agents.lab.scenarios import Monitor, load_scenario
from agents.lab.telemetry import capture_bytes, capture_key, metric_data, retime
from agents.performance.pcap import analyze_stream

WHEN = datetime(2026, 11, 23, 10, 5, 7, tzinfo=UTC)
APP_TO_DB = (topology.APP_IP, topology.APP_PORT, topology.DB_IP, topology.DB_PORT)


def _flows(name: str) -> list:
    scenario = load_scenario(name)
    return flow_conditions(scenario, initial_states(scenario))


def _app_to_db(result) -> object:
    [flow] = [f for f in result.flows if (f.src, f.sport, f.dst, f.dport) == APP_TO_DB]
    return flow


def _first_packet_time(capture: bytes) -> float:
    seconds, micros = struct.unpack_from("<II", capture, 24)  # the first record, after the file header
    return seconds + micros / 1e6


def test_capture_key_follows_the_rotated_layout() -> None:
    assert capture_key("i-0abc", WHEN) == (
        "raw-captures/year=2026/month=11/day=23/instance-i-0abc/capture-20261123-100507.pcap"
    )


def test_incident_capture_shows_retransmissions_on_the_app_to_db_flow_through_vxlan() -> None:
    data = capture_bytes(_flows("incident"), WHEN, "app")
    flow = _app_to_db(analyze_stream(io.BytesIO(data), name="incident"))
    assert flow.vni == topology.MIRROR_VNI
    assert 0.015 < flow.retransmission_rate < 0.06


def test_healthy_capture_has_no_retransmissions() -> None:
    result = analyze_stream(io.BytesIO(capture_bytes(_flows("healthy"), WHEN, "app")), name="healthy")
    assert result.error is None
    assert _app_to_db(result).retransmissions == 0


def test_a_capture_holds_only_the_flows_of_the_mirrored_interface() -> None:
    result = analyze_stream(io.BytesIO(capture_bytes(_flows("healthy"), WHEN, "app")), name="app")
    assert {f.src for f in result.flows} == {topology.APP_IP}  # the web host's flow to the db is not the app's


def test_captures_are_deterministic_for_a_time() -> None:
    flows = _flows("incident")
    assert capture_bytes(flows, WHEN, "app") == capture_bytes(flows, WHEN, "app")


def test_a_retimed_capture_is_the_same_traffic_later() -> None:
    data = capture_bytes(_flows("incident"), WHEN, "app")
    before = analyze_stream(io.BytesIO(data), name="before")
    after = analyze_stream(io.BytesIO(retime(data, 3600.5)), name="after")
    assert after.counts == before.counts
    assert _first_packet_time(retime(data, 3600.5)) - _first_packet_time(data) == 3600.5


def test_metric_data_publishes_the_health_indicator_the_monitor_has() -> None:
    data = metric_data(_flows("aws-network"), WHEN, Monitor(name="m", health_indicator=1))
    by_name = {d["MetricName"]: d for d in data}
    assert by_name["HealthIndicator"]["Value"] == 1.0
    assert by_name["Retransmissions"]["Value"] > 0
    assert by_name["RoundTripTime"]["Unit"] == "Microseconds"


def test_a_monitor_without_a_health_indicator_publishes_none() -> None:
    names = {d["MetricName"] for d in metric_data(_flows("healthy"), WHEN, Monitor(name="m"))}
    assert "HealthIndicator" not in names
    assert "Retransmissions" in names


def test_a_part_of_a_minute_publishes_that_share_of_its_counts() -> None:
    flows = _flows("incident")
    whole = {d["MetricName"]: d["Value"] for d in metric_data(flows, WHEN, Monitor(name="m"))}
    part = {d["MetricName"]: d["Value"] for d in metric_data(flows, WHEN + timedelta(seconds=1), Monitor(name="m"), 15)}
    assert part["Retransmissions"] == whole["Retransmissions"] / 4
    assert part["RoundTripTime"] == whole["RoundTripTime"]
