"""Precision and recall of routing on the suite: of picks ("picked the right agent") and of ask-backs."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from agents.collaborator.selection import Agent, decide


@dataclass(frozen=True)
class Scores:
    pick_precision: float  # of the agents picked, the share that was the right one
    pick_recall: float  # of the questions an agent should take, the share that agent took
    ask_precision: float  # of the ask-backs, the share that should have asked back
    ask_recall: float  # of the questions that should ask back, the share that did
    misses: tuple[tuple[str, str | None, str | None], ...]  # (question, expected, got)


def _ratio(part: int, whole: int) -> float:
    return part / whole if whole else 1.0


def measure(
    suite: Sequence[tuple[str, str | None]],
    agents: Sequence[Agent],
    *,
    min_score: float,
    tie_ratio: float,
    korean: str = "rule",
) -> Scores:
    picks = right_picks = asks = right_asks = 0
    misses = []
    for question, expected in suite:
        decision = decide(question, agents, min_score=min_score, tie_ratio=tie_ratio, korean=korean)
        got = decision.pick.agent.name if decision.pick else None
        picks += got is not None
        right_picks += got is not None and got == expected
        asks += got is None
        right_asks += got is None and expected is None
        if got != expected:
            misses.append((question, expected, got))
    should_pick = sum(1 for _, expected in suite if expected is not None)
    return Scores(
        _ratio(right_picks, picks),
        _ratio(right_picks, should_pick),
        _ratio(right_asks, asks),
        _ratio(right_asks, len(suite) - should_pick),
        tuple(misses),
    )
