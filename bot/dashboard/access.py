"""Who may open the dashboard and the bot's /metrics: never the whole network by default.

With `NETOPS_DASHBOARD_TOKEN` set, a request needs the token (`Authorization: Bearer …`, or the
cookie a first `?token=…` visit sets, so a browser can follow the link from Slack once). Without
it, only clients on the loopback interface get in: the machine itself, or a reverse proxy on it
that does its own authentication. The bot listens on 0.0.0.0 for Slack, so this check, not the
bind address, is what keeps traces (questions, hosts, errors) in.
"""

from __future__ import annotations

import hmac
import ipaddress
from urllib.parse import urlencode

from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response
from starlette.types import ASGIApp, Receive, Scope, Send

from agents.i18n import tr
from bot.dashboard.language import page_language

COOKIE = "netops_dashboard"


def is_loopback(host: str | None) -> bool:
    try:
        return host is not None and ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class Access:
    """The decision for one request: None lets it through, a response refuses (or redirects) it."""

    def __init__(self, token: str | None) -> None:
        self._token = token.encode() if token else None

    def check(self, request: Request) -> Response | None:
        if self._token is None:
            if is_loopback(request.client.host if request.client else None):
                return None
            return PlainTextResponse(
                tr(
                    page_language(request),
                    "The dashboard answers only on this machine: set NETOPS_DASHBOARD_TOKEN to open it from elsewhere.",
                ),
                status_code=403,
            )
        bearer = request.headers.get("authorization", "").removeprefix("Bearer ").strip()
        for given in (bearer, request.cookies.get(COOKIE, "")):
            if given and hmac.compare_digest(given.encode(), self._token):
                return None
        query = request.query_params.get("token", "")
        if query and hmac.compare_digest(query.encode(), self._token):
            return self._remember(request, query)
        return PlainTextResponse(
            tr(
                page_language(request),
                "Missing or wrong token: add ?token=<NETOPS_DASHBOARD_TOKEN> to the link, or send it as a bearer.",
            ),
            status_code=401,
            headers={"WWW-Authenticate": "Bearer"},
        )

    @staticmethod
    def _remember(request: Request, token: str) -> Response:
        """Sets the cookie and drops the token from the address bar (and from history and Referer)."""
        rest = [(k, v) for k, v in request.query_params.multi_items() if k != "token"]
        url = request.url.replace(query=urlencode(rest))
        response = RedirectResponse(str(url), status_code=303)
        # lax, not strict: the first visit comes from a link in Slack, a cross-site navigation
        response.set_cookie(COOKIE, token, httponly=True, samesite="lax", secure=url.scheme == "https")
        return response


class Guarded:
    """ASGI wrapper that lets through only what `access` allows."""

    def __init__(self, app: ASGIApp, access: Access) -> None:
        self.app = app
        self.access = access

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refusal = self.access.check(Request(scope))
            if refusal is not None:
                await refusal(scope, receive, send)
                return
        await self.app(scope, receive, send)
