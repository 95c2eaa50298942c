"""The trace dashboard as a Starlette app: the list with the window's figures, and one trace's waterfall.

Mounted by the bot's HTTP server under `DASHBOARD_PATH`, and served alone by `netops dashboard`
at the same path, so `NETOPS_DASHBOARD_URL` has one shape either way. Reads only the trace store.
"""

from __future__ import annotations

import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, Response
from starlette.routing import Route

from agents.settings import Settings
from agents.traceability.store import MAX_TRACES, TraceStore
from bot.dashboard.figures import shown_status, window_figures
from bot.dashboard.language import page_language
from bot.dashboard.render import DEFAULT_WINDOW, WINDOWS, index_page, missing_page, trace_page
from bot.dashboard.waterfall import waterfall

DASHBOARD_PATH = "/dashboard"
LISTED = 200  # rows of the list; the figures cover every trace of the window
NO_STORE = {"Cache-Control": "no-store"}  # traces hold questions and hosts: no shared caches


def stale_after(settings: Settings) -> float:
    """A question ends within NETOPS_REQUEST_TIMEOUT_S; twice that, and nobody is running it any more."""
    return 2 * settings.request_timeout_s


def dashboard_app(store: TraceStore, stale_after_s: float = 3600.0) -> Starlette:
    """`stale_after_s`: how long a trace may run before it is shown as lost (its bot stopped)."""

    async def index(request: Request) -> Response:
        lang = page_language(request)
        window = request.query_params.get("window", DEFAULT_WINDOW)
        if window not in WINDOWS:
            window = DEFAULT_WINDOW
        now = time.time()
        records = await store.recent(now - WINDOWS[window], limit=MAX_TRACES)  # the figures count them all
        figures = window_figures(records, now=now, window_s=WINDOWS[window], stale_after_s=stale_after_s)
        rows = [(r, shown_status(r, now=now, stale_after_s=stale_after_s)) for r in records[:LISTED]]
        base = request.scope.get("root_path", "")
        html = index_page(lang, rows, figures, window, now=now, base=base, total=len(records))
        return HTMLResponse(html, headers=NO_STORE)

    async def one_trace(request: Request) -> Response:
        lang = page_language(request)
        trace_id = request.path_params["trace_id"]
        base = request.scope.get("root_path", "")
        trace = await store.trace(trace_id)
        if trace is None:
            return HTMLResponse(missing_page(lang, trace_id, base=base), status_code=404, headers=NO_STORE)
        record = await store.record(trace_id)
        status = shown_status(record, now=time.time(), stale_after_s=stale_after_s) if record else None
        return HTMLResponse(trace_page(lang, record, status, waterfall(trace), base=base), headers=NO_STORE)

    return Starlette(routes=[Route("/", index, methods=["GET"]), Route("/traces/{trace_id}", one_trace)])
