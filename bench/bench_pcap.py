"""Benchmark: `netops analyze-pcap` against tshark on one generated mirror-target capture.

    uv run python bench/bench_pcap.py [--packets 1000000] [--keep DIR]

Writes a capture of at least `--packets` packets (default 1,000,000; at least 100 MB) as a
Traffic Mirroring target records it (SLL2 / IPv4 / UDP 4789 / VXLAN / Ethernet / IPv4 / TCP,
frames cut at 160 bytes by the session's PacketLength) with loss, reordering and duplicate
ACKs, into a temporary directory. Then runs, one after the other on that file,

    cat FILE > /dev/null                      (the physical floor: reading the file)
    netops analyze-pcap FILE --json            (three times, the median kept)
    tshark -r FILE -Y tcp.analysis.retransmission -T fields -e frame.number
    netops analyze-pcap FILE FILE FILE FILE --workers 1, then --workers 0 (all cores)

and reports each one's packets per second and peak RSS (from wait4), whether the
retransmission counts agree (within 0.5%), how much faster four files of one question go on
all cores than one after another, and on the last line the throughput ratio (netops/tshark,
higher is better), the memory ratio (netops/tshark, lower is better) and netops' time over
cat's (how far from the floor). Which path analysed (compiled kernel or pure Python) is said
first.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SNAPLEN = 160


def generate(path: Path, packets: int) -> int:
    """Write the capture; runs in a child process so this one stays small while measuring."""
    sys.path.insert(0, str(ROOT))
    from agents.performance.pcap.generator import FlowSpec, write_capture

    per_flow = 490  # fewer than the ~510 packets a flow makes (data, ACKs, handshake, close, recovery)
    flows = [
        FlowSpec(
            client=(f"10.1.{i // 250 % 250}.{i % 250 + 1}", 20000 + i % 40000),
            server=(f"10.2.0.{i % 16 + 1}", (443, 5432, 6379, 8080)[i % 4]),
            segments=250,
            loss_rate=(0.0, 0.005, 0.02, 0.05)[i % 4],
            reorder_rate=0.01 if i % 3 == 0 else 0.0,
            dup_acks=i % 3,
            reset=i % 10 == 0,
            rtt_s=0.001 + 0.0005 * (i % 20),
            start_s=i * 0.004,
            vni=100 + i % 8,
        )
        for i in range(packets // per_flow + 1)
    ]
    return write_capture(path, flows, link="sll2-vxlan", seed=2024, start_time=1_700_000_000.0, snaplen=SNAPLEN)


def measure(cmd: list[str], stdout_to: Path | None = None) -> tuple[float, int, str, float]:
    """(wall seconds, peak RSS in KiB, stdout, CPU seconds) of one command.

    CPU time is reported beside wall time because a shared machine's load stretches the wall
    time of whichever command it happens to hit; the CPU each one needed does not change."""
    started = time.perf_counter()
    with open(stdout_to, "wb") if stdout_to else tempfile.TemporaryFile() as out:
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.DEVNULL, cwd=ROOT)
        _pid, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - started
        text = ""
        if stdout_to is None:
            out.seek(0)
            text = out.read().decode()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"bench: {cmd[0]} failed with status {status}")
    return elapsed, usage.ru_maxrss, text, usage.ru_utime + usage.ru_stime


def usable_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packets", type=int, default=1_000_000, help="at least this many packets (default 1e6)")
    parser.add_argument("--keep", type=Path, help="write the capture here and keep it (default: a temp dir)")
    parser.add_argument("--generate", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.generate:
        print(generate(args.generate, args.packets))
        return 0
    tshark = shutil.which("tshark")
    if not tshark:
        print("bench: tshark is not installed (apt-get install tshark); it is the baseline", file=sys.stderr)
        return 2
    workdir = Path(tempfile.mkdtemp(prefix="bench-pcap-")) if args.keep is None else args.keep
    workdir.mkdir(parents=True, exist_ok=True)
    capture = workdir / "mirror-target.pcap"
    try:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, __file__, "--generate", str(capture), "--packets", str(args.packets)],
            check=True,
            capture_output=True,
            text=True,
        )
        packets = int(done.stdout.strip())
        size_mb = capture.stat().st_size / 1e6
        print(f"capture: {packets:,} packets, {size_mb:,.1f} MB, written in {time.perf_counter() - started:.1f} s")

        sys.path.insert(0, str(ROOT))
        from agents.performance.pcap import kernel

        print(f"analyzer: {'compiled kernel' if kernel.use_kernel() else 'pure Python (no compiled kernel)'}")
        measure(["cat", str(capture)], stdout_to=Path(os.devnull))  # warm the page cache for everyone
        cat_s, _cat_kib, _, _cat_cpu = measure(["cat", str(capture)], stdout_to=Path(os.devnull))
        print(f"cat FILE > /dev/null: {cat_s:6.2f} s  {packets / cat_s:10,.0f} pkt/s")

        netops = [sys.executable, "-m", "agents.cli", "analyze-pcap", "--json", "--deadline-s", "0", str(capture)]
        # ours three times, the median taken: a 0.4 s run on a shared VM varies by half from run to run
        runs = sorted((measure(netops) for _ in range(3)), key=lambda run: run[0])
        ours_s, ours_kib, ours_out, ours_cpu = runs[1]
        print(f"netops analyze-pcap runs: {', '.join(f'{run[0]:.2f} s' for run in runs)} (the median below)")
        ours = json.loads(ours_out.splitlines()[0])
        if ours["error"]:
            raise SystemExit(f"bench: netops analyze-pcap failed: {ours['error']}")
        ours_retrans = ours["counts"]["retransmissions"]
        print(
            f"netops analyze-pcap: {ours_s:6.2f} s  {packets / ours_s:10,.0f} pkt/s  peak RSS {ours_kib / 1024:7.1f} MB"
            f"  retransmissions {ours_retrans:,}  CPU {ours_cpu:.1f} s"
        )

        theirs_s, theirs_kib, theirs_out, theirs_cpu = measure(
            [tshark, "-r", str(capture), "-Y", "tcp.analysis.retransmission", "-T", "fields", "-e", "frame.number"]
        )
        theirs_retrans = len(theirs_out.splitlines())
        print(
            f"tshark             : {theirs_s:6.1f} s  {packets / theirs_s:10,.0f} pkt/s  peak RSS "
            f"{theirs_kib / 1024:7.1f} MB  retransmissions {theirs_retrans:,}  CPU {theirs_cpu:.1f} s"
        )
        agree = abs(ours_retrans - theirs_retrans) <= max(1, 0.005 * theirs_retrans)
        print(f"retransmission counts agree within 0.5%: {'yes' if agree else 'NO'}")
        four = [*netops[:-1], *[str(capture)] * 4]
        one_s = measure([*four, "--workers", "1"])[0]
        all_s = measure([*four, "--workers", "0"])[0]
        print(
            f"4 files of one question: one at a time {one_s:.2f} s, on {usable_cores()} cores {all_s:.2f} s "
            f"({one_s / all_s:.2f}x)"
        )
        throughput = theirs_s / ours_s
        memory = ours_kib / theirs_kib
        print(
            f"throughput ratio {throughput:.2f}x tshark, memory ratio {memory:.3f} of tshark (1/{1 / memory:.1f}), "
            f"{ours_s / cat_s:.1f}x the time of cat; CPU time ratio {theirs_cpu / ours_cpu:.2f}x tshark"
        )
        return 0 if agree else 1
    finally:
        if args.keep is None:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
