"""`netops demo --ask … --approve`: the whole product end to end, as CI and a newcomer run it.

One subprocess runs the lab, both agents and the bot's console surface over real HTTP on
127.0.0.1 with the Redis at REDIS_URL; the assertions read its transcript the way an
operator would.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest

QUESTION = "why are TCP retransmissions high between app and db?"
FLOW = "10.0.1.10:40000 → 10.0.2.20:5432"


@pytest.fixture(scope="module")
def transcript() -> str:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "SLACK_"))}
    done = subprocess.run(
        [sys.executable, "-m", "agents.cli", "demo", "--ask", QUESTION, "--approve"],
        capture_output=True,
        text=True,
        env=env,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def _answers(transcript: str) -> list[str]:
    """The agent's answers in the thread, in order (each starts with its headline's severity)."""
    return re.findall(
        r"^[🔴🟠🟢🔵] (?:Critical|Warning|Ok|Info):.*?(?=^[🔴🟠🟢🔵] (?:Critical|Warning|Ok|Info):|\Z)",
        transcript,
        re.MULTILINE | re.DOTALL,
    )


def test_start_up_names_the_lab_redis_and_both_agents(transcript: str) -> None:
    assert re.search(r"local AWS lab at http://127\.0\.0\.1:\d+", transcript)
    assert re.search(r"Redis: (Redis at redis://|embedded in-process Redis)", transcript)
    assert re.search(
        r"Performance_Agent: http://127\.0\.0\.1:\d+/\s+collaborator: http://127\.0\.0\.1:\d+/", transcript
    )


def test_the_collaborator_chose_the_performance_agent(transcript: str) -> None:
    tree = transcript.split("> OPERATOR clicks [View trace]", 1)[1].split("> OPERATOR clicks [Apply", 1)[0]
    assert re.search(r"Performance_Agent \(agent", tree), tree


def test_findings_name_the_app_to_db_flow_with_its_retransmission_rate(transcript: str) -> None:
    first = _answers(transcript)[0]
    assert first.startswith("🔴 Critical")
    assert re.search(rf"\d+\.\d% of segments retransmitted on {FLOW}", first)


def test_each_answer_carries_a_trace_summary(transcript: str) -> None:
    summaries = re.findall(r"trace \w+… · (\d+) steps · [\d.]+ m?s · (no model calls|[\d,]+ tokens)", transcript)
    assert len(summaries) >= 3
    assert all(int(steps) >= 2 for steps, _ in summaries)


def test_the_approved_fix_is_verified_with_before_and_after_values(transcript: str) -> None:
    fix = transcript.split("> OPERATOR clicks [Apply TCP fixes]", 1)[1]
    assert re.search(r"Success, verified by reading the settings back", fix)
    assert "`net.core.rmem_max`: 212992 → 134217728" in fix
    assert "`qdisc`: netem loss 3% →" in fix


def test_the_second_analysis_finds_the_flow_healthy(transcript: str) -> None:
    last = _answers(transcript)[-1]
    assert last.startswith("🟢 Ok")
    assert "retransmitted on" not in last
    assert re.search(r"Retransmissions 0\b", last)
