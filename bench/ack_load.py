"""The load generator of bench_ack.py, run in its own process so that it shares no event loop with
the servers it measures (nor with the fake Slack API that the bot's worker posts to).

    python bench/ack_load.py BOT_URL BARE_URL --rounds R --concurrency C --redis-url URL --signing-secret S

Every request is built and signed before any timing starts; each app gets `concurrency` HTTP/1.1
keep-alive connections, opened and warmed up first. A round sends one request on every connection
of one app at once and times each from its write to the last byte of its response; rounds alternate
between the two apps. Between rounds it waits until the bot's worker has finished every job it was
given, so that one app's leftover work does not land on the other's round. The client is a few lines
of asyncio streams, not an HTTP library: with 50 requests in flight on a 2-core machine, a heavy
client's own CPU time shows up as server latency. Prints one JSON object on stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import time
import uuid
from urllib.parse import urlencode, urlsplit

import redis.asyncio as aioredis

from bot.jobs import JOB_GROUP, JOB_STREAM

Connection = tuple[asyncio.StreamReader, asyncio.StreamWriter]


def signed_request(host: str, port: int, secret: bytes) -> bytes:
    """One `/netops` slash command as Slack sends it, signed, with a trigger id of its own."""
    body = urlencode(
        {
            "team_id": "T1",
            "channel_id": "CBENCH",
            "user_id": "UBENCH",
            "command": "/netops",
            "text": "why are retransmissions high on payments?",
            "trigger_id": f"trig-bench-{uuid.uuid4().hex}",
            "response_url": "https://hooks.slack.invalid/1",
        }
    ).encode()
    ts = str(int(time.time()))
    signature = "v0=" + hmac.new(secret, f"v0:{ts}:".encode() + body, hashlib.sha256).hexdigest()
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: {host}:{port}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\n"
        f"X-Slack-Request-Timestamp: {ts}\r\nX-Slack-Signature: {signature}\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def exchange(connection: Connection, request: bytes) -> tuple[float, float | None]:
    """Client-observed ms (write to last response byte) and the server's `Server-Timing` app ms."""
    reader, writer = connection
    start = time.perf_counter()
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    length, server_ms = 0, None
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"server-timing":
            server_ms = float(value.split(b"dur=")[1].split(b";")[0].split(b",")[0])
    if length:
        await reader.readexactly(length)
    elapsed = (time.perf_counter() - start) * 1000
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"answered {head.splitlines()[0].decode()}")
    return elapsed, server_ms


async def burst(connections: list[Connection], requests: list[bytes]) -> list[tuple[float, float | None]]:
    return list(await asyncio.gather(*(exchange(c, r) for c, r in zip(connections, requests, strict=True))))


async def jobs_settled(redis: aioredis.Redis) -> None:
    """Waits until the bot's consumer group has read and acknowledged every job (bench only: polls).

    Compares ids, not the group's `lag`, which the bench's clean-up (XDEL) makes unreliable."""
    while True:
        last_id = (await redis.xinfo_stream(JOB_STREAM))["last-generated-id"]
        groups = await redis.xinfo_groups(JOB_STREAM)
        group = next((g for g in groups if g["name"] in (JOB_GROUP, JOB_GROUP.encode())), None)
        if group is not None and not group["pending"] and group["last-delivered-id"] == last_id:
            return
        await asyncio.sleep(0.02)


async def run(urls: dict[str, str], rounds: int, concurrency: int, redis_url: str, secret: bytes) -> dict[str, object]:
    connections: dict[str, list[Connection]] = {}
    requests: dict[str, list[list[bytes]]] = {}
    for name, url in urls.items():
        parts = urlsplit(url)
        host, port = parts.hostname or "127.0.0.1", parts.port or 80
        connections[name] = [await asyncio.open_connection(host, port) for _ in range(concurrency)]
        requests[name] = [[signed_request(host, port, secret) for _ in range(concurrency)] for _ in range(rounds + 1)]
    redis = aioredis.from_url(redis_url)
    results: dict[str, dict[str, list[float]]] = {name: {"client_ms": [], "server_ms": []} for name in urls}
    try:
        for index in range(rounds + 1):  # round 0 warms up: imports, auth.test, Redis connections
            for name in urls:
                answers = await burst(connections[name], requests[name][index])
                await jobs_settled(redis)
                if index:
                    results[name]["client_ms"] += [client for client, _ in answers]
                    results[name]["server_ms"] += [server for _, server in answers if server is not None]
    finally:
        await redis.aclose()
        for conns in connections.values():
            for _, writer in conns:
                writer.close()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bot_url")
    parser.add_argument("bare_url")
    parser.add_argument("--rounds", type=int, required=True)
    parser.add_argument("--concurrency", type=int, required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--signing-secret", required=True)
    args = parser.parse_args()
    urls = {"bot": args.bot_url, "bare": args.bare_url}
    secret = args.signing_secret.encode()
    print(json.dumps(asyncio.run(run(urls, args.rounds, args.concurrency, args.redis_url, secret))))


if __name__ == "__main__":
    main()
