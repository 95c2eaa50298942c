"""`netops demo …` as a newcomer runs it: a subprocess with no AWS or Slack settings of the caller's,
and the Redis database a demo under test uses."""

from __future__ import annotations

import os
import subprocess
import sys
from urllib.parse import urlsplit, urlunsplit


def redis_url_for_tests() -> str:
    """The tests' own database (NETOPS_TEST_REDIS_DB) of the Redis at REDIS_URL, never the operator's."""
    parts = urlsplit(os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"))
    return urlunsplit((parts.scheme, parts.netloc, f"/{os.environ.get('NETOPS_TEST_REDIS_DB', '15')}", parts.query, ""))


def run_demo(*args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ("AWS_", "SLACK_")) -> str:
    """The demo's stdout; fails the test with its whole output when it exits non-zero."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(drop)} | (env or {})
    done = subprocess.run(
        [sys.executable, "-m", "agents.cli", "demo", *args], capture_output=True, text=True, env=clean, timeout=240
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
