"""Redeeming approvals against real Redis: right action, right instance, once."""

from __future__ import annotations

import time

import pytest

from agents.approval_token import ApprovalClaims, ApprovalTokenError, sign
from agents.performance.approval import USED_KEY, redeem_approval

SECRET = "s"
INSTANCE = "i-0123456789abcdef0"


def _token(action: str = "fix_retransmissions", instance: str = INSTANCE, approval_id: str = "a-1") -> str:
    return sign(ApprovalClaims(approval_id, action, instance, "U1", int(time.time()) + 600), SECRET)


async def test_a_valid_token_is_redeemed_once_and_recorded_with_an_expiry(redis_client) -> None:
    claims = await redeem_approval(_token(), instance_id=INSTANCE, secret=SECRET, redis=redis_client)
    assert claims.approver == "U1"
    assert 0 < await redis_client.ttl(USED_KEY.format("a-1")) <= 660
    with pytest.raises(ApprovalTokenError, match="already used"):
        await redeem_approval(_token(), instance_id=INSTANCE, secret=SECRET, redis=redis_client)


async def test_a_token_for_another_action_is_refused_and_not_burned(redis_client) -> None:
    with pytest.raises(ApprovalTokenError, match="not for fix_retransmissions"):
        await redeem_approval(_token(action="reboot"), instance_id=INSTANCE, secret=SECRET, redis=redis_client)
    assert await redis_client.exists(USED_KEY.format("a-1")) == 0


async def test_a_token_for_another_instance_is_refused_and_not_burned(redis_client) -> None:
    with pytest.raises(ApprovalTokenError, match="approve the fix for this instance"):
        await redeem_approval(
            _token(instance="i-0fedcba9876543210"), instance_id=INSTANCE, secret=SECRET, redis=redis_client
        )
    assert await redis_client.exists(USED_KEY.format("a-1")) == 0
