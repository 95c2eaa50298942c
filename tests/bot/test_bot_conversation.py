"""A question from Slack to the agents and back, over real HTTP, Redis and A2A."""

from __future__ import annotations

import asyncio
import copy
import time

from bot_fake_slack import action_values, block_text
from bot_harness import ASKER, Harness
from bot_slack_requests import FORM, block_action_body, command_body, mention_event, message_event, post_signed

from bot.blocks.ids import ACTION_APPLY, ACTION_VIEW_TRACE


def _final_result(slack) -> dict | None:  # type: ignore[no-untyped-def]
    for message in slack.messages().values():
        if message.get("thread_ts") and "Critical" in block_text(message.get("blocks")):
            return message
    return None


async def test_slash_command_posts_root_then_result_with_trace_summary_in_thread(harness: Harness) -> None:
    response = await harness.command("why are retransmissions high on payments?")
    assert response.status_code == 200
    assert response.text == ""  # an empty ack: the question shows as the thread root instead

    result = await harness.slack.wait_for(_final_result)
    posts = harness.slack.of("chat.postMessage")
    root = posts[0].args
    assert root["blocks"][0]["text"]["text"] == f"<@{ASKER}> asked: why are retransmissions high on payments?"
    assert "thread_ts" not in root or root["thread_ts"] is None
    root_ts = posts[0].response["ts"]
    assert result["thread_ts"] == root_ts

    text = block_text(result["blocks"])
    assert "Packet loss on the app→db path" in text
    assert "retransmissions 3.1 %" in text
    assert "RTT p50 1.2 ms / p99 210 ms" in text
    summary = next(b for b in result["blocks"] if b["type"] == "context" and "trace" in b["elements"][0]["text"])
    line = summary["elements"][0]["text"]
    assert " steps · " in line and "1,120 tokens" in line and "$0.0142" in line
    assert action_values(result["blocks"], ACTION_APPLY)
    assert action_values(result["blocks"], ACTION_VIEW_TRACE)


def _results(slack) -> list[dict]:  # type: ignore[no-untyped-def]
    """Thread replies that are finished answers (no longer "Working…")."""
    return [
        m
        for m in slack.messages().values()
        if m.get("thread_ts")
        and "Working…" not in block_text(m.get("blocks"))
        and "trace" in block_text(m.get("blocks"))
    ]


async def test_progress_edits_one_working_message_which_becomes_the_result(harness: Harness) -> None:
    harness.agent.statuses = ["Querying Network Flow Monitor: 1 monitor…", "Reading 3 captures from S3…"]
    await harness.command("why is it slow?")
    await harness.slack.wait_for(lambda s: _results(s))
    replies = [c for c in harness.slack.of("chat.postMessage") if c.args.get("thread_ts")]
    assert len(replies) == 1 and "Working…" in block_text(replies[0].args["blocks"])
    working_ts = replies[0].response["ts"]
    edits = [block_text(c.args["blocks"]) for c in harness.slack.of("chat.update") if c.args["ts"] == working_ts]
    assert any("Querying Network Flow Monitor" in text for text in edits[:-1])
    assert any("Reading 3 captures" in text for text in edits[:-1])
    assert "Packet loss" in edits[-1]


async def test_reply_in_a_netops_thread_continues_the_same_a2a_context(harness: Harness) -> None:
    from bot_fake_agent import DIAGNOSIS, HEALTHY

    harness.agent.answers = [DIAGNOSIS, HEALTHY]
    await harness.command("why is payments slow?")
    await harness.slack.wait_for(lambda s: len(_results(s)) == 1)
    root_ts = harness.slack.of("chat.postMessage")[0].response["ts"]

    await harness.event(message_event("and what about the db side?", ts="1700000999.000100", thread_ts=root_ts))
    second = await harness.slack.wait_for(
        lambda s: [m for m in _results(s) if "database side" in block_text(m["blocks"])]
    )
    assert second[0]["thread_ts"] == root_ts
    first_ask, follow_up = harness.agent.received
    assert follow_up.text == "and what about the db side?"
    assert follow_up.context_id == first_ask.context_id
    assert follow_up.metadata["netops"] == {"channel": "CINC0001", "thread_ts": root_ts, "user": ASKER}


async def test_mention_in_a_channel_is_answered_in_a_thread_under_it(harness: Harness) -> None:
    await harness.event(mention_event("<@UBOT0001> why are resets up?", ts="1700000500.000100"))
    result = await harness.slack.wait_for(lambda s: _results(s))
    assert result[0]["thread_ts"] == "1700000500.000100"
    assert harness.agent.received[0].text == "why are resets up?"


