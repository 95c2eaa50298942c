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


DIRECTION_FLAGS = {
    **TSHARK_FLAGS,
    "window_full": "tcp.analysis.window_full",
    "syns": "tcp.flags.syn",
    "fins": "tcp.flags.fin",
}
_DIRECTION_FIELDS = [
    "ip.src",
    "ipv6.src",
    "tcp.srcport",
    "ip.dst",
    "ipv6.dst",
    "tcp.dstport",
    "tcp.len",
    "tcp.window_size",
    "tcp.analysis.bytes_in_flight",
    "tcp.options.wscale.shift",
    "frame.time_epoch",
    *DIRECTION_FLAGS.values(),
]


def tshark_directions(path: Path) -> dict[tuple, dict]:
    """tshark's per-direction evidence, keyed (src, sport, dst, dport) of the sending side.

    Counts of each `tcp.analysis.*` flag, SYN/FIN/RST, packets, segments with data/SYN/FIN,
    payload bytes, the largest `tcp.window_size` and `tcp.analysis.bytes_in_flight`, the SYN's
    window scale shift (-1 for a SYN without the option) and the first and last data times.
    Addresses are the innermost ones (`-E occurrence=l`), as a tunnelled flow is keyed.
    """
    binary = shutil.which("tshark")
    assert binary, "tshark is required for the live comparison (CI installs it: apt-get install tshark)"
    cmd = [binary, "-n", "-r", str(path), "-Y", "tcp", "-T", "fields", "-E", "occurrence=l"]
    for name in _DIRECTION_FIELDS:
        cmd += ["-e", name]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True, timeout=300).stdout
    sides: dict[tuple, dict] = {}
    for line in out.splitlines():
        cells = dict(zip(_DIRECTION_FIELDS, line.split("\t"), strict=False))
        key = (
            cells["ip.src"] or cells["ipv6.src"],
            int(cells["tcp.srcport"]),
            cells["ip.dst"] or cells["ipv6.dst"],
            int(cells["tcp.dstport"]),
        )
        side = sides.setdefault(
            key,
            {
                **dict.fromkeys(DIRECTION_FLAGS, 0),
                "packets": 0,
                "data_segments": 0,
                "payload_bytes": 0,
                "max_window": 0,
                "max_in_flight": 0,
                "window_scale": None,
                "first_data_ts": None,
                "last_data_ts": None,
            },
        )
        side["packets"] += 1
        for name, field in DIRECTION_FLAGS.items():
            if cells[field] not in ("", "0", "False"):
                side[name] += 1
        length = int(cells["tcp.len"] or 0)
        side["payload_bytes"] += length
        if length or cells["tcp.flags.syn"] in ("1", "True") or cells["tcp.flags.fin"] in ("1", "True"):
            side["data_segments"] += 1
        side["max_window"] = max(side["max_window"], int(cells["tcp.window_size"] or 0))
        side["max_in_flight"] = max(side["max_in_flight"], int(cells["tcp.analysis.bytes_in_flight"] or 0))
        if cells["tcp.flags.syn"] in ("1", "True"):
            side["window_scale"] = int(cells["tcp.options.wscale.shift"]) if cells["tcp.options.wscale.shift"] else -1
        if length:
            when = float(cells["frame.time_epoch"])
            side["first_data_ts"] = side["first_data_ts"] or when
            side["last_data_ts"] = when
    return sides
