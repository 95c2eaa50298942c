"""Wireshark's TCP sequence analysis, per direction of each connection, in one pass.

This follows `tcp_analyze_sequence_number` of Wireshark's packet-tcp.c (the tshark 4.0 that
produced `expected.jsonl`) step by step, with tshark's default preferences (analyse TCP
sequence numbers on, fast retransmission takes precedence over out-of-order, at most 10,000
unacknowledged segments remembered per direction):

- retransmission: a segment with data, SYN or FIN whose sequence number is below the next
  expected one (not a keep-alive; `seq == nextseq - 1` with more than one byte is not one);
- spurious retransmission: data entirely at or below what the other side already acknowledged
  (checked first; tshark also counts it as a retransmission);
- fast retransmission: a retransmission at the sequence number the other side's duplicate ACKs
  (2 or more) ask for, within 20 ms of the last of them;
- out-of-order: a retransmission-looking segment within the connection's handshake RTT (3 ms
  when unknown) of the highest segment, which does not end where that one ended;
- duplicate ACK: no data, same ACK and same non-zero window as before, at the next sequence
  number, no SYN/FIN/RST; lost segment: a sequence number above the next expected one;
- zero window: window 0 without SYN/FIN/RST; ack RTT: time from the oldest remembered
  transmission ending exactly at the ACK number to that ACK (zero RTTs are not shown by tshark,
  so not counted).

A new conversation (a new tcp.stream) starts when a SYN without ACK carries a sequence
number other than the one first seen in that direction, as tshark's port-reuse rule does.
What tshark counts depends on how far it got into a damaged header, and so does ours: a TCP
header with fewer than 16 bytes captured is a TCP packet only; a header length under 20 bytes
updates the state but shows no flags; the analysis is shown only with 20 bytes captured.

The compiled kernel (`csrc/`, see `kernel.py`) does this same work step for step; the two
give equal answers (tests/performance/pcap/test_pcap_kernel.py), so what is said here holds for
both. Conversations are kept in creation order: the sweeps visit them in it, the longest idle
of the same moment go oldest first, and the answer's flows come in it before they are ranked.

Measured agreement: every count of all 287 files of `../shared/captures/expected.jsonl` is
exact except two, by one TCP packet each: `tcpdump/sflow_expanded.pcap` (a packet quoted inside
an sFlow sample, which we do not decode) and `tcpdump/bgp-aigp.pcap` (Juniper Ethernet, link
type 178, which we do not decode: that file's error says the link type is unsupported); frame
numbers and the RTT summary are exact on the synthetic and loopback captures, and
frame-for-frame on generated captures against live tshark.

Where tshark 4.0.17 is not the reference:
- Truncated TCP options. A packet cut inside its TCP options (a mirror session's PacketLength,
  a small snaplen) gets no analysis flags from tshark 4.0.17 at all (its option dissector throws
  before the flags are added); we analyse it from the 20 fixed bytes, so every count of a
  truncated copy equals the full capture's (tested at several snap lengths on Ethernet and
  SLL2+VXLAN, IPv4 and IPv6). What is lost with the options is said, not guessed: such
  segments are counted per direction (`options_cut`); their SACK blocks are not subtracted
  from bytes in flight; a SYN cut before its window-scale option leaves the scale unknown
  (`window_scale` None), so that side's `max_window` is the unscaled field and no window-full
  is flagged for segments into that window.
- "ACKed segment that wasn't captured". When an ACK covers data of the peer that the capture
  missed, that data counts as acknowledged from then on; tshark 4.0.17 leaves its mark behind
  (so every later ACK of it is "unseen" again) and sets the peer's duplicate-ACK count to -1,
  which its unsigned field reads as "many": it then calls any retransmission at the peer's last
  ACK within 20 ms "fast", even with no duplicate ACK. So with frames missing from a capture, a
  retransmission after three duplicate ACKs asking for it is fast for both, and one with no
  duplicate ACK before it is fast for tshark 4.0.17 only (both regression-tested live).

Known differences from tshark, on purpose:
- Flows inside VXLAN/GENEVE are keyed by their VNI as well, so one 5-tuple mirrored by two
  sessions stays two flows; tshark merges them into one stream (and then sees every packet of
  the second copy as a retransmission). A packet whose reverse direction was seen under
  another VNI, and whose own direction was not yet seen there, joins that conversation (GENEVE
  on GCP gives each direction its own VNI).
- IP fragments after the first are counted (`ip_fragments`), not reassembled: a segment split
  into IP fragments is not analysed (tshark reassembles it in the last fragment's frame; a
  first fragment is shown by both, with no analysis).
- Conversations idle for `IDLE_OPEN_S` (open) or `IDLE_CLOSED_S` (after RST, FIN both ways,
  or never answered) of capture time are dropped to bound memory, and so are the longest idle
  beyond `MAX_CONVERSATIONS` live ones: a packet after that starts a new stream.
- Timestamps whose fraction is out of range (a microsecond field of a million or more) are
  taken at face value; tshark's 32-bit arithmetic wraps them (only RTTs can differ).
- MPTCP's tolerated duplicate ACKs (RFC 8684 section 3.3.5) are counted as duplicate ACKs;
  TCP quoted inside ICMP errors or sFlow samples is not decoded; window-full, window-update,
  keep-alive-ACK and "ACKed unseen segment" are tracked only as far as counted events depend
  on them.
"""

