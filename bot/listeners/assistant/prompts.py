"""What the assistant panel offers and says (pure): suggested prompts, status, thread title."""

from __future__ import annotations

from agents.i18n import tr

MAX_TITLE = 80

# The questions operators ask most (the eval suite's incident questions), as (title, message).
PROMPTS = (
    ("Why are retransmissions high?", "Why are TCP retransmissions high between app and db?"),
    ("Is the network healthy?", "Is the app to db flow healthy now? Check the last 15 minutes."),
    ("Worst flows", "Which flows had the worst round-trip time in the last hour?"),
    ("Is it AWS or us?", "Is the AWS network at fault, or one of our instances?"),
)


def suggested_prompts(lang: str) -> list[dict[str, str]]:
    return [{"title": tr(lang, title), "message": tr(lang, message)} for title, message in PROMPTS]


def prompts_title(lang: str) -> str:
    return tr(lang, "Ask NetOps about the network")


def status_text(lang: str) -> str:
    """Shown as "<app> is …" while the agents work; Slack clears it when the answer is posted."""
    return tr(lang, "asking the agents…")


def thread_title(question: str) -> str:
    words = " ".join(question.split())
    return words if len(words) <= MAX_TITLE else words[: MAX_TITLE - 1].rstrip() + "…"
