"""What an analysis answers: per-file counts, RTT summary and the worst flows.

`AnalysisResult.to_json()` is exactly one `netops analyze-pcap --json` line (design.md section
3): the same names as `../shared/captures/expected.jsonl`, so our answer and tshark's compare
key by key. `merge_results` folds several files (rotated captures of one mirror session) into
one answer, merging flows that appear in more than one file.
"""

from __future__ import annotations

import functools
import heapq
from collections.abc import Iterable
from dataclasses import dataclass, field

from agents.performance.pcap.decode import format_address
from agents.performance.pcap.stats import QuantileSketch, Reservoir

COUNT_NAMES = (
    "tcp_packets",
    "streams",
    "retransmissions",
    "fast_retransmissions",
    "spurious_retransmissions",
    "duplicate_acks",
    "lost_segments",
    "out_of_order",
    "zero_windows",
    "resets",
    "fins",
    "syns",
)
# the events whose frame numbers are kept (as in expected.jsonl): retransmissions ... resets
FRAME_NAMES = COUNT_NAMES[COUNT_NAMES.index("retransmissions") : COUNT_NAMES.index("resets") + 1]
GLOBAL_RTT_SAMPLES = 1 << 18
KEPT_FLOWS = 200  # flows kept per result (for merging); to_json shows the first JSON_FLOWS
JSON_FLOWS = 10
MAX_FRAMES = 10_000  # frame numbers kept per kind of event


class _RttQuantiles:
    """p50/p99 of a record's `rtt` sketch (None without samples)."""

    __slots__ = ()
    rtt: QuantileSketch

    @property
    def rtt_p50_s(self) -> float | None:
        return self.rtt.quantile(0.5)

    @property
    def rtt_p99_s(self) -> float | None:
        return self.rtt.quantile(0.99)


# DirectionStats fields that add up when one flow's results from several files are merged
DIRECTION_COUNTS = (
    "packets",
    "data_segments",
    "payload_bytes",
    *FRAME_NAMES,
    "window_full",
    "syns",
    "fins",
    "options_cut",
)


@dataclass(slots=True)
class DirectionStats(_RttQuantiles):
    """What one side of a connection sent, as an expert reads it per direction.

    The counts are tshark's `tcp.analysis.*` flags of this side's segments, so "who retransmits"
    and "who asks" (duplicate ACKs are sent by the receiver missing a segment; zero windows are
    advertised by the receiver that is full) are told apart. `rtt` is Karn's RTT of this side's
    segments: only segments never retransmitted, timed to the peer's ACK that first covers them,
    so a retransmission cannot pair with the wrong ACK (`QuantileSketch`: exact up to 64 samples,
    within 1% beyond). `options_cut` counts segments whose TCP options the snap length cut: their
    SACK blocks and timestamps are unknown, and `window_scale` stays None when the SYN's were cut,
    so `max_window` is then the unscaled field.
    """

    packets: int = 0  # TCP segments this side sent
    data_segments: int = 0  # with payload, SYN or FIN: the denominator of every rate
    payload_bytes: int = 0  # from the IP header lengths (truncation-proof)
    retransmissions: int = 0  # all kinds, exactly as tshark flags them
    fast_retransmissions: int = 0
    spurious_retransmissions: int = 0
    duplicate_acks: int = 0  # dup ACKs this side SENT (it is the receiver asking for a segment)
    lost_segments: int = 0  # "previous segment not captured" on this side's stream
    out_of_order: int = 0
    zero_windows: int = 0  # zero windows this side ADVERTISED
    window_full: int = 0  # this side's segments that filled the peer's advertised window
    resets: int = 0  # RSTs this side sent
    syns: int = 0
    fins: int = 0
    options_cut: int = 0  # segments whose TCP options were cut by the snap length
    max_window: int = 0  # largest window this side advertised, in bytes, its scale applied when known
    window_scale: int | None = None  # shift offered in this side's SYN; None = no SYN seen (or its options cut);
    # -1 = SYN without the option
    max_in_flight: int = 0  # most bytes this side had unacknowledged (tcp.analysis.bytes_in_flight)
    first_data_ns: int | None = None  # capture time of this side's first segment with payload (first_data_ts)
    last_data_ns: int | None = None  # and of its last (last_data_ts): with payload_bytes, its throughput
    rtt: QuantileSketch = field(default_factory=QuantileSketch, repr=False, compare=False)

    @property
    def first_data_ts(self) -> float | None:
        """Seconds since the epoch (kept in ns: the capture's own int, no float per packet)."""
        return None if self.first_data_ns is None else self.first_data_ns / 1e9

    @property
    def last_data_ts(self) -> float | None:
        return None if self.last_data_ns is None else self.last_data_ns / 1e9

    def merge(self, other: DirectionStats) -> None:
        for name in DIRECTION_COUNTS:
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.max_window = max(self.max_window, other.max_window)
        self.max_in_flight = max(self.max_in_flight, other.max_in_flight)
        if self.window_scale is None:
            self.window_scale = other.window_scale
        if other.first_data_ns is not None:
            if self.first_data_ns is None or other.first_data_ns < self.first_data_ns:
                self.first_data_ns = other.first_data_ns
            if self.last_data_ns is None or (other.last_data_ns or 0) > self.last_data_ns:
                self.last_data_ns = other.last_data_ns
        self.rtt.extend(other.rtt)

    def to_json(self) -> dict:
        out = {name: getattr(self, name) for name in DIRECTION_COUNTS}
        out.update(
            max_window=self.max_window,
            window_scale=self.window_scale,
            max_in_flight=self.max_in_flight,
            first_data_ts=self.first_data_ts,
            last_data_ts=self.last_data_ts,
            rtt_p50_s=self.rtt_p50_s,
            rtt_p99_s=self.rtt_p99_s,
            rtt_samples=self.rtt.count,
        )
        return out


