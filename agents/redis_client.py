"""The one way a NetOps process connects to Redis: health-checked, bounded in time, retried a few times.

After a Redis restart every pooled connection is dead, and the first command on each failed
once (a question was acknowledged and never answered); with Redis stopped (SIGSTOP) a
command waited as long as the kernel let it. So every client checks a connection that sat
idle before using it, gives up on a silent socket after `SOCKET_TIMEOUT_S`, and retries
connection errors and timeouts `RETRIES` times with a short, capped backoff: a restart costs
a command a few hundred milliseconds, and a dead Redis an error within seconds, never a hang.
"""

from __future__ import annotations

import redis.asyncio as aioredis
from redis.asyncio.retry import Retry
from redis.backoff import ExponentialWithJitterBackoff
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

HEALTH_CHECK_INTERVAL_S = 5  # a connection idle this long is PINGed before use
SOCKET_CONNECT_TIMEOUT_S = 2.0
SOCKET_TIMEOUT_S = 5.0  # above the job worker's XREADGROUP block (0.5 s)
RETRIES = 3
BACKOFF_BASE_S = 0.1
BACKOFF_CAP_S = 1.0


def connect(url: str, **overrides: object) -> aioredis.Redis:
    """A client for `url` (no connection is made until the first command)."""
    options: dict[str, object] = {
        "health_check_interval": HEALTH_CHECK_INTERVAL_S,
        "socket_connect_timeout": SOCKET_CONNECT_TIMEOUT_S,
        "socket_timeout": SOCKET_TIMEOUT_S,
        "retry": Retry(ExponentialWithJitterBackoff(base=BACKOFF_BASE_S, cap=BACKOFF_CAP_S), RETRIES),
        "retry_on_error": [RedisConnectionError, RedisTimeoutError],
    }
    return aioredis.from_url(url, **(options | overrides))
