"""Feedback on answers: Slack's thumbs up / down under each answer, stored to become eval cases."""

from __future__ import annotations

import copy
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, urlencode

import pytest
from bot_fake_agent import DIAGNOSIS
from bot_fake_slack import FakeSlack
from bot_harness import ASKER, Harness
from bot_slack_requests import block_action_body, view_submission_body

from agents.evals.cases import load_file
from bot.blocks.feedback import ACTION_FEEDBACK, VIEW_FEEDBACK
from bot.feedback import Feedback, FeedbackStore
from bot.feedback_command import SinceError, draft_case, parse_since, print_feedback, write_drafts

QUESTION = "why are retransmissions high on payments?"
RATER = "URATER01"


def _feedback_values(blocks: list[dict]) -> tuple[str, str]:
    block = next(b for b in blocks if b.get("type") == "context_actions")
    element = block["elements"][0]
    assert element["type"] == "feedback_buttons" and element["action_id"] == ACTION_FEEDBACK
    return element["positive_button"]["value"], element["negative_button"]["value"]


async def _answered(harness: Harness) -> dict:
    harness.agent.answers = [copy.deepcopy(DIAGNOSIS) | {"causes": [{"code": "path_loss", "confidence": 0.9}]}]
    await harness.command(QUESTION)

    def result(slack: FakeSlack) -> dict | None:
        return next(
            (m for m in slack.messages().values() if any(b.get("type") == "context_actions" for b in m["blocks"])),
            None,
        )

    return await harness.slack.wait_for(result)


def _click(value: str, message: dict, user: str = RATER) -> bytes:
    """A click on a feedback button, as Slack sends it (action type `feedback_buttons`)."""
    body = block_action_body(ACTION_FEEDBACK, value, user=user, message_ts="1.1", thread_ts=message["thread_ts"])
    payload = json.loads(parse_qs(body.decode())["payload"][0])
    payload["actions"][0] |= {"type": "feedback_buttons", "block_id": "feedback"}
    return urlencode({"payload": json.dumps(payload)}).encode()


async def test_every_answer_carries_feedback_buttons_naming_it(harness: Harness) -> None:
    message = await _answered(harness)
    up, down = _feedback_values(message["blocks"])
    assert up.startswith("up:") and down.startswith("down:") and up[3:] == down[5:]
    assert await harness.runtime.services.results.get(up[3:]) is not None


async def test_a_thumbs_up_is_stored_with_trace_question_and_causes(harness: Harness, redis_client) -> None:  # type: ignore[no-untyped-def]
    message = await _answered(harness)
    up, _ = _feedback_values(message["blocks"])
    assert (await harness.form(_click(up, message))).status_code == 200
    await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral"))
    [item] = await FeedbackStore(redis_client).since()
    assert (item.vote, item.user, item.question, item.causes) == ("up", RATER, QUESTION, ("path_loss",))
    assert item.trace_id and item.headline.startswith("Packet loss")
    assert "👍" in harness.slack.of("chat.postEphemeral")[0].args["text"]


async def test_a_thumbs_down_asks_why_and_the_reason_joins_the_vote(harness: Harness, redis_client) -> None:  # type: ignore[no-untyped-def]
    message = await _answered(harness)
    _, down = _feedback_values(message["blocks"])
    await harness.form(_click(down, message))
    modal = (await harness.slack.wait_for(lambda s: s.of("views.open")))[0].args["view"]
    assert modal["callback_id"] == VIEW_FEEDBACK and modal["private_metadata"] == down[5:]
    [item] = await FeedbackStore(redis_client).since()
    assert (item.vote, item.reason) == ("down", "")  # recorded at the click: closing the modal loses nothing

    submit = view_submission_body(VIEW_FEEDBACK, down[5:], "it blamed the db, the app drops packets", user=RATER)
    assert (await harness.form(submit)).status_code == 200
    [item] = await FeedbackStore(redis_client).since()
    assert item.reason == "it blamed the db, the app drops packets"


async def test_voting_again_replaces_the_vote(harness: Harness, redis_client) -> None:  # type: ignore[no-untyped-def]
    message = await _answered(harness)
    up, down = _feedback_values(message["blocks"])
    await harness.form(_click(up, message))
    await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral"))
    await harness.form(_click(down, message))
    await harness.slack.wait_for(lambda s: s.of("views.open"))
    assert [item.vote for item in await FeedbackStore(redis_client).since()] == ["down"]


async def test_a_vote_on_an_answer_no_longer_kept_is_refused_politely(harness: Harness, redis_client) -> None:  # type: ignore[no-untyped-def]
    message = await _answered(harness)
    await harness.form(_click("up:AAAAAAAAAAAAAAAAAAAAAAAA", message))
    note = (await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral")))[0].args["text"]
    assert "no longer kept" in note
    assert await FeedbackStore(redis_client).since() == []


def _vote(vote: str, minutes_ago: int, **extra: object) -> Feedback:
    at = (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat()
    values = {"result_id": f"r{minutes_ago}AbC_d", "user": ASKER, "vote": vote, "at": at, "question": QUESTION}
    return Feedback(**(values | extra))  # type: ignore[arg-type]


async def test_netops_feedback_lists_votes_since_a_time(redis_client, capsys, harness: Harness) -> None:  # type: ignore[no-untyped-def]
    store = FeedbackStore(redis_client)
    await store.record(_vote("up", 120, causes=("none",)))
    await store.record(_vote("down", 5, causes=("path_loss",), reason="wrong host", trace_id="trace-1"))
    assert await print_feedback(harness.settings, "1h", False, None) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert len(lines) == 1
    assert "👎" in lines[0] and "trace trace-1" in lines[0] and "causes path_loss" in lines[0]
    assert f'"{QUESTION}"' in lines[0] and "reason: wrong host" in lines[0]


def test_a_thumbs_down_becomes_a_draft_eval_case_the_suite_can_load(tmp_path: Path) -> None:
    down = _vote("down", 1, causes=("path_loss",), reason="it missed the window", scenario="path-loss")
    [path] = write_drafts([_vote("up", 2), down], tmp_path)
    [case] = load_file(path)
    assert (case.scenario, case.question) == ("path-loss", QUESTION)
    text = path.read_text()
    assert "it missed the window" in text and "path_loss" in text and "fill in `expect`" in text


def test_a_draft_keeps_braces_in_the_question_literal(tmp_path: Path) -> None:
    [path] = write_drafts([_vote("down", 1, question="is {app} slow?")], tmp_path)
    assert "is {{app}} slow?" in path.read_text()


def test_a_draft_from_outside_the_lab_asks_for_a_scenario() -> None:
    assert "set `scenario` to one that reproduces it" in draft_case(_vote("down", 1, region="eu-west-1"))


def test_since_takes_spans_and_iso_times() -> None:
    now = datetime(2026, 12, 1, 16, 0, tzinfo=UTC)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("30m", now) == now - timedelta(minutes=30)
    assert parse_since("2026-11-30T08:00:00Z", now) == datetime(2026, 11, 30, 8, tzinfo=UTC)
    assert parse_since(None, now) is None
    with pytest.raises(SinceError):
        parse_since("last week", now)
