"""Per-flow RTT quantiles (`QuantileSketch`): exact up to 64 samples, within 1% beyond, order-free."""

from __future__ import annotations

import random

import pytest

from agents.performance.pcap.stats import EXACT_SAMPLES, RELATIVE_ERROR, QuantileSketch


def _exact(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _sketch(values: list[float]) -> QuantileSketch:
    sketch = QuantileSketch()
    for value in values:
        sketch.add(value)
    return sketch


@pytest.mark.parametrize("count", [1, 2, 3, EXACT_SAMPLES])
def test_quantiles_are_exact_up_to_the_exact_sample_count(count: int) -> None:
    rng = random.Random(count)
    values = [rng.lognormvariate(-6, 1) for _ in range(count)]

    sketch = _sketch(values)

    assert sketch.exact
    for q in (0.0, 0.5, 0.9, 0.99, 1.0):
        assert sketch.quantile(q) == _exact(values, q)


@pytest.mark.parametrize("count", [EXACT_SAMPLES + 1, 1_000, 50_000])
def test_quantiles_beyond_the_exact_count_are_within_the_relative_error(count: int) -> None:
    rng = random.Random(count)
    values = [rng.lognormvariate(-6, 1.5) for _ in range(count)]

    sketch = _sketch(values)

    assert not sketch.exact
    for q in (0.01, 0.5, 0.9, 0.99, 0.999):
        exact = _exact(values, q)
        assert abs(sketch.quantile(q) - exact) <= RELATIVE_ERROR * exact, q
    assert sketch.count == count and sketch.max == max(values) and sketch.min == min(values)


def test_the_answer_does_not_depend_on_the_order_of_the_samples() -> None:
    values = [random.Random(2).expovariate(200) for _ in range(5_000)]
    shuffled = values[:]
    random.Random(3).shuffle(shuffled)

    first, second = _sketch(values), _sketch(shuffled)

    assert [first.quantile(q) for q in (0.5, 0.99)] == [second.quantile(q) for q in (0.5, 0.99)]


@pytest.mark.parametrize("split", [10, 40, 3_000])
def test_merging_two_sketches_answers_as_one_sketch_of_all_samples(split: int) -> None:
    values = [random.Random(4).expovariate(100) for _ in range(4_000)]
    whole = _sketch(values)
    left, right = _sketch(values[:split]), _sketch(values[split:])

    left.extend(right)

    assert left.count == whole.count
    assert abs(left.total - whole.total) < 1e-9
    assert [left.quantile(q) for q in (0.5, 0.9, 0.99)] == [whole.quantile(q) for q in (0.5, 0.9, 0.99)]


def test_two_small_sketches_merge_exactly() -> None:
    left, right = _sketch([0.003, 0.001]), _sketch([0.002])

    left.extend(right)

    assert left.exact and left.quantile(0.5) == 0.002


def test_zero_and_negative_values_are_not_rtts() -> None:
    sketch = _sketch([0.0, -0.001, 0.004])

    assert sketch.count == 1 and sketch.quantile(0.5) == 0.004


def test_an_empty_sketch_has_no_quantile() -> None:
    assert QuantileSketch().quantile(0.99) is None
