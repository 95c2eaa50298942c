"""POST /slack/events before bolt: forged and stale requests get 401, malformed ones 400, oversized
ones 413, each with one log line and no traceback; nothing is queued or posted for any of them."""

from __future__ import annotations

import json
import logging
import time
from urllib.parse import urlencode

import pytest
from bot_harness import APPROVER, Harness
from bot_slack_requests import FORM, JSON, block_action_body, command_body, event_body, mention_event, post_signed, sign

from bot.blocks.ids import ACTION_APPLY


async def _nothing_happened(harness: Harness) -> None:
    assert await harness.runtime.services.redis.xlen("netops:jobs") == 0
    assert [call for call in harness.slack.calls if call.method != "auth.test"] == []


def _refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    assert not any(record.exc_info for record in caplog.records), "a traceback was logged"
    return [record for record in caplog.records if "refused" in record.getMessage()]


async def test_an_unsigned_slash_command_is_401_and_nothing_is_queued(harness: Harness, caplog) -> None:  # type: ignore[no-untyped-def]
    response = await harness.http.post(
        harness.url + "/slack/events", content=command_body("why?"), headers={"Content-Type": FORM}
    )
    assert response.status_code == 401
    assert len(_refusals(caplog)) == 1
    await _nothing_happened(harness)


async def test_an_unsigned_apply_click_naming_an_approver_is_401(harness: Harness) -> None:
    body = block_action_body(ACTION_APPLY, "a" * 24, user=APPROVER, message_ts="1.2", thread_ts="1.1")
    response = await harness.http.post(harness.url + "/slack/events", content=body, headers={"Content-Type": FORM})
    assert response.status_code == 401
    await _nothing_happened(harness)


@pytest.mark.parametrize(
    "body, content_type",
    [(b"{not json", JSON), (b"payload=%7Bnot-json", FORM), (b"[1, 2]", JSON), (b"\xff\xfe", JSON)],
    ids=["bad-json", "bad-payload", "json-array", "not-utf8"],
)
async def test_a_signed_body_that_cannot_be_parsed_is_400_with_one_log_line(
    harness: Harness, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str
) -> None:
    response = await post_signed(harness.http, harness.url, body, content_type)
    assert response.status_code == 400
    assert len(_refusals(caplog)) == 1
    await _nothing_happened(harness)


async def test_an_unsigned_body_that_cannot_be_parsed_is_refused_before_it_is_parsed(
    harness: Harness, caplog: pytest.LogCaptureFixture
) -> None:
    response = await harness.http.post(
        harness.url + "/slack/events", content=b"payload=%7Bnot-json", headers={"Content-Type": FORM}
    )
    assert response.status_code == 401
    assert len(_refusals(caplog)) == 1


async def test_a_timestamp_that_is_not_a_number_is_400(harness: Harness, caplog: pytest.LogCaptureFixture) -> None:
    body = command_body("why?")
    headers = {"Content-Type": FORM, "X-Slack-Request-Timestamp": "soon", "X-Slack-Signature": sign(body, 0)}
    response = await harness.http.post(harness.url + "/slack/events", content=body, headers=headers)
    assert response.status_code == 400
    assert "X-Slack-Request-Timestamp" in response.json()["error"]
    assert len(_refusals(caplog)) == 1


async def test_a_request_signed_in_the_future_is_401(harness: Harness) -> None:
    response = await post_signed(
        harness.http, harness.url, command_body("why?"), FORM, timestamp=int(time.time()) + 600
    )
    assert response.status_code == 401
    await _nothing_happened(harness)


def _action_payload(**overrides: object) -> bytes:
    """A signed-looking block_actions body with some fields replaced (None: left as null)."""
    payload = {
        "type": "block_actions",
        "user": {"id": APPROVER},
        "trigger_id": "trig-1",
        "channel": {"id": "CINC0001"},
        "actions": [{"action_id": ACTION_APPLY, "block_id": "approval", "value": "a" * 24}],
    }
    payload |= overrides
    return urlencode({"payload": json.dumps(payload)}).encode()


@pytest.mark.parametrize(
    "body, content_type, problem",
    [
        (_action_payload(user=None), FORM, "user.id"),
        (_action_payload(actions=[{"action_id": ACTION_APPLY, "value": {"id": "x"}}]), FORM, "value"),
        (_action_payload(actions="apply"), FORM, "actions"),
        (event_body({"type": "app_mention", "user": "U1", "text": "<@UBOT0001> why?", "ts": "1.1"}), JSON, "channel"),
        (event_body({"type": "app_mention", "channel": "C1", "text": "hi"}), JSON, "event.ts"),
        (urlencode({"command": "/netops", "text": "why?", "user_id": "U1"}).encode(), FORM, "channel_id"),
    ],
    ids=[
        "action-without-user",
        "action-value-object",
        "actions-not-a-list",
        "mention-without-channel",
        "mention-without-ts",
        "command-without-channel",
    ],
)
async def test_a_signed_payload_missing_what_netops_reads_is_400_and_names_it(
    harness: Harness, caplog: pytest.LogCaptureFixture, body: bytes, content_type: str, problem: str
) -> None:
    response = await post_signed(harness.http, harness.url, body, content_type)
    assert response.status_code == 400
    assert problem in response.json()["error"]
    assert len(_refusals(caplog)) == 1
    await _nothing_happened(harness)


async def test_an_oversized_body_is_413_before_it_is_read(harness: Harness) -> None:
    body = command_body("x" * (1024 * 1024 + 1))
    response = await post_signed(harness.http, harness.url, body, FORM)
    assert response.status_code == 413
    await _nothing_happened(harness)


async def test_a_well_formed_signed_mention_still_reaches_the_listener(harness: Harness) -> None:
    response = await harness.event(mention_event("<@UBOT0001> why?", ts="1700000100.000100"))
    assert response.status_code == 200
    assert await harness.runtime.services.redis.xlen("netops:jobs") == 1
