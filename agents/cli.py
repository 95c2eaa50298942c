"""The `netops` command: one entry point for every role (bot, agents, lab, tools).

Each subcommand lives in its own module exposing `register(subparsers)`, which adds its
parser and sets `handler` (a callable taking the parsed args and returning an exit code).
Only the module of the command being run is imported (all of them for `--help`), so
`netops analyze-pcap` does not pay for slack-bolt, moto or Redis at start-up, and a role
never imports another role's dependencies.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from agents.errors import SettingsError

# command name -> the module whose register() adds it (one module may add several)
COMMANDS: dict[str, str] = {
    "demo": "agents.demo.command",
    "bot": "bot.command",
    "agent": "agents.agent_command",
    "lab": "agents.lab.command",
    "route": "agents.collaborator.route_command",
    "analyze-pcap": "agents.performance.pcap.command",
    "audit": "bot.command",
    "feedback": "bot.command",
    "config": "agents.config_command",
    "eval": "agents.evals.command",
    "dashboard": "bot.dashboard.command",
}


def _modules_for(argv: Sequence[str]) -> list[str]:
    """The one module that registers the command in `argv`, or all of them (help, typos)."""
    for token in argv:
        if not token.startswith("-"):
            if token in COMMANDS:
                return [COMMANDS[token]]
            break
    return list(dict.fromkeys(COMMANDS.values()))


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="netops",
        description="NetOps chat-ops: ask why the AWS network is slow, and approve the fix.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_name in _modules_for(argv):
        importlib.import_module(module_name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(argv)
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
