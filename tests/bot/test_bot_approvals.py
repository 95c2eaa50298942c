"""Approving a TCP fix: who may, exactly once, with the reasons shown and everything audited."""

from __future__ import annotations

import asyncio
import json

from bot_fake_slack import action_values, block_text
from bot_harness import APPROVER, ASKER, Harness
from bot_slack_requests import block_action_body, view_submission_body

from agents.approval_token import verify
from bot.audit import AuditLog
from bot.blocks.ids import ACTION_APPLY, ACTION_DISMISS, VIEW_DISMISS


async def _diagnosis(harness: Harness) -> tuple[str, str, str]:
    """Asks, waits for the result; returns (approval id, result message ts, thread ts)."""
    await harness.command("why is payments slow?")

    def with_buttons(slack):  # type: ignore[no-untyped-def]
        for ts, message in slack.messages().items():
            values = action_values(message.get("blocks"), ACTION_APPLY)
            if values:
                return values[0], ts, message["thread_ts"]
        return None

    return await harness.slack.wait_for(with_buttons)


async def _click(harness: Harness, approval_id: str, ts: str, thread_ts: str, user: str, action: str = ACTION_APPLY):  # type: ignore[no-untyped-def]
    return await harness.form(block_action_body(action, approval_id, user=user, message_ts=ts, thread_ts=thread_ts))


def _fix_results(slack) -> list[dict]:  # type: ignore[no-untyped-def]
    return [m for m in slack.messages().values() if "SSM command" in block_text(m.get("blocks"))]


async def _audit(harness: Harness) -> list[tuple[str, dict]]:
    return [(e.event, e.fields) for e in await AuditLog(harness.runtime.services.redis).entries()]


async def test_twenty_concurrent_clicks_run_one_remediation(harness: Harness) -> None:
    approval_id, ts, thread_ts = await _diagnosis(harness)
    responses = await asyncio.gather(*(_click(harness, approval_id, ts, thread_ts, APPROVER) for _ in range(20)))
    assert {r.status_code for r in responses} == {200}

    fix = (await harness.slack.wait_for(_fix_results))[0]
    text = block_text(fix["blocks"])
    assert "`net.core.rmem_max`: 212992 → 134217728" in text and "verified" in text
    await harness.slack.wait_for(lambda s: len([e for e in s.of("chat.postEphemeral")]) == 19)
    assert harness.agent.remediations == [approval_id]
    assert all("already approved by" in c.args["text"] for c in harness.slack.of("chat.postEphemeral"))

    # The result message lost its buttons: it now says who approved, and that the fix was applied.
    await harness.slack.wait_for(lambda s: "applied" in block_text(s.messages()[ts]["blocks"]))
    result_text = block_text(harness.slack.messages()[ts]["blocks"])
    assert f"Approved by <@{APPROVER}>: applied" in result_text
    assert not action_values(harness.slack.messages()[ts]["blocks"], ACTION_APPLY)

    events = await _audit(harness)
    assert [e for e, _ in events].count("approved") == 1
    assert [e for e, _ in events].count("fix_result") == 1
    fix_entry = next(f for e, f in events if e == "fix_result")
    assert fix_entry["status"] == "applied" and fix_entry["after"]["net.core.rmem_max"] == "134217728"


async def test_the_remediation_request_carries_a_valid_signed_approval_token(harness: Harness) -> None:
    approval_id, ts, thread_ts = await _diagnosis(harness)
    await _click(harness, approval_id, ts, thread_ts, APPROVER)
    await harness.slack.wait_for(_fix_results)
    request = harness.agent.received[-1]
    data = request.data[0]
    assert data["kind"] == "netops.remediate/v1" and data["instance_id"] == "i-0abc1234def567890"
    claims = verify(data["approval_token"], "test-approval-secret")
    assert (claims.approval_id, claims.approver, claims.instance_id) == (approval_id, APPROVER, "i-0abc1234def567890")
    assert request.context_id == harness.agent.received[0].context_id
    assert "test-approval-secret" not in json.dumps(await _audit(harness))


async def test_a_non_approver_is_refused_ephemerally_and_nothing_runs(harness: Harness) -> None:
    approval_id, ts, thread_ts = await _diagnosis(harness)
    await _click(harness, approval_id, ts, thread_ts, "USTRANGER")
    refusal = await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral"))
    assert refusal[0].args["user"] == "USTRANGER"
    assert "Only approvers can apply fixes" in refusal[0].args["text"]
    assert harness.agent.remediations == []
    assert ("refused", "USTRANGER") in [(e, f.get("user")) for e, f in await _audit(harness)]


async def test_the_requester_cannot_approve_their_own_fix(harness_factory) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(approvers=[ASKER, APPROVER])
    approval_id, ts, thread_ts = await _diagnosis(harness)
    await _click(harness, approval_id, ts, thread_ts, ASKER)
    refusal = await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral"))
    assert "another approver must apply the fix" in refusal[0].args["text"]
    assert harness.agent.remediations == []


