"""Ack latency of `/netops` in HTTP mode: the NetOps bot against a bare bolt app that only acks.

    REDIS_URL=redis://127.0.0.1:6379/0 uv run python bench/bench_ack.py [--rounds 10] [--concurrency 50]

Three processes besides this one (which only runs the fake Slack Web API): the bot as deployed
(`netops bot`, its job worker included; its collaborator is down, so each job fails fast and posts
its error, which is load the ack path must live with), the bare app (a bolt app with the bot's
settings whose one listener acks `/netops`, served by the same Starlette adapter, middleware and
uvicorn config), and the load generator (bench/ack_load.py: pre-signed requests, warmed keep-alive
connections, alternating rounds of `concurrency` simultaneous requests; see its docstring). The
headline is client-observed latency, write to last byte; each app's `Server-Timing` (time inside
the ASGI app) is reported beside it, so that queueing in the event loop shows as the difference.
The last line is the p99 ratio (bot / bare) and the bot's p99 in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import socket
import statistics
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import redis.asyncio as aioredis
from aiohttp import web
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.requests import Request
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.jobs import JOB_STREAM  # noqa: E402
from bot.server import slack_http_app, uvicorn_config  # noqa: E402

SECRET = "bench-signing-secret"
TOKEN = "xoxb-bench"


@contextlib.asynccontextmanager
async def fake_slack_api() -> AsyncIterator[str]:
    """Just enough Web API: bolt's `auth.test`, and an ok for the messages the bot's worker posts."""

    async def answer(request: web.Request) -> web.Response:
        method = request.match_info["method"]
        if method == "auth.test":
            return web.json_response({"ok": True, "user_id": "UBOT", "bot_id": "BBOT", "team_id": "T1"})
        return web.json_response({"ok": True, "channel": "CBENCH", "ts": f"{time.time():.6f}"})

    app = web.Application()
    app.router.add_post("/api/{method}", answer)
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/api/"
    finally:
        await runner.cleanup()


def serve_bare(port: int, slack_url: str) -> None:
    """The baseline: a bolt app whose only listener acks `/netops`, served like the bot."""
    import uvicorn

    app = AsyncApp(
        client=AsyncWebClient(token=TOKEN, base_url=slack_url),
        signing_secret=SECRET,
        process_before_response=True,  # as the bot's (bot/app.py); bolt's default polls for the ack every 10 ms
        raise_error_for_unhandled_request=False,
    )

    @app.command("/netops")
    async def _ack(ack) -> None:  # type: ignore[no-untyped-def]
        await ack()

    bare = slack_http_app(app, [Route("/healthz", _ok)], signing_secret=SECRET)
    uvicorn.Server(uvicorn_config(bare, "127.0.0.1", port)).run()


async def _ok(_: Request):  # type: ignore[no-untyped-def]
    from starlette.responses import PlainTextResponse

    return PlainTextResponse("ok")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.asynccontextmanager
async def process(argv: list[str], env: dict[str, str], port: int) -> AsyncIterator[str]:
    """A server in its own process (as deployed); yields its URL once /healthz answers."""
    child = await asyncio.create_subprocess_exec(
        *argv, env=env, cwd=ROOT, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.DEVNULL
    )
    url = f"http://127.0.0.1:{port}"
    try:
        async with httpx.AsyncClient() as http, asyncio.timeout(60):
            while True:
                if child.returncode is not None:
                    raise RuntimeError(f"{argv[2:]} exited at start-up")
                with contextlib.suppress(httpx.TransportError):
                    if (await http.get(url + "/healthz")).status_code == 200:
                        break
                await asyncio.sleep(0.05)
        yield url
    finally:
        child.terminate()
        await child.wait()


def p(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[int(q) - 1]


async def clean_up(redis: aioredis.Redis, before_ids: set[bytes]) -> None:
    """Removes what the bench's questions left in Redis (jobs, dedupe keys, threads, results)."""
    mine = [entry_id for entry_id, _ in await redis.xrange(JOB_STREAM) if entry_id not in before_ids]
    keys = [key async for key in redis.scan_iter("netops:dedupe:command:trig-bench-*", count=1000)]
    keys += [key async for key in redis.scan_iter("netops:thread:CBENCH:*", count=1000)]
    keys += [f"netops:jobstate:{entry_id.decode()}" for entry_id in mine]
    for key in [key async for key in redis.scan_iter("netops:result:*", count=1000)]:
        if b'"channel": "CBENCH"' in (await redis.get(key) or b""):
            keys.append(key)
    for start in range(0, len(keys), 500):
        await redis.delete(*keys[start : start + 500])
    if mine:
        await redis.xdel(JOB_STREAM, *mine)


async def main(rounds: int, concurrency: int) -> None:
    redis_url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    async with fake_slack_api() as slack_url:
        bot_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "SLACK_BOT_TOKEN": TOKEN,
            "SLACK_SIGNING_SECRET": SECRET,
            "NETOPS_SLACK_API_URL": slack_url,
            "REDIS_URL": redis_url,
            "NETOPS_COLLABORATOR_URL": f"http://127.0.0.1:{free_port()}",  # down: jobs fail fast, as in an outage
            "NETOPS_LOG_LEVEL": "ERROR",
        }
        env.pop("SLACK_APP_TOKEN", None)
        bot_cmd = [sys.executable, "-m", "agents.cli", "bot", "--host", "127.0.0.1", "--port", str(bot_port)]
        bare_cmd = [sys.executable, __file__, "--serve-bare", str(bare_port), "--slack-url", slack_url]
        redis = aioredis.from_url(redis_url)
        before_ids = {entry_id for entry_id, _ in await redis.xrange(JOB_STREAM)}
        load_cmd = [sys.executable, str(Path(__file__).with_name("ack_load.py"))]
        load_cmd += ["--rounds", str(rounds), "--concurrency", str(concurrency), "--redis-url", redis_url]
        load_cmd += ["--signing-secret", SECRET]
        async with process(bot_cmd, env, bot_port) as bot_url, process(bare_cmd, env, bare_port) as bare_url:
            load = await asyncio.create_subprocess_exec(
                *load_cmd, bot_url, bare_url, cwd=ROOT, stdout=asyncio.subprocess.PIPE
            )
            output, _ = await load.communicate()
            if load.returncode != 0:
                raise RuntimeError(f"the load generator failed (exit {load.returncode}); see its stderr above")
        results = json.loads(output)
        await clean_up(redis, before_ids)
        await redis.aclose()

    ours, bare = results["bot"]["client_ms"], results["bare"]["client_ms"]
    print(
        f"requests: {len(ours)} per app, {concurrency} concurrent, {rounds} alternating rounds; load in its own process"
    )
    for name, key in (("bare bolt (ack only)", "bare"), ("netops bot", "bot")):
        client, server = results[key]["client_ms"], results[key]["server_ms"]
        print(
            f"{name:>22}: client p50 {p(client, 50):6.1f} ms  p99 {p(client, 99):6.1f} ms  max {max(client):6.1f} ms"
            f" | in app p50 {p(server, 50):5.2f} ms  p99 {p(server, 99):5.2f} ms"
        )
    ratio = p(ours, 99) / p(bare, 99)
    print(f"p99 ratio {ratio:.2f}x (goal <= 1.2x); netops p99 {p(ours, 99):.1f} ms (goal < 100 ms)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--serve-bare", type=int, metavar="PORT", help=argparse.SUPPRESS)
    parser.add_argument("--slack-url", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve_bare:
        serve_bare(args.serve_bare, args.slack_url)
    else:
        asyncio.run(main(args.rounds, args.concurrency))
