"""`netops analyze-pcap`: JSON lines per the design contract, a readable table, honest exit codes."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pcap_corpus import CAPTURES, EXPECTED

from agents.cli import main

SYNTHETIC = CAPTURES / "synthetic/synthetic_tcp_events.pcap"
CONTRACT_COUNTS = {
    "tcp_packets",
    "streams",
    "retransmissions",
    "fast_retransmissions",
    "spurious_retransmissions",
    "duplicate_acks",
    "lost_segments",
    "out_of_order",
    "zero_windows",
    "resets",
    "fins",
    "syns",
}


def test_json_output_is_one_contract_line_per_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "notes.txt"
    junk.write_text("no capture here")

    code = main(["analyze-pcap", "--json", str(SYNTHETIC), str(junk)])

    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 0
    assert [line["file"] for line in lines] == [str(SYNTHETIC), str(junk)]
    good, bad = lines
    assert set(good) == {"file", "error", "counts", "ack_rtt", "flows"}
    assert set(good["counts"]) == CONTRACT_COUNTS
    assert set(good["ack_rtt"]) == {"count", "mean_s", "p50_s", "p99_s", "max_s"}
    expected = next(case for case in EXPECTED if case["file"] == "synthetic/synthetic_tcp_events.pcap")
    assert good["counts"] == expected["counts"] and good["error"] is None
    assert bad["error"] == "not a pcap or pcapng file"
    assert {"src", "dst", "sport", "dport", "vni", "retransmission_rate", "rtt_p50_s", "rtt_p99_s"} <= set(
        good["flows"][0]
    )


def test_exit_code_is_one_when_every_file_failed(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x01\x02\x03\x04" * 10)

    code = main(["analyze-pcap", str(junk), str(tmp_path / "missing.pcap")])

    out = capsys.readouterr().out
    assert code == 1
    assert f"{junk}: not a pcap or pcapng file" in out
    assert "missing.pcap: no such file" in out


def test_table_names_the_counts_and_the_worst_flows(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["analyze-pcap", str(SYNTHETIC)])

    out = capsys.readouterr().out
    header, _rule, row = out.splitlines()[:3]
    assert code == 0
    assert header.split()[:4] == ["file", "TCP", "pkts", "streams"]
    assert row.split()[1:4] == ["39", "5", "3"]
    assert "worst flows in" in out and "10.0.1.10:40001 → 10.0.2.20:5432" in out


def test_merge_prints_one_combined_answer(capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["analyze-pcap", "--json", "--merge", str(SYNTHETIC), str(SYNTHETIC)])

    lines = capsys.readouterr().out.splitlines()
    assert code == 0
    assert len(lines) == 1
    assert json.loads(lines[0])["counts"]["tcp_packets"] == 78


def test_a_capture_cut_short_still_answers_with_exit_code_zero(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cut = tmp_path / "rotated.pcap"
    cut.write_bytes(SYNTHETIC.read_bytes()[:-30])

    code = main(["analyze-pcap", "--json", str(cut)])

    line = json.loads(capsys.readouterr().out)
    assert code == 0
    assert line["counts"]["tcp_packets"] == 38
    assert "cut short" in line["error"]
