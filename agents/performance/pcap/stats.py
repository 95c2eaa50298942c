"""Bounded sample sets for RTT percentiles.

A capture can hold millions of RTT samples; keeping them all would make memory grow with the
file. A `Reservoir` keeps every sample up to its capacity (so small captures get tshark's exact
percentiles) and a deterministic uniform sample beyond it; count, sum and max stay exact.
"""

from __future__ import annotations

import random
from array import array


class Reservoir:
    """Exact count/sum/max; percentiles from at most `capacity` samples (Vitter's algorithm R)."""

    __slots__ = ("_rng", "capacity", "count", "max", "samples", "total")

    def __init__(self, capacity: int, seed: int = 0) -> None:
        self.capacity = capacity
        self.samples = array("d")
        self.count = 0
        self.total = 0.0
        self.max: float | None = None
        self._rng: random.Random | None = None
        if seed:
            self._rng = random.Random(seed)

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if self.max is None or value > self.max:
            self.max = value
        if len(self.samples) < self.capacity:
            self.samples.append(value)
            return
        if self._rng is None:
            self._rng = random.Random(self.capacity)
        slot = self._rng.randrange(self.count)
        if slot < self.capacity:
            self.samples[slot] = value

    def extend(self, other: Reservoir) -> None:
        """Fold another reservoir in (merging results of several files)."""
        if not other.count:
            return
        weight_before = self.count
        self.count += other.count
        self.total += other.total
        if other.max is not None and (self.max is None or other.max > self.max):
            self.max = other.max
        if len(self.samples) + len(other.samples) <= self.capacity:
            self.samples.extend(other.samples)
            return
        # Both sides are samples: keep a share proportional to the counts they stand for.
        rng = self._rng or random.Random(self.capacity)
        mine = list(self.samples)
        theirs = list(other.samples)
        keep_mine = round(self.capacity * weight_before / self.count)
        keep_mine = min(keep_mine, len(mine))
        keep_theirs = min(self.capacity - keep_mine, len(theirs))
        merged = rng.sample(mine, keep_mine) + rng.sample(theirs, keep_theirs)
        self.samples = array("d", merged)

    def quantile(self, q: float) -> float | None:
        """The sample at index int(q*n) of the sorted samples, as the ground truth computes it."""
        if not self.samples:
            return None
        ordered = sorted(self.samples)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def summary(self) -> dict:
        """count, mean_s, p50_s, p99_s, max_s (None where there is no sample)."""
        if not self.count:
            return {"count": 0, "mean_s": None, "p50_s": None, "p99_s": None, "max_s": None}
        ordered = sorted(self.samples)
        n = len(ordered)
        return {
            "count": self.count,
            "mean_s": self.total / self.count,
            "p50_s": ordered[min(n - 1, int(0.5 * n))],
            "p99_s": ordered[min(n - 1, int(0.99 * n))],
            "max_s": self.max,
        }
