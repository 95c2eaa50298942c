"""Signed approval tokens: the only way a remediation reaches SSM.

The bot signs a token when an authorised approver clicks "Apply TCP fixes"; the
performance agent verifies it before anything is sent. The token binds the approval id,
the action, the instance, the plan, the approver and the expiry, so a token for one instance cannot
be replayed against another, and an edited field breaks the MAC. Single use is enforced
by the verifier (it records the approval id in Redis); this module only signs and checks.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from dataclasses import asdict, dataclass

_VERSION = "v1"


class ApprovalTokenError(ValueError):
    """The token is missing, malformed, tampered with or expired; the message says which."""


@dataclass(frozen=True)
class ApprovalClaims:
    approval_id: str
    action: str
    instance_id: str
    approver: str
    expires_at: int  # unix seconds
    plan_id: str = ""  # the agent's stored plan this approval applies (agents.performance.plans)

    def canonical(self) -> bytes:
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":")).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def sign(claims: ApprovalClaims, secret: str) -> str:
    """`v1.<claims>.<mac>`: HMAC-SHA256 over the canonical JSON of the claims."""
    if not secret:
        raise ApprovalTokenError("no approval secret is configured (set NETOPS_APPROVAL_SECRET)")
    body = claims.canonical()
    mac = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    return f"{_VERSION}.{_b64(body)}.{_b64(mac)}"


def verify(token: str | None, secret: str, *, now: float | None = None) -> ApprovalClaims:
    """The claims of a valid, unexpired token; otherwise `ApprovalTokenError` with the reason."""
    if not secret:
        raise ApprovalTokenError("no approval secret is configured (set NETOPS_APPROVAL_SECRET)")
    if not token:
        raise ApprovalTokenError("no approval token was given: remediation needs an approval from Slack")
    try:
        version, body_b64, mac_b64 = token.split(".")
        body, mac = _unb64(body_b64), _unb64(mac_b64)
    except ValueError:
        raise ApprovalTokenError("the approval token is malformed") from None
    if version != _VERSION:
        raise ApprovalTokenError(f"the approval token has unknown version {version!r}")
    expected = hmac.new(secret.encode(), body, hashlib.sha256).digest()
    if not hmac.compare_digest(mac, expected):
        raise ApprovalTokenError("the approval token's signature does not match (tampered or wrong secret)")
    try:
        claims = ApprovalClaims(**json.loads(body))
    except (TypeError, ValueError):
        raise ApprovalTokenError("the approval token's claims are malformed") from None
    if claims.expires_at <= (time.time() if now is None else now):
        raise ApprovalTokenError("the approval has expired: ask for a new analysis and approve again")
    return claims
