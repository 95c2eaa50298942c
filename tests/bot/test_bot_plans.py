"""Plans in the thread: the Undo a verified fix offers, one live approval per host, no button without a secret."""

from __future__ import annotations

import copy

from bot_fake_agent import DIAGNOSIS
from bot_fake_slack import action_values, block_text
from bot_harness import APPROVER, Harness
from bot_slack_requests import block_action_body

from bot.answer import parse_answer
from bot.blocks.ids import ACTION_APPLY
from bot.blocks.result import result_blocks

INSTANCE = "i-0abc1234def567890"
UNDO = {
    "plan_id": "undo-plan-0123456789abcdef",
    "action": "undo",
    "instance_id": INSTANCE,
    "changes": [f"qdisc on {INSTANCE}: mq → netem loss 3%"],
    "hosts": [
        {"instance_id": INSTANCE, "changes": [{"setting": "qdisc", "current": "mq", "proposed": "netem loss 3%"}]}
    ],
    "summary": f"Restore what {INSTANCE} had before the fix.",
}


def _buttons(slack) -> list[tuple[str, str, str]]:  # type: ignore[no-untyped-def]
    """(approval id, message ts, thread ts) of every live Apply/Undo button, oldest first."""
    found = []
    for ts, message in sorted(slack.messages().items()):
        for value in action_values(message.get("blocks"), ACTION_APPLY):
            found.append((value, ts, message.get("thread_ts") or ts))
    return found


async def _click(harness: Harness, approval_id: str, ts: str, thread_ts: str, user: str = APPROVER):  # type: ignore[no-untyped-def]
    return await harness.form(
        block_action_body(ACTION_APPLY, approval_id, user=user, message_ts=ts, thread_ts=thread_ts)
    )


async def test_a_verified_fix_offers_an_undo_that_applies_the_restore_plan(harness: Harness) -> None:
    harness.agent.remediation_extra = {"undo": UNDO}
    await harness.command("why is payments slow?")
    [(approval_id, ts, thread_ts)] = await harness.slack.wait_for(lambda s: _buttons(s) or None)
    await _click(harness, approval_id, ts, thread_ts)

    def undo_button(slack):  # type: ignore[no-untyped-def]
        live = [b for b in _buttons(slack) if b[0] != approval_id]
        return live or None

    [(undo_id, undo_ts, _)] = await harness.slack.wait_for(undo_button)
    message = block_text(harness.slack.messages()[undo_ts]["blocks"])
    assert "Undo the fix" in message and "mq → netem loss 3%" in message

    harness.agent.remediation_extra = {}
    await _click(harness, undo_id, undo_ts, thread_ts)
    await harness.slack.wait_for(lambda s: len(harness.agent.tokens) == 2 or None)
    undo_claims = harness.agent.tokens[-1]
    assert (undo_claims.action, undo_claims.plan_id, undo_claims.approval_id) == ("undo", UNDO["plan_id"], undo_id)
    assert harness.agent.received[-1].data[0]["plan_id"] == UNDO["plan_id"]


async def test_applying_a_plan_makes_the_other_open_buttons_for_its_host_out_of_date(harness: Harness) -> None:
    first, second = copy.deepcopy(DIAGNOSIS), copy.deepcopy(DIAGNOSIS)
    first["recommendation"]["plan_id"] = "plan-first-0123456789ab"
    second["recommendation"]["plan_id"] = "plan-second-0123456789ab"
    harness.agent.answers = [first, second]
    await harness.command("why is payments slow?")
    await harness.slack.wait_for(lambda s: len(_buttons(s)) == 1 or None)
    await harness.command("and now?")
    (old_id, old_ts, old_thread), (new_id, new_ts, new_thread) = await harness.slack.wait_for(
        lambda s: _buttons(s) if len(_buttons(s)) == 2 else None
    )
    await _click(harness, new_id, new_ts, new_thread)
    await harness.slack.wait_for(lambda s: "Out of date" in block_text(s.messages()[old_ts]["blocks"]) or None)
    assert not action_values(harness.slack.messages()[old_ts]["blocks"], ACTION_APPLY)

    await _click(harness, old_id, old_ts, old_thread)
    refusal = await harness.slack.wait_for(
        lambda s: next((c for c in s.of("chat.postEphemeral") if "out of date" in c.args["text"]), None)
    )
    assert "Ask NetOps again" in refusal.args["text"]
    assert harness.agent.remediations == [new_id]


async def test_without_an_approval_secret_no_button_is_offered_and_the_message_says_why(harness_factory) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(approval_secret=None)
    await harness.command("why is payments slow?")
    result = await harness.slack.wait_for(
        lambda s: next((m for m in s.messages().values() if "Recommended fix" in block_text(m.get("blocks"))), None)
    )
    assert not action_values(result["blocks"], ACTION_APPLY)
    assert "NETOPS_APPROVAL_SECRET is not set" in block_text(result["blocks"])


def test_a_plan_already_in_place_reads_as_such_not_as_applied() -> None:
    data = {
        "kind": "netops.remediation/v1",
        "headline": {"severity": "ok", "text": "Nothing to change."},
        "findings": [],
        "recommendation": None,
        "remediation": {
            "instance_id": INSTANCE,
            "command_id": "c",
            "status": "AlreadyInPlace",
            "verified": True,
            "before": {},
            "after": {},
            "skipped": [],
            "error": None,
        },
    }
    text = block_text(result_blocks(parse_answer(data), None, "r-1"))
    assert "already in place" in text and "verified by reading" not in text


def test_the_before_after_comparison_is_a_table_with_its_verdict() -> None:
    comparison = {
        "verdict": "improved",
        "flow": "10.0.1.10 → 10.0.2.20:5432",
        "window_before": "15 minutes before 16:49:42 UTC",
        "window_after": "16:49:42–16:50:01 UTC",
        "rows": [{"metric": "zero windows / full windows", "before": "2,048 / 2,048", "after": "0 / 0"}],
    }
    data = {
        "kind": "netops.remediation/v1",
        "headline": {"severity": "ok", "text": "Applied."},
        "findings": [],
        "recommendation": None,
        "remediation": {
            "instance_id": INSTANCE,
            "command_id": "c",
            "status": "Success",
            "verified": True,
            "before": {},
            "after": {},
            "skipped": [],
            "error": None,
            "comparison": comparison,
        },
    }
    text = block_text(result_blocks(parse_answer(data), None, "r-1"))
    assert "*improved*" in text
    assert "zero windows / full windows: 2,048 / 2,048 → 0 / 0" in text
