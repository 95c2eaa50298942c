"""The compiled kernel answers exactly what the pure-Python path answers (issue 15, speed).

`NETOPS_PCAP_KERNEL=python` takes the pure-Python path, `c` the compiled one; every test here
analyses the same bytes both ways and compares everything an answer holds: counts, frame
numbers, the file-wide RTT reservoir (its samples too), every kept flow with both directions
and their sketches, packets, fragments, peak conversations and the error sentence.
"""

from __future__ import annotations

import io
import os
import random
import shutil
import struct
import subprocess
import sys
from itertools import islice
from pathlib import Path

import pytest
from pcap_corpus import CAPTURES

from agents.performance.pcap import AnalysisResult, analyze_stream, kernel
from agents.performance.pcap.craft import ACK, FIN, PSH, SYN, Packet, reframe, tcp_packet, write_pcap
from agents.performance.pcap.generator import FlowSpec, write_capture

SHARED = sorted(
    path
    for path in CAPTURES.rglob("*")
    if path.is_file() and path.suffix not in (".jsonl", ".md", ".json", ".txt") and not path.name.startswith(".")
)


class Trickle(io.RawIOBase):
    """A stream that hands out at most `size` bytes a read, as a slow network stream does."""

    def __init__(self, data: bytes, size: int) -> None:
        self._data, self._pos, self._size = data, 0, size

    def readable(self) -> bool:
        return True

    def read(self, n: int = -1) -> bytes:
        n = self._size if n < 0 else min(n, self._size)
        chunk = self._data[self._pos : self._pos + n]
        self._pos += len(chunk)
        return chunk


def answer(result: AnalysisResult) -> dict:
    """Everything a result holds that anyone reads (to_json shows only the first ten flows)."""
    return {
        **result.to_json(),
        "frames": result.frames,
        "packets": result.packets,
        "ip_fragments": result.ip_fragments,
        "tunnels_too_deep": result.tunnels_too_deep,
        "peak_conversations": result.peak_conversations,
        "rtt": (result.rtt.count, result.rtt.total, result.rtt.max, list(result.rtt.samples)),
        "flows": [flow.to_json() for flow in result.flows],
        "sketches": [
            (s.count, s.total, s.min, s.max, None if s.samples is None else list(s.samples), s.buckets)
            for flow in result.flows
            for s in (flow.rtt, flow.forward.rtt, flow.reverse.rtt)
        ],
    }


def both_ways(monkeypatch: pytest.MonkeyPatch, data: bytes, read_size: int | None = None, **options) -> tuple:
    """(pure-Python answer, compiled answer) of the same bytes."""
    deadline_s = options.pop("deadline_s", None)
    out = []
    for path in ("python", "c"):
        monkeypatch.setenv(kernel.ENV, path)
        stream = io.BytesIO(data) if read_size is None else Trickle(data, read_size)
        out.append(answer(analyze_stream(stream, name="capture", deadline_s=deadline_s, **options)))
    return tuple(out)


def pcap(packets) -> bytes:
    out = io.BytesIO()
    write_pcap(out, packets)
    return out.getvalue()


def generated(flows: list[FlowSpec], link: str = "ethernet", snaplen: int | None = None, seed: int = 7) -> bytes:
    out = io.BytesIO()
    write_capture(out, flows, link=link, seed=seed, snaplen=snaplen)
    return out.getvalue()


def test_the_compiled_kernel_is_built_from_the_current_source() -> None:
    assert kernel.unavailable_reason() is None


@pytest.mark.parametrize("path", SHARED, ids=lambda p: str(p.relative_to(CAPTURES)))
def test_both_paths_give_the_same_answer_on_a_shared_capture(monkeypatch: pytest.MonkeyPatch, path: Path) -> None:
    python, compiled = both_ways(monkeypatch, path.read_bytes())

    assert compiled == python


LOSSY = [
    FlowSpec(
        client=(f"10.0.{i}.1", 40000 + i),
        server=("10.9.0.1", 443 + i % 3),
        segments=120,
        loss_rate=(0.0, 0.02, 0.08)[i % 3],
        reorder_rate=0.03 if i % 2 else 0.0,
        dup_acks=i % 4,
        reset=i % 5 == 0,
        rtt_s=0.002 + 0.003 * i,
        start_s=i * 0.01,
        vni=100 + i,
        syn_options=i % 2 == 0,
        client_wscale=7 if i % 4 == 0 else None,
        server_wscale=9 if i % 4 == 0 else None,
        zero_window_pause_s=0.05 if i == 3 else 0.0,
        response_segments=20 if i % 3 == 1 else 0,
        capture_at="receiver" if i % 3 == 2 else "sender",
    )
    for i in range(12)
]


