"""`netops demo`: the whole product on this machine, with no credentials.

Starts the embedded AWS lab, the Performance Agent, the collaborator and the bot (console
surface, or Slack Socket Mode when SLACK_BOT_TOKEN and SLACK_APP_TOKEN are set), with real HTTP
between them on 127.0.0.1. `--ask "QUESTION" [--then "FOLLOW-UP"]… [--approve] [--json]` runs one
conversation and exits; `--scenario` picks what the lab stages.
"""

from __future__ import annotations

import argparse
import logging


def _run(args: argparse.Namespace) -> int:
    if args.ask is None and (args.then or args.json or args.approve):
        args.parser.error("--then, --json and --approve need --ask")
    if args.alarm and args.ask is not None:
        args.parser.error("--alarm tells its own story (alarm, thread, diagnosis, fix, OK): it takes no --ask")
    from agents.demo.conversation import script
    from agents.demo.run import DemoOptions, main
    from agents.settings import load_settings

    settings = load_settings()
    # The transcript is the output: only warnings, unless the operator asks for more.
    level = logging.DEBUG if settings.log_level == "DEBUG" else logging.WARNING
    logging.basicConfig(level=level, format="%(levelname)s %(name)s: %(message)s")
    plan = script(args.ask, then=args.then, approve=args.approve) if args.ask is not None else None
    return main(settings, DemoOptions(scenario=args.scenario, plan=plan, as_json=args.json, alarm=args.alarm))


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "demo", help="run everything locally: AWS lab, both agents and the bot (console unless Slack tokens are set)"
    )
    parser.add_argument("--ask", metavar="QUESTION", help="ask one question without a prompt, print the thread, exit")
    parser.add_argument(
        "--approve",
        action="store_true",
        help="with --ask: a second person (APPROVER) approves every fix the thread offers, as soon as it is offered;"
        " without --then, the flow is then looked at again",
    )
    parser.add_argument(
        "--then",
        action="append",
        metavar="FOLLOW_UP",
        help="with --ask: a reply in the thread, asked once the answer before it is complete (repeatable)",
    )
    parser.add_argument(
        "--scenario", metavar="NAME|FILE", help="the lab's scenario: a shipped name or a YAML file (default incident)"
    )
    parser.add_argument(
        "--json", action="store_true", help="with --ask: one JSON object a line per answer (CONTRACTS.md section 17)"
    )
    parser.add_argument(
        "--alarm",
        action="store_true",
        help="start from the lab's CloudWatch alarm: its SNS notification opens the incident thread, which is "
        "diagnosed, fixed (approved by APPROVER) and resolved by the alarm's OK",
    )
    parser.set_defaults(handler=_run, parser=parser)
