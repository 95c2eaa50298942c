"""`netops lab [--scenario NAME|FILE]`: run the embedded AWS lab on its own, for the agents or a shell.

Prints the endpoint, the scenario's hosts and the `export` lines that point boto3 (and the
agents' settings) at it, then serves until Ctrl-C or SIGTERM. It uses moto's default account,
so the bucket name is the same on every run; the lab's data lives in a temporary directory
removed on exit, so every run starts from the same scenario.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import sys
import threading
from types import FrameType
from typing import TYPE_CHECKING

from agents.i18n import normalize_language, tr
from agents.lab import topology
from agents.lab.scenarios import DEFAULT_SCENARIO, ScenarioError, load_scenario, scenario_names

if TYPE_CHECKING:  # importing the lab pulls in moto: only when the command runs
    from agents.lab.server import Lab


def console_language() -> str:
    """The operator's language as the shell's locale says it (`LANG=ko_KR.UTF-8` → "ko")."""
    return normalize_language(os.environ.get("LC_ALL") or os.environ.get("LANG"))


def describe(lab: Lab, lang: str = "en") -> str:
    """What the operator needs to use a running lab: endpoints, the scenario's hosts, where evidence is, exports."""
    scenario = lab.scenario
    lines = [
        tr(
            lang,
            "netops lab: AWS endpoint {url} (account {account}, region {region})",
            url=lab.url,
            account=lab.account_id,
            region=lab.region,
        ),
        "  " + tr(lang, "services: moto (EC2, S3, CloudWatch, CloudFormation, STS, SSM)"),
        "  " + tr(lang, "and the lab's own: Network Flow Monitor, SSM Run Command"),
        "  " + tr(lang, "scenario {name}, stack {stack}:", name=scenario.name, stack=topology.STACK_NAME),
    ]
    lines += [f"    {role} {instance_id} ({lab.ips[role]})" for role, instance_id in lab.instances.items()]
    if scenario.mirror is not None:
        where = f"s3://{lab.bucket}/{topology.CAPTURE_PREFIX}"
        lines.append(
            "  "
            + tr(lang, "a capture of {role}'s interface every minute in {where}", role=scenario.mirror, where=where)
        )
    else:
        lines.append(
            "  " + tr(lang, "no Traffic Mirroring in this scenario: s3://{bucket} stays empty", bucket=lab.bucket)
        )
    lines.append("  " + tr(lang, "in another shell:"))
    lines += [f"    export {name}={shlex.quote(value)}" for name, value in sorted(lab.env().items())]
    return "\n".join(lines)


def _run(args: argparse.Namespace) -> int:
    from agents.lab.server import Lab, LabConfig

    lang = console_language()
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as exc:
        print(tr(lang, "netops lab: {reason}", reason=str(exc)), file=sys.stderr)
        return 2
    stop = threading.Event()

    def _on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    previous = signal.signal(signal.SIGTERM, _on_signal)
    lab = Lab(config=LabConfig(scenario=scenario, account_id=topology.ACCOUNT_ID))
    try:
        try:
            lab.start()  # on failure it has already stopped what it started
        except Exception as exc:
            print(
                tr(lang, "netops lab: could not start the lab ({error}).", error=f"{type(exc).__name__}: {exc}"),
                file=sys.stderr,
            )
            return 1
        try:
            print(describe(lab, lang), flush=True)
            print(tr(lang, "Serving; Ctrl-C stops the lab."), flush=True)
            while not stop.wait(0.5):
                pass
        except KeyboardInterrupt:
            pass
        finally:
            print(tr(lang, "netops lab: stopping."), file=sys.stderr, flush=True)
            lab.stop()
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("lab", help="run the embedded AWS lab (moto + Network Flow Monitor + SSM)")
    parser.add_argument(
        "--scenario",
        default=DEFAULT_SCENARIO,
        metavar="NAME|FILE",
        help=f"a shipped scenario ({', '.join(scenario_names())}) or a scenario YAML file; default {DEFAULT_SCENARIO}",
    )
    parser.set_defaults(handler=_run)