async def test_plain_chatter_in_a_thread_netops_did_not_start_is_ignored(harness: Harness) -> None:
    response = await harness.event(message_event("lunch?", ts="1700000600.000200", thread_ts="1700000600.000100"))
    assert response.status_code == 200
    await harness.event(mention_event("<@UBOT0001> ping", ts="1700000700.000100"))
    await harness.slack.wait_for(lambda s: _results(s))
    assert [r.text for r in harness.agent.received] == ["ping"]


async def test_help_and_an_empty_command_show_usage(harness: Harness) -> None:
    for text in ("help", ""):
        response = await harness.command(text)
        body = response.json()
        assert body["response_type"] == "ephemeral"
        assert "/netops QUESTION" in block_text(body["blocks"])
    assert harness.agent.received == []


async def test_a_question_over_4000_characters_is_refused_with_the_limit(harness: Harness) -> None:
    response = await harness.command("x" * 4001)
    assert "4,001 characters" in response.json()["text"] and "4,000" in response.json()["text"]
    assert harness.agent.received == []


async def test_a_retried_event_delivery_is_answered_once(harness: Harness) -> None:
    event = mention_event("<@UBOT0001> why?", ts="1700000800.000100")
    first = await harness.event(event, event_id="EvSAME0001")
    retry = await harness.event(event, event_id="EvSAME0001", headers={"X-Slack-Retry-Num": "1"})
    assert first.status_code == retry.status_code == 200
    await harness.slack.wait_for(lambda s: _results(s))
    other = await harness.event(mention_event("<@UBOT0001> second", ts="1700000900.000100"))
    assert other.status_code == 200
    await harness.slack.wait_for(lambda s: len(_results(s)) == 2)
    assert [r.text for r in harness.agent.received] == ["why?", "second"]


async def test_a_repeated_command_trigger_is_answered_once(harness: Harness) -> None:
    await harness.command("first", trigger_id="trig-same")
    await harness.command("first", trigger_id="trig-same")
    await harness.command("second")
    await harness.slack.wait_for(lambda s: len(_results(s)) == 2)
    assert sorted(r.text for r in harness.agent.received) == ["first", "second"]


async def test_a_forged_signature_is_rejected_and_nothing_runs(harness: Harness) -> None:
    body = command_body("why?")
    response = await post_signed(harness.http, harness.url, body, FORM, secret="not-the-secret")
    assert response.status_code == 401
    assert harness.slack.of("chat.postMessage") == []
    assert await harness.runtime.services.redis.xlen("netops:jobs") == 0


async def test_a_stale_timestamp_is_rejected_even_when_correctly_signed(harness: Harness) -> None:
    body = command_body("why?")
    response = await post_signed(harness.http, harness.url, body, FORM, timestamp=int(time.time()) - 301)
    assert response.status_code == 401
    assert await harness.runtime.services.redis.xlen("netops:jobs") == 0


async def test_view_trace_opens_a_modal_with_the_step_tree(harness: Harness) -> None:
    await harness.command("why?")
    result = (await harness.slack.wait_for(lambda s: _results(s)))[0]
    result_id = action_values(result["blocks"], ACTION_VIEW_TRACE)[0]
    ts = next(ts for ts, m in harness.slack.messages().items() if m is not None and m.get("blocks") == result["blocks"])
    await harness.form(
        block_action_body(ACTION_VIEW_TRACE, result_id, user=ASKER, message_ts=ts, thread_ts=result["thread_ts"])
    )
    opened = await harness.slack.wait_for(lambda s: s.of("views.open"))
    view = opened[0].args["view"]
    text = block_text(view["blocks"])
    assert view["type"] == "modal"
    assert "*Performance_Agent* (agent" in text
    assert "└ *analyze_traffic_mirroring_logs* (tool" in text and "1,120 tokens" in text


async def test_agent_down_is_reported_in_the_thread_and_the_bot_keeps_serving(harness_factory, closed_port_url) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(collaborator_url=closed_port_url)
    await harness.command("why?")
    failed = await harness.slack.wait_for(
        lambda s: [m for m in s.messages().values() if "not reachable" in block_text(m.get("blocks"))]
    )
    text = block_text(failed[0]["blocks"])
    assert f"The collaborator at {closed_port_url} is not reachable" in text
    assert "netops agent collaborator" in text
    assert (await harness.http.get(harness.url + "/healthz")).status_code == 200


