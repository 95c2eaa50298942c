"""Before and after a fix, on the same flow: the numbers side by side and a verdict.

A read-back proves the settings changed, not that the trouble went away. After a verified
apply the agent analyses the same flow in the captures before the fix and in the first ones
after it; this module compares them (pure). Each metric keeps its denominator, and the verdict
looks at the metric the fixed cause moves: retransmissions for loss, zero windows and full
windows for a receiver limit, bytes in flight for window scaling, RTT for added latency.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from agents.i18n import tr
from agents.performance.evidence import Direction, FlowEvidence

# A change smaller than this share of the before value is noise between two samples.
MIN_RELATIVE_CHANGE = 0.5
_KEY_METRIC = {
    "path_loss": "loss",
    "instance_allowance_exceeded": "loss",
    "aws_network": "loss",
    "receiver_window_limited": "window",
    "window_scaling_disabled": "in_flight",
    "added_latency": "rtt",
    "reordering": "reorder",
}


@dataclass(frozen=True)
class Side:
    """One flow direction's numbers in one window."""

    data_segments: int
    retransmissions: int
    zero_windows: int
    window_full: int
    out_of_order: int
    max_in_flight: int
    rtt_p50_ms: float | None

    @classmethod
    def of(cls, d: Direction) -> Side:
        return cls(
            d.data_segments,
            d.real_retransmissions,
            d.zero_windows,
            d.window_full,
            d.out_of_order,
            d.max_in_flight,
            d.rtt_p50_ms,
        )

    def share(self, count: int) -> float | None:
        return count / self.data_segments if self.data_segments else None

    def value(self, metric: str) -> float | None:
        if metric == "in_flight":
            return float(self.max_in_flight)
        if metric == "rtt":
            return self.rtt_p50_ms
        count = {"loss": self.retransmissions, "window": self.zero_windows + self.window_full}.get(metric)
        return self.share(self.out_of_order if count is None else count)


def find_direction(flows: list[FlowEvidence], flow: dict[str, Any], direction: str | None) -> Direction | None:
    for f in flows:
        if (f.client, f.server, f.server_port) == (flow.get("src"), flow.get("dst"), flow.get("dport")):
            return f.reverse if direction == "server_to_client" else f.forward
    return None


def verdict(cause: str | None, before: Side | None, after: Side | None) -> str:
    if before is None or after is None or after.data_segments == 0:
        return "unknown"
    metric = _KEY_METRIC.get(cause or "", "loss")
    b, a = before.value(metric), after.value(metric)
    if a is None or b is None:
        return "unknown"
    higher_is_better = metric == "in_flight"
    if b == a or abs(a - b) <= MIN_RELATIVE_CHANGE * max(abs(b), 1e-9):
        return "unchanged"
    better = a > b if higher_is_better else a < b
    return "improved" if better else "worse"


def _rate(lang: str, part: int, whole: int) -> str:
    share = f"{part / whole:.1%}" if whole else "—"
    return tr(lang, "{part} of {whole} ({share})", part=f"{part:,}", whole=f"{whole:,}", share=share)


def rows(lang: str, before: Side | None, after: Side | None) -> list[dict[str, str]]:
    def cell(side: Side | None, render: Callable[[Side], str]) -> str:
        return render(side) if side is not None else "—"

    table = [
        (tr(lang, "retransmitted data segments"), lambda s: _rate(lang, s.retransmissions, s.data_segments)),
        (tr(lang, "zero windows / full windows"), lambda s: f"{s.zero_windows:,} / {s.window_full:,}"),
        (tr(lang, "most bytes in flight"), lambda s: f"{s.max_in_flight:,}"),
        (tr(lang, "RTT median"), lambda s: f"{s.rtt_p50_ms:.1f} ms" if s.rtt_p50_ms is not None else "—"),
        (tr(lang, "out-of-order segments"), lambda s: _rate(lang, s.out_of_order, s.data_segments)),
    ]
    return [{"metric": name, "before": cell(before, f), "after": cell(after, f)} for name, f in table]


def comparison(
    lang: str,
    cause: str | None,
    flow: dict[str, Any],
    direction: str | None,
    before: Side | None,
    after: Side | None,
    window_before: str,
    window_after: str,
) -> dict[str, Any]:
    return {
        "verdict": verdict(cause, before, after),
        "flow": flow.get("flow") or f"{flow.get('src')} → {flow.get('dst')}:{flow.get('dport')}",
        "direction": direction,
        "window_before": window_before,
        "window_after": window_after,
        "rows": rows(lang, before, after),
    }
