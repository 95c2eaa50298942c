"""Deterministic TCP captures with controlled loss, reordering, resets and duplicate ACKs.

The lab writes these at runtime as what a Traffic Mirroring target would have recorded, and the
tests and benchmark use them so that nothing large is checked in. The same seed always gives
the same bytes.

The model is a sender-side capture (the mirrored ENI is the client's): the client sends its
data in bursts of `burst` segments; a lost segment is captured on its way out but never
acknowledged, so the server's ACKs for later segments repeat the hole's sequence number
(duplicate ACKs) until the client retransmits it: a fast retransmission after three duplicate
ACKs, otherwise a retransmission after an RTO. Reordering swaps two neighbouring segments on
the wire. `dup_acks` adds that many extra duplicate ACKs from the server. Each connection opens
with a handshake and ends with FINs, or with an RST from the server when `reset` is set.

Links: `ethernet` (Ethernet/IPv4/TCP) or `sll2-vxlan` (Linux cooked v2 / IPv4 / UDP 4789 /
VXLAN / Ethernet / IPv4 / TCP, as `tcpdump -i any` records on a mirror target). `snaplen`
truncates the stored frames as a mirror session's PacketLength does; the IP length fields keep
the true sizes.
"""

from __future__ import annotations

import heapq
import ipaddress
import random
import struct
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Literal

FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
M32 = 0xFFFFFFFF
_CLIENT_MAC = bytes.fromhex("0a0000000001")
_SERVER_MAC = bytes.fromhex("0a0000000002")
_MIRROR_SRC = int(ipaddress.IPv4Address("10.0.0.5"))
_MIRROR_DST = int(ipaddress.IPv4Address("10.0.0.100"))

Link = Literal["ethernet", "sll2-vxlan"]


@dataclass(frozen=True)
class FlowSpec:
    """One TCP connection to generate; `segments` data segments of `mss` bytes from the client."""

    client: tuple[str, int] = ("10.0.1.10", 40000)
    server: tuple[str, int] = ("10.0.2.20", 5432)
    segments: int = 100
    loss_rate: float = 0.0
    reorder_rate: float = 0.0
    reset: bool = False
    dup_acks: int = 0
    rtt_s: float = 0.01
    mss: int = 1448
    burst: int = 10
    start_s: float = 0.0  # offset from write_capture's start_time
    vni: int = 1234  # VXLAN network identifier (sll2-vxlan only)
    window: int = 65535
    segment_gap_s: float = 0.00001

    def __post_init__(self) -> None:
        for name in ("loss_rate", "reorder_rate"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), not {value}")
        if self.segments < 0 or self.dup_acks < 0 or self.burst < 1:
            raise ValueError("segments and dup_acks must be >= 0 and burst >= 1")
        if not 0 < self.mss <= 65495 or self.rtt_s <= 0 or not 0 <= self.vni < 1 << 24:
            raise ValueError("mss must be in 1..65495, rtt_s > 0 and vni a 24-bit number")
        ipaddress.IPv4Address(self.client[0])
        ipaddress.IPv4Address(self.server[0])


# One event: (time_us, order, from_client, flags, seq, ack, payload_len, window, flow_index)
Event = tuple[int, int, bool, int, int, int, int, int, int]


