"""Wireshark's TCP analysis rules, one scenario each, checked against ours and live tshark.

Each scenario is a handful of hand-built segments of one connection (client 10.0.0.1:1000,
server 10.0.0.2:80); the expected frame numbers are what tshark 4.0 flags.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path

import pytest
from pcap_corpus import run_tshark

from agents.performance.pcap import analyze_stream

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
C_ISN, S_ISN = 1000, 5000


def _capture(segments: list[tuple]) -> bytes:
    """segments: (time_ms, from_client, flags, seq, ack, payload_len[, window]) -> raw-IP pcap."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)]
    for time_ms, client, flags, seq, ack, length, *rest in segments:
        window = rest[0] if rest else 65535
        src, dst = (b"\x0a\0\0\x01", b"\x0a\0\0\x02") if client else (b"\x0a\0\0\x02", b"\x0a\0\0\x01")
        ports = (1000, 80) if client else (80, 1000)
        tcp = struct.pack("!HHIIBBHHH", *ports, seq, ack, 0x50, flags, window, 0, 0)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + length, 0, 0, 64, 6, 0, src, dst)
        frame = ip + tcp + bytes(length)
        micros = round(time_ms * 1000)
        out.append(struct.pack("<IIII", 100 + micros // 1_000_000, micros % 1_000_000, len(frame), len(frame)))
        out.append(frame)
    return b"".join(out)


HANDSHAKE = [
    (0, True, SYN, C_ISN, 0, 0),
    (10, False, SYN | ACK, S_ISN, C_ISN + 1, 0),
    (10.1, True, ACK, C_ISN + 1, S_ISN + 1, 0),
]
C, S = C_ISN + 1, S_ISN + 1  # first data sequence numbers
# three segments; the second is lost beyond the capture point, so the server's ACKs repeat C + 100
LOSS_THEN_DUPLICATE_ACKS = [
    *HANDSHAKE,
    (20, True, ACK, C, S, 100),
    (20.1, True, ACK, C + 100, S, 100),
    (20.2, True, ACK, C + 200, S, 100),
    (30, False, ACK, S, C + 100, 0),
    (30.1, False, ACK, S, C + 100, 0),
    (30.2, False, ACK, S, C + 100, 0),
    (30.3, False, ACK, S, C + 100, 0),
]

SCENARIOS = {
    "rto-retransmission": (
        [*HANDSHAKE, (20, True, PSH | ACK, C, S, 100), (300, True, PSH | ACK, C, S, 100)],
        {"retransmissions": [5]},
    ),
    "keep-alive-is-not-a-retransmission": (
        [
            *HANDSHAKE,
            (20, True, PSH | ACK, C, S, 100),
            (30, False, ACK, S, C + 100, 0),
            (5000, True, ACK, C + 99, S, 1),
        ],
        {},
    ),
    "fast-retransmission-after-duplicate-acks": (
        [
            *LOSS_THEN_DUPLICATE_ACKS,
            (31, True, ACK, C + 100, S, 100),
        ],
        {"duplicate_acks": [8, 9, 10], "retransmissions": [11], "fast_retransmissions": [11]},
    ),
    "no-fast-retransmission-20-ms-after-the-last-duplicate-ack": (
        [
            *LOSS_THEN_DUPLICATE_ACKS,
            (51, True, ACK, C + 100, S, 100),
        ],
        {"duplicate_acks": [8, 9, 10], "retransmissions": [11]},
    ),
    "spurious-retransmission-of-acknowledged-data": (
        [*HANDSHAKE, (20, True, ACK, C, S, 100), (30, False, ACK, S, C + 100, 0), (300, True, ACK, C, S, 100)],
        {"retransmissions": [6], "spurious_retransmissions": [6]},
    ),
    "gap-is-a-lost-segment-then-its-fill-is-out-of-order": (
        [
            *HANDSHAKE,
            (20, True, ACK, C, S, 100),
            (20.5, True, ACK, C + 200, S, 100),
            (21, True, ACK, C + 100, S, 100),
        ],
        {"lost_segments": [5], "out_of_order": [6]},
    ),
    "zero-window-is-counted-but-not-for-a-reset": (
        [
            *HANDSHAKE,
            (20, True, ACK, C, S, 100),
            (30, False, ACK, S, C + 100, 0, 0),
            (40, False, RST | ACK, S, C + 100, 0, 0),
        ],
        {"zero_windows": [5], "resets": [6]},
    ),
    "reset-above-the-next-sequence-number-is-not-a-lost-segment": (
        [*HANDSHAKE, (20, True, ACK, C, S, 100), (30, True, RST, C + 5000, 0, 0)],
        {"resets": [5]},
    ),
}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_rule_scenario_flags_the_frames_tshark_flags(name: str, tmp_path: Path) -> None:
    segments, flagged = SCENARIOS[name]
    data = _capture(segments)
    path = tmp_path / f"{name}.pcap"
    path.write_bytes(data)

    ours = analyze_stream(io.BytesIO(data), name=name)
    theirs = run_tshark(path)

    expected = {kind: flagged.get(kind, []) for kind in ours.frames}
    assert ours.frames == expected
    assert theirs["frames"] == expected


def test_new_syn_with_another_isn_starts_a_new_stream() -> None:
    again = [
        (t + 1000, client, flags, seq + 777, ack + 777 if ack else 0, n) for t, client, flags, seq, ack, n in HANDSHAKE
    ]
    data = _capture([*HANDSHAKE, (20, True, FIN | ACK, C, S, 0), *again])

    result = analyze_stream(io.BytesIO(data), name="reuse")

    assert result.counts["streams"] == 2
    assert result.counts["retransmissions"] == 0


def test_retransmitted_syn_stays_in_its_stream_and_is_a_retransmission() -> None:
    data = _capture([HANDSHAKE[0], (1000, True, SYN, C_ISN, 0, 0), *HANDSHAKE[1:]])

    result = analyze_stream(io.BytesIO(data), name="syn-again")

    assert result.counts["streams"] == 1
    assert result.frames["retransmissions"] == [2]


def test_ack_rtt_runs_from_the_first_transmission_of_a_retransmitted_segment() -> None:
    data = _capture(
        [*HANDSHAKE, (20, True, ACK, C, S, 100), (300, True, ACK, C, S, 100), (310, False, ACK, S, C + 100, 0)]
    )

    result = analyze_stream(io.BytesIO(data), name="rtt")

    assert result.ack_rtt["count"] == 3  # SYN, SYN/ACK and the data
    assert result.ack_rtt["max_s"] == pytest.approx(0.290)
