"""`netops demo …` as a newcomer runs it: a subprocess with no AWS or Slack settings of the caller's."""

from __future__ import annotations

import os
import subprocess
import sys


def run_demo(*args: str, env: dict[str, str] | None = None, drop: tuple[str, ...] = ("AWS_", "SLACK_")) -> str:
    """The demo's stdout; fails the test with its whole output when it exits non-zero."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(drop)} | (env or {})
    done = subprocess.run(
        [sys.executable, "-m", "agents.cli", "demo", *args], capture_output=True, text=True, env=clean, timeout=240
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout
