"""Approval tokens: only an untampered, unexpired token signed with our secret verifies."""

from __future__ import annotations

import dataclasses

import pytest

from agents.approval_token import ApprovalClaims, ApprovalTokenError, sign, verify

SECRET = "s3cret"
CLAIMS = ApprovalClaims("ap-1", "fix_retransmissions", "i-0abc", "U123", expires_at=2_000)


def test_valid_token_round_trips() -> None:
    assert verify(sign(CLAIMS, SECRET), SECRET, now=1_000) == CLAIMS


def test_expired_token_is_refused() -> None:
    with pytest.raises(ApprovalTokenError, match="expired"):
        verify(sign(CLAIMS, SECRET), SECRET, now=2_000)


def test_token_for_another_instance_does_not_verify() -> None:
    token = sign(CLAIMS, SECRET)
    forged_body = sign(dataclasses.replace(CLAIMS, instance_id="i-0evil"), "other").split(".")[1]
    version, _, mac = token.split(".")
    with pytest.raises(ApprovalTokenError, match="signature"):
        verify(f"{version}.{forged_body}.{mac}", SECRET, now=1_000)


def test_wrong_secret_is_refused() -> None:
    with pytest.raises(ApprovalTokenError, match="signature"):
        verify(sign(CLAIMS, "other"), SECRET, now=1_000)


@pytest.mark.parametrize("token", [None, "", "garbage", "v1.x", "v9.a.b"])
def test_missing_or_malformed_token_is_refused(token: str | None) -> None:
    with pytest.raises(ApprovalTokenError):
        verify(token, SECRET, now=1_000)
