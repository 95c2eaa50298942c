"""What a Korean question's thread tells people after the answer is in Korean too: refusals of
its buttons, the dismiss form, the trace modal, and the collaborator client's errors."""

from __future__ import annotations

import copy

from bot_fake_agent import DIAGNOSIS
from bot_fake_slack import action_values, block_text
from bot_harness import APPROVER, ASKER, Harness
from bot_slack_requests import block_action_body

from bot.blocks.ids import ACTION_APPLY, ACTION_DISMISS, ACTION_VIEW_TRACE

KOREAN_QUESTION = "결제 서비스가 왜 느려?"


async def _korean_answer(harness: Harness) -> tuple[dict, str]:
    """Asks in Korean; returns the answer message with its buttons, and its ts."""
    await harness.command(KOREAN_QUESTION)

    def answered(slack):  # type: ignore[no-untyped-def]
        for ts, message in slack.messages().items():
            if message and action_values(message.get("blocks"), ACTION_APPLY):
                return message, ts
        return None

    return await harness.slack.wait_for(answered)


async def _click(harness: Harness, message: dict, ts: str, action: str, value: str, user: str) -> None:
    await harness.form(block_action_body(action, value, user=user, message_ts=ts, thread_ts=message["thread_ts"]))


async def test_a_refused_click_on_a_korean_answer_is_told_in_korean(harness: Harness) -> None:
    message, ts = await _korean_answer(harness)

    await _click(harness, message, ts, ACTION_APPLY, action_values(message["blocks"], ACTION_APPLY)[0], "USTRANGER")

    refusal = (await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral")))[0].args["text"]
    assert "승인자만 수정을 적용할 수 있습니다" in refusal
    assert harness.agent.remediations == []


async def test_a_second_click_on_a_korean_answer_says_who_decided_in_korean(harness: Harness) -> None:
    message, ts = await _korean_answer(harness)
    approval_id = action_values(message["blocks"], ACTION_APPLY)[0]

    await _click(harness, message, ts, ACTION_APPLY, approval_id, APPROVER)
    await harness.slack.wait_for(lambda s: harness.agent.remediations)
    await _click(harness, message, ts, ACTION_APPLY, approval_id, APPROVER)

    again = (await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral")))[0].args["text"]
    assert f"이미 <@{APPROVER}> 님이 승인했습니다" in again


async def test_the_dismiss_form_of_a_korean_answer_is_in_korean(harness: Harness) -> None:
    message, ts = await _korean_answer(harness)

    await _click(harness, message, ts, ACTION_DISMISS, action_values(message["blocks"], ACTION_APPLY)[0], ASKER)

    view = (await harness.slack.wait_for(lambda s: s.of("views.open")))[0].args["view"]
    assert view["title"]["text"] == "수정 기각"
    assert "권장된 TCP 수정은 적용되지 않습니다." in block_text(view["blocks"])


async def test_the_trace_modal_of_a_korean_answer_is_in_korean(harness: Harness) -> None:
    message, ts = await _korean_answer(harness)

    await _click(harness, message, ts, ACTION_VIEW_TRACE, action_values(message["blocks"], ACTION_VIEW_TRACE)[0], ASKER)

    view = (await harness.slack.wait_for(lambda s: s.of("views.open")))[0].args["view"]
    assert (view["title"]["text"], view["close"]["text"]) == ("추적", "닫기")


async def test_a_korean_card_made_out_of_date_by_an_english_one_says_why_in_korean(harness: Harness) -> None:
    korean, english = copy.deepcopy(DIAGNOSIS), copy.deepcopy(DIAGNOSIS)
    korean["recommendation"]["plan_id"] = "plan-korean-0123456789ab"
    english["recommendation"]["plan_id"] = "plan-english-0123456789ab"
    harness.agent.answers = [korean, english]
    old, old_ts = await _korean_answer(harness)
    await harness.command("and now, in English?")

    def english_card(slack):  # type: ignore[no-untyped-def]
        for ts, message in slack.messages().items():
            if ts != old_ts and message and action_values(message.get("blocks"), ACTION_APPLY):
                return message, ts
        return None

    new, new_ts = await harness.slack.wait_for(english_card)
    await _click(harness, new, new_ts, ACTION_APPLY, action_values(new["blocks"], ACTION_APPLY)[0], APPROVER)

    note = "그 뒤 같은 호스트에 대한 계획이 적용되었습니다"
    await harness.slack.wait_for(lambda s: note in block_text(s.messages()[old_ts]["blocks"]) or None)
    await _click(harness, old, old_ts, ACTION_APPLY, action_values(old["blocks"], ACTION_APPLY)[0], APPROVER)
    refusal = await harness.slack.wait_for(
        lambda s: next((c for c in s.of("chat.postEphemeral") if "유효하지 않습니다" in c.args["text"]), None)
    )
    assert note in refusal.args["text"]


async def test_an_unreachable_collaborator_is_reported_in_korean_to_a_korean_question(
    harness_factory, closed_port_url
) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(collaborator_url=closed_port_url)

    await harness.command(KOREAN_QUESTION)

    failed = await harness.slack.wait_for(
        lambda s: [m for m in s.messages().values() if "연결할 수 없습니다" in block_text(m.get("blocks"))]
    )
    assert f"{closed_port_url}의 협업 에이전트에 연결할 수 없습니다" in block_text(failed[0]["blocks"])
