"""The shared capture corpus and a live tshark runner, for the PCAP analyzer tests.

A module with a name of its own (not conftest) so that test modules can import its
collection-time data whatever other conftest files the suite holds.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from shared_captures import CAPTURES

TSHARK_FLAGS = {
    "retransmissions": "tcp.analysis.retransmission",
    "fast_retransmissions": "tcp.analysis.fast_retransmission",
    "spurious_retransmissions": "tcp.analysis.spurious_retransmission",
    "duplicate_acks": "tcp.analysis.duplicate_ack",
    "lost_segments": "tcp.analysis.lost_segment",
    "out_of_order": "tcp.analysis.out_of_order",
    "zero_windows": "tcp.analysis.zero_window",
    "resets": "tcp.flags.reset",
}


EXPECTED = [json.loads(line) for line in (CAPTURES / "expected.jsonl").read_text().splitlines() if line.strip()]


def run_tshark(path: Path) -> dict:
    """tshark's answer for a capture: frame numbers per flag, ack RTTs, TCP packet count."""
    binary = shutil.which("tshark")
    assert binary, "tshark is required for the live comparison (CI installs it: apt-get install tshark)"
    cmd = [binary, "-n", "-r", str(path), "-Y", "tcp", "-T", "fields", "-e", "frame.number"]
    for name in [*TSHARK_FLAGS.values(), "tcp.analysis.ack_rtt"]:
        cmd += ["-e", name]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=120).stdout
    frames: dict[str, list[int]] = {name: [] for name in TSHARK_FLAGS}
    rtts: list[float] = []
    packets = 0
    for line in out.splitlines():
        packets += 1
        cells = line.split("\t")
        for name, value in zip(TSHARK_FLAGS, cells[1:], strict=False):
            if value and value not in ("0", "False"):
                frames[name].append(int(cells[0]))
        if cells[-1]:
            rtts.append(float(cells[-1]))
    return {"frames": frames, "rtts": rtts, "tcp_packets": packets}
