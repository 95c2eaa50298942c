"""Fixtures of the observability tests."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest


@pytest.fixture
def closed_port_url() -> Iterator[str]:
    """A URL on which nothing listens: the port is bound (so no one else takes it) but never listened on."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()
