"""The `netops` command: one entry point for every role (bot, agents, lab, tools).

Each subcommand lives in its own module exposing `register(subparsers)`, which adds its
parser and sets `handler` (a callable taking the parsed args and returning an exit code).
Modules are imported only when listed here, so a role never imports another role's
dependencies at start-up.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from agents.settings import SettingsError

COMMAND_MODULES: tuple[str, ...] = (
    "agents.config_command",
    "agents.agent_command",
    "agents.performance.pcap.command",
    "agents.collaborator.route_command",
    "bot.command",
)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netops",
        description="NetOps chat-ops: ask why the AWS network is slow, and approve the fix.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in COMMAND_MODULES:
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.handler(args) or 0)
    except SettingsError as exc:
        print(f"netops: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