from __future__ import annotations

import struct
import time
from collections.abc import Iterable

from agents.performance.pcap.capture import Record
from agents.performance.pcap.decode import FRAGMENT, TOO_DEEP, decode_tcp, tcp_options
from agents.performance.pcap.result import (
    KEPT_FLOWS,
    MAX_FRAMES,
    AnalysisResult,
    DirectionStats,
    FlowStats,
    make_flow,
    worst_flows,
)

M32 = 0xFFFFFFFF
# Ethernet / IPv4 without options / TCP: ethertype, vihl, total, frag, proto, src, dst, then TCP
_ETH_TCP = struct.Struct("!12xHBxHxxHxB2xIIHHIIBBH").unpack_from
# SLL2 / IPv4 / UDP / VXLAN / Ethernet / IPv4 / TCP, as a mirror target's `tcpdump -i any` writes
_SLL2_VXLAN_TCP = struct.Struct("!H18xBxHxxHxB10xHHH2x4xI12xHBxHxxHxB2xIIHHIIBBH").unpack_from
HALF = 0x80000000
FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
MAX_UNACKED = 10_000
FAST_RT_NS = 20_000_000
DEFAULT_OOO_NS = 3_000_000
IDLE_OPEN_S = 600
IDLE_CLOSED_S = 60
MAX_CONVERSATIONS = 100_000  # beyond this many live connections, the longest idle are dropped
SWEEP_EVERY = 4096  # packets between idle sweeps (at least; more when many flows are live)
DEADLINE_EVERY = 4096

# analysis flags of one segment (only those other decisions depend on)
F_KEEP_ALIVE, F_ZERO_WINDOW_PROBE = 0x1, 0x2


_NO_SEGS: list = []  # shared by every direction with nothing unacknowledged: never appended to


class DeadlineExceeded(Exception):
    """The per-file time bound ran out."""


class _Dir:
    """One direction of a conversation: what Wireshark keeps in tcp_flow_t / tcp_analyze_seq_info."""

    __slots__ = (
        "base_seq",
        "conv",
        "dupacknum",
        "lastack",
        "lastacktime",
        "lastsegflags",
        "maxseqtobeacked",
        "nextseq",
        "nextseqtime",
        "peer",
        "sack_delivered",
        "segs",
        "sorted",
        "stats",
        "valid_bif",
        "win_scale",
        "window",
    )

    def __init__(self, stats: DirectionStats) -> None:
        self.stats = stats  # what this side sent, for the flow's record
        self.conv: _Conv  # set with `peer` by _new_conv
        self.peer: _Dir
        self.base_seq = -1  # unset
        self.nextseq = 0
        self.nextseqtime = 0
        self.lastack = 0
        self.lastacktime = 0
        self.window = M32  # unknown until the first segment, as Wireshark initialises it
        self.dupacknum = 0
        self.maxseqtobeacked = 0
        self.lastsegflags = 0
        # unacked (nextseq, sent ns, seq, clean), oldest first; `clean`: never retransmitted (Karn)
        self.segs: list[tuple[int, int, int, bool]] = _NO_SEGS  # a list of its own from the first segment
        self.sorted = True  # segs' nextseq strictly and seq weakly increasing: acks then remove a prefix
        self.win_scale = -1  # Wireshark's: -1 unknown, -2 no scaling, else the shift of this side's SYN
        self.valid_bif = True  # bytes in flight known (not after a gap, until the peer ACKs)
        self.sack_delivered = 0  # bytes the last SACK option of this side covered


