"""Bounded sample sets for RTT percentiles.

A capture can hold millions of RTT samples; keeping them all would make memory grow with the
file. A `Reservoir` keeps every sample up to its capacity (so small captures get tshark's exact
percentiles) and a deterministic uniform sample beyond it; count, sum and max stay exact: the
file-wide ack RTT, which must agree with tshark. Per flow, `QuantileSketch` is exact up to 64
samples and within 1% beyond, in a few hundred bytes, and its answer does not depend on order.
"""

from __future__ import annotations

import math
import random
from array import array
from collections.abc import Iterable

M64 = (1 << 64) - 1


def splitmix64(state: int) -> tuple[int, int]:
    """(next state, output) of SplitMix64: the reservoir's generator, written the same way in the
    compiled kernel (`csrc/analysis.c`), so both paths keep the same samples of a long capture."""
    state = (state + 0x9E3779B97F4A7C15) & M64
    z = state
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M64
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M64
    return state, z ^ (z >> 31)


class Reservoir:
    """Exact count/sum/max; percentiles from at most `capacity` samples (Vitter's algorithm R).

    The replacement slot is SplitMix64's output modulo the count (a bias below 2**-40 for any
    count a capture can reach), seeded with the capacity: the same samples on every run.
    """

    __slots__ = ("capacity", "count", "max", "rng_state", "samples", "total")

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self.samples = array("d")
        self.count = 0
        self.total = 0.0
        self.max: float | None = None
        self.rng_state = capacity

    def add(self, value: float) -> None:
        self.count += 1
        self.total += value
        if self.max is None or value > self.max:
            self.max = value
        if len(self.samples) < self.capacity:
            self.samples.append(value)
            return
        self.rng_state, out = splitmix64(self.rng_state)
        slot = out % self.count
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
        rng = random.Random(self.count)
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


EXACT_SAMPLES = 64
RELATIVE_ERROR = 0.01
_GAMMA = (1 + RELATIVE_ERROR) / (1 - RELATIVE_ERROR)
LOG_GAMMA = math.log(_GAMMA)


class QuantileSketch:
    """Per-flow RTT quantiles that are the same on every run and cheap to hold per flow.

    Up to `EXACT_SAMPLES` samples every quantile is exact (the sample at index int(q*n) of the
    sorted samples, as `Reservoir` answers). Beyond that the samples go into logarithmic buckets
    (DDSketch's scheme: bucket k holds (gamma^(k-1), gamma^k]), so a quantile is within
    `RELATIVE_ERROR` (1%) of the exact one, whatever the sample count and order, and merging two
    sketches loses nothing. No sampling: the p99 of an incident reads the same from run to run.
    Count, mean, min and max stay exact. Values at or below zero are not RTTs and are ignored.
    """

    __slots__ = ("buckets", "count", "max", "min", "samples", "total")

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.min: float | None = None
        self.max: float | None = None
        self.samples: array | None = None  # exact regime (None until the first sample)
        self.buckets: dict[int, int] | None = None  # bucketed regime

    def add(self, value: float) -> None:
        if value <= 0.0:
            return
        count, lo, hi = self.count, self.min, self.max
        self.count = count + 1
        self.total += value
        if hi is None or value > hi:
            self.max = value
        if lo is None or value < lo:
            self.min = value
        buckets = self.buckets
        if buckets is not None:
            key = math.ceil(math.log(value) / LOG_GAMMA)
            buckets[key] = buckets.get(key, 0) + 1
        elif count == 2:  # the first two samples are the old min and max: an array only from the third
            self.samples = array("d", (lo, hi, value))
        elif count > 2:
            samples = self.samples
            samples.append(value)
            if len(samples) > EXACT_SAMPLES:
                self._to_buckets()

    def _exact_values(self) -> Iterable[float]:
        """The samples of the exact regime (one or two are held as min and max only)."""
        if self.samples is not None:
            return self.samples
        if self.buckets is not None or not self.count:
            return ()
        return (self.min,) if self.count == 1 else (self.min, self.max)

    def _to_buckets(self) -> None:
        buckets: dict[int, int] = {} if self.buckets is None else self.buckets
        for value in self._exact_values():
            key = math.ceil(math.log(value) / LOG_GAMMA)
            buckets[key] = buckets.get(key, 0) + 1
        self.buckets = buckets
        self.samples = None

    @property
    def exact(self) -> bool:
        return self.buckets is None

    def extend(self, other: QuantileSketch) -> None:
        """Fold another sketch in (the same flow in two files, or two flows pooled)."""
        if not other.count:
            return
        if self.buckets is None and other.buckets is None and self.count + other.count <= EXACT_SAMPLES:
            values = [*self._exact_values(), *other._exact_values()]
            self.samples = array("d", values) if len(values) > 2 else None
        else:
            self._to_buckets()
            buckets = self.buckets
            for value in other._exact_values():
                key = math.ceil(math.log(value) / LOG_GAMMA)
                buckets[key] = buckets.get(key, 0) + 1
            for key, n in (other.buckets or {}).items():
                buckets[key] = buckets.get(key, 0) + n
        self.count += other.count
        self.total += other.total
        if self.max is None or (other.max is not None and other.max > self.max):
            self.max = other.max
        if self.min is None or (other.min is not None and other.min < self.min):
            self.min = other.min

    def quantile(self, q: float) -> float | None:
        """The sample at rank int(q*n) of the sorted samples: exact, or within RELATIVE_ERROR."""
        if not self.count:
            return None
        rank = min(self.count - 1, int(q * self.count))
        if self.buckets is None:
            return sorted(self._exact_values())[rank]
        seen = 0
        for key in sorted(self.buckets):
            seen += self.buckets[key]
            if seen > rank:
                estimate = 2 * _GAMMA**key / (_GAMMA + 1)
                # the bucket's midpoint, but never outside what was actually seen
                return min(max(estimate, self.min or estimate), self.max or estimate)
        return self.max
