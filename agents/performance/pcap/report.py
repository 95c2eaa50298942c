"""Human-readable rendering of analysis results (the table `netops analyze-pcap` prints)."""

from __future__ import annotations

from collections.abc import Sequence

from agents.performance.pcap.result import AnalysisResult

_COLUMNS = (
    ("tcp_packets", "TCP pkts"),
    ("streams", "streams"),
    ("retransmissions", "retrans"),
    ("fast_retransmissions", "fast"),
    ("spurious_retransmissions", "spurious"),
    ("duplicate_acks", "dup ACKs"),
    ("lost_segments", "lost"),
    ("out_of_order", "OOO"),
    ("zero_windows", "zero win"),
    ("resets", "RST"),
)


def _ms(seconds: float | None) -> str:
    return "-" if seconds is None else f"{seconds * 1000:.2f}"


def render_table(results: Sequence[AnalysisResult], *, flows: int = 5) -> str:
    """One row per file, then each file's worst flows; errors are spelled out under the table."""
    header = ["file", *(title for _, title in _COLUMNS), "RTT p50 ms", "RTT p99 ms"]
    rows = []
    for r in results:
        rtt = r.ack_rtt
        status = "" if r.error is None else " (!)"
        rows.append(
            [r.file + status, *(str(r.counts[name]) for name, _ in _COLUMNS), _ms(rtt["p50_s"]), _ms(rtt["p99_s"])]
        )
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        first = cells[0].ljust(widths[0])
        rest = (cell.rjust(width) for cell, width in zip(cells[1:], widths[1:], strict=True))
        return "  ".join([first, *rest]).rstrip()

    out = [line(header), line(["-" * w for w in widths]), *(line(row) for row in rows)]
    for r in results:
        if r.error:
            out.append(f"(!) {r.file}: {r.error}")
    if flows:
        for r in results:
            shown = [f for f in r.flows[:flows] if f.retransmissions or f.resets or f.rtt.count]
            if not shown:
                continue
            out.append("")
            out.append(f"worst flows in {r.file}:")
            for f in shown:
                out.append(
                    f"  {f.label}: {f.packets} pkts, {f.retransmissions} retrans"
                    f" ({f.retransmission_rate:.1%}), RTT p50 {_ms(f.rtt_p50_s)} ms"
                    f" p99 {_ms(f.rtt_p99_s)} ms, {f.resets} RST"
                )
    return "\n".join(out) + "\n"
