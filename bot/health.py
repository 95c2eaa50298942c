"""GET /healthz (liveness: the process answers, whatever Slack or Redis do) and GET /readyz
(readiness: Redis answers, the collaborator's card is reachable and, in Socket Mode, the socket
to Slack is connected)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.runtime import BotRuntime

SlackCheck = Callable[[], Awaitable[str]]  # "ok", or what is wrong with the link to Slack


async def readiness(runtime: BotRuntime, slack: SlackCheck | None = None) -> tuple[bool, dict[str, str]]:
    checks: dict[str, str] = {}
    try:
        await runtime.services.redis.ping()
        checks["redis"] = "ok"
    except Exception as exc:
        checks["redis"] = f"unreachable: {type(exc).__name__}"
    collaborator = runtime.services.collaborator
    checks["collaborator"] = "ok" if await collaborator.ready() else f"no agent card at {collaborator.base_url}"
    if slack is not None:
        checks["slack"] = await slack()
    return all(value == "ok" for value in checks.values()), checks


def health_routes(runtime: BotRuntime, slack: SlackCheck | None = None) -> list[Route]:
    async def healthz(_: Request) -> Response:
        return JSONResponse({"status": "ok"})

    async def readyz(_: Request) -> Response:
        ok, checks = await readiness(runtime, slack)
        return JSONResponse({"status": "ok" if ok else "not ready", **checks}, status_code=200 if ok else 503)

    return [Route("/healthz", healthz, methods=["GET"]), Route("/readyz", readyz, methods=["GET"])]
