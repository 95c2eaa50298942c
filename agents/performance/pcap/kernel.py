"""The compiled kernel (`csrc/`, module `_kernel`) behind `analyze_stream`, and the choice between it and Python.

`uv sync` compiles `csrc/` when a C compiler and Python's headers are there (setup.py marks
the extension optional, so set-up never fails for want of one). Without it, or when the built
module is older than its source, the pure-Python path (`tcp.analyze_records`) answers instead,
about 15 times slower, and the first analysis in the process says so once in the log.
`NETOPS_PCAP_KERNEL=python` chooses the pure-Python path on purpose (the tests cross-check the
two: every count, frame number, RTT figure and flow must be equal).

The kernel walks a classic pcap's records, and a pcapng's enhanced packet blocks, itself,
chunk by chunk, with the GIL released, so a question's capture files analyse on all cores from
threads. Every other pcapng block (section headers, interfaces, simple packets, anything odd or
broken) it hands back to `capture.read_block`, so the sentences for broken files are that
module's alone. Flows leave the kernel as tuples and become `FlowStats` here, ranked exactly
where the pure-Python path ranks them.

One deliberate difference: a pcapng timestamp past 2**62 ns (the year 2116: a damaged file) is
taken as that moment, since the kernel keeps time in 64-bit integers.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import time
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO

from agents.performance.pcap import decode, stats, tcp
from agents.performance.pcap.capture import (
    MAX_RECORD,
    Buffer,
    CaptureError,
    PcapBody,
    PcapngSection,
    open_capture,
    read_block,
)
from agents.performance.pcap.result import (
    FRAME_NAMES,
    KEPT_FLOWS,
    MAX_FRAMES,
    AnalysisResult,
    DirectionStats,
    FlowStats,
    make_flow,
    worst_flows,
)

try:  # built by `uv sync` (setup.py) when a C compiler is there
    from agents.performance.pcap import _kernel
except ImportError:
    _kernel = None

log = logging.getLogger("agents.performance.pcap")

SOURCES = Path(__file__).with_name("csrc")
ENV = "NETOPS_PCAP_KERNEL"
OK, DEADLINE, TOO_BIG, FLOWS, PYTHON = 0, 1, 2, 3, 4  # the kernel's feed statuses
TS_MAX = 1 << 62
LIVE_BATCH = 256  # live flows handed over at a time at the end (kernel state and FlowStats overlap by this)
# what the kernel exports of a direction, in the dataclass's order (its Karn RTT sketch comes after)
DIRECTION_FIELDS = tuple(f.name for f in dataclasses.fields(DirectionStats) if f.name != "rtt")

_noticed = False


def source_hash(folder: Path = SOURCES) -> str | None:
    """The first 16 hex digits of the SHA-256 of every source file in name order (setup.py compiles
    the same into the module)."""
    try:
        paths = sorted(path for path in folder.iterdir() if path.suffix in (".c", ".h"))
    except OSError:  # an installed wheel carries no C source: nothing to compare with
        return None
    digest = hashlib.sha256()
    for path in paths:
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16] if paths else None


@functools.cache  # the loaded module cannot change under a running process: read the sources once
def unavailable_reason() -> str | None:
    """Why the compiled kernel cannot be used (None: it can)."""
    if _kernel is None:
        return "it was not compiled (no C compiler or Python headers when `uv sync` ran)"
    built = getattr(_kernel, "SOURCE_HASH", None)
    current = source_hash()
    if current is not None and built != current:
        return "the compiled module is older than its sources in csrc/ (run `uv sync` to rebuild it)"
    return None


def use_kernel() -> bool:
    """Whether `analyze_stream` takes the compiled path; says once per process why not, if not."""
    global _noticed
    choice = (os.environ.get(ENV) or "").strip().lower()
    if choice == "python":
        return False
    reason = unavailable_reason()
    if reason is None and choice in ("", "auto", "c"):
        return True
    if not _noticed:
        _noticed = True
        if reason is None:
            log.warning("%s=%r is not one of auto, c, python; using the compiled kernel", ENV, choice)
            return True
        log.warning("pcap analyzer: no compiled kernel, %s; using the pure-Python path (about 15x slower)", reason)
    return reason is None


def mark_noticed() -> None:
    """Take the notice as said (a worker process whose parent said it)."""
    global _noticed
    _noticed = True


def analyze(stream: BinaryIO, result: AnalysisResult, deadline_s: float | None, max_conversations: int) -> set[int]:
    """`tcp.analyze_records` over a whole stream, compiled; fills `result` even when interrupted.

    Raises what the pure-Python path raises (CaptureError, DeadlineExceeded, OSError) and
    returns the link types seen.
    """
    stop_at = -1 if deadline_s is None else time.monotonic_ns() + int(deadline_s * 1e9)
    analyzer = _kernel.Analyzer(
        max_conversations=max_conversations,
        stop_at_ns=stop_at,
        idle_open_ns=tcp.IDLE_OPEN_S * 1_000_000_000,
        idle_closed_ns=tcp.IDLE_CLOSED_S * 1_000_000_000,
        fast_rt_ns=tcp.FAST_RT_NS,
        default_ooo_ns=tcp.DEFAULT_OOO_NS,
        sweep_every=tcp.SWEEP_EVERY,
        deadline_every=tcp.DEADLINE_EVERY,
        max_record=MAX_RECORD,
        max_unacked=tcp.MAX_UNACKED,
        max_frames=MAX_FRAMES,
        reservoir_capacity=result.rtt.capacity,
        reservoir_seed=result.rtt.rng_state,
        kept_flows=KEPT_FLOWS,
        max_depth=decode.MAX_DEPTH,
        log_gamma=stats.LOG_GAMMA,
        exact_samples=stats.EXACT_SAMPLES,
    )
    finished: list[FlowStats] = []
    try:
        source = open_capture(stream)
        if isinstance(source, PcapBody):
            _feed_pcap(analyzer, source, finished)
        else:
            _feed_pcapng(analyzer, source, finished)
    finally:
        linktypes = _finish(analyzer, result, finished)
    return linktypes


def _feed_pcap(analyzer, body: PcapBody, finished: list[FlowStats]) -> None:
    big, frac_ns, linktype = body.big_endian, body.frac_ns, body.linktype
    data, pos = b"", 0
    parts: list[bytes] = []  # a record longer than a chunk: its chunks, joined once it is whole
    have = need = 0
    for chunk in body.chunks():
        if need:
            parts.append(chunk)
            have += len(chunk)
            if have < need:
                continue
            data, pos, parts, have, need = b"".join(parts), 0, [], 0, 0
        else:  # the record cut by the chunk's end, then the chunk
            data, pos = (data[pos:] + chunk if pos < len(data) else chunk), 0
        while True:
            pos, status = analyzer.feed_pcap(data, pos, big, frac_ns, linktype, len(finished))
            if status == OK:
                break
            if status == FLOWS:
                _take(analyzer, finished)
            elif status == DEADLINE:
                raise tcp.DeadlineExceeded
            else:
                size = _record_size(data, pos, big) - 16
                raise CaptureError(f"a record claims {size} bytes, so the file is corrupt from there on")
        rest = len(data) - pos
        if rest >= 16 and _record_size(data, pos, big) - rest > len(chunk):
            parts, have, need = [data[pos:]], rest, _record_size(data, pos, big)
            data, pos = b"", 0
    left = len(data) - pos + have
    if left:
        if left < 16:
            raise CaptureError("the file is cut short in the middle of a record header")
        raise CaptureError("the file is cut short in the middle of a packet")


def _record_size(data: bytes, pos: int, big: bool) -> int:
    """Bytes of the record at `pos` (its 16-byte header included)."""
    return 16 + int.from_bytes(data[pos + 8 : pos + 12], "big" if big else "little")


def _feed_pcapng(analyzer, b: Buffer, finished: list[FlowStats]) -> None:
    section = PcapngSection()
    while True:
        b.pos, status = analyzer.feed_pcapng(b.buf, b.pos, len(finished))
        if status == FLOWS:
            _take(analyzer, finished)
        elif status == DEADLINE:
            raise tcp.DeadlineExceeded
        elif status == OK and b.need(_block_size(b, section)):
            continue  # the rest of the block came in
        else:  # a block for read_block, or the end of the data (it says how the file ended)
            record = read_block(b, section)
            if section.ended:
                return
            analyzer.set_section(section.order == ">", section.interfaces)
            if record is not None:
                _feed_record(analyzer, record, finished)


def _block_size(b: Buffer, section: PcapngSection) -> int:
    """How many bytes the block at `b.pos` needs (its length field, once its header is there)."""
    have = len(b.buf) - b.pos
    if have < 12:
        return 12
    size = int.from_bytes(b.buf[b.pos + 4 : b.pos + 8], "big" if section.order == ">" else "little")
    return size if have < size <= MAX_RECORD else have + 1


def _feed_record(analyzer, record: tuple, finished: list[FlowStats]) -> None:
    ts, linktype, buf, off, caplen, origlen = record
    ts = ts if ts < TS_MAX else TS_MAX
    while (status := analyzer.feed_record(ts, linktype, buf, off, caplen, origlen, len(finished))) == FLOWS:
        _take(analyzer, finished)
    if status == DEADLINE:
        raise tcp.DeadlineExceeded


def _take(analyzer, finished: list[FlowStats]) -> None:
    """The kernel's finished flows, ranked as tcp._sweep ranks them when they pass 2 x KEPT_FLOWS."""
    finished.extend(_flows(analyzer.take_finished()))
    if len(finished) > 2 * KEPT_FLOWS:
        finished[:] = worst_flows(finished)


