"""`netops demo --ask … --then … --approve --json`: one JSON object a line per answer, end to end.

One subprocess runs the lab, both agents and the console bot over real HTTP with the Redis at
REDIS_URL, as `netops eval` does for every case.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from types import SimpleNamespace

import pytest
import redis.asyncio as aioredis

from agents.demo.conversation import APPROVER, ASKER, FOLLOW_UP, DemoSession, script
from agents.settings import load_settings

QUESTION = "why are TCP retransmissions high between app and db?"
THEN = "is the app to db flow healthy now? last 2 minutes"
KEYS = {
    "question", "kind", "routed_to", "asked_back", "status", "causes", "flows", "instances", "headline",
    "language", "recommendation", "fix_result", "error", "derived", "trace",
}  # fmt: skip


def _demo(*args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_"))}
    return subprocess.run(
        [sys.executable, "-m", "agents.cli", "demo", *args], capture_output=True, text=True, env=env, timeout=240
    )


@pytest.fixture(scope="module")
def run() -> subprocess.CompletedProcess:
    done = _demo("--ask", QUESTION, "--then", THEN, "--approve", "--json")
    assert done.returncode == 0, done.stdout + done.stderr
    return done


@pytest.fixture(scope="module")
def lines(run: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in run.stdout.splitlines()]


def test_every_stdout_line_is_one_answer_with_the_contract_keys(lines: list[dict]) -> None:
    assert lines
    assert all(set(line) == KEYS for line in lines)


def test_the_banner_goes_to_stderr_so_stdout_stays_json(run: subprocess.CompletedProcess) -> None:
    assert "local AWS lab at" in run.stderr
    assert "local AWS lab at" not in run.stdout


def test_the_thread_is_the_question_the_fix_and_only_the_given_follow_up(lines: list[dict]) -> None:
    questions = [line["question"] for line in lines]
    assert questions[0] == QUESTION
    assert questions[1].startswith("apply TCP fixes to i-")
    assert questions[2] == THEN  # --then replaces the built-in follow-up
    # the look right after the fix still spans the incident, so it may offer a fix again: approved too
    assert all(q.startswith("apply TCP fixes to i-") for q in questions[3:])
    assert FOLLOW_UP not in questions


def test_the_first_answer_names_flows_instances_and_settings_from_its_data_part(lines: list[dict]) -> None:
    first = lines[0]
    assert (first["routed_to"], first["asked_back"], first["status"]) == ("Performance_Agent", False, "critical")
    assert first["flows"]
    for flow in first["flows"]:
        assert flow["dst"] == "10.0.2.20"
        assert flow["src"] in {"10.0.1.10", "10.0.1.30"}
        assert isinstance(flow["dport"], int)
    host = first["recommendation"]["hosts"][0]
    assert host["instance_id"] in first["instances"]
    assert "qdisc" in {c["setting"] for c in host["changes"]}


def test_the_fix_result_is_an_answer_with_each_setting_before_and_after(lines: list[dict]) -> None:
    fix = lines[1]["fix_result"]
    assert fix["verified"] is True
    assert {"setting": "qdisc", "before": "netem loss 3%", "after": "mq"} in fix["changes"]
    assert lines[0]["fix_result"] is None


def test_the_follow_up_is_a_diagnosis_by_the_agent_in_the_same_thread(lines: list[dict]) -> None:
    follow_up = lines[2]
    assert (follow_up["kind"], follow_up["routed_to"], follow_up["asked_back"]) == (
        "netops.diagnosis/v1",
        "Performance_Agent",
        False,
    )


def test_each_answer_carries_its_trace_summary(lines: list[dict]) -> None:
    for line in lines:
        assert line["trace"]["steps"] >= 2
        assert line["trace"]["latency_ms"] > 0
        assert line["trace"]["tokens"] == 0  # the built-in planner calls no model


def test_an_unknown_scenario_stops_before_anything_starts() -> None:
    done = _demo("--scenario", "no-such-scenario", "--ask", QUESTION, "--json")
    assert done.returncode == 2
    assert done.stdout == ""
    assert "no-such-scenario" in done.stderr
    assert "local AWS lab" not in done.stderr


def test_json_and_then_need_a_question() -> None:
    done = _demo("--json", "--then", "and now?")
    assert done.returncode == 2
    assert "--then, --json and --approve need --ask" in done.stderr


def test_without_then_an_approval_is_followed_by_the_built_in_look_at_the_last_minutes() -> None:
    assert script("q", approve=True).follow_ups == (FOLLOW_UP,)
    assert script("q", then=["f"], approve=True).follow_ups == ("f",)
    assert script("q").follow_ups == ()


async def test_the_asker_may_not_approve_and_the_approver_may(redis_client: aioredis.Redis) -> None:
    session = DemoSession(load_settings(), redis_client, collaborator=None)
    approval = SimpleNamespace(requester=ASKER, language="en")
    assert await session.services.policy.refusal(ASKER, approval, "approved") is not None
    assert await session.services.policy.refusal(APPROVER, approval, "approved") is None
