"""The trace summary line under a result, and the "View trace" modal with the step tree."""

from __future__ import annotations

from typing import Any

from agents.i18n import tr
from agents.plural import counted
from agents.traceability.tree import tree_order
from bot.blocks.ids import ACTION_VIEW_TRACE, BLOCK_TRACE, VIEW_TRACE
from bot.blocks.limits import MAX_MODAL_BLOCKS, MAX_SECTION_TEXT, context, fit_blocks, mrkdwn, plain, shorten
from bot.blocks.mrkdwn import escape
from bot.dashboard.links import trace_link
from bot.trace_view import StepView, TraceView


def short_trace_id(trace_id: str) -> str:
    """`4f3a…`: enough to tell traces apart in a thread (ids look like `trace-<uuid>`)."""
    core = trace_id.removeprefix("trace-")
    return core if len(core) <= 8 else core[:4] + "…"


def format_seconds(ms: float | None) -> str:
    if ms is None:
        return "?"
    if ms < 1:
        return "<1 ms"
    if ms < 1000:
        return f"{ms:.0f} ms"
    return f"{ms / 1000:.1f} s"


def format_cost(usd: float | None) -> str:
    return "$0" if not usd else f"${usd:.4f}"


def trace_summary_line(trace: TraceView | None, language: str = "en") -> str:
    """`trace 4f3a… · 7 steps · 2.4 s · 3,120 tokens · $0.0142 · failing step: x: error`.

    Counts and units stay English in both languages (like ids, they are read, not translated).
    """
    if trace is None:
        return tr(language, "no trace was returned")
    parts = [
        f"trace {escape(short_trace_id(trace.trace_id))}",
        counted(trace.step_count, "step"),
        format_seconds(trace.latency_ms),
    ]
    if trace.has_model_calls:
        parts.append(counted(trace.total_tokens, "token", spec=","))
    parts.append(trace.cost_label)
    if trace.failing_step:
        error = shorten(escape(trace.failing_error or "failed"), 200)
        parts.append(tr(language, "failing step: {step}: {error}", step=escape(trace.failing_step), error=error))
    elif trace.slowest_step:
        slowest = format_seconds(trace.slowest_ms)
        parts.append(tr(language, "slowest: {step} {time}", step=escape(trace.slowest_step), time=slowest))
    return " · ".join(parts)


def trace_blocks(trace: TraceView | None, result_id: str, language: str = "en") -> list[dict[str, Any]]:
    """The summary context, and the button that opens the step tree (when there is a trace)."""
    blocks: list[dict[str, Any]] = [context(trace_summary_line(trace, language))]
    if trace is not None:
        blocks.append(
            {
                "type": "actions",
                "block_id": BLOCK_TRACE,
                "elements": [
                    {
                        "type": "button",
                        "action_id": ACTION_VIEW_TRACE,
                        "text": plain(tr(language, "View trace")),
                        "value": result_id,
                    }
                ],
            }
        )
    return blocks


def _depths(steps: tuple[StepView, ...]) -> list[tuple[int, StepView]]:
    """Steps in tree order (parents before children, siblings in recorded order) with depth."""
    return tree_order(steps, lambda s: s.step_id, lambda s: s.parent_step_id)


def step_line(depth: int, step: StepView) -> str:
    details = [escape(step.call_type.lower()), format_seconds(step.latency_ms)]
    if step.cost_usd:
        details.append(format_cost(step.cost_usd))
    if step.tokens:
        details.append(counted(step.tokens, "token", spec=","))
    line = f"{'    ' * depth}{'└ ' if depth else ''}*{escape(step.name)}* ({', '.join(details)})"
    if step.error:
        line += f"\n{'    ' * depth}    :x: {shorten(escape(step.error), 300)}"
    return line


def trace_modal(trace: TraceView, dashboard_url: str | None = None, lang: str | None = None) -> dict[str, Any]:
    """A modal listing every step as a tree: name, type, latency, cost, tokens, error; with
    `dashboard_url` (NETOPS_DASHBOARD_URL), a link to the trace's waterfall first."""
    lines = [step_line(depth, step) for depth, step in _depths(trace.steps)]
    summary = trace_summary_line(trace, lang or "en")
    blocks: list[dict[str, Any]] = [{"type": "section", "text": mrkdwn(shorten(summary, 3000))}]
    if dashboard_url:
        link = trace_link(dashboard_url, trace.trace_id)
        blocks.append(context(f"<{link}|{tr(lang, 'Open this trace in the dashboard (waterfall)')}>"))
    blocks.append({"type": "divider"})
    chunk: list[str] = []
    size = 0
    for line in lines:
        if chunk and size + len(line) + 1 > MAX_SECTION_TEXT:
            blocks.append({"type": "section", "text": mrkdwn("\n".join(chunk))})
            chunk, size = [], 0
        chunk.append(shorten(line, MAX_SECTION_TEXT))
        size += len(chunk[-1]) + 1
    if chunk:
        blocks.append({"type": "section", "text": mrkdwn("\n".join(chunk))})
    return {
        "type": "modal",
        "callback_id": VIEW_TRACE,
        "title": plain(tr(lang, "Trace"), 24),
        "close": plain(tr(lang, "Close"), 24),
        "blocks": fit_blocks(blocks, MAX_MODAL_BLOCKS),
    }
