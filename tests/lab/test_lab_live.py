"""Telemetry that moves with the clock: history at start-up, a stretch closed at every host change."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from lab_helpers import monitor_datapoints, run_script

from agents.lab import topology
from agents.lab.scenarios import load_scenario
from agents.lab.server import Lab, LabConfig
from agents.performance.pcap import analyze_stream
from agents.performance.tools.mirroring import analyze_traffic_mirroring_logs

START_BUDGET_S = 10.0  # "a few seconds" on a shared 2-core machine; bench/bench_lab_start.py measures it


@pytest.fixture
def quiet_lab() -> Iterator[Lab]:
    """The incident lab with no clock: only host changes and rotate_now() close a stretch."""
    with Lab(config=LabConfig(rotation_s=None, ssm_settle_s=0.5)) as lab:
        yield lab


def _keys(lab: Lab) -> list[str]:
    return sorted(o["Key"] for o in lab.client("s3").list_objects_v2(Bucket=lab.bucket).get("Contents", []))


def _analysis(lab: Lab, key: str):
    body = lab.client("s3").get_object(Bucket=lab.bucket, Key=key)["Body"]
    return analyze_stream(body, name=key)


def _app_to_db(result) -> object:
    return next(f for f in result.flows if (f.src, f.dport) == (topology.APP_IP, topology.DB_PORT))


def test_a_question_about_the_last_two_minutes_finds_captures_and_datapoints() -> None:
    with Lab() as lab:  # its clock closes a minute at every :00, as a real account publishes one
        report = analyze_traffic_mirroring_logs(
            lab.client("ec2"), lab.client("s3"), s3_bucket_name=lab.bucket, time_window_minutes=2
        )
        points = monitor_datapoints(lab, "Retransmissions", "Sum", minutes=2)
    assert report.files_analyzed >= 1
    assert report.counts["retransmissions"] > 0
    assert points and all(p["Sum"] > 0 for p in points)


def test_a_fix_closes_the_open_capture_and_what_follows_shows_the_fixed_host(quiet_lab: Lab) -> None:
    before = _keys(quiet_lab)
    run_script(quiet_lab, "app", "tc qdisc del dev eth0 root")
    [closed_at_fix] = sorted(set(_keys(quiet_lab)) - set(before))
    after_fix = quiet_lab.rotate_now()
    assert _app_to_db(_analysis(quiet_lab, closed_at_fix)).retransmissions > 0  # it ran until the fix
    assert _app_to_db(_analysis(quiet_lab, after_fix)).retransmissions == 0


def test_a_read_only_script_closes_nothing(quiet_lab: Lab) -> None:
    before = _keys(quiet_lab)
    run_script(quiet_lab, "app", "sysctl -n net.ipv4.tcp_rmem", "tc qdisc show dev eth0 root")
    assert _keys(quiet_lab) == before


def test_a_rotated_capture_is_uploaded_when_it_closes_and_named_by_its_start(quiet_lab: Lab) -> None:
    key = quiet_lab.rotate_now()
    obj = quiet_lab.client("s3").head_object(Bucket=quiet_lab.bucket, Key=key)
    started = datetime.strptime(re.search(r"capture-(\d{8}-\d{6})", key)[1], "%Y%m%d-%H%M%S").replace(tzinfo=UTC)
    assert started <= obj["LastModified"] <= datetime.now(UTC) + timedelta(seconds=1)
    assert datetime.now(UTC) - obj["LastModified"] < timedelta(seconds=30)


def test_enabling_window_scaling_lifts_the_window_for_new_connections_only() -> None:
    with Lab(config=LabConfig(scenario=load_scenario("no-window-scaling"), rotation_s=None)) as lab:
        closed_before = lab.observed(0, float("inf"))[-1].flows[0]
        run_script(lab, "app", "sysctl -w net.ipv4.tcp_window_scaling=1")
        lab.rotate_now()
        after = lab.observed(0, float("inf"))[-1].flows[0]
    assert (closed_before.client_wscale, closed_before.window) == (None, 65160)
    assert after.client_wscale == 7 and after.throughput_bps == after.offered_bps


def test_raising_the_receivers_tcp_rmem_ends_the_zero_windows() -> None:
    with Lab(config=LabConfig(scenario=load_scenario("receiver-window"), rotation_s=None)) as lab:
        newest = _keys(lab)[-1]
        run_script(lab, "db", "sysctl -w net.ipv4.tcp_rmem='4096 131072 6291456' net.core.rmem_max=6291456")
        fixed = lab.rotate_now()
        assert _analysis(lab, newest).counts["zero_windows"] > 0
        assert _analysis(lab, fixed).counts["zero_windows"] == 0


def test_the_clock_closes_stretches_on_its_own_and_stops_with_the_lab() -> None:
    lab = Lab(config=LabConfig(history_minutes=1, rotation_s=0.2))
    with lab:
        assert lab.wait_for_observations(3, timeout_s=20), "the lab's clock closed nothing within 20 s"
    assert not lab._recorder._clock.is_alive()


def test_the_lab_starts_in_a_few_seconds_with_an_hour_of_history() -> None:
    with Lab(config=LabConfig(rotation_s=None, history_minutes=1)):
        pass  # the first lab in a process pays for moto's imports; the measure is the next one
    started = time.perf_counter()
    with Lab(config=LabConfig(rotation_s=None)) as lab:
        elapsed = time.perf_counter() - started
        assert len(_keys(lab)) == 60
    assert elapsed < START_BUDGET_S


def test_a_scenario_without_mirroring_or_monitors_publishes_nothing() -> None:
    with Lab(config=LabConfig(scenario=load_scenario("no-data"), rotation_s=None)) as lab:
        assert lab.rotate_now() is None
        assert _keys(lab) == []
        assert lab.client("ec2").describe_traffic_mirror_sessions()["TrafficMirrorSessions"] == []
        assert lab.client("networkflowmonitor").list_monitors()["monitors"] == []
        assert lab.client("cloudwatch").list_metrics(Namespace=topology.METRIC_NAMESPACE)["Metrics"] == []


def test_every_host_of_the_scenario_runs_at_its_address() -> None:
    with Lab(config=LabConfig(scenario=load_scenario("reordering"), rotation_s=None)) as lab:
        placed = {
            i["InstanceId"]: i["PrivateIpAddress"]
            for r in lab.client("ec2").describe_instances()["Reservations"]
            for i in r["Instances"]
        }
        [session] = lab.client("ec2").describe_traffic_mirror_sessions()["TrafficMirrorSessions"]
        assert placed == {lab.instances[role]: ip for role, ip in lab.ips.items()}
        assert session["NetworkInterfaceId"] == lab.ids.mirrored_eni_id
        assert all(f"instance-{lab.instances['db']}/" in key for key in _keys(lab))  # this scenario mirrors the db


def test_captures_of_the_hour_are_small(quiet_lab: Lab) -> None:
    sizes = [o["Size"] for o in quiet_lab.client("s3").list_objects_v2(Bucket=quiet_lab.bucket)["Contents"]]
    assert max(sizes) < 512 * 1024  # an hour of them stays a few MiB in the lab's memory


def test_a_minute_boundary_passed_while_seeding_closes_the_open_stretch_at_once() -> None:
    lab = Lab(config=LabConfig(history_minutes=1, rotation_s=None))
    with lab:
        recorder = lab._recorder
        recorder.seed(1, now=time.time() - 120)  # as if seeding had started two minutes ago
        seeded = recorder.count()
        recorder.start_clock(60.0)
        assert recorder.wait_for(seeded + 1, timeout_s=20), "a boundary already passed did not close the stretch"
