"""What a person sees on the dashboard after asking NetOps, in a real (headless) Chromium.

The whole stack runs; one question is answered, then the capture bucket is removed so the next
question's capture step fails (its answer still comes, from the other tools). Screenshots go to
NETOPS_SCREENSHOT_DIR (default: the test's temporary directory): dashboard-traces.png and
dashboard-waterfall-failed.png.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import time
from pathlib import Path

import pytest
import redis.asyncio as aioredis
from browser import headless_chromium, save_full_page
from running_stack import QUESTION, RunningStack, running_stack
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver


def remove_capture_bucket(stack: RunningStack) -> None:
    lab = stack.demo.lab
    s3 = lab.client("s3")
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=lab.bucket):
        for item in page.get("Contents", []):
            s3.delete_object(Bucket=lab.bucket, Key=item["Key"])
    s3.delete_bucket(Bucket=lab.bucket)


@pytest.fixture
def screenshots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("NETOPS_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def bars(driver: WebDriver) -> list[dict]:
    """Each waterfall bar as the browser lays it out: step id, on-screen box, and its duration."""
    return driver.execute_script(
        """return [...document.querySelectorAll('#waterfall rect.bar')].map(r => {
             const box = r.getBoundingClientRect();
             return {id: r.dataset.stepId, top: box.top, left: box.left, width: box.width,
                     duration: parseFloat(r.dataset.durationMs), offset: parseFloat(r.dataset.offsetMs),
                     error: r.classList.contains('error')};
           });"""
    )


def look_at_the_list(driver: WebDriver, url: str, shot: Path) -> list[dict]:
    driver.get(url)
    save_full_page(driver, str(shot))
    rows = driver.find_elements(By.CSS_SELECTOR, "#traces tr.trace")
    return [
        {
            "trace_id": row.get_attribute("data-trace-id"),
            "cells": [cell.text for cell in row.find_elements(By.TAG_NAME, "td")],
        }
        for row in rows
    ] + [{"completed": driver.find_element(By.ID, "completed").text}]


def look_at_a_trace(driver: WebDriver, url: str, shot: Path | None = None) -> tuple[list[dict], str, list[str]]:
    driver.get(url)
    if shot is not None:
        save_full_page(driver, str(shot))
    failed_rows = [row.text for row in driver.find_elements(By.CSS_SELECTOR, "#steps tr.step.failed")]
    return bars(driver), driver.find_element(By.ID, "trace-summary").text, failed_rows


async def test_the_dashboard_lists_the_traces_and_draws_their_waterfalls(
    redis_client: aioredis.Redis, screenshots: Path
) -> None:
    async with running_stack() as stack:
        await stack.session.ask(QUESTION)
        await asyncio.to_thread(remove_capture_bucket, stack)
        await stack.session.ask("are there retransmissions between app and db in the last 30 minutes?")
        store = stack.session.services.traces
        answered, failed = sorted(await store.recent(time.time() - 600), key=lambda r: r.started_at)
        good_trace, bad_trace = await store.trace(answered.trace_id), await store.trace(failed.trace_id)
        base = f"{stack.bot_url}/dashboard"
        with headless_chromium() as driver:
            listing = await asyncio.to_thread(
                look_at_the_list, driver, f"{base}/?window=1h", screenshots / "dashboard-traces.png"
            )
            good_bars, _, good_failed_rows = await asyncio.to_thread(
                look_at_a_trace, driver, f"{base}/traces/{answered.trace_id}"
            )
            bad_bars, bad_summary, bad_failed_rows = await asyncio.to_thread(
                look_at_a_trace,
                driver,
                f"{base}/traces/{failed.trace_id}",
                screenshots / "dashboard-waterfall-failed.png",
            )

    # the list: both traces, newest first, with question, status and the failing step
    *rows, figures = listing
    assert [row["trace_id"] for row in rows] == [failed.trace_id, answered.trace_id]
    assert QUESTION in rows[1]["cells"] and "answered" in rows[1]["cells"]
    assert "answered, a step failed" in rows[0]["cells"]  # the answer came, without the captures
    assert any(cell.startswith(f"{failed.failing_step}: ") for cell in rows[0]["cells"])
    assert figures == {"completed": "2"}

    # the waterfall: one bar per step, each under its parent, siblings by start, widths to scale
    assert_bars_follow_the_tree(good_bars, good_trace)
    assert_widths_are_proportional_to_durations(good_bars, good_trace)
    assert not any(bar["error"] for bar in good_bars) and good_failed_rows == []

    # the failed trace: its first cause is marked on the waterfall and in the step table
    assert_bars_follow_the_tree(bad_bars, bad_trace)
    failing = next(s for s in bad_trace.steps if s.name == failed.failing_step and s.error)
    assert {bar["id"] for bar in bad_bars if bar["error"]} >= {failing.step_id}
    assert f"Failing step: {failed.failing_step}" in bad_summary
    assert any(row.startswith(failed.failing_step) and "failed" in row for row in bad_failed_rows)


def assert_bars_follow_the_tree(drawn: list[dict], trace) -> None:  # type: ignore[no-untyped-def]
    steps = {s.step_id: s for s in trace.steps}
    assert sorted(bar["id"] for bar in drawn) == sorted(steps)
    tops = [bar["top"] for bar in drawn]
    assert tops == sorted(tops) and len(set(tops)) == len(tops)  # one row each, top to bottom
    row = {bar["id"]: i for i, bar in enumerate(drawn)}
    root = drawn[0]["id"]
    assert steps[root].parent_step_id is None and steps[root].name == "netops bot: question"
    for step in steps.values():
        if step.parent_step_id in steps:
            assert row[step.parent_step_id] < row[step.step_id], step.name
    for a, b in itertools.pairwise(drawn):
        sa, sb = steps[a["id"]], steps[b["id"]]
        if sa.parent_step_id == sb.parent_step_id:
            assert sa.start_time <= sb.start_time


def assert_widths_are_proportional_to_durations(drawn: list[dict], trace) -> None:  # type: ignore[no-untyped-def]
    steps = {s.step_id: s for s in trace.steps}
    root = drawn[0]
    scale = root["width"] / steps[root["id"]].latency_ms  # pixels per millisecond, from the longest bar
    for bar in drawn:
        latency = steps[bar["id"]].latency_ms or 0.0
        assert bar["width"] == pytest.approx(latency * scale, abs=1.5), steps[bar["id"]].name
        offset_ms = (steps[bar["id"]].start_time - steps[root["id"]].start_time) * 1000.0
        assert bar["left"] - root["left"] == pytest.approx(offset_ms * scale, abs=1.5), steps[bar["id"]].name
