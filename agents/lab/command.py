"""`netops lab`: run the embedded AWS lab on its own, for the agents or a shell to use.

Prints the endpoint and the `export` lines that point boto3 (and the agents' settings) at it,
then serves until Ctrl-C or SIGTERM. It uses moto's default account, so the bucket name is the
same on every run; the lab's data lives in a temporary directory removed on exit, so every run
starts from the same incident.
"""

from __future__ import annotations

import argparse
import shlex
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

from agents.lab import topology

if TYPE_CHECKING:  # importing the lab pulls in moto: only when the command runs
    from agents.lab.server import Lab


def describe(lab: Lab) -> str:
    """What the operator needs to use a running lab: endpoints, exports, and the incident."""
    assert lab.ids is not None, "start() the lab first"
    env = lab.env()
    lines = [
        f"netops lab: AWS endpoint {lab.url} (account {lab.account_id}, region {lab.region})",
        "  services: moto (EC2, S3, CloudWatch, CloudFormation, STS, SSM) + the lab's Network Flow Monitor"
        " and SSM Run Command",
        f"  incident: stack {topology.STACK_NAME}, app {lab.ids.app_instance_id} ({topology.APP_IP}, impaired)"
        f" → db {lab.ids.db_instance_id} ({topology.DB_IP}:{topology.DB_PORT}), "
        f"captures in s3://{lab.bucket}/{topology.CAPTURE_PREFIX}",
        "  in another shell:",
    ]
    lines += [f"    export {name}={shlex.quote(value)}" for name, value in sorted(env.items())]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from agents.lab.server import Lab, LabConfig

    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _on_signal)
    lab = Lab(config=LabConfig(account_id=topology.ACCOUNT_ID))
    try:
        try:
            lab.start()  # on failure it has already stopped what it started
        except Exception as exc:
            print(f"netops lab: could not start the lab ({type(exc).__name__}: {exc}).", file=sys.stderr)
            return 1
        try:
            print(describe(lab), flush=True)
            print("Serving; Ctrl-C stops the lab.", flush=True)
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            print("netops lab: stopping.", file=sys.stderr, flush=True)
            lab.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lab", help="run the embedded AWS lab (moto + Network Flow Monitor + SSM)")
    parser.set_defaults(handler=_run)