async def test_an_agent_failure_shows_its_reason_in_the_thread(harness: Harness) -> None:
    harness.agent.fail_with = "AccessDenied reading s3://captures/raw-captures/"
    await harness.command("why?")
    failed = await harness.slack.wait_for(
        lambda s: [m for m in s.messages().values() if "could not answer" in block_text(m.get("blocks"))]
    )
    assert "AccessDenied reading s3://captures/raw-captures/" in block_text(failed[0]["blocks"])


async def test_a_second_mention_in_an_incident_thread_continues_its_conversation(harness: Harness) -> None:
    from bot_fake_agent import DIAGNOSIS, HEALTHY

    harness.agent.answers = [DIAGNOSIS, HEALTHY]
    incident = "1700003000.000100"
    await harness.event(mention_event("<@UBOT0001> why is payments slow?", ts="1700003001.000100", thread_ts=incident))
    await harness.slack.wait_for(lambda s: len(_results(s)) == 1)
    await harness.event(mention_event("<@UBOT0001> and the db side?", ts="1700003002.000100", thread_ts=incident))
    await harness.slack.wait_for(lambda s: len(_results(s)) == 2)
    assert all(m["thread_ts"] == incident for m in _results(harness.slack))
    first, second = harness.agent.received
    assert second.context_id == first.context_id


async def test_an_agent_that_never_answers_times_out_with_a_clear_message(harness_factory) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(request_timeout_s=0.5)
    harness.agent.gate = asyncio.Event()
    try:
        await harness.command("why?")
        failed = await harness.slack.wait_for(
            lambda s: [m for m in s.messages().values() if "did not answer within" in block_text(m.get("blocks"))]
        )
        assert "NETOPS_REQUEST_TIMEOUT_S" in block_text(failed[0]["blocks"])
    finally:
        harness.agent.gate.set()


async def test_redis_down_is_told_to_the_asker_and_the_bot_keeps_answering(harness_factory, closed_port_url) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(redis_url=closed_port_url.replace("http://", "redis://") + "/0")
    response = await harness.command("why?")
    assert response.status_code == 200
    assert response.json()["text"].startswith("NetOps cannot queue your question because its Redis is unreachable")
    assert (await harness.http.get(harness.url + "/healthz")).status_code == 200
    ready = await harness.http.get(harness.url + "/readyz")
    assert ready.status_code == 503 and ready.json()["redis"].startswith("unreachable")


async def test_a_fix_for_an_invalid_instance_id_gets_no_buttons_and_says_why(harness: Harness) -> None:
    from bot_fake_agent import DIAGNOSIS

    bad = copy.deepcopy(DIAGNOSIS)
    bad["recommendation"]["instance_id"] = "i-0abc; rm -rf /"
    harness.agent.answers = [bad]
    await harness.command("why?")
    result = (await harness.slack.wait_for(lambda s: _results(s)))[0]
    assert not action_values(result["blocks"], ACTION_APPLY)
    assert "This fix cannot be applied from Slack: it names no valid instance" in block_text(result["blocks"])
    assert await harness.runtime.services.redis.keys("netops:approval:*") == []


async def test_credentials_in_an_agent_error_are_masked_in_the_thread_and_the_trace(harness: Harness) -> None:
    harness.agent.fail_with = "AccessDenied for AKIAIOSFODNN7EXAMPLE with token=xoxb-12345-abcdef"
    await harness.command("why?")
    failed = (
        await harness.slack.wait_for(
            lambda s: [m for m in s.messages().values() if "could not answer" in block_text(m.get("blocks"))]
        )
    )[0]
    assert "AccessDenied for [redacted]" in block_text(failed["blocks"])
    stored = await harness.runtime.services.results.get(action_values(failed["blocks"], ACTION_VIEW_TRACE)[0])
    posted = str(failed["blocks"]) + str(stored.trace)
    assert "AKIAIOSFODNN7EXAMPLE" not in posted and "xoxb-12345-abcdef" not in posted
    assert stored.trace.failing_step == "analyze_traffic_mirroring_logs"


async def test_a_command_in_a_channel_netops_is_not_in_is_answered_privately_with_the_fix(harness: Harness) -> None:
    harness.slack.not_in.add("CPRIVATE1")
    await harness.command("why?", channel="CPRIVATE1", response_url=harness.slack.response_url())
    told = await harness.slack.wait_for(lambda s: s.of("response_url"))
    assert told[0].args["response_type"] == "ephemeral"
    assert "invite it with `/invite @netops`, then ask" in told[0].args["text"]
    assert harness.agent.received == []