def _finish(analyzer, result: AnalysisResult, finished: list[FlowStats]) -> set[int]:
    finished.extend(_flows(analyzer.take_finished()))
    out = analyzer.finish()
    result.counts.update({name: out[name] for name in result.counts})
    for name in FRAME_NAMES:
        result.frames[name] = out["f_" + name]
    result.packets = out["packets"]
    result.ip_fragments = out["ip_fragments"]
    result.tunnels_too_deep = out["tunnels_too_deep"]
    result.peak_conversations = out["peak_conversations"]
    rtt = result.rtt
    rtt.count, rtt.total, rtt.rng_state = out["rtt_count"], out["rtt_total"], out["rtt_rng"]
    rtt.max = out["rtt_max"] if out["rtt_count"] else None
    rtt.samples = array("d")
    rtt.samples.frombytes(out["rtt_samples"])
    while batch := analyzer.take_live(LIVE_BATCH):  # the kernel frees each flow as it leaves
        finished.extend(_flows(batch))
    result.flows = worst_flows(finished)
    return set(out["linktypes"])


def _flows(rows: Iterable[tuple]) -> Iterator[FlowStats]:
    for src, dst, sport, dport, vni, rtt, forward, reverse in rows:
        flow = make_flow(src, dst, sport, dport, vni)
        _sketch(flow.rtt, rtt)
        _direction(flow.forward, forward)
        _direction(flow.reverse, reverse)
        yield flow


def _direction(target: DirectionStats, row: tuple) -> None:
    for name, value in zip(DIRECTION_FIELDS, row, strict=False):
        setattr(target, name, value)
    _sketch(target.rtt, row[-1])


def _sketch(target: stats.QuantileSketch, row: tuple) -> None:
    target.count, target.total, target.min, target.max, samples, target.buckets = row
    target.samples = None if samples is None else array("d", samples)
