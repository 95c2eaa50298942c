"""Links into the dashboard from elsewhere (the "View trace" modal), apart from the web stack."""

from __future__ import annotations

from urllib.parse import quote


def trace_link(dashboard_url: str, trace_id: str) -> str:
    """The waterfall page of one trace under NETOPS_DASHBOARD_URL (the dashboard's base, e.g. https://host/dashboard)."""
    return f"{dashboard_url.rstrip('/')}/traces/{quote(trace_id, safe='')}"
