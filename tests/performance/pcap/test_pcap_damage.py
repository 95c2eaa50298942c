"""Damaged or unusual captures that once lost packets silently (issue 15, points 3 and 4)."""

from __future__ import annotations

import gzip
import io

from agents.performance.pcap import analyze_stream
from agents.performance.pcap.craft import ACK, PSH, SYN, Packet, frame, ip_header, tcp_packet, tcp_segment, write_pcap
from agents.performance.pcap.generator import FlowSpec, write_capture


def _generated(packets: int = 3000) -> bytes:
    out = io.BytesIO()
    flows = [FlowSpec(client=(f"10.0.1.{i + 1}", 40000 + i), segments=140, loss_rate=0.02) for i in range(10)]
    write_capture(out, flows, seed=4, start_time=1_700_000_000.0)
    return out.getvalue()


def test_gzip_with_a_bad_crc_analyses_every_packet_then_says_so() -> None:
    plain = _generated()
    packed = bytearray(gzip.compress(plain))
    packed[-8] ^= 0xFF  # the trailer's CRC-32

    whole = analyze_stream(io.BytesIO(plain), name="plain.pcap")
    damaged = analyze_stream(io.BytesIO(bytes(packed)), name="bad-crc.pcap.gz")

    assert whole.packets > 2500
    assert damaged.packets == whole.packets
    assert damaged.counts == whole.counts
    assert "CRC" in damaged.error and f"the {whole.packets} packets" in damaged.error


def test_gzip_with_a_wrong_length_in_its_trailer_is_reported() -> None:
    packed = bytearray(gzip.compress(_generated()))
    packed[-1] ^= 0x01  # ISIZE

    result = analyze_stream(io.BytesIO(bytes(packed)), name="bad-size.pcap.gz")

    assert result.error is not None and "length check failed" in result.error and not result.failed


def test_concatenated_gzip_members_are_one_capture_still() -> None:
    plain = _generated()
    cut = 24 + 16 + 54  # the file header and the first record in the first member
    packed = gzip.compress(plain[:cut], mtime=0) + gzip.compress(plain[cut:], mtime=0)

    result = analyze_stream(io.BytesIO(packed), name="two-members.pcap.gz")

    assert result.error is None
    assert result.counts == analyze_stream(io.BytesIO(plain), name="plain").counts


def test_gzip_header_with_a_file_name_and_comment_is_read() -> None:
    plain = _generated()
    body = gzip.compress(plain, mtime=0)
    # FNAME | FCOMMENT, each zero-terminated after the 10-byte header
    packed = body[:3] + bytes([0x18]) + body[4:10] + b"capture.pcap\x00mirror\x00" + body[10:]

    result = analyze_stream(io.BytesIO(packed), name="named.pcap.gz")

    assert result.error is None and result.counts == analyze_stream(io.BytesIO(plain), name="plain").counts


def _nested(depth: int) -> bytes:
    client, server = ("10.0.0.1", 40000), ("10.0.0.2", 80)
    tcp = tcp_segment(client[1], server[1], 1000, 0, SYN)
    syn = frame(ip_header(client[0], server[0], 6, len(tcp)) + tcp, 0, link="sll2-vxlan", nesting=depth)
    out = io.BytesIO()
    write_pcap(out, [Packet(1.0, syn, len(syn))] * 3, linktype=276)
    return out.getvalue()


def test_vxlan_nested_eight_deep_is_decoded() -> None:
    result = analyze_stream(io.BytesIO(_nested(8)), name="vxlan-8.pcap")

    assert result.error is None
    assert result.counts["tcp_packets"] == 3 and result.tunnels_too_deep == 0


def test_vxlan_nested_deeper_than_eight_says_so_in_the_error() -> None:
    result = analyze_stream(io.BytesIO(_nested(9)), name="vxlan-9.pcap")

    assert result.counts["tcp_packets"] == 0
    assert result.tunnels_too_deep == 3
    assert result.error is not None and "nested more than 8 deep" in result.error


def test_a_few_over_deep_packets_beside_analysed_ones_are_counted_not_an_error() -> None:
    client, server = ("10.0.0.1", 40000), ("10.0.0.2", 80)
    good = tcp_packet(1.0, client, server, 1000, 0, SYN, link="sll2-vxlan")
    deep = _nested(9)[24:]  # its records
    out = io.BytesIO()
    write_pcap(
        out, [good, tcp_packet(1.1, client, server, 1001, 1, ACK | PSH, payload=10, link="sll2-vxlan")], linktype=276
    )

    result = analyze_stream(io.BytesIO(out.getvalue() + deep), name="mixed.pcap")

    assert result.error is None
    assert result.counts["tcp_packets"] == 2 and result.tunnels_too_deep == 3
