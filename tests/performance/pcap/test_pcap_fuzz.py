"""Fuzzing the reader, decoders and analysis: mutated captures never raise, never hang."""

from __future__ import annotations

import io
import struct
import time

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pcap_corpus import CAPTURES

from agents.performance.pcap import analyze_stream
from agents.performance.pcap.decode import FRAGMENT, SUPPORTED_LINKTYPES, decode_tcp

SEEDS = [
    (CAPTURES / "synthetic/synthetic_tcp_events.pcap").read_bytes(),
    (CAPTURES / "synthetic/synthetic_tcp_events_vxlan_sll2.pcap").read_bytes(),
    (CAPTURES / "tcpdump/of13_ericsson.pcapng").read_bytes(),
]
FUZZ = settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def mutated_capture(draw) -> bytes:
    data = bytearray(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(0, 24))):
        position = draw(st.integers(0, len(data) - 1))
        data[position] = draw(st.integers(0, 255))
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data)


@FUZZ
@given(mutated_capture())
def test_mutated_captures_give_a_result_or_a_sentence(data: bytes) -> None:
    started = time.monotonic()

    result = analyze_stream(io.BytesIO(data), name="fuzz", deadline_s=5)

    assert result.error is None or (isinstance(result.error, str) and "\n" not in result.error)
    assert all(value >= 0 for value in result.counts.values())
    assert time.monotonic() - started < 5


@FUZZ
@given(st.sampled_from(sorted(SUPPORTED_LINKTYPES)), st.binary(max_size=200), st.integers(0, 400))
def test_decoder_accepts_any_frame_bytes(linktype: int, frame: bytes, extra_wire_length: int) -> None:
    seg = decode_tcp(linktype, frame, 0, len(frame), len(frame) + extra_wire_length)

    assert seg is None or seg is FRAGMENT or len(seg) == 12


@FUZZ
@given(st.lists(st.tuples(st.integers(0, 0xFFFFFFFF), st.integers(0, 0xFFFFFFFF), st.integers(0, 0x3F),
                          st.integers(0, 3), st.booleans(), st.integers(0, 2000)), max_size=60))  # fmt: skip
def test_arbitrary_tcp_header_sequences_never_break_the_analysis(segments: list[tuple]) -> None:
    records = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)]
    for i, (seq, ack, flags, window, forward, length) in enumerate(segments):
        ends = (b"\x0a\0\0\x01", b"\x0a\0\0\x02") if forward else (b"\x0a\0\0\x02", b"\x0a\0\0\x01")
        tcp = struct.pack("!HHIIBBHHH", 1000 if forward else 80, 80 if forward else 1000, seq, ack, 0x50, flags,
                          window, 0, 0)  # fmt: skip
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 40 + length, 0, 0, 64, 6, 0, *ends)
        frame = ip + tcp
        records.append(struct.pack("<IIII", 1, i * 1000, len(frame), len(frame) + length) + frame)

    result = analyze_stream(io.BytesIO(b"".join(records)), name="tcp-fuzz")

    assert result.error is None
    assert result.counts["tcp_packets"] == len(segments)
