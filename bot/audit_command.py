"""Prints the audit stream, oldest of the newest N first; says so plainly when Redis is down."""

from __future__ import annotations

import sys

from redis.exceptions import RedisError

from agents.redis_client import connect as connect_redis
from agents.settings import Settings
from bot.audit import AuditLog, format_entry


async def print_audit(settings: Settings, count: int) -> int:
    redis = connect_redis(settings.redis_url)
    try:
        entries = await AuditLog(redis).entries(count)
    except RedisError as exc:
        print(f"netops audit: Redis at REDIS_URL is unreachable ({exc}); start it or fix REDIS_URL.", file=sys.stderr)
        return 1
    finally:
        await redis.aclose()
    if not entries:
        print("no audit entries yet: approvals, dismissals, refusals and fix results appear here")
    for entry in entries:
        print(format_entry(entry))
    return 0
