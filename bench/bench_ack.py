"""Ack latency of `/netops` in HTTP mode: the NetOps bot against a bare bolt app that only acks.

    REDIS_URL=redis://127.0.0.1:6379/0 uv run python bench/bench_ack.py [--rounds 10] [--concurrency 50]

Both apps run in this process behind the same Starlette adapter and uvicorn, receive the same
signed slash-command requests (50 at a time), and are measured in alternating rounds so that
machine noise hits both alike. Each app runs in its own process as deployed: the bot is `netops bot` itself,
worker included (its collaborator is down, so each job fails fast and posts its error, which
is load the ack path must live with). The ack path is what Slack waits for: signature check,
parsing, and the Redis MULTI that enqueues the job. The last line is the p99 ratio (bot / bare) and the bot's p99 in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import hmac
import os
import socket
import statistics
import sys
import time
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from urllib.parse import urlencode

import httpx
import redis.asyncio as aioredis
from aiohttp import web
from slack_bolt.adapter.starlette.async_handler import AsyncSlackRequestHandler
from slack_bolt.async_app import AsyncApp
from slack_sdk.web.async_client import AsyncWebClient
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bot.jobs import JOB_STREAM  # noqa: E402

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

    app = AsyncApp(client=AsyncWebClient(token=TOKEN, base_url=slack_url), signing_secret=SECRET)

    @app.command("/netops")
    async def _ack(ack) -> None:  # type: ignore[no-untyped-def]
        await ack()

    handler = AsyncSlackRequestHandler(app)

    async def events(request: Request):  # type: ignore[no-untyped-def]
        return await handler.handle(request)

    starlette = Starlette(routes=[Route("/slack/events", events, methods=["POST"]), Route("/healthz", _ok)])
    uvicorn.run(starlette, host="127.0.0.1", port=port, log_level="warning")


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


def signed_command(text: str) -> tuple[bytes, dict[str, str]]:
    body = urlencode(
        {
            "team_id": "T1",
            "channel_id": "CBENCH",
            "user_id": "UBENCH",
            "command": "/netops",
            "text": text,
            "trigger_id": f"trig-bench-{uuid.uuid4().hex}",
            "response_url": "https://hooks.slack.invalid/1",
        }
    ).encode()
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(SECRET.encode(), f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Slack-Request-Timestamp": ts,
        "X-Slack-Signature": signature,
    }
    return body, headers


async def one(http: httpx.AsyncClient, url: str) -> float:
    body, headers = signed_command("why are retransmissions high on payments?")
    start = time.perf_counter()
    response = await http.post(url + "/slack/events", content=body, headers=headers)
    elapsed = (time.perf_counter() - start) * 1000
    if response.status_code != 200:
        raise RuntimeError(f"{url} answered {response.status_code}: {response.text[:200]}")
    return elapsed


async def burst(http: httpx.AsyncClient, url: str, n: int) -> list[float]:
    return list(await asyncio.gather(*(one(http, url) for _ in range(n))))


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
        async with (
            process(bot_cmd, env, bot_port) as bot_url,
            process(bare_cmd, env, bare_port) as bare_url,
            httpx.AsyncClient(limits=httpx.Limits(max_connections=concurrency), timeout=30) as http,
        ):
            await burst(http, bot_url, concurrency)  # warm-up: auth.test, connections, imports
            await burst(http, bare_url, concurrency)
            ours: list[float] = []
            bare: list[float] = []
            for _ in range(rounds):
                ours += await burst(http, bot_url, concurrency)
                bare += await burst(http, bare_url, concurrency)
        await clean_up(redis, before_ids)
        await redis.aclose()

    print(f"requests: {len(ours)} per app, {concurrency} concurrent, {rounds} rounds; each app in its own process")
    for name, values in (("bare bolt (ack only)", bare), ("netops bot", ours)):
        print(f"{name:>22}: p50 {p(values, 50):6.1f} ms  p99 {p(values, 99):6.1f} ms  max {max(values):6.1f} ms")
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
