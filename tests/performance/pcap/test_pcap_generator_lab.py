"""The generator's lab features: handshake options, windows, slow readers, reordering, the receiver's view."""

from __future__ import annotations

import io
import struct
import subprocess
from pathlib import Path

import pytest

from agents.performance.pcap import analyze_stream
from agents.performance.pcap.generator import FlowSpec, write_capture


def _analysis(*specs: FlowSpec, seed: int = 1):
    out = io.BytesIO()
    write_capture(out, list(specs), seed=seed)
    return analyze_stream(io.BytesIO(out.getvalue()), name="generated")


def _first_tcp_header_length(spec: FlowSpec) -> int:
    out = io.BytesIO()
    write_capture(out, [spec])
    frame = out.getvalue()[24 + 16 :]  # the file header, then the first record's header
    return (frame[14 + 20 + 12] >> 4) * 4  # Ethernet, IPv4, then TCP's data offset


def test_without_syn_options_the_handshake_carries_none() -> None:
    assert _first_tcp_header_length(FlowSpec(segments=1)) == 20


def test_with_syn_options_the_syn_carries_mss_sack_timestamps_and_window_scale() -> None:
    assert _first_tcp_header_length(FlowSpec(segments=1, syn_options=True, client_wscale=7, server_wscale=7)) == 40


def test_a_slow_reader_closes_its_window_once_per_burst() -> None:
    result = _analysis(FlowSpec(segments=50, burst=5, window=7240, zero_window_pause_s=0.002))
    assert result.counts["zero_windows"] == 10
    assert result.counts["retransmissions"] == 0


def test_deep_reordering_draws_spurious_retransmissions_without_loss() -> None:
    spec = FlowSpec(segments=2000, burst=32, reorder_rate=0.05, reorder_depth=3, capture_at="receiver")
    counts = _analysis(spec).counts
    assert counts["spurious_retransmissions"] > 0
    assert counts["out_of_order"] > 0


def test_the_receivers_view_misses_what_the_path_lost() -> None:
    spec = FlowSpec(segments=2000, burst=32, loss_rate=0.03)
    sender = _analysis(spec).counts
    receiver = _analysis(FlowSpec(**{**spec.__dict__, "capture_at": "receiver"})).counts
    assert sender["lost_segments"] == 0
    assert receiver["lost_segments"] > 0
    assert receiver["tcp_packets"] < sender["tcp_packets"]


def _records(data: bytes) -> list[tuple[int, int]]:
    """Each record's (seconds, microseconds)."""
    at, out = 24, []
    while at < len(data):
        sec, usec, stored, _ = struct.unpack_from("<IIII", data, at)
        out.append((sec, usec))
        at += 16 + stored
    return out


def test_an_application_limited_sender_spaces_its_bursts(tmp_path: Path) -> None:
    path = tmp_path / "paced.pcap"
    write_capture(path, [FlowSpec(segments=100, burst=10, burst_interval_s=0.1)])
    data = path.read_bytes()
    times = [sec + usec / 1e6 for sec, usec in _records(data)]
    assert 0.9 < times[-1] - times[0] < 1.1  # 10 bursts, 0.1 s apart


def test_tshark_reads_the_window_scale_and_the_scaled_window(tmp_path: Path) -> None:
    path = tmp_path / "scaled.pcap"
    spec = FlowSpec(segments=20, syn_options=True, client_wscale=7, server_wscale=7, server_window=3 << 20)
    write_capture(path, [spec])
    fields = ["-e", "tcp.options.wscale.shift", "-e", "tcp.window_size", "-e", "tcp.srcport"]
    out = subprocess.run(
        ["tshark", "-r", str(path), "-T", "fields", *fields], capture_output=True, text=True, check=True
    )
    lines = [line.split("\t") for line in out.stdout.splitlines()]
    assert [shift for shift, _, _ in lines[:2]] == ["7", "7"]
    assert max(int(size) for _, size, port in lines[2:] if port == "5432") == 3 << 20


def test_a_window_scale_beyond_rfc_7323_is_refused() -> None:
    with pytest.raises(ValueError, match="client_wscale"):
        FlowSpec(syn_options=True, client_wscale=15)
