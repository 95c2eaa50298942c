"""Every container, link type and tunnel gives the same analysis as the plain Ethernet capture.

The synthetic capture (tshark-verified) is rewritten in each format here, in the test, so the
analysis must come out identical: same counts, same frame numbers, same RTTs.
"""

from __future__ import annotations

import gzip
import io
import struct
from collections.abc import Callable

import pytest
from pcap_corpus import CAPTURES

from agents.performance.pcap import analyze_stream

Packet = tuple[int, bytes, int]  # (timestamp ns, frame, original length)


def _packets() -> list[Packet]:
    data = (CAPTURES / "synthetic/synthetic_tcp_events.pcap").read_bytes()
    assert struct.unpack_from("<I", data)[0] == 0xA1B2C3D4
    out, pos = [], 24
    while pos < len(data):
        sec, usec, caplen, origlen = struct.unpack_from("<IIII", data, pos)
        out.append((sec * 10**9 + usec * 1000, data[pos + 16 : pos + 16 + caplen], origlen))
        pos += 16 + caplen
    return out


PACKETS = _packets()


def _pcap(packets: list[Packet], linktype: int = 1, *, order: str = "<", nano: bool = False) -> bytes:
    magic = 0xA1B23C4D if nano else 0xA1B2C3D4
    parts = [struct.pack(order + "IHHiIII", magic, 2, 4, 0, 0, 65535, linktype)]
    for ts, frame, origlen in packets:
        sec, frac = divmod(ts, 10**9)
        parts.append(struct.pack(order + "IIII", sec, frac if nano else frac // 1000, len(frame), origlen))
        parts.append(frame)
    return b"".join(parts)


def _block(order: str, btype: int, body: bytes) -> bytes:
    body += b"\0" * (-len(body) % 4)
    length = 12 + len(body)
    return struct.pack(order + "II", btype, length) + body + struct.pack(order + "I", length)


def _pcapng(packets: list[Packet], *, order: str = "<", sections: int = 2) -> bytes:
    """Several sections, each with two interfaces: Ethernet in microseconds, raw IP in nanoseconds."""
    out = []
    per_section = -(-len(packets) // sections)
    for s in range(sections):
        out.append(_block(order, 0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1)))
        # a name-resolution-like block of an unknown type, which readers must skip
        out.append(_block(order, 0x00000BAD, b"skip me"))
        nano_opt = struct.pack(order + "HH", 9, 1) + b"\x09\0\0\0" + struct.pack(order + "HH", 0, 0)
        out.append(_block(order, 1, struct.pack(order + "HHI", 1, 0, 65535)))  # microseconds
        out.append(_block(order, 1, struct.pack(order + "HHI", 101, 0, 65535) + nano_opt))  # raw IP, ns
        for i, (ts, frame, origlen) in enumerate(packets[s * per_section : (s + 1) * per_section]):
            iface = i % 2
            units = ts if iface else ts // 1000
            if iface:
                frame, origlen = frame[14:], origlen - 14
            body = struct.pack(order + "IIIII", iface, units >> 32, units & 0xFFFFFFFF, len(frame), origlen) + frame
            out.append(_block(order, 6, body))
    return b"".join(out)


def _relink(strip: int, header: Callable[[bytes], bytes]) -> list[Packet]:
    return [(ts, header(frame) + frame[strip:], origlen - strip + len(header(frame))) for ts, frame, origlen in PACKETS]


def _vlan(frame: bytes, tags: int) -> bytes:
    tag = b"".join(struct.pack("!HH", 0x88A8 if i < tags - 1 else 0x8100, 100 + i) for i in range(tags))
    return frame[:12] + tag + frame[12:]


def _ipv6(frame: bytes, ext: bool) -> bytes:
    ip = frame[14:]
    ihl = (ip[0] & 15) * 4
    total = struct.unpack_from("!H", ip, 2)[0]
    src, dst = ip[12:16], ip[16:20]
    hop_by_hop = bytes([6, 0]) + b"\x01\x04\0\0\0\0" if ext else b""
    header = struct.pack("!IHBB", 0x60000000, total - ihl + len(hop_by_hop), 0 if ext else 6, 64)
    header += b"\x20\x01\x0d\xb8" + b"\0" * 8 + src + b"\x20\x01\x0d\xb8" + b"\0" * 8 + dst
    return frame[:12] + b"\x86\xdd" + header + hop_by_hop + ip[ihl:]


def _geneve(frame: bytes) -> bytes:
    option = struct.pack("!HBB", 0x0101, 0x01, 1) + b"\0\0\0\0"  # one 4-byte option
    geneve = struct.pack("!BBH", len(option) // 4, 0, 0x6558) + struct.pack("!I", 77 << 8) + option
    udp = struct.pack("!HHHH", 51000, 6081, 8 + len(geneve) + len(frame), 0)
    outer = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp) + len(geneve) + len(frame), 0, 0, 64, 17, 0,
                        b"\x0a\0\0\x05", b"\x0a\0\0\x64")  # fmt: skip
    return b"\x02" * 6 + b"\x04" * 6 + b"\x08\x00" + outer + udp + geneve + frame


def _wrap(packets: list[Packet], make: Callable[[bytes], bytes]) -> list[Packet]:
    out = []
    for ts, frame, origlen in packets:
        new = make(frame)
        out.append((ts, new, origlen + len(new) - len(frame)))
    return out


VARIANTS: dict[str, Callable[[], bytes]] = {
    "pcap-little-endian-micro": lambda: _pcap(PACKETS),
    "pcap-big-endian-micro": lambda: _pcap(PACKETS, order=">"),
    "pcap-little-endian-nano": lambda: _pcap(PACKETS, nano=True),
    "pcap-big-endian-nano": lambda: _pcap(PACKETS, order=">", nano=True),
    "pcapng-two-sections-two-link-types": lambda: _pcapng(PACKETS),
    "pcapng-big-endian": lambda: _pcapng(PACKETS, order=">", sections=3),
    "pcap-gzip": lambda: gzip.compress(_pcap(PACKETS)),
    "pcapng-gzip": lambda: gzip.compress(_pcapng(PACKETS)),
    "raw-ip": lambda: _pcap(_relink(14, lambda f: b""), linktype=101),
    "linktype-ipv4": lambda: _pcap(_relink(14, lambda f: b""), linktype=228),
    "linux-sll": lambda: _pcap(_relink(14, lambda f: struct.pack("!HHH8sH", 0, 1, 6, f[6:12], 0x0800)), 113),
    "bsd-null-little-endian": lambda: _pcap(_relink(14, lambda f: struct.pack("<I", 2)), linktype=0),
    "bsd-null-big-endian": lambda: _pcap(_relink(14, lambda f: struct.pack(">I", 2)), linktype=0),
    "ethernet-802.1q": lambda: _pcap(_wrap(PACKETS, lambda f: _vlan(f, 1))),
    "ethernet-802.1ad-qinq": lambda: _pcap(_wrap(PACKETS, lambda f: _vlan(f, 2))),
    "ipv6": lambda: _pcap(_wrap(PACKETS, lambda f: _ipv6(f, ext=False))),
    "ipv6-hop-by-hop-header": lambda: _pcap(_wrap(PACKETS, lambda f: _ipv6(f, ext=True))),
    "geneve": lambda: _pcap(_wrap(PACKETS, _geneve)),
}


@pytest.fixture(scope="module")
def reference():
    return analyze_stream(io.BytesIO(_pcap(PACKETS)), name="reference")


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_format_variant_gives_the_reference_analysis(variant: str, reference) -> None:
    result = analyze_stream(io.BytesIO(VARIANTS[variant]()), name=variant)

    assert result.error is None
    assert result.counts == reference.counts
    assert result.frames == reference.frames
    assert result.ack_rtt == reference.ack_rtt


def test_ipv6_flows_are_reported_with_ipv6_addresses() -> None:
    result = analyze_stream(io.BytesIO(VARIANTS["ipv6"]()), name="ipv6")

    assert result.flows[0].src.startswith("2001:db8::")


def test_geneve_flows_keep_the_tunnel_vni() -> None:
    result = analyze_stream(io.BytesIO(VARIANTS["geneve"]()), name="geneve")

    assert {flow.vni for flow in result.flows} == {77}


def test_ip_fragments_after_the_first_are_counted_not_analysed() -> None:
    def fragment(frame: bytes) -> bytes:
        ip = bytearray(frame[14:])
        struct.pack_into("!H", ip, 6, 185)  # fragment offset 185 * 8 bytes, not the first
        return frame[:14] + bytes(ip)

    result = analyze_stream(io.BytesIO(_pcap(_wrap(PACKETS[:5], fragment))), name="fragments")

    assert result.ip_fragments == 5
    assert result.counts["tcp_packets"] == 0