@dataclass(slots=True)
class FlowStats(_RttQuantiles):
    """One TCP connection (both directions), `src` being the side that opened it when seen.

    `retransmission_rate` is retransmitted segments over segments that carry data, SYN or FIN:
    the share of the sender's work that was wasted, which is what an operator compares with the
    loss a path should have.
    """

    src: str
    dst: str
    sport: int
    dport: int
    vni: int | None
    rtt: QuantileSketch = field(default_factory=QuantileSketch, repr=False, compare=False)  # Wireshark's ack RTT
    forward: DirectionStats = field(default_factory=DirectionStats)  # what `src` sent
    reverse: DirectionStats = field(default_factory=DirectionStats)  # what `dst` sent

    @property
    def key(self) -> tuple:
        return (self.src, self.dst, self.sport, self.dport, self.vni)

    # Both directions' sums, kept as the flow's own figures (one record per direction is memory enough)
    @property
    def packets(self) -> int:
        return self.forward.packets + self.reverse.packets

    @property
    def bytes(self) -> int:
        return self.forward.payload_bytes + self.reverse.payload_bytes

    @property
    def data_segments(self) -> int:
        return self.forward.data_segments + self.reverse.data_segments

    @property
    def retransmissions(self) -> int:
        return self.forward.retransmissions + self.reverse.retransmissions

    @property
    def resets(self) -> int:
        return self.forward.resets + self.reverse.resets

    @property
    def retransmission_rate(self) -> float:
        return self.retransmissions / self.data_segments if self.data_segments else 0.0

    def severity_key(self) -> tuple:
        """Worst first: most retransmissions, then the slowest p99 RTT."""
        return (self.retransmissions, self.rtt.quantile(0.99) or 0.0, self.packets)

    def copy(self) -> FlowStats:
        twin = FlowStats(self.src, self.dst, self.sport, self.dport, self.vni)
        twin.merge(self)
        return twin

    def merge(self, other: FlowStats) -> None:
        self.rtt.extend(other.rtt)
        self.forward.merge(other.forward)
        self.reverse.merge(other.reverse)

    def to_json(self) -> dict:
        return {
            "src": self.src,
            "dst": self.dst,
            "sport": self.sport,
            "dport": self.dport,
            "vni": self.vni,
            "packets": self.packets,
            "bytes": self.bytes,
            "retransmissions": self.retransmissions,
            "retransmission_rate": round(self.retransmission_rate, 6),
            "rtt_p50_s": self.rtt_p50_s,
            "rtt_p99_s": self.rtt_p99_s,
            "resets": self.resets,
            "directions": {"forward": self.forward.to_json(), "reverse": self.reverse.to_json()},
        }

    @property
    def label(self) -> str:
        """`10.0.1.10:40000 → 10.0.2.20:5432` (the evidence format of the diagnosis contract)."""
        src = f"[{self.src}]" if ":" in self.src else self.src
        dst = f"[{self.dst}]" if ":" in self.dst else self.dst
        tail = f" (VNI {self.vni})" if self.vni is not None else ""
        return f"{src}:{self.sport} → {dst}:{self.dport}{tail}"


