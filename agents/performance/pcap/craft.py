"""Hand-made captures for regression tests: exact packets, and re-framings of real captures.

`generator.py` models whole connections; this module writes exactly the packets a test names
(`tcp_packet`, `write_pcap`), and turns a real capture into the same traffic as another link
would have recorded it (`reframe`: Ethernet, SLL2 + VXLAN, IPv4 or IPv6, a smaller snap
length), so that a truncated copy can be compared with the full one packet for packet.
"""

from __future__ import annotations

import ipaddress
import struct
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO, Literal

from agents.performance.pcap.capture import read_records

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
Link = Literal["ethernet", "sll2-vxlan"]
_MACS = bytes.fromhex("0a00000000020a0000000001")
_SLL2 = struct.pack("!HHIHBB8s", 0x0800, 0, 2, 1, 0, 6, bytes.fromhex("0a00000000090000"))
_MIRROR = (int(ipaddress.IPv4Address("10.0.0.5")), int(ipaddress.IPv4Address("10.0.0.100")))


@dataclass(frozen=True)
class Packet:
    """One frame to write: its time, stored bytes and length on the wire."""

    ts: float
    data: bytes
    origlen: int


def tcp_segment(
    sport: int, dport: int, seq: int, ack: int, flags: int, *, window: int = 65535, options: bytes = b""
) -> bytes:
    """A TCP header (options padded to 32 bits), without payload; checksums are left at zero."""
    options += b"\x00" * (-len(options) % 4)
    offset = (5 + len(options) // 4) << 4
    return struct.pack("!HHIIBBHHH", sport, dport, seq, ack, offset, flags, window, 0, 0) + options


def ip_header(src: str, dst: str, proto: int, payload_len: int) -> bytes:
    """An IPv4 or IPv6 header (by the addresses' family) for `payload_len` bytes of `proto`."""
    a, b = ipaddress.ip_address(src), ipaddress.ip_address(dst)
    if a.version == 6:
        return struct.pack("!IHBB", 6 << 28, payload_len, proto, 64) + a.packed + b.packed
    return struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + payload_len, 0, 0x4000, 64, proto, 0, a.packed, b.packed)


def frame(ip_packet: bytes, payload_len: int, *, link: Link = "ethernet", vni: int = 1234, nesting: int = 1) -> bytes:
    """`ip_packet` (headers only; `payload_len` more bytes follow on the wire) on `link`.

    `nesting` wraps SLL2 + VXLAN that many times (a mirror of a mirror ...), for the decoder's
    depth bound. The payload bytes themselves are not built: callers store a prefix only.
    """
    ethertype = b"\x86\xdd" if ip_packet[0] >> 4 == 6 else b"\x08\x00"
    inner = _MACS + ethertype + ip_packet
    if link == "ethernet":
        return inner
    for _ in range(nesting):
        size = len(inner) + payload_len
        udp = struct.pack("!HHHH", 49152, 4789, 16 + size, 0) + struct.pack("!II", 0x08000000, vni << 8)
        outer = struct.pack("!BBHHHBBHII", 0x45, 0, 36 + size, 0, 0x4000, 64, 17, 0, *_MIRROR)
        inner = _MACS + b"\x08\x00" + outer + udp + inner
    return _SLL2 + inner[14:]


def tcp_packet(
    ts: float,
    src: tuple[str, int],
    dst: tuple[str, int],
    seq: int,
    ack: int,
    flags: int = ACK,
    *,
    payload: int = 0,
    window: int = 65535,
    options: bytes = b"",
    link: Link = "ethernet",
    snaplen: int | None = None,
) -> Packet:
    """One TCP packet with `payload` bytes (zeros), cut at `snaplen` as a capture would store it."""
    tcp = tcp_segment(src[1], dst[1], seq, ack, flags, window=window, options=options)
    head = frame(ip_header(src[0], dst[0], 6, len(tcp) + payload) + tcp, payload, link=link)
    whole = head + bytes(payload)
    return Packet(ts, whole[:snaplen] if snaplen is not None else whole, len(whole))


def write_pcap(out: BinaryIO, packets: Iterable[Packet], *, linktype: int = 1) -> int:
    """A nanosecond pcap of `packets`; returns how many were written."""
    out.write(struct.pack("<IHHiIII", 0xA1B23C4D, 2, 4, 0, 0, 262144, linktype))
    written = 0
    for p in packets:
        ns = round(p.ts * 1e9)
        out.write(struct.pack("<IIII", ns // 1_000_000_000, ns % 1_000_000_000, len(p.data), p.origlen) + p.data)
        written += 1
    return written


def reframe(
    stream: BinaryIO, *, link: Link = "ethernet", ipv6: bool = False, snaplen: int | None = None
) -> Iterator[Packet]:
    """The Ethernet/IPv4 frames of a capture as `link` (and IPv6, when asked) would carry them.

    The IP header is rebuilt (IPv4 addresses map into fd00::/96), the TCP header and payload
    are kept byte for byte, and each frame is cut at `snaplen`. Frames that are not untagged
    Ethernet/IPv4 without IP options are left out.
    """
    for ts, linktype, buf, off, caplen, origlen in read_records(stream):
        data = bytes(buf[off : off + caplen])
        if linktype != 1 or len(data) < 34 or data[12:14] != b"\x08\x00" or data[14] != 0x45:
            continue
        total = struct.unpack_from("!H", data, 16)[0]
        proto, src, dst = data[23], data[26:30], data[30:34]
        l4 = data[34:]
        l4_len = total - 20
        if ipv6:
            src6 = ipaddress.IPv6Address(b"\xfd" + bytes(11) + src)
            dst6 = ipaddress.IPv6Address(b"\xfd" + bytes(11) + dst)
            ip = ip_header(str(src6), str(dst6), proto, l4_len)
        else:
            ip = data[14:34]
        missing = max(0, l4_len - len(l4))  # what the original capture had already cut
        whole = frame(ip + l4, missing, link=link)
        wire = len(whole) + missing + (origlen - 14 - total if origlen > 14 + total else 0)
        yield Packet(ts / 1e9, whole[:snaplen] if snaplen is not None else whole, wire)