@pytest.mark.parametrize(
    ("link", "snaplen"), [("ethernet", None), ("ethernet", 60), ("sll2-vxlan", None), ("sll2-vxlan", 128)]
)
def test_both_paths_agree_on_generated_lossy_traffic(monkeypatch: pytest.MonkeyPatch, link: str, snaplen) -> None:
    python, compiled = both_ways(monkeypatch, generated(LOSSY, link=link, snaplen=snaplen))

    assert python["counts"]["retransmissions"] > 0
    assert compiled == python


@pytest.mark.parametrize(("link", "ipv6", "snaplen"), [("ethernet", True, None), ("sll2-vxlan", True, 130)])
def test_both_paths_agree_on_real_kernel_tcp_over_ipv6(monkeypatch: pytest.MonkeyPatch, link, ipv6, snaplen) -> None:
    with open(CAPTURES / "loopback/loopback_loss2pct_full_99k.pcap.gz", "rb") as source:
        packets = list(islice(reframe(source, link=link, ipv6=ipv6, snaplen=snaplen), 5000))
    out = io.BytesIO()
    write_pcap(out, packets, linktype=276 if link == "sll2-vxlan" else 1)

    python, compiled = both_ways(monkeypatch, out.getvalue())

    assert compiled == python


@pytest.mark.parametrize("read_size", [1, 17, 999, 65536])
def test_records_cut_by_the_reads_are_analysed_whole(monkeypatch: pytest.MonkeyPatch, read_size: int) -> None:
    data = generated(LOSSY[:4])
    whole, _ = both_ways(monkeypatch, data)

    python, compiled = both_ways(monkeypatch, data, read_size=read_size)

    assert compiled == python == whole


