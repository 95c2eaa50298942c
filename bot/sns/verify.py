"""Checks an SNS message as AWS documents it: signature, certificate origin, topic, age.

SignatureVersion 1 is SHA1withRSA and 2 is SHA256withRSA (PKCS #1 v1.5) over
`string_to_sign`. A message older than the replay window is refused, because duplicates are
remembered (by MessageId) only that long: a replay can never outlive its memory.
"""

from __future__ import annotations

import base64
import binascii
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from bot.sns.certificates import CertificateStore
from bot.sns.message import SnsMessage, SnsRejected, parse_sns, string_to_sign

HASHES = {"1": hashes.SHA1, "2": hashes.SHA256}
REPLAY_WINDOW = timedelta(hours=24)  # = the MessageId dedupe TTL (bot/job_queue.py DEDUPE_TTL_S)
CLOCK_SKEW = timedelta(minutes=5)


def verify_signature(message: SnsMessage, certificate: x509.Certificate) -> None:
    """Raises `SnsRejected` unless the certificate's key signed this message."""
    algorithm = HASHES.get(message.signature_version)
    if algorithm is None:
        raise SnsRejected(f"SignatureVersion {message.signature_version[:10]!r} is not 1 or 2")
    key = certificate.public_key()
    if not isinstance(key, rsa.RSAPublicKey):
        raise SnsRejected("the signing certificate's key is not RSA")
    try:
        signature = base64.b64decode(message.signature, validate=True)
    except (binascii.Error, ValueError):
        raise SnsRejected("Signature is not base64") from None
    try:
        key.verify(signature, string_to_sign(message), padding.PKCS1v15(), algorithm())
    except InvalidSignature:
        raise SnsRejected("the signature does not match the message") from None


def check_age(message: SnsMessage, now: datetime) -> None:
    try:
        sent = datetime.fromisoformat(message.timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise SnsRejected(f"Timestamp {message.timestamp[:40]!r} is not ISO 8601") from None
    if sent.tzinfo is None:
        raise SnsRejected("Timestamp has no time zone")
    if sent < now - REPLAY_WINDOW or sent > now + CLOCK_SKEW:
        raise SnsRejected(f"Timestamp {message.timestamp} is outside the {REPLAY_WINDOW} replay window")


class SnsVerifier:
    """Parses and verifies one request body; the topic must be on the allow-list."""

    def __init__(self, topics: list[str], certificates: CertificateStore) -> None:
        self._topics = frozenset(topics)
        self._certificates = certificates

    async def verify(self, body: bytes, header_type: str | None, now: datetime | None = None) -> SnsMessage:
        message = parse_sns(body, header_type)
        if message.topic_arn not in self._topics:
            raise SnsRejected(f"topic {message.topic_arn[:200]!r} is not in NETOPS_SNS_TOPIC_ARNS")
        check_age(message, now or datetime.now(UTC))
        certificate = await self._certificates.get(message.signing_cert_url)
        verify_signature(message, certificate)
        return message
