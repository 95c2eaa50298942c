"""Every line logged inside a step names its trace and step, so one trace id finds every process's lines."""

from __future__ import annotations

import io
import json
import logging
import time

import pytest
import redis.asyncio as aioredis
from running_stack import QUESTION, running_stack

from agents.observability.logs import TraceContextFilter, trace_log_handler
from agents.traceability import CallType, TraceConfig, TraceStep, start_trace


async def test_a_question_leaves_lines_with_its_trace_id_in_the_bot_the_collaborator_and_the_agent(
    redis_client: aioredis.Redis, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.handler.addFilter(TraceContextFilter())
    caplog.set_level(logging.INFO)
    async with running_stack() as stack:
        await stack.session.ask(QUESTION)
        (record,) = await stack.session.services.traces.recent(since=time.time() - 600)

    services = {r.service for r in caplog.records if r.trace_id == record.trace_id}  # type: ignore[attr-defined]
    assert {"netops-bot", "netops-collaborator", "netops-performance"} <= services


def test_a_line_inside_a_step_carries_the_trace_and_step_ids() -> None:
    out = io.StringIO()
    logger = logging.getLogger("tests.logs.inside")
    logger.addHandler(trace_log_handler("netops-test", stream=out))
    logger.setLevel(logging.INFO)
    try:
        with (
            start_trace(config=TraceConfig(service_name="netops-bot")) as tracer,
            TraceStep("x", CallType.TOOL) as step,
        ):
            logger.info("working")
        logger.info("done")
    finally:
        logger.handlers.clear()
    inside, outside = out.getvalue().splitlines()
    assert f"netops-bot tests.logs.inside [trace={tracer.trace_id} step={step.step_id}]: working" in inside
    assert "netops-test tests.logs.inside [trace=- step=-]: done" in outside


def test_json_lines_have_the_trace_fields_as_keys() -> None:
    out = io.StringIO()
    logger = logging.getLogger("tests.logs.json")
    logger.addHandler(trace_log_handler("netops-performance", json_lines=True, stream=out))
    logger.setLevel(logging.INFO)
    try:
        with TraceStep("tool", CallType.TOOL) as step:
            logger.warning("slow: %d ms", 812)
    finally:
        logger.handlers.clear()
    line = json.loads(out.getvalue())
    assert (line["trace_id"], line["step_id"], line["message"]) == (step.trace_id, step.step_id, "slow: 812 ms")
    assert (line["level"], line["service"], line["logger"]) == ("WARNING", "netops-performance", "tests.logs.json")