def _flow_events(spec: FlowSpec, index: int, rng: random.Random, t0: int) -> Iterator[Event]:
    """This connection's packets in capture order (times in microseconds)."""
    rtt = max(2, round(spec.rtt_s * 1e6))
    gap = max(1, round(spec.segment_gap_s * 1e6))
    rto = max(200_000, 3 * rtt)
    win = spec.window
    c_isn = rng.getrandbits(32)
    s_isn = rng.getrandbits(32)
    seq_no = 0  # tie-breaker keeping events of equal time in generation order

    def ev(t: int, client: bool, flags: int, seq: int, ack: int, plen: int = 0) -> Event:
        nonlocal seq_no
        seq_no += 1
        return (t, seq_no, client, flags, seq & M32, ack & M32, plen, win, index)

    t = t0
    yield ev(t, True, SYN, c_isn, 0)
    yield ev(t + rtt, False, SYN | ACK, s_isn, c_isn + 1)
    t += rtt + 1
    yield ev(t, True, ACK, c_isn + 1, s_isn + 1)
    srv = s_isn + 1
    base = c_isn + 1
    sent = 0  # bytes sent (and, at the end of each burst, acknowledged)
    remaining = spec.segments
    extra_dups = spec.dup_acks
    bursts_left = -(-spec.segments // spec.burst) if spec.segments else 0
    mss = spec.mss
    while remaining:
        n = min(spec.burst, remaining)
        remaining -= n
        order = list(range(n))
        i = 0
        while i < n - 1:
            if spec.reorder_rate and rng.random() < spec.reorder_rate:
                order[i], order[i + 1] = order[i + 1], order[i]
                i += 2
            else:
                i += 1
        lost = {k for k in range(n) if spec.loss_rate and rng.random() < spec.loss_rate}
        events: list[Event] = []
        received = [False] * n
        expected = 0  # receiver's next expected segment index
        last_ack_t = t
        dup_times: dict[int, list[int]] = {}
        for pos, k in enumerate(order):
            ts = t + pos * gap
            events.append(ev(ts, True, ACK | PSH, base + sent + k * mss, srv, mss))
            if k in lost:
                continue
            received[k] = True
            was = expected
            while expected < n and received[expected]:
                expected += 1
            ack_t = ts + rtt
            events.append(ev(ack_t, False, ACK, srv, base + sent + expected * mss))
            last_ack_t = max(last_ack_t, ack_t)
            if expected == was:
                dup_times.setdefault(expected, []).append(ack_t)
        # recover every hole in order: the first after three duplicate ACKs (fast retransmission)
        # or an RTO, each further one right after the partial ACK that reveals it (NewReno)
        clock = max(last_ack_t, t + n * gap)
        next_rt = None
        while expected < n:
            dups = dup_times.get(expected, [])
            if next_rt is not None:
                rt = next_rt
            elif len(dups) >= 3:
                rt = dups[2] + 1
            else:
                rt = clock + rto
            events.append(ev(rt, True, ACK | PSH, base + sent + expected * mss, srv, mss))
            received[expected] = True
            while expected < n and received[expected]:
                expected += 1
            ack_t = rt + rtt
            events.append(ev(ack_t, False, ACK, srv, base + sent + expected * mss))
            clock = max(clock, ack_t)
            next_rt = ack_t + 1
        bursts_left -= 1
        if extra_dups:
            # spread the extra duplicate ACKs over the bursts: repeat this burst's last ACK
            k = extra_dups if bursts_left <= 0 else rng.randint(0, extra_dups)
            for j in range(k):
                events.append(ev(clock + 1 + j, False, ACK, srv, base + sent + n * mss))
            extra_dups -= k
            clock += k + 1
        events.sort()
        yield from events
        sent += n * mss
        t = clock + gap
    if spec.reset:
        yield ev(t + rtt, False, RST | ACK, srv, base + sent)
    else:
        yield ev(t, True, FIN | ACK, base + sent, srv)
        yield ev(t + rtt, False, FIN | ACK, srv, base + sent + 1)
        yield ev(t + rtt + 1, True, ACK, base + sent + 1, srv + 1)


def _checksum(header: bytes) -> int:
    total = sum(struct.unpack(f"!{len(header) // 2}H", header))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def _ipv4(src: int, dst: int, proto: int, payload_len: int, ident: int) -> bytes:
    header = struct.pack("!BBHHHBBHII", 0x45, 0, 20 + payload_len, ident & 0xFFFF, 0x4000, 64, proto, 0, src, dst)
    return header[:10] + struct.pack("!H", _checksum(header)) + header[12:]


class _Framer:
    """Builds the bytes of each packet for one link type; only the stored prefix is built in full."""

    def __init__(self, link: Link, snaplen: int | None) -> None:
        if link not in ("ethernet", "sll2-vxlan"):
            raise ValueError(f"link must be 'ethernet' or 'sll2-vxlan', not {link!r}")
        self.link = link
        self.snaplen = snaplen
        self.ident = 0

    def frame(self, src: int, dst: int, sport: int, dport: int, e: Event, vni: int) -> tuple[bytes, int]:
        """(stored bytes, original length) of one packet."""
        _t, _o, client, flags, seq, ack, plen, win, _i = e
        self.ident += 1
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, 5 << 4, flags, win, 0, 0)
        ip = _ipv4(src, dst, 6, 20 + plen, self.ident)
        smac, dmac = (_CLIENT_MAC, _SERVER_MAC) if client else (_SERVER_MAC, _CLIENT_MAC)
        inner = dmac + smac + b"\x08\x00" + ip + tcp
        inner_len = len(inner) + plen
        if self.link == "ethernet":
            head, orig = inner, inner_len
        else:
            udp_len = 8 + 8 + inner_len
            outer_ip = _ipv4(_MIRROR_SRC, _MIRROR_DST, 17, udp_len, self.ident)
            udp = struct.pack("!HHHH", 49152 + (vni & 0x3FFF), 4789, udp_len, 0)
            vxlan = struct.pack("!II", 0x08000000, vni << 8)
            # SLL2: protocol, reserved, ifindex, ARPHRD_ETHER, packet type (incoming), addr len, addr
            sll2 = struct.pack("!HHIHBB8s", 0x0800, 0, 2, 1, 0, 6, b"\x0a\x00\x00\x00\x00\x09\x00\x00")
            head = sll2 + outer_ip + udp + vxlan + inner
            orig = len(head) + plen
        keep = orig if self.snaplen is None else min(orig, self.snaplen)
        if keep <= len(head):
            return head[:keep], orig
        return head + bytes(keep - len(head)), orig


