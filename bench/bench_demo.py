"""Wall time of the demo conversation, and how much of it the analysis tools account for.

    uv run python bench/bench_demo.py [--runs 5]

Each run starts a fresh stack (lab, Performance Agent, collaborator; not timed), then times the
conversation `netops demo --ask … --approve` runs: the question, the approved fix, and the
follow-up look at the last 5 minutes. The split comes from the answers' traces: the analysis
tools are the TOOL steps `analyze_network_flow_monitor` and `analyze_traffic_mirroring_logs`.
The agent runs them concurrently and a trace step carries its latency but not its start, so
their latencies are summed: that over-counts the tools' wall time, and the share printed
outside them is a lower bound.
The baseline, measured in the same run on the same lab, is those two tools called directly
with boto3 for both diagnoses (30 and 5 minute windows): what the conversation would cost if
nothing but the analysis ran. Speed is never asserted; this only prints.

Last line: the median conversation seconds and the share spent outside the analysis tools.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from typing import Any

from agents.demo.conversation import FOLLOW_UP
from agents.demo.run import console_session
from agents.demo.stack import DemoStack, demo_stack
from agents.lab.server import LabConfig
from agents.settings import load_settings

QUESTION = "why are TCP retransmissions high between app and db?"
ANALYSIS_TOOLS = ("analyze_network_flow_monitor", "analyze_traffic_mirroring_logs")


@dataclass
class Run:
    conversation_s: float
    tools_in_trace_s: float | None  # None: the traces carried no tool steps
    steps: dict[str, float]  # step name -> seconds, summed over the answers' traces (nested steps overlap)
    direct_tools_s: float


def _direct_tools(stack: DemoStack) -> float:
    """The baseline: both analysis tools for both windows, called directly against the lab."""
    from agents.performance.tools.flow_monitor import TimeWindow, analyze_network_flow_monitor
    from agents.performance.tools.mirroring import analyze_traffic_mirroring_logs

    lab = stack.lab
    started = time.perf_counter()
    for minutes in (30, 5):
        analyze_network_flow_monitor(
            lab.client("networkflowmonitor"),
            lab.client("cloudwatch"),
            region=lab.region,
            account_id=lab.account_id,
            window=TimeWindow.last(minutes),
        )
        analyze_traffic_mirroring_logs(
            lab.client("ec2"),
            lab.client("s3"),
            s3_bucket_name=lab.bucket,
            time_window_minutes=minutes,
        )
    return time.perf_counter() - started


def _result_ids(session: Any) -> list[str]:
    """The stored results behind the thread's "View trace" buttons."""
    from bot.blocks.ids import ACTION_VIEW_TRACE

    return [
        str(element.get("value", ""))
        for message in session.surface.thread(session.channel, session.thread_ts or "")
        for block in message.blocks
        if block.get("type") == "actions"
        for element in block.get("elements", [])
        if element.get("action_id") == ACTION_VIEW_TRACE
    ]


async def _traces(session: Any) -> list:
    """The TraceViews of every answer in the thread, as the bot stored them."""
    views = []
    for result_id in _result_ids(session):
        stored = await session.services.results.get(result_id)
        if stored is not None and stored.trace is not None:
            views.append(stored.trace)
    return views


def _split(traces: list) -> tuple[float | None, dict[str, float]]:
    tools, found, steps = 0.0, False, {}
    for trace in traces:
        for step in trace.steps:
            seconds = (step.latency_ms or 0) / 1000
            if step.call_type.upper() == "TOOL" and step.name in ANALYSIS_TOOLS:
                tools += seconds
                found = True
            steps[step.name] = steps.get(step.name, 0.0) + seconds
    return (tools if found else None), steps


async def one_run() -> Run:
    settings = load_settings()
    async with demo_stack(settings, lab_config=LabConfig(rotation_s=None)) as stack:
        direct = await asyncio.to_thread(_direct_tools, stack)
        session, close = console_session(stack)
        try:
            started = time.perf_counter()
            await session.ask(QUESTION)
            await session.approve()
            await session.ask(FOLLOW_UP)
            elapsed = time.perf_counter() - started
            tools, steps = _split(await _traces(session))
        finally:
            await close()
    return Run(elapsed, tools, steps, direct)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="conversations to time (at least 5 for the median)")
    runs_wanted = max(5, parser.parse_args().runs)
    runs = []
    for index in range(runs_wanted):
        run = asyncio.run(one_run())
        runs.append(run)
        tools = "n/a" if run.tools_in_trace_s is None else f"{run.tools_in_trace_s:.2f} s"
        print(
            f"run {index + 1}: conversation {run.conversation_s:.2f} s, analysis tools in the trace {tools}, "
            f"the same tools called directly {run.direct_tools_s:.2f} s",
            flush=True,
        )
    median = statistics.median(r.conversation_s for r in runs)
    with_trace = [r for r in runs if r.tools_in_trace_s is not None]
    if with_trace:
        tools = statistics.median(r.tools_in_trace_s for r in with_trace)
        source = "from the trace"
    else:
        tools = statistics.median(r.direct_tools_s for r in runs)
        source = "the traces carried no tool steps, so from the direct baseline"
    print("slowest steps in the traces (median seconds per conversation; nested steps overlap their parents):")
    medians = {name: statistics.median(r.steps.get(name, 0.0) for r in runs) for r in runs for name in r.steps}
    for name, seconds in sorted(medians.items(), key=lambda item: -item[1])[:12]:
        print(f"  {seconds:6.2f} s  {name}")
    print(f"direct baseline (analysis tools alone): {statistics.median(r.direct_tools_s for r in runs):.2f} s")
    share = max(0.0, 1 - tools / median) if median else 0.0
    print(
        f"demo conversation median {median:.2f} s over {len(runs)} runs; "
        f"share outside the analysis tools {share:.1%} (at least; tools {tools:.2f} s summed, {source})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
