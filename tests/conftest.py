"""Fixtures shared by every test: real Redis, isolated per test by a key prefix database."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from urllib.parse import urlsplit

import pytest
import redis.asyncio as aioredis

REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
# Tests empty this database; two suites sharing one Redis at once need different ones.
TEST_DB = int(os.environ.get("NETOPS_TEST_REDIS_DB", "15"))


@pytest.fixture
async def redis_client() -> AsyncIterator[aioredis.Redis]:
    """A real Redis connection on a database of its own, emptied before and after the test."""
    # The URL's own database (redis://…/0) wins over a `db=` argument in redis-py: replace it instead.
    client = aioredis.from_url(urlsplit(REDIS_URL)._replace(path=f"/{TEST_DB}").geturl(), decode_responses=False)
    await client.flushdb()
    try:
        yield client
    finally:
        await client.flushdb()
        await client.aclose()
