"""Redeeming an approval token: valid, unexpired, for this action and instance, and used once.

Signature and expiry are checked by `agents.approval_token.verify`; this adds what only the
agent can check: that the token approves this exact fix on this exact instance, and that
its approval id has not been redeemed before (`SET NX` in Redis, so two agents or two
retries racing on one token cannot both win). The id is recorded only after every other
check passed, so a refused request does not burn a good token.
"""

from __future__ import annotations

import time

import redis.asyncio as aioredis

from agents.approval_token import ApprovalClaims, ApprovalTokenError, verify

FIX_ACTION = "fix_retransmissions"
USED_KEY = "netops:approval-used:{}"


async def redeem_approval(
    token: str | None,
    *,
    instance_id: str,
    secret: str,
    redis: aioredis.Redis,
    now: float | None = None,
    actions: tuple[str, ...] = (FIX_ACTION,),
) -> ApprovalClaims:
    """The claims of a token that may run the plan now; `ApprovalTokenError` says why not."""
    claims = verify(token, secret, now=now)
    if claims.action not in actions:
        raise ApprovalTokenError(f"the approval is for {claims.action!r}, not for {' or '.join(actions)}")
    if claims.instance_id != instance_id:
        raise ApprovalTokenError(
            f"the approval is for {claims.instance_id}, not {instance_id}: approve the fix for this instance"
        )
    ttl = max(60, int(claims.expires_at - (time.time() if now is None else now)) + 60)
    first = await redis.set(USED_KEY.format(claims.approval_id), claims.approver, nx=True, ex=ttl)
    if not first:
        raise ApprovalTokenError("this approval was already used: ask for a new analysis and approve again")
    return claims
