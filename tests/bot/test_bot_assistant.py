"""The assistant side panel: suggested prompts, a title and a status, and the /netops job path."""

from __future__ import annotations

from bot_fake_slack import FakeSlack, block_text
from bot_harness import ASKER, Harness

DM = "D0PANEL01"
THREAD = "1729999327.187299"
VIEWING = "CVIEWED01"


def thread_started() -> dict:
    return {
        "type": "assistant_thread_started",
        "assistant_thread": {
            "user_id": ASKER,
            "context": {"channel_id": VIEWING, "team_id": "T0001", "enterprise_id": None},
            "channel_id": DM,
            "thread_ts": THREAD,
        },
        "event_ts": "1729999327.187300",
    }


def panel_message(text: str, ts: str = "1729999400.000100") -> dict:
    return {
        "type": "message",
        "channel": DM,
        "channel_type": "im",
        "user": ASKER,
        "text": text,
        "ts": ts,
        "thread_ts": THREAD,
        "event_ts": ts,
    }


def _answer(slack: FakeSlack) -> dict | None:
    return next(
        (
            m
            for m in slack.messages().values()
            if m.get("channel") == DM and "Packet loss" in block_text(m.get("blocks"))
        ),
        None,
    )


async def test_a_new_panel_thread_offers_the_questions_operators_ask_most(harness: Harness) -> None:
    assert (await harness.event(thread_started())).status_code == 200
    call = (await harness.slack.wait_for(lambda s: s.of("assistant.threads.setSuggestedPrompts")))[0]
    assert (call.args["channel_id"], call.args["thread_ts"]) == (DM, THREAD)
    titles = [prompt["title"] for prompt in call.args["prompts"]]
    assert "Why are retransmissions high?" in titles and len(titles) == 4


async def test_a_question_in_the_panel_is_answered_in_its_thread_on_the_job_path(harness: Harness) -> None:
    await harness.event(thread_started())
    await harness.slack.wait_for(lambda s: s.of("assistant.threads.setSuggestedPrompts"))
    await harness.event(panel_message("why are retransmissions high between app and db?"))
    answer = await harness.slack.wait_for(_answer)
    assert answer["thread_ts"] == THREAD
    received = harness.agent.received[0]
    assert received.text == "why are retransmissions high between app and db?"
    assert received.metadata["netops"]["viewing_channel"] == VIEWING  # the channel the user is looking at


async def test_the_panel_shows_a_status_and_titles_the_thread_from_its_first_question(harness: Harness) -> None:
    await harness.event(thread_started())
    await harness.event(panel_message("why are retransmissions high between app and db?"))
    status = (await harness.slack.wait_for(lambda s: s.of("assistant.threads.setStatus")))[0]
    assert status.args["status"] == "asking the agents…"
    title = (await harness.slack.wait_for(lambda s: s.of("assistant.threads.setTitle")))[0]
    assert title.args["title"] == "why are retransmissions high between app and db?"
    await harness.slack.wait_for(_answer)
    await harness.event(panel_message("and the db side?", ts="1729999500.000100"))
    await harness.slack.wait_for(lambda s: len(s.of("assistant.threads.setStatus")) == 2)
    assert len(harness.slack.of("assistant.threads.setTitle")) == 1  # a follow-up keeps the thread's title


async def test_a_korean_question_gets_a_korean_status_and_korean_prompts_next_time(harness: Harness) -> None:
    await harness.event(panel_message("앱과 DB 사이 재전송이 왜 많나요?"))
    status = (await harness.slack.wait_for(lambda s: s.of("assistant.threads.setStatus")))[0]
    assert status.args["status"] == "에이전트에게 묻는 중…"
    await harness.event(thread_started())
    call = (await harness.slack.wait_for(lambda s: s.of("assistant.threads.setSuggestedPrompts")))[0]
    assert "재전송이 왜 많나요?" in [prompt["title"] for prompt in call.args["prompts"]]


async def test_the_same_panel_message_delivered_twice_is_asked_once(harness: Harness) -> None:
    await harness.event(thread_started())
    message = panel_message("why is it slow?")
    await harness.event(message, event_id="EvPANEL1")
    await harness.event(message, event_id="EvPANEL2")  # Slack's retry carries a new event id; the ts is the same
    await harness.slack.wait_for(_answer)
    assert len(harness.agent.received) == 1


def test_every_panel_text_has_a_korean_translation() -> None:
    from agents.i18n import translations
    from bot.listeners.assistant.prompts import PROMPTS

    texts = [text for prompt in PROMPTS for text in prompt] + ["Ask NetOps about the network", "asking the agents…"]
    assert [text for text in texts if text not in translations("ko")] == []
