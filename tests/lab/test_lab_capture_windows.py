"""The windows in the lab's captures, read by tshark: the handshake's options and what each end advertises."""

from __future__ import annotations

import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest

from agents.lab import topology
from agents.lab.model import MSS, flow_conditions, initial_states
from agents.lab.scenarios import load_scenario
from agents.lab.telemetry import capture_bytes

WHEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
FIELDS = (
    "tcp.srcport",
    "tcp.flags.syn",
    "tcp.options.mss_val",
    "tcp.options.sack_perm",
    "tcp.options.timestamp.tsval",
    "tcp.options.wscale.shift",
    "tcp.window_size",
    "tcp.analysis.bytes_in_flight",
    "tcp.analysis.zero_window",
    "tcp.analysis.window_full",
)


def _main_flow_packets(name: str, tmp_path: Path) -> list[dict[str, str]]:
    """tshark's view of the scenario's bulk app → db:5432 connection in one capture."""
    scenario = load_scenario(name)
    path = tmp_path / f"{name}.pcap"
    path.write_bytes(capture_bytes(flow_conditions(scenario, initial_states(scenario)), WHEN, "app", name))
    out = subprocess.run(
        ["tshark", "-r", str(path), "-Y", f"tcp.port == {topology.APP_PORT}", "-T", "fields"]
        + [arg for field in FIELDS for arg in ("-e", field)],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return [dict(zip(FIELDS, line.split("\t"), strict=True)) for line in out.splitlines()]


def _from(packets: list[dict[str, str]], port: int) -> list[dict[str, str]]:
    return [p for p in packets if p["tcp.srcport"] == str(port)]


def _syns(packets: list[dict[str, str]]) -> list[dict[str, str]]:
    return [p for p in packets if p["tcp.flags.syn"] in ("1", "True")]


def _max(packets: list[dict[str, str]], field: str) -> int:
    return max(int(p[field]) for p in packets if p[field])


def test_the_handshake_carries_mss_sack_timestamps_and_both_window_scales(tmp_path: Path) -> None:
    syn, syn_ack = _syns(_main_flow_packets("healthy", tmp_path))
    for packet in (syn, syn_ack):
        assert packet["tcp.options.mss_val"] == str(MSS)
        assert packet["tcp.options.sack_perm"] and packet["tcp.options.timestamp.tsval"]
        assert packet["tcp.options.wscale.shift"] == "7"


def test_with_scaling_the_receiver_advertises_megabytes(tmp_path: Path) -> None:
    packets = _main_flow_packets("healthy", tmp_path)
    assert _max(_from(packets, topology.DB_PORT), "tcp.window_size") > 1024 * 1024  # 3 MiB, scaled by 2^7


def test_scaling_off_on_the_app_leaves_both_syns_without_a_window_scale(tmp_path: Path) -> None:
    syn, syn_ack = _syns(_main_flow_packets("incident", tmp_path))
    assert syn["tcp.options.wscale.shift"] == syn_ack["tcp.options.wscale.shift"] == ""


def test_without_scaling_the_window_stays_under_64_kib_and_the_sender_fills_it(tmp_path: Path) -> None:
    packets = _main_flow_packets("no-window-scaling", tmp_path)
    window = _max(_from(packets, topology.DB_PORT), "tcp.window_size")
    assert window <= 65535
    assert _max(_from(packets, topology.APP_PORT), "tcp.analysis.bytes_in_flight") == window
    assert any(p["tcp.analysis.window_full"] for p in packets)


def test_a_lagging_receiver_advertises_zero_windows_after_its_small_window_fills(tmp_path: Path) -> None:
    packets = _main_flow_packets("receiver-window", tmp_path)
    zero = [p for p in _from(packets, topology.DB_PORT) if p["tcp.analysis.zero_window"]]
    full = [p for p in _from(packets, topology.APP_PORT) if p["tcp.analysis.window_full"]]
    assert zero and full
    assert _max(_from(packets, topology.APP_PORT), "tcp.analysis.bytes_in_flight") <= 16384 // 2


@pytest.mark.parametrize("name", ["healthy", "path-loss", "added-latency", "aws-network", "instance-allowance"])
def test_flows_that_are_not_window_limited_never_fill_the_window(name: str, tmp_path: Path) -> None:
    packets = _main_flow_packets(name, tmp_path)
    assert not any(p["tcp.analysis.window_full"] or p["tcp.analysis.zero_window"] for p in packets)
