"""`netops feedback [--since 7d] [--to-evals [--out DIR]]`: what operators said about answers.

The list is one line a vote, oldest first. `--to-evals` writes, for each thumbs-down, a draft
eval case (`evals/drafts/feedback-….yaml`): the question and scenario filled in, what the answer
said and why it was wrong as comments, and an empty `expect` for a person to complete before
moving the case into `evals/<scenario>.yaml`. Drafts are outside the suite until then, because
only a person knows what the right answer is.
"""

from __future__ import annotations

import re
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import redis.asyncio as aioredis
import yaml
from redis.exceptions import RedisError

from agents.settings import Settings
from bot.feedback import Feedback, FeedbackStore

DRAFT_DIR = Path(__file__).resolve().parents[1] / "evals" / "drafts"
DEFAULT_SCENARIO = "incident"  # the lab's default, when the vote was not given in a lab
_SPAN = re.compile(r"^(\d+)\s*([mhd])$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days"}
VOTE_MARK = {"up": "👍", "down": "👎"}


class SinceError(ValueError):
    """`--since` is neither a span (`30m`, `24h`, `7d`) nor an ISO 8601 time."""


def parse_since(text: str | None, now: datetime) -> datetime | None:
    if not text:
        return None
    span = _SPAN.match(text.strip().lower())
    if span:
        return now - timedelta(**{_UNITS[span.group(2)]: int(span.group(1))})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise SinceError(f"--since {text!r} is neither a span (30m, 24h, 7d) nor an ISO 8601 time") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def format_line(item: Feedback) -> str:
    """`2026-12-01 16:40 👎 U123 trace 883e… causes path_loss · "question" · reason: …`."""
    parts = [item.moment.strftime("%Y-%m-%d %H:%M"), VOTE_MARK.get(item.vote, item.vote), item.user]
    parts.append(f"trace {item.trace_id or '?'}")
    parts.append("causes " + (", ".join(item.causes) or "none"))
    if item.scenario:
        parts.append(f"scenario {item.scenario}")
    line = " ".join(parts) + f' · "{item.question}"'
    return line + (f" · reason: {item.reason}" if item.reason else "")


def case_id(item: Feedback) -> str:
    tail = re.sub(r"[^a-z0-9]+", "-", item.result_id.lower()).strip("-")[:12]
    return f"feedback-{item.moment.strftime('%Y%m%d-%H%M')}-{tail}"


def draft_case(item: Feedback) -> str:
    """A draft eval file for one thumbs-down: valid YAML the suite loads once `expect` is filled in."""
    scenario = item.scenario or DEFAULT_SCENARIO
    header = [
        f"# Draft eval case from a thumbs-down by {item.user} at {item.at} (netops feedback --to-evals).",
        f"# The answer said: {item.headline or '(no headline)'}",
        f"# Its causes: {', '.join(item.causes) or 'none'}; trace {item.trace_id or '?'}.",
        f"# Why it was wrong: {item.reason or '(no reason given)'}",
    ]
    if item.scenario is None:
        header.append(
            f"# Asked outside the lab (region {item.region or '?'}): set `scenario` to one that reproduces it."
        )
    header.append(
        "# To do: fill in `expect` (what a right answer shows), then move the case into evals/<scenario>.yaml."
    )
    question = item.question.replace("{", "{{").replace("}", "}}")  # cases fill {placeholders}
    body = {"scenario": scenario, "cases": [{"id": case_id(item), "question": question, "expect": {}}]}
    return "\n".join(header) + "\n" + yaml.safe_dump(body, allow_unicode=True, sort_keys=False)


def write_drafts(items: list[Feedback], out: Path) -> list[Path]:
    """One file per thumbs-down; an existing draft is left as a person may have edited it."""
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for item in items:
        if item.vote != "down":
            continue
        path = out / f"{case_id(item)}.yaml"
        if path.exists():
            continue
        path.write_text(draft_case(item), encoding="utf-8")
        written.append(path)
    return written


async def print_feedback(settings: Settings, since: str | None, to_evals: bool, out: Path | None) -> int:
    try:
        moment = parse_since(since, datetime.now(UTC))
    except SinceError as exc:
        print(f"netops feedback: {exc}", file=sys.stderr)
        return 2
    redis = aioredis.from_url(settings.redis_url)
    try:
        items = await FeedbackStore(redis).since(moment)
    except RedisError as exc:
        print(
            f"netops feedback: Redis at REDIS_URL is unreachable ({exc}); start it or fix REDIS_URL.", file=sys.stderr
        )
        return 1
    finally:
        await redis.aclose()
    if not items:
        print("no feedback yet: votes on answers (👍 / 👎 under each answer in Slack) appear here")
    for item in items:
        print(format_line(item))
    if to_evals:
        written = write_drafts(items, out or DRAFT_DIR)
        print(f"{len(written)} draft eval case(s) written to {out or DRAFT_DIR}")
        for path in written:
            print(f"  {path}")
    return 0
