"""Which Slack messages are questions for NetOps (pure rules of the event listeners)."""

from __future__ import annotations

from bot.listeners.events.mention import question_text
from bot.listeners.events.thread_reply import is_follow_up
from bot.listeners.views.dismiss import submitted_reason

BOT = "UBOT0001"


def _reply(**overrides):  # type: ignore[no-untyped-def]
    event = {"type": "message", "user": "U1", "text": "and the db?", "ts": "2.0", "thread_ts": "1.0", "channel": "C1"}
    return event | overrides


def test_a_human_reply_in_a_thread_is_a_follow_up() -> None:
    assert is_follow_up(_reply(), BOT)


def test_bot_messages_edits_roots_and_mentions_are_not_follow_ups() -> None:
    assert not is_follow_up(_reply(bot_id="B1"), BOT)
    assert not is_follow_up(_reply(subtype="message_changed"), BOT)
    assert not is_follow_up(_reply(ts="1.0"), BOT)  # the thread root itself
    assert not is_follow_up(_reply(thread_ts=None), BOT)  # not in a thread
    assert not is_follow_up(_reply(text=f"<@{BOT}> and the db?"), BOT)  # app_mention answers it


def test_the_bots_own_mention_is_removed_and_other_mentions_kept() -> None:
    assert question_text(f"<@{BOT}>   why is <@U2> seeing resets?", BOT) == "why is <@U2> seeing resets?"
    assert question_text(f"<@{BOT}|netops> help", BOT) == "help"


def test_the_dismiss_reason_is_read_from_the_view_state_and_bounded() -> None:
    view = {
        "state": {
            "values": {"reason": {"reason": {"type": "plain_text_input", "value": "  freeze\n now " + "x" * 600}}}
        }
    }
    reason = submitted_reason(view)
    assert reason.startswith("freeze now x") and len(reason) == 500
    assert submitted_reason({"state": {"values": {"reason": {"reason": {"value": None}}}}}) == ""
