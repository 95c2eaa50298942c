"""One trace as a waterfall: bars in tree order, placed and sized to scale, the part that did each step."""

from __future__ import annotations

import pytest

from agents.traceability import CallType, ResponseTrace, StepRecord
from agents.traceability.model import SKIPPED_STEP_TYPE
from bot.dashboard.render import LABEL_PX, PLOT_PX, place_bars
from bot.dashboard.waterfall import waterfall


def _step(step_id, parent, name, call_type, start, ms, **fields) -> StepRecord:  # type: ignore[no-untyped-def]
    step = StepRecord(step_id, "t", parent, call_type, name, None, 100.0 + start / 1000)
    step.latency_ms, step.end_time = ms, step.start_time + ms / 1000
    for key, value in fields.items():
        setattr(step, key, value)
    return step


def _trace() -> ResponseTrace:
    # recorded out of order, as merged traces are
    return ResponseTrace(
        "t",
        [
            _step("tool2", "perf", "s3.list_captures", CallType.TOOL, 300, 200, error="NoSuchBucket"),
            _step("host", None, "netops bot: question", CallType.HOST, 0, 1000),
            _step("perf", "callp", "Performance_Agent", CallType.AGENT, 150, 700),
            _step("callc", "host", "call collaborator", CallType.AGENT, 10, 980),
            _step("collab", "callc", "NetOps_Collaborator", CallType.AGENT, 50, 900),
            _step("tool1", "perf", "ec2.describe_traffic_mirroring", CallType.TOOL, 160, 100),
            _step("callp", "collab", "call Performance_Agent", CallType.AGENT, 100, 800),
            _step(
                "skip",
                "perf",
                "fix_retransmissions",
                CallType.TOOL,
                850,
                0,
                step_type=SKIPPED_STEP_TYPE,
                additional_attributes={"skipped_because": "s3.list_captures"},
            ),
        ],
    )


def test_bars_come_parent_first_and_siblings_by_start_time() -> None:
    chart = waterfall(_trace())
    assert [(bar.depth, bar.name) for bar in chart.bars] == [
        (0, "netops bot: question"),
        (1, "call collaborator"),
        (2, "NetOps_Collaborator"),
        (3, "call Performance_Agent"),
        (4, "Performance_Agent"),
        (5, "ec2.describe_traffic_mirroring"),
        (5, "s3.list_captures"),
        (5, "fix_retransmissions"),
    ]


def test_each_bar_names_the_part_that_did_the_work() -> None:
    lanes = {bar.name: bar.lane for bar in waterfall(_trace()).bars}
    assert lanes["netops bot: question"] == lanes["call collaborator"] == "bot"
    assert lanes["call Performance_Agent"] == "NetOps_Collaborator"
    assert lanes["s3.list_captures"] == lanes["Performance_Agent"] == "Performance_Agent"


def test_offsets_and_widths_are_to_scale_and_failures_and_skips_are_marked() -> None:
    chart = waterfall(_trace())
    placed = {p.bar.name: p for p in place_bars(chart)}
    assert chart.total_ms == pytest.approx(1000.0)
    s3 = placed["s3.list_captures"]
    assert s3.x == pytest.approx(LABEL_PX + 0.3 * PLOT_PX)
    assert s3.width == pytest.approx(0.2 * PLOT_PX)
    assert placed["netops bot: question"].width == pytest.approx(PLOT_PX)
    assert s3.bar.error == "NoSuchBucket"
    assert placed["fix_retransmissions"].bar.skipped == "s3.list_captures"
    assert placed["fix_retransmissions"].bar.error is None


def test_a_live_snapshot_draws_unfinished_steps_up_to_the_moment_it_was_taken() -> None:
    host = _step("host", None, "netops bot: question", CallType.HOST, 0, 0)
    tool = _step("tool", "host", "s3.list_captures", CallType.TOOL, 100, 150)
    host.end_time = host.latency_ms = None  # both still running when captured
    trace = ResponseTrace("t", [host, tool], extra={"captured_at": 100.4})  # 400 ms after the start
    chart = waterfall(trace)
    bars = {bar.name: bar for bar in chart.bars}
    assert chart.total_ms == pytest.approx(400.0)
    assert bars["netops bot: question"].running and bars["netops bot: question"].duration_ms == pytest.approx(400.0)
    assert not bars["s3.list_captures"].running and bars["s3.list_captures"].duration_ms == 150
