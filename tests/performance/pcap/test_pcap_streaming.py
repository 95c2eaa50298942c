"""Streaming with bounded memory: only live connections are held, however long the capture."""

from __future__ import annotations

import io
import struct
import subprocess
import sys
from pathlib import Path

from agents.performance.pcap import analyze_stream
from agents.performance.pcap.generator import FlowSpec, write_capture


def _short_connections(count: int, spacing_s: float = 0.5) -> list[FlowSpec]:
    """Connections opening one after another and closing quickly: a long, busy capture."""
    return [
        FlowSpec(client=(f"10.0.{i // 250}.{i % 250 + 1}", 30000 + i), segments=10, start_s=i * spacing_s)
        for i in range(count)
    ]


def test_closed_connections_are_dropped_while_the_capture_goes_on() -> None:
    out = io.BytesIO()
    write_capture(out, _short_connections(1200), seed=1, start_time=1000.0, snaplen=96)
    out.seek(0)

    result = analyze_stream(out, name="long")

    assert result.counts["streams"] == 1200
    assert result.peak_conversations < 400  # ~60 s of closed connections plus one sweep's lag
    assert result.counts["fins"] == 2400


def test_dropping_idle_connections_keeps_their_flow_statistics() -> None:
    lossy = FlowSpec(client=("10.9.9.9", 50000), segments=50, loss_rate=0.2, start_s=0.0)
    out = io.BytesIO()
    write_capture(out, [lossy, *_short_connections(600)], seed=2, start_time=1000.0, snaplen=96)
    out.seek(0)

    result = analyze_stream(out, name="lossy-first")

    assert result.flows[0].src == "10.9.9.9"
    assert result.flows[0].retransmissions == result.counts["retransmissions"] > 0


def _peak_rss_kib(path: Path) -> int:
    """Peak RSS (VmHWM) of `netops analyze-pcap PATH --json` in a child process, in KiB.

    VmHWM rather than ru_maxrss: the latter keeps the high-water mark of the forked parent.
    """
    code = (
        "import sys\n"
        "from agents.cli import main\n"
        "main(['analyze-pcap', '--json', sys.argv[1]])\n"
        "status = open('/proc/self/status').read().split('VmHWM:')[1]\n"
        "print(int(status.split()[0]), file=sys.stderr)\n"
    )
    done = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True)
    return int(done.stderr.strip().splitlines()[-1])


def test_peak_memory_does_not_grow_with_the_capture_length(tmp_path: Path) -> None:
    short, long = tmp_path / "short.pcap", tmp_path / "long.pcap"
    write_capture(short, _short_connections(800), seed=3, start_time=1000.0, snaplen=96)
    write_capture(long, _short_connections(6400), seed=3, start_time=1000.0, snaplen=96)

    short_kib, long_kib = _peak_rss_kib(short), _peak_rss_kib(long)

    # held whole, the long file alone would add 14 MB; kept state, about 15 MB more
    assert long.stat().st_size > 7 * short.stat().st_size
    assert long_kib - short_kib < 6 * 1024, (short_kib, long_kib)


def _syn_scan(count: int) -> bytes:
    """`count` SYNs to distinct ports, 1 ms apart, none answered (raw-IP pcap)."""
    out = [struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 101)]
    for i in range(count):
        tcp = struct.pack("!HHIIBBHHH", 50000, 1 + i % 65000, i, 0, 0x50, 0x02, 1024, 0, 0)
        ip = struct.pack(
            "!BBHHHBBH4s4s", 0x45, 0, 40, 0, 0, 64, 6, 0, b"\x0a\0\0\x09", bytes([10, 1, i >> 16 & 255, i >> 8 & 255])
        )
        out.append(struct.pack("<IIII", 1000 + i // 1000, i % 1000 * 1000, 40, 40) + ip + tcp)
    return b"".join(out)


def test_a_syn_scan_cannot_exhaust_memory() -> None:
    result = analyze_stream(io.BytesIO(_syn_scan(30_000)), name="scan", max_conversations=1000)

    assert result.counts["streams"] == 30_000 and result.counts["syns"] == 30_000
    assert result.peak_conversations < 2 * 1000 + 4096