def write_capture(
    out: BinaryIO | str | Path,
    flows: list[FlowSpec],
    *,
    link: Link = "ethernet",
    seed: int = 0,
    start_time: float = 1_700_000_000.0,
    snaplen: int | None = None,
) -> int:
    """Write a microsecond pcap of `flows` (interleaved in time) to `out`; returns packets written."""
    if isinstance(out, str | Path):
        with open(out, "wb") as stream:
            return write_capture(stream, flows, link=link, seed=seed, start_time=start_time, snaplen=snaplen)
    framer = _Framer(link, snaplen)
    stored_snaplen = snaplen or 262144
    out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, stored_snaplen, 276 if link == "sll2-vxlan" else 1))
    start_us = round(start_time * 1e6)
    rng = random.Random(seed)
    streams = []
    endpoints = []
    for index, spec in enumerate(flows):
        flow_rng = random.Random(rng.getrandbits(64))
        streams.append(_flow_events(spec, index, flow_rng, start_us + round(spec.start_s * 1e6)))
        endpoints.append(
            (
                int(ipaddress.IPv4Address(spec.client[0])),
                int(ipaddress.IPv4Address(spec.server[0])),
                spec.client[1],
                spec.server[1],
                spec.vni,
            )
        )
    written = 0
    pack_record = struct.Struct("<IIII").pack
    chunk: list[bytes] = []
    for e in heapq.merge(*streams):
        c_ip, s_ip, c_port, s_port, vni = endpoints[e[8]]
        if e[2]:
            data, orig = framer.frame(c_ip, s_ip, c_port, s_port, e, vni)
        else:
            data, orig = framer.frame(s_ip, c_ip, s_port, c_port, e, vni)
        sec, usec = divmod(e[0], 1_000_000)
        chunk.append(pack_record(sec, usec, len(data), orig))
        chunk.append(data)
        written += 1
        if len(chunk) >= 8192:
            out.write(b"".join(chunk))
            chunk.clear()
    out.write(b"".join(chunk))
    return written