class _Conv:
    __slots__ = ("closed", "first_rtt", "flow", "keys", "last_ts", "mru_syn")

    def __init__(self, flow: FlowStats) -> None:
        self.flow = flow
        self.keys: tuple[tuple, ...] = ()
        self.mru_syn = 0
        self.first_rtt = 0
        self.last_ts = 0
        self.closed = False


def analyze_records(
    records: Iterable[Record],
    result: AnalysisResult,
    deadline_s: float | None,
    max_conversations: int = MAX_CONVERSATIONS,
) -> set[int]:
    """Run the analysis over the records, filling `result` even when interrupted.

    Returns the link types seen, so the caller can tell "no TCP" from "nothing we can decode".
    """
    counts = result.counts
    frames = result.frames
    f_retrans = frames["retransmissions"]
    f_fast = frames["fast_retransmissions"]
    f_spur = frames["spurious_retransmissions"]
    f_dup = frames["duplicate_acks"]
    f_lost = frames["lost_segments"]
    f_ooo = frames["out_of_order"]
    f_zw = frames["zero_windows"]
    f_rst = frames["resets"]
    rtt_add = result.rtt.add
    table: dict[tuple, _Dir] = {}  # (src, dst, sport, dport, vni) -> the direction that key sends
    by_tuple: dict[tuple, _Dir] = {}  # tunnelled conversations' opening direction by its 4-tuple
    # every live conversation in creation order: the order of the sweeps and of the answer's flows
    # (a conversation whose keys another one took over is still live, and still reported)
    live: dict[int, _Conv] = {}
    peak = 0
    finished: list[FlowStats] = []
    n_tcp = n_streams = n_retrans = n_fast = n_spur = n_dup = n_lost = n_ooo = n_zw = 0
    n_rst = n_fin = n_syn = 0
    frame = 0
    fragments = 0
    too_deep = 0
    linktypes: set[int] = set()
    next_sweep = SWEEP_EVERY
    next_deadline_check = DEADLINE_EVERY
    stop_at = time.monotonic() + deadline_s if deadline_s is not None else None
    last_lt = -1
    try:
        for ts, lt, buf, off, caplen, origlen in records:
            if frame >= next_deadline_check:  # `frame` = records fully handled so far
                next_deadline_check += DEADLINE_EVERY
                if stop_at is not None and time.monotonic() > stop_at:
                    raise DeadlineExceeded
                if frame >= next_sweep:
                    peak = max(peak, len(table) // 2)
                    _sweep(table, by_tuple, live, finished, ts, max_conversations)
                    next_sweep = frame + max(SWEEP_EVERY, 2 * len(table))
            frame += 1
            if lt != last_lt:
                last_lt = lt
                linktypes.add(lt)
            # Fast paths for what mirror targets record (one struct call for every header);
            # anything unusual (options, fragments, other links) takes the general decoder.
            rlen = origlen if origlen > caplen else caplen
            if lt == 1 and caplen >= 54:
                etype, vihl, total, frag, proto, src, dst, sport, dport, seq, ack, offx2, flags, win = _ETH_TCP(
                    buf, off
                )
                fast = etype == 0x0800 and vihl == 0x45 and proto == 6 and total >= 40 and not frag & 0x3FFF
                if fast:
                    vni = -1
                    toff = off + 34
                    end = rlen - 14
                    treported = (total if total < end else end) - 20
            elif lt == 276 and caplen >= 110:
                (etype, ovihl, ototal, ofrag, oproto, usport, udport, ulen, vx, ietype, vihl, total, frag, proto,
                 src, dst, sport, dport, seq, ack, offx2, flags, win) = _SLL2_VXLAN_TCP(buf, off)  # fmt: skip
                fast = (
                    etype == 0x0800
                    and ovihl == 0x45
                    and oproto == 17
                    and (udport == 4789 or usport == 4789)
                    and ietype == 0x0800
                    and vihl == 0x45
                    and proto == 6
                    and total >= 40
                    and ototal >= 50 + total
                    and ulen >= 30 + total
                    and not (frag | ofrag) & 0x3FFF
                )
                if fast:
                    vni = (vx >> 8) & 0xFFFFFF
                    toff = off + 90
                    end = rlen - 70
                    treported = (total if total < end else end) - 20
            else:
                fast = False
            if fast:
                hlen = (offx2 >> 4) << 2
                tcap = caplen - (toff - off)
                if tcap > treported:  # an Ethernet trailer is not TCP
                    tcap = treported
            else:
                seg = decode_tcp(lt, buf, off, caplen, origlen)
                if seg is None:
                    continue
                if seg is FRAGMENT:
                    fragments += 1
                    continue
                if seg is TOO_DEEP:
                    too_deep += 1
                    continue
                src, dst, sport, dport, vni, seq, ack, flags, win, hlen, treported, tcap, toff = seg
                if tcap < 16:  # tshark shows a TCP layer but throws before it has a stream
                    n_tcp += 1
                    continue
            n_tcp += 1
            key = (src, dst, sport, dport, vni)
            fwd = table.get(key)
            if fwd is None:
                if vni >= 0:
                    fwd = _other_vni(table, by_tuple, key)
                if fwd is None:
                    fwd = _new_conv(table, by_tuple, live, key, flags)
                    n_streams += 1
            elif flags & (SYN | ACK) == SYN and fwd.base_seq >= 0 and seq != fwd.base_seq:
                # tshark's port reuse: a new SYN with another ISN starts a new stream
                finished.append(_forget(table, by_tuple, live, fwd.conv))
                fwd = _new_conv(table, by_tuple, live, key, flags)
                n_streams += 1
            conv = fwd.conv
            rev = fwd.peer
            conv.last_ts = ts
            flow = conv.flow
            ds = fwd.stats
            ds.packets += 1
            show = hlen >= 20 and tcap >= 20
            if hlen >= 20:
                if flags & SYN:
                    n_syn += 1
                    ds.syns += 1
                if flags & FIN:
                    n_fin += 1
                    ds.fins += 1
                    if rev.stats.fins:
                        conv.closed = True
                if flags & RST:
                    n_rst += 1
                    ds.resets += 1
                    conv.closed = True
                    if len(f_rst) < MAX_FRAMES:
                        f_rst.append(frame)
            if treported < hlen:
                if treported < 0:
                    fragments += 1  # a first IP fragment: its segment length is unknown
                continue  # tshark: "short segment" or fragment, no sequence analysis
            seglen = treported - hlen
            if flags & SYN or fwd.win_scale < 0:
                if win > ds.max_window:
                    ds.max_window = win
            elif win << fwd.win_scale > ds.max_window:
                ds.max_window = win << fwd.win_scale

            # ---------------- tcp_analyze_sequence_number ----------------
            fl = 0
            is_retrans = False
            if fwd.base_seq < 0:
                fwd.base_seq = seq if flags & SYN else (seq - 1) & M32
            if rev.base_seq < 0 and flags & ACK:
                rev.base_seq = (ack - 1) & M32
            if flags & ACK:
                rev.valid_bif = True
            nextseq = fwd.nextseq
            if seglen == 1 and seq == nextseq and rev.window == 0:
                fl = F_ZERO_WINDOW_PROBE
            else:
                if win == 0 and not flags & (RST | FIN | SYN):
                    n_zw += show
                    ds.zero_windows += show
                    if show and len(f_zw) < MAX_FRAMES:
                        f_zw.append(frame)
                if nextseq and seq != nextseq and (seq - nextseq) & M32 < HALF and not flags & RST:
                    n_lost += show
                    ds.lost_segments += show
                    fwd.valid_bif = False
                    if show and len(f_lost) < MAX_FRAMES:
                        f_lost.append(frame)
                if seglen <= 1 and seq == (nextseq - 1) & M32 and not flags & (SYN | FIN | RST):
                    fl = F_KEEP_ALIVE
                if (
                    seglen
                    and rev.win_scale != -1
                    and (seq + seglen) & M32
                    == (rev.lastack + (rev.window << (rev.win_scale if rev.win_scale > 0 else 0))) & M32
                    and not flags & (SYN | FIN | RST)
                ):
                    ds.window_full += show
                if (
                    seglen == 0
                    and win
                    and win == fwd.window
                    and seq == nextseq
                    and ack == fwd.lastack
                    and not flags & (SYN | FIN | RST)
                    and not rev.lastsegflags & F_KEEP_ALIVE
                ):
                    fwd.dupacknum = 1 if fwd.dupacknum == -1 else fwd.dupacknum + 1
                    n_dup += show
                    ds.duplicate_acks += show
                    if show and len(f_dup) < MAX_FRAMES:
                        f_dup.append(frame)
            # finished_fwd:
            if ack != fwd.lastack:
                fwd.dupacknum = 0
            maxack = rev.maxseqtobeacked
            if flags & ACK and maxack and ack != maxack and (ack - maxack) & M32 < HALF:
                # "ACKed segment that wasn't captured": what the peer sent up to `ack` is acknowledged,
                # so later ACKs of it are not news (tshark 4.0 leaves the mark behind instead, and its
                # unsigned -1 dup-ACK count then calls any retransmission of ours "fast")
                rev.maxseqtobeacked = ack
            clean = True
            if seglen or flags & (SYN | FIN):
                if not fl & F_KEEP_ALIVE:
                    sna = nextseq != 0 and seq != nextseq and (seq - nextseq) & M32 >= HALF
                    if seglen > 1 and (nextseq - 1) & M32 == seq:
                        sna = False
                    rlast = rev.lastack
                    if seglen and rlast and (rlast - seq - seglen) & M32 < HALF:
                        n_spur += show
                        ds.spurious_retransmissions += show
                        is_retrans = True
                        if show and len(f_spur) < MAX_FRAMES:
                            f_spur.append(frame)
                    elif sna:
                        if rev.dupacknum >= 2 and rlast == seq and 0 <= ts - rev.lastacktime < FAST_RT_NS:
                            n_fast += show
                            ds.fast_retransmissions += show
                            is_retrans = True
                            if show and len(f_fast) < MAX_FRAMES:
                                f_fast.append(frame)
                        else:
                            thres = conv.first_rtt or DEFAULT_OOO_NS
                            if thres < 0:
                                thres += 1 << 64
                            end = (seq + seglen + (1 if flags & (SYN | FIN) else 0)) & M32
                            if 0 <= ts - fwd.nextseqtime < thres and nextseq != end:
                                n_ooo += show
                                ds.out_of_order += show
                                clean = False
                                if show and len(f_ooo) < MAX_FRAMES:
                                    f_ooo.append(frame)
                            else:
                                is_retrans = True
                ds.data_segments += 1
                if seglen:
                    ds.payload_bytes += seglen
                    ds.last_data_ns = ts
                    if ds.first_data_ns is None:
                        ds.first_data_ns = ts
                nxt = (seq + seglen) & M32
                segs = fwd.segs
                if segs is _NO_SEGS:
                    segs = fwd.segs = []
                if is_retrans or not clean:
                    clean = False
                    if segs:
                        _taint(segs, seq)
                if len(segs) < MAX_UNACKED:
                    if flags & (SYN | FIN):
                        nxt = (nxt + 1) & M32
                    if segs:
                        last = segs[-1]
                        if nxt == last[0] or (nxt - last[0]) & M32 >= HALF or (seq - last[2]) & M32 >= HALF:
                            fwd.sorted = False
                    else:
                        fwd.sorted = True
                    segs.append((nxt, ts, seq, clean))
            else:
                nxt = seq
            if is_retrans and show:
                n_retrans += 1
                ds.retransmissions += 1
                if len(f_retrans) < MAX_FRAMES:
                    f_retrans.append(frame)
            if not fl & F_ZERO_WINDOW_PROBE:
                if not fwd.nextseq or (nxt != fwd.nextseq and (nxt - fwd.nextseq) & M32 < HALF):
                    fwd.nextseq = nxt
                    fwd.nextseqtime = ts
                if not fwd.maxseqtobeacked or seq == fwd.maxseqtobeacked:
                    fwd.maxseqtobeacked = fwd.nextseq
            fwd.window = win
            fwd.lastack = ack
            fwd.lastacktime = ts
            fwd.lastsegflags = fl

            # remove what this ACK acknowledges: ack RTT (Wireshark's) and Karn's RTT
            if rev.segs:
                sent, karn_sent = _acknowledge(rev, ack)
                if sent >= 0 and ts != sent and show:
                    rtt = (ts - sent) / 1e9
                    rtt_add(rtt)
                    flow.rtt.add(rtt)
                if karn_sent >= 0 and ts > karn_sent:
                    rev.stats.rtt.add((ts - karn_sent) / 1e9)

            # bytes in flight after this segment, as Wireshark's default (payload-based) method counts them
            if seglen and fwd.valid_bif and fwd.segs:
                segs = fwd.segs
                in_flight = (segs[-1][0] - segs[0][2]) & M32 if fwd.sorted else _span(fwd)
                if rev.sack_delivered:
                    in_flight = (in_flight - rev.sack_delivered) & M32
                if 0 < in_flight < 2_000_000_000:
                    if flags & (SYN | FIN):
                        in_flight -= 1
                    if in_flight > ds.max_in_flight:
                        ds.max_in_flight = in_flight

            # options and handshake bookkeeping (after the analysis, as dissect_tcp does)
            if hlen > 20:
                cut = tcap < hlen
                if cut:
                    ds.options_cut += 1
                wscale, sacked = tcp_options(buf, toff + 20, toff + (tcap if cut else hlen))
                fwd.sack_delivered = sacked if sacked > 0 else 0
                if flags & SYN:
                    if wscale >= 0:
                        fwd.win_scale = ds.window_scale = wscale if wscale <= 14 else 14
                    if not cut:
                        _verify_window_scaling(fwd, rev, flags & ACK)
                        if wscale < 0:
                            ds.window_scale = -1
            else:
                fwd.sack_delivered = 0
                if flags & SYN and hlen == 20:
                    _verify_window_scaling(fwd, rev, flags & ACK)
                    ds.window_scale = -1
            if hlen >= 20:
                if flags & (SYN | ACK) == SYN:
                    conv.mru_syn = ts
                elif flags & (SYN | ACK) == ACK and conv.mru_syn and not conv.first_rtt:
                    conv.first_rtt = ts - conv.mru_syn
    finally:
        counts.update(
            tcp_packets=n_tcp,
            streams=n_streams,
            retransmissions=n_retrans,
            fast_retransmissions=n_fast,
            spurious_retransmissions=n_spur,
            duplicate_acks=n_dup,
            lost_segments=n_lost,
            out_of_order=n_ooo,
            zero_windows=n_zw,
            resets=n_rst,
            fins=n_fin,
            syns=n_syn,
        )
        result.packets = frame
        result.ip_fragments = fragments
        result.tunnels_too_deep = too_deep
        active = [conv.flow for conv in live.values()]
        result.peak_conversations = max(peak, len(active))
        table.clear()  # the state goes before the ranking needs memory of its own
        by_tuple.clear()
        live.clear()
        finished.extend(active)
        result.flows = worst_flows(finished)
    return linktypes


def _new_conv(table: dict, by_tuple: dict, live: dict, key: tuple, flags: int) -> _Dir:
    src, dst, sport, dport, vni = key
    rkey = (dst, src, dport, sport, vni)
    if flags & (SYN | ACK) == (SYN | ACK):  # the SYN/ACK's sender is the server
        flow = make_flow(dst, src, dport, sport, vni)
    else:
        flow = make_flow(src, dst, sport, dport, vni)
    conv = _Conv(flow)
    if flags & (SYN | ACK) == (SYN | ACK):
        a, b = _Dir(flow.reverse), _Dir(flow.forward)
    else:
        a, b = _Dir(flow.forward), _Dir(flow.reverse)
    a.conv = b.conv = conv
    a.peer, b.peer = b, a
    table[key] = a
    table[rkey] = b
    conv.keys = (key, rkey)
    if vni >= 0:
        by_tuple[key[:4]] = a
    live[id(conv)] = conv
    return a


def _acknowledge(rev: _Dir, ack: int) -> tuple[int, int]:
    """Remove the segments of `rev` that `ack` covers; (Wireshark's ack-RTT send time, Karn's).

    Wireshark times the oldest transmission ending exactly at the ACK number (-1: none). Karn's
    rule times the newest segment this ACK newly covers, and only if it was never retransmitted
    (-1: no sample). A segment the ACK covers in part keeps only its unacknowledged bytes.
    """
    segs = rev.segs
    sent = karn = -1
    if rev.sorted:
        i = 0
        n = len(segs)
        while i < n and (segs[i][0] - ack) & M32 >= HALF:
            i += 1
        if i < n and segs[i][0] == ack:
            sent = segs[i][1]
            i += 1
        if i:
            newest = segs[i - 1]
            if newest[3]:
                karn = newest[1]
            del segs[:i]
            if not segs:
                rev.segs = _NO_SEGS  # an idle direction holds no list (memory per conversation)
                return sent, karn
        for j, item in enumerate(segs):
            part = (ack - item[2]) & M32
            if not part or part >= HALF:
                break
            segs[j] = (item[0], item[1], ack, item[3])
        return sent, karn
    keep = []
    closest = HALF
    for item in segs:
        d = (item[0] - ack) & M32
        if d and d < HALF:  # still (partly) unacknowledged
            part = (ack - item[2]) & M32
            keep.append(item if not part or part >= HALF else (item[0], item[1], ack, item[3]))
            continue
        if d == 0 and sent < 0:
            sent = item[1]
        behind = (ack - item[0]) & M32
        if behind < closest or (behind == closest and karn >= 0):
            closest = behind
            karn = item[1] if item[3] else -1
    rev.segs = keep or _NO_SEGS
    if not keep:
        rev.sorted = True
    return sent, karn


def _taint(segs: list, seq: int) -> None:
    """A retransmission from `seq` makes every unacked segment ending past it ambiguous for Karn."""
    for j, item in enumerate(segs):
        if item[3] and 0 < (item[0] - seq) & M32 < HALF:
            segs[j] = (item[0], item[1], item[2], False)


def _span(fwd: _Dir) -> int:
    """Bytes from the lowest unacked sequence number to the highest unacked end (Wireshark's BiF), for
    segments out of order (in order, it is the last end minus the first start: the caller does that)."""
    segs = fwd.segs
    base = fwd.base_seq
    first = min((item[2] - base) & M32 for item in segs)
    last = max((item[0] - base) & M32 for item in segs)
    return (last - first) & M32


def _verify_window_scaling(fwd: _Dir, rev: _Dir, is_synack: int) -> None:
    """Wireshark's verify_tcp_window_scaling: a SYN without the option means no scaling either way."""
    if fwd.win_scale == -1:
        fwd.win_scale = rev.win_scale = -2
    elif is_synack and rev.win_scale == -2:
        fwd.win_scale = -2


def _other_vni(table: dict, by_tuple: dict, key: tuple) -> _Dir | None:
    """The tunnelled conversation this packet answers under another VNI, if any.

    Some mirror setups (GENEVE on GCP, for one) give each direction its own VNI, while two
    sessions mirroring the same connection give each copy its own VNI. A packet joins a
    conversation of another VNI only if it is the first one seen in its direction there; a
    second mirrored copy always has seen both directions, so it stays a flow of its own.
    """
    src, dst, sport, dport, _vni = key
    opener = by_tuple.get((dst, src, dport, sport))
    if opener is None or opener.peer.stats.packets:
        return None
    table[key] = opener.peer
    opener.conv.keys += (key,)
    del by_tuple[(dst, src, dport, sport)]
    return opener.peer


def _forget(table: dict, by_tuple: dict, live: dict, conv: _Conv) -> FlowStats:
    """Drop every key of a conversation; returns its flow statistics."""
    del live[id(conv)]
    for key in conv.keys:
        d = table.get(key)
        if d is not None and d.conv is conv:
            del table[key]
            d.peer = None  # no reference cycle left: the directions go as soon as they are dropped
        d = by_tuple.get(key[:4])
        if d is not None and d.conv is conv:
            del by_tuple[key[:4]]
    return conv.flow


def _sweep(
    table: dict, by_tuple: dict, live: dict, finished: list[FlowStats], now: int, max_conversations: int
) -> None:
    """Drop conversations idle long enough (capture time), keeping their flow statistics.

    Closed connections, and those never answered (a SYN scan), go after `IDLE_CLOSED_S`; the
    rest after `IDLE_OPEN_S`. Past `max_conversations` live ones, the longest idle go first
    (the oldest conversation first among those idle since the same moment).
    """
    open_cut = now - IDLE_OPEN_S * 1_000_000_000
    closed_cut = now - IDLE_CLOSED_S * 1_000_000_000
    stale = []
    rest = []
    for conv in live.values():
        answered = conv.flow.forward.packets and conv.flow.reverse.packets
        if conv.last_ts < open_cut or ((conv.closed or not answered) and conv.last_ts < closed_cut):
            stale.append(conv)
        else:
            rest.append(conv)
    if len(rest) > max_conversations:
        rest.sort(key=lambda conv: conv.last_ts)
        stale += rest[: len(rest) - max_conversations * 3 // 4]
    for conv in stale:
        finished.append(_forget(table, by_tuple, live, conv))
    if len(finished) > 2 * KEPT_FLOWS:
        finished[:] = worst_flows(finished)
