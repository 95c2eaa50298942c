"""`netops bot [--port P]`, `netops audit [--count N]` and `netops feedback` (imported by agents/cli.py)."""

from __future__ import annotations

import argparse
import asyncio


def _run_bot(args: argparse.Namespace) -> int:
    from agents.observability import BOT_SERVICE, configure_logging
    from agents.settings import load_settings
    from bot.server import serve

    settings = load_settings()
    configure_logging(settings.log_level, BOT_SERVICE, json_lines=settings.log_json)
    try:
        asyncio.run(serve(settings, args.port, args.host))
    except KeyboardInterrupt:
        return 130
    return 0


def _run_audit(args: argparse.Namespace) -> int:
    from agents.settings import load_settings
    from bot.audit_command import print_audit

    return asyncio.run(print_audit(load_settings(), args.count))


def _run_feedback(args: argparse.Namespace) -> int:
    from pathlib import Path

    from agents.settings import load_settings
    from bot.feedback_command import print_feedback

    out = Path(args.out) if args.out else None
    return asyncio.run(print_feedback(load_settings(), args.since, args.to_evals, out))


def register(subparsers: argparse._SubParsersAction) -> None:
    bot = subparsers.add_parser(
        "bot", help="run the Slack bot (Socket Mode with SLACK_APP_TOKEN, otherwise HTTP on --port)"
    )
    bot.add_argument("--port", type=int, default=3000, help="HTTP port for Slack events and /healthz (default 3000)")
    bot.add_argument("--host", default="0.0.0.0", help="address to listen on (default 0.0.0.0)")
    bot.set_defaults(handler=_run_bot)

    audit = subparsers.add_parser("audit", help="print the approval audit trail from Redis")
    audit.add_argument("--count", type=int, default=100, help="how many of the newest entries (default 100)")
    audit.set_defaults(handler=_run_audit)

    feedback = subparsers.add_parser("feedback", help="list the feedback on answers; draft eval cases from 👎")
    feedback.add_argument("--since", help="only votes since then: a span (30m, 24h, 7d) or an ISO 8601 time")
    feedback.add_argument(
        "--to-evals", action="store_true", help="write a draft eval case for each thumbs-down (evals/drafts/)"
    )
    feedback.add_argument("--out", help="with --to-evals: the folder for the drafts (default evals/drafts)")
    feedback.set_defaults(handler=_run_feedback)
