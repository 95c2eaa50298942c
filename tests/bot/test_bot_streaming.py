"""Answers stream with task cards where the workspace allows it, and fall back to "Working…" where not."""

from __future__ import annotations

import pytest
from bot_fake_agent import FakeAgent
from bot_fake_slack import FakeSlack, action_values, block_text
from bot_harness import ASKER, Harness

from bot.blocks.ids import ACTION_APPLY
from bot.streaming import task_of

STATUSES = [
    "Asking Performance_Agent (analyze_network_performance, score 8.7): intent packet loss",
    "Querying Network Flow Monitor in us-east-1 (last 30 minutes)…",
    "Analyzing 5 of 5 captures from s3://bucket/raw-captures/…",
]


@pytest.fixture
def streaming(fake_slack: FakeSlack, agent: FakeAgent) -> FakeSlack:
    fake_slack.stream_refusal = None
    agent.statuses = list(STATUSES)
    return fake_slack


def _stopped(slack: FakeSlack) -> dict | None:
    return next((s for s in slack.streams.values() if s["state"] == "stopped"), None)


def _answer_anywhere(slack: FakeSlack) -> dict | None:
    return next((m for m in slack.messages().values() if "Packet loss" in block_text(m.get("blocks"))), None)


async def _answer_after_failing(streaming: FakeSlack, harness: Harness, method: str) -> None:
    """Asks with `method` failing once: the whole answer, with its button, still lands (not streamed)."""
    streaming.fail_next[method] = "internal_error"
    await harness.command("why is payments slow?")
    answer = await streaming.wait_for(_answer_anywhere)
    assert not answer.get("streamed") and action_values(answer["blocks"], ACTION_APPLY)


async def test_an_answer_streams_one_task_card_per_step_and_closes_with_the_findings(
    streaming: FakeSlack, harness: Harness
) -> None:
    await harness.command("why is payments slow?")
    stream = await streaming.wait_for(_stopped)
    root_ts = streaming.of("chat.postMessage")[0].response["ts"]
    assert stream["thread_ts"] == root_ts
    cards = [(c["id"], c["status"]) for c in stream["chunks"] if c["type"] == "task_update"]
    assert ("routing", "in_progress") in cards and ("routing", "complete") in cards
    assert ("flow_monitor", "in_progress") in cards and ("flow_monitor", "complete") in cards
    assert ("captures", "in_progress") in cards and cards[-1] == ("captures", "complete")
    text = block_text(stream["blocks"])
    assert "Packet loss on the app→db path" in text and "trace" in text
    assert action_values(stream["blocks"], ACTION_APPLY)  # the fix button closes the stream too
    assert [c for c in streaming.of("chat.postMessage") if c.args.get("thread_ts")] == []  # no Working… message


async def test_a_channel_stream_names_the_asker_and_the_workspace_as_recipients(
    streaming: FakeSlack, harness: Harness
) -> None:
    await harness.command("why is payments slow?")
    await streaming.wait_for(_stopped)
    start = streaming.of("chat.startStream")[0].args
    assert (start["recipient_user_id"], start["recipient_team_id"]) == (ASKER, "T0001")


async def test_a_workspace_that_refuses_streaming_gets_the_working_message_and_the_whole_answer(
    fake_slack: FakeSlack, harness: Harness
) -> None:
    fake_slack.stream_refusal = "missing_scope"
    await harness.command("why is payments slow?")
    answer = await fake_slack.wait_for(_answer_anywhere)
    assert fake_slack.of("chat.startStream")[0].response["error"] == "missing_scope"
    assert not answer.get("streamed")
    assert action_values(answer["blocks"], ACTION_APPLY)


async def test_a_stream_that_fails_midway_hands_over_to_a_working_message_losing_nothing(
    streaming: FakeSlack, harness: Harness
) -> None:
    await _answer_after_failing(streaming, harness, "chat.appendStream")
    assert all(s["state"] == "stopped" for s in streaming.streams.values())  # the broken stream was closed
    working = [c for c in streaming.of("chat.postMessage") if c.args.get("thread_ts")]
    assert len(working) == 1 and "Working…" in block_text(working[0].args["blocks"])


async def test_a_stream_that_cannot_stop_posts_the_answer_as_its_own_message(
    streaming: FakeSlack, harness: Harness
) -> None:
    await _answer_after_failing(streaming, harness, "chat.stopStream")


async def test_streaming_off_in_settings_never_tries(streaming: FakeSlack, harness_factory) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(slack_streaming=False)
    await harness.command("why is payments slow?")
    await streaming.wait_for(_answer_anywhere)
    assert streaming.of("chat.startStream") == []


@pytest.mark.parametrize(
    ("status", "task"),
    [
        (STATUSES[0], "routing"),
        ("Planning which AWS sources to query…", "routing"),
        (STATUSES[1], "flow_monitor"),
        (STATUSES[2], "captures"),
        ("Applying TCP fixes to i-0abc over SSM (approved by U1)…", "fix"),
        ("Reading sysctl and ethtool counters on i-0abc over SSM…", "hosts"),
        ("Checking the approval…", "fix"),
        ("Weighing the evidence…", "diagnosis"),
    ],
)
def test_each_status_text_names_its_step(status: str, task: str) -> None:
    assert task_of(status)[0] == task


async def test_an_alarms_diagnosis_has_no_asker_to_stream_to_and_edits_working(
    redis_client,
    streaming: FakeSlack,
    agent: FakeAgent,  # type: ignore[no-untyped-def]
) -> None:
    from bot_alarm_harness import alarm_bot
    from bot_sns import alarm_message, notification

    async with alarm_bot(redis_client, streaming, agent) as bot:
        await bot.deliver(notification(alarm_message()))
        await streaming.wait_for(_answer_anywhere)
    assert streaming.of("chat.startStream") == []


def test_every_task_card_title_has_a_korean_translation() -> None:
    from agents.i18n import translations
    from bot.streaming import DIAGNOSIS, TASKS

    titles = [title for _, _, title in TASKS] + [DIAGNOSIS[1], "Asking the agents"]
    assert [title for title in titles if title not in translations("ko")] == []
