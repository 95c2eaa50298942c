"""The lab's clock: telemetry that moves with time, as a real account's does.

Time is cut into stretches. One is open at any moment; closing it uploads its capture (keyed
by when it started, uploaded when it closed, as the mirror target's rotation does), publishes
its CloudWatch datapoints and makes it visible to Network Flow Monitor queries. A stretch
closes at every minute boundary (the clock thread), at a host change (an SSM script that
changed a host's state: what follows must show the new state), and on `close()`. At start-up
an hour of closed minutes is published as history, so a question about any recent window,
the last 2 minutes included, finds data.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from agents.lab.model import FlowCondition, HostState, Observation
from agents.lab.telemetry import TelemetryWriter

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Open:
    start: float
    states: Mapping[str, HostState]
    flows: list[FlowCondition]


class Recorder:
    """Owns the open stretch and the closed ones; every method is safe from any thread."""

    def __init__(
        self,
        writer: TelemetryWriter,
        states: Callable[[], Mapping[str, HostState]],
        derive: Callable[[Mapping[str, HostState]], list[FlowCondition]],
        backdate: Callable[[str, datetime], None],
    ) -> None:
        self._writer = writer
        self._states = states
        self._derive = derive
        self._backdate = backdate
        self._lock = threading.Condition()
        self._closed: list[Observation] = []
        self._open: _Open | None = None
        self._keys: set[str] = set()
        self._stop = threading.Event()
        self._clock: threading.Thread | None = None

    def seed(self, minutes: int, now: float | None = None) -> None:
        """Publish `minutes` closed minutes before the current one, and open the current one."""
        minute = math.floor((now or time.time()) / 60) * 60
        states = self._states()
        flows = self._derive(states)
        history = [Observation(minute - 60 * (minutes - i), 60.0, flows) for i in range(minutes)]
        with self._lock:
            self._writer.write_metrics(history)
            for observation in history:
                key = self._upload(observation)
                if key is not None:  # uploaded when the rotation closed it, a minute after it started
                    self._backdate(key, datetime.fromtimestamp(observation.start + 60, tz=UTC))
            self._closed.extend(history)
            self._open = _Open(float(minute), states, flows)
            self._lock.notify_all()

    def close(self) -> str | None:
        """Close the open stretch now and open the next from the hosts' current state; returns the capture key."""
        with self._lock:
            assert self._open is not None, "seed() first"
            now = time.time()
            observation = Observation(self._open.start, max(0.0, now - self._open.start), self._open.flows)
            key = self._upload(observation)
            self._writer.write_metrics([observation])
            self._closed.append(observation)
            states = self._states()
            self._open = _Open(now, states, self._derive(states))
            self._lock.notify_all()
            return key

    def host_changed(self) -> bool:
        """After an SSM run: a host whose state changed closes the stretch at once; a read changes nothing."""
        with self._lock:
            if self._open is None or self._states() == self._open.states:
                return False
            self.close()
            return True

    def current(self) -> list[FlowCondition]:
        with self._lock:
            return list(self._open.flows) if self._open else []

    def observed(self, start: float, end: float) -> list[Observation]:
        """The closed stretches that started in [start, end] (epoch seconds)."""
        with self._lock:
            return [o for o in self._closed if start <= o.start <= end]

    def count(self) -> int:
        with self._lock:
            return len(self._closed)

    def wait_for(self, count: int, timeout_s: float) -> bool:
        """Block until at least `count` stretches are closed (seeded ones included); False on timeout."""
        with self._lock:
            return self._lock.wait_for(lambda: len(self._closed) >= count, timeout=timeout_s)

    def _upload(self, observation: Observation) -> str | None:
        """The stretch's capture, keyed by its start to the second (a later second if that key is taken)."""
        started = datetime.fromtimestamp(math.floor(observation.start), tz=UTC)
        key = self._writer.key_for(started)
        while key is not None and key in self._keys:
            started += timedelta(seconds=1)
            key = self._writer.key_for(started)
        if key is None:
            return None
        self._keys.add(key)
        return self._writer.write_capture(observation.flows, started)

    # --- the clock --------------------------------------------------------------------

    def start_clock(self, period_s: float) -> None:
        """Close a stretch at every multiple of `period_s` on the wall clock (a minute: at :00)."""
        self._clock = threading.Thread(target=self._tick, args=(period_s,), name="lab-clock", daemon=True)
        self._clock.start()

    def stop_clock(self, timeout_s: float = 30.0) -> None:
        self._stop.set()
        if self._clock is not None:
            self._clock.join(timeout=timeout_s)

    def _tick(self, period_s: float) -> None:
        while True:
            with self._lock:
                opened = self._open.start if self._open else time.time()
            # the first boundary after the open stretch began: one that passed while seeding closes it at once
            boundary = (math.floor(opened / period_s) + 1) * period_s
            if self._stop.wait(max(0.0, boundary - time.time())):
                return
            try:
                self.close()
            except Exception:
                log.exception("the lab could not close its stretch of telemetry")
