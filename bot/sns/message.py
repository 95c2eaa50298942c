"""An SNS HTTPS message as AWS posts it, and the exact bytes its signature covers (pure).

AWS signs `Key\\nValue\\n` pairs in a fixed order that depends on the message type; a key
missing from a type's list is not signed, so a verifier that signed "whatever is there"
would accept a forged `Subject` or `SubscribeURL`. The order below is AWS's.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

NOTIFICATION = "Notification"
SUBSCRIPTION_CONFIRMATION = "SubscriptionConfirmation"
UNSUBSCRIBE_CONFIRMATION = "UnsubscribeConfirmation"

SIGNED_KEYS: dict[str, tuple[str, ...]] = {
    NOTIFICATION: ("Message", "MessageId", "Subject", "Timestamp", "TopicArn", "Type"),
    SUBSCRIPTION_CONFIRMATION: ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
    UNSUBSCRIBE_CONFIRMATION: ("Message", "MessageId", "SubscribeURL", "Timestamp", "Token", "TopicArn", "Type"),
}
OPTIONAL_KEYS = {"Subject"}  # signed only when present (Notification)
# SNS messages are at most 256 KiB; the envelope adds the signature and URLs.
MAX_BODY_BYTES = 300 * 1024


class SnsRejected(Exception):
    """Why a message was refused, in one line for the log (the sender only ever sees 403)."""


@dataclass(frozen=True)
class SnsMessage:
    type: str
    message_id: str
    topic_arn: str
    message: str
    timestamp: str
    signature_version: str
    signature: str
    signing_cert_url: str
    fields: dict[str, str]  # every string field, for the string to sign

    @property
    def subscribe_url(self) -> str:
        return self.fields.get("SubscribeURL", "")


def parse_sns(body: bytes, header_type: str | None) -> SnsMessage:
    """The message in `body`; `header_type` is `x-amz-sns-message-type`, which must agree with it."""
    if len(body) > MAX_BODY_BYTES:
        raise SnsRejected(f"body of {len(body)} bytes is larger than an SNS message can be")
    try:
        raw: Any = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise SnsRejected("body is not JSON") from None
    if not isinstance(raw, dict):
        raise SnsRejected("body is not a JSON object")
    kind = raw.get("Type")
    if kind not in SIGNED_KEYS:
        raise SnsRejected(f"unknown message type {str(kind)[:40]!r}")
    if header_type != kind:
        raise SnsRejected(f"x-amz-sns-message-type {str(header_type)[:40]!r} does not match the body's {kind}")
    fields = {key: value for key, value in raw.items() if isinstance(value, str)}
    required = [key for key in SIGNED_KEYS[kind] if key not in OPTIONAL_KEYS]
    required += ["SignatureVersion", "Signature", "SigningCertURL"]
    missing = [key for key in required if key not in fields]
    if missing:
        raise SnsRejected(f"{kind} lacks {', '.join(missing)}")
    return SnsMessage(
        type=kind,
        message_id=fields["MessageId"],
        topic_arn=fields["TopicArn"],
        message=fields["Message"],
        timestamp=fields["Timestamp"],
        signature_version=fields["SignatureVersion"],
        signature=fields["Signature"],
        signing_cert_url=fields["SigningCertURL"],
        fields=fields,
    )


def string_to_sign(message: SnsMessage) -> bytes:
    """The bytes AWS signed: `Key\\nValue\\n` for each signed key present, in AWS's order."""
    lines: list[str] = []
    for key in SIGNED_KEYS[message.type]:
        if key in message.fields:
            lines += [key, message.fields[key]]
    return ("\n".join(lines) + "\n").encode()
