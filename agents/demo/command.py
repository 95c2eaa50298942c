"""`netops demo`: the whole product on this machine, with no credentials.

Starts the embedded AWS lab, the Performance Agent, the collaborator and the bot (console
surface, or Slack Socket Mode when SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set), with real HTTP
between them on 127.0.0.1. `--ask "QUESTION" [--approve]` runs one conversation and exits.
"""

from __future__ import annotations

import argparse
import logging


def _run(args: argparse.Namespace) -> int:
    from agents.demo.run import main
    from agents.settings import load_settings

    settings = load_settings()
    # The transcript is the output: only warnings, unless the operator asks for more.
    level = logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    return main(settings, ask=args.ask, approve=args.approve)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="run everything locally: AWS lab, both agents and the bot (console unless Slack tokens are set)"
    )
    parser.add_argument("--ask", metavar="QUESTION", help="ask one question without a prompt, print the thread, exit")
    parser.add_argument(
        "--approve", action="store_true", help="with --ask: approve the recommended fix, then ask again"
    )
    parser.set_defaults(handler=_run)
