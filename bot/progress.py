"""At most one "Working…" edit a second: Slack rate-limits chat.update (about 1/s per message)."""

from __future__ import annotations

import time
from collections.abc import Callable


class Throttle:
    """`ready()` says whether an update may go out now; the caller skips the ones it refuses."""

    def __init__(self, interval_s: float = 1.0, clock: Callable[[], float] = time.monotonic) -> None:
        self._interval = interval_s
        self._clock = clock
        self._last: float | None = None

    def ready(self) -> bool:
        now = self._clock()
        if self._last is not None and now - self._last < self._interval:
            return False
        self._last = now
        return True
