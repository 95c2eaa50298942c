"""Real processes a fault test starts, signals and stops: its own redis-server and `netops` processes.

Every process here is a child of the test, started on a port the OS chose, and every signal goes
only to it (never to the shared Redis on 6379). Waits poll an observable condition with a
deadline; none sleeps to synchronise.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import redis

ROOT = Path(__file__).resolve().parents[2]
# A process start is mostly imports: ~3 s on a quiet 2-core machine, 20 s and more on a busy one.
START_S = 90.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def eventually(check: Callable[[], object], within: float, what: str, step: float = 0.05) -> object:
    """Polls `check` (sync or async) until it returns something truthy; fails naming `what`."""
    deadline = time.monotonic() + within
    while True:
        result = check()
        if asyncio.iscoroutine(result):
            result = await result
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {within} s: {what}")
        await asyncio.sleep(step)


@dataclass
class OwnRedis:
    """A redis-server of the test's own, in a temp dir, that the test may kill, stop and restart."""

    workdir: Path
    persistent: bool = False
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        persistence = ["--appendonly", "yes", "--appendfsync", "always"] if self.persistent else ["--appendonly", "no"]
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                *persistence,
                "--dir",
                str(self.workdir),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port, socket_connect_timeout=0.2)
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise
                time.sleep(0.02)  # start-up of a child process: nothing to wait on but its port
        client.close()

    def signal(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    def kill(self) -> None:
        assert self.process is not None
        self.process.kill()
        self.process.wait(10)

    def restart(self) -> None:
        """SIGKILL, then a new server on the same port (with its append-only file when persistent)."""
        self.kill()
        self.start()

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGCONT)  # a stopped server cannot act on SIGKILL's cleanup otherwise
            self.process.kill()
            self.process.wait(10)


@dataclass
class NetopsProcess:
    """`python -m agents.cli ARGS…` with its own environment; stderr kept in a file for assertions."""

    args: list[str]
    env: dict[str, str]
    log_path: Path
    process: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        self._log = self.log_path.open("wb")
        self.process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "agents.cli",
            *self.args,
            cwd=ROOT,
            env=self.env,
            stdout=asyncio.subprocess.DEVNULL,
            stderr=self._log,
        )

    def log(self) -> str:
        return self.log_path.read_text(errors="replace")

    async def wait(self, within: float = 30.0) -> int:
        assert self.process is not None
        code = await asyncio.wait_for(self.process.wait(), within)
        self._log.close()
        return code

    def send(self, sig: signal.Signals) -> None:
        assert self.process is not None
        self.process.send_signal(sig)

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.kill()
            await self.wait(10)


async def wait_healthy(url: str, process: NetopsProcess, within: float = START_S) -> None:
    async with httpx.AsyncClient(timeout=2.0) as http:

        async def healthy() -> bool:
            assert process.process is not None and process.process.returncode is None, process.log()
            try:
                return (await http.get(url + "/healthz")).status_code == 200
            except httpx.TransportError:
                return False

        await eventually(healthy, within, f"{url}/healthz answers")


def bot_env(*, redis_url: str, slack_url: str, collaborator_url: str, **extra: str) -> dict[str, str]:
    """The environment of a `netops bot` in HTTP mode against the fakes (`extra` overrides, "" included)."""
    env = {key: value for key, value in os.environ.items() if not key.startswith(("SLACK_", "NETOPS_"))}
    env |= {
        "SLACK_BOT_TOKEN": "xoxb-test-token",
        "SLACK_SIGNING_SECRET": "test-signing-secret",
        "NETOPS_SLACK_API_URL": slack_url,
        "REDIS_URL": redis_url,
        "NETOPS_COLLABORATOR_URL": collaborator_url,
        "NETOPS_APPROVERS": "UAPPROVE1",
        "NETOPS_APPROVAL_SECRET": "test-approval-secret",
        "NETOPS_JOB_RECLAIM_S": "2",
        "NETOPS_LOG_LEVEL": "INFO",
    }
    return env | extra