@functools.lru_cache(maxsize=4096)
def _address_text(addr: int | bytes) -> str:
    """One string per address: a mirror target's flows share a few servers (memory per flow)."""
    return format_address(addr)


def make_flow(src, dst, sport: int, dport: int, vni: int) -> FlowStats:
    return FlowStats(_address_text(src), _address_text(dst), sport, dport, None if vni < 0 else vni)


@dataclass(slots=True)
class AnalysisResult:
    """The answer for one file (or several merged); `error` is None or one sentence."""

    file: str
    error: str | None = None
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNT_NAMES, 0))
    rtt: Reservoir = field(default_factory=lambda: Reservoir(GLOBAL_RTT_SAMPLES), repr=False)
    flows: list[FlowStats] = field(default_factory=list)
    frames: dict = field(default_factory=lambda: {name: [] for name in FRAME_NAMES})
    packets: int = 0  # every record in the file, TCP or not
    ip_fragments: int = 0
    tunnels_too_deep: int = 0  # packets inside tunnels nested more than 8 deep, not decoded
    peak_conversations: int = 0  # most connections held in memory at once
    elapsed_s: float = 0.0

    @property
    def ack_rtt(self) -> dict:
        return self.rtt.summary()

    @property
    def failed(self) -> bool:
        """Nothing could be analysed. A capture cut short (or stopped by the deadline) after some
        packets still answers for those packets: it has an error but has not failed."""
        return self.error is not None and self.packets == 0

    def to_json(self) -> dict:
        return {
            "file": self.file,
            "error": self.error,
            "counts": dict(self.counts),
            "ack_rtt": self.ack_rtt,
            "flows": [flow.to_json() for flow in self.flows[:JSON_FLOWS]],
        }


def worst_flows(flows: Iterable[FlowStats], keep: int = KEPT_FLOWS) -> list[FlowStats]:
    """The `keep` worst flows, worst first, with flows of the same 5-tuple and VNI merged."""
    merged: dict[tuple, FlowStats] = {}
    for flow in flows:
        seen = merged.get(flow.key)
        if seen is None:
            merged[flow.key] = flow
        else:
            seen.merge(flow)
    return heapq.nlargest(keep, merged.values(), key=FlowStats.severity_key)


def merge_results(results: Iterable[AnalysisResult]) -> AnalysisResult:
    """One answer for several files: counts added, RTT samples pooled, flows merged by key.

    A connection split across two rotated files is one flow here, but its TCP state does not
    carry over the file boundary (each file is analysed on its own, as tshark would).
    """
    results = list(results)
    names = [r.file for r in results]
    merged = AnalysisResult(file=", ".join(names) if len(names) <= 3 else f"{names[0]} and {len(names) - 1} more")
    if results and all(r.failed for r in results):
        merged.error = "; ".join(f"{r.file}: {r.error}" for r in results)
    flows: list[FlowStats] = []
    for r in results:
        for name, value in r.counts.items():
            merged.counts[name] = merged.counts.get(name, 0) + value
        merged.rtt.extend(r.rtt)
        merged.packets += r.packets
        merged.ip_fragments += r.ip_fragments
        merged.tunnels_too_deep += r.tunnels_too_deep
        merged.elapsed_s += r.elapsed_s
        merged.peak_conversations = max(merged.peak_conversations, r.peak_conversations)
        flows.extend(flow.copy() for flow in r.flows)
    merged.flows = worst_flows(flows)
    return merged
