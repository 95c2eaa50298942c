"""The front door's routing key: the service a request was signed for."""

from __future__ import annotations

from agents.lab.server import signing_service

AUTH = (
    "AWS4-HMAC-SHA256 Credential=testing/20261123/us-east-1/{service}/aws4_request, "
    "SignedHeaders=host;x-amz-date, Signature=abc"
)


def test_service_comes_from_the_sigv4_credential_scope() -> None:
    assert signing_service({"HTTP_AUTHORIZATION": AUTH.format(service="networkflowmonitor")}) == "networkflowmonitor"
    assert signing_service({"HTTP_AUTHORIZATION": AUTH.format(service="ssm")}) == "ssm"


def test_unsigned_or_malformed_requests_have_no_service_and_go_to_moto() -> None:
    assert signing_service({}) is None
    assert signing_service({"HTTP_AUTHORIZATION": "Bearer token"}) is None
    assert signing_service({"HTTP_AUTHORIZATION": "AWS4-HMAC-SHA256 Credential=short"}) is None
