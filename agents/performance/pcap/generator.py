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
    burst_interval_s: float = 0.0  # an application-limited sender starts a burst at most this often
    reorder_depth: int = 1
    syn_options: bool = False
    timestamps: bool = True  # with syn_options: the timestamps option in the SYNs and on every segment
    client_wscale: int | None = None  # the shift each end offers in its SYN (syn_options only)
    server_wscale: int | None = None
    client_window: int | None = None  # receive windows in bytes; None = `window`
    server_window: int | None = None
    zero_window_pause_s: float = 0.0
    response_segments: int = 0
    capture_at: Literal["sender", "receiver"] = "sender"

    def __post_init__(self) -> None:
        for name in ("loss_rate", "reorder_rate"):
            value = getattr(self, name)
            if not 0.0 <= value < 1.0:
                raise ValueError(f"{name} must be in [0, 1), not {value}")
        if self.segments < 0 or self.dup_acks < 0 or self.burst < 1:
            raise ValueError("segments and dup_acks must be >= 0 and burst >= 1")
        if not 0 < self.mss <= 65495 or self.rtt_s <= 0 or not 0 <= self.vni < 1 << 24:
            raise ValueError("mss must be in 1..65495, rtt_s > 0 and vni a 24-bit number")
        for name in ("client_wscale", "server_wscale"):
            shift = getattr(self, name)
            if shift is not None and not 0 <= shift <= 14:
                raise ValueError(f"{name} must be in 0..14 (RFC 7323), not {shift}")
        if self.reorder_depth < 1 or min(self.response_segments, self.zero_window_pause_s, self.burst_interval_s) < 0:
            raise ValueError("reorder_depth must be >= 1; response_segments, the pause and the interval >= 0")
        if self.capture_at not in ("sender", "receiver"):
            raise ValueError(f"capture_at must be 'sender' or 'receiver', not {self.capture_at!r}")
        ipaddress.IPv4Address(self.client[0])
        ipaddress.IPv4Address(self.server[0])

    @property
    def scaling(self) -> bool:
        """Window scaling is in force only when both ends offered it in their SYNs."""
        return self.syn_options and self.client_wscale is not None and self.server_wscale is not None

    def advertised(self, from_client: bool, window_bytes: int) -> int:
        """The 16-bit window field for a receive window of `window_bytes` sent by one end."""
        shift = (self.client_wscale if from_client else self.server_wscale) if self.scaling else 0
        return min(0xFFFF, max(0, window_bytes) >> (shift or 0))


def _syn_options(spec: FlowSpec, from_client: bool, tsval: int) -> bytes:
    """Linux's SYN option layout: MSS, SACK-permitted, timestamps, NOP, window scale."""
    out = struct.pack("!BBH", 2, 4, spec.mss) + b"\x04\x02"
    out += struct.pack("!BBII", 8, 10, tsval & M32, 0) if spec.timestamps else b"\x01\x01"
    shift = spec.client_wscale if from_client else spec.server_wscale
    out += b"\x01" + struct.pack("!BBB", 3, 3, shift) if shift is not None else b"\x01\x01\x01\x01"
    return out


def _ts_option(tsval: int, tsecr: int) -> bytes:
    return b"\x01\x01" + struct.pack("!BBII", 8, 10, tsval & M32, tsecr & M32)


# One event: (time_us, order, from_client, flags, seq, ack, payload_len, window_field, flow_index, options, lost)
Event = tuple[int, int, bool, int, int, int, int, int, int, bytes, bool]


