"""The "Working…" message is edited at most once per interval, whatever the agents stream."""

from __future__ import annotations

from bot.progress import Throttle


def test_updates_inside_the_interval_are_skipped_and_the_next_one_after_it_goes_out() -> None:
    now = [100.0]
    throttle = Throttle(1.0, clock=lambda: now[0])
    decisions = []
    for t in (100.0, 100.3, 100.9, 101.0, 101.5, 102.2):
        now[0] = t
        decisions.append(throttle.ready())
    assert decisions == [True, False, False, True, False, True]
