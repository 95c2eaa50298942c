"""Each shipped scenario, staged in a real lab: its evidence shows its trouble, and only it.

The evidence is read as the agent and an expert would: Network Flow Monitor rows and
CloudWatch datapoints through boto3, the newest capture from S3 analysed by our analyzer and
by tshark, and the hosts' own tools (`tc`, `ethtool`). Each kind of trouble is a symptom;
a scenario must show exactly its own set of them, and the web host's flow to the db (the
control no scenario breaks) must stay clean everywhere.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lab_helpers import monitor_datapoints

from agents.lab import topology
from agents.lab.scenarios import load_scenario, scenario_names
from agents.lab.server import Lab, LabConfig
from agents.performance.pcap import analyze_path

HIGH_RTT_US = 20_000  # above any shipped path's own RTT (10 ms at most): only added delay reaches it
EXPECTED = {
    "incident": {"retransmissions", "timeouts", "netem", "no_window_scale"},
    "path-loss": {"retransmissions", "timeouts", "netem"},
    "receiver-window": {"zero_windows", "window_full"},
    "no-window-scaling": {"no_window_scale", "window_full"},
    "added-latency": {"high_rtt", "netem"},
    "aws-network": {"retransmissions", "timeouts", "aws_degraded"},
    "instance-allowance": {"retransmissions", "timeouts", "ena_drops"},
    "resets": {"server_resets"},
    "reordering": {"retransmissions", "spurious_retransmissions", "out_of_order"},
    "healthy": set(),
    "no-data": {"no_captures", "no_monitors"},
}
TSHARK_FIELDS = (
    "tcp.analysis.zero_window",
    "tcp.analysis.window_full",
    "tcp.options.wscale.shift",
    "tcp.flags.syn",
    "tcp.flags.reset",
    "ip.src",
)


@dataclass
class Staged:
    name: str
    lab: Lab
    capture: Path | None


@pytest.fixture(scope="module", params=scenario_names())
def staged(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Staged]:
    config = LabConfig(scenario=load_scenario(request.param), history_minutes=3, rotation_s=None)
    with Lab(config=config) as lab:
        listed = lab.client("s3").list_objects_v2(Bucket=lab.bucket).get("Contents", [])
        capture = None
        if listed:
            newest = max(listed, key=lambda o: o["Key"])["Key"]
            capture = tmp_path_factory.mktemp(request.param) / "newest.pcap"
            capture.write_bytes(lab.client("s3").get_object(Bucket=lab.bucket, Key=newest)["Body"].read())
        yield Staged(request.param, lab, capture)


def _nfm_rows(lab: Lab, metric: str) -> list[dict]:
    nfm = lab.client("networkflowmonitor")
    end = datetime.now(UTC) + timedelta(seconds=1)
    rows = []
    for category in ("INTER_AZ", "INTRA_AZ"):
        query = nfm.start_query_monitor_top_contributors(
            monitorName=topology.MONITOR_NAME,
            startTime=end - timedelta(minutes=10),
            endTime=end,
            metricName=metric,
            destinationCategory=category,
        )["queryId"]
        nfm.get_query_status_monitor_top_contributors(monitorName=topology.MONITOR_NAME, queryId=query)
        found = nfm.get_query_results_monitor_top_contributors(monitorName=topology.MONITOR_NAME, queryId=query)
        rows += found["topContributors"]
    return rows


def _health_indicators(lab: Lab) -> set[float]:
    points = monitor_datapoints(
        lab, "HealthIndicator", "Maximum", minutes=10, end=datetime.now(UTC) + timedelta(minutes=1)
    )
    return {p["Maximum"] for p in points}


def _tshark(capture: Path) -> list[dict[str, str]]:
    out = subprocess.run(
        ["tshark", "-r", str(capture), "-T", "fields", *[a for f in TSHARK_FIELDS for a in ("-e", f)]],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [dict(zip(TSHARK_FIELDS, line.split("\t"), strict=True)) for line in out.splitlines()]


def _is_reset(packet: dict[str, str]) -> bool:
    return packet["tcp.flags.reset"] in ("1", "True")


def _inner_src(packet: dict[str, str]) -> str:
    """The mirrored packet's own source: tshark lists the outer (VXLAN) address first."""
    return packet["ip.src"].split(",")[-1]


def _capture_symptoms(staged: Staged) -> set[str]:
    if staged.capture is None:
        return {"no_captures"}
    counts = analyze_path(staged.capture).counts
    packets = _tshark(staged.capture)
    server_ips = {staged.lab.ips[flow.server] for flow in staged.lab.scenario.flows}
    found = {
        "spurious_retransmissions": counts["spurious_retransmissions"] > 0,
        "out_of_order": counts["out_of_order"] > 0,
        "zero_windows": counts["zero_windows"] > 0,
        "window_full": any(p["tcp.analysis.window_full"] for p in packets),
        "no_window_scale": any(
            p["tcp.flags.syn"] in ("1", "True") and not p["tcp.options.wscale.shift"] for p in packets
        ),
        "server_resets": any(_is_reset(p) and _inner_src(p) in server_ips for p in packets),
    }
    assert counts["zero_windows"] == sum(1 for p in packets if p["tcp.analysis.zero_window"])  # both tools agree
    assert counts["resets"] == sum(1 for p in packets if _is_reset(p) and _inner_src(p) in server_ips)
    return {name for name, present in found.items() if present}


def _telemetry_symptoms(staged: Staged) -> set[str]:
    lab = staged.lab
    if not lab.client("networkflowmonitor").list_monitors()["monitors"]:
        return {"no_monitors"}
    retransmissions, timeouts, rtt = (_nfm_rows(lab, m) for m in ("RETRANSMISSIONS", "TIMEOUTS", "ROUND_TRIP_TIME"))
    control = [r for r in retransmissions + timeouts if r["localIp"] == lab.ips["web"]]
    assert control and {r["value"] for r in control} == {0}, "the web host's flow to the db must stay clean"
    found = {
        "retransmissions": any(r["value"] > 0 for r in retransmissions),
        "timeouts": any(r["value"] > 0 for r in timeouts),
        "high_rtt": any(r["value"] > HIGH_RTT_US for r in rtt),
        "aws_degraded": 1.0 in _health_indicators(lab),
    }
    return {name for name, present in found.items() if present}


def _host_symptoms(staged: Staged) -> set[str]:
    found = set()
    for host in staged.lab.hosts.values():
        qdisc = host.run_script("tc qdisc show dev eth0 root").stdout
        ena = host.run_script("ethtool -S eth0").stdout
        if "netem" in qdisc:
            found.add("netem")
        if any(
            line.split(":")[0].strip().endswith("allowance_exceeded") and line.split()[-1] != "0"
            for line in ena.splitlines()
        ):
            found.add("ena_drops")
    return found


def test_scenario_evidence_shows_its_trouble_and_only_it(staged: Staged) -> None:
    symptoms = _capture_symptoms(staged) | _telemetry_symptoms(staged) | _host_symptoms(staged)
    assert symptoms == EXPECTED[staged.name]


def test_every_shipped_scenario_has_its_expected_symptoms_listed() -> None:
    assert sorted(EXPECTED) == scenario_names()
