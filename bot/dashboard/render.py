"""HTML of the dashboard pages, rendered on the server from plain values (pure apart from reading templates).

Charts are SVG computed here: no script, no charting library, nothing fetched by the browser but
the page itself. Every sentence goes through `tr`, so `?lang=ko` (or a Korean Accept-Language)
gives the Korean page.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, select_autoescape

from agents.i18n import tr
from agents.traceability.store import TraceRecord
from bot.dashboard.figures import Figures
from bot.dashboard.waterfall import Bar, Waterfall

TEMPLATES = Path(__file__).parent / "templates"
LABEL_PX, PLOT_PX, ROW_PX, BAR_PX = 320, 640, 24, 16
TREND_W, TREND_H = 480, 80
WINDOWS = {"15m": 900, "1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600, "7d": 7 * 24 * 3600}
DEFAULT_WINDOW = "1h"


@functools.cache
def _environment() -> Environment:
    env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))
    env.filters["ms"] = format_ms
    env.filters["usd"] = format_usd
    env.filters["when"] = format_when
    return env


def format_ms(ms: float | None) -> str:
    if ms is None:
        return "–"
    return f"{ms:.0f} ms" if ms < 1000 else f"{ms / 1000:.2f} s"


def format_usd(usd: float | None) -> str:
    return "–" if usd is None else f"${usd:.4f}"


def format_when(epoch: float | None) -> str:
    return "–" if epoch is None else datetime.fromtimestamp(epoch, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


@dataclass(frozen=True)
class PlacedBar:
    """A waterfall bar with its pixel geometry."""

    bar: Bar
    y: float
    x: float
    width: float


def place_bars(chart: Waterfall) -> tuple[PlacedBar, ...]:
    """x and width to scale: the whole trace spans PLOT_PX, so widths are proportional to durations."""
    scale = PLOT_PX / chart.total_ms if chart.total_ms > 0 else 0.0
    return tuple(
        PlacedBar(bar, i * ROW_PX + (ROW_PX - BAR_PX) / 2, LABEL_PX + bar.offset_ms * scale, bar.duration_ms * scale)
        for i, bar in enumerate(chart.bars)
    )


def trend_bars(figures: Figures) -> list[dict[str, float]]:
    """The cost trend's bars, scaled to the highest bucket (all flat when nothing cost anything)."""
    top = max((p.cost_usd for p in figures.cost_trend), default=0.0)
    width = TREND_W / max(1, len(figures.cost_trend))
    bars = []
    for i, point in enumerate(figures.cost_trend):
        height = (point.cost_usd / top) * (TREND_H - 4) if top > 0 else 0.0
        bars.append({"x": i * width + 1, "y": TREND_H - height, "width": width - 2, "height": height, "point": point})
    return bars


STATUS_LABELS = {
    "running": "running",
    "answered": "answered",
    "partial": "answered, a step failed",
    "failed": "failed",
    "lost": "lost (the bot stopped)",
}


def status_label(lang: str, status: str) -> str:
    return tr(lang, STATUS_LABELS[status]) if status in STATUS_LABELS else status


def _page(template: str, lang: str, **values: object) -> str:
    """Every page gets `t` (its sentences in `lang`) and `status_label`."""
    translate, label = functools.partial(tr, lang), functools.partial(status_label, lang)
    return _environment().get_template(template).render(lang=lang, t=translate, status_label=label, **values)


def index_page(
    lang: str,
    records: list[tuple[TraceRecord, str]],
    figures: Figures,
    window: str,
    *,
    now: float,
    base: str,
    total: int | None = None,
) -> str:
    """`records`: the rows to list, each with the status to show (figures.shown_status); `total`: how many
    traces the window holds, when the list shows only the newest."""
    return _page(
        "index.html",
        lang,
        records=records,
        total=total if total is not None else len(records),
        figures=figures,
        window=window,
        windows=list(WINDOWS),
        trend=trend_bars(figures),
        trend_w=TREND_W,
        trend_h=TREND_H,
        now=now,
        base=base,
    )


def trace_page(lang: str, record: TraceRecord | None, status: str | None, chart: Waterfall, *, base: str) -> str:
    """`status`: the one to show (a trace running past its deadline is lost, not running)."""
    return _page(
        "trace.html",
        lang,
        record=record,
        status=status,
        chart=chart,
        placed=place_bars(chart),
        label_px=LABEL_PX,
        plot_px=PLOT_PX,
        row_px=ROW_PX,
        bar_px=BAR_PX,
        base=base,
    )


def missing_page(lang: str, trace_id: str, *, base: str) -> str:
    return _page("missing.html", lang, trace_id=trace_id, base=base)