def to_pcapng(pcap_bytes: bytes, *, big: bool, tsresol: int | None, sections: int = 1) -> bytes:
    """The records of a microsecond or nanosecond pcap as pcapng: `sections` sections, each with
    an interface (at `tsresol`, None: the default microseconds) and a name-resolution block, the
    packets as enhanced packet blocks and, every 50th, a simple packet block."""
    order = ">" if big else "<"
    magic = pcap_bytes[:4]
    frac_ns = 1 if magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d") else 1000
    linktype = struct.unpack_from("<I", pcap_bytes, 20)[0]
    records, pos = [], 24
    while pos + 16 <= len(pcap_bytes):
        sec, frac, caplen, origlen = struct.unpack_from("<IIII", pcap_bytes, pos)
        records.append((sec * 1_000_000_000 + frac * frac_ns, pcap_bytes[pos + 16 : pos + 16 + caplen], origlen))
        pos += 16 + caplen

    def block(btype: int, body: bytes) -> bytes:
        body += bytes(-len(body) % 4)
        return struct.pack(order + "II", btype, len(body) + 12) + body + struct.pack(order + "I", len(body) + 12)

    units_per_s = 1_000_000 if tsresol is None else (1 << (tsresol & 0x7F) if tsresol & 0x80 else 10 ** tsresol)
    options = b"" if tsresol is None else struct.pack(order + "HH", 9, 1) + bytes([tsresol, 0, 0, 0])
    out = []
    per_section = -(-len(records) // sections)
    for n, (ts, data, origlen) in enumerate(records):
        if n % per_section == 0:
            out.append(block(0x0A0D0D0A, struct.pack(order + "IHHq", 0x1A2B3C4D, 1, 0, -1)))
            out.append(block(1, struct.pack(order + "HHI", linktype, 0, 262144) + options + bytes(4)))
            out.append(block(4, bytes(4)))  # a name-resolution block: no packets, the kernel's to hand back
        if n % 50 == 49:
            out.append(block(3, struct.pack(order + "I", origlen) + data))
            continue
        units = ts * units_per_s // 1_000_000_000
        head = struct.pack(order + "IIIII", 0, units >> 32, units & 0xFFFFFFFF, len(data), origlen)
        out.append(block(6, head + data))
    return b"".join(out)


@pytest.mark.parametrize(
    ("big", "tsresol", "sections", "read_size"),
    [(False, None, 1, None), (True, 9, 3, None), (False, 0x80 | 20, 2, 4093), (True, 6, 1, 1)],
)
def test_both_paths_agree_on_pcapng(monkeypatch: pytest.MonkeyPatch, big, tsresol, sections, read_size) -> None:
    data = to_pcapng(generated(LOSSY[:6]), big=big, tsresol=tsresol, sections=sections)

    python, compiled = both_ways(monkeypatch, data, read_size=read_size)

    assert compiled == python
    assert compiled["error"] is None and compiled["counts"]["retransmissions"] > 0


@pytest.mark.parametrize("cut", [7, 65, -3])  # in the section header, the name block, the last packet
def test_a_pcapng_cut_short_gets_the_same_sentence_on_both_paths(monkeypatch: pytest.MonkeyPatch, cut: int) -> None:
    data = to_pcapng(generated(LOSSY[:2]), big=False, tsresol=9)

    python, compiled = both_ways(monkeypatch, data[:cut])

    assert compiled == python
    assert "cut short" in compiled["error"]


def test_a_record_longer_than_a_read_chunk_is_analysed(monkeypatch: pytest.MonkeyPatch) -> None:
    # a TSO/GSO capture: IP's length field is 0, so the frame's 3 MB are one segment
    small = tcp_packet(1.0, ("10.0.0.1", 1000), ("10.0.0.2", 80), 1, 1, ACK | PSH, payload=1000)
    data = small.data[:16] + b"\x00\x00" + small.data[18:] + bytes(3_000_000)
    big = Packet(small.ts, data, len(data))
    packets = [
        tcp_packet(0.9, ("10.0.0.1", 1000), ("10.0.0.2", 80), 0, 0, SYN),
        big,
        tcp_packet(1.1, ("10.0.0.2", 80), ("10.0.0.1", 1000), 1, 3_000_001),
    ]

    python, compiled = both_ways(monkeypatch, pcap(packets))

    assert compiled == python
    assert compiled["error"] is None and compiled["packets"] == 3


@pytest.mark.parametrize("cut", [24 + 7, 24 + 16 + 30, -1])
def test_a_file_cut_short_gets_the_same_sentence_and_counts(monkeypatch: pytest.MonkeyPatch, cut: int) -> None:
    data = generated(LOSSY[:3])
    cut = cut if cut > 0 else len(data) - 5  # inside the first record header, its packet, the last packet

    python, compiled = both_ways(monkeypatch, data[:cut])

    assert compiled == python
    assert "cut short" in compiled["error"]


def test_a_record_claiming_more_than_64_mib_is_reported_where_it_is(monkeypatch: pytest.MonkeyPatch) -> None:
    data = bytearray(generated(LOSSY[:2]))
    data[24 + 8 : 24 + 12] = struct.pack("<I", 1 << 27)  # the first record's captured length

    python, compiled = both_ways(monkeypatch, bytes(data))

    assert compiled == python
    assert compiled["error"] == f"a record claims {1 << 27} bytes, so the file is corrupt from there on"


def _closed_flows(count: int, idle_every: int) -> bytes:
    """`count` short connections, closed both ways; every `idle_every` of them a minute of quiet."""
    packets = []
    t = 1.0
    rng = random.Random(3)
    for i in range(count):
        if i % idle_every == 0:
            t += 61.0  # past IDLE_CLOSED_S: the next sweep drops the closed ones
        client, server = (f"10.1.{i // 200}.{i % 200 + 1}", 2000 + i), ("10.2.0.1", 443)
        size = rng.randrange(1, 1400)
        lost = i % 7 == 0  # some retransmit, so the ranking has something to rank
        packets += [
            tcp_packet(t, client, server, 100, 0, SYN),
            tcp_packet(t + 0.001, server, client, 500, 101, SYN | ACK),
            tcp_packet(t + 0.002, client, server, 101, 501),
            tcp_packet(t + 0.003, client, server, 101, 501, ACK | PSH, payload=size),
        ]
        if lost:
            packets.append(tcp_packet(t + 0.2, client, server, 101, 501, ACK | PSH, payload=size))
        packets += [
            tcp_packet(t + 0.21, server, client, 501, 101 + size),
            tcp_packet(t + 0.22, client, server, 101 + size, 501, ACK | FIN),
            tcp_packet(t + 0.23, server, client, 501, 102 + size, ACK | FIN),
            tcp_packet(t + 0.24, client, server, 102 + size, 502),
        ]
        t += 0.01
    return pcap(packets)


def test_flows_finished_by_the_sweeps_are_ranked_as_the_python_path_ranks_them(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # 1,500 connections: the sweeps finish far more than twice the flows an answer keeps (200)
    python, compiled = both_ways(monkeypatch, _closed_flows(1500, idle_every=300))

    assert compiled == python
    assert len(compiled["flows"]) == 200 and compiled["counts"]["streams"] == 1500


def _connection(t: float, client, server, isn: int, retransmit: int) -> list:
    """One closed connection with 100 bytes each way and `retransmit` copies of the request."""
    packets = [
        tcp_packet(t, client, server, isn, 0, SYN),
        tcp_packet(t + 0.001, server, client, 500, isn + 1, SYN | ACK),
        tcp_packet(t + 0.002, client, server, isn + 1, 501),
        tcp_packet(t + 0.003, client, server, isn + 1, 501, ACK | PSH, payload=100),
    ]
    for n in range(retransmit):
        packets.append(tcp_packet(t + 0.1 * (n + 1), client, server, isn + 1, 501, ACK | PSH, payload=100))
    end = t + 0.1 * (retransmit + 1)
    return [
        *packets,
        tcp_packet(end, server, client, 501, isn + 101),
        tcp_packet(end + 0.01, client, server, isn + 101, 501, ACK | FIN),
        tcp_packet(end + 0.02, server, client, 501, isn + 102, ACK | FIN),
        tcp_packet(end + 0.03, client, server, isn + 102, 502),
    ]


def test_a_reused_five_tuple_ranked_out_early_stays_out_as_in_the_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """The ranking between sweeps is visible only here: a 5-tuple's first connection is dropped
    with the flows ranked below the 200 kept, and its later connections count without it."""
    server, reused = ("10.2.0.1", 443), ("10.1.0.1", 5555)
    packets = _connection(1.0, reused, server, 1000, retransmit=1)
    for i in range(450):  # worse flows than the first connection: it is ranked out at the first sweep after them
        packets += _connection(1.0 + i * 0.001, (f"10.3.{i // 200}.{i % 200 + 1}", 3000), server, 7000, retransmit=3)
    t = 70.0  # a minute later: the sweep finishes them all (closed, idle past IDLE_CLOSED_S)
    for i in range(800):  # packets enough for that sweep (at packet 8,192) to come before the 5-tuple returns
        packets += _connection(t + i * 0.001, (f"10.4.{i // 200}.{i % 200 + 1}", 4000), server, 9000, retransmit=0)
    for n in range(1, 50):  # the 5-tuple again, one connection after another (new ISNs: new streams)
        packets += _connection(t + 1.0 + n, reused, server, 1000 + n * 10_000, retransmit=1)
    packets.sort(key=lambda p: p.ts)

    python, compiled = both_ways(monkeypatch, pcap(packets))

    assert compiled == python
    top = compiled["flows"][0]
    assert (top["src"], top["sport"], top["retransmissions"]) == ("10.1.0.1", 5555, 49)


def test_past_max_conversations_the_longest_idle_go_as_in_the_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    flows = [
        FlowSpec(client=(f"10.3.0.{i + 1}", 3000 + i), server=("10.4.0.1", 80), segments=30, start_s=i * 0.02)
        for i in range(120)
    ]
    data = generated(flows)

    python, compiled = both_ways(monkeypatch, data, max_conversations=10)

    assert compiled == python


def test_a_deadline_stops_both_paths_at_the_same_packet(monkeypatch: pytest.MonkeyPatch) -> None:
    python, compiled = both_ways(monkeypatch, _closed_flows(1000, idle_every=300), deadline_s=0.0)

    assert compiled == python
    assert compiled["packets"] == 4096 and "longer than 0 s" in compiled["error"]


def test_python_in_the_setting_chooses_the_pure_python_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(kernel.ENV, "python")
    assert not kernel.use_kernel()
    monkeypatch.setenv(kernel.ENV, "")  # empty is unset: the compiled kernel, when built
    assert kernel.use_kernel()


def _copy_of_the_package(tmp_path: Path, *, with_module: bool, edit_source: bool) -> Path:
    """The `agents` package as another checkout holds it: without the built module, or with one
    built from older sources."""
    root = Path(kernel.__file__).parents[3]
    ignore = shutil.ignore_patterns("__pycache__", *(() if with_module else ("_kernel*.so",)))
    shutil.copytree(root / "agents", tmp_path / "agents", ignore=ignore)
    if edit_source:
        source = tmp_path / "agents/performance/pcap/csrc/analysis.c"
        source.write_text(source.read_text() + "/* changed after the build */\n")
    return tmp_path


def _analyze_pcap(cwd: Path, *files: Path) -> subprocess.CompletedProcess:
    env = {key: value for key, value in os.environ.items() if key != kernel.ENV}
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", "analyze-pcap", "--json", "--workers", "2", *map(str, files)],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=True,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("with_module", "edit_source", "reason"),
    [(False, False, "it was not compiled"), (True, True, "the compiled module is older than its sources")],
)
def test_without_a_current_kernel_the_pure_python_path_answers_and_says_so_once(
    tmp_path: Path, with_module: bool, edit_source: bool, reason: str
) -> None:
    files = [CAPTURES / "synthetic/synthetic_tcp_events.pcap", CAPTURES / "loopback/loopback_loss2pct_full_99k.pcap.gz"]
    checkout = _copy_of_the_package(tmp_path / "checkout", with_module=with_module, edit_source=edit_source)

    fallback = _analyze_pcap(checkout, *files)
    compiled = _analyze_pcap(Path(kernel.__file__).parents[3], *files)

    notices = [line for line in fallback.stderr.splitlines() if "no compiled kernel" in line]
    assert len(notices) == 1 and reason in notices[0]
    assert "no compiled kernel" not in compiled.stderr
    assert fallback.stdout == compiled.stdout