async def test_self_approval_works_when_settings_allow_it(harness_factory) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(approvers=[ASKER], allow_self_approval=True)
    approval_id, ts, thread_ts = await _diagnosis(harness)
    await _click(harness, approval_id, ts, thread_ts, ASKER)
    await harness.slack.wait_for(_fix_results)
    assert harness.agent.remediations == [approval_id]


async def test_members_of_the_approver_group_may_approve_and_the_group_is_cached(harness_factory) -> None:  # type: ignore[no-untyped-def]
    harness = await harness_factory(approvers=[], approver_group="S0NETOPS")
    harness.slack.group_members["S0NETOPS"] = ["UGROUPIE"]
    approval_id, ts, thread_ts = await _diagnosis(harness)
    await _click(harness, approval_id, ts, thread_ts, "UOUTSIDER")
    await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral"))
    await _click(harness, approval_id, ts, thread_ts, "UGROUPIE")
    await harness.slack.wait_for(_fix_results)
    assert harness.agent.remediations == [approval_id]
    assert len(harness.slack.of("usergroups.users.list")) == 1  # the second check used the cache


async def test_an_expired_approval_is_refused_with_the_reason(harness: Harness) -> None:
    approval_id, ts, thread_ts = await _diagnosis(harness)
    redis = harness.runtime.services.redis
    key = f"netops:approval:{approval_id}"
    record = json.loads(await redis.get(key))
    record["expires_at"] = record["expires_at"] - harness.settings.approval_ttl_s - 1  # as if 30 minutes passed
    await redis.set(key, json.dumps(record), keepttl=True)

    await _click(harness, approval_id, ts, thread_ts, APPROVER)
    refusal = await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral"))
    assert "This approval expired at" in refusal[0].args["text"]
    assert harness.agent.remediations == []


async def test_an_unknown_approval_id_is_refused(harness: Harness) -> None:
    _, ts, thread_ts = await _diagnosis(harness)
    await _click(harness, "forged-approval-id-0000", ts, thread_ts, APPROVER)
    refusal = await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral"))
    assert "unknown or too old" in refusal[0].args["text"]


async def test_dismiss_asks_for_a_reason_and_records_it(harness: Harness) -> None:
    approval_id, ts, thread_ts = await _diagnosis(harness)
    await _click(harness, approval_id, ts, thread_ts, ASKER, action=ACTION_DISMISS)
    opened = await harness.slack.wait_for(lambda s: s.of("views.open"))
    view = opened[0].args["view"]
    assert view["callback_id"] == VIEW_DISMISS and view["private_metadata"] == approval_id

    response = await harness.form(view_submission_body(VIEW_DISMISS, approval_id, "change freeze", user=ASKER))
    assert response.status_code == 200
    await harness.slack.wait_for(lambda s: "Dismissed by" in block_text(s.messages()[ts]["blocks"]))
    assert f"Dismissed by <@{ASKER}>: change freeze" in block_text(harness.slack.messages()[ts]["blocks"])
    assert ("dismissed", "change freeze") in [(e, f.get("note")) for e, f in await _audit(harness)]

    await _click(harness, approval_id, ts, thread_ts, APPROVER)  # too late: it was dismissed
    refusal = await harness.slack.wait_for(lambda s: s.of("chat.postEphemeral"))
    assert "already dismissed" in refusal[0].args["text"]
    assert harness.agent.remediations == []


async def test_a_fix_the_agents_fail_to_apply_is_shown_and_audited_as_failed(harness: Harness) -> None:
    approval_id, ts, thread_ts = await _diagnosis(harness)
    harness.agent.fail_with = "SSM send_command: AccessDeniedException"
    await _click(harness, approval_id, ts, thread_ts, APPROVER)
    await harness.slack.wait_for(lambda s: "the fix failed" in block_text(s.messages()[ts]["blocks"]))
    failed = [m for m in harness.slack.messages().values() if "could not answer" in block_text(m.get("blocks"))]
    assert "SSM send_command: AccessDeniedException" in block_text(failed[0]["blocks"])
    fix = next(f for e, f in await _audit(harness) if e == "fix_result")
    assert fix["status"] == "failed" and "AccessDeniedException" in fix["error"]


async def test_a_refused_approval_shows_the_agents_reason_and_is_audited_as_failed(harness: Harness) -> None:
    harness.agent.approval_secret = "the-agents-different-secret"  # bot and agent were configured apart
    approval_id, ts, thread_ts = await _diagnosis(harness)
    await _click(harness, approval_id, ts, thread_ts, APPROVER)
    await harness.slack.wait_for(lambda s: "the fix failed" in block_text(s.messages()[ts]["blocks"]))
    refused = [m for m in harness.slack.messages().values() if "approval was refused" in block_text(m.get("blocks"))]
    text = block_text(refused[0]["blocks"])
    assert "Refused, not verified" in text and "signature does not match" in text
    assert harness.agent.remediations == []
    fix = next(f for e, f in await _audit(harness) if e == "fix_result")
    assert fix["status"] == "failed" and fix["ssm_status"] == "Refused" and "signature" in fix["error"]
