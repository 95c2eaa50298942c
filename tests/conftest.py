"""Fixtures shared by every test: real Redis, isolated per test by a key prefix database."""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator, Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest
import redis.asyncio as aioredis

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Tests empty this database; two suites sharing one Redis at once need different ones.
TEST_DB = int(os.environ.get("NETOPS_TEST_REDIS_DB", "15"))
# The database goes in the URL's path: redis-py lets a path's /0 win over a `db=` argument, so
# `from_url(".../0", db=TEST_DB)` would empty database 0 whatever NETOPS_TEST_REDIS_DB says.
_parts = urlsplit(REDIS_URL)
TEST_REDIS_URL = urlunsplit((_parts.scheme, _parts.netloc, f"/{TEST_DB}", _parts.query, ""))


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    """A real Redis connection on a database of its own, emptied before and after the test."""
    client = aioredis.from_url(TEST_REDIS_URL, decode_responses=False)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()


@pytest.fixture
def closed_port_url() -> Iterator[str]:
    """A URL on which nothing listens: the port is bound (so no one else takes it) but never listened on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
