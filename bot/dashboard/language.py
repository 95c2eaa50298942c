"""The language of a page: `?lang=` wins, then the browser's first Accept-Language; English otherwise."""

from __future__ import annotations

from starlette.requests import Request

from agents.i18n import normalize_language


def page_language(request: Request) -> str:
    asked = request.query_params.get("lang") or request.headers.get("accept-language", "").split(",")[0]
    return normalize_language(asked.split(";")[0].strip())
