"""Bearer-token check for the A2A endpoint when NETOPS_AGENT_TOKEN is set.

The agent card stays public (discovery needs it); every other request must carry
`Authorization: Bearer <token>`, compared in constant time.
"""

from __future__ import annotations

import hmac

from a2a.utils.constants import AGENT_CARD_WELL_KNOWN_PATH
from starlette.responses import JSONResponse
from starlette.types import ASGIApp, Receive, Scope, Send


class BearerAuth:
    def __init__(self, app: ASGIApp, *, token: str) -> None:
        self.app = app
        self._expected = f"Bearer {token}".encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] == AGENT_CARD_WELL_KNOWN_PATH:
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"authorization", b"")
        if not hmac.compare_digest(given, self._expected):
            response = JSONResponse(
                {"error": "missing or wrong bearer token; send Authorization: Bearer $NETOPS_AGENT_TOKEN"},
                status_code=401,
                headers={"WWW-Authenticate": 'Bearer realm="netops"'},
            )
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