class _Connection:
    """One TCP connection's packets as its sender (the client) sees them, times in microseconds.

    The client sends its data in bursts; the server ACKs every segment it receives in order (a
    hole makes its ACKs repeat: duplicate ACKs) and the client recovers each hole with a fast
    retransmission after three duplicate ACKs or after an RTO. The state here is what both ends
    know: sequence numbers, the clock, the windows.
    """

    def __init__(self, spec: FlowSpec, index: int, rng: random.Random, t0: int) -> None:
        self.spec, self.index, self.rng, self.t = spec, index, rng, t0
        self.rtt = max(2, round(spec.rtt_s * 1e6))
        self.gap = max(1, round(spec.segment_gap_s * 1e6))
        self.rto = max(200_000, 3 * self.rtt)
        self.c_isn, self.s_isn = rng.getrandbits(32), rng.getrandbits(32)
        self.client_window = spec.window if spec.client_window is None else spec.client_window
        self.server_window = spec.window if spec.server_window is None else spec.server_window
        self.srv = self.s_isn + 1  # the server's next sequence number
        self.base = self.c_isn + 1  # the client's first data byte
        self.sent = 0  # client bytes sent (and, at the end of each burst, acknowledged)
        self.order = 0  # tie-breaker keeping events of equal time in generation order

    def ev(self, t: int, client: bool, flags: int, seq: int, ack: int, plen: int = 0, **kw: object) -> Event:
        """One packet; `window` (bytes) defaults to the sender's full receive window."""
        spec = self.spec
        self.order += 1
        window = kw.get("window", self.client_window if client else self.server_window)
        field = spec.advertised(client, int(window)) if not flags & SYN else min(0xFFFF, int(window))
        opts = kw.get("opts", b"")
        if not opts and spec.syn_options and spec.timestamps:
            opts = _ts_option(t // 1000 + (0 if client else 7), (t - self.rtt // 2) // 1000 + (7 if client else 0))
        return (t, self.order, client, flags, seq & M32, ack & M32, plen, field, self.index, opts, bool(kw.get("lost")))

    def handshake(self) -> Iterator[Event]:
        spec, t, rtt = self.spec, self.t, self.rtt
        c_opts = _syn_options(spec, True, t // 1000) if spec.syn_options else b""
        s_opts = _syn_options(spec, False, (t + rtt) // 1000 + 7) if spec.syn_options else b""
        yield self.ev(t, True, SYN, self.c_isn, 0, opts=c_opts)
        yield self.ev(t + rtt, False, SYN | ACK, self.s_isn, self.c_isn + 1, opts=s_opts)
        self.t = t + rtt + 1
        yield self.ev(self.t, True, ACK, self.c_isn + 1, self.srv)

    def _order(self, n: int) -> list[int]:
        """The burst's segments in wire order: each reordering delays one behind up to `reorder_depth` others."""
        order, depth = list(range(n)), self.spec.reorder_depth
        i = 0
        while i < n - 1:
            if self.spec.reorder_rate and self.rng.random() < self.spec.reorder_rate:
                # on a real path some segments are overtaken by one, some by more
                d = min(depth if depth == 1 else self.rng.randint(1, depth), n - 1 - i)
                order[i : i + d + 1] = [*order[i + 1 : i + d + 1], order[i]]
                i += d + 1
            else:
                i += 1
        return order

    def burst(self, n: int, extra_dups: int, last: bool) -> tuple[list[Event], int]:
        """One burst of `n` data segments, its ACKs and its recovery; returns the events and the dups used.

        Of `extra_dups` left to send, the last burst sends all, any other a random share."""
        spec, rtt, gap, t = self.spec, self.rtt, self.gap, self.t
        order = self._order(n)
        lost = {k for k in range(n) if spec.loss_rate and self.rng.random() < spec.loss_rate}
        events: list[Event] = []
        received = [False] * n
        expected = 0  # receiver's next expected segment index
        last_ack_t = t
        dup_times: dict[int, list[int]] = {}
        slow_reader = spec.zero_window_pause_s > 0
        first = self.base + self.sent
        for pos, k in enumerate(order):
            ts = t + pos * gap
            events.append(self.ev(ts, True, ACK | PSH, first + k * spec.mss, self.srv, spec.mss, lost=k in lost))
            if k in lost:
                continue
            received[k] = True
            was = expected
            while expected < n and received[expected]:
                expected += 1
            ack_t = ts + rtt
            # a slow reader leaves what arrived in its buffer: the window it offers shrinks by it
            window = self.server_window - (pos + 1) * spec.mss if slow_reader else self.server_window
            events.append(self.ev(ack_t, False, ACK, self.srv, first + expected * spec.mss, window=max(0, window)))
            last_ack_t = max(last_ack_t, ack_t)
            if expected == was:
                dup_times.setdefault(expected, []).append(ack_t)
        clock = max(last_ack_t, t + n * gap)
        if spec.reorder_rate and spec.reorder_depth >= 3:
            clock = max(clock, self._spurious(events, dup_times, lost, first, expected))
        clock = self._recover(events, dup_times, received, expected, n, first, clock)
        used = 0
        if extra_dups:
            # spread the extra duplicate ACKs over the bursts: repeat this burst's last ACK
            used = extra_dups if last else self.rng.randint(0, extra_dups)
            for j in range(used):
                events.append(self.ev(clock + 1 + j, False, ACK, self.srv, first + n * spec.mss))
            clock += used + 1
        if slow_reader:
            clock += round(spec.zero_window_pause_s * 1e6)  # the reader wakes and drains its buffer
            events.append(self.ev(clock, False, ACK, self.srv, first + n * spec.mss))  # the window update
        events.sort()
        self.sent += n * spec.mss
        self.t = max(clock + gap, t + round(spec.burst_interval_s * 1e6))
        return events, used

    def _spurious(self, events: list[Event], dups: dict[int, list[int]], lost: set, first: int, acked: int) -> int:
        """Fast retransmissions of segments that were only late: three duplicate ACKs asked for them."""
        clock = 0
        for hole, times in sorted(dups.items()):
            if hole in lost or len(times) < 3:
                continue
            rt = times[2] + 1
            events.append(self.ev(rt, True, ACK | PSH, first + hole * self.spec.mss, self.srv, self.spec.mss))
            # the receiver already has it: it answers with its cumulative ACK again
            events.append(self.ev(rt + self.rtt, False, ACK, self.srv, first + acked * self.spec.mss))
            clock = max(clock, rt + self.rtt)
        return clock

    def _recover(self, events: list[Event], dups: dict, received: list, expected: int, n: int, first: int, clock: int):
        """Recover every hole in order: the first after three duplicate ACKs (fast retransmission)
        or an RTO, each further one right after the partial ACK that reveals it (NewReno)."""
        next_rt = None
        while expected < n:
            times = dups.get(expected, [])
            if next_rt is not None:
                rt = next_rt
            elif len(times) >= 3:
                rt = times[2] + 1
            else:
                rt = clock + self.rto
            events.append(self.ev(rt, True, ACK | PSH, first + expected * self.spec.mss, self.srv, self.spec.mss))
            received[expected] = True
            while expected < n and received[expected]:
                expected += 1
            ack_t = rt + self.rtt
            events.append(self.ev(ack_t, False, ACK, self.srv, first + expected * self.spec.mss))
            clock = max(clock, ack_t)
            next_rt = ack_t + 1
        return clock

    def response(self) -> Iterator[Event]:
        """The server's answer to the request: its segments, each ACKed by the client."""
        mss, t = self.spec.mss, self.t
        ack = self.base + self.sent
        for k in range(self.spec.response_segments):
            ts = t + k * self.gap
            yield self.ev(ts, False, ACK | PSH, self.srv, ack, mss)
            self.srv += mss
            yield self.ev(ts + 1, True, ACK, ack, self.srv)
        if self.spec.response_segments:
            self.t = t + self.spec.response_segments * self.gap + 1

    def close(self) -> Iterator[Event]:
        t, rtt, end = self.t, self.rtt, self.base + self.sent
        if self.spec.reset:
            yield self.ev(t + rtt, False, RST | ACK, self.srv, end)
        else:
            yield self.ev(t, True, FIN | ACK, end, self.srv)
            yield self.ev(t + rtt, False, FIN | ACK, self.srv, end + 1)
            yield self.ev(t + rtt + 1, True, ACK, end + 1, self.srv + 1)


def _sender_view(spec: FlowSpec, index: int, rng: random.Random, t0: int) -> Iterator[Event]:
    conn = _Connection(spec, index, rng, t0)
    yield from conn.handshake()
    remaining = spec.segments
    extra_dups = spec.dup_acks
    bursts_left = -(-spec.segments // spec.burst) if spec.segments else 0
    while remaining:
        n = min(spec.burst, remaining)
        remaining -= n
        bursts_left -= 1
        events, used = conn.burst(n, extra_dups, last=bursts_left <= 0)
        extra_dups -= used
        yield from events
    yield from conn.response()
    yield from conn.close()


def _flow_events(spec: FlowSpec, index: int, rng: random.Random, t0: int) -> Iterator[Event]:
    """This connection's packets in capture order, as seen where `spec.capture_at` says."""
    if spec.capture_at == "sender":
        yield from _sender_view(spec, index, rng, t0)
        return
    half = max(1, round(spec.rtt_s * 1e6) // 2)
    seen = [
        ((e[0] + half if e[2] else e[0] - half), *e[1:])
        for e in _sender_view(spec, index, rng, t0)
        if not (e[2] and e[10])  # what the path lost never reaches the receiver's side
    ]
    seen.sort()
    yield from seen


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
        _t, _o, client, flags, seq, ack, plen, win, _i, opts, _lost = e
        self.ident += 1
        opts += bytes(-len(opts) % 4)
        tcp = struct.pack("!HHIIBBHHH", sport, dport, seq, ack, (5 + len(opts) // 4) << 4, flags, win, 0, 0) + opts
        ip = _ipv4(src, dst, 6, len(tcp) + plen, self.ident)
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
