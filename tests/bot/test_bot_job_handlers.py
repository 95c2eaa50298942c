"""The job handlers' pure parts: what a question is scoped to, what a result's card says when it cannot
be approved, what the asker hears when the channel refuses, how a fix is asked for and counted."""

from __future__ import annotations

from typing import Any

import pytest

from agents.approval_token import verify
from bot.answer import RemediationResult, parse_answer
from bot.approvals import Approval
from bot.blocks.approval import ApprovalState
from bot.collaborator import Final
from bot.outcome_posts import approval_unavailable, cannot_post_text
from bot.question_job import scope
from bot.remediation_job import TOKEN_TTL_S, fix_outcome, remediate_data, succeeded
from bot.surface import SurfaceError

INSTANCE = "i-0abc1234def567890"
RECOMMENDS_A_FIX = {
    "kind": "netops.diagnosis/v1",
    "headline": {"severity": "warning", "text": "Retransmissions are high."},
    "recommendation": {
        "action": "fix_retransmissions",
        "instance_id": INSTANCE,
        "stack_name": "netops-lab",
        "changes": ["net.core.rmem_max → 134217728"],
        "script": "sysctl -w net.core.rmem_max=134217728",
        "summary": "Raise receive buffers",
    },
}


def _approval(**overrides: Any) -> Approval:
    values: dict[str, Any] = {
        "approval_id": "appr-0123456789abcdef",
        "action": "fix_retransmissions",
        "instance_id": INSTANCE,
        "stack_name": "netops-lab",
        "changes": ("net.core.rmem_max → 134217728",),
        "requester": "U_ASKER",
        "channel": "C_OPS",
        "thread_ts": "1700000000.000100",
        "result_id": "res-1",
        "expires_at": 1_700_000_600.0,
        "plan_id": "plan-7",
    }
    return Approval(**(values | overrides))


def _fix_result(**overrides: Any) -> dict[str, Any]:
    remediation = {"instance_id": INSTANCE, "command_id": "cmd-1", "status": "Success", "verified": True}
    return {
        "kind": "netops.remediation/v1",
        "headline": {"severity": "ok", "text": "Applied."},
        "remediation": remediation | overrides,
    }


def _result(status: str) -> RemediationResult:
    return RemediationResult(INSTANCE, "cmd-1", status, False, {}, {}, (), None)


def test_scope_keeps_only_an_alarms_scope_and_the_viewed_channel() -> None:
    payload = {"channel": "C1", "user": "U1", "question": "why?", "scope": {"minutes": 30}, "viewing_channel": ""}
    assert scope(payload) == {"scope": {"minutes": 30}}


def test_approval_unavailable_says_the_bot_cannot_sign_without_the_secret() -> None:
    state = approval_unavailable(parse_answer(RECOMMENDS_A_FIX), None, secret_set=False)
    assert state == ApprovalState("unavailable", note="NETOPS_APPROVAL_SECRET is not set, so no fix can be approved")


def test_approval_unavailable_names_the_instance_no_approval_could_be_made_for() -> None:
    state = approval_unavailable(parse_answer(RECOMMENDS_A_FIX), None, secret_set=True)
    assert state is not None and state.status == "unavailable" and repr(INSTANCE) in state.note


def test_approval_unavailable_is_none_when_the_card_has_its_buttons() -> None:
    assert approval_unavailable(parse_answer(RECOMMENDS_A_FIX), _approval(), secret_set=True) is None


def test_cannot_post_text_asks_to_invite_the_bot_into_the_channel() -> None:
    assert "/invite @netops" in cannot_post_text(SurfaceError("refused", code="not_in_channel"))


def test_cannot_post_text_quotes_slacks_error_escaped() -> None:
    text = cannot_post_text(SurfaceError("refused", code="<is_archived>"))
    assert text == "NetOps could not post in this channel (Slack said &lt;is_archived&gt;): try another channel."


def test_remediate_data_carries_an_approval_the_agent_verifies() -> None:
    data = remediate_data(_approval(), "U_APPROVER", "s3cret", now=1_700_000_000.9)
    claims = verify(data["approval_token"], "s3cret", now=1_700_000_000)
    assert (claims.approval_id, claims.approver, claims.plan_id) == ("appr-0123456789abcdef", "U_APPROVER", "plan-7")
    assert claims.expires_at == 1_700_000_000 + TOKEN_TTL_S
    assert {k: data[k] for k in ("kind", "instance_id", "stack_name")} == {
        "kind": "netops.remediate/v1",
        "instance_id": INSTANCE,
        "stack_name": "netops-lab",
    }


def test_succeeded_only_for_a_verified_remediation_without_error() -> None:
    def final(data: dict[str, Any]) -> Final:
        return Final("", data, None, None)

    assert succeeded(final(_fix_result()))
    assert not succeeded(final(_fix_result(verified=False)))
    assert not succeeded(final(_fix_result(error="sysctl: permission denied")))
    assert not succeeded(final(RECOMMENDS_A_FIX))
    assert not succeeded(None)


@pytest.mark.parametrize(
    ("status", "result", "outcome"),
    [
        ("failed", _result("Refused"), "refused"),
        ("applied", _result("Success"), "verified"),
        ("failed", _result("Success"), "unverified"),
        ("failed", _result("Failed"), "failed"),
        ("failed", None, "failed"),
    ],
)
def test_fix_outcome_names_what_netops_fixes_total_counts(
    status: str, result: RemediationResult | None, outcome: str
) -> None:
    assert fix_outcome(status, result) == outcome
