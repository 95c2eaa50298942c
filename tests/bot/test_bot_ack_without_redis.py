"""The ack path when Redis is silent (accepts, never answers) or down: inside Slack's 3 s, with a
note that says what is known, on each surface that queues (command, mention, apply, dismiss)."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator

import pytest
from bot_fake_slack import block_text
from bot_harness import APPROVER, Harness
from bot_slack_requests import block_action_body, mention_event, view_submission_body

from bot.blocks.ids import ACTION_APPLY, VIEW_DISMISS

SILENT = "NetOps cannot tell whether your"
DOWN = "Redis is unreachable"


@pytest.fixture
async def silent_redis_url() -> AsyncIterator[str]:
    """A Redis that hangs: connections are accepted and nothing is ever answered."""
    held: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        held.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    try:
        yield f"redis://127.0.0.1:{server.sockets[0].getsockname()[1]}/0"
    finally:
        server.close()
        for writer in held:
            writer.close()


@pytest.fixture(params=["silent", "down"])
async def broken(request, harness_factory, silent_redis_url, closed_port_url):  # type: ignore[no-untyped-def]
    url = silent_redis_url if request.param == "silent" else closed_port_url.replace("http://", "redis://") + "/0"
    harness = await harness_factory(redis_url=url)
    return harness, SILENT if request.param == "silent" else DOWN


async def _timed(call):  # type: ignore[no-untyped-def]
    start = time.monotonic()
    response = await call
    return response, time.monotonic() - start


async def test_a_slash_command_is_acked_within_3_s_with_the_note(broken) -> None:  # type: ignore[no-untyped-def]
    harness, note = broken
    response, elapsed = await _timed(harness.command("why is payments slow?"))
    assert response.status_code == 200 and elapsed < 3.0
    assert note in response.json()["text"]


async def test_a_mention_is_acked_within_3_s_and_the_note_is_posted_in_the_thread(broken) -> None:  # type: ignore[no-untyped-def]
    harness, note = broken
    response, elapsed = await _timed(harness.event(mention_event("<@UBOT0001> why?", ts="1700000500.000100")))
    assert response.status_code == 200 and elapsed < 3.0
    posted = harness.slack.of("chat.postMessage")
    assert len(posted) == 1 and note in block_text(posted[0].args["blocks"])


async def test_an_apply_click_is_acked_within_3_s_and_the_clicker_is_told(broken) -> None:  # type: ignore[no-untyped-def]
    harness: Harness = broken[0]
    click = block_action_body(ACTION_APPLY, "a" * 24, user=APPROVER, message_ts="1.2", thread_ts="1.1")
    response, elapsed = await _timed(harness.form(click))
    assert response.status_code == 200 and elapsed < 3.0
    ephemerals = harness.slack.of("chat.postEphemeral")
    assert len(ephemerals) == 1 and broken[1] in ephemerals[0].args["text"]


async def test_a_dismissal_that_cannot_be_queued_keeps_the_modal_open_and_says_why(broken) -> None:  # type: ignore[no-untyped-def]
    harness: Harness = broken[0]
    body = view_submission_body(VIEW_DISMISS, "a" * 24, "not now", user=APPROVER)
    response, elapsed = await _timed(harness.form(body))
    assert response.status_code == 200 and elapsed < 3.0
    answer = response.json()
    assert answer["response_action"] == "errors"
    assert "dismissal" in answer["errors"]["reason"] and ("Redis" in answer["errors"]["reason"])
